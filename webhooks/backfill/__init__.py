"""Backfill: a full copy of a shop's customers, companies, products and orders through GraphQL bulk exports.

On install (the `shop_installed` signal, connected by `connect_signals`) and on demand (the admin's
sync page, `tradeline backfill DOMAIN`) each resource gets a run (webhooks.sync_models.SyncRun);
jobs start Shopify's bulk queries, the `bulk_operations/finish` webhook (or the 30-second poller)
hands a finished export to the importer, which streams the JSONL through a local spool into the
CRM in committed, resumable batches. See service.py for the run's life and importer.py for the import.
"""

from __future__ import annotations

from typing import Any

from flask import Flask

from app import services
from app.auth.service import shop_installed
from webhooks.backfill.exports import handle_bulk_operation_finish
from webhooks.backfill.service import request_backfill

__all__ = ["connect_signals", "handle_bulk_operation_finish", "on_shop_installed", "request_backfill"]


def on_shop_installed(sender: Any, *, shop_id: int, **_: Any) -> None:
    """After an install commits: queue the initial backfill of every resource."""
    with services().db.unit_of_work() as uow:
        request_backfill(uow, shop_id=shop_id, requested_by="install", restart=True)
        uow.commit()


def connect_signals(app: Flask) -> None:
    """Backfill every newly installed shop of `app` (a receiver per app, so test apps never cross-fire)."""
    shop_installed.connect(on_shop_installed, sender=app)
