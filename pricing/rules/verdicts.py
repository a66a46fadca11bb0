"""What a priced line or cart breaks or lacks: quantity rules, order minimums, no price at all."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal

from pricing.rules.types import Candidate, LinePrice, ListInfo, RuleInfo, VariantInfo, Violation, _Index

Rounder = Callable[[Decimal], Decimal]


def unpriced_line(
    variant: VariantInfo,
    quantity: int,
    currency: str,
    rnd: Rounder,
    base_price: Decimal | None,
    candidates: Sequence[Candidate],
) -> LinePrice:
    """No list prices the line: the retail price, or no price at all when retail is not in this currency."""
    if base_price is not None:
        return LinePrice(
            variant_id=variant.id,
            quantity=quantity,
            currency=currency,
            unit_price=base_price,
            line_total=rnd(base_price * quantity),
            base_price=base_price,
            price_list_id=None,
            tier_min_quantity=None,
            source="retail",
            violations=(),
            candidates=candidates,
            explanation=(
                f"No price list prices this item for this buyer: the retail price {base_price} {currency}."
            ),
        )
    if variant.currency != currency:
        why = f"the retail price is in {variant.currency} and no price list gives a {currency} price"
    else:
        why = "the item has no retail price and no price list prices it"
    message = f"No price in {currency}: {why}."
    return LinePrice(
        variant_id=variant.id,
        quantity=quantity,
        currency=currency,
        unit_price=None,
        line_total=None,
        base_price=None,
        price_list_id=None,
        tier_min_quantity=None,
        source="none",
        violations=(Violation("no_price", message, None),),
        candidates=candidates,
        explanation=message,
    )


def rule_violations(index: _Index, info: ListInfo, variant_id: int, quantity: int) -> tuple[Violation, ...]:
    rule: RuleInfo | None = index.rules.get((info.id, variant_id)) or index.rules.get((info.id, None))
    if rule is None:
        return ()
    maximum, increment = rule.maximum, rule.increment
    if (
        quantity >= rule.minimum
        and (maximum is None or quantity <= maximum)
        and (increment <= 1 or not quantity % increment)
    ):
        return ()  # the usual case (the checks below, all passed): nothing to build
    found: list[Violation] = []
    if quantity < rule.minimum:
        found.append(
            Violation(
                "below_minimum",
                f"{info.name} sells this item from {rule.minimum} units; {quantity} ordered",
                info.id,
            )
        )
    if rule.maximum is not None and quantity > rule.maximum:
        found.append(
            Violation(
                "above_maximum",
                f"{info.name} sells at most {rule.maximum} units; {quantity} ordered",
                info.id,
            )
        )
    if rule.increment > 1 and quantity % rule.increment:
        found.append(
            Violation(
                "not_increment",
                f"{info.name} sells this item in multiples of {rule.increment}; {quantity} is not one",
                info.id,
            )
        )
    return tuple(found)


def order_minimums(
    index: _Index, priced: list[LinePrice], currency: str, rnd: Rounder
) -> tuple[Violation, ...]:
    totals: dict[int, Decimal] = {}
    for line in priced:
        if line.price_list_id is not None and line.line_total is not None:
            totals[line.price_list_id] = totals.get(line.price_list_id, Decimal(0)) + line.line_total
    found: list[Violation] = []
    for list_id in sorted(totals):
        info = index.lists[list_id]
        if info.order_minimum is not None and totals[list_id] < info.order_minimum:
            minimum = rnd(info.order_minimum)
            found.append(
                Violation(
                    "below_order_minimum",
                    f"The items priced by {info.name} come to {totals[list_id]} {currency}; "
                    f"its order minimum is {minimum} {currency}",
                    list_id,
                )
            )
    return tuple(found)
