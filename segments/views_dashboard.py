"""The analytics dashboard, "Recompute now" and the progress of a run (JSON for the progress bar)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import flash, jsonify, redirect, render_template, request
from flask.typing import ResponseReturnValue
from markupsafe import Markup

from app.admin.formatting import format_datetime
from app.admin.views import admin_url
from app.auth.context import admin_required, current_shop_id
from app.db import utcnow
from app.errors import Conflict, NotFound
from crm.display import format_money
from segments import dashboard, dashboard_kpis, jobs, service
from segments import views_charts as charts
from segments.metrics.cohorts import cohort_retention
from segments.metrics.period import preset_period
from segments.models import RfmSegment, RunStatus, SegmentRun, Subject
from segments.rfm import SEGMENT_LABELS
from segments.views import bp, check_csrf, load_shop, uow_

STEP_LABELS = {
    "rfm:customer": "Scoring customers (RFM)",
    "rfm:company": "Scoring companies (RFM)",
    "clv:customer": "Predicting customer lifetime value",
    "clv:company": "Predicting company lifetime value",
    "segments": "Updating your segments",
    "metrics": "Computing the key figures",
    "finishing": "Finishing",
    "done": "Finishing",
}
COHORT_PERIOD = "last_12_months"
ALREADY_RUNNING = "The analytics are already computing. This page updates when they finish."
# One colour per RFM segment, from Polaris' data-visualisation palette, best segments first.
SEGMENT_COLOURS = {
    RfmSegment.CHAMPIONS: "#1f7a4d",
    RfmSegment.LOYAL: "#36a26b",
    RfmSegment.POTENTIAL_LOYALIST: "#7fc8a0",
    RfmSegment.NEW_CUSTOMERS: "#2c6ecb",
    RfmSegment.PROMISING: "#7ea8e8",
    RfmSegment.NEED_ATTENTION: "#e8b400",
    RfmSegment.ABOUT_TO_SLEEP: "#f0d266",
    RfmSegment.CANT_LOSE_THEM: "#c5280c",
    RfmSegment.AT_RISK: "#e5735c",
    RfmSegment.HIBERNATING: "#8a8a8a",
    RfmSegment.LOST: "#c4c4c4",
}


def run_status(run: SegmentRun, timezone: str) -> dict[str, Any]:
    """What the progress bar shows of a run."""
    finished = run.status in (RunStatus.SUCCEEDED, RunStatus.FAILED)
    return {
        "id": run.id,
        "status": run.status.value,
        "step": run.step,
        "step_label": STEP_LABELS.get(run.step or "", "Waiting to start")
        if run.status is RunStatus.RUNNING
        else ("Waiting to start" if run.status is RunStatus.QUEUED else ""),
        "done": run.done,
        "total": run.total,
        "finished": finished,
        "error": "The computation failed; the figures shown are from the last run that finished."
        if run.status is RunStatus.FAILED
        else None,
        "finished_at": format_datetime(run.finished_at, timezone) if run.finished_at else None,
    }


def _money_label(value: Decimal, currency: str) -> str:
    symbol = format_money(Decimal(0), currency).replace("0", "").replace(".", "").replace(",", "").strip()
    return charts.money_axis(symbol)(float(value))


def _histogram_chart(bins: list[dashboard.Bin], currency: str) -> Markup:
    labels = [
        f"{_money_label(b.low, currency)}+" if b.high is None else f"{_money_label(b.low, currency)}"
        for b in bins
    ]
    return charts.bars(
        "Predicted spend in the next 365 days",
        labels,
        [charts.Series("Customers", [float(b.count) for b in bins], "#2c6ecb")],
        label_every=max(1, len(bins) // 8),
    )


def _sizes_chart(points: list[dashboard.SizePoint], timezone: str) -> Markup:
    labels = [format_datetime(p.at, timezone, with_time=False) for p in points]
    series = [
        charts.Series(
            SEGMENT_LABELS[s], [float(p.counts.get(s.value, 0)) for p in points], SEGMENT_COLOURS[s]
        )
        for s in RfmSegment
    ]
    return charts.bars(
        "RFM segment sizes after each computation",
        labels,
        series,
        stacked=True,
        label_every=max(1, len(points) // 6),
    )


def _backtest_chart(backtest: dict[str, Any]) -> Markup:
    deciles = backtest["deciles"]
    return charts.bars(
        "Predicted and actual repeat orders per customer, by decile of the prediction",
        [f"D{d['decile']}" for d in deciles],
        [
            charts.Series("Predicted", [float(d["predicted"]) for d in deciles], "#2c6ecb"),
            charts.Series("Actual", [float(d["actual"]) for d in deciles], "#e8b400"),
        ],
    )


@bp.get("/dashboard", endpoint="dashboard")
@admin_required
def dashboard_page() -> str:
    """The analytics dashboard: KPIs, RFM grid, CLV distribution, churn risk, sizes over time, backtest."""
    subject = Subject.COMPANY if request.args.get("subject") == "company" else Subject.CUSTOMER
    now = utcnow()
    with uow_() as uow:
        shop = load_shop(uow)
        finished, busy = dashboard.latest_runs(uow, shop_id=shop.id)
        clv = dashboard.clv_stats(finished, subject)
        sizes = dashboard.segment_sizes(uow, shop_id=shop.id, subject=subject)
        histogram = dashboard.clv_histogram(uow, shop_id=shop.id, subject=subject)
        backtest = clv.get("backtest") or None
        # Cohorts are of people (first-order month), read live from the orders.
        cohorts = (
            cohort_retention(
                uow,
                shop_id=shop.id,
                currency=shop.currency,
                period=preset_period(COHORT_PERIOD, timezone=shop.timezone, now=now),
            )
            if subject is Subject.CUSTOMER
            else None
        )
        grid = dashboard.rfm_grid(uow, shop_id=shop.id, subject=subject, currency=shop.currency)
        return render_template(
            "admin/segments/dashboard.html",
            shop=shop,
            subject=subject,
            run=finished,
            busy=run_status(busy, shop.timezone) if busy else None,
            kpi_days=dashboard_kpis.KPI_DAYS,
            kpis=dashboard_kpis.kpis(uow, shop_id=shop.id, run=finished, subject=subject),
            grid=grid,
            cohorts=cohorts,
            grid_filled=any(cell.count for row in grid for cell in row),
            histogram=histogram,
            histogram_chart=_histogram_chart(histogram, shop.currency) if histogram else None,
            sizes_chart=_sizes_chart(sizes, shop.timezone) if sizes else None,
            backtest_chart=_backtest_chart(backtest) if backtest and backtest.get("deciles") else None,
            at_risk=dashboard.churn_risk_list(uow, shop_id=shop.id, subject=subject),
            sizes=sizes,
            clv=clv,
            backtest=backtest,
            segment_order=[(s.value, SEGMENT_LABELS[s], SEGMENT_COLOURS[s]) for s in RfmSegment],
        )


@bp.post("/recompute")
@admin_required
def recompute() -> ResponseReturnValue:
    """Queue a full computation now; one already under way is reported, not doubled."""
    check_csrf()
    subject = "company" if request.form.get("subject") == "company" else None
    with uow_() as uow:
        shop = load_shop(uow)
        try:
            run = jobs.request_run(uow, shop_id=shop.id)
        except Conflict:
            flash(ALREADY_RUNNING)
            return redirect(admin_url("segments.dashboard", subject=subject), code=303)
        run_id = run.id
        uow.commit()
    return redirect(admin_url("segments.dashboard", subject=subject, run=run_id), code=303)


@bp.get("/runs/<int:run_id>")
@admin_required
def run_progress(run_id: int) -> ResponseReturnValue:
    """A run's progress as JSON, polled by the progress bar."""
    with uow_() as uow:
        shop = load_shop(uow)
        try:
            run = service.get_run(uow, shop_id=current_shop_id(), run_id=run_id)
        except NotFound:
            return jsonify({"error": "not found"}), 404
        return jsonify(run_status(run, shop.timezone))
