"""Money: exact Decimals, one half-up rounding rule, minor units per ISO 4217."""

from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.errors import InvalidInput
from app.money import (
    MINOR_UNITS,
    Money,
    from_minor_units,
    minor_units,
    money_rounder,
    normalize_currency,
    parse_amount,
    round_money,
    to_minor_units,
)


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("2.345", "USD", "2.35"),  # half-up, where banker's rounding would give 2.34
        ("2.335", "USD", "2.34"),
        ("2.344", "USD", "2.34"),
        ("-2.345", "USD", "-2.35"),  # half away from zero for refunds too
        ("0.005", "EUR", "0.01"),
        ("1234.5", "JPY", "1235"),  # JPY has no minor unit
        ("1234.4", "JPY", "1234"),
        ("1.2345", "KWD", "1.235"),  # three decimals
        ("10", "USD", "10.00"),
        ("0.00005", "CLF", "0.0001"),  # four decimals
    ],
)
def test_round_money_rounds_half_up_to_the_currency_minor_unit(
    amount: str, currency: str, expected: str
) -> None:
    result = round_money(Decimal(amount), currency)
    assert result == Decimal(expected)
    assert str(result) == expected  # the exponent is the minor unit, not just an equal value


def test_minor_units_follow_iso_4217_with_two_as_the_default() -> None:
    assert (minor_units("USD"), minor_units("JPY"), minor_units("BHD"), minor_units("XYZ")) == (2, 0, 3, 2)
    assert minor_units("jpy") == 0


def test_parse_amount_keeps_shopify_strings_exact() -> None:
    assert parse_amount("298.77") == Decimal("298.77")
    assert parse_amount(" 11.50 ") == Decimal("11.50")
    assert parse_amount(12) == Decimal(12)
    assert parse_amount(Decimal("0.1")) + parse_amount("0.2") == Decimal("0.3")


@pytest.mark.parametrize("bad", [0.1, True, None, "", "abc", "1e5", "NaN", "Infinity", "1,5", [1]])
def test_parse_amount_refuses_floats_and_non_numbers(bad: object) -> None:
    with pytest.raises(InvalidInput):
        parse_amount(bad)


def test_minor_unit_conversion_round_trips() -> None:
    assert to_minor_units(Decimal("11.505"), "USD") == 1151
    assert to_minor_units(Decimal("1500"), "JPY") == 1500
    assert from_minor_units(1151, "USD") == Decimal("11.51")
    assert str(from_minor_units(1151, "USD")) == "11.51"
    assert from_minor_units(1500, "JPY") == Decimal(1500)


def test_money_arithmetic_is_exact_and_single_currency() -> None:
    price = Money.parse("11.50", "usd")
    total = price * 24 + Money.parse("0.10", "USD")
    assert total == Money(Decimal("276.10"), "USD")
    assert (Money.parse("10", "USD") - Money.parse("0.01", "USD")).amount == Decimal("9.99")
    assert Money.parse("1.005", "USD").rounded() == Money(Decimal("1.01"), "USD")
    assert str(Money.parse("1234.5", "JPY")) == "1235 JPY"
    with pytest.raises(InvalidInput):
        price + Money.parse("1", "EUR")
    with pytest.raises(TypeError):
        price * 1.5  # type: ignore[operator]


def test_normalize_currency_refuses_non_codes() -> None:
    assert normalize_currency(" usd ") == "USD"
    for bad in ("", "US", "USDX", "12A", None):
        with pytest.raises(InvalidInput):
            normalize_currency(bad)


@settings(max_examples=400, deadline=None)
@given(
    amount=st.decimals(allow_nan=False, allow_infinity=False, min_value=-(10**15), max_value=10**15, places=6)
    | st.decimals(allow_nan=False, allow_infinity=False),
    currency=st.sampled_from(["USD", "usd", "EUR", *MINOR_UNITS]),
)
def test_money_rounder_and_round_money_give_exactly_the_half_up_quantize_of_the_minor_unit(
    amount: Decimal, currency: str
) -> None:
    # given: the rule written out: half-up to 10 ** -minor_units (too many digits: InvalidOperation)
    quantum = Decimal(1).scaleb(-minor_units(currency))
    expected = _outcome(lambda: amount.quantize(quantum, rounding=ROUND_HALF_UP))
    # when
    by_rounder = _outcome(lambda: money_rounder(currency)(amount))
    by_function = _outcome(lambda: round_money(amount, currency))
    # then: the same value, sign and exponent (as_tuple), not merely an equal number; or the same error
    assert by_rounder == expected
    assert by_function == expected


def _outcome(compute: Callable[[], Decimal]) -> object:
    try:
        return compute().as_tuple()
    except InvalidOperation as error:
        return type(error)
