"""Analytics endpoints of the REST API: RFM and CLV per customer and company, business metrics and cohorts
per period, marketing spend (the cost side of CAC), and "recompute now".

Routes on the `api` blueprint (app.api.segments imports this module). Periods are days of the shop's
timezone: `start` and `end` (YYYY-MM-DD, inclusive) or a named `period`; a bad one is a 400 naming the
parameter. Every metric carries its definition, and a value that cannot be computed is null with the reason.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import g, request
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from app.api.auth import api_key_required, current_api_shop, request_uow
from app.api.crm_inputs import QueryArgs, field_errors, path_id
from app.api.inputs import json_body
from app.api.openapi import operation
from app.api.pagination import page_args, paginate
from app.api.pricing_inputs import checked
from app.api.problems import InvalidParameter
from app.api.responses import data_response, list_response
from app.api.segments_schemas import (
    COHORTS,
    METRICS,
    METRICS_PARAMETERS,
    REP_TOTALS,
    RUN,
    SCORE,
    SPEND,
    SPEND_INPUT,
)
from app.api.segments_serializers import (
    cohorts_json,
    metrics_json,
    rep_json,
    run_json,
    score_json,
    spend_json,
)
from app.api.views import bp
from app.db import utcnow
from app.errors import InvalidInput, NotFound
from crm.models import CrmCompany, CrmCustomer
from segments import jobs, metrics, service
from segments.models import SegmentScore
from segments.models_spend import MarketingSpend

SPEND_FIELDS = ("channel", "month", "amount", "currency")
DEFAULT_PERIOD = "last_12_months"


# -- RFM and CLV per customer and company ---------------------------------------------------------


def _score(model: type[CrmCustomer] | type[CrmCompany], kind: str, row_id: int) -> ResponseReturnValue:
    session = request_uow().session
    found = session.scalar(
        select(model.id).where(model.shop_id == g.shop_id, model.id == path_id(row_id, kind))
    )
    if found is None:
        raise NotFound(f"{kind} {row_id} not found")
    column = SegmentScore.customer_id if model is CrmCustomer else SegmentScore.company_id
    score = session.scalar(select(SegmentScore).where(SegmentScore.shop_id == g.shop_id, column == found))
    return data_response(score_json(score))


@bp.get("/customers/<int:customer_id>/analytics")
@api_key_required
@operation(
    "Get a customer's RFM and CLV",
    description="Recency, frequency, monetary, their scores and segment; historic and predicted CLV, "
    "P(alive) and churn risk, as of the latest analytics run.",
    response=SCORE,
    tags=("analytics",),
)
def customer_analytics(customer_id: int) -> ResponseReturnValue:
    """Show a customer's analytics figures."""
    return _score(CrmCustomer, "customer", customer_id)


@bp.get("/companies/<int:company_id>/analytics")
@api_key_required
@operation(
    "Get a company's RFM and CLV",
    description="The same figures as for a customer, over all the orders placed for the company.",
    response=SCORE,
    tags=("analytics",),
)
def company_analytics(company_id: int) -> ResponseReturnValue:
    """Show a company's analytics figures."""
    return _score(CrmCompany, "company", company_id)


# -- business metrics -----------------------------------------------------------------------------


def _day(name: str) -> date | None:
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidParameter(name, f"{name} must be a day as YYYY-MM-DD; got {raw[:20]!r}.") from None


def _period_and_scope() -> tuple[metrics.Period, metrics.Scope]:
    shop = current_api_shop()
    args = QueryArgs(request.args)
    start, end = _day("start"), _day("end")
    named = args.text("period")
    if (start is None) != (end is None):
        missing = "end" if end is None else "start"
        raise InvalidParameter(missing, "Give both start and end (or a named period).")
    if start is not None and named:
        raise InvalidParameter("period", "Give start and end, or a named period, not both.")
    try:
        if start is not None and end is not None:
            period = metrics.make_period(start, end, shop.timezone)
        else:
            period = metrics.preset_period(named or DEFAULT_PERIOD, timezone=shop.timezone, now=utcnow())
    except InvalidInput as exc:
        raise InvalidParameter("period" if named else "end", exc.detail) from None
    scope = metrics.Scope(company_id=args.row_id("company_id"), sales_rep_email=args.text("sales_rep_email"))
    if scope.company_id is not None and scope.sales_rep_email:
        raise InvalidParameter("sales_rep_email", "Give company_id or sales_rep_email, not both.")
    return period, scope


@bp.get("/metrics")
@api_key_required
@operation(
    "Get the business metrics of a period",
    description="Revenue, orders, AOV, repeat purchase rate, monthly churn, historic and predicted CLV, "
    "CAC and payback per channel, share of customers acquired through marketing and sales cycle length; "
    "for the shop, one company (`company_id`) or one sales rep (`sales_rep_email`). Each metric carries "
    "its definition.",
    response=METRICS,
    parameters=METRICS_PARAMETERS,
    tags=("analytics",),
)
def business_metrics() -> ResponseReturnValue:
    """Compute the business metrics of a period."""
    period, scope = _period_and_scope()
    report = metrics.business_metrics(request_uow(), shop_id=g.shop_id, period=period, scope=scope)
    return data_response(metrics_json(report))


@bp.get("/metrics/cohorts")
@api_key_required
@operation(
    "Get cohort retention",
    description="Customers grouped by the month of their first order, and the share of each cohort that "
    "ordered in each later month of the period.",
    response=COHORTS,
    parameters=METRICS_PARAMETERS,
    tags=("analytics",),
)
def cohorts() -> ResponseReturnValue:
    """Compute the cohort retention matrix of a period."""
    period, scope = _period_and_scope()
    uow = request_uow()
    metrics.check_scope(uow, shop_id=g.shop_id, scope=scope)
    matrix = metrics.cohort_retention(
        uow, shop_id=g.shop_id, currency=current_api_shop().currency, period=period, scope=scope
    )
    return data_response(cohorts_json(matrix, period, scope))


@bp.get("/metrics/sales-reps")
@api_key_required
@operation(
    "Get revenue and orders per sales rep",
    description="One row per sales rep (and one for accounts without a rep) over the period, biggest "
    "revenue first; the whole list, not paged (a shop has a handful of reps).",
    response={"type": "array", "items": REP_TOTALS},
    parameters=METRICS_PARAMETERS[:3],
    tags=("analytics",),
)
def sales_reps() -> ResponseReturnValue:
    """Compute the per sales rep totals of a period."""
    period, _ = _period_and_scope()
    currency = current_api_shop().currency
    rows = metrics.by_sales_rep(request_uow(), shop_id=g.shop_id, currency=currency, period=period)
    return data_response([rep_json(row, currency) for row in rows])


# -- marketing spend ------------------------------------------------------------------------------


@bp.get("/marketing-spend")
@api_key_required
@operation(
    "List marketing spend", description="In order of entry.", response=SPEND, many=True, tags=("spend",)
)
def spend_list() -> ResponseReturnValue:
    """List the spend entered per channel and month."""
    paging = page_args(request.args)
    page = paginate(
        request_uow().session,
        select(MarketingSpend).where(MarketingSpend.shop_id == g.shop_id),
        key_columns=[MarketingSpend.id],
        limit=paging.limit,
        cursor=paging.cursor,
    )
    return list_response(page, spend_json)


@bp.post("/marketing-spend")
@api_key_required
@operation(
    "Set the marketing spend of a channel in a month",
    description="Creates the entry, or replaces the amount of the channel's month. Negative amounts are "
    "refused (422).",
    request_body=SPEND_INPUT,
    response=SPEND,
    tags=("spend",),
)
def set_spend() -> ResponseReturnValue:
    """Set what a channel cost in a month."""
    values: dict[str, Any] = checked(json_body(), SPEND_FIELDS, required=("channel", "month", "amount"))
    uow = request_uow()
    try:
        row = metrics.set_spend(uow, shop_id=g.shop_id, **values)
    except InvalidInput as exc:
        raise field_errors(SPEND_FIELDS, exc) from None
    payload = spend_json(row)
    uow.commit()
    return data_response(payload)


@bp.delete("/marketing-spend/<int:spend_id>")
@api_key_required
@operation("Delete a marketing spend entry", status=204, tags=("spend",))
def delete_spend(spend_id: int) -> ResponseReturnValue:
    """Delete one spend entry."""
    uow = request_uow()
    metrics.delete_spend(uow, shop_id=g.shop_id, spend_id=path_id(spend_id, "marketing spend"))
    uow.commit()
    return "", 204


# -- recompute ------------------------------------------------------------------------------------


@bp.post("/analytics/runs")
@api_key_required
@operation(
    "Recompute the analytics now",
    description="Queues a full run (RFM, CLV, churn, segments); 409 while another run is queued or running. "
    "Poll GET /analytics/runs/{run_id} for its progress.",
    response=RUN,
    status=202,
    errors=(409,),
    tags=("analytics",),
)
def recompute() -> ResponseReturnValue:
    """Queue a full analytics run."""
    uow = request_uow()
    run = jobs.request_run(uow, shop_id=g.shop_id)
    uow.commit()
    # Inline mode (no Redis) ran the job at the commit, in another session: show what it left.
    uow.session.refresh(run)
    return data_response(run_json(run), status=202)


@bp.get("/analytics/runs/<int:run_id>")
@api_key_required
@operation("Get an analytics run", description="Its status and progress.", response=RUN, tags=("analytics",))
def analytics_run(run_id: int) -> ResponseReturnValue:
    """Show one analytics run."""
    run = service.get_run(request_uow(), shop_id=g.shop_id, run_id=path_id(run_id, "analytics run"))
    return data_response(run_json(run))
