"""A list's percentage adjustments, volume tiers and quantity rules."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.db import UnitOfWork
from app.errors import Conflict, NotFound
from app.shops import get_shop
from crm.models import CrmProduct, CrmVariant
from pricing.models import AdjustmentScope, PriceAdjustment, PriceEntry, QuantityRule, TierKind, VolumeTier
from pricing.service.lists._common import enum_value, live_variant, load_list, touch
from pricing.validation import (
    PricingInputError,
    TierInput,
    check_quantity_rule,
    check_tiers,
    parse_percent,
    parse_price,
    parse_quantity,
)

MAX_TIERS = 100
MAX_SHOPIFY_ID = 2**63 - 1


class _AllVariants(enum.Enum):
    ALL = "all"


ALL_VARIANTS = _AllVariants.ALL


def _variant_filter(model: Any, variant_id: int | None) -> Any:
    return model.variant_id.is_(None) if variant_id is None else model.variant_id == variant_id


# -- adjustments ----------------------------------------------------------------------------------


def set_adjustment(
    uow: UnitOfWork,
    *,
    shop_id: int,
    price_list_id: int,
    scope: object,
    scope_shopify_id: object = None,
    percent: object,
) -> PriceAdjustment:
    """Set the list's percentage up or down for every variant, a collection, a product or a variant
    (named by Shopify id); one adjustment per scope and id, so setting again replaces the percentage.
    """
    session = uow.session
    price_list = load_list(session, shop_id, price_list_id, for_change=True)
    clean_scope = enum_value(AdjustmentScope, scope, "scope")
    clean_percent = parse_percent(percent, signed=True, field="percent")
    target = _scope_target(session, shop_id, clean_scope, scope_shopify_id)
    shop_currency = get_shop(uow, shop_id=shop_id).currency
    if price_list.currency != shop_currency:
        raise Conflict(
            f"The price list {price_list.name!r} is in {price_list.currency} but the shop's prices are in "
            f"{shop_currency}: a percentage of them would be in the wrong currency, "
            "so give fixed prices instead"
        )
    adjustment = session.scalar(
        select(PriceAdjustment).where(
            PriceAdjustment.price_list_id == price_list.id,
            PriceAdjustment.scope == clean_scope,
            PriceAdjustment.scope_shopify_id.is_(None)
            if target is None
            else PriceAdjustment.scope_shopify_id == target,
        )
    )
    if adjustment is None:
        adjustment = PriceAdjustment(
            shop_id=shop_id, price_list_id=price_list.id, scope=clean_scope, scope_shopify_id=target
        )
        session.add(adjustment)
    adjustment.percent = clean_percent
    touch(price_list)
    session.flush()
    return adjustment


def _scope_target(session: Session, shop_id: int, scope: AdjustmentScope, value: object) -> int | None:
    if scope is AdjustmentScope.ALL:
        if value is not None:
            raise PricingInputError(
                "A list-wide adjustment names no collection, product or variant", field="scope_shopify_id"
            )
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_SHOPIFY_ID:
        raise PricingInputError(
            f"A {scope.value} adjustment needs the {scope.value}'s Shopify id (a positive integer)",
            field="scope_shopify_id",
        )
    model = {AdjustmentScope.PRODUCT: CrmProduct, AdjustmentScope.VARIANT: CrmVariant}.get(scope)
    # Collections are not all mirrored (pricing_collection is filled by publishing): any id is kept, and
    # the engine prices through it once its members are known.
    if model is not None:
        found = session.scalar(
            select(model.id).where(
                model.shop_id == shop_id, model.shopify_id == value, model.deleted_at.is_(None)
            )
        )
        if found is None:
            raise NotFound(f"{scope.value} with Shopify id {value} not found")
    return value


def remove_adjustment(uow: UnitOfWork, *, shop_id: int, price_list_id: int, adjustment_id: int) -> None:
    """Remove one adjustment of the list (NotFound when the list has no such adjustment)."""
    session = uow.session
    price_list = load_list(session, shop_id, price_list_id, for_change=True)
    removed = session.execute(
        delete(PriceAdjustment).where(
            PriceAdjustment.shop_id == shop_id,
            PriceAdjustment.price_list_id == price_list.id,
            PriceAdjustment.id == adjustment_id,
        )
    )
    if not removed.rowcount:  # type: ignore[attr-defined]
        raise NotFound(f"adjustment {adjustment_id} not found")
    touch(price_list)
    session.flush()


def list_adjustments(uow: UnitOfWork, *, shop_id: int, price_list_id: int) -> list[PriceAdjustment]:
    """The list's adjustments, list-wide first, then collections, products and variants."""
    price_list = load_list(uow.session, shop_id, price_list_id)
    order = {scope: position for position, scope in enumerate(AdjustmentScope)}
    rows = uow.session.scalars(
        select(PriceAdjustment)
        .where(PriceAdjustment.price_list_id == price_list.id)
        .order_by(PriceAdjustment.id)
    ).all()
    return sorted(rows, key=lambda row: (order[row.scope], row.scope_shopify_id or 0))


# -- tiers ----------------------------------------------------------------------------------------


def _clean_tiers(tiers: Sequence[Any], currency: str) -> list[TierInput]:
    if len(tiers) > MAX_TIERS:
        raise PricingInputError(f"At most {MAX_TIERS} tiers", field="tiers")
    clean = []
    for index, tier in enumerate(tiers):
        raw = tier if isinstance(tier, dict) else vars(tier)
        min_quantity = parse_quantity(
            raw.get("min_quantity"), "The tier minimum", field=f"tiers/{index}/min_quantity"
        )
        kind = enum_value(TierKind, raw.get("kind"), f"tiers/{index}/kind")
        if kind is TierKind.FIXED:
            value = parse_price(raw.get("value"), currency, field=f"tiers/{index}/value")
        else:
            value = parse_percent(raw.get("value"), signed=False, field=f"tiers/{index}/value")
        clean.append(TierInput(min_quantity, kind, value))
    return clean


def _check_tiers_pointing(tiers: list[TierInput], currency: str, base_price: Decimal | None) -> None:
    """check_tiers, with the failing tier's index in the error's field."""
    try:
        check_tiers(tiers, currency=currency, base_price=base_price)
    except PricingInputError:
        # The first prefix that fails ends at the tier at fault (tiers are few: at most MAX_TIERS).
        for end in range(1, len(tiers) + 1):
            try:
                check_tiers(tiers[:end], currency=currency, base_price=base_price)
            except PricingInputError as exc:
                raise PricingInputError(exc.detail, field=f"tiers/{end - 1}/{exc.field or 'value'}") from None
        raise


def replace_tiers(
    uow: UnitOfWork, *, shop_id: int, price_list_id: int, variant_id: int | None, tiers: Sequence[Any]
) -> list[VolumeTier]:
    """Replace a variant's tiers in the list (variant_id None: the list-wide tiers) with `tiers`, given in
    ascending order of minimum (TierInput or dicts with min_quantity, kind, value); [] removes them.
    A variant with a fixed price in the list gets its fixed tiers checked against that price.
    """
    session = uow.session
    price_list = load_list(session, shop_id, price_list_id, for_change=True)
    if variant_id is not None:
        variant_id = live_variant(session, shop_id, variant_id).id
    clean = _clean_tiers(tiers, price_list.currency)
    base_price = None
    if variant_id is not None:
        base_price = session.scalar(
            select(PriceEntry.price).where(
                PriceEntry.price_list_id == price_list.id, PriceEntry.variant_id == variant_id
            )
        )
    _check_tiers_pointing(clean, price_list.currency, base_price)
    session.execute(
        delete(VolumeTier).where(
            VolumeTier.price_list_id == price_list.id, _variant_filter(VolumeTier, variant_id)
        )
    )
    rows = [
        VolumeTier(
            shop_id=shop_id,
            price_list_id=price_list.id,
            variant_id=variant_id,
            min_quantity=tier.min_quantity,
            kind=tier.kind,
            value=tier.value,
        )
        for tier in clean
    ]
    session.add_all(rows)
    touch(price_list)
    session.flush()
    return rows


def list_tiers(
    uow: UnitOfWork, *, shop_id: int, price_list_id: int, variant_id: int | _AllVariants | None = ALL_VARIANTS
) -> list[VolumeTier]:
    """The list's tiers (all of them; or one variant's; or, with None, the list-wide ones), by minimum."""
    price_list = load_list(uow.session, shop_id, price_list_id)
    stmt = select(VolumeTier).where(VolumeTier.price_list_id == price_list.id)
    if variant_id is not ALL_VARIANTS:
        stmt = stmt.where(_variant_filter(VolumeTier, variant_id))
    rows = uow.session.scalars(stmt.order_by(VolumeTier.min_quantity, VolumeTier.id)).all()
    return sorted(rows, key=lambda row: (row.variant_id is not None, row.variant_id or 0, row.min_quantity))


# -- quantity rules -------------------------------------------------------------------------------


def set_quantity_rule(
    uow: UnitOfWork,
    *,
    shop_id: int,
    price_list_id: int,
    variant_id: int | None,
    minimum: object = 1,
    maximum: object = None,
    increment: object = 1,
) -> QuantityRule:
    """Set the minimum, maximum and increment of a variant's lines (variant_id None: every variant's)."""
    session = uow.session
    price_list = load_list(session, shop_id, price_list_id, for_change=True)
    if variant_id is not None:
        variant_id = live_variant(session, shop_id, variant_id).id
    clean_minimum = parse_quantity(minimum, "The minimum", field="minimum")
    clean_maximum = None if maximum is None else parse_quantity(maximum, "The maximum", field="maximum")
    clean_increment = parse_quantity(increment, "The increment", field="increment")
    check_quantity_rule(clean_minimum, clean_maximum, clean_increment)
    rule = session.scalar(
        select(QuantityRule).where(
            QuantityRule.price_list_id == price_list.id, _variant_filter(QuantityRule, variant_id)
        )
    )
    if rule is None:
        rule = QuantityRule(shop_id=shop_id, price_list_id=price_list.id, variant_id=variant_id)
        session.add(rule)
    rule.minimum, rule.maximum, rule.increment = clean_minimum, clean_maximum, clean_increment
    touch(price_list)
    session.flush()
    return rule


def remove_quantity_rule(
    uow: UnitOfWork, *, shop_id: int, price_list_id: int, variant_id: int | None
) -> None:
    """Remove a variant's rule (variant_id None: the list-wide rule); NotFound when there is none."""
    session = uow.session
    price_list = load_list(session, shop_id, price_list_id, for_change=True)
    removed = session.execute(
        delete(QuantityRule).where(
            QuantityRule.shop_id == shop_id,
            QuantityRule.price_list_id == price_list.id,
            _variant_filter(QuantityRule, variant_id),
        )
    )
    if not removed.rowcount:  # type: ignore[attr-defined]
        what = "The list has no list-wide rule" if variant_id is None else f"variant {variant_id} has no rule"
        raise NotFound(f"{what} in {price_list.name!r}")
    touch(price_list)
    session.flush()


def list_quantity_rules(uow: UnitOfWork, *, shop_id: int, price_list_id: int) -> list[QuantityRule]:
    """The list's quantity rules, the list-wide one first."""
    price_list = load_list(uow.session, shop_id, price_list_id)
    rows = uow.session.scalars(select(QuantityRule).where(QuantityRule.price_list_id == price_list.id)).all()
    return sorted(rows, key=lambda row: (row.variant_id is not None, row.variant_id or 0))
