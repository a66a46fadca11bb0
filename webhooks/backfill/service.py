"""Backfill use cases: ask for a backfill, start Shopify's bulk exports, learn when they finish, report.

The life of a backfill run (webhooks.sync_models.SyncRun, one per shop and resource):

    request_backfill  -> QUEUED        (a row; the start job is enqueued after commit)
    start_exports     -> EXPORTING     (bulkOperationRunQuery accepted; Shopify builds the JSONL)
                      -> QUEUED again  (Shopify runs another bulk operation: retried by the poller)
    finish webhook    -> DOWNLOADING   (or the poller sees COMPLETED; the import job is enqueued)
    import job        -> IMPORTING -> COMPLETED, or FAILED with `error` (and `resumable` when the
                                      next request continues from the last committed batch)

Nothing here talks to Shopify inside a request: views and the CLI call `request_backfill`, and the
jobs (webhooks.backfill.jobs) make the Admin API calls.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.db import UnitOfWork, utcnow
from app.errors import DomainError, InvalidInput
from app.job_control import shop_job_id
from app.jobs import enqueue_after_commit
from app.tenancy import get_for_shop
from webhooks.sync_models import SyncKind, SyncResource, SyncRun, SyncStatus

log = logging.getLogger(__name__)

RESOURCES: tuple[SyncResource, ...] = tuple(SyncResource)
# Shopify keeps a bulk operation's result for 7 days after it completes.
RESULT_LIFETIME = timedelta(days=7)
# An import holds a lease it renews every batch; one that lapses belongs to a dead worker.
LEASE = timedelta(minutes=5)
START_JOB = "webhooks.backfill.jobs.start_exports"
IMPORT_JOB = "webhooks.backfill.jobs.import_run"
ERROR_CHARS = 2000


class BackfillBusy(DomainError):
    """Every requested resource already has a backfill in progress."""

    status = 409
    title = "Backfill in progress"


def parse_resources(value: str | Iterable[str] | None) -> tuple[SyncResource, ...]:
    """'customers,orders' (or a list) as resources in import order; None or '' means all four."""
    if value is None:
        return RESOURCES
    names = [v.strip().lower() for v in (value.split(",") if isinstance(value, str) else value)]
    names = [n for n in names if n]
    if not names:
        return RESOURCES
    unknown = sorted(set(names) - {r.value for r in RESOURCES})
    if unknown:
        raise InvalidInput(
            f"unknown resource(s) {', '.join(unknown)}; choose from {', '.join(r.value for r in RESOURCES)}"
        )
    return tuple(r for r in RESOURCES if r.value in names)


def active_key(kind: SyncKind, resource: SyncResource) -> str:
    return f"{kind.value}:{resource.value}"


def _error_text(message: str) -> str:
    return message if len(message) <= ERROR_CHARS else message[: ERROR_CHARS - 1] + "…"


def latest_run(uow: UnitOfWork, *, shop_id: int, kind: SyncKind, resource: SyncResource) -> SyncRun | None:
    """The shop's most recent run of this kind for this resource."""
    return uow.session.scalar(
        select(SyncRun)
        .where(SyncRun.shop_id == shop_id, SyncRun.kind == kind, SyncRun.resource == resource)
        .order_by(SyncRun.id.desc())
        .limit(1)
    )


def result_expired(run: SyncRun, now: datetime | None = None) -> bool:
    """Whether Shopify has dropped the export's result file (7 days after it completed)."""
    return run.exported_at is not None and run.exported_at + RESULT_LIFETIME <= (now or utcnow())


def end_run(run: SyncRun, status: SyncStatus, *, error: str | None = None, resumable: bool = False) -> None:
    """Mark a run completed or failed; it stops being the active run of its resource."""
    now = utcnow()
    run.status = status
    run.active_key = None
    run.error = _error_text(error) if error else None
    run.resumable = resumable
    run.finished_at = now
    run.lease_owner = None
    run.lease_expires_at = None
    log.log(
        logging.WARNING if status is SyncStatus.FAILED else logging.INFO,
        "%s run %s (%s, shop %s) %s%s",
        run.kind.value,
        run.id,
        run.resource.value,
        run.shop_id,
        status.value,
        f": {error}" if error else "",
    )


# Both jobs carry shop-scoped ids (app.job_control), so an uninstall cancels the ones still waiting.
def enqueue_start(uow: UnitOfWork, shop_id: int) -> None:
    """Start the shop's queued exports once the caller commits (one start job per shop at a time)."""
    enqueue_after_commit(uow, START_JOB, shop_id, job_id=shop_job_id(shop_id, "backfill-start"))


def enqueue_import(uow: UnitOfWork, run: SyncRun) -> None:
    """Import the run's finished export once the caller commits."""
    enqueue_after_commit(
        uow,
        IMPORT_JOB,
        run.id,
        queue="bulk",
        job_id=shop_job_id(run.shop_id, "backfill-import", run.id),
        retries=0,
    )


# -- requesting --------------------------------------------------------------------------------


@dataclass(frozen=True)
class BackfillRequest:
    """What `request_backfill` did per resource: "queued", "resumed" or "already running"."""

    runs: tuple[SyncRun, ...]
    outcome: Mapping[SyncResource, str]


def request_backfill(
    uow: UnitOfWork,
    *,
    shop_id: int,
    resources: Sequence[SyncResource] = RESOURCES,
    requested_by: str,
    fresh: bool = False,
    restart: bool = False,
) -> BackfillRequest:
    """Queue a backfill of each resource; a failed one that can resume continues instead of starting over.

    A resource whose backfill is already under way is left alone, unless `restart` (a reinstall)
    fails it first. `fresh` starts new exports even where a failed run could resume. The start
    and import jobs are enqueued once the caller commits.
    """
    now = utcnow()
    runs: list[SyncRun] = []
    outcome: dict[SyncResource, str] = {}
    queued = False
    for resource in resources:
        key = active_key(SyncKind.BACKFILL, resource)
        active = uow.session.scalar(
            select(SyncRun).where(SyncRun.shop_id == shop_id, SyncRun.active_key == key)
        )
        if active is not None and restart:
            end_run(
                active, SyncStatus.FAILED, error="Superseded by a new backfill after the app was reinstalled."
            )
            uow.session.flush()
            active = None
        if active is not None:
            runs.append(active)
            outcome[resource] = "already running"
            continue
        previous = latest_run(uow, shop_id=shop_id, kind=SyncKind.BACKFILL, resource=resource)
        if (
            not fresh
            and previous is not None
            and previous.status is SyncStatus.FAILED
            and previous.resumable
            and not result_expired(previous, now)
        ):
            previous.status = SyncStatus.DOWNLOADING
            previous.active_key = key
            previous.error = None
            previous.resumable = False
            previous.finished_at = None
            previous.requested_by = requested_by
            uow.session.flush()
            enqueue_import(uow, previous)
            runs.append(previous)
            outcome[resource] = "resumed"
            continue
        run = SyncRun(
            shop_id=shop_id,
            kind=SyncKind.BACKFILL,
            resource=resource,
            status=SyncStatus.QUEUED,
            active_key=key,
            requested_by=requested_by,
            counts={},
            started_at=now,
        )
        try:
            with uow.session.begin_nested():
                uow.session.add(run)
        except IntegrityError:
            # A concurrent request queued this resource between our check and insert.
            outcome[resource] = "already running"
            continue
        runs.append(run)
        outcome[resource] = "queued"
        queued = True
    if queued:
        enqueue_start(uow, shop_id)
    return BackfillRequest(tuple(runs), outcome)


# -- reporting -----------------------------------------------------------------------------------


def get_run(uow: UnitOfWork, *, shop_id: int, run_id: int) -> SyncRun:
    """The shop's run with this id; NotFound for another shop's run."""
    return get_for_shop(uow.session, SyncRun, shop_id, run_id)


def latest_runs(uow: UnitOfWork, *, shop_id: int) -> dict[tuple[SyncKind, SyncResource], SyncRun]:
    """The newest run of each (kind, resource) of the shop."""
    newest = (
        select(func.max(SyncRun.id))
        .where(SyncRun.shop_id == shop_id)
        .group_by(SyncRun.kind, SyncRun.resource)
    )
    rows = uow.session.scalars(select(SyncRun).where(SyncRun.shop_id == shop_id, SyncRun.id.in_(newest)))
    return {(run.kind, run.resource): run for run in rows}
