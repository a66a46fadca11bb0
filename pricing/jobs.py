"""RQ entry points of pricing: thin wrappers that open a unit of work and a Shopify client and call in."""

from __future__ import annotations

import logging

from sqlalchemy import select

from app import services
from app.auth.tokens import offline_token_provider
from app.models import Shop
from app.shopify.client import client_for_shop
from app.shops import get_shop
from pricing.service import collections, publish

log = logging.getLogger(__name__)


def publish_price_list(shop_id: int, price_list_id: int) -> str | None:
    """Publish a price list to Shopify B2B (catalog + price list); the publication's final status."""
    with services().db.unit_of_work() as uow:
        if not get_shop(uow, shop_id=shop_id).is_installed:
            publish.fail(
                uow,
                shop_id=shop_id,
                price_list_id=price_list_id,
                error="The shop uninstalled Tradeline before the list could be published.",
            )
            uow.commit()
            return None
        with client_for_shop(uow, shop_id=shop_id, token_provider=offline_token_provider(shop_id)) as client:
            publication = publish.publish(uow, client, shop_id=shop_id, price_list_id=price_list_id)
        return publication.status.value


def sync_collections(shop_id: int) -> dict[str, int] | None:
    """Refresh the shop's collection mirror (collections and their products) from Shopify."""
    with services().db.unit_of_work() as uow:
        if not get_shop(uow, shop_id=shop_id).is_installed:
            log.info("shop %s is not installed; skipping the collection sync", shop_id)
            return None
        with client_for_shop(uow, shop_id=shop_id, token_provider=offline_token_provider(shop_id)) as client:
            result = collections.sync_collections(uow, client, shop_id=shop_id)
    return {"collections": result.collections, "memberships": result.memberships, "deleted": result.deleted}


def sync_all_collections() -> int:
    """Periodic (daily): queue a collection sync for every installed shop; how many were queued."""
    with services().db.unit_of_work() as uow:
        shop_ids = list(
            uow.session.scalars(
                select(Shop.id).where(Shop.installed_at.is_not(None), Shop.uninstalled_at.is_(None))
            )
        )
        for shop_id in shop_ids:
            publish.request_collections_sync(uow, shop_id=shop_id)
        uow.commit()
    return len(shop_ids)
