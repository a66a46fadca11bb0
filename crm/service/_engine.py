"""The sync engine under every CRM upsert: one payload or ten thousand in a bounded number of statements.

For a list of parsed records of one resource it loads the stored rows (one SELECT per
`SELECT_CHUNK` ids, locked on PostgreSQL), decides per Shopify id with `crm.rules.fold` what
wins, inserts the new rows with `INSERT .. ON CONFLICT DO NOTHING RETURNING` (a row a concurrent
transaction inserted first is then updated instead), and updates the changed rows with one
executemany per column set. It returns what happened per Shopify id; the caller writes the
timeline events and children.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.db import DirectExecute, utcnow
from app.errors import NotFound
from app.models import Shop
from crm import rules
from crm.models import CrmTimelineEvent, SubjectType
from crm.payloads import Record

# Ids per IN (...) list and rows per multi-row INSERT: far below SQLite's 32,766 and PostgreSQL's
# 65,535 bound parameters, large enough that a 10,000-order batch takes a handful of statements.
SELECT_CHUNK = 500
SUMMARY_CHARS = 500


class SyncAction(enum.StrEnum):
    """What a sync did to one row."""

    CREATED = "created"  # a new row (from a full payload, or a placeholder from a reference)
    UPDATED = "updated"  # a newer payload was applied (`changes` may still be empty)
    UNCHANGED = "unchanged"  # the same payload again, or a reference to a row that exists
    STALE = "stale"  # older than the stored row, or the row is deleted: ignored
    DELETED = "deleted"  # soft-deleted now (or a tombstone written for a row never seen)


@dataclass
class SyncOutcome:
    """The result for one Shopify id."""

    shopify_id: int
    id: int | None
    action: SyncAction
    changes: dict[str, list[Any]] = field(default_factory=dict)
    old: dict[str, Any] = field(default_factory=dict)  # tracked values before
    new: dict[str, Any] = field(default_factory=dict)  # tracked values after
    applied: dict[str, Any] = field(default_factory=dict)  # the winning payload values ('_' keys too)
    updated_at: datetime | None = None
    reference_only: bool = False  # created from a reference, not from the resource's own payload

    @property
    def written(self) -> bool:
        """Whether a payload was applied to the row."""
        return self.action in (SyncAction.CREATED, SyncAction.UPDATED)


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


def _columns(table: Table, values: Mapping[str, Any]) -> dict[str, Any]:
    """The values that are columns of the table ('_' keys are children the caller writes)."""
    columns = {k: v for k, v in values.items() if not k.startswith("_")}
    unknown = columns.keys() - _column_names(table)
    if unknown:
        raise KeyError(f"{table.name} has no column(s) {sorted(unknown)}")
    return columns


@functools.cache
def _column_names(table: Table) -> frozenset[str]:
    return frozenset(table.c.keys())


def _scalar_defaults(table: Table) -> dict[str, Any]:
    return {
        column.name: column.default.arg  # type: ignore[union-attr]
        for column in table.columns
        if column.default is not None and getattr(column.default, "is_scalar", False)
    }


def sync(
    session: Session,
    *,
    shop_id: int,
    table: Table,
    records: Sequence[Record],
    tracked: Sequence[str],
    defaults: Mapping[str, Any] | None = None,
) -> dict[int, SyncOutcome]:
    """Upsert the records of one resource: the newest payload per Shopify id wins, older ones are ignored."""
    grouped: dict[int, list[Record]] = {}
    for record in records:
        grouped.setdefault(record.shopify_id, []).append(record)
    if not grouped:
        return {}
    stored = load_rows(session, table, shop_id, grouped, tracked)
    now = utcnow()
    outcomes: dict[int, SyncOutcome] = {}
    to_insert: dict[int, rules.Fold[Record]] = {}
    to_update: list[dict[str, Any]] = []
    for shopify_id, group in grouped.items():
        row = stored.get(shopify_id)
        before = {name: row[name] for name in tracked} if row else {}
        if row is not None and row["deleted_at"] is not None:
            # Deletes are final in Shopify: anything arriving after one was triggered before it.
            outcomes[shopify_id] = SyncOutcome(
                shopify_id, row["id"], SyncAction.STALE, old=before, new=before
            )
            continue
        folded = rules.fold(
            group, exists=row is not None, stored_updated_at=row["shopify_updated_at"] if row else None
        )
        if folded.freshness is rules.Freshness.NEW:
            to_insert[shopify_id] = folded
        elif folded.freshness is rules.Freshness.NEWER:
            assert row is not None
            values = _columns(table, folded.values)
            to_update.append(
                {"_id": row["id"], **values, "shopify_updated_at": folded.updated_at, "updated_at": now}
            )
            outcomes[shopify_id] = SyncOutcome(
                shopify_id,
                row["id"],
                SyncAction.UPDATED,
                changes=rules.changes(before, values, tracked),
                old=before,
                new={**before, **{k: v for k, v in values.items() if k in tracked}},
                applied=folded.values,
                updated_at=folded.updated_at,
            )
        else:
            assert row is not None
            action = SyncAction.STALE if folded.freshness is rules.Freshness.OLDER else SyncAction.UNCHANGED
            outcomes[shopify_id] = SyncOutcome(shopify_id, row["id"], action, old=before, new=before)
    if to_insert:
        base = {**_scalar_defaults(table), **(defaults or {})}
        rows = [
            {
                "shop_id": shop_id,
                "shopify_id": shopify_id,
                **_columns(table, folded.values),
                "shopify_updated_at": folded.updated_at,
                "created_at": now,
                "updated_at": now,
            }
            for shopify_id, folded in to_insert.items()
        ]
        # executemany needs every row to name the same columns.
        names = {name for row in rows for name in row}
        rows = [{name: row.get(name, base.get(name)) for name in names} for row in rows]
        inserted = insert_ignoring_conflicts(session, table, rows)
        for shopify_id, folded in to_insert.items():
            if shopify_id in inserted:
                values = _columns(table, folded.values)
                outcomes[shopify_id] = SyncOutcome(
                    shopify_id,
                    inserted[shopify_id],
                    SyncAction.CREATED,
                    new={name: values.get(name, base.get(name)) for name in tracked},
                    applied=folded.values,
                    updated_at=folded.updated_at,
                    reference_only=folded.updated_at is None,
                )
        lost = [shopify_id for shopify_id in to_insert if shopify_id not in inserted]
        if lost:
            # A concurrent transaction created these rows first: apply our payloads to its rows.
            retry = [record for shopify_id in lost for record in grouped[shopify_id]]
            outcomes.update(
                sync(session, shop_id=shop_id, table=table, records=retry, tracked=tracked, defaults=defaults)
            )
    update_by_id(session, table, to_update)
    return outcomes


def soft_delete(
    session: Session,
    *,
    shop_id: int,
    table: Table,
    shopify_ids: Iterable[int],
    tracked: Sequence[str],
    tombstone_values: Mapping[int, Mapping[str, Any]] | None = None,
    defaults: Mapping[str, Any] | None = None,
) -> dict[int, SyncOutcome]:
    """Mark rows deleted (idempotent); an id never seen gets a deleted tombstone so a late create stays dead.

    A tombstone needs the row's required links (a location's company): ids missing from
    `tombstone_values` when the table needs them are left alone.
    """
    ids = list(dict.fromkeys(shopify_ids))
    stored = load_rows(session, table, shop_id, ids, tracked)
    now = utcnow()
    outcomes: dict[int, SyncOutcome] = {}
    marked: list[dict[str, Any]] = []
    tombstones: list[dict[str, Any]] = []
    base = {**_scalar_defaults(table), **(defaults or {})}
    for shopify_id in ids:
        row = stored.get(shopify_id)
        if row is not None:
            before = {name: row[name] for name in tracked}
            action = SyncAction.UNCHANGED if row["deleted_at"] is not None else SyncAction.DELETED
            if action is SyncAction.DELETED:
                marked.append({"_id": row["id"], "deleted_at": now, "updated_at": now})
            outcomes[shopify_id] = SyncOutcome(shopify_id, row["id"], action, old=before, new=before)
        elif tombstone_values is None or shopify_id in tombstone_values:
            extra = dict((tombstone_values or {}).get(shopify_id, {}))
            tombstones.append(
                {
                    **base,
                    **extra,
                    "shop_id": shop_id,
                    "shopify_id": shopify_id,
                    "shopify_updated_at": None,
                    "deleted_at": now,
                    "created_at": now,
                    "updated_at": now,
                }
            )
    update_by_id(session, table, marked)
    if tombstones:
        names = {name for row in tombstones for name in row}
        inserted = insert_ignoring_conflicts(
            session, table, [{name: row.get(name, base.get(name)) for name in names} for row in tombstones]
        )
        for row in tombstones:
            if row["shopify_id"] in inserted:
                new = {name: row.get(name) for name in tracked}
                outcomes[row["shopify_id"]] = SyncOutcome(
                    row["shopify_id"],
                    inserted[row["shopify_id"]],
                    SyncAction.DELETED,
                    new=new,
                    reference_only=True,
                )
        lost = [row["shopify_id"] for row in tombstones if row["shopify_id"] not in inserted]
        if lost:
            outcomes.update(
                soft_delete(session, shop_id=shop_id, table=table, shopify_ids=lost, tracked=tracked)
            )
    return outcomes


@dataclass
class EventLog:
    """Timeline events collected during one service call, written with one multi-row INSERT."""

    shop_id: int
    actor: str
    rows: list[dict[str, Any]] = field(default_factory=list)

    def add(
        self,
        *,
        subject_type: SubjectType,
        subject_id: int,
        kind: str,
        summary: str,
        occurred_at: datetime | None,
        data: Mapping[str, Any] | None = None,
        customer_id: int | None = None,
        company_id: int | None = None,
    ) -> None:
        self.rows.append(
            {
                "shop_id": self.shop_id,
                "subject_type": subject_type,
                "subject_id": subject_id,
                "customer_id": customer_id,
                "company_id": company_id,
                "kind": kind,
                "actor": self.actor,
                "summary": summary[:SUMMARY_CHARS],
                "data": rules.json_safe(dict(data or {})),
                "occurred_at": occurred_at or utcnow(),
                "created_at": utcnow(),
            }
        )

    def write(self, session: Session) -> None:
        insert_rows(session, CrmTimelineEvent.__table__, self.rows)  # type: ignore[arg-type]
        self.rows = []
