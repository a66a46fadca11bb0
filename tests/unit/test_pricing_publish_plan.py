"""Pure parts of publishing: tiers as Shopify price breaks, the diff against Shopify's state, batching."""

from __future__ import annotations

from decimal import Decimal

from pricing.models import TierKind, VolumeTier
from pricing.service.publish.plan import Plan, VariantPlan, price_breaks
from pricing.service.publish.remote import parent_adjustment
from pricing.service.publish.sync import VariantChange, batches, diff

V1, V2 = "gid://shopify/ProductVariant/1", "gid://shopify/ProductVariant/2"


def _plan(variants: dict[str, VariantPlan] | None = None) -> Plan:
    return Plan(
        title="W",
        price_list_name="W (Tradeline)",
        currency="USD",
        catalog_status="ACTIVE",
        adjustment_percent=Decimal(0),
        location_gids=(),
        variants=variants or {},
    )


def _tier(min_quantity: int, value: str, kind: TierKind = TierKind.FIXED) -> VolumeTier:
    return VolumeTier(min_quantity=min_quantity, kind=kind, value=Decimal(value))


def test_percent_tiers_are_taken_off_the_fixed_price_and_rounded_once():
    plan = _plan()

    breaks = price_breaks(
        [_tier(10, "12.5", TierKind.PERCENT_OFF)],
        list_price=Decimal("9.99"),
        rule=None,
        currency="USD",
        label="SKU A",
        plan=plan,
    )

    # 9.99 * 0.875 = 8.74125 -> 8.74
    assert breaks == ((10, Decimal("8.74")),)
    assert plan.unsupported == []


def test_a_break_carries_the_lowest_price_reached_so_far():
    # A later fixed tier above an earlier percentage: the engine keeps the lower price.
    breaks = price_breaks(
        [_tier(5, "20", TierKind.PERCENT_OFF), _tier(10, "8.50")],
        list_price=Decimal("10.00"),
        rule=None,
        currency="USD",
        label="SKU A",
        plan=_plan(),
    )

    assert breaks == ((5, Decimal("8.00")), (10, Decimal("8.00")))


def test_break_minimums_move_into_the_quantity_rule_and_unreachable_tiers_are_reported():
    plan = _plan()

    breaks = price_breaks(
        [_tier(2, "9.00"), _tier(7, "8.00"), _tier(50, "7.00")],
        list_price=Decimal("10.00"),
        rule=(6, 30, 3),
        currency="USD",
        label="SKU A",
        plan=plan,
    )

    assert breaks == ((6, Decimal("9.00")), (9, Decimal("8.00")))
    assert plan.unsupported == [
        {
            "rule": "volume tier",
            "detail": "SKU A: the tier from 50 units can never be reached under the quantity rule "
            "(maximum 30); not published",
        }
    ]


def test_a_tier_that_does_not_lower_the_price_sends_no_break():
    breaks = price_breaks(
        [_tier(10, "10.00")], list_price=Decimal("10.00"), rule=None, currency="JPY", label="A", plan=_plan()
    )

    assert breaks == ()


def test_parent_adjustment_keeps_the_sign_as_the_type():
    assert parent_adjustment(Decimal("-12.5")) == {
        "adjustment": {"type": "PERCENTAGE_DECREASE", "value": 12.5}
    }
    assert parent_adjustment(Decimal("10")) == {"adjustment": {"type": "PERCENTAGE_INCREASE", "value": 10.0}}


def test_diff_sends_only_what_differs_and_removes_what_the_list_no_longer_has():
    plan = _plan(
        {
            V1: VariantPlan(price=Decimal("5.00"), rule=(2, None, 2), breaks=((4, Decimal("4.50")),)),
            V2: VariantPlan(price=Decimal("3.00")),
        }
    )
    state = {
        V1: VariantPlan(price=Decimal("5"), rule=(2, None, 2), breaks=((4, Decimal("4.5")),)),
        V2: VariantPlan(price=Decimal("3.10")),
        "gid://shopify/ProductVariant/3": VariantPlan(price=Decimal("1"), rule=(5, None, 5)),
    }

    changes = diff(plan, state)

    assert changes == [
        VariantChange(V2, price={"variantId": V2, "price": {"amount": "3.00", "currencyCode": "USD"}}),
        VariantChange("gid://shopify/ProductVariant/3", delete_price=True, delete_rule=True),
    ]


def test_batches_hold_at_most_250_items_and_keep_a_variant_together():
    changes = [
        VariantChange(
            f"gid://shopify/ProductVariant/{i}",
            price={"variantId": "x"},
            breaks=({"minimumQuantity": 2},) * 99,
        )
        for i in range(5)
    ]

    sizes = [batch.items for batch in batches(changes)]

    assert sizes == [200, 200, 100]
    assert all(len(b.input()["quantityPriceBreaksToAdd"]) <= 250 for b in batches(changes))
