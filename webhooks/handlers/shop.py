"""Handler for shop/update."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from app.db import UnitOfWork
from crm.service import topics
from webhooks.service import inbox

if TYPE_CHECKING:
    from webhooks.registry import Delivery

log = logging.getLogger(__name__)


def handle_shop_update(
    uow: UnitOfWork, *, shop_id: int, payload: Mapping[str, Any], delivery: Delivery
) -> None:
    """shop/update: the shop's settings, unless a later shop/update is applied or pending.

    The Shop row keeps no Shopify `updated_at`, so the inbox orders the deliveries instead.
    """
    if inbox.superseded(uow, delivery=delivery):
        log.info("shop/update delivery %s is older than another one; skipped", delivery.id)
        return
    changes = topics.apply_shop_update(uow, shop_id=shop_id, payload=payload)
    if changes:
        log.info("shop %s settings updated from Shopify: %s", shop_id, ", ".join(sorted(changes)))
