"""CRM use cases for the webhook topics beyond plain upserts and deletes.

customers/merge, customers/purchasing_summary, customer.tags_added / tags_removed,
customers_email_marketing_consent/update, draft_orders/update and shop/update. Like the rest of
crm.service, each takes the payload as Shopify sends it, is idempotent (the same payload twice
changes nothing the second time), lets the newest information win whatever the delivery order,
writes one timeline event per change in the caller's transaction and never commits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Table, UniqueConstraint, exists, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.db import UnitOfWork, utcnow
from app.errors import InvalidInput
from app.model_registry import metadata
from app.models import Shop
from app.money import normalize_currency
from app.shops import get_shop, normalize_shop_domain
from crm import payloads, rules
from crm.models import CrmCustomer, CrmCustomerTag, MarketingState, SubjectType
from crm.models_drafts import CrmCustomerTagChange, CrmDraftOrder, CrmPurchasingSummary, DraftOrderStatus
from crm.payloads import Record
from crm.service._engine import (
    EventLog,
    SyncAction,
    SyncOutcome,
    is_postgres,
    shop_currency,
    soft_delete,
    sync,
)
from crm.service.customers import TRACKED as CUSTOMER_TRACKED
from crm.service.customers import customer_label, sync_customers
from crm.service.rollups import recompute_customer_rollups

DEFAULT_ACTOR = "shopify"
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
# Tables whose customer links a merge does not simply re-point: tags are merged ignoring case, and
# Shopify's purchasing summary of the merged-away customer stays with it (Shopify sends the kept
# customer's new summary after the merge).
MERGE_SPECIAL_TABLES = frozenset({"crm_customer", "crm_customer_tag", "crm_purchasing_summary"})
SHOP_FIELD_CHARS = {"name": 255, "email": 320, "plan": 64, "timezone": 64}


class _Call:
    """One service call: pending ORM state flushed first, events written and the session expired last."""

    def __init__(self, uow: UnitOfWork, shop_id: int, actor: str) -> None:
        self.session: Session = uow.session
        self.shop_id = shop_id
        self.session.flush()
        self.currency = shop_currency(self.session, shop_id)
        self.events = EventLog(shop_id=shop_id, actor=actor)

    def customer(self, shopify_id: int) -> int:
        """The row id of a customer, created as a placeholder (known by reference) when never seen."""
        outcomes = sync_customers(
            self.session,
            shop_id=self.shop_id,
            currency=self.currency,
            records=[Record(shopify_id, None)],
            events=self.events,
        )
        row_id = outcomes[shopify_id].id
        assert row_id is not None
        return row_id

    def finish(self) -> None:
        self.events.write(self.session)
        self.session.expire_all()


def _object(payload: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(payload, Mapping):
        raise InvalidInput(f"a {what} payload must be a JSON object")
    return payload


def _required_id(payload: Mapping[str, Any], key: str, kind: str) -> int:
    if payload.get(key) is None:
        raise InvalidInput(f"the payload has no {key}")
    return payloads.parse_id(payload[key], kind)


def _customer_values(session: Session, customer_id: int, columns: tuple[str, ...]) -> dict[str, Any]:
    table = CrmCustomer.__table__
    row = session.execute(select(*[table.c[c] for c in columns]).where(table.c.id == customer_id)).one()
    return dict(row._mapping)


def _upsert_stmt(session: Session, table: Table) -> Any:
    return (postgresql if is_postgres(session) else sqlite).insert(table)


# -- customers/merge ---------------------------------------------------------------------------


@dataclass(frozen=True)
class MergeResult:
    """What a merge did: the kept customer's row, and how many rows of each table now point at it."""

    kept_id: int | None
    merged: bool
    moved: dict[str, int] = field(default_factory=dict)
    tags_added: tuple[str, ...] = ()


def merge_customers(
    uow: UnitOfWork, *, shop_id: int, payload: Mapping[str, Any], actor: str = DEFAULT_ACTOR
) -> MergeResult:
    """customers/merge: everything of the merged-away customer moves to the kept one, which it joins.

    Orders, company memberships, draft orders, the activity feed and every other row that links to
    a customer (notes, tasks, quotes: any table with a foreign key to crm_customer) are re-pointed,
    except where the kept customer already has the one row a unique key allows; tags are merged
    ignoring case; the merged-away customer is soft-deleted (a tombstone when never seen, so a late
    create cannot bring it back). A merge Shopify reports as failed or still running changes nothing.
    """
    payload = _object(payload, "customers/merge")
    kept_sid = _required_id(payload, "admin_graphql_api_customer_kept_id", "Customer")
    gone_sid = _required_id(payload, "admin_graphql_api_customer_deleted_id", "Customer")
    if kept_sid == gone_sid:
        raise InvalidInput("a merge keeps and deletes the same customer")
    if payload.get("status") != "completed":
        return MergeResult(kept_id=None, merged=False)
    call = _Call(uow, shop_id, actor)
    session = call.session
    kept_id = call.customer(kept_sid)
    table = CrmCustomer.__table__
    gone = session.execute(
        select(table.c.id, table.c.deleted_at, table.c.company_id).where(
            table.c.shop_id == shop_id, table.c.shopify_id == gone_sid
        )
    ).one_or_none()
    newly_deleted = False
    if gone is None:
        outcome = soft_delete(
            session,
            shop_id=shop_id,
            table=table,  # type: ignore[arg-type]
            shopify_ids=[gone_sid],
            tracked=CUSTOMER_TRACKED,
            defaults={"currency": call.currency},
        )[gone_sid]
        gone_id, gone_company, newly_deleted = outcome.id, None, outcome.action is SyncAction.DELETED
    else:
        gone_id, gone_company = gone.id, gone.company_id
        if gone.deleted_at is None:
            now = utcnow()
            session.execute(update(table).where(table.c.id == gone_id).values(deleted_at=now, updated_at=now))
            newly_deleted = True
    assert gone_id is not None
    labels = {
        "kept": customer_label(
            _customer_values(session, kept_id, ("first_name", "last_name", "email")), kept_sid
        ),
        "gone": customer_label(
            _customer_values(session, gone_id, ("first_name", "last_name", "email")), gone_sid
        ),
    }
    moved = _repoint_customer_links(session, kept_id=kept_id, gone_id=gone_id)
    tags_added = _merge_tags(session, shop_id=shop_id, kept_id=kept_id, gone_id=gone_id)
    if gone_company is not None:
        session.execute(
            update(table)
            .where(table.c.id == kept_id, table.c.company_id.is_(None))
            .values(company_id=gone_company, updated_at=utcnow())
        )
    recompute_customer_rollups(session, shop_id=shop_id, customer_ids={kept_id, gone_id})
    merged = newly_deleted or any(moved.values()) or bool(tags_added)
    if merged:
        call.events.add(
            subject_type=SubjectType.CUSTOMER,
            subject_id=kept_id,
            customer_id=kept_id,
            kind="customer.merged",
            summary=f"{labels['gone']} merged into {labels['kept']}",
            occurred_at=None,
            data={"merged_shopify_id": gone_sid, "moved": moved, "tags_added": list(tags_added)},
        )
    call.finish()
    return MergeResult(kept_id=kept_id, merged=merged, moved=moved, tags_added=tuple(tags_added))


def _repoint_customer_links(session: Session, *, kept_id: int, gone_id: int) -> dict[str, int]:
    """Point every customer foreign key from `gone_id` to `kept_id`; {table: rows moved}."""
    customer_id = CrmCustomer.__table__.c.id
    moved: dict[str, int] = {}
    for table in metadata.sorted_tables:
        if table.name in MERGE_SPECIAL_TABLES:
            continue
        for fk in table.foreign_keys:
            if fk.column is not customer_id:
                continue
            column = fk.parent
            condition = column == gone_id
            # A unique key with the customer in it (one sales rep per customer, say): leave the
            # merged-away row where the kept customer already has one.
            for unique in _unique_keys(table, column.name):
                twin = table.alias()
                condition = condition & ~exists(
                    select(1)
                    .select_from(twin)
                    .where(
                        twin.c[column.name] == kept_id,
                        *[twin.c[c] == table.c[c] for c in unique if c != column.name],
                    )
                )
            result = session.execute(update(table).where(condition).values({column.name: kept_id}))
            if result.rowcount:
                moved[f"{table.name}.{column.name}"] = result.rowcount
    return moved


def _unique_keys(table: Table, column: str) -> list[tuple[str, ...]]:
    keys = [
        tuple(c.name for c in constraint.columns)
        for constraint in table.constraints
        if isinstance(constraint, UniqueConstraint)
    ]
    keys += [tuple(c.name for c in index.columns) for index in table.indexes if index.unique]
    return [key for key in keys if column in key]


def _merge_tags(session: Session, *, shop_id: int, kept_id: int, gone_id: int) -> list[str]:
    """Give the kept customer the merged-away customer's tags it lacks (ignoring case)."""
    table = CrmCustomerTag.__table__
    rows = session.execute(
        select(table.c.customer_id, table.c.tag).where(table.c.customer_id.in_((kept_id, gone_id)))
    ).all()
    have = {tag.casefold() for customer, tag in rows if customer == kept_id}
    added: list[str] = []
    for customer, tag in sorted(rows, key=lambda r: r.tag):
        if customer == gone_id and tag.casefold() not in have:
            have.add(tag.casefold())
            added.append(tag)
    if added:
        session.execute(
            insert(table), [{"shop_id": shop_id, "customer_id": kept_id, "tag": t} for t in added]
        )
    return added


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


# -- draft_orders/update ----------------------------------------------------------------------


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


# -- shop/update --------------------------------------------------------------------------------


def apply_shop_update(uow: UnitOfWork, *, shop_id: int, payload: Mapping[str, Any]) -> dict[str, list[Any]]:
    """shop/update: the shop's name, email, plan, currency, time zone and Shopify id; {field: [old, new]}.

    The payload must describe this shop: a `myshopify_domain` naming another one is refused rather
    than written onto the wrong tenant.
    """
    payload = _object(payload, "shop")
    shop: Shop = get_shop(uow, shop_id=shop_id)
    domain = payload.get("myshopify_domain")
    if domain is not None and normalize_shop_domain(str(domain)) != shop.domain:
        raise InvalidInput(f"the shop/update payload describes {domain!r}, not {shop.domain}")
    new: dict[str, Any] = {}
    sources = {"name": "name", "email": "email", "plan": "plan_display_name", "timezone": "iana_timezone"}
    for column, key in sources.items():
        value = payload.get(key)
        if isinstance(value, str) and value.strip():
            new[column] = value.strip()[: SHOP_FIELD_CHARS[column]]
    if payload.get("currency"):
        new["currency"] = normalize_currency(payload["currency"])
    if payload.get("id") is not None:
        new["shopify_id"] = payloads.parse_id(payload["id"], "Shop")
    diff = {k: [getattr(shop, k), v] for k, v in new.items() if getattr(shop, k) != v}
    for column, (_, value) in diff.items():
        setattr(shop, column, value)
    uow.session.flush()
    return diff


__all__ = [
    "MergeResult",
    "add_customer_tags",
    "apply_shop_update",
    "merge_customers",
    "record_purchasing_summary",
    "remove_customer_tags",
    "update_email_marketing_consent",
    "upsert_draft_order",
]
