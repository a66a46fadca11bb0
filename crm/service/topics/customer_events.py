"""Customer topics that change one aspect of a customer: purchasing summary, tags, email marketing consent."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update

from app.db import UnitOfWork, utcnow
from app.errors import InvalidInput
from app.money import normalize_currency
from crm import payloads, rules
from crm.models import CrmCustomer, CrmCustomerTag, MarketingState, SubjectType
from crm.models_drafts import CrmCustomerTagChange, CrmPurchasingSummary
from crm.service._engine import SyncAction
from crm.service.customers import customer_label
from crm.service.topics._call import (
    DEFAULT_ACTOR,
    _Call,
    _customer_values,
    _object,
    _required_id,
    _upsert_stmt,
)

# -- customers/purchasing_summary --------------------------------------------------------------


def record_purchasing_summary(uow: UnitOfWork, *, shop_id: int, payload: Mapping[str, Any]) -> bool:
    """customers/purchasing_summary: keep Shopify's lifetime count and spend; True when it was applied.

    Only a summary newer (by `occurredAt`) than the stored one applies. Tradeline's own rollups are
    untouched: they count the orders Tradeline holds, and the two differ when orders are missing.
    """
    payload = _object(payload, "customers/purchasing_summary")
    customer_sid = _required_id(payload, "customerId", "Customer")
    occurred_at = payloads.parse_datetime(payload.get("occurredAt"))
    if occurred_at is None:
        raise InvalidInput("the purchasing summary has no occurredAt")
    orders = payload.get("numberOfOrders")
    if isinstance(orders, bool) or not isinstance(orders, int | str) or not str(orders).isdigit():
        raise InvalidInput(f"{orders!r} is not a number of orders")
    spent = payload.get("amountSpent")
    if not isinstance(spent, Mapping):
        raise InvalidInput("the purchasing summary has no amountSpent")
    amount = payloads.parse_money(spent.get("amount"))
    if amount is None:
        raise InvalidInput("the purchasing summary's amountSpent has no amount")
    last = payload.get("lastOrderId")
    call = _Call(uow, shop_id, DEFAULT_ACTOR)
    customer_id = call.customer(customer_sid)
    table = CrmPurchasingSummary.__table__
    values = {
        "shop_id": shop_id,
        "customer_id": customer_id,
        "orders_count": int(orders),
        "amount_spent": amount,
        "currency": normalize_currency(spent.get("currencyCode")),
        "last_order_shopify_id": payloads.parse_id(last, "Order") if last is not None else None,
        "occurred_at": occurred_at,
        "updated_at": utcnow(),
    }
    stmt = _upsert_stmt(call.session, table).values(values)
    stmt = stmt.on_conflict_do_update(
        index_elements=["customer_id"],
        set_={k: stmt.excluded[k] for k in values if k not in ("shop_id", "customer_id")},
        where=table.c.occurred_at < stmt.excluded.occurred_at,
    ).returning(table.c.id)
    applied = call.session.execute(stmt).first() is not None
    call.finish()
    return applied


# -- customer.tags_added / customer.tags_removed -----------------------------------------------


def add_customer_tags(
    uow: UnitOfWork, *, shop_id: int, payload: Mapping[str, Any], actor: str = DEFAULT_ACTOR
) -> list[str]:
    """customer.tags_added: the tags the customer gained (none when a newer removal is known)."""
    return _change_tags(uow, shop_id=shop_id, payload=payload, actor=actor, present=True)


def remove_customer_tags(
    uow: UnitOfWork, *, shop_id: int, payload: Mapping[str, Any], actor: str = DEFAULT_ACTOR
) -> list[str]:
    """customer.tags_removed: the tags the customer lost (none when a newer addition is known)."""
    return _change_tags(uow, shop_id=shop_id, payload=payload, actor=actor, present=False)


def _change_tags(
    uow: UnitOfWork, *, shop_id: int, payload: Mapping[str, Any], actor: str, present: bool
) -> list[str]:
    payload = _object(payload, "customer tags")
    customer_sid = _required_id(payload, "customerId", "Customer")
    occurred_at = payloads.parse_datetime(payload.get("occurredAt"))
    if occurred_at is None:
        raise InvalidInput("the tag event has no occurredAt")
    tags = payloads.parse_tags(payload.get("tags"))
    if not tags:
        return []
    call = _Call(uow, shop_id, actor)
    session = call.session
    customer_id = call.customer(customer_sid)
    changes = CrmCustomerTagChange.__table__
    by_key = {tag.casefold(): tag for tag in tags}
    stmt = _upsert_stmt(session, changes).values(
        [
            {
                "shop_id": shop_id,
                "customer_id": customer_id,
                "tag_key": key,
                "present": present,
                "occurred_at": occurred_at,
            }
            for key in by_key
        ]
    )
    # Per tag, only an event newer than the last one seen applies: an older add cannot undo a removal.
    stmt = stmt.on_conflict_do_update(
        index_elements=["customer_id", "tag_key"],
        set_={"present": stmt.excluded.present, "occurred_at": stmt.excluded.occurred_at},
        where=changes.c.occurred_at < stmt.excluded.occurred_at,
    ).returning(changes.c.tag_key)
    winning = {row.tag_key for row in session.execute(stmt)}
    tag_table = CrmCustomerTag.__table__
    current = {
        row.tag.casefold(): row.tag
        for row in session.execute(select(tag_table.c.tag).where(tag_table.c.customer_id == customer_id))
    }
    if present:
        changed = [by_key[key] for key in by_key if key in winning and key not in current]
        if changed:
            session.execute(
                insert(tag_table),
                [{"shop_id": shop_id, "customer_id": customer_id, "tag": t} for t in changed],
            )
    else:
        changed = [current[key] for key in by_key if key in winning and key in current]
        if changed:
            session.execute(
                tag_table.delete().where(tag_table.c.customer_id == customer_id, tag_table.c.tag.in_(changed))
            )
    if changed:
        label = customer_label(
            _customer_values(session, customer_id, ("first_name", "last_name", "email")), customer_sid
        )
        verb = "added" if present else "removed"
        call.events.add(
            subject_type=SubjectType.CUSTOMER,
            subject_id=customer_id,
            customer_id=customer_id,
            kind=f"customer.tags_{verb}",
            summary=f"{label}: tags {verb}: {payloads.format_tags(changed)}",
            occurred_at=occurred_at,
            data={"tags": changed},
        )
    call.finish()
    return changed


# -- customers_email_marketing_consent/update ---------------------------------------------------


def update_email_marketing_consent(
    uow: UnitOfWork, *, shop_id: int, payload: Mapping[str, Any], actor: str = DEFAULT_ACTOR
) -> SyncAction:
    """customers_email_marketing_consent/update: the consent, unless the stored one is newer.

    Consent is ordered by its `consent_updated_at`; a payload without one cannot prove it is newer
    than a dated stored consent and is ignored then.
    """
    payload = _object(payload, "email marketing consent")
    customer_sid = _required_id(payload, "customer_id", "Customer")
    consent = payload.get("email_marketing_consent")
    if not isinstance(consent, Mapping):
        raise InvalidInput("the payload has no email_marketing_consent")
    state = payloads.parse_enum(MarketingState, consent.get("state"), unknown=MarketingState.UNKNOWN)
    level = consent.get("opt_in_level")
    if level is not None and not isinstance(level, str):
        raise InvalidInput(f"{level!r} is not an opt-in level")
    consent_at = payloads.parse_datetime(consent.get("consent_updated_at"))
    call = _Call(uow, shop_id, actor)
    customer_id = call.customer(customer_sid)
    columns = ("email_marketing_state", "email_marketing_opt_in_level", "email_marketing_updated_at")
    stored = _customer_values(call.session, customer_id, ("first_name", "last_name", "email", *columns))
    stored_at: datetime | None = stored["email_marketing_updated_at"]
    new = {
        "email_marketing_state": state,
        "email_marketing_opt_in_level": level[:32] if level else None,
        "email_marketing_updated_at": consent_at,
    }
    if stored_at is not None and (consent_at is None or consent_at < stored_at):
        action = SyncAction.STALE
    else:
        diff = rules.changes(stored, new, columns)
        action = SyncAction.UPDATED if diff else SyncAction.UNCHANGED
    if action is SyncAction.UPDATED:
        table = CrmCustomer.__table__
        call.session.execute(
            update(table).where(table.c.id == customer_id).values(**new, updated_at=utcnow())
        )
        call.events.add(
            subject_type=SubjectType.CUSTOMER,
            subject_id=customer_id,
            customer_id=customer_id,
            kind="customer.updated",
            summary=f"{customer_label(stored, customer_sid)}: {rules.describe_changes(diff)}",
            occurred_at=consent_at,
            data={"changes": diff},
        )
    call.finish()
    return action
