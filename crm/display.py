"""How CRM pages show values: money, days, addresses, and the monthly spend chart (inline SVG)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from markupsafe import Markup

from app.money import minor_units, round_money
from crm.queries import MonthSpend

# Symbols for the currencies merchants use most; any other amount is shown with its ISO code.
CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CAD": "CA$", "AUD": "A$", "NZD": "NZ$"}


def format_money(amount: Decimal | int | None, currency: str) -> str:
    """`€1,234.50`: rounded half-up to the currency's minor unit by app.money, grouped by thousands."""
    if amount is None:
        return "—"
    rounded = round_money(Decimal(amount), currency)
    digits = f"{abs(rounded):,.{minor_units(currency)}f}"
    sign = "-" if rounded < 0 else ""
    symbol = CURRENCY_SYMBOLS.get(currency.upper())
    return f"{sign}{symbol}{digits}" if symbol else f"{sign}{digits} {currency.upper()}"


def format_day(value: date | None) -> str:
    """`Jun 3, 2026`."""
    return "" if value is None else f"{value:%b} {value.day}, {value.year}"


def address_lines(address: dict[str, Any] | None) -> list[str]:
    """A Shopify address (customer or company shape) as the lines of a postal address."""
    if not address:
        return []
    get = address.get
    region = get("province") or get("province_code") or get("zone_code")
    lines = [
        get("company") or get("recipient"),
        get("address1"),
        get("address2"),
        " ".join(part for part in (get("zip"), get("city")) if part),
        ", ".join(part for part in (region, get("country") or get("country_code")) if part),
    ]
    return [str(line) for line in lines if line]


# -- the spend chart ------------------------------------------------------------------------------

CHART_WIDTH = 720
CHART_HEIGHT = 200
CHART_LEFT = 56  # room for the y-axis labels
CHART_BOTTOM = 24  # room for the month labels
CHART_TOP = 8
BAR_FILL = 0.68  # share of each month's slot the bar covers


def _nice_ceiling(value: Decimal) -> Decimal:
    """The smallest 1, 2, 2.5 or 5 times 10^n at or above `value` (a round top for the y axis)."""
    if value <= 0:
        return Decimal(1)
    exponent = value.adjusted()
    for step in (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5), Decimal(10)):
        top = step.scaleb(exponent)
        if top >= value:
            return top
    return Decimal(10).scaleb(exponent)  # pragma: no cover - the loop always returns


def _short_money(amount: Decimal, currency: str) -> str:
    """`€12.5k` for axis labels."""
    symbol = CURRENCY_SYMBOLS.get(currency.upper(), "")
    suffix = "" if symbol else f" {currency.upper()}"
    for limit, unit in ((Decimal(1_000_000), "M"), (Decimal(1_000), "k")):
        if abs(amount) >= limit:
            scaled = (amount / limit).normalize()
            text = f"{scaled:.2f}".rstrip("0").rstrip(".")
            return f"{symbol}{text}{unit}{suffix}"
    return f"{symbol}{amount.normalize():f}{suffix}"


def spend_chart(monthly: list[MonthSpend], currency: str) -> Markup:
    """An inline SVG bar chart of monthly spend (server-drawn: no script, no network)."""
    if not monthly:
        return Markup("")
    top = _nice_ceiling(max(m.amount for m in monthly))
    plot_w = CHART_WIDTH - CHART_LEFT
    plot_h = CHART_HEIGHT - CHART_BOTTOM - CHART_TOP
    slot = plot_w / len(monthly)
    parts = [
        f'<svg class="tl-chart" viewBox="0 0 {CHART_WIDTH} {CHART_HEIGHT}" role="img" '
        f'aria-labelledby="spend-chart-title" preserveAspectRatio="xMidYMid meet">',
    ]
    first, last = monthly[0].month, monthly[-1].month
    total = sum((m.amount for m in monthly), Decimal(0))
    title = (
        f"Spend per month, {first:%b %Y} to {last:%b %Y}: {format_money(total, currency)} in "
        f"{sum(m.orders for m in monthly)} orders"
    )
    parts.append(f'<title id="spend-chart-title">{Markup.escape(title)}</title>')
    for fraction in (Decimal(0), Decimal("0.5"), Decimal(1)):
        y = CHART_TOP + plot_h - float(fraction) * plot_h
        label = _short_money(top * fraction, currency)
        parts.append(
            f'<line class="tl-chart__grid" x1="{CHART_LEFT}" x2="{CHART_WIDTH}" y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text class="tl-chart__axis" x="{CHART_LEFT - 8}" y="{y + 4:.1f}" text-anchor="end">'
            f"{Markup.escape(label)}</text>"
        )
    for index, month in enumerate(monthly):
        x = CHART_LEFT + index * slot + slot * (1 - BAR_FILL) / 2
        height = float(month.amount / top) * plot_h if month.amount > 0 else 0.0
        y = CHART_TOP + plot_h - height
        tip = f"{month.month:%b %Y}: {format_money(month.amount, currency)} ({month.orders} orders)"
        parts.append(
            f'<rect class="tl-chart__bar" x="{x:.1f}" y="{y:.1f}" width="{slot * BAR_FILL:.1f}" '
            f'height="{height:.1f}" rx="2"><title>{Markup.escape(tip)}</title></rect>'
        )
        if month.month.month in (1, 4, 7, 10):
            label = f"{month.month:%b}" + (
                f" {month.month:%Y}" if month.month.month == 1 or index < 3 else ""
            )
            parts.append(
                f'<text class="tl-chart__axis" x="{CHART_LEFT + index * slot + slot / 2:.1f}" '
                f'y="{CHART_HEIGHT - 6}" text-anchor="middle">{Markup.escape(label)}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))
