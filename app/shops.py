"""Shop use cases: register and install shops, store and read their encrypted tokens."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from app.crypto import TokenCipher
from app.db import UnitOfWork, utcnow
from app.errors import InvalidInput, NotFound
from app.models import AccessMode, Shop, ShopToken

# The bare-host form of the regex in Shopify's authorization-code grant guide.
SHOP_DOMAIN_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9\-]*\.myshopify\.com$")


def normalize_shop_domain(raw: str | None) -> str:
    """`acme`, `acme.myshopify.com` or `https://acme.myshopify.com/` → `acme.myshopify.com`."""
    value = (raw or "").strip().lower()
    value = value.removeprefix("https://").removeprefix("http://").rstrip("/")
    if value and "." not in value:
        value = f"{value}.myshopify.com"
    if not SHOP_DOMAIN_RE.match(value):
        raise InvalidInput(f"{raw!r} is not a valid myshopify.com shop domain")
    return value


@dataclass(frozen=True)
class TokenSet:
    """A decrypted Shopify token, as the GraphQL client and refresh logic need it."""

    access_token: str
    scope: str
    expires_at: datetime | None = None
    refresh_token: str | None = None
    refresh_token_expires_at: datetime | None = None


def get_shop(uow: UnitOfWork, *, shop_id: int) -> Shop:
    shop = uow.session.get(Shop, shop_id)
    if shop is None:
        raise NotFound(f"shop {shop_id} not found")
    return shop


def find_shop_by_domain(uow: UnitOfWork, *, domain: str) -> Shop | None:
    return uow.session.scalar(select(Shop).where(Shop.domain == domain))


def install_shop(uow: UnitOfWork, *, domain: str, scopes: str = "") -> Shop:
    """Create the shop, or mark a returning one installed again (idempotent)."""
    domain = normalize_shop_domain(domain)
    shop = find_shop_by_domain(uow, domain=domain)
    now = utcnow()
    if shop is None:
        shop = Shop(domain=domain, name=domain.removesuffix(".myshopify.com"), installed_at=now)
        uow.session.add(shop)
    elif not shop.is_installed:
        shop.installed_at = now
        shop.uninstalled_at = None
    if scopes:
        shop.scopes = scopes
    uow.session.flush()
    return shop


def store_token(
    uow: UnitOfWork,
    cipher: TokenCipher,
    *,
    shop_id: int,
    tokens: TokenSet,
    access_mode: AccessMode = AccessMode.OFFLINE,
    user_id: int = 0,
    user_email: str | None = None,
    user_name: str | None = None,
) -> ShopToken:
    """Store the access and refresh token together, replacing the previous pair in one row."""
    row = uow.session.scalar(
        select(ShopToken).where(
            ShopToken.shop_id == shop_id,
            ShopToken.access_mode == access_mode,
            ShopToken.user_id == user_id,
        )
    )
    if row is None:
        row = ShopToken(shop_id=shop_id, access_mode=access_mode, user_id=user_id)
        uow.session.add(row)
    row.access_token_enc = cipher.encrypt(tokens.access_token)
    row.scope = tokens.scope
    row.expires_at = tokens.expires_at
    row.refresh_token_enc = cipher.encrypt(tokens.refresh_token) if tokens.refresh_token else None
    row.refresh_token_expires_at = tokens.refresh_token_expires_at
    row.user_email = user_email
    row.user_name = user_name
    if access_mode is AccessMode.OFFLINE and tokens.scope:
        shop = get_shop(uow, shop_id=shop_id)
        shop.scopes = tokens.scope
    uow.session.flush()
    return row


def load_token(
    uow: UnitOfWork,
    cipher: TokenCipher,
    *,
    shop_id: int,
    access_mode: AccessMode = AccessMode.OFFLINE,
    user_id: int = 0,
    for_update: bool = False,
) -> TokenSet | None:
    """The decrypted token of this shop (and staff member, when online), if one is stored."""
    query = select(ShopToken).where(
        ShopToken.shop_id == shop_id,
        ShopToken.access_mode == access_mode,
        ShopToken.user_id == user_id,
    )
    if for_update:
        # Serialises concurrent refreshes on PostgreSQL: each refresh token works once.
        query = query.with_for_update()
    row = uow.session.scalar(query)
    if row is None:
        return None
    return TokenSet(
        access_token=cipher.decrypt(row.access_token_enc),
        scope=row.scope,
        expires_at=row.expires_at,
        refresh_token=cipher.decrypt(row.refresh_token_enc) if row.refresh_token_enc else None,
        refresh_token_expires_at=row.refresh_token_expires_at,
    )


def uninstall_shop(uow: UnitOfWork, *, shop_id: int) -> Shop:
    """Mark the shop uninstalled and drop every token it had (idempotent)."""
    shop = get_shop(uow, shop_id=shop_id)
    if shop.uninstalled_at is None:
        shop.uninstalled_at = utcnow()
    shop.tokens.clear()  # delete-orphan removes the rows on flush
    uow.session.flush()
    return shop
