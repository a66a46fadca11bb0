"""A line's candidates are built when read, and read, compare, copy and pickle as their tuple."""

from __future__ import annotations

import copy
import pickle
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

from pricing import rules
from pricing.models import AssignmentTarget, Precedence, PriceListStatus, TierKind

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
D = Decimal
V = 10
BUYER = rules.Buyer(7, 3, 31, frozenset(), frozenset(), "USD")
DEFAULT = (rules.AssignmentInfo(AssignmentTarget.DEFAULT),)
COMPANY = (rules.AssignmentInfo(AssignmentTarget.COMPANY, company_id=3),)


def _data(precedence: Precedence = Precedence.LOWEST_PRICE) -> rules.PricingData:
    """Four lists for one variant: a winner (by tier), a loser, one without a price, a draft."""
    return rules.PricingData(
        at=NOW,
        precedence=precedence,
        lists=(
            rules.ListInfo(1, "No price", "USD", assignments=DEFAULT),
            rules.ListInfo(2, "Contract", "USD", priority=5, assignments=COMPANY),
            rules.ListInfo(3, "Draft", "USD", status=PriceListStatus.DRAFT, assignments=DEFAULT),
            rules.ListInfo(4, "Volume", "USD", assignments=DEFAULT),
        ),
        variants=(rules.VariantInfo(V, 100, 1000, D("20.00")),),
        entries=(
            rules.EntryInfo(2, V, D("15.00")),
            rules.EntryInfo(3, V, D("1.00")),
            rules.EntryInfo(4, V, D("16.00")),
        ),
        tiers=(rules.TierInfo(4, V, 10, TierKind.FIXED, D("14.50")),),
    )


def _line(quantity: int, precedence: Precedence = Precedence.LOWEST_PRICE) -> rules.LinePrice:
    return rules.price_cart(_data(precedence), BUYER, [rules.LineRequest(V, quantity)]).lines[0]


def test_the_candidates_read_like_the_tuple_they_stand_for() -> None:
    line = _line(12)
    built = tuple(line.candidates)
    assert [(c.price_list_id, c.outcome) for c in built] == [
        (4, "won"),
        (2, "lost"),
        (1, "not_applicable"),
        (3, "not_applicable"),
    ]
    assert all(isinstance(c, rules.Candidate) for c in built)
    assert (len(line.candidates), line.candidates[0], line.candidates[-1]) == (4, built[0], built[3])
    assert line.candidates[1:3] == built[1:3]
    assert line.candidates == built and built == line.candidates
    assert line.candidates != list(built)
    assert hash(line.candidates) == hash(built)
    assert repr(line.candidates) == repr(built)
    assert built[0].reason == "won: 14.50, volume price from 10 units; the default list for every buyer"
    assert built[1].reason == "lost: 15.00 is above the winning 14.50"


def test_reading_the_candidates_again_gives_the_same_objects() -> None:
    line = _line(12)
    first = tuple(line.candidates)
    assert all(a is b for a, b in zip(first, line.candidates, strict=True))


def test_the_candidates_follow_the_quantity_and_the_precedence_the_line_was_priced_with() -> None:
    below_tier, by_priority = _line(2), _line(12, Precedence.PRIORITY)
    assert (below_tier.price_list_id, below_tier.candidates[0].price_list_id) == (2, 2)
    assert below_tier.candidates[1].reason == "lost: 16.00 is above the winning 15.00"
    assert (by_priority.price_list_id, by_priority.candidates[0].price_list_id) == (2, 2)
    assert by_priority.candidates[1].reason == "lost: priority 0 is below the winning priority 5"


def test_a_copy_or_a_pickle_of_a_line_holds_the_plain_tuple() -> None:
    line = _line(12)
    for other in (pickle.loads(pickle.dumps(line)), copy.deepcopy(line), copy.copy(line)):
        assert other == line
        assert type(other.candidates) is tuple or other.candidates is line.candidates
    assert type(pickle.loads(pickle.dumps(line)).candidates) is tuple


def test_lines_compare_equal_whether_their_candidates_were_read_or_not() -> None:
    read, unread = _line(12), _line(12)
    tuple(read.candidates)
    assert read == unread and hash(read) == hash(unread)
    assert replace(read, candidates=()) != read


def test_without_explanation_the_candidates_are_an_empty_tuple() -> None:
    line = rules.price_cart(_data(), BUYER, [rules.LineRequest(V, 12)], explain=False).lines[0]
    assert line.candidates == ()
    assert type(line.candidates) is tuple
    assert line.explanation == (
        "Volume (the default list for every buyer) sets 14.50 USD, volume price from 10 units: "
        "the lowest of 2 list prices."
    )
