"""RQ entry points of the backfill: thin wrappers that open a unit of work, a Shopify client and call in."""

from __future__ import annotations

import logging

from sqlalchemy import select

from app import services
from app.auth.tokens import offline_token_provider
from app.db import UnitOfWork
from app.shopify.client import client_for_shop
from app.shops import get_shop
from webhooks.backfill import exports, importer, service
from webhooks.sync_models import SyncKind, SyncRun, SyncStatus

log = logging.getLogger(__name__)


def start_exports(shop_id: int) -> int:
    """Start the shop's queued bulk exports; how many Shopify accepted."""
    with services().db.unit_of_work() as uow:
        if not get_shop(uow, shop_id=shop_id).is_installed:
            _fail_active(uow, shop_id, "The shop uninstalled Tradeline before the export could start.")
            uow.commit()
            return 0
        with client_for_shop(uow, shop_id=shop_id, token_provider=offline_token_provider(shop_id)) as client:
            return len(exports.start_exports(uow, client, shop_id=shop_id))


def import_run(run_id: int) -> str | None:
    """Download and import a finished export (resuming where a previous attempt stopped)."""
    status = importer.import_run(run_id)
    return status.value if status is not None else None


def poll_bulk_operations() -> dict[str, int]:
    """Periodic (every 30 s): move on active backfills whose finish webhook is late, or whose worker died."""
    totals = {"shops": 0, "polled": 0, "finished": 0, "restarted": 0, "resumed": 0}
    with services().db.unit_of_work() as uow:
        shop_ids = list(exports.runs_to_poll(uow))
    for shop_id in shop_ids:
        totals["shops"] += 1
        with services().db.unit_of_work() as uow:
            shop = get_shop(uow, shop_id=shop_id)
            if not shop.is_installed:
                _fail_active(uow, shop_id, "The shop uninstalled Tradeline during the backfill.")
                uow.commit()
                continue
            with client_for_shop(
                uow, shop_id=shop_id, token_provider=offline_token_provider(shop_id)
            ) as client:
                report = exports.poll_shop(uow, client, shop_id=shop_id)
            uow.commit()
        for key, value in report.items():
            totals[key] += value
    return totals


def _fail_active(uow: UnitOfWork, shop_id: int, message: str) -> None:
    active = select(SyncRun).where(
        SyncRun.shop_id == shop_id, SyncRun.kind == SyncKind.BACKFILL, SyncRun.active_key.is_not(None)
    )
    for run in uow.session.scalars(active):
        service.end_run(run, SyncStatus.FAILED, error=message)
