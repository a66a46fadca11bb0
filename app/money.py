"""Money: `Decimal` amounts with an ISO 4217 currency code, and the one rounding rule Tradeline uses.

Amounts are never floats. Every rounding in Tradeline goes through `round_money` (half-up to the
currency's minor unit), so a price, a quote total and a campaign report round the same way.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from operator import methodcaller

from app.errors import InvalidInput

# Minor units (digits after the decimal point) per ISO 4217 where they differ from the usual 2.
# Currencies not listed here have 2, which covers USD, EUR, GBP, CAD, AUD, CHF, CNY, INR, MXN, ...
MINOR_UNITS: dict[str, int] = {
    # zero-decimal currencies
    "BIF": 0,
    "CLP": 0,
    "DJF": 0,
    "GNF": 0,
    "ISK": 0,
    "JPY": 0,
    "KMF": 0,
    "KRW": 0,
    "PYG": 0,
    "RWF": 0,
    "UGX": 0,
    "UYI": 0,
    "VND": 0,
    "VUV": 0,
    "XAF": 0,
    "XOF": 0,
    "XPF": 0,
    # three-decimal currencies
    "BHD": 3,
    "IQD": 3,
    "JOD": 3,
    "KWD": 3,
    "LYD": 3,
    "OMR": 3,
    "TND": 3,
    # four-decimal units of account
    "CLF": 4,
    "UYW": 4,
}
DEFAULT_MINOR_UNITS = 2
# The largest minor unit above: stored amounts keep this many decimals (Numeric(18, 4)).
STORAGE_SCALE = 4

_CURRENCY_RE = re.compile(r"^[A-Z]{3}$")
_AMOUNT_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")


def normalize_currency(code: str | None) -> str:
    """`usd` → `USD`; anything that is not three letters is InvalidInput."""
    value = (code or "").strip().upper()
    if not _CURRENCY_RE.match(value):
        raise InvalidInput(f"{code!r} is not an ISO 4217 currency code")
    return value


def minor_units(currency: str) -> int:
    """Digits after the decimal point for the currency (JPY 0, USD 2, KWD 3)."""
    return MINOR_UNITS.get(currency.upper(), DEFAULT_MINOR_UNITS)


def round_money(amount: Decimal, currency: str) -> Decimal:
    """Round half-up to the currency's minor unit: the only rounding function in Tradeline."""
    return amount.quantize(_quantum(currency), ROUND_HALF_UP)


def money_rounder(currency: str) -> Callable[[Decimal], Decimal]:
    """`round_money` for one currency with its minor unit looked up once, for loops over many amounts."""
    # A C-level call of amount.quantize(quantum, ROUND_HALF_UP): no Python frame per amount, which
    # was a third of the cost of rounding each of a 1,000-line cart's ~3,000 amounts.
    return methodcaller("quantize", _quantum(currency), ROUND_HALF_UP)


@lru_cache(maxsize=256)  # ISO 4217 codes: a few hundred at most
def _quantum(currency: str) -> Decimal:
    """1 in the currency's last minor digit (Decimal('0.01') for USD): what amounts are quantized to."""
    return Decimal(1).scaleb(-minor_units(currency))


def parse_amount(value: object) -> Decimal:
    """A money amount from a Shopify string ("11.50"), an int or a Decimal; never from a float."""
    if isinstance(value, bool):
        raise InvalidInput(f"{value!r} is not a money amount")
    if isinstance(value, Decimal):
        amount = value
    elif isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, str) and _AMOUNT_RE.match(value.strip()):
        try:
            amount = Decimal(value.strip())
        except InvalidOperation as exc:  # pragma: no cover - the regex admits only valid literals
            raise InvalidInput(f"{value!r} is not a money amount") from exc
    else:
        # Floats are refused on purpose: 0.1 has no exact binary value, and Shopify sends strings.
        raise InvalidInput(f"{value!r} is not a money amount (expected a decimal string such as '11.50')")
    if not amount.is_finite():
        raise InvalidInput(f"{value!r} is not a money amount")
    return amount


def to_minor_units(amount: Decimal, currency: str) -> int:
    """The rounded amount as an integer count of minor units (cents), for APIs that want integers."""
    return int(round_money(amount, currency).scaleb(minor_units(currency)))


def from_minor_units(units: int, currency: str) -> Decimal:
    """An integer count of minor units back to a Decimal amount."""
    return Decimal(units).scaleb(-minor_units(currency))


@dataclass(frozen=True)
class Money:
    """An exact amount in one currency; arithmetic across currencies is an error."""

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "currency", normalize_currency(self.currency))
        object.__setattr__(self, "amount", parse_amount(self.amount))

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(Decimal(0), currency)

    @classmethod
    def parse(cls, amount: object, currency: str) -> Money:
        """Money from a Shopify amount string and a currency code."""
        return cls(parse_amount(amount), currency)

    def rounded(self) -> Money:
        """This amount rounded half-up to the currency's minor unit."""
        return Money(round_money(self.amount, self.currency), self.currency)

    def _same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise InvalidInput(f"cannot combine {self.currency} and {other.currency} amounts")

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount - other.amount, self.currency)

    def __mul__(self, factor: int | Decimal) -> Money:
        if isinstance(factor, bool) or not isinstance(factor, int | Decimal):
            raise TypeError("money is multiplied by an int or a Decimal only")
        return Money(self.amount * factor, self.currency)

    __rmul__ = __mul__

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __str__(self) -> str:
        return f"{self.rounded().amount} {self.currency}"
