"""POST /webhooks: signature, headers, shop and body checks, dedupe, and what each answer stores."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from app import services
from app.db import utcnow
from app.shops import get_shop, install_shop, uninstall_shop
from crm.models import CrmOrder, CrmTimelineEvent
from tests.crm_support import customer, make_shop, order
from tests.support import API_SECRET, PREVIOUS_API_SECRET, signed_webhook
from webhooks.models import DeliveryStatus, WebhookDelivery
from webhooks.views import DEFER_PROCESSING

REQUIRED_HEADERS = (
    "X-Shopify-Topic",
    "X-Shopify-Shop-Domain",
    "X-Shopify-Webhook-Id",
    "X-Shopify-API-Version",
)


@pytest.fixture
def shop_id(app: Flask) -> int:
    with services().db.unit_of_work() as uow:
        shop_id = make_shop(uow)
        uow.commit()
    return shop_id


def post(client: FlaskClient, topic: str, payload: Any, **options: Any) -> Any:
    body, headers = signed_webhook(topic, payload, **options)
    return client.post("/webhooks", data=body, headers=headers)


def deliveries() -> list[WebhookDelivery]:
    with services().db.unit_of_work() as uow:
        rows = list(uow.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))
        uow.session.expunge_all()  # readable after the unit of work ends
        return rows


def count(model: Any) -> int:
    with services().db.unit_of_work() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(model)) or 0)


def test_a_signed_delivery_is_stored_answered_200_and_processed(client: FlaskClient, shop_id: int) -> None:
    payload = order()
    response = post(
        client,
        "orders/create",
        payload,
        webhook_id="b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
        event_id="98880550-7158-44d4-b7cd-2c97c8a091b5",
        triggered_at="2026-05-02T14:30:05.877041743Z",
    )

    assert (response.status_code, response.get_data(as_text=True)) == (200, "stored")
    [row] = deliveries()
    assert (
        row.shop_id,
        row.topic,
        row.webhook_id,
        row.event_id,
        row.triggered_at,
        row.api_version,
        row.payload,
        row.status,
        row.attempts,
        row.last_error,
    ) == (
        shop_id,
        "orders/create",
        "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
        "98880550-7158-44d4-b7cd-2c97c8a091b5",
        datetime(2026, 5, 2, 14, 30, 5, 877041, tzinfo=UTC),
        "2026-04",
        payload,
        DeliveryStatus.PROCESSED,
        1,
        None,
    )
    assert row.processed_at is not None and row.processed_at >= row.received_at
    assert count(CrmOrder) == 1


def test_a_tampered_body_is_refused_with_401_and_nothing_is_stored(client: FlaskClient, shop_id: int) -> None:
    body, headers = signed_webhook("orders/create", order(total="298.77"))

    response = client.post("/webhooks", data=body.replace(b"298.77", b"2.77"), headers=headers)

    assert (response.status_code, response.get_data(as_text=True)) == (401, "Invalid HMAC")
    assert deliveries() == []
    assert count(CrmOrder) == 0


def test_a_delivery_signed_with_another_secret_is_refused(client: FlaskClient, shop_id: int) -> None:
    response = post(client, "orders/create", order(), secret="shpss_an_other_apps_secret_0000000000")

    assert response.status_code == 401
    assert deliveries() == []


def test_the_previous_secret_is_refused_unless_configured(client: FlaskClient, shop_id: int) -> None:
    assert post(client, "orders/create", order(), secret=PREVIOUS_API_SECRET).status_code == 401
    assert deliveries() == []


class TestDuringASecretRotation:
    @pytest.fixture
    def app_config(self, app_config: dict[str, Any]) -> dict[str, Any]:
        return {**app_config, "SHOPIFY_API_SECRET_PREVIOUS": PREVIOUS_API_SECRET}

    def test_the_previous_secret_is_accepted(self, client: FlaskClient, shop_id: int) -> None:
        assert post(client, "orders/create", order(), secret=PREVIOUS_API_SECRET).status_code == 200
        assert post(client, "orders/create", order(order_id=2), secret=API_SECRET).status_code == 200
        assert [d.status for d in deliveries()] == [DeliveryStatus.PROCESSED, DeliveryStatus.PROCESSED]


def test_a_delivery_without_a_signature_is_refused_with_400(client: FlaskClient, shop_id: int) -> None:
    body, headers = signed_webhook("orders/create", order())
    del headers["X-Shopify-Hmac-Sha256"]

    response = client.post("/webhooks", data=body, headers=headers)

    assert (response.status_code, response.get_data(as_text=True)) == (
        400,
        "Missing header: X-Shopify-Hmac-Sha256",
    )
    assert deliveries() == []


@pytest.mark.parametrize("missing", REQUIRED_HEADERS)
def test_a_signed_delivery_missing_a_required_header_is_refused_with_400(
    client: FlaskClient, shop_id: int, missing: str
) -> None:
    body, headers = signed_webhook("orders/create", order())
    del headers[missing]

    response = client.post("/webhooks", data=body, headers=headers)

    assert (response.status_code, response.get_data(as_text=True)) == (400, f"Missing header(s): {missing}")
    assert deliveries() == []


def test_headers_are_read_whatever_their_case(client: FlaskClient, shop_id: int) -> None:
    body, headers = signed_webhook("orders/create", order())

    response = client.post("/webhooks", data=body, headers={k.lower(): v for k, v in headers.items()})

    assert response.status_code == 200
    assert [d.status for d in deliveries()] == [DeliveryStatus.PROCESSED]


def test_malformed_json_with_a_valid_signature_is_answered_400_and_stored_once_as_failed(
    client: FlaskClient, shop_id: int
) -> None:
    for _ in range(3):  # Shopify's retries of the same delivery
        response = post(
            client, "orders/create", b'{"id": 820982911946154508, "name": "#1001"', webhook_id="w-1"
        )

        assert response.status_code == 400
        assert response.get_data(as_text=True).startswith("the body is not JSON: ")

    [row] = deliveries()
    assert (row.webhook_id, row.status, row.payload, row.attempts) == ("w-1", DeliveryStatus.FAILED, None, 0)
    assert row.last_error is not None and row.last_error.startswith("the body is not JSON: ")
    assert count(CrmOrder) == 0


@pytest.mark.parametrize("body", [b"[1, 2]", b'"orders"', b"null", b"\xff\xfe{"])
def test_a_body_that_is_no_json_object_is_malformed(client: FlaskClient, shop_id: int, body: bytes) -> None:
    response = post(client, "orders/create", body)

    assert response.status_code == 400
    [row] = deliveries()
    assert (row.status, row.payload) == (DeliveryStatus.FAILED, None)


def test_a_shop_that_never_installed_is_refused_with_404_and_nothing_is_stored(
    client: FlaskClient, shop_id: int
) -> None:
    response = post(client, "orders/create", order(), shop="stranger.myshopify.com")

    assert (response.status_code, response.get_data(as_text=True)) == (
        404,
        "stranger.myshopify.com has not installed this app",
    )
    assert deliveries() == []


def test_a_shop_header_that_is_no_myshopify_domain_is_refused(client: FlaskClient, shop_id: int) -> None:
    response = post(client, "orders/create", order(), shop="evil.example.com")

    assert response.status_code == 400
    assert deliveries() == []


def test_an_uninstalled_shop_still_gets_its_compliance_topics_and_nothing_else_is_processed(
    app: Flask, client: FlaskClient, shop_id: int
) -> None:
    app.config[DEFER_PROCESSING] = True
    with services().db.unit_of_work() as uow:
        uninstall_shop(uow, shop_id=shop_id)
        uow.commit()
    redact = {"shop_id": 954889, "shop_domain": "acme.myshopify.com"}

    answers = [
        post(client, "shop/redact", redact).status_code,
        post(
            client, "customers/redact", {**redact, "customer": {"id": 191167}, "orders_to_redact": []}
        ).status_code,
        post(client, "app/uninstalled", {"id": 954889, "domain": "acme.myshopify.com"}).status_code,
        post(client, "orders/create", order()).status_code,
    ]

    assert answers == [200, 200, 200, 200]
    assert [(d.topic, d.status, d.last_error) for d in deliveries()] == [
        ("shop/redact", DeliveryStatus.RECEIVED, None),
        ("customers/redact", DeliveryStatus.RECEIVED, None),
        ("app/uninstalled", DeliveryStatus.RECEIVED, None),
        ("orders/create", DeliveryStatus.IGNORED, "the shop had uninstalled the app"),
    ]


def test_app_uninstalled_through_the_intake_uninstalls_the_shop_and_later_topics_are_only_acknowledged(
    client: FlaskClient, shop_id: int
) -> None:
    uninstalled = post(
        client,
        "app/uninstalled",
        {"id": 548380009, "domain": "acme.myshopify.com"},
        triggered_at=(utcnow() + timedelta(seconds=1)).isoformat(),
    )
    late = post(client, "orders/create", order())

    assert (uninstalled.status_code, late.status_code) == (200, 200)
    with services().db.unit_of_work() as uow:
        assert get_shop(uow, shop_id=shop_id).is_installed is False
    assert [(d.topic, d.status) for d in deliveries()] == [
        ("app/uninstalled", DeliveryStatus.PROCESSED),
        ("orders/create", DeliveryStatus.IGNORED),
    ]
    assert count(CrmOrder) == 0


def test_a_reinstalled_shop_is_processed_again(client: FlaskClient, shop_id: int) -> None:
    with services().db.unit_of_work() as uow:
        uninstall_shop(uow, shop_id=shop_id)
        install_shop(uow, domain="acme.myshopify.com")
        uow.commit()

    assert post(client, "orders/create", order()).status_code == 200
    assert [d.status for d in deliveries()] == [DeliveryStatus.PROCESSED]


def test_an_unknown_topic_is_acknowledged_and_stored_as_ignored(client: FlaskClient, shop_id: int) -> None:
    response = post(client, "carts/update", {"id": "c1", "token": "c1"})

    assert (response.status_code, response.get_data(as_text=True)) == (
        200,
        "no handler for topic carts/update",
    )
    [row] = deliveries()
    assert (row.status, row.attempts, row.last_error) == (
        DeliveryStatus.IGNORED,
        0,
        "no handler for topic carts/update",
    )


def test_the_same_delivery_five_times_is_one_row_processed_once_with_one_timeline_event(
    client: FlaskClient, shop_id: int
) -> None:
    answers = [
        post(client, "customers/create", customer(), webhook_id="same-delivery").get_data(as_text=True)
        for _ in range(5)
    ]

    assert answers == ["stored"] + ["duplicate delivery"] * 4
    [row] = deliveries()
    assert (row.status, row.attempts) == (DeliveryStatus.PROCESSED, 1)
    assert count(CrmTimelineEvent) == 1


def test_the_same_webhook_id_for_two_shops_is_two_deliveries(client: FlaskClient, shop_id: int) -> None:
    with services().db.unit_of_work() as uow:
        make_shop(uow, domain="globex.myshopify.com")
        uow.commit()

    post(client, "customers/create", customer(), webhook_id="w")
    post(client, "customers/create", customer(), webhook_id="w", shop="globex.myshopify.com")

    assert [d.status for d in deliveries()] == [DeliveryStatus.PROCESSED, DeliveryStatus.PROCESSED]


def test_a_body_over_the_size_limit_is_refused_before_it_is_read(client: FlaskClient, shop_id: int) -> None:
    body = b"{" + b" " * (10 * 1024 * 1024) + b"}"
    _, headers = signed_webhook("orders/create", b"{}")

    response = client.post("/webhooks", data=body, headers=headers)

    assert response.status_code == 413
    assert deliveries() == []


def test_only_post_is_allowed(client: FlaskClient) -> None:
    assert client.get("/webhooks").status_code == 405


class TestWhenRedisIsDown:
    @pytest.fixture
    def app_config(self, app_config: dict[str, Any]) -> dict[str, Any]:
        # A port nothing listens on: every enqueue fails at once.
        return {**app_config, "REDIS_URL": "redis://127.0.0.1:9/0"}

    def test_deliveries_are_still_stored_and_answered_200(self, client: FlaskClient, shop_id: int) -> None:
        answers = [post(client, "orders/create", order(order_id=n)).status_code for n in (1, 2, 3)]

        assert answers == [200, 200, 200]
        assert [(d.status, d.attempts) for d in deliveries()] == [(DeliveryStatus.RECEIVED, 0)] * 3


def test_the_intake_leaves_its_pooled_connection_transactional(live_app: Flask) -> None:
    # On PostgreSQL the intake's single INSERT runs in autocommit mode; the pool must get the
    # connection back in the normal mode, or later units of work would silently not roll back.
    with services().db.unit_of_work() as uow:
        make_shop(uow)
        uow.commit()

    assert post(live_app.test_client(), "customers/delete", {"id": 1}).status_code == 200

    with services().db.unit_of_work() as uow:
        assert uow.session.connection().get_isolation_level() != "AUTOCOMMIT"
        uow.session.execute(update(WebhookDelivery).values(topic="changed"))
    assert [d.topic for d in deliveries()] == ["customers/delete"]  # rolled back
