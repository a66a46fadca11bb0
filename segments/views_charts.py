"""Server-rendered SVG charts of the analytics pages (no chart library, no network).

Each function returns Markup of one <svg> with a <title> and <desc> for screen readers; the page puts
the same numbers in a table beside it. Styles come from crm.css (.tl-chart*) and segments.css.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from markupsafe import Markup, escape

WIDTH = 640
HEIGHT = 220
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 12, 36
GRID_LINES = 4
MAX_BAR_WIDTH = 72


@dataclass(frozen=True)
class Series:
    label: str
    values: Sequence[float]
    colour: str


def _nice_max(value: float) -> float:
    """A round axis maximum at or above `value` (1, 2, 2.5, 5 x 10^n)."""
    if value <= 0:
        return 1.0
    power = 10 ** (len(str(int(value))) - 1) if value >= 1 else 1
    for factor in (1, 2, 2.5, 5, 10):
        if power * factor >= value:
            return float(power * factor)
    return float(power * 10)


def _short(value: float) -> str:
    """Axis label: 1200 -> 1.2k, 3_000_000 -> 3M."""
    for limit, suffix in ((1_000_000, "M"), (1_000, "k")):
        if abs(value) >= limit:
            text = f"{value / limit:.1f}".rstrip("0").rstrip(".")
            return f"{text}{suffix}"
    return f"{value:.0f}" if value == int(value) else f"{value:.1f}"


def _frame(title: str, desc: str, body: list[str], height: int = HEIGHT) -> Markup:
    return Markup(
        f'<svg class="tl-chart" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title><desc>{escape(desc)}</desc>'
        + "".join(body)
        + "</svg>"
    )


def _grid(top_value: float, fmt: Callable[[float], str], height: int = HEIGHT) -> list[str]:
    plot = height - TOP - BOTTOM
    parts = []
    for i in range(GRID_LINES + 1):
        value = top_value * i / GRID_LINES
        y = TOP + plot - plot * i / GRID_LINES
        parts.append(
            f'<line class="tl-chart__grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text class="tl-chart__axis" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{escape(fmt(value))}</text>"
        )
    return parts


def bars(
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    fmt: Callable[[float], str] = _short,
    stacked: bool = False,
    label_every: int = 1,
) -> Markup:
    """Vertical bars per label: grouped side by side, or stacked when `stacked`."""
    n = len(labels)
    if not n:
        return _frame(title, "No data.", [])
    totals = [
        sum(s.values[i] for s in series) if stacked else max(s.values[i] for s in series) for i in range(n)
    ]
    top_value = _nice_max(max(totals, default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / n
    gap = min(12.0, slot * 0.2)
    body = _grid(top_value, fmt)
    for i, label in enumerate(labels):
        # Few bars stay bar-shaped instead of filling the plot.
        width = min(slot - gap, MAX_BAR_WIDTH)
        x0 = LEFT + i * slot + (slot - width) / 2
        base = TOP + plot_h
        for k, s in enumerate(series):
            value = s.values[i]
            h = plot_h * value / top_value
            if stacked:
                x, w, y = x0, width, base - h
                base -= h
            else:
                w = width / len(series)
                x, y = x0 + k * w, TOP + plot_h - h
            tip = f"{label}: {s.label} {fmt(value)}" if len(series) > 1 else f"{label}: {fmt(value)}"
            body.append(
                f'<rect class="tl-chart__bar" x="{x:.1f}" y="{y:.1f}" width="{max(w - 1, 1):.1f}" '
                f'height="{max(h, 0):.1f}" style="fill:{s.colour}"><title>{escape(tip)}</title></rect>'
            )
        if i % label_every == 0:
            body.append(
                f'<text class="tl-chart__axis" x="{x0 + width / 2:.1f}" y="{HEIGHT - BOTTOM + 16}" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
    desc = "; ".join(
        f"{label}: " + ", ".join(f"{s.label} {fmt(s.values[i])}" for s in series)
        for i, label in enumerate(labels)
    )
    return _frame(title, desc, body)


def line(title: str, labels: Sequence[str], values: Sequence[float], *, colour: str = "#2c6ecb") -> Markup:
    """A line with a light area under it (a segment's size over time)."""
    n = len(values)
    if not n:
        return _frame(title, "No data.", [])
    top_value = _nice_max(max(values))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / max(n - 1, 1)
    points = [
        (LEFT + (i * step if n > 1 else plot_w / 2), TOP + plot_h - plot_h * v / top_value)
        for i, v in enumerate(values)
    ]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    base = TOP + plot_h
    body = _grid(top_value, _short)
    body.append(
        f'<polygon class="tl-chart__area" points="{points[0][0]:.1f},{base} {path} '
        f'{points[-1][0]:.1f},{base}" style="fill:{colour};fill-opacity:0.12"/>'
    )
    body.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
    every = max(1, n // 6)
    for i, ((x, y), label, value) in enumerate(zip(points, labels, values, strict=True)):
        body.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"><title>{escape(label)}: '
            f"{escape(_short(value))}</title></circle>"
        )
        if i % every == 0 or i == n - 1:
            body.append(
                f'<text class="tl-chart__axis" x="{x:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle">'
                f"{escape(label)}</text>"
            )
    desc = "; ".join(f"{label}: {_short(v)}" for label, v in zip(labels, values, strict=True))
    return _frame(title, desc, body)


def money_axis(symbol: str) -> Callable[[float], str]:
    """An axis formatter that prefixes the currency symbol: €1.2k."""
    return lambda value: f"{symbol}{_short(value)}"


def as_float(value: Decimal | int | float | None) -> float:
    """A chart coordinate; None draws as zero."""
    return float(value or 0)
