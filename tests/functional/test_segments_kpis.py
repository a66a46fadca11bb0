"""The dashboard's KPI tiles show segments.metrics.business_metrics for the same period, as the latest
analytics run computed them: the dashboard and the metrics API never disagree."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from html import unescape
from zoneinfo import ZoneInfo

import pytest

from app.db import utcnow
from crm.display import format_day, format_money
from segments import metrics, service
from segments.dashboard_kpis import KPI_KEYS
from tests.admin_support import add_acme, card_html, sign_in
from tests.segments_metrics_support import add_customer, add_orders


@pytest.fixture
def shop(uow):
    return add_acme(uow)  # EUR, Europe/Berlin


@pytest.fixture
def signed_in(client, shop):
    sign_in(client, shop.id)
    return client


def _orders_around_now(uow, shop_id: int) -> None:
    """Buyers in the last 30 days and the 30 before: repeaters, one-timers, marketing-won, another
    currency and a cancelled order (which no figure counts)."""
    now = utcnow()
    plan = [  # (key, acquisition source, [(days ago, amount, currency, cancelled)])
        (1, "utm:google/cpc", [(3, "120.00", "EUR", False), (40, "80.00", "EUR", False)]),
        (2, "utm:google", [(5, "300.00", "EUR", False)]),
        (3, "direct", [(12, "45.50", "EUR", False), (14, "54.50", "EUR", False)]),
        (4, "referrer:instagram.com", [(45, "210.00", "EUR", False)]),
        (5, "direct", [(8, "999.00", "USD", False), (9, "500.00", "EUR", True)]),
    ]
    for key, source, orders in plan:
        customer_id = add_customer(
            uow, shop_id, key, acquisition_source=source, shopify_created_at=now - timedelta(days=70)
        )
        add_orders(
            uow,
            shop_id,
            [
                {
                    "customer_id": customer_id,
                    "processed_at": now - timedelta(days=days_ago),
                    "current_total_price": Decimal(amount),
                    "currency": currency,
                    "cancelled_at": now if cancelled else None,
                }
                for days_ago, amount, currency, cancelled in orders
            ],
        )
    for month in {(now - timedelta(days=d)).strftime("%Y-%m") for d in (0, 29, 59)}:
        metrics.set_spend(uow, shop_id=shop_id, channel="utm:google", month=month, amount="150")
    uow.commit()
    _compute(uow, shop_id)


def _compute(uow, shop_id: int) -> None:
    """An analytics run as of now (what the nightly job or "Recompute now" does)."""
    run = service.start_run(uow, shop_id=shop_id)
    uow.commit()
    service.execute_run(uow, shop_id=shop_id, run_id=run.id)


def _tiles(html: str) -> dict[str, tuple[str, str]]:
    """{metric key: (raw value, shown value)} of the KPI card."""
    card = card_html(html, "kpis")
    found = re.findall(
        r'data-metric="(\w+)".*?<div class="tl-stat__value" data-value="([^"]*)">([^<]*)</div>', card, re.S
    )
    return {key: (raw, unescape(shown)) for key, raw, shown in found}


def test_tiles_equal_business_metrics_of_the_same_period(signed_in, uow, shop):
    # given
    _orders_around_now(uow, shop.id)
    # when
    html = signed_in.get("/segments/dashboard").get_data(as_text=True)
    # then: the last 30 days of the shop's calendar, today included
    today = utcnow().astimezone(ZoneInfo("Europe/Berlin")).date()
    period = metrics.make_period(today - timedelta(days=29), today, "Europe/Berlin")
    report = metrics.business_metrics(uow, shop_id=shop.id, period=period)
    tiles = _tiles(html)
    assert [key for key in tiles if key in KPI_KEYS] == list(KPI_KEYS)
    for key in KPI_KEYS:
        value = report.metrics[key].value
        assert tiles[key][0] == ("" if value is None else str(value)), key
    assert tiles["revenue"] == ("520.00", format_money(Decimal("520.00"), "EUR"))
    assert tiles["orders"][0] == "5"  # the USD order counts as an order, not as revenue
    assert report.metrics["cac"].value is not None
    text = " ".join(unescape(re.sub(r"<[^>]+>", " ", card_html(html, "kpis"))).split())
    assert f"Your store, {format_day(period.start)} \N{EN DASH} {format_day(period.end)}" in text


def test_trend_compares_with_business_metrics_of_the_30_days_before(signed_in, uow, shop):
    _orders_around_now(uow, shop.id)
    today = utcnow().astimezone(ZoneInfo("Europe/Berlin")).date()
    before = metrics.make_period(today - timedelta(days=59), today - timedelta(days=30), "Europe/Berlin")
    previous = metrics.business_metrics(uow, shop_id=shop.id, period=before).metrics["revenue"].value
    assert previous == Decimal("290.00")
    card = card_html(signed_in.get("/segments/dashboard").get_data(as_text=True), "kpis")
    revenue = re.search(r'data-metric="revenue".*?</div>\s*</div>', card, re.S).group(0)
    # (520 - 290) / 290 = +79.3%
    assert 'aria-label="up 79.3%"' in revenue and "vs €290.00" in revenue


def test_before_any_run_the_card_says_when_key_figures_appear(signed_in, uow, shop):
    card = card_html(signed_in.get("/segments/dashboard").get_data(as_text=True), "kpis")
    assert "they appear after the next computation" in unescape(card)
    assert "data-metric=" not in card


def test_the_tiles_keep_the_runs_figures_until_the_next_run(signed_in, uow, shop):
    # given: a run, then an order that comes in after it
    _orders_around_now(uow, shop.id)
    before = _tiles(signed_in.get("/segments/dashboard").get_data(as_text=True))["orders"][0]
    customer_id = add_customer(uow, shop.id, 9, acquisition_source="direct")
    add_orders(
        uow,
        shop.id,
        [
            {
                "customer_id": customer_id,
                "processed_at": utcnow(),
                "current_total_price": Decimal("10.00"),
                "currency": "EUR",
            }
        ],
    )
    uow.commit()
    # then: the page shows the run's figures, with its time; the next run counts the new order
    assert _tiles(signed_in.get("/segments/dashboard").get_data(as_text=True))["orders"][0] == before
    _compute(uow, shop.id)
    after = _tiles(signed_in.get("/segments/dashboard").get_data(as_text=True))["orders"][0]
    assert int(after) == int(before) + 1
