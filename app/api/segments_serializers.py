"""The segments and analytics endpoints' JSON: segments, members, scores, metrics, spend, runs."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from app.api.crm_serializers import money
from app.api.responses import iso8601
from segments import metrics
from segments.models import Segment, SegmentRun, SegmentScore
from segments.models_spend import MarketingSpend, SegmentTagPush
from segments.rfm import SEGMENT_LABELS


def decimal_text(value: Decimal | None) -> str | None:
    """A decimal as a plain string (no exponent), None stays None."""
    return None if value is None else format(value, "f")


def segment_json(segment: Segment) -> dict[str, Any]:
    return {
        "id": segment.id,
        "name": segment.name,
        "description": segment.description,
        "subject": segment.subject.value,
        "definition": segment.definition,
        "shopify_tag": segment.shopify_tag,
        "member_count": segment.member_count,
        "computed_at": iso8601(segment.computed_at),
        "created_at": iso8601(segment.created_at),
        "updated_at": iso8601(segment.updated_at),
    }


def member_json(row: Any) -> dict[str, Any]:
    """A member row: ids, entered and pushed times, Shopify id, and the names to show."""
    _, customer_id, company_id, entered_at, pushed_at, shopify_id, first, last, email, company = row
    name = company if company_id is not None else (" ".join(filter(None, (first, last))) or email)
    return {
        "customer_id": customer_id,
        "company_id": company_id,
        "shopify_id": shopify_id,
        "name": name,
        "entered_at": iso8601(entered_at),
        "tag_pushed_at": iso8601(pushed_at),
    }


def score_json(score: SegmentScore | None) -> dict[str, Any]:
    """A customer's or company's figures; every one null when not scored (no counted order)."""
    if score is None:
        return {"scored": False} | {key: None for key in _SCORE_KEYS}
    currency = score.currency
    p_alive = score.p_alive
    return {
        "scored": True,
        "recency_days": score.recency_days,
        "frequency": score.frequency,
        "monetary": money(score.monetary, currency),
        "historic_clv": money(score.monetary, currency),
        "r_score": score.r_score,
        "f_score": score.f_score,
        "m_score": score.m_score,
        "rfm_segment": score.rfm_segment.value,
        "rfm_segment_label": SEGMENT_LABELS[score.rfm_segment],
        "first_order_at": iso8601(score.first_order_at),
        "last_order_at": iso8601(score.last_order_at),
        "rfm_computed_at": iso8601(score.rfm_computed_at),
        "predicted_orders_90": decimal_text(score.predicted_orders_90),
        "predicted_orders_365": decimal_text(score.predicted_orders_365),
        "predicted_spend_90": money(score.predicted_spend_90, currency),
        "predicted_spend_365": money(score.predicted_spend_365, currency),
        "p_alive": decimal_text(p_alive),
        "churn_risk": None if p_alive is None else decimal_text(1 - Decimal(p_alive)),
        "expected_next_order_at": iso8601(score.expected_next_order_at),
        "clv_computed_at": iso8601(score.clv_computed_at),
    }


_SCORE_KEYS = (
    "recency_days",
    "frequency",
    "monetary",
    "historic_clv",
    "r_score",
    "f_score",
    "m_score",
    "rfm_segment",
    "rfm_segment_label",
    "first_order_at",
    "last_order_at",
    "rfm_computed_at",
    "predicted_orders_90",
    "predicted_orders_365",
    "predicted_spend_90",
    "predicted_spend_365",
    "p_alive",
    "churn_risk",
    "expected_next_order_at",
    "clv_computed_at",
)


def _metric_value(metric: metrics.Metric) -> str | int | None:
    if metric.value is None or isinstance(metric.value, int):
        return metric.value
    return format(metric.value, "f")


def period_json(period: metrics.Period) -> dict[str, Any]:
    return {"start": period.start.isoformat(), "end": period.end.isoformat(), "timezone": period.timezone}


def scope_json(scope: metrics.Scope) -> dict[str, Any]:
    return {"company_id": scope.company_id, "sales_rep_email": scope.sales_rep_email}


def metrics_json(report: metrics.MetricsReport) -> dict[str, Any]:
    return {
        "period": period_json(report.period),
        "scope": scope_json(report.scope),
        "currency_code": report.currency,
        "metrics": {
            key: {
                "key": m.key,
                "label": m.label,
                "value": _metric_value(m),
                "unit": m.unit,
                "currency_code": m.currency,
                "definition": m.definition,
                "missing": m.missing,
            }
            for key, m in report.metrics.items()
        },
        "other_currencies": [
            {"orders": t.orders, "revenue": money(t.revenue, t.currency)} for t in report.other_currencies
        ],
        "monthly_churn": [
            {
                "month": m.month,
                "active_before": m.active_before,
                "churned": m.churned,
                "rate": decimal_text(m.rate),
            }
            for m in report.monthly_churn
        ],
        "channels": [
            {
                "channel": c.channel,
                "spend": money(c.spend, c.currency),
                "new_customers": c.new_customers,
                "cac": money(c.cac, c.currency),
                "payback_months": c.payback_months,
                "missing": c.missing,
                "other_currency_spend": [
                    money(a, code) for code, a in sorted(c.other_currency_spend.items())
                ],
                "definition": c.definition,
            }
            for c in report.channels
        ],
        "computed_at": iso8601(report.computed_at),
        "predicted_clv_computed_at": iso8601(report.predicted_clv_computed_at),
    }


def cohorts_json(
    matrix: metrics.CohortMatrix, period: metrics.Period, scope: metrics.Scope
) -> dict[str, Any]:
    return {
        "period": period_json(period),
        "scope": scope_json(scope),
        "definition": matrix.definition,
        "cohorts": [
            {
                "month": c.month.isoformat(),
                "customers": c.customers,
                "retention": [decimal_text(p) for p in c.retention],
                "active": c.active,
            }
            for c in matrix.cohorts
        ],
    }


def spend_json(row: MarketingSpend) -> dict[str, Any]:
    return {
        "id": row.id,
        "channel": row.channel,
        "month": row.month.strftime("%Y-%m"),
        "amount": money(row.amount, row.currency),
        "created_at": iso8601(row.created_at),
        "updated_at": iso8601(row.updated_at),
    }


def run_json(run: SegmentRun) -> dict[str, Any]:
    return {
        "id": run.id,
        "kind": run.kind.value,
        "status": run.status.value,
        "step": run.step,
        "done": run.done,
        "total": run.total,
        "as_of": iso8601(run.as_of),
        "started_at": iso8601(run.started_at),
        "finished_at": iso8601(run.finished_at),
        "error": run.error,
    }


def tag_push_json(push: SegmentTagPush) -> dict[str, Any]:
    return {
        "id": push.id,
        "tag": push.tag,
        "status": push.status.value,
        "done": push.done,
        "total": push.total,
        "added": push.added,
        "removed": push.removed,
        "failed": push.failed,
        "error": push.error,
        "created_at": iso8601(push.created_at),
        "started_at": iso8601(push.started_at),
        "finished_at": iso8601(push.finished_at),
    }


def rep_json(row: metrics.RepTotals, currency: str) -> dict[str, Any]:
    return {
        "sales_rep_email": row.sales_rep_email,
        "orders": row.orders,
        "revenue": money(row.revenue, currency),
        "customers": row.customers,
        "average_order_value": money(row.average_order_value, currency),
        "definition": row.definition,
    }
