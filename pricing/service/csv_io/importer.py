"""Dry run and apply of a price-list CSV: one streamed pass, in chunks of rows, set-based per chunk.

The pass itself, chunk by chunk, is in full_pass.py. On PostgreSQL the dry run can also stage what it
checked, and the apply then writes that without this second pass (staged.py); the pass stays the
apply's path on SQLite and whenever the staging cannot be trusted.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import UnitOfWork, utcnow
from app.errors import Conflict, InvalidInput, NotFound
from pricing.models import PriceList, PriceListStatus
from pricing.service.csv_io.diff import Change, ImportMode, ImportReport
from pricing.service.csv_io.full_pass import _run
from pricing.service.csv_io.staged import StageWriter, StagingOutdated, apply_staged
from pricing.service.csv_io.store import list_fingerprint
from pricing.timeline import record_list_event


class ImportRejected(InvalidInput):
    """Applying was refused because rows are bad; `report.errors` lists every one. Nothing was written."""

    def __init__(self, report: ImportReport) -> None:
        super().__init__(f"{report.bad_lines} rows of the file are not valid; nothing was applied")
        self.report = report


class StaleDryRun(Conflict):
    """The list (or the catalog) changed between the dry run and the apply. Nothing was written."""


def load_list(session: Session, shop_id: int, price_list_id: int, *, lock: bool = False) -> PriceList:
    stmt = select(PriceList).where(PriceList.shop_id == shop_id, PriceList.id == price_list_id)
    if lock:
        # PostgreSQL: a second apply (or an edit through lists) waits for this one. SQLite ignores it and
        # serializes writers anyway.
        stmt = stmt.with_for_update()
    price_list = session.scalar(stmt)
    if price_list is None:
        raise NotFound(f"Price list {price_list_id} not found")
    return price_list


def _editable(price_list: PriceList) -> None:
    if price_list.status is PriceListStatus.ARCHIVED:
        raise Conflict(f"The price list “{price_list.name}” is archived: its prices cannot change")


def dry_run(
    uow: UnitOfWork,
    *,
    shop_id: int,
    price_list_id: int,
    stream: BinaryIO,
    mode: ImportMode = ImportMode.MERGE,
    stage: Path | None = None,
) -> ImportReport:
    """Check every row of the file and report what applying it would change; writes nothing to the list.

    With `stage` (a path beside the stored upload) on PostgreSQL, a file that can be applied also
    leaves its checked rows and changes there for `apply_import`'s fast path; `report.staged` is then
    that file's SHA-256 (else the file is removed and `report.staged` is empty).
    """
    session = uow.session
    price_list = load_list(session, shop_id, price_list_id)
    _editable(price_list)
    fingerprint = list_fingerprint(session, price_list)
    mode = ImportMode(mode)
    writer = None
    if stage is not None and session.get_bind().dialect.name == "postgresql":
        writer = StageWriter(stage)
    try:
        report = _run(session, shop_id, price_list, stream, mode, write=False, stage=writer)
    except BaseException:
        if writer is not None:
            writer.discard()
        raise
    report.fingerprint = fingerprint
    if writer is not None:
        report.staged = writer.close(report)
    return report


STALE_LIST = (
    "The price list changed after this file was checked (someone edited it, or another import was "
    "applied). Nothing was applied: upload the file again to see the differences as they are now."
)
STALE_CATALOG = (
    "The catalog changed after this file was checked (a SKU or variant was changed or removed in "
    "Shopify). Nothing was applied: upload the file again to see the differences as they are now."
)


def apply_import(
    uow: UnitOfWork,
    *,
    shop_id: int,
    price_list_id: int,
    stream: BinaryIO,
    mode: ImportMode,
    fingerprint: str,
    digest: str,
    stage: Path | None = None,
    staged: str = "",
    actor: str = "staff",
) -> ImportReport:
    """Apply a file checked by `dry_run`, all or nothing; refuses if the list or its diff changed since.

    Everything is written inside a SAVEPOINT; a bad row, or a diff unlike the dry run's, rolls it back,
    so a refused apply leaves the list exactly as it was. The caller commits. With the dry run's
    staging file (`stage`, and its SHA-256 `staged`) on PostgreSQL, its checked changes are written
    set-based if every row still names the same variant (staged.py); otherwise the file is read again
    and every row checked while the differences are written chunk by chunk.
    """
    session = uow.session
    mode = ImportMode(mode)
    price_list = load_list(session, shop_id, price_list_id, lock=True)
    _editable(price_list)
    if list_fingerprint(session, price_list) != fingerprint:
        raise StaleDryRun(STALE_LIST)
    savepoint = session.begin_nested()
    try:
        report = None
        if stage is not None:
            report = apply_staged(
                session,
                shop_id=shop_id,
                price_list=price_list,
                mode=mode,
                digest=digest,
                path=stage,
                sha256=staged,
            )
        if report is None:
            report = _run(session, shop_id, price_list, stream, mode, write=True)
        if not report.ok:
            raise ImportRejected(report)
        if report.digest != digest:
            raise StaleDryRun(STALE_CATALOG)
    except StagingOutdated:
        savepoint.rollback()
        raise StaleDryRun(STALE_LIST) from None
    except BaseException:
        savepoint.rollback()
        raise
    savepoint.commit()
    if report.has_changes:
        price_list.updated_at = utcnow()
        counts = {change.value: report.counts[change] for change in Change}
        record_list_event(
            session,
            price_list,
            "entries_imported",
            actor=actor,
            summary=f"Imported prices from a CSV file ({mode.value}): "
            + ", ".join(f"{n:,} {change}" for change, n in counts.items()),
            data={"mode": mode.value, **counts},
        )
        session.flush()
    return report
