"""The webhook log in a real browser: a failed delivery is read, retried and processed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import update

from app import services
from tests.admin_support import ACME_DOMAIN, add_acme
from tests.crm_support import order
from tests.support import signed_webhook
from webhooks.models import DeliveryStatus, WebhookDelivery
from webhooks.rules import MAX_ATTEMPTS, read_headers
from webhooks.service import intake

pytestmark = pytest.mark.browser
T = WebhookDelivery.__table__


def store(topic: str, payload: Any, **values: Any) -> int:
    with services().db.unit_of_work() as uow:
        body, headers = signed_webhook(topic, payload, shop=ACME_DOMAIN)
        receipt = intake.receive_delivery(uow, headers=read_headers(headers), body=body, enqueue=False)
        assert receipt.delivery_id is not None
        uow.session.execute(update(T).where(T.c.id == receipt.delivery_id).values(**values))
        uow.commit()
        return receipt.delivery_id


@pytest.fixture
def deliveries(live_app) -> dict[str, int]:
    with services().db.unit_of_work() as uow:
        add_acme(uow)
    return {
        "processed": store(
            "customers/delete",
            {"id": 706405506930370084},
            status=DeliveryStatus.PROCESSED,
            attempts=1,
            received_at=datetime(2026, 11, 20, 9, 15, tzinfo=UTC),
        ),
        "failed": store(
            "orders/create",
            order(),
            status=DeliveryStatus.FAILED,
            attempts=MAX_ATTEMPTS,
            last_error="OperationalError: server closed the connection unexpectedly",
            received_at=datetime(2026, 11, 21, 16, 40, tzinfo=UTC),
        ),
    }


def test_staff_read_a_failed_delivery_and_retry_it(page, deliveries, screenshots_dir):
    page.goto("/signin")
    page.get_by_label("Shop").select_option(ACME_DOMAIN)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", level=1, name="Acme Wholesale").wait_for()

    page.goto("/webhooks/log")

    page.get_by_role("heading", level=1, name="Webhook log").wait_for()
    table = page.get_by_role("table", name="Webhook deliveries")
    rows = table.locator("tbody tr")
    assert rows.count() == 2
    failed = page.locator(f'tr[data-delivery-id="{deliveries["failed"]}"]')
    assert failed.get_by_role("rowheader").inner_text() == "Nov 21, 2026, 5:40 PM CET"
    assert "OperationalError: server closed the connection unexpectedly" in failed.inner_text()
    assert page.get_by_role("button", name="Retry delivery").count() == 1
    page.get_by_role("alert").get_by_text("1 delivery failed").wait_for()
    page.screenshot(path=str(screenshots_dir / "webhook-log.png"), full_page=True)

    failed.get_by_role("button", name=f"Retry delivery {deliveries['failed']}").click()

    page.get_by_text(f"Delivery {deliveries['failed']} is queued again.").wait_for()
    retried = page.locator(f'tr[data-delivery-id="{deliveries["failed"]}"]')
    assert retried.get_by_text("Processed").is_visible()
    assert page.get_by_role("button", name="Retry delivery").count() == 0
    nav = page.get_by_role("navigation", name="Filter by status")
    assert nav.get_by_role("link", name="Failed (0)").is_visible()
    assert nav.get_by_role("link", name="Processed (2)").is_visible()
