"""Price lists in a real browser: create a list, give a variant a price and edit it in its row, add a
volume tier, assign the list to a company, activate it; photographed at each step."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from app import services
from app.shops import TokenSet, store_token
from pricing.models import (
    AssignmentTarget,
    PriceEntry,
    PriceList,
    PriceListAssignment,
    PriceListStatus,
    VolumeTier,
)
from tests import pricing_support as ps
from tests.admin_support import ACME_DOMAIN, add_acme

pytestmark = pytest.mark.browser


@pytest.fixture
def catalog(live_app):
    """The acme shop (EUR, Berlin) with mugs and tea, two companies and an older list; committed."""
    with services().db.unit_of_work() as uow:
        shop = add_acme(uow)
        store_token(
            uow,
            services().cipher,
            shop_id=shop.id,
            tokens=TokenSet(access_token="shpat_e2e", scope=shop.scopes),
        )
        mugs = ps.make_product(uow, shop.id, title="Stoneware mug")
        tea = ps.make_product(uow, shop.id, title="Breakfast tea")
        variants = {
            "MUG-S": ps.make_variant(
                uow, shop.id, mugs, price="20.00", sku="MUG-S", currency="EUR", title="Small"
            ),
            "MUG-L": ps.make_variant(
                uow, shop.id, mugs, price="24.00", sku="MUG-L", currency="EUR", title="Large"
            ),
            "TEA-1": ps.make_variant(
                uow, shop.id, tea, price="8.50", sku="TEA-1", currency="EUR", title="Default Title"
            ),
        }
        acme = ps.make_company(uow, shop.id, "Acme Corp")
        ps.make_location(uow, shop.id, acme, "Berlin warehouse")
        ps.make_company(uow, shop.id, "Globex Trading")
        uow.commit()
        return shop.id, {sku: v.id for sku, v in variants.items()}, acme.id


def snap(page, screenshots_dir, name: str) -> None:
    """A full-page screenshot once the stylesheets have loaded, from the top (the top bar is sticky)."""
    page.wait_for_load_state("load")
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(screenshots_dir / name), full_page=True)


def sign_in(page) -> None:
    page.goto("/signin")
    page.get_by_label("Shop").select_option(ACME_DOMAIN)
    page.get_by_label("Your name").fill("Dana Reyes")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", level=1, name="Acme Wholesale").wait_for()


def test_create_price_a_variant_add_a_tier_assign_and_activate(page, live_server, catalog, screenshots_dir):
    shop_id, variants, acme_id = catalog
    sign_in(page)

    page.get_by_role("navigation", name="Tradeline").get_by_role("link", name="Price lists").click()
    page.get_by_role("heading", level=1, name="Price lists").wait_for()
    page.get_by_role("heading", name="Give your wholesale buyers their own prices").wait_for()
    snap(page, screenshots_dir, "pricing-lists-empty.png")

    page.get_by_role("link", name="Create price list").first.click()
    page.get_by_role("heading", level=1, name="Create price list").wait_for()
    page.get_by_label("Name").fill("Wholesale Gold")
    page.get_by_label("Description (optional)").fill("Trade customers with an annual contract.")
    page.get_by_label("Priority").fill("10")
    page.get_by_label("Order minimum (optional)").fill("250.00")
    snap(page, screenshots_dir, "pricing-list-form.png")
    page.get_by_role("button", name="Create draft").click()
    page.get_by_text("Price list “Wholesale Gold” created as a draft.").wait_for()

    # A price by SKU, then changed in its row.
    add_price = page.get_by_role("form", name="Add a fixed price")
    add_price.get_by_label("SKU").fill("MUG-S")
    add_price.get_by_label("Price (EUR)").fill("15.00")
    add_price.get_by_role("button", name="Add price").click()
    page.get_by_text("Price for MUG-S saved.").wait_for()
    row = page.locator(f'tr[data-variant-id="{variants["MUG-S"]}"]')
    row.get_by_label("Price of MUG-S", exact=True).fill("14.50")
    row.get_by_role("button", name="Save").click()
    page.get_by_text("Price saved.").wait_for()
    row = page.locator(f'tr[data-variant-id="{variants["MUG-S"]}"]')
    assert row.get_by_label("Price of MUG-S", exact=True).input_value() == "14.50"

    # A bad price stays in its row with the reason, and nothing changes.
    row.get_by_label("Price of MUG-S", exact=True).fill("-3")
    row.get_by_role("button", name="Save").click()
    page.get_by_text("The price -3 is negative").wait_for()
    assert page.get_by_label("Price of MUG-S", exact=True).get_attribute("aria-invalid") == "true"
    snap(page, screenshots_dir, "pricing-list-error.png")

    # A tier for the mug: from 12 units, 12.00.
    tiers = page.locator("#tiers-new")
    tiers.get_by_label("SKU").fill("MUG-S")
    tiers.get_by_label("From quantity, row 1").fill("12")
    tiers.get_by_label("Value, row 1").fill("12.00")
    tiers.get_by_role("button", name="Add tiers").click()
    page.get_by_text("1 the variant's tier saved.").or_(page.get_by_text("tier saved")).first.wait_for()

    # Assign to a company found by name.
    assignments = page.locator("#assignments")
    assignments.get_by_role("searchbox", name="Company or customer").fill("acme")
    assignments.get_by_role("button", name="Find").click()
    page.get_by_role("button", name="Assign to Acme Corp").click()
    page.get_by_text("The list now applies to company: Acme Corp.").wait_for()
    snap(page, screenshots_dir, "pricing-list-draft.png")

    # Deleting a draft asks first: the button opens a panel with the real one.
    page.locator('[data-action="delete"] summary').click()
    page.get_by_text("Delete the draft “Wholesale Gold” and everything in it (1 fixed price").wait_for()
    page.locator('[data-action="delete"] summary').click()

    page.get_by_role("button", name="Activate").click()
    page.get_by_text("“Wholesale Gold” is active: it prices its buyers now.").wait_for()
    snap(page, screenshots_dir, "pricing-list.png")

    page.get_by_role("link", name="All price lists").click()
    page.get_by_role("heading", level=1, name="Price lists").wait_for()
    table_row = page.get_by_role("table", name="Price lists").get_by_role("row", name="Wholesale Gold")
    assert "Active" in table_row.inner_text()
    assert "1 company" in table_row.inner_text()
    snap(page, screenshots_dir, "pricing-lists.png")

    with services().db.unit_of_work() as uow:
        price_list = uow.session.scalar(select(PriceList).where(PriceList.shop_id == shop_id))
        assert (price_list.name, price_list.status, price_list.priority) == (
            "Wholesale Gold",
            PriceListStatus.ACTIVE,
            10,
        )
        assert price_list.order_minimum == Decimal("250.00")
        assert uow.session.execute(
            select(PriceEntry.variant_id, PriceEntry.price).where(PriceEntry.price_list_id == price_list.id)
        ).all() == [(variants["MUG-S"], Decimal("14.50"))]
        assert uow.session.execute(
            select(VolumeTier.variant_id, VolumeTier.min_quantity, VolumeTier.value).where(
                VolumeTier.price_list_id == price_list.id
            )
        ).all() == [(variants["MUG-S"], 12, Decimal("12.00"))]
        assert uow.session.execute(
            select(PriceListAssignment.target, PriceListAssignment.company_id).where(
                PriceListAssignment.price_list_id == price_list.id
            )
        ).all() == [(AssignmentTarget.COMPANY, acme_id)]
