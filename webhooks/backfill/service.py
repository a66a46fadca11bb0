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
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from app.db import UnitOfWork, utcnow
from app.errors import DomainError, InvalidInput
from app.job_control import shop_job_id
from app.jobs import enqueue_after_commit
from app.shopify.client import AdminClient
from app.shopify.documents import load_document
from app.shopify.errors import ShopifyError, ShopifyUnavailable, ThrottledError, UserErrors
from app.tenancy import get_for_shop
from webhooks.sync_models import ACTIVE_STATUSES, SyncKind, SyncResource, SyncRun, SyncStatus

log = logging.getLogger(__name__)

RESOURCES: tuple[SyncResource, ...] = tuple(SyncResource)
DOCUMENTS: dict[SyncResource, str] = {
    SyncResource.CUSTOMERS: "BackfillCustomers",
    SyncResource.COMPANIES: "BackfillCompanies",
    SyncResource.PRODUCTS: "BackfillProducts",
    SyncResource.ORDERS: "BackfillOrders",
}
# Shopify keeps a bulk operation's result for 7 days after it completes.
RESULT_LIFETIME = timedelta(days=7)
# The poller asks Shopify about a running export at most this often.
POLL_INTERVAL = timedelta(seconds=30)
# An import holds a lease it renews every batch; one that lapses belongs to a dead worker.
LEASE = timedelta(minutes=5)
# A run claimed for starting but never given its bulk operation id (the worker died mid-call).
START_TIMEOUT = timedelta(minutes=5)
# Shopify's codes for "another bulk operation is running": the run waits in the queue.
BUSY_CODES = frozenset({"OPERATION_IN_PROGRESS", "LIMIT_REACHED"})
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


# -- starting exports ----------------------------------------------------------------------------


def bulk_query(resource: SyncResource) -> str:
    """The bulk query text of a resource (a validated document in app/shopify/graphql)."""
    return load_document(DOCUMENTS[resource])


def start_exports(uow: UnitOfWork, client: AdminClient, *, shop_id: int) -> list[SyncRun]:
    """Start Shopify's bulk export for each queued run of the shop, in resource order; the runs started.

    Each run is claimed (QUEUED -> EXPORTING) and committed before Shopify is called, so two start
    jobs never export the same run twice. When Shopify answers that another bulk operation is
    running, the run goes back to the queue and the poller tries again later.
    """
    order = {resource: index for index, resource in enumerate(RESOURCES)}
    queued = list(
        uow.session.scalars(
            select(SyncRun).where(
                SyncRun.shop_id == shop_id,
                SyncRun.kind == SyncKind.BACKFILL,
                SyncRun.status == SyncStatus.QUEUED,
            )
        )
    )
    started: list[SyncRun] = []
    for run in sorted(queued, key=lambda r: order[r.resource]):
        claimed = uow.session.execute(
            update(SyncRun)
            .where(SyncRun.id == run.id, SyncRun.status == SyncStatus.QUEUED)
            .values(status=SyncStatus.EXPORTING, bulk_status=None, updated_at=utcnow())
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            continue
        uow.commit()
        uow.session.refresh(run)
        try:
            data = client.execute(
                "BulkOperationRunQuery", {"query": bulk_query(run.resource), "groupObjects": False}
            )
        except UserErrors as exc:
            if {e.code for e in exc.errors} & BUSY_CODES:
                run.status = SyncStatus.QUEUED
                run.error = "Waiting for Shopify: another bulk operation is running for this shop."
                uow.commit()
                log.info("bulk export of %s for shop %s waits: %s", run.resource.value, shop_id, exc)
                break
            end_run(run, SyncStatus.FAILED, error=f"Shopify refused the export: {exc}")
            uow.commit()
            continue
        except (ShopifyUnavailable, ThrottledError) as exc:
            # Shopify is down or busy for now: back to the queue; the poller tries again.
            run.status = SyncStatus.QUEUED
            run.error = f"Waiting for Shopify, which could not be reached: {exc}"
            uow.commit()
            break
        except (ShopifyError, DomainError) as exc:
            end_run(run, SyncStatus.FAILED, error=f"Could not start the export: {exc}")
            uow.commit()
            continue
        operation = (data.get("bulkOperationRunQuery") or {}).get("bulkOperation") or {}
        if not operation.get("id"):
            end_run(run, SyncStatus.FAILED, error="Shopify accepted the export but named no bulk operation.")
            uow.commit()
            continue
        run.bulk_operation_id = operation["id"]
        run.bulk_status = operation.get("status")
        run.error = None
        run.polled_at = utcnow()
        uow.commit()
        started.append(run)
        log.info(
            "bulk export %s started for %s of shop %s", run.bulk_operation_id, run.resource.value, shop_id
        )
    return started


# -- finishing exports -------------------------------------------------------------------------


def _parse_instant(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def export_finished(
    uow: UnitOfWork,
    run: SyncRun,
    *,
    status: str,
    error_code: str | None,
    completed_at: datetime | None,
    object_count: int | None = None,
) -> bool:
    """Record what Shopify says about a finished export; True when the import job was enqueued.

    Only an EXPORTING run moves on, so the webhook and the poller can both report the same
    finish: whichever comes second changes nothing.
    """
    if run.status is not SyncStatus.EXPORTING:
        return False
    status = status.upper()
    run.bulk_status = status
    run.polled_at = utcnow()
    if object_count is not None:
        run.object_count = object_count
    if status == "COMPLETED":
        run.status = SyncStatus.DOWNLOADING
        run.exported_at = completed_at or utcnow()
        uow.session.flush()
        enqueue_import(uow, run)
        log.info("bulk export %s completed; import of run %s enqueued", run.bulk_operation_id, run.id)
        return True
    detail = f" ({error_code})" if error_code else ""
    end_run(run, SyncStatus.FAILED, error=f"Shopify's bulk export ended {status.lower()}{detail}.")
    # A finished export frees Shopify's slot: a queued resource can start now.
    enqueue_start(uow, run.shop_id)
    return False


def handle_bulk_operation_finish(
    uow: UnitOfWork, *, shop_id: int, payload: Mapping[str, Any], delivery: Any
) -> None:
    """bulk_operations/finish: move the export's run on to its import (the caller commits).

    The payload names the BulkOperation GID, its status and error code but no URL: the import job
    reads the URL with bulkOperation(id:). An operation Tradeline did not start is ignored.
    """
    gid = payload.get("admin_graphql_api_id")
    if not isinstance(gid, str) or not gid:
        log.warning("bulk_operations/finish for shop %s without admin_graphql_api_id; ignored", shop_id)
        return
    run = uow.session.scalar(
        select(SyncRun)
        .where(SyncRun.shop_id == shop_id, SyncRun.bulk_operation_id == gid)
        .order_by(SyncRun.id.desc())
    )
    if run is None:
        log.info("bulk_operations/finish for %s (shop %s): not a Tradeline backfill; ignored", gid, shop_id)
        return
    export_finished(
        uow,
        run,
        status=str(payload.get("status") or ""),
        error_code=payload.get("error_code"),
        completed_at=_parse_instant(payload.get("completed_at")),
    )


# -- polling (the fallback when the finish webhook is late or lost) ---------------------------


def runs_to_poll(uow: UnitOfWork, *, now: datetime | None = None) -> dict[int, list[SyncRun]]:
    """Active backfill runs that need the poller, by shop."""
    now = now or utcnow()
    rows = uow.session.scalars(
        select(SyncRun)
        .where(SyncRun.kind == SyncKind.BACKFILL, SyncRun.status.in_(list(ACTIVE_STATUSES)))
        .order_by(SyncRun.shop_id, SyncRun.id)
    )
    found: dict[int, list[SyncRun]] = {}
    for run in rows:
        found.setdefault(run.shop_id, []).append(run)
    return found


def poll_shop(
    uow: UnitOfWork, client: AdminClient | None, *, shop_id: int, now: datetime | None = None
) -> dict[str, int]:
    """Move the shop's active runs on when their webhook never came, or their worker died.

    Exports are polled with bulkOperation(id:) at most every POLL_INTERVAL (which also updates the
    object count for the progress bar); a claim that never got its operation id goes back to the
    queue; queued runs get a start job; imports whose lease lapsed get a new import job (they resume
    from the last committed batch). `client` may be None when nothing needs Shopify.
    """
    now = now or utcnow()
    report = {"polled": 0, "finished": 0, "restarted": 0, "resumed": 0}
    runs = list(
        uow.session.scalars(
            select(SyncRun).where(
                SyncRun.shop_id == shop_id,
                SyncRun.kind == SyncKind.BACKFILL,
                SyncRun.status.in_(list(ACTIVE_STATUSES)),
            )
        )
    )
    wants_start = False
    for run in runs:
        if run.status is SyncStatus.QUEUED:
            wants_start = True
        elif run.status is SyncStatus.EXPORTING and run.bulk_operation_id is None:
            if run.updated_at <= now - START_TIMEOUT:
                run.status = SyncStatus.QUEUED
                wants_start = True
                report["restarted"] += 1
        elif run.status is SyncStatus.EXPORTING:
            if client is None or (run.polled_at is not None and run.polled_at > now - POLL_INTERVAL):
                continue
            report["polled"] += 1
            try:
                operation = client.execute("BulkOperationStatus", {"id": run.bulk_operation_id})[
                    "bulkOperation"
                ]
            except (ShopifyError, DomainError) as exc:
                log.warning("polling %s for shop %s failed: %s", run.bulk_operation_id, shop_id, exc)
                run.polled_at = now
                continue
            if operation is None:
                end_run(run, SyncStatus.FAILED, error="Shopify no longer knows this bulk operation.")
                continue
            run.polled_at = now
            run.bulk_status = operation.get("status")
            run.object_count = _int(operation.get("objectCount"))
            run.root_object_count = _int(operation.get("rootObjectCount"))
            run.file_size = _int(operation.get("fileSize"))
            if run.bulk_status in ("COMPLETED", "FAILED", "CANCELED", "EXPIRED"):
                report["finished"] += 1
                export_finished(
                    uow,
                    run,
                    status=run.bulk_status,
                    error_code=operation.get("errorCode"),
                    completed_at=_parse_instant(operation.get("completedAt")),
                )
        elif run.status in (SyncStatus.DOWNLOADING, SyncStatus.IMPORTING):
            lapsed = run.lease_expires_at is None or run.lease_expires_at <= now
            if lapsed and run.updated_at <= now - LEASE:
                report["resumed"] += 1
                log.warning("import of run %s stalled (no live worker holds it); resuming", run.id)
                enqueue_import(uow, run)
    if wants_start:
        enqueue_start(uow, shop_id)
    return report


def _int(value: Any) -> int | None:
    """Shopify's UnsignedInt64 fields arrive as strings."""
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


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
