"""Reconciliation: page through what changed in Shopify lately and repair what the webhooks missed.

Shopify does not guarantee webhook delivery, and a delivery can come a day late. Every hour (and on
demand: the sync page, `tradeline reconcile DOMAIN`) each resource is listed with
`<resource>(query: "updated_at:>='…'", sortKey: UPDATED_AT, first: 250)` from the previous run's
high-water mark minus an hour of overlap (Shopify's search index lags behind writes). Only ids and
`updatedAt` are listed; each is compared with the stored `shopify_updated_at`. A record that is
missing (or only a placeholder) or older in Tradeline is fetched in full and applied through the
same CRM upserts as a webhook, so newest-wins holds: if the webhook turns up after all it changes
nothing. Each run stores what it checked, created and updated.

Deletions are not visible this way (a deleted record is not listed): they arrive by webhook only.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from app import services
from app.auth.service import installed_shops
from app.auth.tokens import offline_token_provider
from app.db import UnitOfWork, utcnow
from app.errors import DomainError
from app.job_control import shop_job_id
from app.jobs import enqueue_after_commit
from app.shopify.client import AdminClient, client_for_shop
from app.shopify.errors import ShopifyError
from app.shops import get_shop
from crm.models import CrmCompany, CrmCustomer, CrmOrder, CrmProduct
from crm.payloads import parse_datetime
from crm.service import import_batch
from webhooks import bulk_mapping
from webhooks.backfill.service import RESOURCES, active_key, end_run, latest_run
from webhooks.sync_models import SyncKind, SyncResource, SyncRun, SyncStatus

log = logging.getLogger(__name__)

# Shopify's search index lags behind writes: every run looks this far behind the previous one.
OVERLAP = timedelta(hours=1)
# How far back the first run looks when there has been neither a reconciliation nor a backfill.
FIRST_WINDOW = timedelta(days=1)
PAGE_SIZE = 250
JOB = "webhooks.reconcile.reconcile_shop"

# The list document of each resource, and the connection it pages.
_LIST = {
    SyncResource.CUSTOMERS: ("ReconcileCustomers", "customers"),
    SyncResource.COMPANIES: ("ReconcileCompanies", "companies"),
    SyncResource.PRODUCTS: ("ReconcileProducts", "products"),
    SyncResource.ORDERS: ("ReconcileOrders", "orders"),
}
_TYPE = {
    SyncResource.CUSTOMERS: "Customer",
    SyncResource.COMPANIES: "Company",
    SyncResource.PRODUCTS: "Product",
    SyncResource.ORDERS: "Order",
}
# Ids per Reconcile<Type>Nodes call, keeping each call's requested cost under 1,000 points.
_NODES_PER_CALL = {
    SyncResource.CUSTOMERS: 50,
    SyncResource.COMPANIES: 8,
    SyncResource.PRODUCTS: 8,
    SyncResource.ORDERS: 4,
}
_CONNECTIONS = {
    SyncResource.CUSTOMERS: ("addressesV2",),
    SyncResource.COMPANIES: ("locations", "contacts"),
    SyncResource.PRODUCTS: ("variants",),
    SyncResource.ORDERS: ("lineItems",),
}
_MODEL: Mapping[SyncResource, Any] = {
    SyncResource.CUSTOMERS: CrmCustomer,
    SyncResource.COMPANIES: CrmCompany,
    SyncResource.PRODUCTS: CrmProduct,
    SyncResource.ORDERS: CrmOrder,
}


def search_query(since: datetime) -> str:
    """Shopify's search syntax for "updated at or after `since`" (UTC, whole seconds)."""
    return f"updated_at:>='{since.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}'"


def window_start(uow: UnitOfWork, *, shop_id: int, resource: SyncResource, now: datetime) -> datetime:
    """Where this run starts: the last run's high-water mark (else the last backfill) minus the overlap."""
    previous = uow.session.scalar(
        select(SyncRun.high_water_mark)
        .where(
            SyncRun.shop_id == shop_id,
            SyncRun.kind == SyncKind.RECONCILE,
            SyncRun.resource == resource,
            SyncRun.status == SyncStatus.COMPLETED,
            SyncRun.high_water_mark.is_not(None),
        )
        .order_by(SyncRun.id.desc())
        .limit(1)
    )
    if previous is None:
        # The export of the last completed backfill holds everything up to about when it started.
        previous = uow.session.scalar(
            select(SyncRun.started_at)
            .where(
                SyncRun.shop_id == shop_id,
                SyncRun.kind == SyncKind.BACKFILL,
                SyncRun.resource == resource,
                SyncRun.status == SyncStatus.COMPLETED,
            )
            .order_by(SyncRun.id.desc())
            .limit(1)
        )
    if previous is None:
        return now - FIRST_WINDOW
    return previous - OVERLAP


def request_reconcile(
    uow: UnitOfWork,
    *,
    shop_id: int,
    resources: Sequence[SyncResource] = RESOURCES,
    requested_by: str,
    enqueue: bool = True,
) -> list[SyncRun]:
    """Queue a reconciliation of each resource; the job runs once the caller commits (unless not `enqueue`).

    A resource with a reconciliation already queued or running, or a backfill under way (its
    export will hold the changes), is skipped.
    """
    runs: list[SyncRun] = []
    for resource in resources:
        busy = uow.session.scalar(
            select(SyncRun.id).where(
                SyncRun.shop_id == shop_id,
                SyncRun.active_key.in_(
                    [active_key(SyncKind.RECONCILE, resource), active_key(SyncKind.BACKFILL, resource)]
                ),
            )
        )
        if busy is not None:
            continue
        run = SyncRun(
            shop_id=shop_id,
            kind=SyncKind.RECONCILE,
            resource=resource,
            status=SyncStatus.QUEUED,
            active_key=active_key(SyncKind.RECONCILE, resource),
            requested_by=requested_by,
            counts={},
        )
        uow.session.add(run)
        runs.append(run)
    uow.session.flush()
    if runs and enqueue:
        enqueue_after_commit(uow, JOB, shop_id, queue="bulk", job_id=shop_job_id(shop_id, "reconcile"))
    return runs


def run_queued(uow: UnitOfWork, client: AdminClient, *, shop_id: int) -> list[SyncRun]:
    """Run the shop's queued reconciliations, each committed when it ends; the runs this call ran."""
    queued = list(
        uow.session.scalars(
            select(SyncRun)
            .where(
                SyncRun.shop_id == shop_id,
                SyncRun.kind == SyncKind.RECONCILE,
                SyncRun.status == SyncStatus.QUEUED,
            )
            .order_by(SyncRun.id)
        )
    )
    ran = []
    for run in queued:
        # Claimed first: the hourly job and a manual run never check the same run twice.
        claimed = uow.session.execute(
            update(SyncRun)
            .where(SyncRun.id == run.id, SyncRun.status == SyncStatus.QUEUED)
            .values(status=SyncStatus.RUNNING, updated_at=utcnow())
        )
        uow.commit()
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            continue
        uow.session.refresh(run)
        ran.append(reconcile_run(uow, client, run))
    return ran


def reconcile_run(uow: UnitOfWork, client: AdminClient, run: SyncRun) -> SyncRun:
    """Check one resource and repair what is missing or stale; the run ends completed or failed."""
    now = utcnow()
    run.status = SyncStatus.RUNNING
    run.started_at = now
    run.window_start = window_start(uow, shop_id=run.shop_id, resource=run.resource, now=now)
    uow.commit()
    try:
        counts = _reconcile(uow, client, run)
    except (ShopifyError, DomainError) as exc:
        uow.rollback()
        run = uow.session.get(SyncRun, run.id)  # type: ignore[assignment]
        end_run(run, SyncStatus.FAILED, error=f"Reconciliation stopped: {exc}")
        uow.commit()
        return run
    run.counts = counts
    run.high_water_mark = now
    end_run(run, SyncStatus.COMPLETED)
    uow.commit()
    log.info("reconciled %s of shop %s: %s", run.resource.value, run.shop_id, counts)
    return run


def _reconcile(uow: UnitOfWork, client: AdminClient, run: SyncRun) -> dict[str, int]:
    resource, shop_id = run.resource, run.shop_id
    assert run.window_start is not None
    model = _MODEL[resource]
    counts = {"checked": 0, "created": 0, "updated": 0}
    after: str | None = None
    query = search_query(run.window_start)
    document, field = _LIST[resource]
    while True:
        page = client.execute(document, {"first": PAGE_SIZE, "after": after, "query": query})[field]
        listed = {
            bulk_mapping.gid_number(node["id"], _TYPE[resource]): (
                node["id"],
                parse_datetime(node["updatedAt"]),
            )
            for node in page["nodes"]
        }
        stored = {
            row.shopify_id: row
            for row in uow.session.execute(
                select(model.shopify_id, model.shopify_updated_at, model.deleted_at).where(
                    model.shop_id == shop_id, model.shopify_id.in_(list(listed))
                )
            )
        }
        missing: list[str] = []
        stale: list[str] = []
        for shopify_id, (gid, updated_at) in listed.items():
            row = stored.get(shopify_id)
            if row is None or row.shopify_updated_at is None:
                missing.append(gid)
            elif row.deleted_at is None and updated_at is not None and row.shopify_updated_at < updated_at:
                stale.append(gid)
        counts["checked"] += len(listed)
        counts["created"] += _repair(uow, client, resource, shop_id, missing)
        counts["updated"] += _repair(uow, client, resource, shop_id, stale)
        run.counts = dict(counts)
        uow.commit()  # repairs are durable page by page
        info = page["pageInfo"]
        if not info["hasNextPage"]:
            return counts
        after = info["endCursor"]


def _repair(
    uow: UnitOfWork, client: AdminClient, resource: SyncResource, shop_id: int, gids: list[str]
) -> int:
    """Fetch the objects in full and upsert them as webhooks would; how many were written."""
    written = 0
    size = _NODES_PER_CALL[resource]
    for start in range(0, len(gids), size):
        nodes = client.execute(f"Reconcile{_TYPE[resource]}Nodes", {"ids": gids[start : start + size]})[
            "nodes"
        ]
        payloads = bulk_mapping.Payloads()
        for node in nodes:
            if not node:
                continue  # deleted in Shopify since it was listed
            children = _all_children(client, resource, node)
            bulk_mapping.add_object(payloads, resource.value, node, children)
        if not len(payloads):
            continue
        tally = import_batch(uow, shop_id=shop_id, **payloads.as_kwargs()).counts.get(resource.value, {})
        written += tally.get("created", 0) + tally.get("updated", 0)
    return written


def _all_children(
    client: AdminClient, resource: SyncResource, node: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """The node's children, paging on with Reconcile<Type>Children where the first page was not all."""
    children = bulk_mapping.children_of(node, resource.value)
    connections = _CONNECTIONS[resource]
    for name in connections:
        info = (node.get(name) or {}).get("pageInfo") or {}
        cursor = info.get("endCursor") if info.get("hasNextPage") else None
        while cursor:
            variables: dict[str, Any] = {"id": node["id"]}
            for other in connections:
                variables[other] = other == name
                variables[f"{other}After"] = cursor if other == name else None
            data = client.execute(f"Reconcile{_TYPE[resource]}Children", variables)
            page = (data.get(_TYPE[resource].lower()) or {}).get(name) or {}
            children += page.get("nodes") or []
            more = page.get("pageInfo") or {}
            cursor = more.get("endCursor") if more.get("hasNextPage") else None
    return children


# -- jobs and commands ---------------------------------------------------------------------------


def reconcile_shop(shop_id: int) -> int:
    """Job: run the shop's queued reconciliations; how many ran."""
    with services().db.unit_of_work() as uow:
        if not get_shop(uow, shop_id=shop_id).is_installed:
            return 0
        with client_for_shop(uow, shop_id=shop_id, token_provider=offline_token_provider(shop_id)) as client:
            return len(run_queued(uow, client, shop_id=shop_id))


def reconcile_all_shops() -> int:
    """Periodic (hourly): queue a reconciliation of every installed shop; how many shops."""
    with services().db.unit_of_work() as uow:
        shop_ids = [shop.id for shop in installed_shops(uow)]
    for shop_id in shop_ids:
        with services().db.unit_of_work() as uow:
            request_reconcile(uow, shop_id=shop_id, requested_by="cron")
            uow.commit()
    return len(shop_ids)


def latest_reconcile(uow: UnitOfWork, *, shop_id: int, resource: SyncResource) -> SyncRun | None:
    return latest_run(uow, shop_id=shop_id, kind=SyncKind.RECONCILE, resource=resource)
