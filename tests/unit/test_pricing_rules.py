"""The price engine by example: applicability, list prices, tiers, precedence, rounding, violations, why."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from app.money import money_rounder, round_money
from pricing.models import (
    AdjustmentScope,
    AssignmentTarget,
    Precedence,
    PriceBase,
    PriceListStatus,
    TierKind,
)
from pricing.rules import (
    AdjustmentInfo,
    AssignmentInfo,
    Buyer,
    EntryInfo,
    LinePrice,
    LineRequest,
    ListInfo,
    PricedCart,
    PricingData,
    RuleInfo,
    TierInfo,
    VariantInfo,
    price_cart,
)

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
D = Decimal
V = 10  # the variant most tests price: shopify id 100, product 1000, retail 20.00, compare-at 25.00
DEFAULT = AssignmentInfo(AssignmentTarget.DEFAULT)
BUYER = Buyer(
    customer_id=7,
    company_id=3,
    company_location_id=31,
    customer_tags=frozenset({"vip"}),
    segment_ids=frozenset({5}),
    currency="USD",
)


def variant(
    vid: int = V, price: str | None = "20.00", compare_at: str | None = "25.00", **kw: Any
) -> VariantInfo:
    return VariantInfo(
        vid,
        kw.pop("shopify_id", vid * 10),
        kw.pop("product", 1000),
        None if price is None else D(price),
        None if compare_at is None else D(compare_at),
        **kw,
    )


def plist(lid: int, name: str | None = None, *assignments: AssignmentInfo, **kw: Any) -> ListInfo:
    return ListInfo(
        lid, name or f"List {lid}", kw.pop("currency", "USD"), assignments=assignments or (DEFAULT,), **kw
    )


def data(*lists: ListInfo, **kw: Any) -> PricingData:
    kw.setdefault("variants", (variant(),))
    return PricingData(
        at=kw.pop("at", NOW), precedence=kw.pop("precedence", Precedence.LOWEST_PRICE), lists=lists, **kw
    )


def fixed(lid: int, price: str, vid: int = V) -> EntryInfo:
    return EntryInfo(lid, vid, D(price))


def one(pricing: PricingData, quantity: int = 1, buyer: Buyer = BUYER, vid: int = V) -> LinePrice:
    cart = price_cart(pricing, buyer, [LineRequest(vid, quantity)])
    return cart.lines[0]


def outcomes(line: LinePrice) -> list[tuple[int, str, str]]:
    return [(c.price_list_id, c.outcome, c.reason) for c in line.candidates]


# ---- no list, retail ---------------------------------------------------------------------------


def test_without_lists_the_retail_price_applies() -> None:
    line = one(data(), quantity=3)
    assert (line.unit_price, line.line_total, line.source, line.price_list_id) == (
        D("20.00"),
        D("60.00"),
        "retail",
        None,
    )
    assert line.base_price == D("20.00")
    assert line.candidates == ()
    assert line.violations == ()
    assert line.explanation == "No price list prices this item for this buyer: the retail price 20.00 USD."


def test_a_list_not_assigned_to_the_buyer_is_not_a_candidate() -> None:
    other_company = AssignmentInfo(AssignmentTarget.COMPANY, company_id=99)
    line = one(data(plist(1, "Theirs", other_company), entries=(fixed(1, "1.00"),)))
    assert (line.unit_price, line.candidates) == (D("20.00"), ())


def test_a_variant_without_retail_price_and_no_list_has_no_price() -> None:
    line = one(data(variants=(variant(price=None),)), quantity=2)
    assert (line.unit_price, line.line_total, line.source) == (None, None, "none")
    assert [(v.code, v.message) for v in line.violations] == [
        ("no_price", "No price in USD: the item has no retail price and no price list prices it.")
    ]


def test_an_unknown_variant_or_a_zero_quantity_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="not in the pricing data"):
        price_cart(data(), BUYER, [LineRequest(404, 1)])
    with pytest.raises(ValueError, match="below 1"):
        price_cart(data(), BUYER, [LineRequest(V, 0)])


# ---- applicability -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"status": PriceListStatus.DRAFT}, "not applicable: it is a draft"),
        ({"status": PriceListStatus.ARCHIVED}, "not applicable: it is archived"),
        ({"starts_at": NOW + timedelta(days=1)}, "not applicable: starts 2026-11-23"),
        ({"ends_at": datetime(2026, 10, 1, tzinfo=UTC)}, "not applicable: ended 2026-10-01"),
        ({"ends_at": NOW}, "not applicable: ended 2026-11-22"),
        ({"currency": "EUR"}, "not applicable: in EUR, the buyer pays in USD"),
    ],
)
def test_a_list_that_does_not_apply_is_explained(fields: dict[str, Any], reason: str) -> None:
    line = one(data(plist(1, "Promo", **fields), entries=(fixed(1, "5.00"),)))
    assert (line.unit_price, line.source) == (D("20.00"), "retail")
    assert outcomes(line) == [(1, "not_applicable", reason)]
    assert line.candidates[0].unit_price is None


def test_a_list_inside_its_window_applies() -> None:
    window = {"starts_at": NOW - timedelta(days=1), "ends_at": NOW + timedelta(seconds=1)}
    line = one(data(plist(1, **window), entries=(fixed(1, "5.00"),)))
    assert line.unit_price == D("5.00")


def test_activate_treats_a_draft_out_of_its_window_as_active_but_keeps_the_currency_check() -> None:
    draft = plist(1, "Draft", status=PriceListStatus.DRAFT, starts_at=NOW + timedelta(days=30))
    euro = plist(2, "Euro draft", status=PriceListStatus.DRAFT, currency="EUR")
    pricing = data(draft, euro, entries=(fixed(1, "5.00"), fixed(2, "4.00")), activate=frozenset({1, 2}))
    line = one(pricing)
    assert (line.unit_price, line.price_list_id) == (D("5.00"), 1)
    assert outcomes(line)[1] == (2, "not_applicable", "not applicable: in EUR, the buyer pays in USD")


def test_an_activated_list_that_is_not_assigned_to_the_buyer_is_explained() -> None:
    elsewhere = plist(1, "Draft", AssignmentInfo(AssignmentTarget.CUSTOMER, customer_id=1234))
    line = one(data(elsewhere, entries=(fixed(1, "5.00"),), activate=frozenset({1})))
    assert line.unit_price == D("20.00")
    assert outcomes(line) == [(1, "not_applicable", "not applicable: not assigned to this buyer")]
    assert line.candidates[0].via is None


@pytest.mark.parametrize(
    ("assignment", "via"),
    [
        (
            AssignmentInfo(AssignmentTarget.COMPANY_LOCATION, company_location_id=31),
            "assigned to the company location",
        ),
        (AssignmentInfo(AssignmentTarget.COMPANY, company_id=3), "assigned to the company"),
        (AssignmentInfo(AssignmentTarget.CUSTOMER, customer_id=7), "assigned to the customer"),
        (
            AssignmentInfo(AssignmentTarget.CUSTOMER_TAG, customer_tag=" VIP "),
            "assigned to customer tag ' VIP '",
        ),
        (AssignmentInfo(AssignmentTarget.SEGMENT, segment_id=5), "assigned to segment 5"),
        (DEFAULT, "the default list for every buyer"),
    ],
)
def test_every_assignment_target_matches_its_buyer(assignment: AssignmentInfo, via: str) -> None:
    line = one(data(plist(1, "L", assignment), entries=(fixed(1, "5.00"),)))
    assert line.price_list_id == 1
    assert line.candidates[0].reason == f"won: 5.00, fixed price; {via}"
    assert line.candidates[0].via is assignment.target


def test_assignments_do_not_match_a_buyer_without_those_ids() -> None:
    anonymous = Buyer(None, None, None, frozenset(), frozenset(), "USD")
    targeted = [
        AssignmentInfo(AssignmentTarget.COMPANY_LOCATION, company_location_id=31),
        AssignmentInfo(AssignmentTarget.COMPANY, company_id=3),
        AssignmentInfo(AssignmentTarget.CUSTOMER, customer_id=7),
        AssignmentInfo(AssignmentTarget.CUSTOMER_TAG, customer_tag="vip"),
        AssignmentInfo(AssignmentTarget.SEGMENT, segment_id=5),
    ]
    pricing = data(
        *(plist(n + 1, None, a) for n, a in enumerate(targeted)),
        entries=tuple(fixed(n + 1, "5.00") for n in range(5)),
    )
    line = one(pricing, buyer=anonymous)
    assert (line.unit_price, line.candidates) == (D("20.00"), ())


def test_a_list_matched_several_ways_counts_with_its_most_specific_match() -> None:
    both = plist(
        1,
        "Both",
        AssignmentInfo(AssignmentTarget.CUSTOMER_TAG, customer_tag="vip"),
        AssignmentInfo(AssignmentTarget.COMPANY, company_id=3),
    )
    line = one(data(both, entries=(fixed(1, "5.00"),)))
    assert line.candidates[0].via is AssignmentTarget.COMPANY


# ---- a list's price --------------------------------------------------------------------------------


def test_a_fixed_entry_beats_the_lists_own_adjustment() -> None:
    pricing = data(
        plist(1),
        entries=(fixed(1, "19.00"),),
        adjustments=(AdjustmentInfo(1, AdjustmentScope.ALL, None, D("-50")),),
    )
    line = one(pricing)
    assert (line.unit_price, line.source) == (D("19.00"), "fixed")


@pytest.mark.parametrize(
    ("present", "expected", "how"),
    [
        (
            {"variant", "product", "collection", "all"},
            "18.00",
            "10 % off the retail price (variant adjustment)",
        ),
        ({"product", "collection", "all"}, "16.00", "20 % off the retail price (product adjustment)"),
        ({"collection", "all"}, "14.00", "30 % off the retail price (collection adjustment)"),
        ({"all"}, "22.00", "10 % above the retail price (list adjustment)"),
    ],
)
def test_the_most_specific_adjustment_wins(present: set[str], expected: str, how: str) -> None:
    adjustments = {
        "variant": AdjustmentInfo(1, AdjustmentScope.VARIANT, 100, D("-10")),
        "product": AdjustmentInfo(1, AdjustmentScope.PRODUCT, 1000, D("-20")),
        "collection": AdjustmentInfo(1, AdjustmentScope.COLLECTION, 77, D("-30")),
        "all": AdjustmentInfo(1, AdjustmentScope.ALL, None, D("10")),
    }
    pricing = data(
        plist(1), adjustments=tuple(adjustments[k] for k in sorted(present)), collections=((77, 1000),)
    )
    line = one(pricing)
    assert (line.unit_price, line.source) == (D(expected), "adjustment")
    assert line.candidates[0].reason == f"won: {expected}, {how}; the default list for every buyer"


def test_adjustments_of_other_variants_products_and_collections_do_not_apply() -> None:
    pricing = data(
        plist(1),
        adjustments=(
            AdjustmentInfo(1, AdjustmentScope.VARIANT, 999, D("-10")),
            AdjustmentInfo(1, AdjustmentScope.PRODUCT, 999, D("-20")),
            AdjustmentInfo(1, AdjustmentScope.COLLECTION, 88, D("-30")),
        ),
        collections=((77, 1000), (88, 5555)),
    )
    line = one(pricing)
    assert (line.unit_price, line.source) == (D("20.00"), "retail")
    assert outcomes(line) == [(1, "not_applicable", "not applicable: no price for this variant")]


def test_a_product_in_two_adjusted_collections_gets_the_larger_discount() -> None:
    pricing = data(
        plist(1),
        adjustments=(
            AdjustmentInfo(1, AdjustmentScope.COLLECTION, 77, D("-5")),
            AdjustmentInfo(1, AdjustmentScope.COLLECTION, 78, D("-15")),
        ),
        collections=((77, 1000), (78, 1000)),
    )
    assert one(pricing).unit_price == D("17.00")


@pytest.mark.parametrize(("compare_at", "expected"), [("25.00", "22.50"), (None, "18.00")])
def test_a_compare_at_list_adjusts_the_compare_at_price_or_falls_back_to_the_price(
    compare_at: str | None, expected: str
) -> None:
    pricing = data(
        plist(1, base=PriceBase.COMPARE_AT),
        variants=(variant(compare_at=compare_at),),
        adjustments=(AdjustmentInfo(1, AdjustmentScope.ALL, None, D("-10")),),
    )
    assert one(pricing).unit_price == D(expected)


def test_an_adjustment_needs_a_retail_price() -> None:
    pricing = data(
        plist(1),
        variants=(variant(price=None, compare_at=None),),
        adjustments=(AdjustmentInfo(1, AdjustmentScope.ALL, None, D("-10")),),
    )
    line = one(pricing)
    assert line.unit_price is None
    assert outcomes(line) == [
        (1, "not_applicable", "not applicable: the variant has no retail price to adjust")
    ]


# ---- tiers -----------------------------------------------------------------------------------------


def test_tiers_lower_the_price_from_their_minimum_on() -> None:
    tiers = (
        TierInfo(1, V, 10, TierKind.FIXED, D("17.00")),
        TierInfo(1, V, 50, TierKind.PERCENT_OFF, D("20")),
    )
    pricing = data(plist(1), entries=(fixed(1, "18.00"),), tiers=tiers)
    below, at_ten, at_fifty = (one(pricing, q) for q in (9, 10, 50))
    assert (below.unit_price, below.source, below.tier_min_quantity) == (D("18.00"), "fixed", None)
    assert (at_ten.unit_price, at_ten.source, at_ten.tier_min_quantity) == (D("17.00"), "tier", 10)
    assert (at_fifty.unit_price, at_fifty.source, at_fifty.tier_min_quantity) == (D("14.40"), "tier", 50)
    assert (
        at_fifty.candidates[0].reason
        == "won: 14.40, volume price from 50 units; the default list for every buyer"
    )


def test_a_tier_is_the_minimum_of_every_reached_tier_and_the_list_price() -> None:
    # a later tier that is worse than an earlier one never raises the price (nor a tier above the list price)
    tiers = (
        TierInfo(1, V, 5, TierKind.PERCENT_OFF, D("30")),
        TierInfo(1, V, 10, TierKind.FIXED, D("16.00")),
        TierInfo(1, V, 3, TierKind.FIXED, D("25.00")),
    )
    pricing = data(plist(1), entries=(fixed(1, "20.00"),), tiers=tiers)
    assert [one(pricing, q).unit_price for q in (3, 5, 10)] == [D("20.00"), D("14.00"), D("14.00")]
    assert one(pricing, 10).tier_min_quantity == 5


def test_variant_tiers_replace_the_list_wide_tiers() -> None:
    tiers = (
        TierInfo(1, None, 10, TierKind.PERCENT_OFF, D("50")),
        TierInfo(1, V, 10, TierKind.PERCENT_OFF, D("10")),
    )
    other = variant(11, shopify_id=110)
    pricing = data(
        plist(1),
        variants=(variant(), other),
        entries=(fixed(1, "20.00"), fixed(1, "20.00", vid=11)),
        tiers=tiers,
    )
    assert one(pricing, 10).unit_price == D("18.00")
    assert one(pricing, 10, vid=11).unit_price == D("10.00")


# ---- precedence ------------------------------------------------------------------------------------


def test_lowest_price_wins_whatever_the_specificity() -> None:
    location = plist(1, "Location", AssignmentInfo(AssignmentTarget.COMPANY_LOCATION, company_location_id=31))
    default = plist(2, "Default")
    line = one(data(location, default, entries=(fixed(1, "12.40"), fixed(2, "11.90"))))
    assert (line.unit_price, line.price_list_id) == (D("11.90"), 2)
    assert outcomes(line)[1] == (1, "lost", "lost: 12.40 is above the winning 11.90")
    assert (
        line.explanation == "Default (the default list for every buyer) sets 11.90 USD, fixed price: "
        "the lowest of 2 list prices."
    )


def test_a_price_tie_goes_to_the_more_specific_assignment() -> None:
    tag = plist(1, "Tag", AssignmentInfo(AssignmentTarget.CUSTOMER_TAG, customer_tag="vip"))
    company = plist(2, "Company", AssignmentInfo(AssignmentTarget.COMPANY, company_id=3))
    line = one(data(tag, company, entries=(fixed(1, "11.90"), fixed(2, "11.90"))))
    assert line.price_list_id == 2
    assert outcomes(line)[1] == (
        1,
        "lost",
        "lost: same price as Company, which is assigned more specifically (company beats customer tag)",
    )


def test_a_full_tie_goes_to_the_lower_list_id() -> None:
    line = one(data(plist(2, "B"), plist(1, "A"), entries=(fixed(1, "11.90"), fixed(2, "11.90"))))
    assert line.price_list_id == 1
    assert outcomes(line)[1] == (
        2,
        "lost",
        "lost: same price and assignment as A, which has the lower list id (1)",
    )


def test_priority_mode_the_highest_priority_wins_even_at_a_higher_price() -> None:
    pricing = data(
        plist(1, "Cheap", priority=1),
        plist(2, "Contract", priority=5),
        entries=(fixed(1, "9.00"), fixed(2, "12.00")),
        precedence=Precedence.PRIORITY,
    )
    line = one(pricing)
    assert (line.unit_price, line.price_list_id) == (D("12.00"), 2)
    assert outcomes(line)[1] == (1, "lost", "lost: priority 1 is below the winning priority 5")
    assert (
        line.explanation == "Contract (the default list for every buyer) sets 12.00 USD, fixed price: "
        "the highest priority (5) of 2 lists that price it."
    )


def test_priority_mode_ties_by_price_then_specificity_then_id() -> None:
    company = AssignmentInfo(AssignmentTarget.COMPANY, company_id=3)
    lists = (
        plist(1, "A", priority=5),
        plist(2, "B", company, priority=5),
        plist(3, "C", priority=5),
        plist(4, "D", company, priority=5),
    )
    entries = (fixed(1, "10.00"), fixed(2, "10.00"), fixed(3, "9.00"), fixed(4, "10.00"))
    line = one(data(*lists, entries=entries, precedence=Precedence.PRIORITY))
    assert line.price_list_id == 3
    assert outcomes(line)[1:] == [
        (2, "lost", "lost: same priority, 10.00 is above the winning 9.00"),
        (4, "lost", "lost: same priority, 10.00 is above the winning 9.00"),
        (1, "lost", "lost: same priority, 10.00 is above the winning 9.00"),
    ]
    without_cheapest = one(data(*lists, entries=entries[:2] + entries[3:], precedence=Precedence.PRIORITY))
    assert without_cheapest.price_list_id == 2
    assert outcomes(without_cheapest)[1:3] == [
        (4, "lost", "lost: same priority, same price and assignment as B, which has the lower list id (2)"),
        (
            1,
            "lost",
            "lost: same priority, same price as B, which is assigned more specifically "
            "(company beats default)",
        ),
    ]


def test_candidates_list_the_winner_then_the_losers_then_lists_that_did_not_apply() -> None:
    lists = (plist(1, "No price"), plist(2, "Loser"), plist(3, "Ended", ends_at=NOW), plist(4, "Winner"))
    line = one(data(*lists, entries=(fixed(2, "15.00"), fixed(3, "1.00"), fixed(4, "14.00"))))
    assert [(c.price_list_id, c.outcome) for c in line.candidates] == [
        (4, "won"),
        (2, "lost"),
        (1, "not_applicable"),
        (3, "not_applicable"),
    ]


# ---- rounding --------------------------------------------------------------------------------------


def test_rounding_happens_once_after_adjustment_and_tier() -> None:
    # 11.50 - 13 % = 10.005, then 10 % off from 5 units = 9.0045 -> 9.00. Rounding the list price first
    # (10.01) would give 9.009 -> 9.01.
    pricing = data(
        plist(1),
        variants=(variant(price="11.50"),),
        adjustments=(AdjustmentInfo(1, AdjustmentScope.ALL, None, D("-13")),),
        tiers=(TierInfo(1, None, 5, TierKind.PERCENT_OFF, D("10")),),
    )
    line = one(pricing, quantity=5)
    assert line.candidates[0].unit_price == D("9.0045")
    assert (line.unit_price, line.line_total) == (D("9.00"), D("45.00"))
    assert one(pricing, quantity=1).unit_price == D("10.01")


def test_the_line_total_is_the_rounded_unit_times_the_quantity() -> None:
    pricing = data(plist(1), entries=(fixed(1, "1.005"),))
    line = one(pricing, quantity=3)
    assert (line.unit_price, line.line_total) == (D("1.01"), D("3.03"))  # not round(3.015) = 3.02


def test_candidates_keep_exact_prices_and_reasons_show_digits_when_rounding_would_hide_the_difference() -> (
    None
):
    line = one(data(plist(1, "A"), plist(2, "B"), entries=(fixed(1, "10.004"), fixed(2, "10.001"))))
    assert (line.unit_price, line.price_list_id) == (D("10.00"), 2)
    assert [c.unit_price for c in line.candidates] == [D("10.001"), D("10.004")]
    assert outcomes(line)[1] == (1, "lost", "lost: 10.004 is above the winning 10.001")


def test_zero_decimal_currencies_round_to_whole_units() -> None:
    buyer = Buyer(None, None, None, frozenset(), frozenset(), "JPY")
    pricing = data(
        plist(1, currency="JPY"),
        variants=(variant(price="1000", currency="JPY"),),
        adjustments=(AdjustmentInfo(1, AdjustmentScope.ALL, None, D("-12.35")),),
    )
    line = one(pricing, quantity=2, buyer=buyer)
    assert (line.unit_price, line.line_total, line.base_price) == (D("877"), D("1754"), D("1000"))


# ---- currencies ------------------------------------------------------------------------------------


def test_a_list_in_the_buyers_foreign_currency_prices_only_through_fixed_entries() -> None:
    euro_buyer = Buyer(None, None, None, frozenset(), frozenset(), "EUR")
    other = variant(11, shopify_id=110)
    euro = plist(1, "Euro", currency="EUR")
    pricing = data(
        euro,
        variants=(variant(), other),
        entries=(fixed(1, "17.00"),),
        adjustments=(AdjustmentInfo(1, AdjustmentScope.ALL, None, D("-10")),),
    )
    cart = price_cart(pricing, euro_buyer, [LineRequest(V, 2), LineRequest(11, 1)])
    priced, unpriced = cart.lines
    assert (priced.unit_price, priced.line_total, priced.currency, priced.base_price) == (
        D("17.00"),
        D("34.00"),
        "EUR",
        None,
    )
    assert (unpriced.unit_price, unpriced.source, unpriced.base_price) == (None, "none", None)
    assert outcomes(unpriced) == [
        (1, "not_applicable", "not applicable: no fixed EUR price for this variant")
    ]
    assert [(v.code, v.message) for v in unpriced.violations] == [
        ("no_price", "No price in EUR: the retail price is in USD and no price list gives a EUR price.")
    ]
    assert cart.subtotal == D("34.00")


# ---- quantity rules and order minimum --------------------------------------------------------------


@pytest.mark.parametrize(
    ("quantity", "codes"),
    [
        (6, []),
        (12, []),
        (4, ["below_minimum", "not_increment"]),
        (7, ["not_increment"]),
        (66, ["above_maximum"]),
        (67, ["above_maximum", "not_increment"]),
    ],
)
def test_quantity_rules_of_the_winning_list(quantity: int, codes: list[str]) -> None:
    pricing = data(plist(1, "Case"), entries=(fixed(1, "8.00"),), rules=(RuleInfo(1, None, 6, 60, 6),))
    line = one(pricing, quantity)
    assert [v.code for v in line.violations] == codes
    assert all(v.price_list_id == 1 for v in line.violations)


def test_violation_messages_name_the_list_and_the_rule() -> None:
    pricing = data(plist(1, "Case"), entries=(fixed(1, "8.00"),), rules=(RuleInfo(1, None, 6, 60, 6),))
    assert [v.message for v in one(pricing, 4).violations] == [
        "Case sells this item from 6 units; 4 ordered",
        "Case sells this item in multiples of 6; 4 is not one",
    ]
    assert [v.message for v in one(pricing, 66).violations] == ["Case sells at most 60 units; 66 ordered"]


def test_a_variant_rule_replaces_the_list_wide_rule_and_a_losing_list_imposes_nothing() -> None:
    rules = (RuleInfo(1, None, 100), RuleInfo(1, V, 2), RuleInfo(2, None, 50))
    pricing = data(plist(1), plist(2), entries=(fixed(1, "8.00"), fixed(2, "9.00")), rules=rules)
    line = one(pricing, 1)
    assert [(v.code, v.message) for v in line.violations] == [
        ("below_minimum", "List 1 sells this item from 2 units; 1 ordered")
    ]


def test_retail_lines_have_no_quantity_rules() -> None:
    pricing = data(
        plist(1, status=PriceListStatus.DRAFT), entries=(fixed(1, "8.00"),), rules=(RuleInfo(1, None, 100),)
    )
    assert one(pricing, 1).violations == ()


def _two_variant_cart(minimum: str, quantities: tuple[int, int]) -> PricedCart:
    other = variant(11, shopify_id=110)
    pricing = data(
        plist(1, "Bulk", order_minimum=D(minimum)),
        plist(2, "Other"),
        variants=(variant(), other),
        entries=(fixed(1, "10.00"), fixed(2, "5.00", vid=11)),
    )
    return price_cart(pricing, BUYER, [LineRequest(V, quantities[0]), LineRequest(11, quantities[1])])


def test_the_order_minimum_counts_only_the_lines_its_list_won() -> None:
    cart = _two_variant_cart("100.00", (9, 100))
    assert [(v.code, v.price_list_id, v.message) for v in cart.violations] == [
        (
            "below_order_minimum",
            1,
            "The items priced by Bulk come to 90.00 USD; its order minimum is 100.00 USD",
        )
    ]
    assert cart.subtotal == D("590.00")
    assert _two_variant_cart("100.00", (10, 1)).violations == ()


# ---- explanation -----------------------------------------------------------------------------------


def test_the_only_list_is_explained_as_such() -> None:
    line = one(data(plist(1, "Solo"), adjustments=(AdjustmentInfo(1, AdjustmentScope.ALL, None, D("-15")),)))
    assert line.explanation == (
        "Solo (the default list for every buyer) sets 17.00 USD, "
        "15 % off the retail price (list adjustment): the only list that prices it."
    )


def test_pricing_data_can_price_many_buyers_from_one_load() -> None:
    pricing = data(
        plist(1, "Tag", AssignmentInfo(AssignmentTarget.CUSTOMER_TAG, customer_tag="vip")),
        entries=(fixed(1, "5.00"),),
    )
    anonymous = Buyer(None, None, None, frozenset(), frozenset(), "USD")
    assert one(pricing).unit_price == D("5.00")
    assert one(pricing, buyer=anonymous).unit_price == D("20.00")


def test_explain_false_gives_the_same_lines_without_candidates() -> None:
    pricing = data(
        plist(1, "A", order_minimum=D("500")),
        plist(2, "B"),
        plist(3, "Ended", ends_at=NOW),
        entries=(fixed(1, "12.00"), fixed(2, "11.00")),
        tiers=(TierInfo(1, None, 10, TierKind.PERCENT_OFF, D("20")),),
        rules=(RuleInfo(1, None, 1, None, 5),),
        precedence=Precedence.PRIORITY,
    )
    lines = [LineRequest(V, 12), LineRequest(V, 3)]
    full = price_cart(pricing, BUYER, lines)
    short = price_cart(pricing, BUYER, lines, explain=False)
    assert [line.candidates for line in short.lines] == [(), ()]
    assert [replace(line, candidates=()) for line in full.lines] == list(short.lines)
    assert (short.subtotal, short.violations) == (full.subtotal, full.violations)


@pytest.mark.parametrize("currency", ["USD", "JPY", "KWD", "CLF"])
@pytest.mark.parametrize("amount", ["0.005", "1.0045", "2.5", "-1.005", "19.99949", "1000"])
def test_the_engines_rounder_is_round_money(currency: str, amount: str) -> None:
    assert money_rounder(currency)(D(amount)) == round_money(D(amount), currency)
