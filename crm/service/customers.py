"""Customer sync: upsert from customers/* payloads and from the customer embedded in orders."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import bindparam, delete, insert, select
from sqlalchemy.orm import Session

from crm import rules
from crm.models import CrmCustomer, CrmCustomerTag, SubjectType
from crm.payloads import CustomerRecord, Record
from crm.service._engine import EventLog, SyncAction, SyncOutcome, chunks, soft_delete, sync

TRACKED = (
    "email",
    "first_name",
    "last_name",
    "phone",
    "state",
    "verified_email",
    "tax_exempt",
    "note",
    "email_marketing_state",
    "email_marketing_opt_in_level",
    "city",
    "province_code",
    "country_code",
    "shopify_created_at",
)


def customer_label(values: Mapping[str, Any], shopify_id: int) -> str:
    name = " ".join(str(values[k]) for k in ("first_name", "last_name") if values.get(k))
    return name or values.get("email") or f"customer {shopify_id}"


def sync_customers(
    session: Session,
    *,
    shop_id: int,
    currency: str,
    records: Sequence[CustomerRecord | Record],
    events: EventLog,
) -> dict[int, SyncOutcome]:
    """Upsert customers (full payloads or references); tags replace the stored set when a payload has them."""
    prepared = [
        r.with_values(_tags=r.tags) if isinstance(r, CustomerRecord) and r.tags is not None else r
        for r in records
    ]
    outcomes = sync(
        session,
        shop_id=shop_id,
        table=CrmCustomer.__table__,  # type: ignore[arg-type]
        records=prepared,
        tracked=TRACKED,
        defaults={"currency": currency},
    )
    _write_tags(session, shop_id, [o for o in outcomes.values() if o.written and "_tags" in o.applied])
    for outcome in outcomes.values():
        label = customer_label(outcome.new, outcome.shopify_id)
        assert outcome.id is not None
        if outcome.action is SyncAction.CREATED:
            events.add(
                subject_type=SubjectType.CUSTOMER,
                subject_id=outcome.id,
                customer_id=outcome.id,
                kind="customer.created",
                summary=(
                    f"Customer {outcome.shopify_id} first seen on an order or company"
                    if outcome.reference_only
                    else f"{label} added"
                ),
                occurred_at=outcome.new.get("shopify_created_at") or outcome.updated_at,
                data={"shopify_id": outcome.shopify_id, "tags": list(outcome.applied.get("_tags") or [])},
            )
        elif outcome.action is SyncAction.UPDATED and outcome.changes:
            events.add(
                subject_type=SubjectType.CUSTOMER,
                subject_id=outcome.id,
                customer_id=outcome.id,
                kind="customer.updated",
                summary=f"{label}: {rules.describe_changes(outcome.changes)}",
                occurred_at=outcome.updated_at,
                data={"changes": outcome.changes},
            )
    return outcomes


def _write_tags(session: Session, shop_id: int, outcomes: Sequence[SyncOutcome]) -> None:
    """Replace each customer's tag rows with the payload's tags; the diff lands in the outcome's changes."""
    table = CrmCustomerTag.__table__
    current: dict[int, list[str]] = {o.id: [] for o in outcomes if o.id is not None}
    for batch in chunks(current):
        rows = session.execute(
            select(table.c.customer_id, table.c.tag)
            .where(table.c.customer_id.in_(batch))
            .order_by(table.c.tag)
        )
        for customer_id, tag in rows:
            current[customer_id].append(tag)
    removed: list[dict[str, Any]] = []
    added: list[dict[str, Any]] = []
    for outcome in outcomes:
        assert outcome.id is not None
        old = current[outcome.id]
        new = list(outcome.applied["_tags"])
        removed += [{"c": outcome.id, "t": tag} for tag in old if tag not in new]
        added += [
            {"shop_id": shop_id, "customer_id": outcome.id, "tag": tag} for tag in new if tag not in old
        ]
        if sorted(old) != sorted(new) and outcome.action is SyncAction.UPDATED:
            outcome.changes["tags"] = [sorted(old), sorted(new)]
    if removed:
        session.execute(
            delete(table).where(table.c.customer_id == bindparam("c"), table.c.tag == bindparam("t")), removed
        )
    for batch in chunks(added):
        session.execute(insert(table), batch)


def delete_customers(
    session: Session, *, shop_id: int, currency: str, shopify_ids: Sequence[int], events: EventLog
) -> dict[int, SyncOutcome]:
    """Soft-delete customers (tombstones for ids never seen)."""
    outcomes = soft_delete(
        session,
        shop_id=shop_id,
        table=CrmCustomer.__table__,  # type: ignore[arg-type]
        shopify_ids=shopify_ids,
        tracked=TRACKED,
        defaults={"currency": currency},
    )
    for outcome in outcomes.values():
        if outcome.action is SyncAction.DELETED:
            assert outcome.id is not None
            label = customer_label(outcome.old, outcome.shopify_id)
            events.add(
                subject_type=SubjectType.CUSTOMER,
                subject_id=outcome.id,
                customer_id=outcome.id,
                kind="customer.deleted",
                summary=(
                    f"Customer {outcome.shopify_id} deleted in Shopify before it was synced"
                    if outcome.reference_only
                    else f"{label} deleted in Shopify"
                ),
                occurred_at=None,
                data={"shopify_id": outcome.shopify_id},
            )
    return outcomes
