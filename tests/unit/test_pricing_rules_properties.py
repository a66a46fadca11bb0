"""Properties of the price engine over generated lists, tiers, prices and quantities (hypothesis)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from app.money import round_money
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
    LineRequest,
    ListInfo,
    PricingData,
    RuleInfo,
    TierInfo,
    VariantInfo,
    price_cart,
)
from pricing.rules.verdicts import rule_violations

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
VID = 1
BUYER = Buyer(
    customer_id=7,
    company_id=3,
    company_location_id=31,
    customer_tags=frozenset({"vip"}),
    segment_ids=frozenset({5}),
    currency="USD",
)
ASSIGNMENTS = [
    AssignmentInfo(AssignmentTarget.COMPANY_LOCATION, company_location_id=31),
    AssignmentInfo(AssignmentTarget.COMPANY, company_id=3),
    AssignmentInfo(AssignmentTarget.CUSTOMER, customer_id=7),
    AssignmentInfo(AssignmentTarget.CUSTOMER_TAG, customer_tag="VIP"),
    AssignmentInfo(AssignmentTarget.SEGMENT, segment_id=5),
    AssignmentInfo(AssignmentTarget.DEFAULT),
    AssignmentInfo(AssignmentTarget.COMPANY, company_id=99),  # someone else's
]

money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("5000"), places=4)
percent_off = st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("100"), places=4)
signed_percent = st.decimals(min_value=Decimal("-99.9999"), max_value=Decimal("200"), places=4).filter(bool)
quantity = st.integers(min_value=1, max_value=500)


@st.composite
def tiers(draw: st.DrawFn, list_id: int) -> tuple[TierInfo, ...]:
    minimums = draw(st.lists(st.integers(min_value=2, max_value=400), max_size=5, unique=True))
    found = []
    for minimum in sorted(minimums):
        kind = draw(st.sampled_from(TierKind))
        value = draw(money if kind is TierKind.FIXED else percent_off)
        variant_id = draw(st.sampled_from([VID, None]))
        found.append(TierInfo(list_id, variant_id, minimum, kind, value))
    return tuple(found)


@st.composite
def price_list(
    draw: st.DrawFn, list_id: int
) -> tuple[ListInfo, list[EntryInfo], list[AdjustmentInfo], tuple[TierInfo, ...]]:
    info = ListInfo(
        id=list_id,
        name=f"<list #{list_id}>",
        currency=draw(st.sampled_from(["USD", "USD", "USD", "EUR"])),
        status=draw(st.sampled_from([PriceListStatus.ACTIVE] * 4 + [PriceListStatus.DRAFT])),
        ends_at=draw(st.sampled_from([None, None, NOW - timedelta(days=1), NOW + timedelta(days=1)])),
        priority=draw(st.integers(min_value=0, max_value=3)),
        base=draw(st.sampled_from(PriceBase)),
        assignments=tuple(draw(st.lists(st.sampled_from(ASSIGNMENTS), min_size=1, max_size=2))),
    )
    entries = [EntryInfo(list_id, VID, draw(money))] if draw(st.booleans()) else []
    adjustments = (
        [AdjustmentInfo(list_id, AdjustmentScope.ALL, None, draw(signed_percent))]
        if draw(st.booleans())
        else []
    )
    return info, entries, adjustments, draw(tiers(list_id))


@st.composite
def pricing_data(draw: st.DrawFn, precedence: Precedence = Precedence.LOWEST_PRICE) -> PricingData:
    count = draw(st.integers(min_value=1, max_value=5))
    parts = [draw(price_list(list_id)) for list_id in range(1, count + 1)]
    variant = VariantInfo(VID, 100, 1000, draw(money), draw(st.one_of(st.none(), money)))
    return PricingData(
        at=NOW,
        precedence=precedence,
        lists=tuple(p[0] for p in parts),
        variants=(variant,),
        entries=tuple(e for p in parts for e in p[1]),
        adjustments=tuple(a for p in parts for a in p[2]),
        tiers=tuple(t for p in parts for t in p[3]),
    )


def _only(data: PricingData, list_id: int) -> PricingData:
    """The same data with one list: what that list alone would charge."""
    return PricingData(
        at=data.at,
        precedence=data.precedence,
        lists=tuple(info for info in data.lists if info.id == list_id),
        variants=data.variants,
        entries=tuple(e for e in data.entries if e.price_list_id == list_id),
        adjustments=tuple(a for a in data.adjustments if a.price_list_id == list_id),
        tiers=tuple(t for t in data.tiers if t.price_list_id == list_id),
    )


@settings(max_examples=150, deadline=None)
@given(data=pricing_data(), quantities=st.lists(quantity, min_size=2, max_size=6))
def test_within_one_list_the_price_never_rises_with_quantity(
    data: PricingData, quantities: list[int]
) -> None:
    for info in data.lists:
        alone = _only(data, info.id)
        lines = [LineRequest(VID, q) for q in sorted(quantities)]
        exact = []
        for line in price_cart(alone, BUYER, lines).lines:
            won = [c for c in line.candidates if c.outcome == "won"]
            exact.append(won[0].unit_price if won else None)
        priced = [p for p in exact if p is not None]
        # a list prices a variant at every quantity or at none
        assert len(priced) in (0, len(exact))
        assert all(later <= earlier for earlier, later in pairwise(priced))


@settings(max_examples=150, deadline=None)
@given(data=pricing_data(), q=quantity)
def test_the_winner_is_the_lowest_price_among_applicable_lists(data: PricingData, q: int) -> None:
    line = price_cart(data, BUYER, [LineRequest(VID, q)]).lines[0]
    # each list priced alone is the oracle of what it would charge
    alone: dict[int, Decimal] = {}
    for info in data.lists:
        only = price_cart(_only(data, info.id), BUYER, [LineRequest(VID, q)]).lines[0]
        won = [c for c in only.candidates if c.outcome == "won"]
        if won:
            alone[info.id] = won[0].unit_price  # type: ignore[assignment]
    if not alone:
        assert line.price_list_id is None
        assert line.source == "retail"
        assert line.unit_price == round_money(data.variants[0].price, "USD")  # type: ignore[arg-type]
        return
    lowest = min(alone.values())
    assert line.price_list_id in alone
    assert alone[line.price_list_id] == lowest  # type: ignore[index]
    assert {c.price_list_id for c in line.candidates if c.outcome in ("won", "lost")} == set(alone)


@settings(max_examples=100, deadline=None)
@given(data=pricing_data(Precedence.PRIORITY), q=quantity)
def test_under_priority_the_winner_has_the_highest_priority_then_the_lowest_price(
    data: PricingData, q: int
) -> None:
    line = price_cart(data, BUYER, [LineRequest(VID, q)]).lines[0]
    offers = [c for c in line.candidates if c.outcome in ("won", "lost")]
    if not offers:
        return
    priority = {info.id: info.priority for info in data.lists}
    winner = next(c for c in offers if c.outcome == "won")
    top = max(priority[c.price_list_id] for c in offers)
    assert priority[winner.price_list_id] == top
    assert winner.unit_price == min(c.unit_price for c in offers if priority[c.price_list_id] == top)  # type: ignore[type-var]


@settings(max_examples=150, deadline=None)
@given(data=pricing_data(), q=quantity)
def test_rounding_happens_once_at_the_end(data: PricingData, q: int) -> None:
    line = price_cart(data, BUYER, [LineRequest(VID, q)]).lines[0]
    won = [c for c in line.candidates if c.outcome == "won"]
    exact = won[0].unit_price if won else data.variants[0].price
    assert exact is not None
    assert line.unit_price == round_money(exact, "USD")
    assert line.line_total == round_money(line.unit_price * q, "USD")


@settings(max_examples=150, deadline=None)
@given(data=pricing_data(), q=quantity)
def test_the_explanation_names_the_winner(data: PricingData, q: int) -> None:
    line = price_cart(data, BUYER, [LineRequest(VID, q)]).lines[0]
    won = [c for c in line.candidates if c.outcome == "won"]
    assert len(won) == (0 if line.price_list_id is None else 1)
    if won:
        assert won[0].price_list_id == line.price_list_id
        assert line.explanation.startswith(won[0].price_list_name)
        assert f"{line.unit_price} USD" in line.explanation
        others = [c.price_list_name for c in line.candidates if c.outcome != "won"]
        assert not any(name in line.explanation for name in others)
    else:
        assert "retail price" in line.explanation
    assert all(
        c.reason.startswith({"won": "won: ", "lost": "lost: "}.get(c.outcome, "not applicable: "))
        for c in line.candidates
    )


@settings(max_examples=100, deadline=None)
@given(data=pricing_data(), quantities=st.lists(quantity, min_size=1, max_size=4))
def test_explain_false_changes_nothing_but_the_candidates(data: PricingData, quantities: list[int]) -> None:
    lines = [LineRequest(VID, q) for q in quantities]
    full = price_cart(data, BUYER, lines)
    short = price_cart(data, BUYER, lines, explain=False)
    assert [replace(line, candidates=()) for line in full.lines] == list(short.lines)
    assert (short.subtotal, short.violations) == (full.subtotal, full.violations)


@settings(max_examples=150, deadline=None)
@given(data=st.sampled_from([Precedence.LOWEST_PRICE, Precedence.PRIORITY]).flatmap(pricing_data), q=quantity)
def test_the_explanation_counts_every_list_whose_candidate_priced_the_line(data: PricingData, q: int) -> None:
    # when
    line = price_cart(data, BUYER, [LineRequest(VID, q)]).lines[0]
    # then: the lists the engine counted are those whose candidate (each list priced in full) has a price
    offers = [c for c in line.candidates if c.outcome in ("won", "lost")]
    assert all(c.unit_price is not None for c in offers)
    if not offers:
        assert line.price_list_id is None
    elif data.precedence is Precedence.PRIORITY:
        assert f"of {len(offers)} lists that price it" in line.explanation
    elif len(offers) > 1:
        assert f"the lowest of {len(offers)} list prices" in line.explanation
    else:
        assert "the only list that prices it" in line.explanation


@settings(max_examples=300, deadline=None)
@given(
    minimum=st.integers(min_value=0, max_value=6),
    maximum=st.one_of(st.none(), st.integers(min_value=0, max_value=12)),
    increment=st.integers(min_value=-2, max_value=5),
    q=st.integers(min_value=1, max_value=30),
    per_variant=st.booleans(),
)
def test_a_quantity_rule_reports_exactly_the_bounds_the_quantity_breaks(
    minimum: int, maximum: int | None, increment: int, q: int, per_variant: bool
) -> None:
    # given: one list with one rule, list-wide or for the variant
    info = ListInfo(id=1, name="Case", currency="USD", status=PriceListStatus.ACTIVE)
    rule = RuleInfo(1, VID if per_variant else None, minimum, maximum, increment)
    data = PricingData(at=NOW, precedence=Precedence.LOWEST_PRICE, lists=(info,), variants=(), rules=(rule,))
    # when
    found = rule_violations(data.index, info, VID, q)
    # then
    expected = [
        code
        for code, broken in (
            ("below_minimum", q < minimum),
            ("above_maximum", maximum is not None and q > maximum),
            ("not_increment", increment > 1 and q % increment != 0),
        )
        if broken
    ]
    assert [violation.code for violation in found] == expected
    assert all(violation.price_list_id == 1 for violation in found)
