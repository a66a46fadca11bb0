"""The price explainer and the simulator in a real browser: explain a buyer's prices, open the "why",
run a simulation with its chart, and photograph both pages.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from app import services
from app.db import utcnow
from app.shops import TokenSet, store_token
from pricing.models import AssignmentTarget, PriceListStatus
from tests.admin_support import ACME_DOMAIN, add_acme
from tests.pricing_support import (
    add_adjustment,
    add_entry,
    add_rule,
    add_tier,
    assign,
    make_company,
    make_customer,
    make_location,
    make_price_list,
    make_product,
    make_variant,
)
from tests.pricing_tools_support import Line, make_order

pytestmark = pytest.mark.browser

CATALOG = (  # title, SKU, retail EUR
    ("Arabica beans 1 kg", "COF-ARA-1K", "24.00"),
    ("Robusta beans 1 kg", "COF-ROB-1K", "18.00"),
    ("Espresso blend 5 kg", "COF-ESP-5K", "95.00"),
    ("Paper cups 12 oz (1000)", "CUP-12-1000", "60.00"),
    ("Oat milk 1 L", "MLK-OAT-1L", "3.20"),
)
COMPANIES = (  # name, location, what it buys most: (SKU index, units) per order
    ("Acme Corp", "Austin HQ", ((0, 20), (4, 24))),
    ("Globex Trading", "Denver depot", ((3, 6), (1, 10))),
    ("Initech Supplies", "Portland office", ((3, 12),)),
    ("Umbrella Cafés", "Berlin Mitte", ((0, 8), (2, 2))),
    ("Stark Roasters", "Hamburg roastery", ((2, 6), (1, 20))),
    ("Wayne Bakeries", "Munich", ((4, 60), (3, 2))),
    ("Hooli Kitchens", "Cologne", ((1, 14),)),
    ("Tyrell Tea Rooms", "Leipzig", ((3, 4), (4, 30))),
)


@pytest.fixture
def book(live_app):
    """The acme shop (EUR) with a catalog, eight companies, their orders, two active lists and a draft."""
    with services().db.unit_of_work() as uow:
        shop = add_acme(uow)
        store_token(
            uow,
            services().cipher,
            shop_id=shop.id,
            tokens=TokenSet(access_token="shpat_e2e", scope=shop.scopes),
        )
        variants = [
            make_variant(
                uow,
                shop.id,
                make_product(uow, shop.id, title=title),
                price=price,
                sku=sku,
                currency="EUR",
                title="Default Title",
            )
            for title, sku, price in CATALOG
        ]
        standard = make_price_list(uow, shop.id, "Standard wholesale", currency="EUR", default=True)
        add_adjustment(uow, standard, "-10")
        draft = make_price_list(uow, shop.id, "Wholesale 2027", currency="EUR", status=PriceListStatus.DRAFT)
        assign(uow, draft, AssignmentTarget.DEFAULT)
        add_adjustment(uow, draft, "-6")
        add_entry(uow, draft, variants[3], "49.00")
        add_entry(uow, draft, variants[4], "2.70")
        now = utcnow()
        for index, (name, location_name, buys) in enumerate(COMPANIES):
            company = make_company(uow, shop.id, name)
            location = make_location(uow, shop.id, company, location_name)
            buyer = make_customer(
                uow, shop.id, company=company, email=f"buyer@{name.split()[0].lower()}.example"
            )
            if index == 0:
                buyer.first_name, buyer.last_name, buyer.email = "Ana", "Ruiz", "ana@acme.example"
                contract = make_price_list(uow, shop.id, "Acme contract", currency="EUR")
                assign(uow, contract, AssignmentTarget.COMPANY, company)
                add_entry(uow, contract, variants[0], "19.50")
                add_tier(uow, contract, 20, "18.00", variant=variants[0])
                add_entry(uow, contract, variants[4], "2.80")
                add_rule(uow, contract, minimum=6, increment=6, variant=variants[4])
                acme_location, ana = location, buyer
            for order in range(3):
                make_order(
                    uow,
                    shop.id,
                    processed_at=now - timedelta(days=7 + 23 * order + index),
                    customer=buyer,
                    company=company,
                    location=location,
                    currency="EUR",
                    lines=[Line(variants[v], units + order, CATALOG[v][2]) for v, units in buys],
                )
        uow.commit()
        return {"location": acme_location.id, "ana": ana.id, "draft": draft.id, "standard": standard.id}


def snap(page, screenshots_dir, name: str) -> None:
    page.wait_for_load_state("load")
    page.evaluate("window.scrollTo(0, 0)")  # the sticky top bar would be drawn where the page was scrolled
    page.screenshot(path=str(screenshots_dir / name), full_page=True)


def sign_in(page) -> None:
    page.goto("/signin")
    page.get_by_label("Shop").select_option(ACME_DOMAIN)
    page.get_by_label("Your name").fill("Dana Reyes")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", level=1, name="Acme Wholesale").wait_for()


def test_explain_a_buyers_prices(page, book, screenshots_dir):
    sign_in(page)
    page.goto("/pricing/explain")
    page.get_by_role("heading", level=1, name="Price explainer").wait_for()

    page.get_by_label("Company location").select_option(label="Acme Corp — Austin HQ")
    page.get_by_label("Customer", exact=True).select_option(label="Ana Ruiz · ana@acme.example")
    page.get_by_label("SKUs and quantities").fill("COF-ARA-1K, 24\nCOF-ESP-5K, 2\nMLK-OAT-1L, 10")
    page.get_by_role("button", name="Explain prices").click()

    prices = page.get_by_role("table", name="Prices per line")
    prices.wait_for()
    rows = prices.locator("tbody tr")
    assert rows.nth(0).locator("[data-unit-price]").inner_text().startswith("€18.00")
    assert rows.nth(1).locator("[data-unit-price]").inner_text().startswith("€85.50")
    assert "Wrong increment" in rows.nth(2).inner_text()
    assert page.locator("[data-subtotal]").inner_text() == "€631.00"

    why = page.get_by_role("region", name="Why these prices")
    first = why.locator("details").nth(0)
    assert first.get_attribute("open") is not None
    assert "Acme contract (assigned to the company) sets 18.00 EUR" in first.inner_text()
    why.get_by_text("Oat milk 1 L \N{MULTIPLICATION SIGN} 10").click()
    oat = why.locator("details").nth(2)
    assert oat.get_attribute("open") is not None
    # header, the winner, the loser, and the draft that applies to nobody until it is activated
    assert oat.get_by_role("table").get_by_role("row").count() == 4
    snap(page, screenshots_dir, "pricing-explain.png")


def test_run_a_simulation(page, book, screenshots_dir):
    sign_in(page)
    page.goto("/pricing/simulate")
    page.get_by_role("heading", level=1, name="Price simulator").wait_for()

    page.get_by_label("Draft list").select_option(label="Wholesale 2027 (EUR)")
    page.get_by_label("It replaces").select_option(label="Standard wholesale (active)")
    page.get_by_label("Months of orders").fill("3")
    page.get_by_role("button", name="Run simulation").click()

    page.get_by_role("region", name="Result").wait_for()
    assert page.locator("[data-rises]").inner_text() != "0"
    chart = page.get_by_role("img", name="Revenue change by account")
    assert chart.is_visible()
    assert chart.locator("rect").count() == len(COMPANIES)
    rises = page.get_by_role("region", name="Accounts whose price rises")
    assert rises.get_by_role("link", name="Stark Roasters").is_visible()
    assert page.get_by_role("table", name="Revenue per account").locator("tbody tr").count() == len(COMPANIES)
    snap(page, screenshots_dir, "pricing-simulate.png")
