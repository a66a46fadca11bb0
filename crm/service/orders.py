"""Order sync: orders with their lines, linking (or first creating) their customer, company and location."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from crm import rules
from crm.models import CrmOrder, CrmOrderLine, SubjectType
from crm.payloads import CustomerRecord, OrderRecord, Record
from crm.service._engine import EventLog, SyncAction, SyncOutcome, chunks, insert_rows, soft_delete, sync
from crm.service.companies import ensure_locations, sync_companies
from crm.service.customers import sync_customers

TRACKED = (
    "name",
    "email",
    "customer_id",
    "company_id",
    "company_location_id",
    "financial_status",
    "fulfillment_status",
    "currency",
    "total_price",
    "current_total_price",
    "cancelled_at",
    "closed_at",
    "processed_at",
    "po_number",
    "note",
    "tags",
    "test",
    "shopify_created_at",
)


@dataclass
class OrderSync:
    """Orders written, and the customers and companies whose rollups they affect."""

    outcomes: dict[int, SyncOutcome]
    customer_ids: set[int] = field(default_factory=set)
    company_ids: set[int] = field(default_factory=set)


def sync_orders(
    session: Session, *, shop_id: int, currency: str, records: Sequence[OrderRecord], events: EventLog
) -> OrderSync:
    """Upsert orders; the embedded customer is upserted, unseen companies and locations get placeholders."""
    customers = sync_customers(
        session,
        shop_id=shop_id,
        currency=currency,
        records=[_customer_ref(r.customer) for r in records if r.customer is not None],
        events=events,
    )
    companies = sync_companies(
        session,
        shop_id=shop_id,
        currency=currency,
        records=[Record(r.company_shopify_id, None) for r in records if r.company_shopify_id],
        events=events,
    )
    location_refs = {
        r.location_shopify_id: companies[r.company_shopify_id].id
        for r in records
        if r.location_shopify_id and r.company_shopify_id
    }
    locations = ensure_locations(session, shop_id=shop_id, refs=location_refs, events=events)  # type: ignore[arg-type]
    prepared = []
    for r in records:
        links: dict[str, Any] = {}
        if r.has_customer:
            links["customer_id"] = customers[r.customer.shopify_id].id if r.customer else None
        if r.has_company:
            links["company_id"] = companies[r.company_shopify_id].id if r.company_shopify_id else None
            links["company_location_id"] = (
                locations[r.location_shopify_id].id if r.location_shopify_id else None
            )
        if r.lines is not None:
            links["_lines"] = r.lines
        prepared.append(r.with_values(**links))
    outcomes = sync(
        session,
        shop_id=shop_id,
        table=CrmOrder.__table__,  # type: ignore[arg-type]
        records=prepared,
        tracked=TRACKED,
        defaults={"currency": currency},
    )
    _write_lines(
        session, shop_id, currency, [o for o in outcomes.values() if o.written and "_lines" in o.applied]
    )
    result = OrderSync(outcomes)
    for outcome in outcomes.values():
        if outcome.written:
            for values in (outcome.old, outcome.new):
                if values.get("customer_id"):
                    result.customer_ids.add(values["customer_id"])
                if values.get("company_id"):
                    result.company_ids.add(values["company_id"])
        _order_event(outcome, events)
    return result


def _customer_ref(customer: CustomerRecord) -> CustomerRecord | Record:
    """The embedded customer: a full record when it carries updated_at, else only a reference."""
    return customer if customer.updated_at is not None else Record(customer.shopify_id, None, customer.values)


def _line_summary(lines: Sequence[tuple[Any, ...]]) -> str:
    units = sum(quantity or 0 for _, quantity, _ in lines)
    return f"{len(lines)} lines, {units} units"


def _write_lines(session: Session, shop_id: int, currency: str, outcomes: Sequence[SyncOutcome]) -> None:
    """Replace the lines of each written order with its payload's lines."""
    table = CrmOrderLine.__table__
    updated = [o.id for o in outcomes if o.action is SyncAction.UPDATED]
    before: dict[int, list[tuple[Any, ...]]] = {order_id: [] for order_id in updated}
    for batch in chunks(updated):
        rows = session.execute(
            select(table.c.order_id, table.c.shopify_id, table.c.quantity, table.c.price).where(
                table.c.order_id.in_(batch)
            )
        )
        for row in rows:
            before[row.order_id].append((row.shopify_id, row.quantity, row.price))
    # An order created by this sync has no lines yet.
    for batch in chunks(updated):
        session.execute(delete(table).where(table.c.order_id.in_(batch)))
    rows: list[dict[str, Any]] = []
    for outcome in outcomes:
        lines: Sequence[Record] = outcome.applied["_lines"]
        order_currency = outcome.new.get("currency") or currency
        rows += [
            {
                "currency": order_currency,
                **line.values,
                "shop_id": shop_id,
                "order_id": outcome.id,
                "shopify_id": line.shopify_id,
            }
            for line in lines
        ]
        if outcome.action is SyncAction.UPDATED:
            old = sorted(before[outcome.id])  # type: ignore[index]
            new = sorted(
                (line.shopify_id, line.values.get("quantity"), line.values.get("price")) for line in lines
            )
            if [(s, q, p) for s, q, p in old] != new:
                outcome.changes["lines"] = [_line_summary(old), _line_summary(new)]
    names = {name for row in rows for name in row}
    insert_rows(session, table, [{name: row.get(name) for name in names} for row in rows])  # type: ignore[arg-type]


def _order_event(outcome: SyncOutcome, events: EventLog) -> None:
    assert outcome.id is not None
    new = outcome.new
    name = new.get("name") or f"order {outcome.shopify_id}"
    feed = {"customer_id": new.get("customer_id"), "company_id": new.get("company_id")}
    if outcome.action is SyncAction.CREATED:
        total = rules.money_text(new.get("total_price"), new.get("currency") or "USD")
        po = new.get("po_number")
        events.add(
            subject_type=SubjectType.ORDER,
            subject_id=outcome.id,
            **feed,
            kind="order.created",
            summary=f"Order {name} placed: {total}" + (f", PO {po}" if po else ""),
            occurred_at=new.get("processed_at") or new.get("shopify_created_at") or outcome.updated_at,
            data={"shopify_id": outcome.shopify_id, "total_price": new.get("total_price")},
        )
    elif outcome.action is SyncAction.UPDATED and outcome.changes:
        events.add(
            subject_type=SubjectType.ORDER,
            subject_id=outcome.id,
            **feed,
            kind=rules.order_event_kind(False, outcome.changes),
            summary=f"Order {name}: {rules.describe_changes(outcome.changes)}",
            occurred_at=outcome.updated_at,
            data={"changes": outcome.changes},
        )


def delete_orders(
    session: Session, *, shop_id: int, currency: str, shopify_ids: Sequence[int], events: EventLog
) -> OrderSync:
    """Soft-delete orders; their customers' and companies' rollups stop counting them."""
    outcomes = soft_delete(
        session,
        shop_id=shop_id,
        table=CrmOrder.__table__,  # type: ignore[arg-type]
        shopify_ids=shopify_ids,
        tracked=TRACKED,
        defaults={"currency": currency},
    )
    result = OrderSync(outcomes)
    for outcome in outcomes.values():
        if outcome.action is not SyncAction.DELETED:
            continue
        assert outcome.id is not None
        if outcome.old.get("customer_id"):
            result.customer_ids.add(outcome.old["customer_id"])
        if outcome.old.get("company_id"):
            result.company_ids.add(outcome.old["company_id"])
        events.add(
            subject_type=SubjectType.ORDER,
            subject_id=outcome.id,
            customer_id=outcome.old.get("customer_id"),
            company_id=outcome.old.get("company_id"),
            kind="order.deleted",
            summary=f"Order {outcome.old.get('name') or outcome.shopify_id} deleted in Shopify",
            occurred_at=None,
            data={"shopify_id": outcome.shopify_id},
        )
    return result
