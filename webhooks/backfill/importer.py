"""Import a finished bulk export: stream the JSONL into the spool, then write it to the CRM in batches.

One import job owns a run through a lease it renews with every committed batch; a job that finds
the lease held by a live worker leaves. Progress is committed with the data it describes:

- download: the spool commits lines and its byte offset together; the run row mirrors the offset
  for the admin. A restart asks Shopify for the rest of the file (HTTP Range from that offset; a
  server that ignores Range is read and the known part skipped).
- import: each batch of BATCH_PARENTS top-level objects (with their children) is written to the CRM
  in one transaction together with the run's cursor (the file line of the batch's last parent), so
  a batch is either fully in with its cursor, or not at all. A restart continues after the cursor:
  nothing is imported twice (and the CRM's upserts are idempotent anyway).

Failures end the run FAILED with a message naming what and where (the line for a file cut off or a
malformed object). Download trouble and crashes leave it `resumable`: the next request continues.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
from sqlalchemy import select, text, update

from app import services
from app.auth.tokens import offline_token_provider
from app.db import UnitOfWork, utcnow
from app.errors import DomainError
from app.shopify.client import client_for_shop
from app.shopify.errors import ShopifyError
from app.shopify.sdk import shopify_http_client
from crm import payloads as crm_payloads
from crm.service import import_batch, recompute_rollups
from webhooks import bulk_mapping
from webhooks.backfill import orders_fast
from webhooks.backfill.jsonl import TruncatedJsonl, iter_lines, skip_bytes
from webhooks.backfill.service import LEASE, end_run, enqueue_start, result_expired
from webhooks.backfill.spool import Spool
from webhooks.sync_models import SyncKind, SyncResource, SyncRun, SyncStatus

log = logging.getLogger(__name__)

# Top-level objects per import batch (each with its children: an order and its lines).
BATCH_PARENTS = 2000
# Batches the reader thread may have built ahead of the writer (bounds memory).
READ_AHEAD = 2
HAND_OVER_POLL_S = 0.1
# Waits before the 2nd and 3rd download attempt after a network error (resuming where it broke).
DOWNLOAD_RETRY_WAITS_S = (1.0, 5.0)
DOWNLOAD_CHUNK_BYTES = 256 * 1024
SPOOL_DIR = "spool"
# What the lifetime rollups read and write (analyzed before the shop-wide recompute).
ROLLUP_TABLES = ("crm_order", "crm_customer", "crm_company", "crm_company_contact", "crm_company_location")
ACTOR = "shopify"

# Validates one payload the way the CRM will parse it, so a bad object is reported with its line.
_PARSERS: dict[str, Callable[[Any], Any]] = {
    "customers": crm_payloads.parse_customer,
    "companies": crm_payloads.parse_company,
    "company_locations": crm_payloads.parse_company_location,
    "company_contacts": crm_payloads.parse_company_contact,
    "products": crm_payloads.parse_product,
    "orders": crm_payloads.parse_order,
}


class ImportFailed(Exception):
    """The run cannot go on; `resumable` says whether a retry can continue where it stopped."""

    def __init__(self, message: str, *, resumable: bool) -> None:
        super().__init__(message)
        self.resumable = resumable


class LostLease(Exception):
    """Another worker took the run over (ours was presumed dead): stop without touching it."""


@dataclass(frozen=True)
class Progress:
    """Where an import stands after a committed batch (the CLI prints it; tests stop on it)."""

    run_id: int
    resource: SyncResource
    batch: int
    objects_imported: int
    object_count: int | None
    cursor: int


ProgressHook = Callable[[Progress], None]


def spool_path(run: SyncRun) -> Path:
    """Where a run's spool lives: the instance folder of this machine."""
    return Path(services().settings.INSTANCE_PATH) / SPOOL_DIR / f"backfill-run-{run.id}.sqlite3"


def import_run(run_id: int, *, on_batch: ProgressHook | None = None) -> SyncStatus | None:
    """Download (what is not spooled yet) and import (what is not committed yet) a run's export.

    Returns the run's status when this call ends, or None when there was nothing to do here (the
    run is not waiting for an import, or another worker holds it).
    """
    db = services().db
    owner = uuid.uuid4().hex
    with db.unit_of_work() as uow:
        run = uow.session.get(SyncRun, run_id)
        if run is None or run.kind is not SyncKind.BACKFILL:
            return None
        if run.status not in (SyncStatus.DOWNLOADING, SyncStatus.IMPORTING):
            log.info("run %s is %s: nothing to import", run_id, run.status.value)
            return None
        if not _claim(uow, run_id, owner):
            log.info("run %s is being imported by another worker", run_id)
            return None
        uow.commit()
        shop_id, resource, export_id = run.shop_id, run.resource, run.bulk_operation_id
        path = spool_path(run)
    if export_id is None:
        _fail(run_id, owner, ImportFailed("The run has no bulk operation to import.", resumable=False))
        return SyncStatus.FAILED
    spool = Spool(path, export_id=export_id)
    try:
        if not spool.complete:
            _download(run_id, owner, shop_id, export_id, spool)
        skipped = _import(run_id, owner, shop_id, resource, spool, on_batch)
        _complete(run_id, owner, shop_id, resource, skipped)
    except LostLease:
        log.warning("run %s: another worker took the import over; this one stops", run_id)
        spool.close()
        return None
    except ImportFailed as exc:
        spool.close()
        _fail(run_id, owner, exc)
        return SyncStatus.FAILED
    except Exception as exc:
        spool.close()
        _fail(run_id, owner, ImportFailed(f"Import stopped by an internal error: {exc!r}", resumable=True))
        raise
    spool.delete()
    return SyncStatus.COMPLETED


# -- lease ---------------------------------------------------------------------------------------


def _claim(uow: UnitOfWork, run_id: int, owner: str) -> bool:
    now = utcnow()
    claimed = uow.session.execute(
        update(SyncRun)
        .where(
            SyncRun.id == run_id,
            SyncRun.status.in_([SyncStatus.DOWNLOADING, SyncStatus.IMPORTING]),
            (SyncRun.lease_owner.is_(None)) | (SyncRun.lease_expires_at <= now),
        )
        .values(lease_owner=owner, lease_expires_at=now + LEASE, updated_at=now)
    )
    return claimed.rowcount == 1  # type: ignore[attr-defined]


def _renew(uow: UnitOfWork, run_id: int, owner: str, **values: Any) -> None:
    """Write progress and extend the lease, in the caller's transaction; LostLease if it is not ours."""
    now = utcnow()
    renewed = uow.session.execute(
        update(SyncRun)
        .where(SyncRun.id == run_id, SyncRun.lease_owner == owner)
        .values(lease_expires_at=now + LEASE, updated_at=now, **values)
    )
    if renewed.rowcount != 1:  # type: ignore[attr-defined]
        raise LostLease(run_id)


def _fail(run_id: int, owner: str, exc: ImportFailed) -> None:
    with services().db.unit_of_work() as uow:
        run = uow.session.get(SyncRun, run_id)
        if run is None or run.lease_owner != owner:
            return
        end_run(run, SyncStatus.FAILED, error=str(exc), resumable=exc.resumable)
        uow.commit()


# -- download ------------------------------------------------------------------------------------


def _operation(shop_id: int, export_id: str) -> dict[str, Any]:
    """The bulk operation as Shopify reports it now (the result URL is only given here)."""
    with services().db.unit_of_work() as uow:
        try:
            with client_for_shop(
                uow, shop_id=shop_id, token_provider=offline_token_provider(shop_id)
            ) as client:
                operation = client.execute("BulkOperationStatus", {"id": export_id})["bulkOperation"]
        except (ShopifyError, DomainError) as exc:
            raise ImportFailed(
                f"Could not ask Shopify for the export's result: {exc}", resumable=True
            ) from exc
    if operation is None:
        raise ImportFailed(f"Shopify no longer knows bulk operation {export_id}.", resumable=False)
    return operation


def _download(run_id: int, owner: str, shop_id: int, export_id: str, spool: Spool) -> None:
    """Stream the export's JSONL into the spool, from where the spool stopped."""
    operation = _operation(shop_id, export_id)
    status, url = operation.get("status"), operation.get("url")
    object_count = _int(operation.get("objectCount"))
    file_size = _int(operation.get("fileSize"))
    db = services().db
    with db.unit_of_work() as uow:
        _renew(
            uow,
            run_id,
            owner,
            status=SyncStatus.DOWNLOADING,
            bulk_status=status,
            object_count=object_count,
            root_object_count=_int(operation.get("rootObjectCount")),
            file_size=file_size,
        )
        run = uow.session.get(SyncRun, run_id)
        expired = run is not None and result_expired(run)
        uow.commit()
    if status == "EXPIRED" or expired:
        raise ImportFailed(
            "Shopify deleted the export's result (results are kept 7 days). Run the backfill again.",
            resumable=False,
        )
    if status != "COMPLETED":
        raise ImportFailed(f"The export is {str(status).lower()}, not completed.", resumable=False)
    if url is None:
        if object_count:
            raise ImportFailed("Shopify gave no result URL for a completed export.", resumable=False)
        spool.finish()  # an empty export: nothing to download
        return

    def record(offset: int, lines: int) -> None:
        with db.unit_of_work() as progress:
            _renew(progress, run_id, owner, bytes_downloaded=offset, lines_downloaded=lines)
            progress.commit()

    settings = services().settings
    waits = list(DOWNLOAD_RETRY_WAITS_S)
    while True:
        try:
            with shopify_http_client(settings) as http:
                spool.stage(_lines(http, url, spool, file_size), on_commit=record)
            break
        except TruncatedJsonl as exc:
            raise ImportFailed(f"The downloaded file is cut off: {exc}", resumable=True) from exc
        except httpx.TransportError as exc:
            if not waits:
                raise ImportFailed(
                    f"The download broke off after byte {spool.staged_bytes:,} (line {spool.staged_lines:,}) "
                    f"and could not be resumed: {exc.__class__.__name__}: {exc}",
                    resumable=True,
                ) from exc
            wait = waits.pop(0)
            log.warning(
                "download of run %s broke off at byte %s (%s); resuming in %s s",
                run_id,
                spool.staged_bytes,
                exc,
                wait,
            )
            time.sleep(wait)
    spool.finish()
    record(spool.staged_bytes, spool.staged_lines)


def _lines(http: httpx.Client, url: str, spool: Spool, file_size: int | None) -> Iterator[Any]:
    start = spool.staged_bytes
    headers = {"Range": f"bytes={start}-"} if start else {}
    with http.stream("GET", url, headers=headers) as response:
        if response.status_code == 416 and file_size is not None and start >= file_size:
            return  # everything is spooled already
        if response.status_code not in (200, 206):
            raise ImportFailed(
                f"Shopify's storage answered HTTP {response.status_code} for the export's file.",
                resumable=True,
            )
        chunks: Iterator[bytes] = response.iter_bytes(DOWNLOAD_CHUNK_BYTES)
        if start and response.status_code == 200:
            # The server ignored the Range header: read past what is spooled already.
            chunks = skip_bytes(chunks, start)
        yield from iter_lines(chunks, start_line=spool.staged_lines, start_offset=start)


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


# -- import --------------------------------------------------------------------------------------


def _decode(line: int, doc: bytes) -> dict[str, Any]:
    try:
        value = orjson.loads(doc)
    except ValueError as exc:
        raise ImportFailed(f"Line {line} of the export is not valid JSON: {exc}", resumable=False) from exc
    if not isinstance(value, dict):
        raise ImportFailed(f"Line {line} of the export is not a JSON object.", resumable=False)
    return value


def build_batch(
    resource: SyncResource,
    parents: Sequence[tuple[int, dict[str, Any]]],
    children: Mapping[str, Sequence[tuple[int, bytes]]],
) -> tuple[bulk_mapping.Payloads, list[crm_payloads.OrderRecord], int]:
    """A batch's REST payloads (orders: parsed records), and how many JSONL objects they hold.

    Every payload is parsed as the CRM will parse it, so a malformed object fails with its line.
    """
    payloads = bulk_mapping.Payloads()
    orders: list[crm_payloads.OrderRecord] = []
    objects = 0
    for line, parent in parents:
        kids = [_decode(child_line, doc) for child_line, doc in children.get(str(parent.get("id")), ())]
        objects += 1 + len(kids)
        try:
            if resource is SyncResource.ORDERS:
                # The hot path (a million orders): straight to the CRM's parsed record (see order_record).
                orders.append(bulk_mapping.order_record(parent, kids))
                continue
            one = bulk_mapping.Payloads()
            bulk_mapping.add_object(one, resource.value, parent, kids)
            for name, items in one.as_kwargs().items():
                for payload in items:
                    _PARSERS[name](payload)
                getattr(payloads, name).extend(items)
        except (bulk_mapping.MappingError, DomainError) as exc:
            detail = getattr(exc, "detail", None) or str(exc)
            raise ImportFailed(f"Line {line} ({parent.get('id')}): {detail}", resumable=False) from exc
    return payloads, orders, objects


@dataclass(frozen=True)
class _Ready:
    """A batch built and parsed, waiting for the writer."""

    cursor: int
    payloads: bulk_mapping.Payloads
    orders: list[crm_payloads.OrderRecord]
    objects: int


_END = object()


def _prepared(spool: Spool, resource: SyncResource, after_line: int) -> Iterator[_Ready]:
    """The batches after `after_line`, read, decoded and parsed in a thread of their own.

    Building a batch is pure Python work; writing one mostly waits for the database. A reader
    thread READ_AHEAD batches ahead lets the two overlap, with memory bounded by the queue.
    """
    ready: queue.Queue[object] = queue.Queue(maxsize=READ_AHEAD)
    stop = threading.Event()

    def hand_over(item: object) -> bool:
        while not stop.is_set():
            try:
                ready.put(item, timeout=HAND_OVER_POLL_S)
                return True
            except queue.Full:
                continue
        return False

    def read() -> None:
        try:
            for rows in spool.iter_parents(after_line, BATCH_PARENTS):
                parents = [(line, _decode(line, doc)) for line, doc in rows]
                children = spool.children_of([str(parent.get("id")) for _, parent in parents])
                payloads, orders, objects = build_batch(resource, parents, children)
                if not hand_over(_Ready(rows[-1][0], payloads, orders, objects)):
                    return
        except BaseException as exc:  # handed to the writer, which re-raises it
            hand_over(exc)
        hand_over(_END)

    reader = threading.Thread(target=read, name="backfill-reader", daemon=True)
    reader.start()
    try:
        while (item := ready.get()) is not _END:
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        reader.join()


def _import(
    run_id: int, owner: str, shop_id: int, resource: SyncResource, spool: Spool, on_batch: ProgressHook | None
) -> int:
    """Write the spooled objects after the run's cursor, one committed batch at a time; orphans skipped."""
    db = services().db
    with db.unit_of_work() as uow:
        run = uow.session.get(SyncRun, run_id)
        assert run is not None
        cursor, imported = run.import_cursor, run.objects_imported
        counts: dict[str, Any] = dict(run.counts or {})
        object_count = run.object_count
        _renew(uow, run_id, owner, status=SyncStatus.IMPORTING)
        uow.commit()
    batch = int(counts.get("batches", 0))
    with closing(_prepared(spool, resource, cursor)) as prepared:
        for ready in prepared:
            batch += 1
            with db.unit_of_work() as uow:
                if uow.session.get_bind().dialect.name == "postgresql":
                    # A batch commits with its cursor: should the server lose the last commits in a crash,
                    # it loses their cursor with them and the resume redoes them. Not waiting for each
                    # WAL flush is then safe, and spares a disk round trip per batch.
                    uow.session.execute(text("SET LOCAL synchronous_commit = off"))
                tally = _write(uow, shop_id, resource, ready.payloads, ready.orders)
                counts = _add_counts(counts, tally, batches=batch)
                imported += ready.objects
                cursor = ready.cursor
                _renew(uow, run_id, owner, import_cursor=cursor, objects_imported=imported, counts=counts)
                uow.commit()
            if on_batch is not None:
                on_batch(Progress(run_id, resource, batch, imported, object_count, cursor))
    parents_total, children_total = spool.counts()
    return max(0, parents_total + children_total - imported)


def _write(
    uow: UnitOfWork,
    shop_id: int,
    resource: SyncResource,
    payloads: bulk_mapping.Payloads,
    orders: Sequence[crm_payloads.OrderRecord],
) -> dict[str, int]:
    """Apply a batch; {created, updated, unchanged} of the resource's top-level objects."""
    if resource is SyncResource.ORDERS:
        result = orders_fast.import_orders(uow, shop_id=shop_id, records=orders, actor=ACTOR)
        return {"created": result.created, "updated": result.updated, "unchanged": result.unchanged}
    outcome = import_batch(uow, shop_id=shop_id, actor=ACTOR, **payloads.as_kwargs())
    tally = outcome.counts.get(resource.value, {})
    return {
        "created": tally.get("created", 0),
        "updated": tally.get("updated", 0),
        "unchanged": tally.get("unchanged", 0) + tally.get("stale", 0) + tally.get("deleted", 0),
    }


def _add_counts(counts: Mapping[str, Any], tally: Mapping[str, int], *, batches: int) -> dict[str, Any]:
    merged = dict(counts)
    for key, value in tally.items():
        merged[key] = int(merged.get(key, 0)) + value
    merged["batches"] = batches
    return merged


def _complete(run_id: int, owner: str, shop_id: int, resource: SyncResource, skipped: int) -> None:
    """Finish the run: rollups recomputed set-based once (orders), the run completed, the queue moved on."""
    with services().db.unit_of_work() as uow:
        if resource is SyncResource.ORDERS:
            if uow.session.get_bind().dialect.name == "postgresql":
                # The tables just grew by the whole export: without fresh statistics the planner takes
                # them for near-empty and joins the rollup's aggregates by nested loops (minutes, not
                # seconds, for 20,000 customers). ANALYZE samples a bounded number of rows.
                uow.session.execute(text(f"ANALYZE {', '.join(ROLLUP_TABLES)}"))
            # The fast path leaves lifetime rollups to here: one shop-wide, set-based recompute.
            recompute_rollups(uow, shop_id=shop_id)
        run = uow.session.get(SyncRun, run_id)
        if run is None or run.lease_owner != owner:
            raise LostLease(run_id)
        run.counts = {**(run.counts or {}), "orphans": skipped} if skipped else dict(run.counts or {})
        end_run(run, SyncStatus.COMPLETED)
        queued = uow.session.scalar(
            select(SyncRun.id).where(SyncRun.shop_id == shop_id, SyncRun.status == SyncStatus.QUEUED).limit(1)
        )
        if queued is not None:
            enqueue_start(uow, shop_id)
        uow.commit()
