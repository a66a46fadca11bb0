"""shop/update: keep the shop's own details in step with Shopify."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.db import UnitOfWork
from app.errors import InvalidInput
from app.models import Shop
from app.money import normalize_currency
from app.shops import get_shop, normalize_shop_domain
from crm import payloads
from crm.service.topics._call import _object

SHOP_FIELD_CHARS = {"name": 255, "email": 320, "plan": 64, "timezone": 64}


def apply_shop_update(uow: UnitOfWork, *, shop_id: int, payload: Mapping[str, Any]) -> dict[str, list[Any]]:
    """shop/update: the shop's name, email, plan, currency, time zone and Shopify id; {field: [old, new]}.

    The payload must describe this shop: a `myshopify_domain` naming another one is refused rather
    than written onto the wrong tenant.
    """
    payload = _object(payload, "shop")
    shop: Shop = get_shop(uow, shop_id=shop_id)
    domain = payload.get("myshopify_domain")
    if domain is not None and normalize_shop_domain(str(domain)) != shop.domain:
        raise InvalidInput(f"the shop/update payload describes {domain!r}, not {shop.domain}")
    new: dict[str, Any] = {}
    sources = {"name": "name", "email": "email", "plan": "plan_display_name", "timezone": "iana_timezone"}
    for column, key in sources.items():
        value = payload.get(key)
        if isinstance(value, str) and value.strip():
            new[column] = value.strip()[: SHOP_FIELD_CHARS[column]]
    if payload.get("currency"):
        new["currency"] = normalize_currency(payload["currency"])
    if payload.get("id") is not None:
        new["shopify_id"] = payloads.parse_id(payload["id"], "Shop")
    diff = {k: [getattr(shop, k), v] for k, v in new.items() if getattr(shop, k) != v}
    for column, (_, value) in diff.items():
        setattr(shop, column, value)
    uow.session.flush()
    return diff
