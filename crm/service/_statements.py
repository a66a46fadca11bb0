"""The bulk statements under the sync engine: chunked locked SELECTs, INSERT .. ON CONFLICT, COPY, UPDATEs."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.db import DirectExecute
from app.errors import NotFound
from app.models import Shop

# Ids per IN (...) list and rows per multi-row INSERT: far below SQLite's 32,766 and PostgreSQL's
# 65,535 bound parameters, large enough that a 10,000-order batch takes a handful of statements.
SELECT_CHUNK = 500


def chunks(items: Iterable[Any], size: int = SELECT_CHUNK) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def shop_currency(session: Session, shop_id: int) -> str:
    """The shop's currency; NotFound for a shop that does not exist."""
    currency = session.scalar(select(Shop.currency).where(Shop.id == shop_id))
    if currency is None:
        raise NotFound(f"shop {shop_id} not found")
    return currency


def insert_ignoring_conflicts(session: Session, table: Table, rows: list[dict[str, Any]]) -> dict[int, int]:
    """INSERT the rows, skipping Shopify ids already stored; {shopify_id: id} of those inserted.

    Every row names the same columns. One single-row statement run for all of them on the DBAPI
    cursor (`DirectExecute.returning_all`: one pipelined executemany on psycopg), not SQLAlchemy's
    multi-row `INSERT .. VALUES` pages, whose text psycopg would parse again on every execution.
    """
    if not rows:
        return {}
    # The columns' scalar defaults, which SQLAlchemy would fill in (the rows give their timestamps).
    missing = {k: v for k, v in _scalar_defaults(table).items() if k not in rows[0]}
    if missing:
        rows = [{**row, **missing} for row in rows]
    statement = _insert_returning(table, is_postgres(session), tuple(sorted(rows[0])))
    connection = session.connection()
    inserted: dict[int, int] = {}
    for batch in chunks(rows):
        inserted.update(
            {shopify_id: row_id for row_id, shopify_id in statement.returning_all(connection, batch)}
        )
    return inserted


@functools.cache
def _insert_returning(table: Table, postgres: bool, columns: tuple[str, ...]) -> DirectExecute:
    dialect = postgresql if postgres else sqlite
    stmt = (
        dialect.insert(table)
        .on_conflict_do_nothing(index_elements=["shop_id", "shopify_id"])
        .returning(table.c.id, table.c.shopify_id)
    )
    return DirectExecute(stmt, column_keys=columns)


def insert_rows(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """INSERT plain rows that all name the same columns: COPY on PostgreSQL, executemany elsewhere.

    COPY costs PostgreSQL a fraction of one INSERT per row (the order lines and timeline events of
    a 500-delivery batch are ~2,000 rows). The values go through their column types, as with
    `session.execute(insert(table), rows)`.
    """
    if not rows:
        return
    if not is_postgres(session):
        for batch in chunks(rows):
            session.execute(insert(table), batch)
        return
    columns = list(rows[0])
    dialect = session.get_bind().dialect
    processors = [
        (index, processor)
        for index, name in enumerate(columns)
        if (processor := table.c[name].type.dialect_impl(dialect).bind_processor(dialect)) is not None
    ]
    raw = session.connection().connection.driver_connection
    # Names come from the CRM's own table definitions, never from input.
    with raw.cursor() as cursor, cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            values = [row[name] for name in columns]
            for index, processor in processors:
                values[index] = processor(values[index])
            copy.write_row(values)


def update_by_id(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """UPDATE rows by primary key (`_id`), one executemany per distinct set of columns."""
    groups: dict[tuple[str, ...], list[Mapping[str, Any]]] = {}
    for row in rows:
        groups.setdefault(tuple(sorted(k for k in row if k != "_id")), []).append(row)
    for columns, group in groups.items():
        # Bind names differ from column names: SQLAlchemy reserves those for the SET clause.
        stmt = (
            update(table)
            .where(table.c.id == bindparam("_id"))
            .values({name: bindparam(f"v_{name}") for name in columns})
        )
        session.execute(stmt, [{"_id": r["_id"], **{f"v_{k}": r[k] for k in columns}} for r in group])


def load_rows(
    session: Session, table: Table, shop_id: int, shopify_ids: Iterable[int], columns: Sequence[str]
) -> dict[int, dict[str, Any]]:
    """{shopify_id: {id, shopify_updated_at, deleted_at, *columns}} of the stored rows, locked for update."""
    wanted = [table.c.id, table.c.shopify_id, table.c.shopify_updated_at, table.c.deleted_at]
    wanted += [table.c[name] for name in columns if name not in ("id", "shopify_id")]
    found: dict[int, dict[str, Any]] = {}
    # Sorted, so concurrent batches lock rows in the same order and cannot deadlock each other.
    for batch in chunks(sorted(set(shopify_ids))):
        stmt = select(*wanted).where(table.c.shop_id == shop_id, table.c.shopify_id.in_(batch))
        if is_postgres(session):
            stmt = stmt.order_by(table.c.shopify_id).with_for_update()
        found.update({row["shopify_id"]: dict(row) for row in session.execute(stmt).mappings()})
    return found


def _scalar_defaults(table: Table) -> dict[str, Any]:
    return {
        column.name: column.default.arg  # type: ignore[union-attr]
        for column in table.columns
        if column.default is not None and getattr(column.default, "is_scalar", False)
    }
