"""Re-pricing thousands of past orders with the engine without calling it once per order line.

Two facts of the pricing contract (docs/pricing.md) make this exact, not an approximation:
- A buyer's price depends on the buyer only through the assignments that match it. Buyers matched by
  the same assignments form a *pricing class* and get the same prices; one of them stands for all.
- A line's unit price depends on its quantity only through the volume tiers reached, so it is constant
  between consecutive tier minimums: a quantity *band* is priced once, at the band's first quantity.
  The line total is then round_money(unit x quantity), the engine's own formula.
So each distinct (class, variant, band) is priced once per side, in one `rules.price_cart` call per class.
tests/integration/test_pricing_simulate.py holds the result equal to pricing every order on its own.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Hashable, Iterable
from decimal import Decimal

from pricing import rules
from pricing.models import AssignmentTarget

ClassKey = frozenset[Hashable]


class Repricer:
    """Prices lines for many buyers against several PricingData loads (one per side of a comparison)."""

    def __init__(self, sides: Iterable[rules.PricingData]) -> None:
        self.sides = tuple(sides)
        self._by: dict[AssignmentTarget, dict[object, list[Hashable]]] = defaultdict(
            lambda: defaultdict(list)
        )
        steps: dict[int | None, set[int]] = defaultdict(set)
        for data in self.sides:
            for info in data.lists:
                for a in info.assignments:
                    value = {
                        AssignmentTarget.COMPANY_LOCATION: a.company_location_id,
                        AssignmentTarget.COMPANY: a.company_id,
                        AssignmentTarget.CUSTOMER: a.customer_id,
                        AssignmentTarget.CUSTOMER_TAG: (a.customer_tag or "").strip().lower(),
                        AssignmentTarget.SEGMENT: a.segment_id,
                    }.get(a.target)
                    if value is not None:
                        # Which lists match, and how specifically, decides the price; not who matched them.
                        self._by[a.target][value].append((info.id, a.target.value))
            for tier in data.tiers:
                steps[tier.variant_id].add(tier.min_quantity)
        self._wide_steps = steps.pop(None, set())
        self._steps = steps
        self._bands: dict[int, tuple[int, ...]] = {}
        self._classes: dict[ClassKey, rules.Buyer] = {}
        self._wanted: dict[ClassKey, set[tuple[int, int]]] = defaultdict(set)
        self._units: list[dict[tuple[ClassKey, int, int], Decimal | None]] = [{} for _ in self.sides]

    def class_of(self, buyer: rules.Buyer) -> ClassKey:
        """The assignments that match `buyer` (the engine's matching rule); the first buyer stands for it."""
        by = self._by
        matched: list[Hashable] = []
        if buyer.company_location_id is not None:
            matched += by[AssignmentTarget.COMPANY_LOCATION].get(buyer.company_location_id, ())
        if buyer.company_id is not None:
            matched += by[AssignmentTarget.COMPANY].get(buyer.company_id, ())
        if buyer.customer_id is not None:
            matched += by[AssignmentTarget.CUSTOMER].get(buyer.customer_id, ())
        for tag in buyer.customer_tags:
            matched += by[AssignmentTarget.CUSTOMER_TAG].get(tag, ())
        for segment in buyer.segment_ids:
            matched += by[AssignmentTarget.SEGMENT].get(segment, ())
        key: ClassKey = frozenset((*matched, ("currency", buyer.currency)))
        self._classes.setdefault(key, buyer)
        return key

    def band(self, variant_id: int, quantity: int) -> int:
        """The first quantity of the tier band `quantity` falls in (1 below every tier)."""
        steps = self._bands.get(variant_id)
        if steps is None:
            steps = self._bands[variant_id] = (
                1,
                *sorted(self._steps.get(variant_id, set()) | self._wide_steps),
            )
        return steps[bisect_right(steps, quantity) - 1]

    def want(self, key: ClassKey, variant_id: int, band: int) -> None:
        """Ask for a price of `variant_id` at `band` units for the class."""
        self._wanted[key].add((variant_id, band))

    def run(self) -> None:
        """Price everything asked for: one engine call per class and side."""
        for key, wanted in self._wanted.items():
            buyer = self._classes[key]
            ordered = sorted(wanted)
            requests = [rules.LineRequest(variant_id=v, quantity=q) for v, q in ordered]
            for side, units in zip(self.sides, self._units, strict=True):
                cart = rules.price_cart(side, buyer, requests)
                for (variant_id, band), line in zip(ordered, cart.lines, strict=True):
                    units[key, variant_id, band] = line.unit_price
        self._wanted.clear()

    def unit(self, side: int, key: ClassKey, variant_id: int, band: int) -> Decimal | None:
        """The rounded unit price on one side (None: no price in the buyer's currency)."""
        return self._units[side][key, variant_id, band]
