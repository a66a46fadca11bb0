"""What `tradeline backfill DOMAIN` and `tradeline reconcile DOMAIN` do, inside the command's app context."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from app import services
from app.auth.tokens import offline_token_provider
from app.errors import NotFound
from app.shopify.client import client_for_shop
from app.shops import find_shop_by_domain, normalize_shop_domain
from webhooks import reconcile
from webhooks.backfill import exports, service
from webhooks.sync_models import ACTIVE_STATUSES, SyncKind, SyncResource, SyncStatus

# How often a waiting `tradeline backfill` asks Shopify whether the exports have finished.
WAIT_POLL_S = 10.0

Echo = Callable[[str], None]


def shop_id_for(domain: str) -> int:
    """The id of the installed shop with this domain; NotFound otherwise."""
    with services().db.unit_of_work() as uow:
        shop = find_shop_by_domain(uow, domain=normalize_shop_domain(domain))
        if shop is None or not shop.is_installed:
            raise NotFound(f"no installed shop {domain!r} (see `tradeline shops add`)")
        return shop.id


def _describe(resource: SyncResource, shop_id: int) -> tuple[SyncStatus | None, str]:
    with services().db.unit_of_work() as uow:
        run = service.latest_run(uow, shop_id=shop_id, kind=SyncKind.BACKFILL, resource=resource)
        if run is None:
            return None, f"{resource.value}: not run"
        total = f" of {run.object_count:,}" if run.object_count else ""
        text = f"{resource.value}: {run.status.value}, {run.objects_imported:,}{total} objects imported"
        if run.error:
            text += f" — {run.error}"
        return run.status, text


def run_backfill(
    domain: str,
    *,
    resources: Sequence[SyncResource],
    fresh: bool,
    wait: bool,
    echo: Echo,
    poll_s: float = WAIT_POLL_S,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Queue (or resume) the backfill; with `wait`, see it to the end. The exit code (1: a run failed)."""
    shop_id = shop_id_for(domain)
    with services().db.unit_of_work() as uow:
        request = service.request_backfill(
            uow, shop_id=shop_id, resources=resources, requested_by="cli", fresh=fresh
        )
        uow.commit()
    for resource, outcome in request.outcome.items():
        echo(f"{resource.value}: {outcome}")
    if not wait:
        echo("Workers carry on from here; follow the progress on the sync page.")
        return 0
    inline = services().settings.jobs_inline
    shown: dict[SyncResource, str] = {}
    while True:
        if inline:
            # No scheduler runs the poller without Redis: poll here (a finished export imports now).
            with services().db.unit_of_work() as uow:
                tokens = offline_token_provider(shop_id)
                with client_for_shop(uow, shop_id=shop_id, token_provider=tokens) as client:
                    exports.poll_shop(uow, client, shop_id=shop_id)
                uow.commit()
        states = {resource: _describe(resource, shop_id) for resource in resources}
        for resource, (_status, text) in states.items():
            if shown.get(resource) != text:
                echo(text)
                shown[resource] = text
        if not any(status in ACTIVE_STATUSES for status, _ in states.values()):
            failed = any(status is SyncStatus.FAILED for status, _ in states.values())
            return 1 if failed else 0
        sleep(poll_s)


def run_reconcile(domain: str, *, resources: Sequence[SyncResource], echo: Echo) -> int:
    """Reconcile now, here; print what each resource checked and repaired. The exit code (1: a run failed)."""
    shop_id = shop_id_for(domain)
    with services().db.unit_of_work() as uow:
        queued = reconcile.request_reconcile(
            uow, shop_id=shop_id, resources=resources, requested_by="cli", enqueue=False
        )
        uow.commit()
    if not queued:
        echo("Nothing to reconcile: a backfill or reconciliation of those resources is already running.")
        return 0
    with services().db.unit_of_work() as uow:
        with client_for_shop(uow, shop_id=shop_id, token_provider=offline_token_provider(shop_id)) as client:
            runs = reconcile.run_queued(uow, client, shop_id=shop_id)
        failed = False
        for run in runs:
            counts = run.counts or {}
            if run.status is SyncStatus.FAILED:
                failed = True
                echo(f"{run.resource.value}: failed — {run.error}")
            else:
                echo(
                    f"{run.resource.value}: checked {counts.get('checked', 0):,}, "
                    f"created {counts.get('created', 0):,}, updated {counts.get('updated', 0):,}"
                )
    return 1 if failed else 0
