"""pricing.validation: every bad pricing input is refused with a sentence and the field it concerns."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.errors import InvalidInput
from pricing.models import TierKind
from pricing.validation import (
    PricingInputError,
    TierInput,
    check_currency_matches,
    check_quantity_rule,
    check_tiers,
    parse_currency,
    parse_percent,
    parse_price,
    parse_quantity,
)

D = Decimal
WORSE = (
    "The tier at 50 units is worse for the buyer than the tier at 10: "
    "buying more must never cost more per unit"
)


# ---- prices ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "currency", "expected"),
    [
        ("12.50", "USD", D("12.50")),
        (" 12.5 ", "USD", D("12.5")),
        (12, "USD", D("12")),
        (D("0.01"), "USD", D("0.01")),
        ("0", "USD", D("0")),
        ("1500", "JPY", D("1500")),
        ("1.234", "KWD", D("1.234")),
        ("12.500", "USD", D("12.500")),  # trailing zeros are not extra precision
        ("99999999999999", "USD", D("99999999999999")),
    ],
)
def test_parse_price_accepts_decimal_prices(value: object, currency: str, expected: Decimal) -> None:
    assert parse_price(value, currency) == expected


@pytest.mark.parametrize(
    ("value", "currency", "message"),
    [
        ("-1.00", "USD", "The price -1.00 is negative"),
        ("abc", "USD", "The price 'abc' is not a number"),
        ("", "USD", "The price is missing"),
        ("   ", "USD", "The price is missing"),
        ("NaN", "USD", "The price 'NaN' is not a number"),
        ("Infinity", "USD", "The price 'Infinity' is not a number"),
        (None, "USD", "The price None is not a number"),
        ([1], "USD", "The price [1] is not a number"),
        (12.5, "USD", "The price must be a decimal number such as 12.50, not 12.5"),
        (True, "USD", "The price must be a decimal number such as 12.50, not True"),
        ("12.505", "USD", "The price 12.505 has more decimals than USD allows (2)"),
        ("10.5", "JPY", "The price 10.5 has more decimals than JPY allows (0)"),
        ("100000000000000", "USD", "The price 100000000000000 is too large"),
    ],
)
def test_parse_price_refuses_bad_prices(value: object, currency: str, message: str) -> None:
    with pytest.raises(PricingInputError) as raised:
        parse_price(value, currency)
    assert raised.value.detail == message
    assert raised.value.field == "price"
    assert isinstance(raised.value, InvalidInput)


def test_parse_price_refuses_zero_where_not_allowed_and_names_the_field() -> None:
    with pytest.raises(PricingInputError, match="must be greater than zero") as raised:
        parse_price("0.00", "USD", allow_zero=False, field="value")
    assert raised.value.field == "value"


# ---- percentages -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "signed", "expected"),
    [
        ("15", False, D("15")),
        ("100", False, D("100")),
        ("12.3456", False, D("12.3456")),
        ("-15", True, D("-15")),
    ],
)
def test_parse_percent_accepts(value: str, signed: bool, expected: Decimal) -> None:
    assert parse_percent(value, signed=signed) == expected


@pytest.mark.parametrize(
    ("value", "signed", "message"),
    [
        ("0", False, "The percentage off must be above 0 and at most 100, not 0"),
        ("-5", False, "The percentage off must be above 0 and at most 100, not -5"),
        ("100.01", False, "The percentage off must be above 0 and at most 100, not 100.01"),
        ("0", True, "An adjustment of 0 % changes nothing"),
        ("-100.5", True, "A decrease of 100.5 % would make prices negative"),
        ("1000.5", True, "An increase of 1000.5 % is more than 1000 %"),
        ("12.34567", True, "The percentage 12.34567 has more than 4 decimals"),
        ("ten", True, "The percentage 'ten' is not a number"),
    ],
)
def test_parse_percent_refuses(value: str, signed: bool, message: str) -> None:
    with pytest.raises(PricingInputError) as raised:
        parse_percent(value, signed=signed)
    assert str(raised.value) == message
    assert raised.value.field == "percent"


# ---- quantities ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"), [("12", 12), (" 7 ", 7), (3, 3), (D("4"), 4), (1_000_000, 1_000_000)]
)
def test_parse_quantity_accepts_whole_numbers(value: object, expected: int) -> None:
    assert parse_quantity(value, "The minimum") == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0", "The minimum must be at least 1, not 0"),
        (-2, "The minimum must be at least 1, not -2"),
        ("1.5", "The minimum '1.5' is not a whole number"),
        (D("2.5"), "The minimum 2.5 is not a whole number"),
        (2.0, "The minimum must be a whole number, not 2.0"),
        (True, "The minimum must be a whole number, not True"),
        ("many", "The minimum 'many' is not a whole number"),
        (None, "The minimum None is not a whole number"),
        (1_000_001, "The minimum 1000001 is more than 1,000,000"),
    ],
)
def test_parse_quantity_refuses(value: object, message: str) -> None:
    with pytest.raises(PricingInputError) as raised:
        parse_quantity(value, "The minimum", field="minimum")
    assert str(raised.value) == message
    assert raised.value.field == "minimum"


def test_parse_quantity_allows_zero_when_the_minimum_says_so() -> None:
    assert parse_quantity("0", "The maximum", minimum=0) == 0


# ---- currencies ------------------------------------------------------------------------------------


def test_parse_currency_upper_cases_and_refuses_non_codes() -> None:
    assert parse_currency(" eur ") == "EUR"
    for bad in ("EURO", "", None, 978):
        with pytest.raises(PricingInputError) as raised:
            parse_currency(bad)
        assert raised.value.field == "currency"


def test_a_value_in_another_currency_than_its_list_is_refused() -> None:
    check_currency_matches("USD", "usd")
    with pytest.raises(PricingInputError) as raised:
        check_currency_matches("USD", "eur")
    assert str(raised.value) == "the price is in EUR but the list is in USD"
    assert raised.value.field == "currency"


# ---- tiers -----------------------------------------------------------------------------------------


def tier(min_quantity: int, value: str, kind: TierKind = TierKind.FIXED) -> TierInput:
    return TierInput(min_quantity, kind, D(value))


def test_ascending_tiers_with_falling_prices_are_accepted() -> None:
    check_tiers(
        [
            tier(10, "9.00"),
            tier(50, "8.00"),
            tier(100, "10", TierKind.PERCENT_OFF),
            tier(500, "15", TierKind.PERCENT_OFF),
        ],
        currency="USD",
        base_price=D("10.00"),
    )
    check_tiers([], currency="USD")


@pytest.mark.parametrize(
    ("tiers", "message", "field"),
    [
        (
            [tier(1, "9.00")],
            "A tier starts at 2 units or more (1 unit is the list price), not 1",
            "min_quantity",
        ),
        ([tier(10, "9.00"), tier(10, "8.00")], "Two tiers start at 10 units", "min_quantity"),
        (
            [tier(50, "8.00"), tier(10, "9.00")],
            "Tier minimums must ascend: 10 comes after 50",
            "min_quantity",
        ),
        (
            [tier(10, "8.00"), tier(50, "9.00")],
            WORSE,
            "value",
        ),
        (
            [tier(10, "20", TierKind.PERCENT_OFF), tier(50, "10", TierKind.PERCENT_OFF)],
            WORSE,
            "value",
        ),
        ([tier(10, "-1.00")], "The price -1.00 is negative", "value"),
        ([tier(10, "8.005")], "The price 8.005 has more decimals than USD allows (2)", "value"),
        (
            [tier(10, "0", TierKind.PERCENT_OFF)],
            "The percentage off must be above 0 and at most 100, not 0",
            "value",
        ),
        ([tier(10, "11.00")], "The tier price 11.00 at 10 units is above the list price 10.00", "value"),
    ],
)
def test_bad_tiers_are_refused(tiers: list[TierInput], message: str, field: str) -> None:
    with pytest.raises(PricingInputError) as raised:
        check_tiers(tiers, currency="USD", base_price=D("10.00"))
    assert str(raised.value) == message
    assert raised.value.field == field


# ---- quantity rules --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("minimum", "maximum", "increment"), [(1, None, 1), (6, 60, 6), (12, 12, 6), (4, None, 2)]
)
def test_reachable_quantity_rules_are_accepted(minimum: int, maximum: int | None, increment: int) -> None:
    check_quantity_rule(minimum, maximum, increment)


@pytest.mark.parametrize(
    ("minimum", "maximum", "increment", "message", "field"),
    [
        (
            5,
            None,
            6,
            "With an increment of 6 the minimum of 5 can never be ordered (quantities go 6, 12, ...): "
            "make the minimum a multiple of 6",
            "increment",
        ),
        (12, 6, 6, "The maximum 6 is below the minimum 12", "maximum"),
        (6, 20, 6, "The maximum 20 is not a multiple of the increment 6", "maximum"),
    ],
)
def test_unreachable_quantity_rules_are_refused(
    minimum: int, maximum: int | None, increment: int, message: str, field: str
) -> None:
    with pytest.raises(PricingInputError) as raised:
        check_quantity_rule(minimum, maximum, increment)
    assert str(raised.value) == message
    assert raised.value.field == field
