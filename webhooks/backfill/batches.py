"""The import's reader: spooled lines become batches ready to write, built in a thread of their own.

Each batch holds a number of top-level objects with their children. For orders on PostgreSQL a
batch is COPY text (`webhooks.backfill.order_rows`); for orders elsewhere it is the CRM's parsed
records (`bulk_mapping.order_record`); for other resources the REST payloads, each parsed once as
the CRM will parse it, so a malformed object fails with its line before anything is written.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from app.errors import DomainError
from crm import payloads as crm_payloads
from webhooks import bulk_mapping
from webhooks.backfill.order_rows import OrderRows
from webhooks.backfill.spool import Spool
from webhooks.sync_models import SyncResource

# Batches the reader thread may have built ahead of the writer (bounds memory).
READ_AHEAD = 2
HAND_OVER_POLL_S = 0.1

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


@dataclass
class Batch:
    """A batch built and parsed, waiting for the writer; `cursor` is the file line of its last parent."""

    cursor: int = 0
    objects: int = 0
    payloads: bulk_mapping.Payloads = field(default_factory=bulk_mapping.Payloads)
    orders: list[crm_payloads.OrderRecord] = field(default_factory=list)
    order_rows: OrderRows | None = None


def decode(line: int, doc: bytes) -> dict[str, Any]:
    """One JSONL object; ImportFailed naming the line when it is not a JSON object."""
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
    *,
    copy_rows: bool = False,
) -> Batch:
    """A batch of the parents (with their children); orders as COPY text when `copy_rows`.

    Every object is mapped as the CRM will read it, so a malformed one fails with its line.
    """
    batch = Batch(order_rows=OrderRows() if copy_rows and resource is SyncResource.ORDERS else None)
    for line, parent in parents:
        kids = [decode(child_line, doc) for child_line, doc in children.get(str(parent.get("id")), ())]
        batch.objects += 1 + len(kids)
        try:
            if batch.order_rows is not None:
                # The hot path (a million orders): straight to COPY text (see order_rows).
                batch.order_rows.add(parent, kids)
            elif resource is SyncResource.ORDERS:
                batch.orders.append(bulk_mapping.order_record(parent, kids))
            else:
                one = bulk_mapping.Payloads()
                bulk_mapping.add_object(one, resource.value, parent, kids)
                for name, items in one.as_kwargs().items():
                    for payload in items:
                        _PARSERS[name](payload)
                    getattr(batch.payloads, name).extend(items)
        except (bulk_mapping.MappingError, DomainError) as exc:
            detail = getattr(exc, "detail", None) or str(exc)
            raise ImportFailed(f"Line {line} ({parent.get('id')}): {detail}", resumable=False) from exc
    return batch


_END = object()


def prepared(
    spool: Spool, resource: SyncResource, after_line: int, *, size: int, copy_rows: bool
) -> Iterator[Batch]:
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
            for rows in spool.iter_parents(after_line, size):
                parents = [(line, decode(line, doc)) for line, doc in rows]
                children = spool.children_of([str(parent.get("id")) for _, parent in parents])
                batch = build_batch(resource, parents, children, copy_rows=copy_rows)
                batch.cursor = rows[-1][0]
                if not hand_over(batch):
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
