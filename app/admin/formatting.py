"""Display formatting for admin pages: datetimes in the shop's time zone, counts."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def shop_zone(tz_name: str | None) -> tzinfo:
    """The shop's IANA zone; UTC when unset or unknown to this machine's zone database."""
    if not tz_name:
        return UTC
    try:
        return ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        # A zone Shopify knows but this machine's tz database lacks must not break the page.
        return UTC


def format_datetime(value: datetime | None, tz_name: str | None, *, with_time: bool = True) -> str:
    """`Nov 3, 2026, 9:05 AM EST` (or `Nov 3, 2026`) in the shop's zone; empty for None."""
    if value is None:
        return ""
    if value.tzinfo is None:
        raise ValueError("naive datetime given; Tradeline displays timezone-aware datetimes only")
    local = value.astimezone(shop_zone(tz_name))
    date = f"{local:%b} {local.day}, {local.year}"
    if not with_time:
        return date
    hour = local.hour % 12 or 12
    return f"{date}, {hour}:{local:%M} {'AM' if local.hour < 12 else 'PM'} {local.tzname()}"


def format_count(value: int) -> str:
    """`12,345`."""
    return f"{value:,}"
