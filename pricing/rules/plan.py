"""A price list's rows arranged for pricing variant after variant: adjustments and tiers ready to apply."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from pricing.models import AdjustmentScope, AssignmentTarget, PriceBase, TierKind
from pricing.rules.types import Candidate, ListInfo, TierInfo, VariantInfo, _Index

HUNDRED = Decimal(100)

# A reached tier: (min_quantity, fixed price or None, factor for a percentage off or None, how).
_Tier = tuple[int, Decimal | None, Decimal | None, str]
# An adjustment ready to apply: (factor = (100 + percent) / 100, how).
_Adjust = tuple[Decimal, str]
# A list's price for a line: (exact unit price, source, tier minimum, how), or why it has none.
Result = tuple[Decimal, str, int | None, str] | str

NO_PRICE = "not applicable: no price for this variant"
NO_BASE = "not applicable: the variant has no retail price to adjust"


class Plan:
    """A list's rows arranged for pricing one variant after another (built once per PricingData)."""

    def __init__(self, info: ListInfo, index: _Index) -> None:
        self.collections = index.collections
        self.currency = info.currency
        # A list in another currency than the catalog has no base price to adjust.
        self.no_base_currency = f"not applicable: no fixed {info.currency} price for this variant"
        self.compare_at = info.base is PriceBase.COMPARE_AT
        base_name = "compare-at price" if self.compare_at else "retail price"
        scopes = index.adjustments.get(info.id, {})

        def ready(percent: Decimal, scope_name: str) -> _Adjust:
            amount = f"{-percent.normalize():f} % off" if percent < 0 else f"{percent.normalize():f} % above"
            return (HUNDRED + percent) / HUNDRED, f"{amount} the {base_name} ({scope_name} adjustment)"

        self.by_variant = {k: ready(v, "variant") for k, v in scopes.get(AdjustmentScope.VARIANT, {}).items()}
        self.by_product = {k: ready(v, "product") for k, v in scopes.get(AdjustmentScope.PRODUCT, {}).items()}
        self.by_collection = {
            k: (v, ready(v, "collection")) for k, v in scopes.get(AdjustmentScope.COLLECTION, {}).items()
        }
        everything = scopes.get(AdjustmentScope.ALL, {}).get(None)
        self.everything = ready(everything, "list") if everything is not None else None
        self.scoped = bool(self.by_variant or self.by_product or self.by_collection)
        self.adjusts = self.scoped or self.everything is not None
        tiers = index.tiers.get(info.id, {})
        self.tiers_all = self._tiers(tiers.get(None, ()))
        self.tiers_by_variant = {
            variant_id: self._tiers(rows) for variant_id, rows in tiers.items() if variant_id is not None
        }
        # Below the lowest tier minimum no tier is reached, whatever the variant.
        minimums = [tiers[0][0] for tiers in (self.tiers_all, *self.tiers_by_variant.values()) if tiers]
        self.first_tier = min(minimums, default=None)

    @staticmethod
    def _tiers(rows: Sequence[TierInfo]) -> tuple[_Tier, ...]:
        return tuple(
            (
                tier.min_quantity,
                tier.value if tier.kind is TierKind.FIXED else None,
                None if tier.kind is TierKind.FIXED else (HUNDRED - tier.value) / HUNDRED,
                f"volume price from {tier.min_quantity} units",
            )
            for tier in rows
        )

    def price(self, variant: VariantInfo, fixed: Decimal | None, quantity: int) -> Result:
        """The exact unit price of `quantity` units of the variant (`fixed`: its entry), or why none."""
        if fixed is not None:
            price, source, how = fixed, "fixed", "fixed price"
        elif self.currency != variant.currency:
            return self.no_base_currency
        elif not self.adjusts:
            return NO_PRICE
        else:
            adjust = self.adjustment(variant) if self.scoped else self.everything
            if adjust is None:
                return NO_PRICE
            base = (variant.compare_at_price or variant.price) if self.compare_at else variant.price
            if base is None:
                return NO_BASE
            price, how = base * adjust[0], adjust[1]
            source = "adjustment"
        if self.first_tier is None or quantity < self.first_tier:
            return price, source, None, how
        tiers = (
            (self.tiers_by_variant.get(variant.id) or self.tiers_all)
            if self.tiers_by_variant
            else self.tiers_all
        )
        tier_min: int | None = None
        list_price = price
        for minimum, fixed_value, factor, tier_how in tiers:
            if minimum > quantity:
                break
            value = fixed_value if factor is None else list_price * factor
            if value < price:  # type: ignore[operator]
                price, tier_min, how = value, minimum, tier_how  # type: ignore[assignment]
        return price, source if tier_min is None else "tier", tier_min, how

    def adjustment(self, variant: VariantInfo) -> _Adjust | None:
        """The most specific adjustment for the variant: variant > product > collection > all."""
        found = self.by_variant.get(variant.shopify_id) or self.by_product.get(variant.product_shopify_id)
        if found is None and self.by_collection:
            collections = self.collections.get(variant.product_shopify_id, ())
            matches = [self.by_collection[c] for c in collections if c in self.by_collection]
            if matches:
                # A product in two adjusted collections gets the better of the two, whatever their order.
                found = min(matches, key=lambda match: match[0])[1]
        return found or self.everything


def plan_for(info: ListInfo, index: _Index) -> Plan:
    """The list's plan, built on first use and kept with the data's index."""
    plan = index.plans.get(info.id)
    if plan is None:
        plan = index.plans[info.id] = Plan(info, index)
    return plan


@dataclass(slots=True)
class ListState:
    """A list as it stands for one buyer: how it is assigned, and why it does not apply (if so)."""

    info: ListInfo
    rank: int
    via: AssignmentTarget | None
    via_label: str
    blocked: Candidate | None  # the not-applicable candidate, shared by every line
    plan: Plan
    won_suffix: str  # "; assigned to ..." after the winner's price and how
