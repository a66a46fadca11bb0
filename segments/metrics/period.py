"""Periods of the business metrics: calendar days and months of the shop's timezone, as UTC bounds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from app.errors import InvalidInput

MAX_MONTHS = 120  # ten years: bounds the month table every monthly metric joins against
PRESETS = ("last_month", "last_3_months", "last_12_months", "month_to_date", "year_to_date")


@dataclass(frozen=True)
class Month:
    """One calendar month of the shop's timezone: [start_at, end_at) in UTC."""

    first_day: date
    start_at: datetime
    end_at: datetime


@dataclass(frozen=True)
class Period:
    """The days start..end (inclusive) of the shop's timezone, and the months they touch."""

    start: date
    end: date
    timezone: str
    start_at: datetime  # start 00:00 local, in UTC
    end_at: datetime  # the day after end, 00:00 local, in UTC (exclusive)
    months: tuple[Month, ...]  # every calendar month overlapping the period, oldest first

    @property
    def full_months(self) -> tuple[Month, ...]:
        """The months lying entirely inside the period."""
        return tuple(m for m in self.months if m.start_at >= self.start_at and m.end_at <= self.end_at)


def _zone(timezone: str) -> ZoneInfo:
    try:
        return ZoneInfo(timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        # A shop with a zone name Python does not know is better read in UTC than refused.
        return ZoneInfo("UTC")


def local_midnight(day: date, timezone: str) -> datetime:
    """00:00 of `day` in the zone, as an aware UTC datetime."""
    return datetime.combine(day, time(0), tzinfo=_zone(timezone)).astimezone(UTC)


def add_months(day: date, months: int) -> date:
    """The first day of the month `months` after the month of `day`."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_of(first_day: date, timezone: str) -> Month:
    """The month starting on `first_day` (a first of the month)."""
    return Month(
        first_day, local_midnight(first_day, timezone), local_midnight(add_months(first_day, 1), timezone)
    )


def make_period(start: date, end: date, timezone: str) -> Period:
    """The period start..end (inclusive) in the zone; InvalidInput when end < start or it is too long."""
    if end < start:
        raise InvalidInput(f"The period ends ({end.isoformat()}) before it starts ({start.isoformat()})")
    first = start.replace(day=1)
    count = (end.year - first.year) * 12 + end.month - first.month + 1
    if count > MAX_MONTHS:
        raise InvalidInput(f"A period covers at most {MAX_MONTHS} months; this one touches {count}")
    months = tuple(month_of(add_months(first, i), timezone) for i in range(count))
    return Period(
        start=start,
        end=end,
        timezone=timezone,
        start_at=local_midnight(start, timezone),
        end_at=local_midnight(end + timedelta(days=1), timezone),
        months=months,
    )


def preset_period(name: str, *, timezone: str, now: datetime) -> Period:
    """A named period relative to the shop's today (`PRESETS`); InvalidInput for another name."""
    today = now.astimezone(_zone(timezone)).date()
    this_month = today.replace(day=1)
    if name == "month_to_date":
        return make_period(this_month, today, timezone)
    if name == "year_to_date":
        return make_period(today.replace(month=1, day=1), today, timezone)
    spans = {"last_month": 1, "last_3_months": 3, "last_12_months": 12}
    if name not in spans:
        raise InvalidInput(f"period must be one of {', '.join(PRESETS)}; got {name!r}")
    return make_period(add_months(this_month, -spans[name]), this_month - timedelta(days=1), timezone)
