"""Shopify's bulk exports of a backfill: start them, learn when they finish, poll when no webhook comes.

The run lifecycle and the requesting/reporting side live in webhooks.backfill.service; this module
holds the Admin API side that the jobs (webhooks.backfill.jobs) drive.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from app.db import UnitOfWork, utcnow
from app.errors import DomainError
from app.shopify.client import AdminClient
from app.shopify.documents import load_document
from app.shopify.errors import ShopifyError, ShopifyUnavailable, ThrottledError, UserErrors
from webhooks.backfill.service import LEASE, RESOURCES, end_run, enqueue_import, enqueue_start
from webhooks.sync_models import ACTIVE_STATUSES, SyncKind, SyncResource, SyncRun, SyncStatus

log = logging.getLogger(__name__)

DOCUMENTS: dict[SyncResource, str] = {
    SyncResource.CUSTOMERS: "BackfillCustomers",
    SyncResource.COMPANIES: "BackfillCompanies",
    SyncResource.PRODUCTS: "BackfillProducts",
    SyncResource.ORDERS: "BackfillOrders",
}
# The poller asks Shopify about a running export at most this often.
POLL_INTERVAL = timedelta(seconds=30)
# A run claimed for starting but never given its bulk operation id (the worker died mid-call).
START_TIMEOUT = timedelta(minutes=5)
# Shopify's codes for "another bulk operation is running": the run waits in the queue.
BUSY_CODES = frozenset({"OPERATION_IN_PROGRESS", "LIMIT_REACHED"})


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
