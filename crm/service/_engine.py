"""The sync engine under every CRM upsert: one payload or ten thousand in a bounded number of statements.

For a list of parsed records of one resource it loads the stored rows (one SELECT per
`SELECT_CHUNK` ids, locked on PostgreSQL), decides per Shopify id with `crm.rules.fold` what
wins, inserts the new rows with `INSERT .. ON CONFLICT DO NOTHING RETURNING` (a row a concurrent
transaction inserted first is then updated instead), and updates the changed rows with one
executemany per column set. It returns what happened per Shopify id; the caller writes the
timeline events and children. The statements it is built from live in crm.service._statements.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Table
from sqlalchemy.orm import Session

from app.db import utcnow
from crm import rules
from crm.models import CrmTimelineEvent, SubjectType
from crm.payloads import Record
from crm.service._statements import (
    _scalar_defaults,
    chunks,
    insert_ignoring_conflicts,
    insert_rows,
    is_postgres,
    load_rows,
    shop_currency,
    update_by_id,
)

# The sibling services import these statement helpers from here, next to the engine they serve.
__all__ = [
    "EventLog",
    "SyncAction",
    "SyncOutcome",
    "chunks",
    "insert_rows",
    "is_postgres",
    "shop_currency",
    "soft_delete",
    "sync",
    "update_by_id",
]

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
