"""Shopify-shaped CRM payloads for tests: the JSON files in tests/fixtures/webhooks, varied by builders."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from app.db import UnitOfWork
from app.shops import install_shop

FIXTURES = Path(__file__).parent / "fixtures" / "webhooks"
T0 = datetime.fromisoformat("2026-05-01T10:00:00-05:00")


@cache
def _fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def webhook(name: str) -> dict[str, Any]:
    """A fresh copy of tests/fixtures/webhooks/<name>.json."""
    return copy.deepcopy(_fixture(name))


def at(minutes: float) -> str:
    """A Shopify timestamp `minutes` after T0, in the shop's offset as Shopify writes it."""
    return (T0 + timedelta(minutes=minutes)).isoformat()


def customer(customer_id: int = 706405506930370084, *, minute: float = 0, **fields: Any) -> dict[str, Any]:
    payload = webhook("customers_create")
    payload.update(
        id=customer_id, admin_graphql_api_id=f"gid://shopify/Customer/{customer_id}", updated_at=at(minute)
    )
    payload.update(fields)
    return payload


def order(
    order_id: int = 820982911946154508,
    *,
    minute: float = 0,
    customer_id: int | None = 706405506930370084,
    customer_minute: float | None = None,
    total: str = "298.77",
    company: dict[str, int] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """orders/create for `customer_id` (None: a guest order); B2B only when `company` is given."""
    payload = webhook("orders_create_b2b")
    payload.update(
        id=order_id,
        admin_graphql_api_id=f"gid://shopify/Order/{order_id}",
        name=f"#{order_id % 100000}",
        order_number=order_id % 100000,
        updated_at=at(minute),
        processed_at=at(minute),
        created_at=at(minute),
        total_price=total,
        current_total_price=total,
        company=company,
        po_number=fields.pop("po_number", None),
    )
    for line in payload["line_items"]:
        line["id"] = order_id * 10 + 1
    if customer_id is None:
        payload["customer"] = None
    else:
        payload["customer"].update(
            id=customer_id,
            admin_graphql_api_id=f"gid://shopify/Customer/{customer_id}",
            email=f"buyer{customer_id}@example.com",
            updated_at=at(minute if customer_minute is None else customer_minute),
        )
    payload.update(fields)
    return payload


def product(product_id: int = 632910392, *, minute: float = 0, **fields: Any) -> dict[str, Any]:
    payload = webhook("products_create")
    payload.update(
        id=product_id, admin_graphql_api_id=f"gid://shopify/Product/{product_id}", updated_at=at(minute)
    )
    payload.update(fields)
    return payload


def company(company_id: int = 123456789, *, minute: float = 0, **fields: Any) -> dict[str, Any]:
    payload = webhook("companies_create")
    payload.update(admin_graphql_api_id=f"gid://shopify/Company/{company_id}", updated_at=at(minute))
    payload.update(fields)
    return payload


def make_shop(uow: UnitOfWork, domain: str = "acme.myshopify.com", currency: str = "USD") -> int:
    """An installed shop; returns its id."""
    shop = install_shop(uow, domain=domain)
    shop.currency = currency
    uow.session.flush()
    return shop.id
