"""Set-based upserts of Shopify-mirrored rows on (shop_id, shopify_id), for the backfill's fast paths.

`upsert` writes many rows in one statement (PostgreSQL: COPY into a temporary table and one
INSERT .. SELECT); `ensure_rows` finds or creates placeholder rows for referenced ids.
"""

from __future__ import annotations

import operator
import zlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, and_, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

# Ids per IN (...) list: far below SQLite's and PostgreSQL's bound-parameter limits.
ID_CHUNK = 500


def chunks(items: Sequence[Any], size: int = ID_CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _dialect_insert(session: Session, table: Table) -> Any:
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


def scalar_defaults(table: Table) -> dict[str, Any]:
    return {
        column.name: column.default.arg  # type: ignore[union-attr]
        for column in table.columns
        if column.default is not None and getattr(column.default, "is_scalar", False)
    }


def lookup_rows(session: Session, table: Table, shop_id: int, shopify_ids: Sequence[int]) -> dict[int, int]:
    """{shopify_id: row id} of the stored rows among `shopify_ids`."""
    if not shopify_ids:
        return {}
    if session.get_bind().dialect.name == "postgresql":
        # One array parameter instead of an IN list of hundreds of placeholders.
        with session.connection().connection.driver_connection.cursor() as cursor:
            cursor.execute(
                f"SELECT shopify_id, id FROM {table.name} WHERE shop_id = %s AND shopify_id = ANY(%s)",
                (shop_id, list(shopify_ids)),
            )
            return dict(cursor.fetchall())
    found: dict[int, int] = {}
    for chunk in chunks(shopify_ids):
        stmt = select(table.c.shopify_id, table.c.id).where(
            table.c.shop_id == shop_id, table.c.shopify_id.in_(chunk)
        )
        found.update(dict(session.execute(stmt).all()))
    return found


def ensure_rows(
    session: Session,
    table: Table,
    shop_id: int,
    shopify_ids: Iterable[int],
    now: datetime,
    values: Mapping[int, Mapping[str, Any]] | None = None,
) -> dict[int, int]:
    """{shopify_id: row id}, creating a placeholder (no payload applied yet) for each id not stored."""
    wanted = sorted(set(shopify_ids))
    found = lookup_rows(session, table, shop_id, wanted)
    missing = [sid for sid in wanted if sid not in found]
    if not missing:
        return found
    base = scalar_defaults(table)
    rows = [
        {
            **base,
            **(values or {}).get(sid, {}),
            "shop_id": shop_id,
            "shopify_id": sid,
            "shopify_updated_at": None,
            "created_at": now,
            "updated_at": now,
        }
        for sid in missing
    ]
    names = sorted({name for row in rows for name in row})
    inserted = upsert(
        session, table, [{n: row.get(n) for n in names} for row in rows], update=(), newer_only=False
    )
    found.update({shopify_id: row_id for row_id, shopify_id, _ in inserted})
    # Rows a concurrent transaction created between our lookup and our insert.
    found.update(lookup_rows(session, table, shop_id, [sid for sid in missing if sid not in found]))
    return found


def upsert(
    session: Session,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    update: Sequence[str],
    newer_only: bool,
) -> list[tuple[int, int, bool]]:
    """INSERT rows (same keys each) or UPDATE `update` columns on (shop_id, shopify_id); the rows written.

    With `newer_only` a stored row is updated only when it is not deleted and the row's
    shopify_updated_at is newer (or the stored one is NULL: a placeholder). Returns
    (id, shopify_id, inserted) of each row inserted or updated. PostgreSQL goes through COPY into a
    temporary table and one INSERT .. SELECT: a multi-row VALUES statement of 2,000 rows x 30
    columns costs more to build and parse than to run.
    """
    if not rows:
        return []
    if session.get_bind().dialect.name == "postgresql":
        return _upsert_copy(session, table, rows, update=update, newer_only=newer_only)
    ins = _dialect_insert(session, table)
    condition = None
    if newer_only:
        condition = and_(
            table.c.deleted_at.is_(None),
            or_(
                table.c.shopify_updated_at.is_(None),
                table.c.shopify_updated_at < ins.excluded.shopify_updated_at,
            ),
        )
    # Only an inserted row carries this batch's creation time: an update keeps the stored one.
    tracks_creation = "created_at" in table.c and "created_at" not in update
    conflict = (
        ins.on_conflict_do_update(
            index_elements=["shop_id", "shopify_id"],
            set_={name: ins.excluded[name] for name in update},
            where=condition,
        )
        if update
        else ins.on_conflict_do_nothing(index_elements=["shop_id", "shopify_id"])
    )
    stmt = conflict.returning(
        table.c.id, table.c.shopify_id, *([table.c.created_at] if tracks_creation else [])
    )
    written: list[tuple[int, int, bool]] = []
    for chunk in chunks(list(rows)):
        created_at = {row.get("created_at") for row in chunk}
        for row in session.execute(stmt, list(chunk)):
            written.append((row[0], row[1], tracks_creation and row[2] in created_at))
    return written


def _upsert_copy(
    session: Session,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    update: Sequence[str],
    newer_only: bool,
) -> list[tuple[int, int, bool]]:
    columns = list(rows[0])
    # Names come from the CRM's own table definitions, never from input.
    names = ", ".join(columns)
    temp = f"tmp_backfill_{table.name}_{zlib.crc32(names.encode()):08x}"
    raw = session.connection().connection.driver_connection
    with raw.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {temp} ON COMMIT DROP AS "
            f"SELECT {names} FROM {table.name} WITH NO DATA"
        )
        # The CRM's enums are StrEnums: psycopg writes them with its str dumper, as their values.
        values = operator.itemgetter(*columns)
        with cursor.copy(f"COPY {temp} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(values(row))
        assignments = ", ".join(f"{name} = EXCLUDED.{name}" for name in update)
        condition = (
            f" WHERE {table.name}.deleted_at IS NULL AND ({table.name}.shopify_updated_at IS NULL "
            f"OR {table.name}.shopify_updated_at < EXCLUDED.shopify_updated_at)"
            if newer_only
            else ""
        )
        action = f"DO UPDATE SET {assignments}{condition}" if update else "DO NOTHING"
        cursor.execute(
            f"INSERT INTO {table.name} ({names}) SELECT {names} FROM {temp} "
            f"ON CONFLICT (shop_id, shopify_id) {action} RETURNING id, shopify_id, (xmax = 0)"
        )
        written = [(row_id, shopify_id, bool(inserted)) for row_id, shopify_id, inserted in cursor.fetchall()]
        cursor.execute(f"DELETE FROM {temp}")
    return written
