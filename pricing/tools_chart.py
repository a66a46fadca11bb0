"""The simulator's chart: revenue change per account as horizontal bars around zero (inline SVG).

Server-drawn so the page needs no script and no network; every bar carries a <title> tooltip and
the chart a text alternative.
"""

from __future__ import annotations

from decimal import Decimal

from markupsafe import Markup, escape

from crm.display import format_money
from pricing.service.simulate import AccountChange, SimulationResult

TOP = 20  # accounts shown on each side: the largest rises and the largest falls
WIDTH = 960  # about the card's width at 1280 px, so 12 px text stays 12 px
LABEL_W = 230  # room for account names left of the bars
VALUE_W = 100  # room for the amount printed beside each bar
ROW_H = 24
BAR_H = 14
PAD_TOP = 8
NAME_CHARS = 30


def chart_accounts(result: SimulationResult) -> list[AccountChange]:
    """The accounts the chart shows: up to TOP rises (largest first), then up to TOP falls (largest last)."""
    rises = list(result.rises[:TOP])
    falls = list(result.falls[:TOP])
    return rises + falls[::-1]


def _short(name: str) -> str:
    return name if len(name) <= NAME_CHARS else name[: NAME_CHARS - 1] + "…"


def change_chart(result: SimulationResult) -> Markup:
    """Bars of after - before per account; rises right of the zero line, falls left of it."""
    shown = chart_accounts(result)
    if not shown:
        return Markup("")
    currency = result.currency
    largest = max(abs(account.change) for account in shown) or Decimal(1)
    has_falls = any(account.change < 0 for account in shown)
    has_rises = any(account.change > 0 for account in shown)
    plot_left = LABEL_W + (VALUE_W if has_falls else 0)
    plot_right = WIDTH - (VALUE_W if has_rises else 8)
    span = plot_right - plot_left
    if has_falls and has_rises:
        zero = plot_left + span / 2
        half = span / 2
    elif has_falls:
        zero, half = float(plot_right), float(span)
    else:
        zero, half = float(plot_left), float(span)
    height = PAD_TOP * 2 + ROW_H * len(shown)
    title = (
        f"Revenue change by account: {len(result.rises)} rise, {len(result.falls)} fall; "
        f"showing the largest {len(shown)}"
    )
    parts = [
        f'<svg class="tl-chart tl-change-chart" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-labelledby="change-chart-title" preserveAspectRatio="xMinYMin meet">',
        f'<title id="change-chart-title">{escape(title)}</title>',
    ]
    for index, account in enumerate(shown):
        y = PAD_TOP + index * ROW_H
        middle = y + ROW_H / 2
        change = account.change
        length = float(abs(change) / largest) * half
        x = zero if change >= 0 else zero - length
        tone = "up" if change > 0 else "down"
        amount = ("+" if change > 0 else "") + format_money(change, currency)
        pct = f" ({account.change_pct:+}%)" if account.change_pct is not None else ""
        tip = f"{account.name}: {amount}{pct}, {format_money(account.before, currency)} → " + format_money(
            account.after, currency
        )
        parts.append(
            f'<text class="tl-chart__label" x="{LABEL_W - 10}" y="{middle + 4:.1f}" text-anchor="end">'
            f"{escape(_short(account.name))}</text>"
            f'<rect class="tl-chart__bar tl-chart__bar--{tone}" x="{x:.1f}" y="{middle - BAR_H / 2:.1f}" '
            f'width="{max(length, 1.5):.1f}" height="{BAR_H}" rx="3"><title>{escape(tip)}</title></rect>'
        )
        anchor, text_x = ("start", x + length + 6) if change >= 0 else ("end", x - 6)
        parts.append(
            f'<text class="tl-chart__value tl-chart__value--{tone}" x="{text_x:.1f}" y="{middle + 4:.1f}" '
            f'text-anchor="{anchor}">{escape(amount)}</text>'
        )
    parts.append(
        f'<line class="tl-chart__zero" x1="{zero:.1f}" x2="{zero:.1f}" y1="{PAD_TOP / 2}" '
        f'y2="{height - PAD_TOP / 2}"/>'
    )
    parts.append("</svg>")
    return Markup("".join(parts))
