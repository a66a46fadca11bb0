"""Checks every pricing input passes, whichever surface it came from (admin form, CSV row, REST body).

Pure functions over plain values: each returns the clean value or raises `PricingInputError` with a
sentence a merchant can act on. The CSV importer adds the line number; views add the field.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from app.errors import InvalidInput
from app.money import minor_units, normalize_currency
from pricing.models import TierKind

MAX_PRICE = Decimal("99999999999999")  # 14 integer digits: Numeric(18, 4)
MAX_PERCENT = Decimal(100)
PERCENT_SCALE = 4  # Numeric(7, 4)
MAX_QUANTITY = 1_000_000


class PricingInputError(InvalidInput):
    """A pricing value that cannot be accepted; `field` names what was wrong when known."""

    def __init__(self, detail: str, *, field: str | None = None) -> None:
        super().__init__(detail)
        self.field = field


def _decimal(value: object, what: str, field: str | None) -> Decimal:
    if isinstance(value, bool | float):
        # Floats are refused: 0.1 has no exact binary value.
        raise PricingInputError(f"{what} must be a decimal number such as 12.50, not {value!r}", field=field)
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            raise PricingInputError(f"{what} is missing", field=field)
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise PricingInputError(f"{what} {value!r} is not a number", field=field) from None
    else:
        raise PricingInputError(f"{what} {value!r} is not a number", field=field)
    if not number.is_finite():
        raise PricingInputError(f"{what} {value!r} is not a number", field=field)
    return number


def _decimals(number: Decimal) -> int:
    exponent = number.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def parse_price(
    value: object, currency: str, *, allow_zero: bool = True, field: str | None = "price"
) -> Decimal:
    """A unit price in `currency`: non-negative, at most the currency's minor unit of decimals."""
    price = _decimal(value, "The price", field)
    if price < 0:
        raise PricingInputError(f"The price {price} is negative", field=field)
    if price == 0 and not allow_zero:
        raise PricingInputError("The price must be greater than zero", field=field)
    places = minor_units(currency)
    if _decimals(price) > places:
        raise PricingInputError(
            f"The price {value} has more decimals than {currency} allows ({places})", field=field
        )
    if price > MAX_PRICE:
        raise PricingInputError(f"The price {price} is too large", field=field)
    return price


def parse_percent(value: object, *, signed: bool, field: str | None = "percent") -> Decimal:
    """Percent points: 0 < p <= 100 for a discount; -100 <= p <= 1000, p != 0 for a signed adjustment."""
    percent = _decimal(value, "The percentage", field)
    if _decimals(percent) > PERCENT_SCALE:
        raise PricingInputError(f"The percentage {value} has more than {PERCENT_SCALE} decimals", field=field)
    if signed:
        if percent == 0:
            raise PricingInputError("An adjustment of 0 % changes nothing", field=field)
        if percent < -MAX_PERCENT:
            raise PricingInputError(f"A decrease of {-percent} % would make prices negative", field=field)
        if percent > 10 * MAX_PERCENT:
            raise PricingInputError(f"An increase of {percent} % is more than 1000 %", field=field)
    elif not 0 < percent <= MAX_PERCENT:
        raise PricingInputError(
            f"The percentage off must be above 0 and at most 100, not {percent}", field=field
        )
    return percent


def parse_quantity(value: object, what: str, *, field: str | None = None, minimum: int = 1) -> int:
    """A whole number of units, at least `minimum`."""
    if isinstance(value, bool | float):
        raise PricingInputError(f"{what} must be a whole number, not {value!r}", field=field)
    if isinstance(value, str):
        text = value.strip()
        if not text.lstrip("-").isdigit():
            raise PricingInputError(f"{what} {value!r} is not a whole number", field=field)
        value = int(text)
    if isinstance(value, Decimal):
        if value != value.to_integral_value():
            raise PricingInputError(f"{what} {value} is not a whole number", field=field)
        value = int(value)
    if not isinstance(value, int):
        raise PricingInputError(f"{what} {value!r} is not a whole number", field=field)
    if value < minimum:
        raise PricingInputError(f"{what} must be at least {minimum}, not {value}", field=field)
    if value > MAX_QUANTITY:
        raise PricingInputError(f"{what} {value} is more than {MAX_QUANTITY:,}", field=field)
    return value


def parse_currency(value: object) -> str:
    """An ISO 4217 code, upper-cased."""
    try:
        return normalize_currency(value if isinstance(value, str) else None)
    except InvalidInput:
        raise PricingInputError(f"{value!r} is not a currency code such as USD", field="currency") from None


@dataclass(frozen=True)
class TierInput:
    """One volume tier as entered: from `min_quantity` units, `kind` with `value`."""

    min_quantity: int
    kind: TierKind
    value: Decimal


def check_tiers(tiers: Sequence[TierInput], *, currency: str, base_price: Decimal | None = None) -> None:
    """Tiers of one variant (or list-wide) in one list: minimums above 1, unique and ascending, and
    prices that never rise with quantity (fixed prices fall, percentages off grow). A fixed tier above
    `base_price` (the list's price before tiers, when known) is refused for the same reason.
    """
    previous: TierInput | None = None
    for tier in tiers:
        if tier.min_quantity < 2:
            raise PricingInputError(
                f"A tier starts at 2 units or more (1 unit is the list price), not {tier.min_quantity}",
                field="min_quantity",
            )
        if tier.kind is TierKind.FIXED:
            parse_price(tier.value, currency, field="value")
        else:
            parse_percent(tier.value, signed=False, field="value")
        if previous is not None:
            if tier.min_quantity == previous.min_quantity:
                raise PricingInputError(f"Two tiers start at {tier.min_quantity} units", field="min_quantity")
            if tier.min_quantity < previous.min_quantity:
                raise PricingInputError(
                    f"Tier minimums must ascend: {tier.min_quantity} comes after {previous.min_quantity}",
                    field="min_quantity",
                )
            if tier.kind is previous.kind:
                rises = (
                    tier.value > previous.value
                    if tier.kind is TierKind.FIXED
                    else tier.value < previous.value
                )
                if rises:
                    raise PricingInputError(
                        f"The tier at {tier.min_quantity} units is worse for the buyer than the tier at "
                        f"{previous.min_quantity}: buying more must never cost more per unit",
                        field="value",
                    )
        if base_price is not None and tier.kind is TierKind.FIXED and tier.value > base_price:
            raise PricingInputError(
                f"The tier price {tier.value} at {tier.min_quantity} units is above the list price "
                f"{base_price}",
                field="value",
            )
        previous = tier


def check_quantity_rule(minimum: int, maximum: int | None, increment: int) -> None:
    """Shopify's rule: the minimum and the maximum are multiples of the increment, maximum >= minimum."""
    if minimum % increment:
        raise PricingInputError(
            f"With an increment of {increment} the minimum of {minimum} can never be ordered "
            f"(quantities go {increment}, {2 * increment}, ...): make the minimum a multiple of {increment}",
            field="increment",
        )
    if maximum is not None:
        if maximum < minimum:
            raise PricingInputError(f"The maximum {maximum} is below the minimum {minimum}", field="maximum")
        if maximum % increment:
            raise PricingInputError(
                f"The maximum {maximum} is not a multiple of the increment {increment}", field="maximum"
            )


def check_currency_matches(list_currency: str, given: str, *, what: str = "the price") -> None:
    """A value in another currency than its list's is refused, never converted."""
    if given.upper() != list_currency.upper():
        raise PricingInputError(
            f"{what} is in {given.upper()} but the list is in {list_currency.upper()}", field="currency"
        )


__all__ = [
    "PricingInputError",
    "TierInput",
    "check_currency_matches",
    "check_quantity_rule",
    "check_tiers",
    "parse_currency",
    "parse_percent",
    "parse_price",
    "parse_quantity",
]
