"""draft_orders/update: mirror Shopify's draft orders and note them on the customer's timeline."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.db import UnitOfWork
from app.errors import InvalidInput
from app.money import normalize_currency
from crm import payloads, rules
from crm.models import SubjectType
from crm.models_drafts import CrmDraftOrder, DraftOrderStatus
from crm.payloads import Record
from crm.service._engine import SyncAction, SyncOutcome, sync
from crm.service.customers import sync_customers
from crm.service.topics._call import DEFAULT_ACTOR, _Call, _object, _required_id

DRAFT_TRACKED = (
    "name",
    "status",
    "email",
    "customer_id",
    "currency",
    "total_price",
    "invoice_sent_at",
    "completed_at",
    "order_shopify_id",
)


def _draft_values(payload: Mapping[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    texts = {"name": 64, "email": 320, "invoice_url": None, "note": None}
    for key, limit in texts.items():
        if key in payload:
            value = payload[key]
            if value is not None and not isinstance(value, str):
                raise InvalidInput(f"the draft order's {key} is not text")
            text = (value or "").strip()
            values[key] = (text[:limit] if limit else text) or None
    if values.get("email"):
        values["email"] = values["email"].lower()
    if "status" in payload:
        values["status"] = payloads.parse_enum(
            DraftOrderStatus, payload["status"], unknown=DraftOrderStatus.UNKNOWN
        )
    if payload.get("currency"):
        values["currency"] = normalize_currency(payload["currency"])
    for key in ("subtotal_price", "total_tax", "total_price"):
        if key in payload:
            values[key] = payloads.parse_money(payload[key])
    for key in ("invoice_sent_at", "completed_at"):
        if key in payload:
            values[key] = payloads.parse_datetime(payload[key])
    if "created_at" in payload:
        values["shopify_created_at"] = payloads.parse_datetime(payload["created_at"])
    if "order_id" in payload:
        values["order_shopify_id"] = (
            payloads.parse_id(payload["order_id"], "Order") if payload["order_id"] is not None else None
        )
    if "tags" in payload:
        values["tags"] = payloads.format_tags(payloads.parse_tags(payload["tags"])) or None
    if "b2b?" in payload:
        values["is_b2b"] = bool(payload["b2b?"])
    if "line_items" in payload:
        lines = payload["line_items"]
        if not isinstance(lines, list):
            raise InvalidInput("a draft order's line_items must be a list")
        values["line_count"] = len(lines)
    if "payment_terms" in payload:
        terms = payload["payment_terms"]
        name = terms.get("payment_terms_name") if isinstance(terms, Mapping) else None
        values["payment_terms_name"] = name[:255] if isinstance(name, str) and name else None
    return values


def upsert_draft_order(
    uow: UnitOfWork, *, shop_id: int, payload: Mapping[str, Any], actor: str = DEFAULT_ACTOR
) -> SyncOutcome:
    """draft_orders/update: mirror the draft order (newest wins) and link its customer."""
    payload = _object(payload, "draft order")
    key = "id" if payload.get("id") is not None else "admin_graphql_api_id"
    draft_sid = _required_id(payload, key, "DraftOrder")
    values = _draft_values(payload)
    call = _Call(uow, shop_id, actor)
    if "customer" in payload:
        customer = payload["customer"]
        if customer:
            record = payloads.parse_customer(customer)
            reference = (
                record if record.updated_at is not None else Record(record.shopify_id, None, record.values)
            )
            outcomes = sync_customers(
                call.session, shop_id=shop_id, currency=call.currency, records=[reference], events=call.events
            )
            values["customer_id"] = outcomes[record.shopify_id].id
        else:
            values["customer_id"] = None
    record = Record(draft_sid, payloads.parse_datetime(payload.get("updated_at")), values)
    outcome = sync(
        call.session,
        shop_id=shop_id,
        table=CrmDraftOrder.__table__,  # type: ignore[arg-type]
        records=[record],
        tracked=DRAFT_TRACKED,
        defaults={"currency": call.currency},
    )[draft_sid]
    customer_id = outcome.new.get("customer_id")
    if customer_id and (outcome.action is SyncAction.CREATED or (outcome.written and outcome.changes)):
        name = outcome.new.get("name") or f"draft order {draft_sid}"
        status = outcome.new.get("status")
        status_text = status.value if isinstance(status, DraftOrderStatus) else status
        total = rules.money_text(outcome.new.get("total_price"), outcome.new.get("currency") or call.currency)
        if outcome.action is SyncAction.CREATED:
            kind, summary = "draft_order.created", f"Draft order {name} created: {total}"
        elif "status" in outcome.changes:
            kind, summary = (
                f"draft_order.{status_text}",
                f"Draft order {name}: {rules.describe_changes(outcome.changes)}",
            )
        else:
            kind, summary = (
                "draft_order.updated",
                f"Draft order {name}: {rules.describe_changes(outcome.changes)}",
            )
        call.events.add(
            subject_type=SubjectType.CUSTOMER,
            subject_id=customer_id,
            customer_id=customer_id,
            kind=kind,
            summary=summary,
            occurred_at=outcome.updated_at,
            data={"draft_order_shopify_id": draft_sid, "changes": outcome.changes},
        )
    call.finish()
    return outcome
