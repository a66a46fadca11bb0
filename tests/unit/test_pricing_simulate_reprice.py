"""The simulator's pure parts: pricing classes, tier bands, the months window, percentages."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from pricing.models import AssignmentTarget, Precedence, TierKind
from pricing.rules import AssignmentInfo, Buyer, ListInfo, PricingData, TierInfo, VariantInfo
from pricing.service.simulate.reprice import Repricer
from pricing.service.simulate.result import months_before, percent_change

AT = datetime(2026, 11, 20, tzinfo=UTC)


def buyer(customer=None, company=None, location=None, tags=()) -> Buyer:
    return Buyer(customer, company, location, frozenset(tags), frozenset(), "USD")


def data(*lists: ListInfo, tiers: tuple[TierInfo, ...] = ()) -> PricingData:
    variants = (VariantInfo(id=1, shopify_id=11, product_shopify_id=111, price=Decimal("10.00")),)
    return PricingData(at=AT, precedence=Precedence.LOWEST_PRICE, lists=lists, variants=variants, tiers=tiers)


def test_buyers_matched_by_the_same_assignments_share_a_class():
    contract = ListInfo(
        id=1,
        name="Contract",
        currency="USD",
        assignments=(
            AssignmentInfo(AssignmentTarget.COMPANY, company_id=7),
            AssignmentInfo(AssignmentTarget.COMPANY, company_id=8),
        ),
    )
    vip = ListInfo(
        id=2,
        name="VIP",
        currency="USD",
        assignments=(AssignmentInfo(AssignmentTarget.CUSTOMER_TAG, customer_tag=" VIP "),),
    )
    repricer = Repricer([data(contract, vip)])

    seven, eight = repricer.class_of(buyer(1, 7, 70)), repricer.class_of(buyer(2, 8, 80, tags={"retail"}))
    nobody, other = repricer.class_of(buyer(3)), repricer.class_of(buyer(4, 9, 90))
    tagged = repricer.class_of(buyer(5, tags={"vip"}))

    assert seven == eight  # both only through "Contract" by company
    assert nobody == other  # neither matches anything
    assert len({seven, nobody, tagged}) == 3


def test_a_quantity_falls_in_the_band_of_the_last_tier_it_reaches():
    tiers = (
        TierInfo(1, 1, 10, TierKind.FIXED, Decimal("9.00")),
        TierInfo(1, None, 50, TierKind.PERCENT_OFF, Decimal("5")),
        TierInfo(2, 1, 24, TierKind.FIXED, Decimal("8.00")),
    )
    repricer = Repricer([data(tiers=tiers[:2]), data(tiers=tiers[2:])])

    assert [repricer.band(1, q) for q in (1, 9, 10, 23, 24, 49, 50, 1000)] == [1, 1, 10, 10, 24, 24, 50, 50]
    assert [repricer.band(2, q) for q in (1, 49, 50)] == [1, 1, 50]  # list-wide tiers only


@pytest.mark.parametrize(
    ("moment", "months", "expected"),
    [
        (datetime(2026, 11, 20, 12, tzinfo=UTC), 3, datetime(2026, 8, 20, 12, tzinfo=UTC)),
        (datetime(2026, 2, 15, tzinfo=UTC), 24, datetime(2024, 2, 15, tzinfo=UTC)),
        (datetime(2026, 5, 31, tzinfo=UTC), 3, datetime(2026, 2, 28, tzinfo=UTC)),
        (datetime(2026, 1, 10, tzinfo=UTC), 1, datetime(2025, 12, 10, tzinfo=UTC)),
    ],
)
def test_months_before_goes_back_calendar_months(moment, months, expected):
    assert months_before(moment, months) == expected


def test_percent_change_to_a_hundredth_and_none_from_zero():
    assert percent_change(Decimal("345.00"), Decimal("347.00")) == Decimal("0.58")
    assert percent_change(Decimal("3"), Decimal("1")) == Decimal("-66.67")
    assert percent_change(Decimal(0), Decimal("5.00")) is None
