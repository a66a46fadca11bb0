"""What a price list becomes in Shopify B2B: the catalog's locations, the price list's adjustment, and per
variant a fixed price, a quantity rule and quantity price breaks; plus every rule Shopify cannot express.

Shopify's model is narrower than Tradeline's (PLATFORM.md §5.5, and the 2026-04 schema's docstrings):
- a catalog's context is a set of company locations: assignments to customers, tags, segments or
  every buyer have no catalog equivalent;
- a price list has one list-wide percentage (its parent adjustment) relative to the variant's price,
  and fixed prices per variant: product, collection and variant adjustments have no equivalent, nor
  an adjustment from the compare-at price or in a currency other than the shop's;
- quantity price breaks hang off a fixed price (QUANTITY_PRICE_BREAK_ADD_PRICE_LIST_PRICE_NOT_FOUND),
  their minimum must lie within the variant's quantity rule and be a multiple of its increment;
- there is no order minimum and no schedule.
Anything dropped for these reasons is reported in `unsupported` as {rule, detail}, never silently.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from app.db import UnitOfWork
from app.money import round_money
from crm.models import CrmCompanyLocation, CrmVariant
from pricing.models import (
    AdjustmentScope,
    AssignmentTarget,
    PriceAdjustment,
    PriceBase,
    PriceEntry,
    PriceList,
    PriceListAssignment,
    PriceListStatus,
    QuantityRule,
    TierKind,
    VolumeTier,
)
from pricing.validation import PricingInputError, check_quantity_rule

HUNDRED = Decimal(100)
CATALOG_STATUS = {
    PriceListStatus.ACTIVE: "ACTIVE",
    PriceListStatus.DRAFT: "DRAFT",
    PriceListStatus.ARCHIVED: "ARCHIVED",
}
# (minimum, maximum, increment) as Shopify's QuantityRuleInput takes them; this one is Shopify's default.
DEFAULT_RULE = (1, None, 1)
Rule = tuple[int, int | None, int]


def gid(kind: str, shopify_id: int) -> str:
    """`gid("ProductVariant", 42)` -> "gid://shopify/ProductVariant/42"."""
    return f"gid://shopify/{kind}/{shopify_id}"


@dataclass(frozen=True)
class VariantPlan:
    """What one variant should carry on the Shopify price list (None/() = nothing of that kind)."""

    price: Decimal | None = None
    compare_at: Decimal | None = None
    rule: Rule | None = None
    breaks: tuple[tuple[int, Decimal], ...] = ()


@dataclass
class Plan:
    """The list as Shopify should hold it, and what cannot be published."""

    title: str
    price_list_name: str
    currency: str
    catalog_status: str
    adjustment_percent: Decimal  # signed, Tradeline's convention: -15 = 15 % off
    location_gids: tuple[str, ...]
    variants: dict[str, VariantPlan]
    unsupported: list[dict[str, str]] = field(default_factory=list)

    def report(self, rule: str, detail: str) -> None:
        """Record a rule Shopify cannot express."""
        self.unsupported.append({"rule": rule, "detail": detail})


def _label(sku: str | None, shopify_id: int) -> str:
    return f"SKU {sku}" if sku else f"variant {shopify_id}"


def _tier_price(tier: VolumeTier, list_price: Decimal) -> Decimal:
    if tier.kind is TierKind.FIXED:
        return tier.value
    return list_price * (1 - tier.value / HUNDRED)


def price_breaks(
    tiers: Sequence[VolumeTier],
    *,
    list_price: Decimal,
    rule: Rule | None,
    currency: str,
    label: str,
    plan: Plan,
) -> tuple[tuple[int, Decimal], ...]:
    """Tiers of one variant as Shopify price breaks that charge what Tradeline's engine charges.

    The engine takes the lowest of the list price and every tier reached; Shopify charges the break with
    the highest minimum reached, so each break carries the running minimum. A break's minimum moves up
    to the rule's minimum and the next multiple of its increment (the same orders reach it); a tier
    above the rule's maximum can never be reached and is reported.
    """
    minimum, maximum, increment = rule or DEFAULT_RULE
    base = round_money(list_price, currency)
    best = list_price
    found: dict[int, Decimal] = {}
    for tier in sorted(tiers, key=lambda t: t.min_quantity):
        best = min(best, _tier_price(tier, list_price))
        start = max(tier.min_quantity, minimum)
        start = math.ceil(start / increment) * increment
        if maximum is not None and start > maximum:
            plan.report(
                "volume tier",
                f"{label}: the tier from {tier.min_quantity} units can never be reached under the quantity "
                f"rule (maximum {maximum}); not published",
            )
            continue
        price = round_money(best, currency)
        if price < base:
            found[start] = price
    return tuple(sorted(found.items()))


def _rule_of(rule: QuantityRule | None, label: str, plan: Plan) -> Rule | None:
    if rule is None:
        return None
    values: Rule = (rule.minimum, rule.maximum, rule.increment)
    try:
        if rule.minimum < 1 or rule.increment < 1 or (rule.maximum is not None and rule.maximum < 1):
            raise PricingInputError("minimum, maximum and increment must be at least 1")
        check_quantity_rule(rule.minimum, rule.maximum, rule.increment)
    except PricingInputError as exc:
        plan.report("quantity rule", f"{label}: Shopify refuses this rule ({exc.detail}); not published")
        return None
    return None if values == DEFAULT_RULE else values


def build_plan(uow: UnitOfWork, *, price_list: PriceList, shop_currency: str) -> Plan:
    """Read the list's rows and work out what to publish and what to report (a few set-based queries)."""
    shop_id, list_id = price_list.shop_id, price_list.id
    plan = Plan(
        title=price_list.name,
        price_list_name=f"{price_list.name} (Tradeline)",
        currency=price_list.currency,
        catalog_status=CATALOG_STATUS[price_list.status],
        adjustment_percent=Decimal(0),
        location_gids=(),
        variants={},
    )
    plan.location_gids = _locations(uow, shop_id=shop_id, list_id=list_id, plan=plan)
    if price_list.order_minimum is not None:
        minimum = round_money(price_list.order_minimum, price_list.currency)
        plan.report(
            "order minimum",
            f"Orders must reach {minimum} {price_list.currency}: Shopify price lists "
            "have no order minimum; Tradeline enforces it on quotes, the portal and draft orders only",
        )
    if price_list.starts_at is not None or price_list.ends_at is not None:
        plan.report(
            "schedule",
            "Shopify catalogs have no start or end date: the catalog's status follows the list's status "
            "when it is published; publish again when the list's window opens or closes",
        )
    has_all = _adjustments(uow, price_list=price_list, shop_currency=shop_currency, plan=plan)
    _variants(uow, price_list=price_list, plan=plan, has_all=has_all)
    return plan


def _locations(uow: UnitOfWork, *, shop_id: int, list_id: int, plan: Plan) -> tuple[str, ...]:
    rows = uow.session.execute(
        select(PriceListAssignment).where(
            PriceListAssignment.shop_id == shop_id, PriceListAssignment.price_list_id == list_id
        )
    ).scalars()
    location_ids: set[int] = set()
    company_ids: set[int] = set()
    for row in rows:
        if row.target is AssignmentTarget.COMPANY_LOCATION and row.company_location_id is not None:
            location_ids.add(row.company_location_id)
        elif row.target is AssignmentTarget.COMPANY and row.company_id is not None:
            company_ids.add(row.company_id)
        else:
            plan.report("assignment", _assignment_detail(row))
    found: set[int] = set()
    if location_ids or company_ids:
        query = select(CrmCompanyLocation.shopify_id).where(
            CrmCompanyLocation.shop_id == shop_id, CrmCompanyLocation.deleted_at.is_(None)
        )
        by_id = query.where(CrmCompanyLocation.id.in_(location_ids)) if location_ids else None
        by_company = query.where(CrmCompanyLocation.company_id.in_(company_ids)) if company_ids else None
        for stmt in (by_id, by_company):
            if stmt is not None:
                found.update(uow.session.scalars(stmt))
    return tuple(gid("CompanyLocation", i) for i in sorted(found))


def _assignment_detail(row: PriceListAssignment) -> str:
    what = {
        AssignmentTarget.CUSTOMER: f"customer #{row.customer_id}",
        AssignmentTarget.CUSTOMER_TAG: f"customers tagged “{row.customer_tag}”",
        AssignmentTarget.SEGMENT: f"segment #{row.segment_id}",
        AssignmentTarget.DEFAULT: "every buyer (default list)",
    }.get(row.target, row.target.value)
    return (
        f"Assigned to {what}: a Shopify catalog applies to company locations only; these buyers get the "
        "list's prices through Tradeline's draft orders, not at Shopify checkout"
    )


def _adjustments(uow: UnitOfWork, *, price_list: PriceList, shop_currency: str, plan: Plan) -> bool:
    """Set the parent adjustment from a list-wide one; report the rest. True when an 'all' one prices."""
    has_all = False
    rows = uow.session.scalars(
        select(PriceAdjustment)
        .where(PriceAdjustment.shop_id == price_list.shop_id, PriceAdjustment.price_list_id == price_list.id)
        .order_by(PriceAdjustment.id)
    )
    for row in rows:
        percent = f"{row.percent.normalize():f} %"
        if row.scope is not AdjustmentScope.ALL:
            plan.report(
                f"{row.scope.value} adjustment",
                f"{percent} on {row.scope.value} {row.scope_shopify_id}: Shopify price lists have only one "
                "list-wide percentage; add fixed prices for these variants to publish them",
            )
        elif price_list.currency.upper() != shop_currency.upper():
            plan.report(
                "all adjustment",
                f"{percent} on every variant: the list is in {price_list.currency}, not the shop's "
                f"{shop_currency}, and Tradeline prices foreign-currency lists by fixed prices only",
            )
        elif price_list.base is PriceBase.COMPARE_AT:
            plan.report(
                "all adjustment",
                f"{percent} from the compare-at price: Shopify adjusts from the variant's price only",
            )
        else:
            plan.adjustment_percent = row.percent
            has_all = True
    return has_all


def _by_variant(rows: Iterable[Any]) -> dict[int | None, list[Any]]:
    grouped: dict[int | None, list[Any]] = defaultdict(list)
    for row in rows:
        grouped[row.variant_id].append(row)
    return grouped


def _variants(uow: UnitOfWork, *, price_list: PriceList, plan: Plan, has_all: bool) -> None:
    shop_id, list_id = price_list.shop_id, price_list.id
    entries = uow.session.execute(
        select(PriceEntry, CrmVariant.shopify_id, CrmVariant.sku, CrmVariant.deleted_at)
        .join(CrmVariant, CrmVariant.id == PriceEntry.variant_id)
        .where(PriceEntry.shop_id == shop_id, PriceEntry.price_list_id == list_id)
    ).all()
    tiers = _by_variant(
        uow.session.scalars(
            select(VolumeTier).where(VolumeTier.shop_id == shop_id, VolumeTier.price_list_id == list_id)
        )
    )
    rules = {
        r.variant_id: r
        for r in uow.session.scalars(
            select(QuantityRule).where(QuantityRule.shop_id == shop_id, QuantityRule.price_list_id == list_id)
        )
    }
    variant_ids = {v for v in set(tiers) | set(rules) if v is not None}
    info = (
        {
            row.id: (row.shopify_id, row.sku, row.deleted_at)
            for row in uow.session.execute(
                select(CrmVariant.id, CrmVariant.shopify_id, CrmVariant.sku, CrmVariant.deleted_at).where(
                    CrmVariant.shop_id == shop_id, CrmVariant.id.in_(variant_ids)
                )
            )
        }
        if variant_ids
        else {}
    )
    list_rule = _rule_of(rules.get(None), "every variant", plan)
    handled: set[int] = set()
    for entry, shopify_id, sku, deleted_at in sorted(entries, key=lambda e: e[1]):
        label = _label(sku, shopify_id)
        handled.add(entry.variant_id)
        if deleted_at is not None:
            plan.report("fixed price", f"{label} was deleted in Shopify; nothing of it is published")
            continue
        own_rule = entry.variant_id in rules
        rule = _rule_of(rules[entry.variant_id], label, plan) if own_rule else list_rule
        own_tiers = tiers.get(entry.variant_id) or tiers.get(None) or []
        plan.variants[gid("ProductVariant", shopify_id)] = VariantPlan(
            price=round_money(entry.price, plan.currency),
            compare_at=None
            if entry.compare_at_price is None
            else round_money(entry.compare_at_price, plan.currency),
            rule=rule,
            breaks=price_breaks(
                own_tiers, list_price=entry.price, rule=rule, currency=plan.currency, label=label, plan=plan
            ),
        )
    for variant_id in sorted(variant_ids - handled, key=lambda v: info.get(v, (0,))[0]):
        if variant_id not in info:
            continue
        shopify_id, sku, deleted_at = info[variant_id]
        label = _label(sku, shopify_id)
        if deleted_at is not None:
            plan.report("variant rules", f"{label} was deleted in Shopify; its rules are not published")
            continue
        if variant_id in tiers:
            plan.report(
                "volume tier",
                f"{label} has tiers but no fixed price in this list: Shopify attaches price breaks to a "
                "fixed price only",
            )
        if variant_id in rules:
            rule = _rule_of(rules[variant_id], label, plan)
            if rule is not None:
                plan.variants[gid("ProductVariant", shopify_id)] = VariantPlan(rule=rule)
    if has_all and None in tiers:
        plan.report(
            "list-wide tiers",
            "Published as price breaks on the variants with a fixed price only: Shopify cannot apply "
            "volume tiers to variants priced by the list-wide adjustment",
        )
    if has_all and list_rule is not None:
        plan.report(
            "list-wide quantity rule",
            "Published on the variants with a fixed price only: Shopify has no list-wide quantity rule "
            "for variants priced by the list-wide adjustment",
        )
