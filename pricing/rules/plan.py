"""A price list's rows arranged for pricing variant after variant: adjustments and tiers ready to apply."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from pricing.models import AdjustmentScope, PriceBase, TierKind
from pricing.rules.types import ListInfo, TierInfo, VariantInfo, _Index

HUNDRED = Decimal(100)

# A reached tier: (min_quantity, fixed price or None, factor for a percentage off or None, how).
_Tier = tuple[int, Decimal | None, Decimal | None, str]
# An adjustment ready to apply: (factor = (100 + percent) / 100, how).
_Adjust = tuple[Decimal, str]


class Plan:
    """A list's rows arranged for pricing one variant after another (built once per PricingData)."""

    def __init__(self, info: ListInfo, index: _Index) -> None:
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
        self.adjusts = bool(self.by_variant or self.by_product or self.by_collection or self.everything)
        self.tiers_all = self._tiers(index.tiers.get((info.id, None), ()))
        self.tiers_by_variant = {
            variant_id: self._tiers(rows)
            for (list_id, variant_id), rows in index.tiers.items()
            if list_id == info.id and variant_id is not None
        }

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

    def adjustment(self, variant: VariantInfo, index: _Index) -> _Adjust | None:
        """The most specific adjustment for the variant: variant > product > collection > all."""
        found = self.by_variant.get(variant.shopify_id) or self.by_product.get(variant.product_shopify_id)
        if found is None and self.by_collection:
            collections = index.collections.get(variant.product_shopify_id, ())
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
