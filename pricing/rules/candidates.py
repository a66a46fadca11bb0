"""A line's candidates (every list considered, and why it won, lost or did not apply), built on first use.

The engine decides each line's winner from the lists' prices alone; the Candidate objects and their
reasons, which cost as much again as deciding, are built only when a surface reads
`LinePrice.candidates` (the explainer, the resolve API), from the same pure computation. Reading
them always gives the same tuple: the winner, then the losers in precedence order, then the lists
that did not apply.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, overload

from pricing.models import AssignmentTarget
from pricing.rules.plan import ListState
from pricing.rules.types import Candidate, VariantInfo, _Index, builder

Rounder = Callable[[Decimal], Decimal]
_candidate: Callable[..., Candidate] = builder(Candidate)

_TARGET_NAME = {
    AssignmentTarget.COMPANY_LOCATION: "company location",
    AssignmentTarget.COMPANY: "company",
    AssignmentTarget.CUSTOMER: "customer",
    AssignmentTarget.CUSTOMER_TAG: "customer tag",
    AssignmentTarget.SEGMENT: "segment",
    AssignmentTarget.DEFAULT: "default",
}


@dataclass(frozen=True, slots=True)
class CartContext:
    """What every line of one cart shares: the lists that can price, the blocked ones, the rounding."""

    index: _Index
    live: Sequence[ListState]  # in list id order
    blocked: tuple[Candidate, ...]
    rnd: Rounder
    by_priority: bool
    # Per live list, what deciding a line reads of it: (state, plan.price, list id, priority, rank,
    # whether it prices only the variants it has an entry for).
    offers: tuple[tuple[ListState, Callable[..., Any], int, int, int, bool], ...] = ()


class LazyCandidates(Sequence[Candidate]):
    """A line's candidates, built on first use; equal to (and hashed as) that tuple.

    It reads like the tuple it stands for (len, iteration, indexing, `==` with a tuple, repr), and a
    copy or pickle of it is that plain tuple. It holds only the cart's shared context, the variant
    and the quantity: the lists' prices are computed again when it is read (the engine is pure), so
    an unread explanation leaves nothing behind but this object.
    """

    __slots__ = ("_cart", "_items", "_quantity", "_variant")

    def __init__(self, cart: CartContext, variant: VariantInfo, quantity: int) -> None:
        self._cart: CartContext | None = cart
        self._variant = variant
        self._quantity = quantity
        self._items: tuple[Candidate, ...] | None = None

    def _built(self) -> tuple[Candidate, ...]:
        items = self._items
        if items is None:
            items = self._items = build_candidates(self._cart, self._variant, self._quantity)  # type: ignore[arg-type]
            self._cart = None  # the cart's lists are no longer needed
        return items

    def __len__(self) -> int:
        return len(self._built())

    def __iter__(self) -> Iterator[Candidate]:
        return iter(self._built())

    @overload
    def __getitem__(self, position: int) -> Candidate: ...

    @overload
    def __getitem__(self, position: slice) -> tuple[Candidate, ...]: ...

    def __getitem__(self, position: int | slice) -> Candidate | tuple[Candidate, ...]:
        return self._built()[position]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LazyCandidates):
            other = other._built()
        return self._built() == other if isinstance(other, tuple) else NotImplemented

    def __hash__(self) -> int:
        return hash(self._built())

    def __repr__(self) -> str:
        return repr(self._built())

    def __reduce__(self) -> tuple[Any, ...]:
        return (tuple, (self._built(),))


def build_candidates(cart: CartContext, variant: VariantInfo, quantity: int) -> tuple[Candidate, ...]:
    """The winner, the losers in precedence order, the lists without a price, then the blocked lists."""
    fixed_prices = cart.index.entries.get(variant.id) or {}
    rnd, by_priority = cart.rnd, cart.by_priority
    offers: list[tuple[tuple[Any, ...], ListState, Decimal, str, int | None, str]] = []
    no_price: list[Candidate] = []
    for state in cart.live:
        info = state.info
        result = state.plan.price(variant, fixed_prices.get(info.id), quantity)
        if result.__class__ is str:
            no_price.append(
                _candidate(info.id, info.name, state.via, None, "none", None, "not_applicable", result)
            )
            continue
        price, source, tier_min, how = result
        key = (-info.priority, price, state.rank, info.id) if by_priority else (price, state.rank, info.id)
        offers.append((key, state, price, source, tier_min, how))
    if not offers:
        return (*no_price, *cart.blocked)
    offers.sort(key=_offer_key)
    _, winner, win_price, win_source, win_tier, win_how = offers[0]
    w = winner.info
    unit = rnd(win_price)
    reason = f"won: {unit}, {win_how}{winner.won_suffix}"
    found = [_candidate(w.id, w.name, winner.via, win_price, win_source, win_tier, "won", reason)]
    for _, state, price, source, tier_min, _how in offers[1:]:
        reason = _lost_reason(state, price, winner, win_price, unit, rnd, by_priority)
        info = state.info
        found.append(_candidate(info.id, info.name, state.via, price, source, tier_min, "lost", reason))
    return (*found, *no_price, *cart.blocked)


def _offer_key(offer: tuple[Any, ...]) -> tuple[Any, ...]:
    return offer[0]


def _fmt_pair(price: Decimal, winning: Decimal, winning_rounded: Decimal, rnd: Rounder) -> tuple[str, str]:
    """Two prices as shown: rounded, unless rounding would make different prices look equal."""
    a, b = rnd(price), winning_rounded
    if a == b and price != winning:
        return f"{price.normalize():f}", f"{winning.normalize():f}"
    return str(a), str(b)


def _lost_reason(
    state: ListState,
    price: Decimal,
    winner: ListState,
    win_price: Decimal,
    win_rounded: Decimal,
    rnd: Rounder,
    by_priority: bool,
) -> str:
    info, w = state.info, winner.info
    if by_priority and info.priority < w.priority:
        return f"lost: priority {info.priority} is below the winning priority {w.priority}"
    prefix = "same priority, " if by_priority else ""
    if price > win_price:
        shown, shown_win = _fmt_pair(price, win_price, win_rounded, rnd)
        return f"lost: {prefix}{shown} is above the winning {shown_win}"
    if state.rank > winner.rank:
        return (
            f"lost: {prefix}same price as {w.name}, which is assigned more specifically "
            f"({_TARGET_NAME[winner.via]} beats {_TARGET_NAME[state.via]})"  # type: ignore[index]
        )
    return f"lost: {prefix}same price and assignment as {w.name}, which has the lower list id ({w.id})"
