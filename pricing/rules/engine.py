"""price_cart: decide every line's price from the lists that apply to a buyer, and say why."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal

from app.money import money_rounder
from pricing.models import AssignmentTarget, Precedence, PriceListStatus
from pricing.rules.candidates import CartContext, LazyCandidates
from pricing.rules.plan import ListState, plan_for
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

_line_price: Callable[..., LinePrice] = builder(LinePrice)
_RANK = {target: rank for rank, target in enumerate(SPECIFICITY)}
_NO_ENTRIES: dict[int, Decimal] = {}
_NO_OFFER = (Decimal(0), "none", None, "")

_VIA_LABEL = {
    AssignmentTarget.COMPANY_LOCATION: "assigned to the company location",
    AssignmentTarget.COMPANY: "assigned to the company",
    AssignmentTarget.CUSTOMER: "assigned to the customer",
    AssignmentTarget.CUSTOMER_TAG: "assigned to customer tag '{}'",
    AssignmentTarget.SEGMENT: "assigned to segment {}",
    AssignmentTarget.DEFAULT: "the default list for every buyer",
}


def price_cart(
    data: PricingData, buyer: Buyer, lines: Sequence[LineRequest], *, explain: bool = True
) -> PricedCart:
    """Price `lines` for `buyer` from `data`: winners, tiers, violations and explanations; pure.

    Each line's `candidates` are built when first read (pricing.rules.candidates), by the same pure
    computation that decided the line. `explain=False` leaves them empty (the explanation sentence
    stays): the same prices and violations, for surfaces that never show the why.
    """
    index = data.index
    currency = buyer.currency
    states = _list_states(data, index, buyer)
    live = [state for state in states if state.blocked is None]
    blocked = tuple(state.blocked for state in states if state.blocked is not None)
    by_priority = data.precedence is Precedence.PRIORITY
    rnd = money_rounder(currency)  # round_money's rule, the minor unit looked up once per cart
    offers = tuple((s, s.plan.price, s.info.id, s.info.priority, s.rank, not s.plan.adjusts) for s in live)
    cart = CartContext(index, live, blocked, rnd, by_priority, offers)
    priced: list[LinePrice] = []
    for line in lines:
        variant = index.variants.get(line.variant_id)
        if variant is None:
            raise ValueError(f"variant {line.variant_id} is not in the pricing data")
        if line.quantity < 1:
            raise ValueError(f"quantity {line.quantity} of variant {line.variant_id} is below 1")
        priced.append(_price_line(cart, variant, line.quantity, currency, explain))
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


def _list_states(data: PricingData, index: _Index, buyer: Buyer) -> list[ListState]:
    """Every list assigned to the buyer (or activated), with its most specific match; in id order."""
    states: list[ListState] = []
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
        states.append(ListState(info, rank, via, label, candidate, plan_for(info, index), f"; {label}"))
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


def _price_line(
    cart: CartContext, variant: VariantInfo, quantity: int, currency: str, explain: bool
) -> LinePrice:
    """The line's winner: the least key (price, rank, id), or (-priority, price, rank, id) by priority.

    `cart.live` is in list id order, so a later list wins only with a strictly better (priority,)
    price or rank. The candidates are built only when read (pricing.rules.candidates).
    """
    index, rnd, by_priority = cart.index, cart.rnd, cart.by_priority
    fixed_prices = index.entries.get(variant.id) or _NO_ENTRIES
    winner: ListState | None = None
    won: tuple[Decimal, str, int | None, str] = _NO_OFFER
    win_priority = win_rank = 0
    offers = 0
    for state, price, list_id, priority, rank, entries_only in cart.offers:
        fixed = fixed_prices.get(list_id)
        if fixed is None and entries_only:
            continue  # a list without adjustments prices only what it has an entry for (Plan.price)
        result = price(variant, fixed, quantity)
        if result.__class__ is str:
            continue
        offers += 1
        if winner is not None:  # does this list beat the winner so far (which has a lower id)?
            if by_priority and priority != win_priority:
                if priority < win_priority:
                    continue
            elif result[0] > won[0] or (result[0] == won[0] and rank >= win_rank):
                continue
        winner, won, win_priority, win_rank = state, result, priority, rank  # type: ignore[assignment]
    retail = variant.price if variant.currency == currency else None
    base_price = None if retail is None else rnd(retail)
    candidates: Sequence[Candidate] = ()
    if explain:
        candidates = LazyCandidates(cart, variant, quantity) if cart.live else cart.blocked
    if winner is None:
        return unpriced_line(variant, quantity, currency, rnd, base_price, candidates)
    return _won(
        index, variant, quantity, currency, rnd, base_price, offers, winner, won, candidates, by_priority
    )


def _won(
    index: _Index,
    variant: VariantInfo,
    quantity: int,
    currency: str,
    rnd: Rounder,
    base_price: Decimal | None,
    offers: int,
    winner: ListState,
    won: tuple[Decimal, str, int | None, str],
    candidates: Sequence[Candidate],
    by_priority: bool,
) -> LinePrice:
    """The line as won by `winner` (of `offers` lists that price it), with its one-sentence explanation."""
    w = winner.info
    win_price, win_source, win_tier, win_how = won
    unit = rnd(win_price)
    if by_priority:
        why = f"the highest priority ({w.priority}) of {offers} lists that price it"
    elif offers > 1:
        why = f"the lowest of {offers} list prices"
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
        f"{w.name} ({winner.via_label}) sets {unit!s} {currency}, {win_how}: {why}.",
    )
