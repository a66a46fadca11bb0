"""What a simulation reports: totals before/after, the change per account, and what could not be priced."""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from pricing.validation import PricingInputError

MIN_MONTHS = 1
MAX_MONTHS = 24
PERCENT_STEP = Decimal("0.01")


class UnpricedReason:
    """Why a past line cannot be priced today."""

    DELETED = "deleted_variant"  # the variant was deleted in Shopify
    UNKNOWN = "unknown_variant"  # the variant id is not in the catalog mirror (never synced, or purged)
    CUSTOM = "custom_item"  # a custom line item: no variant at all
    NO_PRICE = "no_price"  # the variant has no price in the shop's currency

    LABELS = {
        DELETED: "Variant deleted",
        UNKNOWN: "Variant not in the catalog",
        CUSTOM: "Custom item (no variant)",
        NO_PRICE: "No price in the store currency",
    }


@dataclass(frozen=True)
class LineChange:
    """One variant's share of an account's change: units and totals over the window."""

    variant_id: int
    sku: str | None
    title: str
    quantity: int
    before: Decimal
    after: Decimal

    @property
    def change(self) -> Decimal:
        return self.after - self.before


@dataclass(frozen=True)
class AccountChange:
    """A company (or, for orders without one, a customer, or guest checkouts) before/after the draft."""

    kind: str  # "company" | "customer" | "guest"
    account_id: int | None
    name: str
    orders: int
    paid: Decimal  # what its priced lines were paid back then
    before: Decimal  # today's prices
    after: Decimal  # today's prices with the draft
    change_pct: Decimal | None
    top_lines: tuple[LineChange, ...]  # the variants whose total rises most (rising accounts only)

    @property
    def change(self) -> Decimal:
        return self.after - self.before


@dataclass(frozen=True)
class UnpricedGroup:
    """Past lines that cannot be priced today, for one reason."""

    reason: str
    label: str
    lines: int
    quantity: int
    paid: Decimal


@dataclass(frozen=True)
class SimulationResult:
    """What the draft would have changed over the window, at today's prices."""

    draft_id: int
    draft_name: str
    replaces_id: int | None
    replaces_name: str | None
    currency: str
    months: int
    window_start: datetime
    window_end: datetime
    orders: int
    lines: int  # lines priced on both sides
    paid: Decimal  # what the priced lines were paid back then (after line discounts), for context
    before: Decimal
    after: Decimal
    change_pct: Decimal | None
    accounts: tuple[AccountChange, ...]  # by change, largest rise first
    unpriced: tuple[UnpricedGroup, ...] = field(default=())

    @property
    def change(self) -> Decimal:
        return self.after - self.before

    @property
    def unpriced_lines(self) -> int:
        return sum(group.lines for group in self.unpriced)

    @property
    def rises(self) -> tuple[AccountChange, ...]:
        """The accounts whose revenue rises, largest rise first."""
        return tuple(account for account in self.accounts if account.change > 0)

    @property
    def falls(self) -> tuple[AccountChange, ...]:
        """The accounts whose revenue falls, largest fall first."""
        return tuple(sorted((a for a in self.accounts if a.change < 0), key=lambda a: (a.change, a.name)))


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time `months` calendar months earlier (clamped to the month's last day)."""
    years, month_index = divmod(moment.month - 1 - months, 12)
    year, month = moment.year + years, month_index + 1
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))


def check_months(months: int) -> int:
    """The window in months, 1 to 24."""
    if not MIN_MONTHS <= months <= MAX_MONTHS:
        raise PricingInputError(
            f"Choose between {MIN_MONTHS} and {MAX_MONTHS} months, not {months}", field="months"
        )
    return months


def percent_change(before: Decimal, after: Decimal) -> Decimal | None:
    """(after - before) / before in percent points to 0.01, or None when nothing was priced before."""
    if not before:
        return None
    return ((after - before) * 100 / before).quantize(PERCENT_STEP, rounding=ROUND_HALF_UP)
