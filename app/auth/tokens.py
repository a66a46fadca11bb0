"""Offline token lifetime: refresh shortly before expiry, persist the new pair at once, sweep for jobs."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import or_, select

from app import services
from app.db import UnitOfWork, utcnow
from app.errors import DomainError, Unauthorized
from app.models import AccessMode, Shop, ShopToken
from app.shopify.sdk import shopify_http_client, shopify_sdk
from app.shops import TokenSet, get_shop, load_token, store_token

log = logging.getLogger(__name__)

# A job may hold a token for minutes of GraphQL calls: hand out none that dies sooner than this.
REFRESH_MARGIN = timedelta(minutes=5)
# The periodic sweep refreshes tokens expiring within this window (run it more often than that).
SWEEP_WINDOW = timedelta(minutes=30)
# SDK log codes of refresh failures worth retrying as they are (the others need the merchant).
TRANSIENT_REFRESH_FAILURES = frozenset({"network_error", "server_error", "rate_limit_exceeded"})


class TokenRefreshFailed(DomainError):
    """Shopify did not refresh the offline token; the stored pair is unchanged."""

    status = 502
    title = "Shopify token refresh failed"

    def __init__(self, detail: str, *, shop_id: int, code: str) -> None:
        super().__init__(detail)
        self.shop_id = shop_id
        self.code = code

    @property
    def transient(self) -> bool:
        """True when trying again later may succeed; otherwise the merchant must reconnect the shop."""
        return self.code in TRANSIENT_REFRESH_FAILURES


class OfflineTokenMissing(Unauthorized):
    """The shop has no offline token: it must open Tradeline from Shopify admin (or be reinstalled)."""

    title = "Shop not connected"


def token_set_from_sdk(token: Any, *, fallback_scope: str = "") -> TokenSet:
    """A TokenSet from the SDK's TokenExchangeAccessToken (ISO 8601 expiry strings)."""
    return TokenSet(
        access_token=token.token,
        scope=token.scope or fallback_scope,
        expires_at=parse_instant(token.expires),
        refresh_token=token.refresh_token or None,
        refresh_token_expires_at=parse_instant(token.refresh_token_expires),
    )


def expires_within(token: TokenSet, within: timedelta, *, now: datetime | None = None) -> bool:
    """True when the access token expires within `within` (never for a non-expiring token)."""
    return token.expires_at is not None and token.expires_at <= (now or utcnow()) + within


def is_usable(token: TokenSet, *, now: datetime | None = None) -> bool:
    """True while the token works now or can still be refreshed."""
    now = now or utcnow()
    refresh_dead = token.refresh_token_expires_at is not None and token.refresh_token_expires_at <= now
    access_dead = token.expires_at is not None and token.expires_at <= now
    return not refresh_dead and not (access_dead and token.refresh_token is None)


def fresh_offline_token(uow: UnitOfWork, *, shop_id: int) -> str:
    """The shop's decrypted offline access token, refreshed first when it expires within REFRESH_MARGIN.

    When a refresh is due this commits the unit of work (Shopify's refresh tokens are single use,
    so the new pair must be durable at once): call it before making changes you are not ready to
    commit. Raises OfflineTokenMissing or TokenRefreshFailed.
    """
    cipher = services().cipher
    token = load_token(uow, cipher, shop_id=shop_id)
    if token is None:
        raise OfflineTokenMissing(
            f"shop {shop_id} has no offline access token; open Tradeline from Shopify admin"
        )
    if not expires_within(token, REFRESH_MARGIN):
        return token.access_token
    token, _refreshed = refresh_offline_token(uow, shop_id=shop_id, within=REFRESH_MARGIN)
    return token.access_token


def offline_token_provider(shop_id: int) -> Callable[[], str]:
    """A `() -> token` for the Admin API client, each call in a unit of work of its own."""

    # Its own unit of work, so a refresh commits only the new token pair, never the caller's changes.
    def provide() -> str:
        with services().db.unit_of_work() as own:
            return fresh_offline_token(own, shop_id=shop_id)

    return provide


def refresh_offline_token(uow: UnitOfWork, *, shop_id: int, within: timedelta) -> tuple[TokenSet, bool]:
    """Refresh under the row lock unless it no longer expires within `within`; (token, refreshed).

    A successful refresh stores the new access and refresh token in one row and commits.
    """
    svc = services()
    _forget_loaded_tokens(uow, shop_id)
    token = load_token(uow, svc.cipher, shop_id=shop_id, for_update=True)
    if token is None:
        raise OfflineTokenMissing(
            f"shop {shop_id} has no offline access token; open Tradeline from Shopify admin"
        )
    if not expires_within(token, within):
        # Another process refreshed it while this one waited for the lock.
        return token, False
    shop = get_shop(uow, shop_id=shop_id)
    with shopify_http_client(svc.settings) as client:
        result = shopify_sdk(svc.settings).refresh_token_exchanged_access_token(
            _sdk_token(token, shop=shop, within=within), http_client=client
        )
    if not result.ok:
        log.warning("offline token refresh failed for shop %s: %s", shop_id, result.log.code)
        if result.log.code in TRANSIENT_REFRESH_FAILURES:
            detail = f"Shopify could not be reached to refresh the access token of {shop.domain}; try again."
        else:
            detail = (
                f"Shopify refused to refresh the access token of {shop.domain} ({result.log.code}); "
                "the merchant must open Tradeline from Shopify admin to reconnect it."
            )
        raise TokenRefreshFailed(detail, shop_id=shop_id, code=result.log.code)
    if result.access_token is None:
        # The SDK judged the token still valid; keep using it.
        return token, False
    fresh = token_set_from_sdk(result.access_token, fallback_scope=token.scope)
    store_token(uow, svc.cipher, shop_id=shop_id, tokens=fresh)
    uow.commit()
    log.info("offline token refreshed for shop %s", shop_id)
    return fresh, True


def refresh_expiring_tokens(uow: UnitOfWork, *, within: timedelta = SWEEP_WINDOW) -> int:
    """Refresh every installed shop's offline token that expires within `within`; how many were refreshed.

    Each shop's new pair is committed on its own, so one shop's failure (logged) does not hold
    back the others. Safe to run twice at once: the row lock and re-check make the second a no-op.
    """
    now = utcnow()
    shop_ids = uow.session.scalars(
        select(ShopToken.shop_id)
        .join(Shop, Shop.id == ShopToken.shop_id)
        .where(
            ShopToken.access_mode == AccessMode.OFFLINE,
            ShopToken.user_id == 0,
            ShopToken.refresh_token_enc.is_not(None),
            ShopToken.expires_at.is_not(None),
            ShopToken.expires_at <= now + within,
            or_(ShopToken.refresh_token_expires_at.is_(None), ShopToken.refresh_token_expires_at > now),
            Shop.installed_at.is_not(None),
            Shop.uninstalled_at.is_(None),
        )
        .order_by(ShopToken.expires_at, ShopToken.shop_id)
    ).all()
    refreshed = 0
    for shop_id in shop_ids:
        try:
            _token, did_refresh = refresh_offline_token(uow, shop_id=shop_id, within=within)
        except (TokenRefreshFailed, OfflineTokenMissing):
            # Already logged; release this shop's row lock and carry on with the next shop.
            uow.rollback()
            continue
        if did_refresh:
            refreshed += 1
        else:
            uow.rollback()
    return refreshed


def _sdk_token(token: TokenSet, *, shop: Shop, within: timedelta) -> dict[str, Any]:
    # The SDK refreshes only tokens that expire within its own 60 s; ours is a wider margin, so it is
    # told the token expires `within` earlier than it does, which always falls inside the SDK's window.
    expires = token.expires_at - within if token.expires_at is not None else None
    return {
        "shop": shop.handle,
        "access_mode": "offline",
        "token": token.access_token,
        "scope": token.scope,
        "refresh_token": token.refresh_token,
        "expires": _format_instant(expires),
        "refresh_token_expires": _format_instant(token.refresh_token_expires_at),
        "user": None,
    }


def _forget_loaded_tokens(uow: UnitOfWork, shop_id: int) -> None:
    # The locked read must see the committed row, not a copy this session loaded before the lock.
    for obj in list(uow.session.identity_map.values()):
        if isinstance(obj, ShopToken) and obj.shop_id == shop_id:
            uow.session.expire(obj)


def parse_instant(value: str | None) -> datetime | None:
    """An SDK ISO 8601 instant (`...Z`) as an aware UTC datetime."""
    if not value:
        return None
    parsed = datetime.fromisoformat(value)
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _format_instant(value: datetime | None) -> str | None:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if value is not None else None
