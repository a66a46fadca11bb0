"""RQ entry points that talk to Shopify's Admin API on a shop's behalf."""

from __future__ import annotations

import logging
from typing import Any

from app import services
from app.auth.tokens import offline_token_provider
from app.job_control import shop_job_id
from app.jobs import enqueue
from app.shopify.client import client_for_shop
from app.shopify.shop_details import refresh_shop_details as refresh_details
from app.shops import get_shop

log = logging.getLogger(__name__)


def refresh_shop_details(shop_id: int) -> bool:
    """Copy the shop's name, plan, currency and timezone from Shopify; False when it is not installed."""
    with services().db.unit_of_work() as uow:
        if not get_shop(uow, shop_id=shop_id).is_installed:
            # Uninstalled since the job was queued: there is no token to call Shopify with.
            log.info("shop %s is not installed; skipping the shop details refresh", shop_id)
            return False
        with client_for_shop(uow, shop_id=shop_id, token_provider=offline_token_provider(shop_id)) as client:
            refresh_details(uow, client, shop_id=shop_id)
        uow.commit()
    return True


def on_shop_installed(sender: Any, *, shop_id: int, **_: Any) -> None:
    """After an install commits: learn the shop's details from Shopify in the background."""
    enqueue(refresh_shop_details, shop_id, job_id=shop_job_id(shop_id, "shop-details"))
