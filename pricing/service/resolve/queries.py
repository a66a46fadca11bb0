"""The four statements price_lines runs, built once per database dialect and reused with new values.

Every id list is ONE bound parameter (a '{1,2,3}' array literal on PostgreSQL, a JSON array read by
json_each on SQLite), so the SQL text, SQLAlchemy's compiled form and PostgreSQL's plan are the same
for 1 line or 10,000, and building the statement costs nothing per call.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    Select,
    String,
    and_,
    any_,
    bindparam,
    cast,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection
from sqlalchemy.sql.expression import CompoundSelect
from sqlalchemy.types import NullType

from crm.models import MONEY, CrmProduct, CrmVariant
from pricing import rules
from pricing.models import (
    AdjustmentScope,
    AssignmentTarget,
    CollectionProduct,
    Precedence,
    PriceAdjustment,
    PriceEntry,
    PriceList,
    PriceListAssignment,
    PricingSettings,
    QuantityRule,
    TierKind,
    VolumeTier,
)
from pricing.rules.types import builder
from pricing.service.resolve.driver import DriverSelect

# Thousands of rows per call: built without the frozen dataclasses' per-field __setattr__.
_variant = builder(rules.VariantInfo)
_entry = builder(rules.EntryInfo)
_TIER, _RULE, _ADJUSTMENT, _MEMBER = 1, 2, 3, 4


def ids_value(dialect: str, values: Sequence[Any]) -> Any:
    """The bound value of an id list (or a tag list) for `one_of`."""
    if dialect == "postgresql":
        if values and isinstance(values[0], str):
            return list(values)
        # psycopg's list adapter costs ~20 ms per 1,000 ids on this hardware; this join a tenth of that.
        return "{" + ",".join(str(int(value)) for value in values) + "}"
    return json.dumps(list(values))


def one_of(dialect: str, column: Any, name: str, *, strings: bool = False) -> ColumnElement[bool]:
    """`column IN (:name)` with the whole list bound as one parameter (see ids_value)."""
    if dialect == "postgresql":
        if strings:
            return column == any_(bindparam(name, type_=ARRAY(String())))
        # NullType: no `::VARCHAR` bind cast, so the server types the parameter as an array of the
        # column's own type and parses it once. From a VARCHAR the cast would run again for every row
        # a filter looks at, and `int4 = ANY(int8[])` cannot be hashed: each row compared to each id.
        return column == any_(cast(bindparam(name, type_=NullType()), ARRAY(column.type)))
    # SQLite: a JSON array expanded by json_each; one variable however many ids (no 32,766 limit).
    table = func.json_each(bindparam(name, type_=String())).table_valued("value")
    return column.in_(select(table.c.value))


def among(dialect: str, column: Any, name: str) -> ColumnElement[bool]:
    """`column IN (SELECT unnest(:name))` on PostgreSQL (one_of elsewhere): for filters it need not plan by.

    Planning `column = ANY(:name)` estimates the share of rows matching each of the array's values: ~0.2
    ms of server CPU per 1,000 ids and filter. As a subquery the list is hashed once all the same
    (a hashed SubPlan, or a hash join), and the plan costs ~0.05 ms.
    """
    if dialect != "postgresql":
        return one_of(dialect, column, name)
    ids = cast(bindparam(name, type_=NullType()), ARRAY(column.type))
    return column.in_(select(func.unnest(ids)).scalar_subquery())


@cache
def variants_statement(dialect: str) -> Select[Any]:
    """The requested variants of the shop, with their product's Shopify id.

    The product's id is looked up per variant (a correlated subquery on its primary key; every variant
    has its product) rather than joined: with a join PostgreSQL hashed the shop's whole product table
    to match a 50-variant page (1.6 ms of server CPU against 0.6), and a 1,000-line cart costs the same.
    """
    product_shopify_id = (
        select(CrmProduct.shopify_id).where(CrmProduct.id == CrmVariant.product_id).scalar_subquery()
    )
    return select(
        CrmVariant.id,
        CrmVariant.shopify_id,
        product_shopify_id,
        CrmVariant.price,
        CrmVariant.compare_at_price,
        CrmVariant.currency,
    ).where(CrmVariant.shop_id == bindparam("shop_id"), one_of(dialect, CrmVariant.id, "variant_ids"))


@cache
def lists_statement(dialect: str, for_buyer: bool) -> Select[Any]:
    """The shop's lists with the assignments matching the buyer (or all), and the shop's precedence.

    For a buyer, a list without a matching assignment is kept only when it is in :activate. An
    assignment matches exactly as the engine's test: a NULL buyer id compares as unknown, i.e. false.
    """
    a, pl = PriceListAssignment, PriceList
    precedence = (
        select(PricingSettings.precedence)
        .where(PricingSettings.shop_id == bindparam("shop_id"))
        .scalar_subquery()
    )
    on: ColumnElement[bool] = a.price_list_id == pl.id
    if for_buyer:
        on = and_(
            on,
            or_(
                a.target == AssignmentTarget.DEFAULT,
                a.company_location_id == bindparam("location_id", type_=Integer()),
                a.company_id == bindparam("company_id", type_=Integer()),
                a.customer_id == bindparam("customer_id", type_=Integer()),
                one_of(dialect, func.lower(a.customer_tag), "customer_tags", strings=True),
                one_of(dialect, a.segment_id, "segment_ids"),
            ),
        )
    query = (
        select(
            pl.id,
            pl.name,
            pl.currency,
            pl.status,
            pl.starts_at,
            pl.ends_at,
            pl.priority,
            pl.base,
            pl.order_minimum,
            a.target,
            a.company_location_id,
            a.company_id,
            a.customer_id,
            a.customer_tag,
            a.segment_id,
            precedence.label("precedence"),
        )
        .outerjoin(a, on)
        .where(pl.shop_id == bindparam("shop_id"), ~one_of(dialect, pl.id, "exclude"))
        .order_by(pl.id, a.id)
    )
    if for_buyer:
        query = query.where(or_(a.id.is_not(None), one_of(dialect, pl.id, "activate")))
    return query


@cache
def entries_statement(dialect: str) -> Select[Any]:
    """Fixed prices of the requested variants in the lists that can price."""
    return select(PriceEntry.price_list_id, PriceEntry.variant_id, PriceEntry.price).where(
        one_of(dialect, PriceEntry.price_list_id, "list_ids"),
        one_of(dialect, PriceEntry.variant_id, "variant_ids"),
    )


@cache
def details_statement(dialect: str) -> CompoundSelect:
    """Tiers, quantity rules, adjustments and collection memberships in ONE statement (UNION ALL)."""
    nint, nstr, nmoney = cast(null(), Integer), cast(null(), String), cast(null(), MONEY)
    t, r, adj, cp = VolumeTier, QuantityRule, PriceAdjustment, CollectionProduct
    collection_scoped = select(adj.scope_shopify_id).where(
        one_of(dialect, adj.price_list_id, "list_ids"), adj.scope == AdjustmentScope.COLLECTION
    )
    # Columns: kind, a, b, i1, i2, i3, s, n; each branch says what it puts in them.
    tiers = select(
        literal(_TIER).label("kind"),
        cast(t.price_list_id, BigInteger).label("a"),
        cast(t.variant_id, BigInteger).label("b"),
        t.min_quantity.label("i1"),
        nint.label("i2"),
        nint.label("i3"),
        cast(t.kind, String).label("s"),
        cast(t.value, MONEY).label("n"),
    ).where(
        one_of(dialect, t.price_list_id, "list_ids"),
        or_(t.variant_id.is_(None), among(dialect, t.variant_id, "variant_ids")),
    )
    quantity_rules = select(
        literal(_RULE),
        cast(r.price_list_id, BigInteger),
        cast(r.variant_id, BigInteger),
        r.minimum,
        r.maximum,
        r.increment,
        nstr,
        nmoney,
    ).where(
        one_of(dialect, r.price_list_id, "list_ids"),
        or_(r.variant_id.is_(None), among(dialect, r.variant_id, "variant_ids")),
    )
    adjustments = select(
        literal(_ADJUSTMENT),
        cast(adj.price_list_id, BigInteger),
        adj.scope_shopify_id,
        nint,
        nint,
        nint,
        cast(adj.scope, String),
        cast(adj.percent, MONEY),
    ).where(one_of(dialect, adj.price_list_id, "list_ids"))
    members = select(
        literal(_MEMBER), cp.collection_shopify_id, cp.product_shopify_id, nint, nint, nint, nstr, nmoney
    ).where(
        cp.shop_id == bindparam("shop_id"),
        cp.collection_shopify_id.in_(collection_scoped),
        among(dialect, cp.product_shopify_id, "product_ids"),
    )
    return union_all(tiers, quantity_rules, adjustments, members)


def _rows(
    conn: Connection,
    statement: Select[Any] | CompoundSelect,
    params: dict[str, Any],
    prepare: bool | None = None,
) -> Sequence[Any]:
    """The statement's rows as tuples: on psycopg's own cursor (see .driver), else through SQLAlchemy."""
    if conn.dialect.driver == "psycopg":
        return _on_driver(statement, prepare).rows(conn, params)
    return conn.execute(statement, params).all()  # fetched at once: a third cheaper than row by row


@cache
def _on_driver(statement: Select[Any] | CompoundSelect, prepare: bool | None) -> DriverSelect:
    return DriverSelect(statement, prepare=prepare)


def load_variants(conn: Connection, shop_id: int, ids: Any) -> tuple[rules.VariantInfo, ...]:
    """The shop's variants among `ids` (bound by ids_value; others are simply absent)."""
    rows = _rows(conn, variants_statement(conn.dialect.name), {"shop_id": shop_id, "variant_ids": ids})
    return tuple([_variant(*row) for row in rows])


def load_lists(
    conn: Connection,
    shop_id: int,
    buyer: rules.Buyer | None,
    activate: Sequence[int],
    exclude: Sequence[int],
) -> tuple[Precedence, tuple[rules.ListInfo, ...]]:
    """The shop's precedence and the lists assigned to the buyer (all without one), or activated."""
    dialect = conn.dialect.name
    params: dict[str, Any] = {"shop_id": shop_id, "exclude": ids_value(dialect, exclude)}
    if buyer is not None:
        params.update(
            location_id=buyer.company_location_id,
            company_id=buyer.company_id,
            customer_id=buyer.customer_id,
            customer_tags=ids_value(dialect, sorted(buyer.customer_tags)) if buyer.customer_tags else None,
            segment_ids=ids_value(dialect, sorted(buyer.segment_ids)),
            activate=ids_value(dialect, activate),
        )
        if dialect != "postgresql" and params["customer_tags"] is None:
            params["customer_tags"] = "[]"
    rows = _rows(conn, lists_statement(dialect, buyer is not None), params)
    headers: dict[int, tuple[Any, ...]] = {}
    assignments: dict[int, list[rules.AssignmentInfo]] = {}
    found = Precedence.LOWEST_PRICE
    for row in rows:
        list_id, precedence, target = row[0], row[15], row[9]
        if precedence is not None:
            found = Precedence(precedence)
        headers.setdefault(list_id, tuple(row[:9]))
        bucket = assignments.setdefault(list_id, [])
        if target is not None:
            bucket.append(rules.AssignmentInfo(*row[9:15]))
    lists = tuple(
        rules.ListInfo(*header, assignments=tuple(assignments[list_id]))
        for list_id, header in headers.items()
    )
    return found, lists


def load_entries(conn: Connection, live: Sequence[int], ids: Any) -> tuple[rules.EntryInfo, ...]:
    """Fixed prices of `ids` (bound by ids_value) in the `live` lists."""
    dialect = conn.dialect.name
    params = {"list_ids": ids_value(dialect, live), "variant_ids": ids}
    # Planned for its values each time (unprepared). Read-only units of work roll back, and psycopg
    # forgets what it prepared at each rollback, so this is how it runs today; but after 5 runs on a
    # connection whose transactions commit (or in one transaction) psycopg would prepare it, and
    # PostgreSQL's generic plan, guessing 10 ids per array, probes the variant index and reads every
    # list's entries of each variant: ~10,000 rows for a 1,000-line cart, 4.5 ms of server CPU
    # against ~2.3 ms planned with the values (planning included), on the bench data.
    rows = _rows(conn, entries_statement(dialect), params, prepare=False)
    return tuple([_entry(*row) for row in rows])


def load_details(
    conn: Connection, shop_id: int, live: Sequence[int], ids: Any, products: Sequence[int]
) -> tuple[tuple[Any, ...], ...]:
    """(adjustments, tiers, quantity rules, collection memberships) of the `live` lists for `ids` (bound)."""
    dialect = conn.dialect.name
    params = {
        "shop_id": shop_id,
        "list_ids": ids_value(dialect, live),
        "variant_ids": ids,
        "product_ids": ids_value(dialect, products),
    }
    found: dict[int, list[Any]] = {_TIER: [], _RULE: [], _ADJUSTMENT: [], _MEMBER: []}
    for kind, a, b, i1, i2, i3, s, n in _rows(conn, details_statement(dialect), params):
        if kind == _TIER:
            found[kind].append(rules.TierInfo(a, b, i1, TierKind(s), n))
        elif kind == _RULE:
            found[kind].append(rules.RuleInfo(a, b, i1, i2, i3))
        elif kind == _ADJUSTMENT:
            found[kind].append(rules.AdjustmentInfo(a, AdjustmentScope(s), b, n))
        else:
            found[kind].append((a, b))
    return tuple(tuple(found[kind]) for kind in (_ADJUSTMENT, _TIER, _RULE, _MEMBER))
