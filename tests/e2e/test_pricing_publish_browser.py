"""Publishing a price list to Shopify from the admin, in a real browser; Shopify faked at the HTTP boundary.

Without Redis the publish job runs when the request commits, so the page the button returns to already
shows the outcome; a publish that is running is followed by the card's polling until it ends.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from app import services
from app.db import utcnow
from pricing.models import PricePublication, PublishStatus
from tests.e2e.test_pricing_csv_browser import sign_in, snap
from tests.pricing_publish_setup import connected_acme, publishable_list, use_fake_b2b
from tests.pricing_publish_support import FakeB2B

pytestmark = pytest.mark.browser

REFUSAL = ("GENERIC_ERROR", "Something went wrong when trying to update quantity pricing.")
POLL_WAIT_MS = 15_000  # the card polls every 2.5 s


@pytest.fixture
def fake(app_config) -> FakeB2B:
    # First in every test's arguments: the app reads the transport when it is built.
    return use_fake_b2b(app_config, currency="EUR")


@pytest.fixture
def price_list(fake, live_app):
    """The acme shop (EUR) with a list of three prices assigned to a company with a location; committed."""
    with services().db.unit_of_work() as uow:
        shop_id = connected_acme(uow)
        plist = publishable_list(
            uow,
            shop_id,
            "Café wholesale",
            prices=("15.00", "16.50", "18.00"),
            currency="EUR",
            order_minimum="300.00",
        )
        uow.commit()
        return shop_id, plist.id


def _publish_card(page):
    return page.locator("#pricing-publish")


def test_publish_fails_with_shopifys_message_then_publishing_again_completes_it(
    fake, page, price_list, screenshots_dir
):
    _, list_id = price_list
    fake.reject_pricing = REFUSAL
    sign_in(page)
    page.goto(f"/pricing/lists/{list_id}/publish")
    card = _publish_card(page)
    card.get_by_text("Not published yet").wait_for()

    # when: Shopify refuses the prices
    card.get_by_role("button", name="Publish to Shopify").click()

    # then: the card says so, with Shopify's words, and nothing was published
    page.get_by_text("Publishing to Shopify started").wait_for()
    card = _publish_card(page)
    assert card.get_attribute("data-status") == "failed"
    assert "Something went wrong when trying to update quantity pricing. (GENERIC_ERROR)" in card.inner_text()
    card.get_by_text("Publish again to continue").wait_for()
    assert fake.only_price_list().prices == {}
    snap(page, screenshots_dir, "pricing-publish-failed.png")

    # when: Shopify accepts them again and the merchant publishes again
    fake.reject_pricing = None
    card.get_by_role("button", name="Publish to Shopify").click()

    # then: every price reached Shopify and the rule it cannot express is named
    page.get_by_text("Publishing to Shopify started").wait_for()
    card = _publish_card(page)
    assert card.get_attribute("data-status") == "succeeded"
    assert "3 of 3 changes sent" in card.inner_text()
    assert "Shopify cannot express 1 rule" in card.inner_text()
    assert "Orders must reach 300.00 EUR" in card.inner_text()
    prices = sorted(entry["price"] for entry in fake.only_price_list().prices.values())
    assert prices == [Decimal("15"), Decimal("16.5"), Decimal("18")]
    snap(page, screenshots_dir, "pricing-publish-succeeded.png")


def test_a_running_publish_is_followed_until_it_ends(fake, page, price_list, screenshots_dir):
    shop_id, list_id = price_list
    with services().db.unit_of_work() as uow:
        publication = PricePublication(
            shop_id=shop_id,
            price_list_id=list_id,
            status=PublishStatus.RUNNING,
            done=1,
            total=3,
            unsupported=[],
            started_at=utcnow(),
            updated_at=utcnow(),
        )
        uow.session.add(publication)
        uow.commit()
        publication_id = publication.id
    sign_in(page)
    page.goto(f"/pricing/lists/{list_id}/publish")
    card = _publish_card(page)
    card.get_by_text("1 of 3 changes sent").wait_for()
    assert card.get_by_role("button", name="Publishing…").is_disabled()
    assert card.get_by_role("progressbar").get_attribute("aria-valuenow") == "1"

    # when: the worker finishes
    with services().db.unit_of_work() as uow:
        running = uow.session.get_one(PricePublication, publication_id)
        running.status, running.done, running.finished_at = PublishStatus.SUCCEEDED, 3, utcnow()
        uow.commit()

    # then: the card's polling notices and the page shows the result, with nothing sent by the page
    page.locator('#pricing-publish[data-status="succeeded"]').wait_for(timeout=POLL_WAIT_MS)
    assert "3 of 3 changes sent" in _publish_card(page).inner_text()
    assert _publish_card(page).get_by_role("button", name="Publish to Shopify").is_enabled()
    assert fake.names() == []
