"""OpenAPI schemas and parameters of the segments and analytics endpoints."""

from __future__ import annotations

from typing import Any

from app.api.crm_schemas import COUNT, ID, MONEY, SHOPIFY_ID, TEXT, TIMESTAMP, TIMESTAMP_SET, obj, query
from app.api.openapi import Schema
from segments.metrics import PRESETS
from segments.models import RfmSegment, RunKind, RunStatus, Subject

MONEY_OR_NULL = {"anyOf": [MONEY, {"type": "null"}]}
DECIMAL_OR_NULL = {
    "type": ["string", "null"],
    "pattern": r"^-?\d+(\.\d+)?$",
    "description": "a decimal string",
}
SUBJECT = {"type": "string", "enum": [s.value for s in Subject]}
DEFINITION = {
    "type": "object",
    "description": 'The condition tree: {"match": "all"|"any", "conditions": [{"field", "op", '
    '"value"} or nested groups]} (docs/segments.md lists the fields and operators). An unknown field or '
    "operator is a 400 naming its path.",
}

SEGMENT = obj(
    "Segment",
    "A merchant-defined segment of customers or companies, materialised by the analytics jobs.",
    {
        "id": ID,
        "name": {"type": "string"},
        "description": TEXT,
        "subject": SUBJECT,
        "definition": DEFINITION,
        "shopify_tag": {**TEXT, "description": "opt-in: members carry this customer tag in Shopify"},
        "member_count": COUNT,
        "computed_at": {**TIMESTAMP, "description": "last materialisation (UTC); null: not yet"},
        "created_at": TIMESTAMP_SET,
        "updated_at": TIMESTAMP_SET,
    },
)
SEGMENT_INPUT = Schema(
    "SegmentInput",
    {
        "type": "object",
        "required": ["name", "subject", "definition"],
        "properties": {
            "name": {"type": "string", "maxLength": 255},
            "subject": SUBJECT,
            "definition": DEFINITION,
            "description": TEXT,
            "shopify_tag": {**TEXT, "maxLength": 40, "description": "customer segments only; no commas"},
        },
        "additionalProperties": False,
    },
)
SEGMENT_CHANGES = Schema(
    "SegmentChanges",
    {
        "type": "object",
        "description": "Only the fields sent change; the subject cannot change.",
        "properties": {k: v for k, v in SEGMENT_INPUT.definition["properties"].items() if k != "subject"},
        "additionalProperties": False,
    },
)
MEMBER = obj(
    "SegmentMember",
    "A customer or company currently in a segment.",
    {
        "customer_id": {"type": ["integer", "null"]},
        "company_id": {"type": ["integer", "null"]},
        "shopify_id": SHOPIFY_ID,
        "name": TEXT,
        "entered_at": TIMESTAMP_SET,
        "tag_pushed_at": {**TIMESTAMP, "description": "when the segment's Shopify tag was added"},
    },
)
PREVIEW_INPUT = Schema(
    "SegmentPreviewInput",
    {
        "type": "object",
        "required": ["subject", "definition"],
        "properties": {"subject": SUBJECT, "definition": DEFINITION},
        "additionalProperties": False,
    },
)
PREVIEW = obj(
    "SegmentPreview",
    "How many would match now, and up to 10 of them (the biggest spenders first).",
    {"count": COUNT, "sample": {"type": "array", "items": {"type": "object"}}},
)
SCORE = obj(
    "AnalyticsScore",
    "The latest RFM, CLV and churn figures of a customer or company (docs/segments.md defines them).",
    {
        "scored": {"type": "boolean", "description": "false: no counted order yet; every figure is null"},
        "recency_days": {"type": ["integer", "null"]},
        "frequency": {"type": ["integer", "null"]},
        "monetary": MONEY_OR_NULL,
        "historic_clv": MONEY_OR_NULL,
        "r_score": {"type": ["integer", "null"], "minimum": 1, "maximum": 5},
        "f_score": {"type": ["integer", "null"], "minimum": 1, "maximum": 5},
        "m_score": {"type": ["integer", "null"], "minimum": 1, "maximum": 5},
        "rfm_segment": {"type": ["string", "null"], "enum": [s.value for s in RfmSegment] + [None]},
        "rfm_segment_label": TEXT,
        "first_order_at": TIMESTAMP,
        "last_order_at": TIMESTAMP,
        "rfm_computed_at": TIMESTAMP,
        "predicted_orders_90": DECIMAL_OR_NULL,
        "predicted_orders_365": DECIMAL_OR_NULL,
        "predicted_spend_90": MONEY_OR_NULL,
        "predicted_spend_365": MONEY_OR_NULL,
        "p_alive": DECIMAL_OR_NULL,
        "churn_risk": {**DECIMAL_OR_NULL, "description": "1 - p_alive"},
        "expected_next_order_at": TIMESTAMP,
        "clv_computed_at": {
            **TIMESTAMP,
            "description": "null: the CLV models are not fitted (not enough data)",
        },
    },
)
METRIC = obj(
    "Metric",
    "One business metric with its definition; value null comes with `missing` saying why (never NaN).",
    {
        "key": {"type": "string"},
        "label": {"type": "string"},
        "value": {"type": ["string", "integer", "null"], "description": "decimal string, or integer counts"},
        "unit": {"type": "string", "enum": ["money", "count", "percent", "days"]},
        "currency_code": TEXT,
        "definition": {"type": "string"},
        "missing": TEXT,
    },
)
CHANNEL = obj(
    "ChannelCac",
    "A marketing channel's spend, new customers, CAC and CAC payback over the period.",
    {
        "channel": {"type": "string"},
        "spend": MONEY,
        "new_customers": COUNT,
        "cac": MONEY_OR_NULL,
        "payback_months": {"type": ["integer", "null"], "description": "30-day months"},
        "missing": TEXT,
        "other_currency_spend": {"type": "array", "items": MONEY},
        "definition": {"type": "string"},
    },
)
PERIOD = {
    "type": "object",
    "required": ["start", "end", "timezone"],
    "properties": {
        "start": {"type": "string", "format": "date"},
        "end": {"type": "string", "format": "date", "description": "inclusive"},
        "timezone": {"type": "string"},
    },
}
SCOPE = {
    "type": "object",
    "required": ["company_id", "sales_rep_email"],
    "properties": {"company_id": {"type": ["integer", "null"]}, "sales_rep_email": TEXT},
}
METRICS = obj(
    "BusinessMetrics",
    "The business metrics of the shop (or a company, or a sales rep) over a period of the shop's days.",
    {
        "period": PERIOD,
        "scope": SCOPE,
        "currency_code": {"type": "string"},
        "metrics": {"type": "object", "additionalProperties": METRIC},
        "other_currencies": {
            "type": "array",
            "description": "Counted orders recorded in another currency: listed, never summed in.",
            "items": {
                "type": "object",
                "required": ["orders", "revenue"],
                "properties": {"orders": COUNT, "revenue": MONEY},
            },
        },
        "monthly_churn": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["month", "active_before", "churned", "rate"],
                "properties": {
                    "month": {"type": "string", "examples": ["2026-03"]},
                    "active_before": COUNT,
                    "churned": COUNT,
                    "rate": DECIMAL_OR_NULL,
                },
            },
        },
        "channels": {"type": "array", "items": CHANNEL},
        "computed_at": TIMESTAMP_SET,
        "predicted_clv_computed_at": TIMESTAMP,
    },
)
COHORTS = obj(
    "CohortRetention",
    "Customers by first-order month; retention[k] = % of the cohort ordering k months later.",
    {
        "period": PERIOD,
        "scope": SCOPE,
        "definition": {"type": "string"},
        "cohorts": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["month", "customers", "retention", "active"],
                "properties": {
                    "month": {"type": "string", "format": "date"},
                    "customers": COUNT,
                    "retention": {"type": "array", "items": DECIMAL_OR_NULL},
                    "active": {"type": "array", "items": COUNT},
                },
            },
        },
    },
)
SPEND = obj(
    "MarketingSpend",
    "What the shop spent on one acquisition channel in one calendar month.",
    {
        "id": ID,
        "channel": {"type": "string", "examples": ["utm:google"]},
        "month": {"type": "string", "examples": ["2026-03"]},
        "amount": MONEY,
        "created_at": TIMESTAMP_SET,
        "updated_at": TIMESTAMP_SET,
    },
)
SPEND_INPUT = Schema(
    "MarketingSpendInput",
    {
        "type": "object",
        "description": "Sets the spend of a channel in a month (replacing any amount already there).",
        "required": ["channel", "month", "amount"],
        "properties": {
            "channel": {"type": "string", "description": "an acquisition source or its prefix: 'utm:google'"},
            "month": {"type": "string", "pattern": r"^\d{4}-\d{2}$"},
            "amount": {"type": "string", "description": "a decimal string, not negative"},
            "currency": {"type": "string", "pattern": "^[A-Z]{3}$", "description": "default: the shop's"},
        },
        "additionalProperties": False,
    },
)
RUN = obj(
    "AnalyticsRun",
    "One computation of the shop's RFM, CLV, churn and segments, with its progress.",
    {
        "id": ID,
        "kind": {"type": "string", "enum": [k.value for k in RunKind]},
        "status": {"type": "string", "enum": [s.value for s in RunStatus]},
        "step": TEXT,
        "done": COUNT,
        "total": COUNT,
        "as_of": TIMESTAMP_SET,
        "started_at": TIMESTAMP_SET,
        "finished_at": TIMESTAMP,
        "error": TEXT,
    },
)
TAG_PUSH = obj(
    "SegmentTagPush",
    "One push of a segment to Shopify as a customer tag: progress and what changed.",
    {
        "id": ID,
        "tag": {"type": "string"},
        "status": {"type": "string", "enum": ["queued", "running", "succeeded", "failed"]},
        "done": COUNT,
        "total": COUNT,
        "added": COUNT,
        "removed": COUNT,
        "failed": {**COUNT, "description": "changes Shopify refused (see error); retried by the next push"},
        "error": TEXT,
        "created_at": TIMESTAMP_SET,
        "started_at": TIMESTAMP,
        "finished_at": TIMESTAMP,
    },
)
REP_TOTALS = obj(
    "SalesRepTotals",
    "One sales rep's counted orders over the period (sales_rep_email null: accounts without a rep).",
    {
        "sales_rep_email": TEXT,
        "orders": COUNT,
        "revenue": MONEY,
        "customers": COUNT,
        "average_order_value": MONEY_OR_NULL,
        "definition": {"type": "string"},
    },
)

DAY = {"type": "string", "format": "date"}
METRICS_PARAMETERS: tuple[dict[str, Any], ...] = (
    query("start", "First day (shop timezone), YYYY-MM-DD; with `end`.", DAY),
    query("end", "Last day (inclusive), YYYY-MM-DD; with `start`.", DAY),
    query(
        "period",
        "A named period instead of start/end (default last_12_months).",
        {"type": "string", "enum": list(PRESETS)},
    ),
    query("company_id", "Only this company's orders.", {"type": "integer"}),
    query("sales_rep_email", "Only the orders of accounts this sales rep manages.", {"type": "string"}),
)
