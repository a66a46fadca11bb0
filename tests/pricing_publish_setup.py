"""Setting up a publish test: the fake Shopify the app calls, a list to publish, a connected shop."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from app import services
from app.db import UnitOfWork
from app.shops import TokenSet, store_token
from pricing.models import AssignmentTarget, PriceList
from tests.admin_support import add_acme
from tests.pricing_publish_support import FakeB2B
from tests.pricing_support import (
    add_entry,
    assign,
    make_company,
    make_location,
    make_price_list,
    make_variant,
)


def use_fake_b2b(app_config: dict[str, Any], **fields: Any) -> FakeB2B:
    """A FakeB2B the app under test calls; set it up before the app is built (first fixture argument)."""
    shopify = FakeB2B(**fields)
    app_config["SHOPIFY_HTTP_TRANSPORT"] = shopify.transport
    return shopify


def publishable_list(
    uow: UnitOfWork,
    shop_id: int,
    name: str = "Wholesale",
    *,
    prices: Sequence[str] = ("4.20",),
    currency: str = "USD",
    order_minimum: str | None = None,
) -> PriceList:
    """A list assigned to a company with one location, with a fixed price per `prices` (one variant each)."""
    company = make_company(uow, shop_id)
    make_location(uow, shop_id, company)
    price_list = make_price_list(uow, shop_id, name, currency=currency, order_minimum=order_minimum)
    assign(uow, price_list, AssignmentTarget.COMPANY, company)
    for price in prices:
        add_entry(uow, price_list, make_variant(uow, shop_id, currency=currency), price)
    return price_list


def connected_acme(uow: UnitOfWork) -> int:
    """The admin's acme shop (EUR) with an offline token, so its jobs can call the Admin API; committed."""
    shop = add_acme(uow)
    store_token(
        uow, services().cipher, shop_id=shop.id, tokens=TokenSet(access_token="shpat_e2e", scope=shop.scopes)
    )
    uow.commit()
    return shop.id
