"""price_cart: decide every line's price from the lists that apply to a buyer, and say why."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from app.money import money_rounder
from pricing.models import AssignmentTarget, Precedence, PriceListStatus
from pricing.rules.plan import Plan, plan_for
from pricing.rules.types import (
    SPECIFICITY,
    AssignmentInfo,
    Buyer,
    Candidate,
    LinePrice,
    LineRequest,
    ListInfo,
    PricedCart,
    PricingData,
    VariantInfo,
    _Index,
    builder,
)
from pricing.rules.verdicts import Rounder, order_minimums, rule_violations, unpriced_line

_candidate: Callable[..., Candidate] = builder(Candidate)
_line_price: Callable[..., LinePrice] = builder(LinePrice)
_RANK = {target: rank for rank, target in enumerate(SPECIFICITY)}

_VIA_LABEL = {
    AssignmentTarget.COMPANY_LOCATION: "assigned to the company location",
    AssignmentTarget.COMPANY: "assigned to the company",
    AssignmentTarget.CUSTOMER: "assigned to the customer",
    AssignmentTarget.CUSTOMER_TAG: "assigned to customer tag '{}'",
    AssignmentTarget.SEGMENT: "assigned to segment {}",
    AssignmentTarget.DEFAULT: "the default list for every buyer",
}
_TARGET_NAME = {
    AssignmentTarget.COMPANY_LOCATION: "company location",
    AssignmentTarget.COMPANY: "company",
    AssignmentTarget.CUSTOMER: "customer",
    AssignmentTarget.CUSTOMER_TAG: "customer tag",
    AssignmentTarget.SEGMENT: "segment",
    AssignmentTarget.DEFAULT: "default",
}


@dataclass
class _ListState:
    """A list as it stands for this buyer: how it is assigned, and why it does not apply (if so)."""

    info: ListInfo
    rank: int
    via: AssignmentTarget | None
    via_label: str
    blocked: Candidate | None  # the not-applicable candidate, shared by every line
    plan: Plan
    won_suffix: str  # "; assigned to ..." after the winner's price and how


def price_cart(
    data: PricingData, buyer: Buyer, lines: Sequence[LineRequest], *, explain: bool = True
) -> PricedCart:
    """Price `lines` for `buyer` from `data`: winners, tiers, violations and explanations; pure.

    `explain=False` leaves every line's `candidates` empty (the explanation sentence stays): the same
    prices and violations for surfaces that never show the why, at about half the cost.
    """
    index = data.index
    currency = buyer.currency
    states = _list_states(data, index, buyer)
    live = [state for state in states if state.blocked is None]
    blocked = tuple(state.blocked for state in states if state.blocked is not None)
    by_priority = data.precedence is Precedence.PRIORITY
    rnd = money_rounder(currency)  # round_money's rule, the minor unit looked up once per cart
    priced: list[LinePrice] = []
    for line in lines:
        variant = index.variants.get(line.variant_id)
        if variant is None:
            raise ValueError(f"variant {line.variant_id} is not in the pricing data")
        if line.quantity < 1:
            raise ValueError(f"quantity {line.quantity} of variant {line.variant_id} is below 1")
        priced.append(
            _price_line(index, live, blocked, variant, line.quantity, currency, rnd, by_priority, explain)
        )
    return PricedCart(
        currency=currency,
        lines=tuple(priced),
        subtotal=sum((lp.line_total for lp in priced if lp.line_total is not None), Decimal(0)),
        violations=order_minimums(index, priced, currency, rnd),
    )


def _match(assignment: AssignmentInfo, buyer: Buyer) -> bool:
    target = assignment.target
    if target is AssignmentTarget.DEFAULT:
        return True
    if target is AssignmentTarget.COMPANY_LOCATION:
        return (
            buyer.company_location_id is not None
            and assignment.company_location_id == buyer.company_location_id
        )
    if target is AssignmentTarget.COMPANY:
        return buyer.company_id is not None and assignment.company_id == buyer.company_id
    if target is AssignmentTarget.CUSTOMER:
        return buyer.customer_id is not None and assignment.customer_id == buyer.customer_id
    if target is AssignmentTarget.CUSTOMER_TAG:
        return (assignment.customer_tag or "").strip().lower() in buyer.customer_tags
    return assignment.segment_id is not None and assignment.segment_id in buyer.segment_ids


def _list_states(data: PricingData, index: _Index, buyer: Buyer) -> list[_ListState]:
    """Every list assigned to the buyer (or activated), with its most specific match; in id order."""
    states: list[_ListState] = []
    for info in index.lists.values():
        best: AssignmentInfo | None = None
        for assignment in info.assignments:
            if _match(assignment, buyer) and (best is None or _RANK[assignment.target] < _RANK[best.target]):
                best = assignment
        activated = info.id in data.activate
        if best is None and not activated:
            continue  # not a candidate at all: the buyer is not among its targets
        via = best.target if best else None
        label = _via_label(best) if best else "not assigned to this buyer"
        reason = _blocked_reason(info, best, activated, data, buyer)
        candidate = None
        if reason is not None:
            candidate = Candidate(info.id, info.name, via, None, "none", None, "not_applicable", reason)
        rank = _RANK[via] if via else len(SPECIFICITY)
        states.append(_ListState(info, rank, via, label, candidate, plan_for(info, index), f"; {label}"))
    return states


def _via_label(assignment: AssignmentInfo) -> str:
    template = _VIA_LABEL[assignment.target]
    if assignment.target is AssignmentTarget.CUSTOMER_TAG:
        return template.format(assignment.customer_tag)
    if assignment.target is AssignmentTarget.SEGMENT:
        return template.format(assignment.segment_id)
    return template


def _blocked_reason(
    info: ListInfo, best: AssignmentInfo | None, activated: bool, data: PricingData, buyer: Buyer
) -> str | None:
    if best is None:
        return "not applicable: not assigned to this buyer"
    if not activated:
        if info.status is PriceListStatus.DRAFT:
            return "not applicable: it is a draft"
        if info.status is PriceListStatus.ARCHIVED:
            return "not applicable: it is archived"
        if info.starts_at is not None and data.at < info.starts_at:
            return f"not applicable: starts {info.starts_at.date().isoformat()}"
        if info.ends_at is not None and data.at >= info.ends_at:
            return f"not applicable: ended {info.ends_at.date().isoformat()}"
    if info.currency != buyer.currency:
        return f"not applicable: in {info.currency}, the buyer pays in {buyer.currency}"
    return None


_NO_PRICE = "not applicable: no price for this variant"
_NO_BASE = "not applicable: the variant has no retail price to adjust"


def _list_price(
    index: _Index, state: _ListState, variant: VariantInfo, fixed: Decimal | None, quantity: int
) -> tuple[Decimal, str, int | None, str] | str:
    """(exact unit price, source, tier minimum, how) of the list for this variant, or why it has none."""
    plan = state.plan
    if fixed is not None:
        price, source, how = fixed, "fixed", "fixed price"
    elif state.info.currency != variant.currency:
        # A list in another currency than the catalog has no base price to adjust.
        return f"not applicable: no fixed {state.info.currency} price for this variant"
    elif not plan.adjusts:
        return _NO_PRICE
    else:
        adjust = plan.adjustment(variant, index)
        if adjust is None:
            return _NO_PRICE
        base = (variant.compare_at_price or variant.price) if plan.compare_at else variant.price
        if base is None:
            return _NO_BASE
        price, how = base * adjust[0], adjust[1]
        source = "adjustment"
    tiers = (
        plan.tiers_by_variant.get(variant.id) or plan.tiers_all if plan.tiers_by_variant else plan.tiers_all
    )
    tier_min: int | None = None
    if tiers:
        list_price = price
        for minimum, fixed_value, factor, tier_how in tiers:
            if minimum > quantity:
                break
            value = fixed_value if factor is None else list_price * factor
            if value < price:  # type: ignore[operator]
                price, tier_min, how = value, minimum, tier_how  # type: ignore[assignment]
        if tier_min is not None:
            source = "tier"
    return price, source, tier_min, how


def _fmt_pair(price: Decimal, winning: Decimal, winning_rounded: Decimal, rnd: Rounder) -> tuple[str, str]:
    """Two prices as shown: rounded, unless rounding would make different prices look equal."""
    a, b = rnd(price), winning_rounded
    if a == b and price != winning:
        return f"{price.normalize():f}", f"{winning.normalize():f}"
    return str(a), str(b)


def _price_line(
    index: _Index,
    live: list[_ListState],
    blocked: tuple[Candidate, ...],
    variant: VariantInfo,
    quantity: int,
    currency: str,
    rnd: Rounder,
    by_priority: bool,
    explain: bool,
) -> LinePrice:
    offers: list[tuple[tuple, _ListState, Decimal, str, int | None, str]] = []
    no_price: list[Candidate] = []
    fixed_prices = index.entries.get(variant.id) or {}
    for state in live:
        info = state.info
        result = _list_price(index, state, variant, fixed_prices.get(info.id), quantity)
        if result.__class__ is str:
            if explain:
                no_price.append(
                    _candidate(info.id, info.name, state.via, None, "none", None, "not_applicable", result)
                )
            continue
        price, source, tier_min, how = result
        key = (-info.priority, price, state.rank, info.id) if by_priority else (price, state.rank, info.id)
        offers.append((key, state, price, source, tier_min, how))
    retail = variant.price if variant.currency == currency else None
    base_price = None if retail is None else rnd(retail)
    if not offers:
        return unpriced_line(
            variant, quantity, currency, rnd, base_price, tuple(no_price) + blocked if explain else ()
        )
    if not explain:
        _, winner, win_price, win_source, win_tier, win_how = min(offers, key=_offer_key)
        unit = rnd(win_price)
        return _won(
            index,
            variant,
            quantity,
            currency,
            rnd,
            unit,
            base_price,
            offers,
            winner,
            win_tier,
            win_source,
            win_how,
            (),
            by_priority,
        )
    if len(offers) > 1:
        offers.sort(key=_offer_key)
    _, winner, win_price, win_source, win_tier, win_how = offers[0]
    w = winner.info
    unit = rnd(win_price)
    candidates = [
        _candidate(
            w.id,
            w.name,
            winner.via,
            win_price,
            win_source,
            win_tier,
            "won",
            f"won: {unit}, {win_how}{winner.won_suffix}",
        )
    ]
    for _, state, price, source, tier_min, _how in offers[1:]:
        reason = _lost_reason(state, price, winner, win_price, unit, rnd, by_priority)
        info = state.info
        candidates.append(_candidate(info.id, info.name, state.via, price, source, tier_min, "lost", reason))
    candidates.extend(no_price)
    candidates.extend(blocked)
    return _won(
        index,
        variant,
        quantity,
        currency,
        rnd,
        unit,
        base_price,
        offers,
        winner,
        win_tier,
        win_source,
        win_how,
        tuple(candidates),
        by_priority,
    )


def _won(
    index: _Index,
    variant: VariantInfo,
    quantity: int,
    currency: str,
    rnd: Rounder,
    unit: Decimal,
    base_price: Decimal | None,
    offers: list,
    winner: _ListState,
    win_tier: int | None,
    win_source: str,
    win_how: str,
    candidates: tuple[Candidate, ...],
    by_priority: bool = False,
) -> LinePrice:
    """The line as won by `winner`, with its one-sentence explanation."""
    w = winner.info
    if by_priority:
        why = f"the highest priority ({w.priority}) of {len(offers)} lists that price it"
    elif len(offers) > 1:
        why = f"the lowest of {len(offers)} list prices"
    else:
        why = "the only list that prices it"
    return _line_price(
        variant.id,
        quantity,
        currency,
        unit,
        rnd(unit * quantity),
        base_price,
        w.id,
        win_tier,
        win_source,
        rule_violations(index, w, variant.id, quantity),
        candidates,
        f"{w.name} ({winner.via_label}) sets {unit} {currency}, {win_how}: {why}.",
    )


def _offer_key(offer: tuple) -> tuple:
    return offer[0]


def _lost_reason(
    state: _ListState,
    price: Decimal,
    winner: _ListState,
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
