"""Lifetime rollups per customer and per company, recomputed exactly from the orders table.

Each recompute is one `UPDATE .. FROM (aggregate)` per chunk of ids (or one for the whole shop),
never an increment, so any delivery order, duplicate or replay of order payloads gives the same
numbers. Shop-wide, the aggregate is a single grouped pass over the shop's orders, so its cost does
not depend on the planner guessing well on tables that grew inside the same transaction (a
backfill). For a chunk of ids on PostgreSQL each row's figures come from LATERAL subqueries that
walk that customer's (or company's) own orders by index: a grouped pass joined to the chunk was
planned as nested loops re-running the aggregate once per row whenever the statistics said the
shop had few orders (a new shop, or one growing in the same transaction), ~0.2 s per 500 orders.
Counted orders: not cancelled, not deleted, not test. Spend: the sum of their
`current_total_price` (after refunds and edits), in the shop's currency.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    FromClause,
    Table,
    and_,
    false,
    func,
    literal_column,
    select,
    true,
    update,
)
from sqlalchemy.orm import Session

from app.models import Shop
from crm.models import CrmCompany, CrmCompanyContact, CrmCompanyLocation, CrmCustomer, CrmOrder
from crm.service._engine import chunks

# Above this many ids one shop-wide statement is cheaper than many IN (...) lists.
SHOP_WIDE_THRESHOLD = 2000


def _id_batches(ids: Iterable[int] | None) -> Iterator[list[int] | None]:
    wanted = None if ids is None else sorted(set(ids))
    if wanted is None or len(wanted) > SHOP_WIDE_THRESHOLD:
        yield None
    else:
        yield from chunks(wanted)


def _per_owner(session: Session, ids: list[int] | None) -> bool:
    """LATERAL subqueries per row: for a chunk of ids on PostgreSQL (SQLite has no LATERAL)."""
    return ids is not None and session.get_bind().dialect.name == "postgresql"


def _counted(orders: Table, shop_id: int) -> ColumnElement[bool]:
    return and_(
        orders.c.shop_id == shop_id,
        orders.c.cancelled_at.is_(None),
        orders.c.deleted_at.is_(None),
        orders.c.test == false(),
    )


@dataclass(frozen=True)
class _Source:
    """A derived table of per-owner figures and how it joins the target (ON clause from its columns)."""

    table: FromClause
    joined_on: Callable[[FromClause, Table], ColumnElement[bool]]


def _by_owner(sub: FromClause, target: Table) -> ColumnElement[bool]:
    return sub.c.owner_id == target.c.id  # type: ignore[no-any-return]


def _first_of_owner(sub: FromClause, target: Table) -> ColumnElement[bool]:
    return and_(sub.c.owner_id == target.c.id, sub.c.rank == 1)


def _lateral(sub: FromClause, target: Table) -> ColumnElement[bool]:
    return true()


def _order_stats(link: str, shop_id: int, ids: list[int] | None, target: Table, lateral: bool) -> _Source:
    """Per customer (or company): counted orders, spend, first and last order time."""
    orders = CrmOrder.__table__
    figures = [
        func.count().label("orders_count"),
        func.sum(orders.c.current_total_price).label("total_spent"),
        func.min(orders.c.processed_at).label("first_order_at"),
        func.max(orders.c.processed_at).label("last_order_at"),
    ]
    if lateral:
        owned = select(*figures).where(_counted(orders, shop_id), orders.c[link] == target.c.id)  # type: ignore[arg-type]
        return _Source(owned.lateral("stats"), _lateral)
    stmt = select(orders.c[link].label("owner_id"), *figures).where(
        _counted(orders, shop_id),  # type: ignore[arg-type]
        orders.c[link].is_not(None),
    )
    if ids is not None:
        stmt = stmt.where(orders.c[link].in_(ids))
    return _Source(stmt.group_by(orders.c[link]).subquery("stats"), _by_owner)


def _first_ranked(
    table: Table,
    owner: str,
    value: str,
    order_by: list[ColumnElement[Any]],
    where: list[ColumnElement[bool]],
    ids: list[int] | None,
    target: Table,
    lateral: bool,
) -> _Source:
    """Each owner's `value` of its first row by `order_by`: per owner by index (lateral), or a window
    function in one pass."""
    if lateral:
        first = select(table.c[value].label("value")).where(*where, table.c[owner] == target.c.id)
        return _Source(first.order_by(*order_by).limit(1).lateral(), _lateral)
    rank = func.row_number().over(partition_by=table.c[owner], order_by=order_by).label("rank")
    stmt = select(table.c[owner].label("owner_id"), table.c[value].label("value"), rank).where(*where)
    if ids is not None:
        stmt = stmt.where(table.c[owner].in_(ids))
    return _Source(stmt.subquery(), _first_of_owner)


def _apply(
    session: Session,
    target: Table,
    shop_id: int,
    ids: list[int] | None,
    stats_source: _Source,
    extra_sources: dict[str, _Source],
) -> None:
    """UPDATE target FROM (target LEFT JOIN stats LEFT JOIN each extra's first row)."""
    stats = stats_source.table
    source = target.outerjoin(stats, stats_source.joined_on(stats, target))
    for sub in extra_sources.values():
        source = source.outerjoin(sub.table, sub.joined_on(sub.table, target))
    extra = {column: sub.table for column, sub in extra_sources.items()}
    zero = literal_column("0")
    rows = (
        select(
            target.c.id.label("target_id"),
            func.coalesce(stats.c.orders_count, zero).label("orders_count"),
            func.coalesce(stats.c.total_spent, zero).label("total_spent"),
            stats.c.first_order_at,
            stats.c.last_order_at,
            *[sub.c.value.label(column) for column, sub in extra.items()],
        )
        .select_from(source)
        .where(target.c.shop_id == shop_id)
    )
    if ids is not None:
        rows = rows.where(target.c.id.in_(ids))
    agg = rows.subquery("agg")
    currency = select(Shop.currency).where(Shop.id == shop_id).scalar_subquery()
    values = {
        "orders_count": agg.c.orders_count,
        "total_spent": agg.c.total_spent,
        "first_order_at": agg.c.first_order_at,
        "last_order_at": agg.c.last_order_at,
        "currency": currency,
        **{column: agg.c[column] for column in extra},
    }
    session.execute(update(target).where(target.c.id == agg.c.target_id).values(values))


def recompute_customer_rollups(
    session: Session, *, shop_id: int, customer_ids: Iterable[int] | None = None
) -> None:
    """Orders, spend, first/last order, acquisition source and primary company (None: every customer)."""
    target: Table = CrmCustomer.__table__  # type: ignore[assignment]
    orders: Table = CrmOrder.__table__  # type: ignore[assignment]
    contacts: Table = CrmCompanyContact.__table__  # type: ignore[assignment]
    for ids in _id_batches(customer_ids):
        lateral = _per_owner(session, ids)
        first_source = _first_ranked(
            orders,
            "customer_id",
            "acquisition_source",
            [orders.c.processed_at, orders.c.shopify_id],
            [_counted(orders, shop_id), orders.c.processed_at.is_not(None)],
            ids,
            target,
            lateral,
        )
        # The company the customer first became a contact of, by Shopify's creation time: the
        # same answer whatever order the contact payloads arrived in.
        primary_company = _first_ranked(
            contacts,
            "customer_id",
            "company_id",
            [contacts.c.shopify_created_at.is_(None), contacts.c.shopify_created_at, contacts.c.shopify_id],
            [contacts.c.shop_id == shop_id, contacts.c.deleted_at.is_(None)],
            ids,
            target,
            lateral,
        )
        _apply(
            session,
            target,
            shop_id,
            ids,
            _order_stats("customer_id", shop_id, ids, target, lateral),
            {"acquisition_source": first_source, "company_id": primary_company},
        )


def recompute_company_rollups(
    session: Session, *, shop_id: int, company_ids: Iterable[int] | None = None
) -> None:
    """Orders, spend, first/last order and payment terms (None: every company)."""
    target: Table = CrmCompany.__table__  # type: ignore[assignment]
    locations: Table = CrmCompanyLocation.__table__  # type: ignore[assignment]
    for ids in _id_batches(company_ids):
        lateral = _per_owner(session, ids)
        terms = _first_ranked(
            locations,
            "company_id",
            "payment_terms_name",
            [
                locations.c.shopify_created_at.is_(None),
                locations.c.shopify_created_at,
                locations.c.shopify_id,
            ],
            [
                locations.c.shop_id == shop_id,
                locations.c.deleted_at.is_(None),
                locations.c.payment_terms_name.is_not(None),
            ],
            ids,
            target,
            lateral,
        )
        _apply(
            session,
            target,
            shop_id,
            ids,
            _order_stats("company_id", shop_id, ids, target, lateral),
            {"payment_terms_name": terms},
        )
