"""Handlers of the app's own lifecycle topics: app/uninstalled and app/scopes_update.

app/uninstalled marks the shop uninstalled, drops its Shopify tokens (they stop working the moment
the merchant uninstalls) and, once that is committed, cancels the shop's pending jobs
(`app.job_control`); a job already running finds the shop uninstalled and does nothing. The data
stays until Shopify's shop/redact arrives 48 hours later, so a merchant who reinstalls in between
finds everything as they left it.

API keys are left alone: while the shop is uninstalled they answer 403 (`app.apikeys`), a
reinstall within the 48 hours brings the merchant's integrations back without new keys, and
shop/redact deletes them with everything else.

Both handlers ignore a delivery fired before the shop's current installation began (a late
app/uninstalled must not uninstall a shop that has reinstalled since) and are idempotent.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol

import redis
from sqlalchemy import update

from app.db import UnitOfWork
from app.errors import InvalidInput
from app.job_control import cancel_shop_jobs
from app.models import AccessMode, Shop, ShopToken
from app.shops import uninstall_shop

log = logging.getLogger(__name__)

MAX_SCOPE_CHARS = 100


class DeliveryInfo(Protocol):
    """What these handlers read of the delivery (webhooks.registry.Delivery)."""

    id: int
    topic: str
    received_at: datetime
    triggered_at: datetime | None


def handle_app_uninstalled(
    uow: UnitOfWork, *, shop_id: int, payload: Mapping[str, Any], delivery: DeliveryInfo
) -> None:
    """app/uninstalled: mark the shop uninstalled, drop its tokens, then cancel its pending jobs."""
    shop = uow.session.get(Shop, shop_id)
    if shop is None:
        log.info("app/uninstalled for shop %s: the shop is gone already", shop_id)
        return
    if _before_installation(shop, delivery):
        log.warning(
            "app/uninstalled for shop %s ignored: fired before the shop's current installation", shop_id
        )
        return
    repeat = shop.uninstalled_at is not None
    uninstall_shop(uow, shop_id=shop_id)
    uow.after_commit(lambda: _cancel_jobs(shop_id))
    log.info(
        "app/uninstalled for shop %s: %s; tokens dropped, pending jobs cancelled after commit",
        shop_id,
        "already uninstalled" if repeat else "uninstalled",
    )


def handle_app_scopes_update(
    uow: UnitOfWork, *, shop_id: int, payload: Mapping[str, Any], delivery: DeliveryInfo
) -> None:
    """app/scopes_update: store the scopes the merchant has granted now (`current`)."""
    granted = _scopes(payload.get("current"), "current")
    shop = uow.session.get(Shop, shop_id)
    if shop is None or not shop.is_installed:
        log.info("app/scopes_update for shop %s ignored: the shop is not installed", shop_id)
        return
    if _before_installation(shop, delivery):
        log.warning(
            "app/scopes_update for shop %s ignored: fired before the shop's current installation", shop_id
        )
        return
    before = {s.strip() for s in shop.scopes.split(",") if s.strip()}
    text = ",".join(granted)
    if shop.scopes != text:
        shop.scopes = text
    # The offline token carries the same grant; a refresh that returns no scope keeps the token's,
    # so it must not hold the old set.
    uow.session.execute(
        update(ShopToken)
        .where(
            ShopToken.shop_id == shop_id,
            ShopToken.access_mode == AccessMode.OFFLINE,
            ShopToken.scope != text,
        )
        .values(scope=text)
        .execution_options(synchronize_session="fetch")
    )
    uow.session.flush()
    added, removed = sorted(set(granted) - before), sorted(before - set(granted))
    log.info(
        "app/scopes_update for shop %s: %d scopes granted (added: %s; removed: %s)",
        shop_id,
        len(granted),
        ", ".join(added) or "none",
        ", ".join(removed) or "none",
    )


def _before_installation(shop: Shop, delivery: DeliveryInfo) -> bool:
    """Whether Shopify fired the delivery before the shop's current installation began."""
    fired_at = delivery.triggered_at or delivery.received_at
    return shop.installed_at is not None and fired_at < shop.installed_at


def _scopes(value: Any, name: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
        raise InvalidInput(f"app/scopes_update: `{name}` must be a list of scope names")
    scopes = [s.strip() for s in value if s.strip()]
    if any(len(s) > MAX_SCOPE_CHARS or "," in s for s in scopes):
        raise InvalidInput(f"app/scopes_update: `{name}` holds a malformed scope name")
    return list(dict.fromkeys(scopes))


def _cancel_jobs(shop_id: int) -> None:
    try:
        cancel_shop_jobs(shop_id)
    except redis.RedisError as exc:
        # The uninstall is committed: the shop's jobs find it uninstalled and do nothing.
        log.warning("could not cancel the pending jobs of shop %s: %s", shop_id, exc.__class__.__name__)
