"""The orders fast path on PostgreSQL: a batch's COPY text in, a few set-based statements, no rows back.

Same rules as `webhooks.backfill.orders_fast` (newest wins, lines replaced for written orders,
placeholders for unseen customers, companies and locations, one `order.imported` event per batch),
but the batch arrives as COPY text (`webhooks.backfill.order_rows`) that names customers, companies,
locations and orders by Shopify id, and PostgreSQL joins those to row ids itself. The importer's
Python work per batch is then streaming two buffers and sending six statements; it no longer
fetches the written orders' ids to build each line's row.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Table, select

from app.db import UnitOfWork, utcnow
from app.errors import NotFound
from app.models import Shop
from webhooks.backfill.order_rows import LINE_COLUMNS, ORDER_COLUMNS, OrderRows
from webhooks.backfill.orders_fast import (
    COMPANIES,
    CUSTOMERS,
    LINES,
    LOCATIONS,
    ORDERS,
    OrdersResult,
    record_import_event,
)
from webhooks.backfill.upserts import scalar_defaults

TMP_ORDERS = "tmp_backfill_order_rows"
TMP_LINES = "tmp_backfill_line_rows"
TMP_WRITTEN = "tmp_backfill_written"
# Columns of the temporary order rows that are not crm_order columns: references by Shopify id.
_REFERENCES = {
    "customer_sid": "customer_id",
    "company_sid": "company_id",
    "location_sid": "company_location_id",
}
_ORDER_VALUES = [name for name in ORDER_COLUMNS if name not in _REFERENCES and name != "shopify_id"]
_LINE_VALUES = [name for name in LINE_COLUMNS if name not in ("order_sid", "shopify_id")]


def _select_list(names: list[str], prefix: str = "") -> str:
    return ", ".join(
        f"NULL::bigint AS {name}" if name in _REFERENCES or name == "order_sid" else f"{prefix}{name}"
        for name in names
    )


def _create_temp_tables(cursor: Any) -> None:
    # Typed like the target columns (CREATE .. AS .. WITH NO DATA), dropped with the transaction.
    cursor.execute(
        f"CREATE TEMP TABLE IF NOT EXISTS {TMP_ORDERS} ON COMMIT DROP AS "
        f"SELECT {_select_list(list(ORDER_COLUMNS))} FROM {ORDERS.name} WITH NO DATA"
    )
    cursor.execute(
        f"CREATE TEMP TABLE IF NOT EXISTS {TMP_LINES} ON COMMIT DROP AS "
        f"SELECT {_select_list(list(LINE_COLUMNS))} FROM {LINES.name} WITH NO DATA"
    )
    cursor.execute(
        f"CREATE TEMP TABLE IF NOT EXISTS {TMP_WRITTEN} (id integer, shopify_id bigint, inserted boolean) "
        "ON COMMIT DROP"
    )


def _stored(target: Table, ids: str) -> str:
    """The shop's rows of `target` among the Shopify ids in parameter `ids`: (shopify_id, id).

    An `= ANY(array)` on both columns of the unique index: PostgreSQL has no statistics for a shop
    that is being imported, and with a join or a correlated lookup it picks any index that leads
    with shop_id and then filters the shop's whole table, for every batch.
    """
    return (
        f"SELECT shopify_id, id FROM {target.name} WHERE shop_id = %(shop)s AND shopify_id = ANY(%({ids})s)"
    )


def _placeholders(
    cursor: Any, target: Table, params: dict[str, Any], ids: str, values: Mapping[str, Any]
) -> None:
    """Create a placeholder row (no payload applied yet) for each Shopify id in `ids` not stored."""
    if not params[ids]:
        return
    # shopify_updated_at stays NULL: a placeholder is known by reference only.
    fixed = {**scalar_defaults(target), **values}
    names = ", ".join(fixed)
    marks = ", ".join(f"%(default_{name})s" for name in fixed)
    source = f"unnest(%({ids})s::bigint[]) AS s(sid)"
    extra_names, extra_values = "", ""
    if target is LOCATIONS:
        # A location belongs to the company the order names (created just before, if it was new).
        source = (
            f"(SELECT DISTINCT location_sid AS sid, company_sid FROM {TMP_ORDERS} "
            "WHERE location_sid IS NOT NULL) s "
            f"JOIN ({_stored(COMPANIES, 'companies')}) co ON co.shopify_id = s.company_sid"
        )
        extra_names, extra_values = ", company_id", ", co.id"
    cursor.execute(
        f"INSERT INTO {target.name} (shop_id, shopify_id, created_at, updated_at, {names}{extra_names}) "
        f"SELECT %(shop)s, s.sid, %(now)s, %(now)s, {marks}{extra_values} FROM {source} "
        f"WHERE s.sid NOT IN (SELECT shopify_id FROM ({_stored(target, ids)}) stored) "
        "ON CONFLICT (shop_id, shopify_id) DO NOTHING",
        {**params, **{f"default_{name}": value for name, value in fixed.items()}},
    )


def import_order_rows(
    uow: UnitOfWork, *, shop_id: int, rows: OrderRows, actor: str = "shopify", label: str = "Backfill"
) -> OrdersResult:
    """Upsert a batch of orders given as COPY text; see the module docstring (PostgreSQL only)."""
    session = uow.session
    session.flush()
    currency = session.scalar(select(Shop.currency).where(Shop.id == shop_id))
    if currency is None:
        raise NotFound(f"shop {shop_id} not found")
    if not len(rows):
        return OrdersResult(0, 0, 0, 0)
    now = utcnow()
    orders_data, lines_data = rows.copy_data()
    raw = session.connection().connection.driver_connection
    with raw.cursor() as cursor:
        _create_temp_tables(cursor)
        with cursor.copy(f"COPY {TMP_ORDERS} ({', '.join(ORDER_COLUMNS)}) FROM STDIN") as copy:
            copy.write(orders_data)
        if lines_data:
            with cursor.copy(f"COPY {TMP_LINES} ({', '.join(LINE_COLUMNS)}) FROM STDIN") as copy:
                copy.write(lines_data)
    customers, companies, locations = rows.references()
    params = {
        "shop": shop_id,
        "currency": currency,
        "now": now,
        "customers": customers,
        "companies": companies,
        "locations": locations,
    }
    with raw.cursor() as cursor:
        _placeholders(cursor, CUSTOMERS, params, "customers", {"currency": currency})
        _placeholders(cursor, COMPANIES, params, "companies", {"currency": currency})
        _placeholders(cursor, LOCATIONS, params, "locations", {})
        cursor.execute(_UPSERT_ORDERS, params)
        cursor.execute(_DELETE_REPLACED_LINES)
        cursor.execute(_UPSERT_LINES, params)
        line_count = max(cursor.rowcount, 0)
        cursor.execute(_SUMMARY)
        written, created, first_id, first_sid, last_sid = cursor.fetchone()
        # Emptied for the next batch should this transaction go on (the tables drop at commit).
        for name in (TMP_ORDERS, TMP_LINES, TMP_WRITTEN):
            cursor.execute(f"DELETE FROM {name}")
    result = OrdersResult(created, written - created, len(rows) - written, line_count)
    if written:
        record_import_event(
            session,
            shop_id,
            result,
            first_id=first_id,
            shopify_ids=(first_sid, last_sid),
            actor=actor,
            label=label,
            now=now,
        )
    return result


def _assignments(names: list[str]) -> str:
    return ", ".join(f"{name} = EXCLUDED.{name}" for name in names)


_ORDER_TARGET = ["shopify_updated_at", "customer_id", "company_id", "company_location_id", "currency"] + [
    name for name in _ORDER_VALUES if name not in ("shopify_updated_at", "currency")
]
_ORDER_SOURCE = [
    "t.shopify_updated_at",
    "cu.id",
    "co.id",
    "lo.id",
    "COALESCE(t.currency, %(currency)s)",
] + [f"t.{name}" for name in _ORDER_VALUES if name not in ("shopify_updated_at", "currency")]
# Newest wins: a stored order is updated only when it is not deleted and this payload is newer (or
# the stored row is a placeholder); an equal updated_at changes nothing. created_at stays the first.
_UPSERT_ORDERS = f"""
WITH written AS (
    INSERT INTO {ORDERS.name} (shop_id, shopify_id, {", ".join(_ORDER_TARGET)}, created_at, updated_at)
    SELECT %(shop)s, t.shopify_id, {", ".join(_ORDER_SOURCE)}, %(now)s, %(now)s
    FROM {TMP_ORDERS} t
    LEFT JOIN ({_stored(CUSTOMERS, "customers")}) cu ON cu.shopify_id = t.customer_sid
    LEFT JOIN ({_stored(COMPANIES, "companies")}) co ON co.shopify_id = t.company_sid
    LEFT JOIN ({_stored(LOCATIONS, "locations")}) lo ON lo.shopify_id = t.location_sid
    ON CONFLICT (shop_id, shopify_id) DO UPDATE SET {_assignments([*_ORDER_TARGET, "updated_at"])}
    WHERE {ORDERS.name}.deleted_at IS NULL AND ({ORDERS.name}.shopify_updated_at IS NULL
        OR {ORDERS.name}.shopify_updated_at < EXCLUDED.shopify_updated_at)
    RETURNING id, shopify_id, (xmax = 0)
)
INSERT INTO {TMP_WRITTEN} (id, shopify_id, inserted) SELECT * FROM written
"""
_SUMMARY = (
    "SELECT count(*), count(*) FILTER (WHERE inserted), min(id), min(shopify_id), max(shopify_id) "
    f"FROM {TMP_WRITTEN}"
)
# An order that is written gets its payload's lines, as orders/updated replaces them.
_DELETE_REPLACED_LINES = (
    f"DELETE FROM {LINES.name} l USING {TMP_WRITTEN} w WHERE l.order_id = w.id AND NOT w.inserted"
)
# A line id is unique per shop; should it hang off another order row, it moves to this one.
_UPSERT_LINES = f"""
INSERT INTO {LINES.name} (shop_id, order_id, shopify_id, {", ".join(_LINE_VALUES)})
SELECT %(shop)s, w.id, l.shopify_id, {
    ", ".join(
        "COALESCE(l.currency, %(currency)s)" if name == "currency" else f"l.{name}" for name in _LINE_VALUES
    )
}
FROM {TMP_LINES} l JOIN {TMP_WRITTEN} w ON w.shopify_id = l.order_sid
ON CONFLICT (shop_id, shopify_id) DO UPDATE SET {_assignments(["order_id", *_LINE_VALUES])}
"""
