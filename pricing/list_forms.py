"""What the price list forms need: dates in the shop's zone, look-ups by SKU or handle, form text."""

from __future__ import annotations

from datetime import datetime, tzinfo
from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_, select

from app.db import UnitOfWork
from app.money import round_money
from crm.models import CrmProduct, CrmVariant
from pricing.models import AdjustmentScope, Collection, QuantityRule
from pricing.validation import PricingInputError

MAX_SHOPIFY_ID = 2**63 - 1

# -- dates in the shop's zone ---------------------------------------------------------------------


def parse_local_datetime(raw: str, zone: tzinfo, *, field: str) -> datetime | None:
    """A `datetime-local` value (2026-12-01T09:00) in the shop's zone, as an aware datetime; '' is None."""
    text = raw.strip()
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise PricingInputError(
            f"{text!r} is not a date and time such as 2026-12-01 09:00", field=field
        ) from None
    if value.tzinfo is not None:
        raise PricingInputError(
            "Enter the date and time in the shop's time zone, without an offset", field=field
        )
    return value.replace(tzinfo=zone)


def local_input(value: datetime | None, zone: tzinfo) -> str:
    """An aware datetime as a `datetime-local` value in the shop's zone ('' for None)."""
    return "" if value is None else value.astimezone(zone).strftime("%Y-%m-%dT%H:%M")


# -- look-ups for the forms -----------------------------------------------------------------------


def find_variant(uow: UnitOfWork, *, shop_id: int, text: str, field: str = "sku") -> int:
    """The live variant with this SKU (or Shopify variant id), as crm_variant.id; else a field error."""
    value = text.strip()
    if not value:
        raise PricingInputError("Enter the variant's SKU", field=field)
    conditions = [func.lower(CrmVariant.sku) == value.lower()]
    if value.isascii() and value.isdigit() and int(value) <= MAX_SHOPIFY_ID:
        conditions.append(CrmVariant.shopify_id == int(value))
    found = uow.session.scalars(
        select(CrmVariant.id)
        .where(CrmVariant.shop_id == shop_id, CrmVariant.deleted_at.is_(None), or_(*conditions))
        .limit(2)
    ).all()
    if not found:
        raise PricingInputError(f"No variant has the SKU {value!r} in your catalog", field=field)
    if len(found) > 1:
        raise PricingInputError(
            f"Several variants have the SKU {value!r}: give the Shopify variant id instead", field=field
        )
    return found[0]


def find_scope_target(uow: UnitOfWork, *, shop_id: int, scope: str, text: str) -> int | None:
    """The Shopify id an adjustment names: a product by handle or id, a variant by SKU or id, a collection
    by id or handle; None for the list-wide scope.
    """
    value = text.strip()
    if scope == AdjustmentScope.ALL.value:
        return None
    if not value:
        raise PricingInputError(f"Name the {scope} the adjustment applies to", field="target")
    if scope == AdjustmentScope.VARIANT.value:
        variant_id = find_variant(uow, shop_id=shop_id, text=value, field="target")
        return uow.session.scalar(select(CrmVariant.shopify_id).where(CrmVariant.id == variant_id))
    if value.isascii() and value.isdigit() and 0 < int(value) <= MAX_SHOPIFY_ID:
        return int(value)
    model: Any = CrmProduct if scope == AdjustmentScope.PRODUCT.value else Collection
    if model is CrmProduct or scope == AdjustmentScope.COLLECTION.value:
        found = uow.session.scalar(
            select(model.shopify_id)
            .where(model.shop_id == shop_id, func.lower(model.handle) == value.lower())
            .limit(1)
        )
        if found is not None:
            return int(found)
    raise PricingInputError(f"No {scope} has the handle or Shopify id {value!r}", field="target")


def amount_text(value: Decimal | None, currency: str) -> str:
    """A stored amount as a form shows it: the currency's decimals (`12.50`), '' for None."""
    return "" if value is None else f"{round_money(value, currency):f}"


def number_text(value: Decimal | None) -> str:
    """A stored number without trailing zeros (`12.5`), '' for None."""
    return "" if value is None else f"{value.normalize():f}"


def percent_text(value: Decimal) -> str:
    """`-15 %` / `+10 %` for a signed adjustment."""
    text = f"{value.normalize():f}"
    return f"{'+' if value > 0 else ''}{text} %"


def rule_text(rule: QuantityRule) -> str:
    """`min 6 · max 120 · by 6`."""
    parts = [f"min {rule.minimum}"]
    if rule.maximum is not None:
        parts.append(f"max {rule.maximum}")
    parts.append(f"by {rule.increment}")
    return " · ".join(parts)
