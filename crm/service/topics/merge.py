"""customers/merge: move everything of the merged-away customer to the kept one."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, UniqueConstraint, exists, insert, select, update
from sqlalchemy.orm import Session

from app.db import UnitOfWork, utcnow
from app.errors import InvalidInput
from app.model_registry import metadata
from crm.models import CrmCustomer, CrmCustomerTag, SubjectType
from crm.service._engine import SyncAction, soft_delete
from crm.service.customers import TRACKED as CUSTOMER_TRACKED
from crm.service.customers import customer_label
from crm.service.rollups import recompute_customer_rollups
from crm.service.topics._call import DEFAULT_ACTOR, _Call, _customer_values, _object, _required_id

# Tables whose customer links a merge does not simply re-point: tags are merged ignoring case, and
# Shopify's purchasing summary of the merged-away customer stays with it (Shopify sends the kept
# customer's new summary after the merge).
MERGE_SPECIAL_TABLES = frozenset({"crm_customer", "crm_customer_tag", "crm_purchasing_summary"})


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
