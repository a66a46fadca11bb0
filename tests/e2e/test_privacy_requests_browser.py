"""The privacy requests page in a real browser: the merchant downloads a customer's data export."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from app import services
from crm import service
from tests.admin_support import ACME_DOMAIN, add_acme
from tests.crm_support import customer, order
from webhooks.compliance import handle_customers_data_request
from webhooks.registry import Delivery

pytestmark = pytest.mark.browser

RECEIVED_AT = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def acme_with_a_data_request(live_app):
    with services().db.unit_of_work() as uow:
        shop = add_acme(uow)
        service.upsert_customer(uow, shop_id=shop.id, payload=customer(191167, email="john@example.com"))
        service.upsert_order(
            uow, shop_id=shop.id, payload=order(299938, customer_id=191167, customer_minute=-1)
        )
        handle_customers_data_request(
            uow,
            shop_id=shop.id,
            payload={
                "shop_id": 954889,
                "shop_domain": ACME_DOMAIN,
                "orders_requested": [299938],
                "customer": {"id": 191167, "email": "john@example.com", "phone": "555-625-1199"},
                "data_request": {"id": 9999},
            },
            delivery=Delivery(
                id=1,
                shop_id=shop.id,
                topic="customers/data_request",
                webhook_id="wh-1",
                event_id=None,
                triggered_at=None,
                api_version="2026-04",
                received_at=RECEIVED_AT,
                attempts=1,
            ),
        )
        uow.commit()
    return shop


def test_the_merchant_downloads_a_customers_data_export(page, acme_with_a_data_request, tmp_path):
    page.goto("/privacy/")
    page.get_by_label("Shop").select_option(ACME_DOMAIN)
    page.get_by_label("Your name").fill("Dana Reyes")
    page.get_by_role("button", name="Sign in").click()

    page.get_by_role("heading", level=1, name="Privacy requests").wait_for()
    table = page.get_by_role("table", name="Privacy requests")
    assert table.get_by_role("row").count() == 2  # the header and one request
    row = table.get_by_role("row").nth(1)
    assert "Data request #9999" in row.inner_text()
    assert "Export ready" in row.inner_text()
    with page.expect_download() as download_info:
        row.get_by_role("link", name="Download JSON").click()
    download = download_info.value
    assert download.suggested_filename == "customer-data-request-9999.json"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    document = json.loads(saved.read_text())
    assert document["request"]["data_request_id"] == 9999
    assert [o["id"] for o in document["data"]["crm"]["orders"]] == [299938]
