"""Installation use cases: finish an install, trade an authorization code, remember who the staff are."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import httpx
from blinker import Namespace
from flask import current_app
from sqlalchemy import select

from app.auth.tokens import parse_instant
from app.config import Settings
from app.crypto import TokenCipher
from app.db import UnitOfWork, utcnow
from app.errors import DomainError
from app.models import AccessMode, Shop, ShopToken
from app.shopify.sdk import shopify_http_client
from app.shops import TokenSet, find_shop_by_domain, install_shop, store_token

log = logging.getLogger(__name__)

_signals = Namespace()
# Sent after the commit that installs (or reinstalls) a shop, with `shop_id` and `domain`;
# other contexts connect to it (the initial backfill, for one) without auth importing them.
shop_installed = _signals.signal("tradeline.shop-installed")


class AuthorizationCodeRejected(DomainError):
    """Shopify did not trade the authorization code for an access token."""

    status = 400
    title = "Installation failed"


class ShopifyUnavailable(DomainError):
    """Shopify's token endpoint could not be reached or failed."""

    status = 502
    title = "Shopify unavailable"


def complete_install(uow: UnitOfWork, cipher: TokenCipher, *, domain: str, tokens: TokenSet) -> Shop:
    """Install (or reinstall) the shop and store its offline token; `shop_installed` fires after commit."""
    existing = find_shop_by_domain(uow, domain=domain)
    newly_installed = existing is None or not existing.is_installed
    shop = install_shop(uow, domain=domain, scopes=tokens.scope)
    store_token(uow, cipher, shop_id=shop.id, tokens=tokens)
    if newly_installed:
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        shop_id, shop_domain = shop.id, shop.domain
        uow.after_commit(lambda: shop_installed.send(app, shop_id=shop_id, domain=shop_domain))
        log.info("shop %s installed (id %s)", shop_domain, shop_id)
    return shop


def installed_shops(uow: UnitOfWork) -> list[Shop]:
    """Every currently installed shop, by domain."""
    return list(
        uow.session.scalars(
            select(Shop)
            .where(Shop.installed_at.is_not(None), Shop.uninstalled_at.is_(None))
            .order_by(Shop.domain)
        )
    )


def exchange_authorization_code(settings: Settings, *, shop: str, code: str) -> TokenSet:
    """Trade the legacy grant's authorization code for an expiring offline token (shopifyapp cannot)."""
    try:
        with shopify_http_client(settings) as client:
            response = client.post(
                f"https://{shop}/admin/oauth/access_token",
                json={
                    "client_id": settings.SHOPIFY_API_KEY,
                    "client_secret": settings.SHOPIFY_API_SECRET,
                    "code": code,
                    "expiring": 1,
                },
                headers={"Accept": "application/json"},
            )
    except httpx.HTTPError as exc:
        log.warning("authorization code exchange for %s failed: %s", shop, exc.__class__.__name__)
        raise ShopifyUnavailable(f"Could not reach {shop} to finish the installation; try again.") from exc
    if response.status_code >= 500:
        raise ShopifyUnavailable(
            f"Shopify answered {response.status_code} while finishing the installation; try again."
        )
    if response.status_code != 200:
        log.warning("authorization code for %s refused with HTTP %s", shop, response.status_code)
        raise AuthorizationCodeRejected(
            "Shopify did not accept the authorization code (it works once and expires quickly). "
            "Start the installation again from Shopify admin."
        )
    try:
        data = response.json()
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise ShopifyUnavailable(
            "Shopify's token endpoint answered with something other than JSON; try again."
        )
    return token_set_from_response(data)


def token_set_from_response(data: dict[str, Any]) -> TokenSet:
    """A TokenSet from Shopify's access-token response (`expires_in` and refresh fields when expiring)."""
    access_token = data.get("access_token")
    if not isinstance(access_token, str) or not access_token:
        raise AuthorizationCodeRejected(
            "Shopify's answer carried no access token. Start the installation again."
        )
    now = utcnow()
    expires_in, refresh_expires_in = data.get("expires_in"), data.get("refresh_token_expires_in")
    return TokenSet(
        access_token=access_token,
        scope=str(data.get("scope") or ""),
        expires_at=now + timedelta(seconds=int(expires_in)) if expires_in is not None else None,
        refresh_token=data.get("refresh_token") or None,
        refresh_token_expires_at=(
            now + timedelta(seconds=int(refresh_expires_in)) if refresh_expires_in is not None else None
        ),
    )


def staff_profile(uow: UnitOfWork, *, shop_id: int, user_id: int) -> ShopToken | None:
    """The staff member's stored online token row (name, email, expiry), if any."""
    return uow.session.scalar(
        select(ShopToken).where(
            ShopToken.shop_id == shop_id,
            ShopToken.access_mode == AccessMode.ONLINE,
            ShopToken.user_id == user_id,
        )
    )


def remember_staff(
    uow: UnitOfWork, cipher: TokenCipher, *, shop_id: int, user_id: int, token: Any
) -> ShopToken:
    """Store a staff member's online token (from the SDK's token exchange) with their name and email."""
    user = token.user
    name = " ".join(part for part in (user.first_name, user.last_name) if part).strip() if user else ""
    return store_token(
        uow,
        cipher,
        shop_id=shop_id,
        tokens=TokenSet(
            access_token=token.token,
            scope=token.scope or "",
            expires_at=parse_instant(token.expires),
        ),
        access_mode=AccessMode.ONLINE,
        user_id=user_id,
        user_email=(user.email or None) if user else None,
        user_name=name or None,
    )
