"""The admin's webhook log: deliveries in the shop's time, status and topic filters, and Retry."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from app import services
from tests.admin_support import add_acme, sign_in
from tests.crm_support import make_shop, order
from tests.support import signed_webhook
from webhooks.models import DeliveryStatus, WebhookDelivery
from webhooks.rules import MAX_ATTEMPTS, read_headers
from webhooks.service import inbox, intake

T = WebhookDelivery.__table__
ROW_RE = re.compile(r'<tr data-delivery-id="(\d+)">')
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def acme(app: Flask) -> int:
    with services().db.unit_of_work() as uow:
        return add_acme(uow).id


def store(topic: str, payload: Any, *, shop: str = "acme-wholesale.myshopify.com", **values: Any) -> int:
    """A delivery stored through the intake (no job), then given `values` (status, times...)."""
    with services().db.unit_of_work() as uow:
        body, headers = signed_webhook(topic, payload, shop=shop)
        receipt = intake.receive_delivery(uow, headers=read_headers(headers), body=body, enqueue=False)
        assert receipt.delivery_id is not None
        if values:
            uow.session.execute(update(T).where(T.c.id == receipt.delivery_id).values(**values))
        uow.commit()
        return receipt.delivery_id


def fail(delivery_id: int, error: str = "OperationalError: server closed the connection") -> None:
    with services().db.unit_of_work() as uow:
        uow.session.execute(
            update(T)
            .where(T.c.id == delivery_id)
            .values(status=DeliveryStatus.FAILED, attempts=MAX_ATTEMPTS, last_error=error)
        )
        uow.commit()


def status_of(delivery_id: int) -> tuple[DeliveryStatus, int]:
    with services().db.unit_of_work() as uow:
        row = uow.session.execute(select(T.c.status, T.c.attempts).where(T.c.id == delivery_id)).one()
        return row.status, row.attempts


def listed(html: str) -> list[int]:
    return [int(i) for i in ROW_RE.findall(html)]


def test_the_log_is_only_for_signed_in_staff(client: FlaskClient, acme: int) -> None:
    response = client.get("/webhooks/log")

    assert response.status_code == 302
    assert response.headers["Location"] == "/signin?next=/webhooks/log"


def test_before_any_delivery_the_log_explains_what_will_appear(client: FlaskClient, acme: int) -> None:
    sign_in(client, acme)

    html = client.get("/webhooks/log").get_data(as_text=True)

    assert "No webhooks received yet" in html
    assert "<table" not in html


def test_the_log_lists_the_shops_deliveries_newest_first_in_the_shops_time(
    client: FlaskClient, acme: int
) -> None:
    with services().db.unit_of_work() as uow:
        make_shop(uow, domain="globex.myshopify.com")
        uow.commit()
    first = store("orders/create", order(order_id=1), received_at=datetime(2026, 3, 1, 23, 30, tzinfo=UTC))
    store("orders/create", order(order_id=2), shop="globex.myshopify.com")
    second = store("customers/delete", {"id": 7}, received_at=datetime(2026, 7, 1, 12, 5, tzinfo=UTC))
    fail(second, "InvalidInput: the Customer payload has no id")
    sign_in(client, acme)

    html = client.get("/webhooks/log").get_data(as_text=True)

    assert listed(html) == [second, first]
    assert "Mar 2, 2026, 12:30 AM CET" in html  # Berlin, where the shop is
    assert "Jul 1, 2026, 2:05 PM CEST" in html
    assert "InvalidInput: the Customer payload has no id" in html
    assert "All (2)" in html and "Failed (1)" in html and "Received (1)" in html
    assert html.count('aria-label="Retry delivery') == 1
    assert f'aria-label="Retry delivery {second}"' in html


def test_the_log_filters_by_status_and_topic(client: FlaskClient, acme: int) -> None:
    orders = [store("orders/create", order(order_id=n)) for n in (1, 2)]
    deletion = store("customers/delete", {"id": 7})
    fail(orders[0])
    sign_in(client, acme)

    assert listed(client.get("/webhooks/log?status=failed").get_data(as_text=True)) == [orders[0]]
    assert listed(client.get("/webhooks/log?topic=orders/create").get_data(as_text=True)) == orders[::-1]
    assert listed(
        client.get("/webhooks/log?status=received&topic=customers/delete").get_data(as_text=True)
    ) == [deletion]
    nothing = client.get("/webhooks/log?status=ignored").get_data(as_text=True)
    assert listed(nothing) == [] and "No deliveries match this filter" in nothing
    assert listed(client.get("/webhooks/log?status=bogus").get_data(as_text=True)) == [
        deletion,
        *orders[::-1],
    ]


def test_older_deliveries_are_a_page_away(
    client: FlaskClient, acme: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(inbox, "LOG_PAGE_SIZE", 2)
    ids = [store("customers/delete", {"id": n}) for n in (1, 2, 3)]
    sign_in(client, acme)

    first_page = client.get("/webhooks/log").get_data(as_text=True)
    older = re.search(r'href="(/webhooks/log\?before=\d+)"', first_page)

    assert listed(first_page) == [ids[2], ids[1]]
    assert older is not None
    assert listed(client.get(older.group(1)).get_data(as_text=True)) == [ids[0]]


def _csrf(client: FlaskClient) -> str:
    match = CSRF_RE.search(client.get("/webhooks/log").get_data(as_text=True))
    assert match is not None
    return match.group(1)


def test_retry_queues_a_failed_delivery_again_and_it_is_processed(client: FlaskClient, acme: int) -> None:
    delivery_id = store("orders/create", order())
    fail(delivery_id)
    sign_in(client, acme)

    response = client.post(
        f"/webhooks/log/{delivery_id}/retry", data={"csrf_token": _csrf(client), "status": "failed"}
    )

    assert response.status_code == 303
    assert response.headers["Location"] == "/webhooks/log?status=failed"
    assert status_of(delivery_id) == (DeliveryStatus.PROCESSED, 1)  # jobs run inline in tests
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Delivery {delivery_id} is queued again." in page
    assert "No deliveries match this filter" in page


def test_retry_without_the_forms_token_changes_nothing(client: FlaskClient, acme: int) -> None:
    delivery_id = store("orders/create", order())
    fail(delivery_id)
    sign_in(client, acme)

    response = client.post(f"/webhooks/log/{delivery_id}/retry", data={"csrf_token": "forged"})

    assert response.status_code == 400
    assert status_of(delivery_id) == (DeliveryStatus.FAILED, MAX_ATTEMPTS)


def test_retry_of_another_shops_delivery_is_not_found(client: FlaskClient, acme: int) -> None:
    with services().db.unit_of_work() as uow:
        make_shop(uow, domain="globex.myshopify.com")
        uow.commit()
    theirs = store("orders/create", order(), shop="globex.myshopify.com")
    fail(theirs)
    sign_in(client, acme)

    response = client.post(f"/webhooks/log/{theirs}/retry", data={"csrf_token": _csrf(client)})

    assert response.status_code == 404
    assert status_of(theirs) == (DeliveryStatus.FAILED, MAX_ATTEMPTS)


def test_retry_of_a_delivery_that_did_not_fail_says_why_and_changes_nothing(
    client: FlaskClient, acme: int
) -> None:
    delivery_id = store("orders/create", order())
    sign_in(client, acme)

    response = client.post(f"/webhooks/log/{delivery_id}/retry", data={"csrf_token": _csrf(client)})

    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"delivery {delivery_id} is received; only failed deliveries are retried" in page
    assert status_of(delivery_id) == (DeliveryStatus.RECEIVED, 0)
