"""Keep the Shop row's name, contact and settings in step with Shopify."""

from __future__ import annotations

from app.db import UnitOfWork
from app.models import Shop
from app.shopify.client import AdminClient
from app.shops import get_shop

SHOP_GID_PREFIX = "gid://shopify/Shop/"


def shop_id_from_gid(gid: str) -> int:
    """`gid://shopify/Shop/548380009` → 548380009."""
    tail = gid.removeprefix(SHOP_GID_PREFIX) if gid.startswith(SHOP_GID_PREFIX) else ""
    if not tail.isdigit():
        raise ValueError(f"{gid!r} is not a Shopify Shop GID")
    return int(tail)


def refresh_shop_details(uow: UnitOfWork, client: AdminClient, *, shop_id: int) -> Shop:
    """Fetch ShopDetails and store name, email, plan, currency, timezone and Shopify id on the shop."""
    shop = get_shop(uow, shop_id=shop_id)
    if client.shop_domain != shop.domain:
        # A client for another shop would write one tenant's details onto another's row.
        raise ValueError(f"client is for {client.shop_domain}, not for shop {shop_id} ({shop.domain})")
    details = client.execute("ShopDetails")["shop"]
    shop.shopify_id = shop_id_from_gid(details["id"])
    shop.name = details["name"]
    shop.email = details["email"]
    shop.plan = details["plan"]["publicDisplayName"]
    shop.currency = details["currencyCode"]
    shop.timezone = details["ianaTimezone"]
    uow.session.flush()
    return shop
