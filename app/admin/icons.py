"""Polaris icons (vendored SVGs) inlined into pages, so CSS colours them and nothing is fetched."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from markupsafe import Markup

ICON_DIR = Path(__file__).resolve().parent.parent / "static" / "vendor" / "polaris-icons" / "svg"
_ICON_NAME = re.compile(r"^[A-Z][A-Za-z0-9]*Icon$")


@cache
def icon_svg(name: str) -> Markup:
    """The inline `<svg>` of a vendored Polaris icon, hidden from assistive technology."""
    if not _ICON_NAME.match(name):
        raise ValueError(f"{name!r} is not a Polaris icon name")
    path = ICON_DIR / f"{name}.svg"
    if not path.is_file():
        raise LookupError(f"icon {name} is not vendored; add it to app/static/vendor/vendor.mjs")
    svg = path.read_text(encoding="utf-8").strip()
    # Decorative: the label lives next to the icon, so screen readers and tab order skip the SVG.
    return Markup(svg.replace("<svg ", '<svg aria-hidden="true" focusable="false" ', 1))
