"""Admin UI building blocks without Flask: date formatting, navigation, icons and the ui.html macros."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from app.admin.formatting import format_count, format_datetime, shop_zone
from app.admin.icons import icon_svg
from app.admin.navigation import NAV_ITEMS, navigation

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


@pytest.fixture(scope="module")
def ui():
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined)
    env.globals["icon_svg"] = icon_svg
    return env.get_template("_macros/ui.html").module


def test_datetimes_show_in_the_shops_zone_with_its_abbreviation():
    instant = datetime(2026, 7, 4, 16, 5, tzinfo=UTC)

    assert format_datetime(instant, "America/New_York") == "Jul 4, 2026, 12:05 PM EDT"
    assert format_datetime(instant, "Asia/Tokyo") == "Jul 5, 2026, 1:05 AM JST"
    assert format_datetime(instant, "Europe/London", with_time=False) == "Jul 4, 2026"
    assert format_datetime(None, "UTC") == ""


def test_unknown_or_missing_zone_falls_back_to_utc():
    instant = datetime(2026, 1, 1, 0, 0, tzinfo=timezone(timedelta(hours=2)))

    assert shop_zone("Mars/Olympus_Mons") is UTC
    assert shop_zone("") is UTC
    assert format_datetime(instant, "Mars/Olympus_Mons") == "Dec 31, 2025, 10:00 PM UTC"


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="naive"):
        format_datetime(datetime(2026, 1, 1), "UTC")  # noqa: DTZ001  (the point of the test)


def test_counts_have_thousands_separators():
    assert [format_count(n) for n in (0, 999, 1000, 1234567)] == ["0", "999", "1,000", "1,234,567"]


def test_navigation_links_registered_endpoints_and_marks_the_current_area():
    links = navigation(
        endpoints={"admin.home", "crm.customers"},
        current_endpoint="crm.customer_detail",
        url_for=lambda endpoint: f"/{endpoint}",
    )

    assert [link.label for link in links] == [item.label for item in NAV_ITEMS]
    assert [(link.label, link.url, link.current) for link in links[:3]] == [
        ("Home", "/admin.home", False),
        ("Customers", "/crm.customers", True),
        ("Companies", None, False),
    ]
    assert [link.available for link in links] == [True, True] + [False] * (len(NAV_ITEMS) - 2)


def test_sync_item_covers_the_sync_pages_and_the_webhook_log_but_not_the_intake():
    def current(endpoint: str) -> list[tuple[str, str | None]]:
        links = navigation(
            endpoints={"sync.index"}, current_endpoint=endpoint, url_for=lambda name: f"/{name}"
        )
        return [(link.label, link.url) for link in links if link.current]

    assert [item.label for item in NAV_ITEMS][-2:] == ["Sync", "Settings"]
    assert [current(e) for e in ("sync.index", "sync.status", "webhooks.log_page", "webhooks.receive")] == [
        [("Sync", "/sync.index")],
        [("Sync", "/sync.index")],
        [("Sync", "/sync.index")],
        [],
    ]


def test_icons_are_inline_decorative_svgs():
    svg = icon_svg("HomeIcon")

    assert isinstance(svg, Markup)
    assert svg.startswith('<svg aria-hidden="true" focusable="false" xmlns="http://www.w3.org/2000/svg"')
    with pytest.raises(LookupError, match="not vendored"):
        icon_svg("NoSuchThingIcon")
    with pytest.raises(ValueError, match="not a Polaris icon name"):
        icon_svg("../../etc/passwd")


def test_badge_names_its_tone_for_screen_readers(ui):
    assert str(ui.badge("Soon")) == '<span class="tl-badge">Soon</span>'
    assert str(ui.badge("Active", "success")) == '<span class="tl-badge tl-badge--success">Active</span>'
    assert str(ui.badge("2 failed", "critical")) == (
        '<span class="tl-badge tl-badge--critical">'
        '<span class="tl-visually-hidden">Critical: </span>2 failed</span>'
    )


def test_button_is_a_link_with_a_url_and_a_button_without(ui):
    assert str(ui.button("Export", url="/export?a=1&b=2", variant="primary")) == (
        '<a class="tl-button tl-button--primary" href="/export?a=1&amp;b=2">Export</a>'
    )
    assert str(ui.button("Save", type="submit", data_confirm="Sure?")) == (
        '<button class="tl-button" type="submit" data-confirm="Sure?">Save</button>'
    )
    assert str(ui.button("Delete", variant="critical", disabled=True)) == (
        '<button class="tl-button tl-button--critical" type="button" disabled>Delete</button>'
    )


def test_data_table_escapes_text_heads_rows_and_aligns_numbers(ui):
    html = str(
        ui.data_table(
            ["Customer", {"label": "Orders", "numeric": True}],
            [["<b>Ann</b>", 3]],
            caption="Top customers",
        )
    )

    assert '<caption class="tl-visually-hidden">Top customers</caption>' in html
    assert '<th scope="col" class="tl-table__numeric">Orders</th>' in html
    assert '<th scope="row">&lt;b&gt;Ann&lt;/b&gt;</th>' in html
    assert '<td class="tl-table__numeric">3</td>' in html


def test_empty_table_says_so(ui):
    html = str(ui.data_table(["Name", "Email"], [], empty_message="No customers yet."))

    assert '<tr><td colspan="2" class="tl-text-secondary">No customers yet.</td></tr>' in html


def test_progress_bar_is_an_accessible_clamped_meter(ui):
    html = str(ui.progress_bar(3, 4, label="Import"))
    over = str(ui.progress_bar(7, 4))

    assert 'role="progressbar" aria-label="Import"' in html
    assert 'aria-valuemin="0" aria-valuemax="4" aria-valuenow="3"' in html
    assert 'style="width: 75.0%"' in html
    assert 'style="width: 100.0%"' in over


def test_text_field_wires_label_help_and_error(ui):
    html = str(
        ui.text_field("email", "Email", value="a@b", help="We never share it.", error="Enter an email")
    )

    assert '<label class="tl-label" for="field-email">Email</label>' in html
    assert 'aria-invalid="true" aria-describedby="field-email-help field-email-error"' in html
    assert '<p class="tl-help-text" id="field-email-help">We never share it.</p>' in html
    assert 'id="field-email-error">' in html


def test_select_marks_the_selected_option(ui):
    html = str(ui.select("currency", "Currency", [("EUR", "Euro"), ("USD", "US dollar")], selected="USD"))

    assert '<option value="EUR">Euro</option>' in html
    assert '<option value="USD" selected>US dollar</option>' in html


def test_vendored_assets_match_the_pinned_npm_versions():
    vendor = Path(__file__).resolve().parents[2] / "app" / "static" / "vendor"
    pins = json.loads((vendor / "package.json").read_text())["dependencies"]

    assert (vendor / "polaris-tokens" / "VERSION").read_text().strip() == pins["@shopify/polaris-tokens"]
    assert (vendor / "polaris-icons" / "VERSION").read_text().strip() == pins["@shopify/polaris-icons"]
    # Every custom property admin.css uses is defined by the vendored tokens (a typo renders as nothing).
    tokens = (vendor / "polaris-tokens" / "tokens.css").read_text()
    used = set(re.findall(r"var\((--p-[a-z0-9-]+)", (vendor.parent / "css" / "admin.css").read_text()))
    assert sorted(name for name in used if f"{name}:" not in tokens) == []
