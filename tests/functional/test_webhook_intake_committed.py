"""POST /webhooks on real commits (no test transaction): on PostgreSQL the intake's INSERT runs prepared
on its thread's libpq connection (app.db.prepared), on SQLite on an autocommit connection; same answers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import exc, select, text

from app import services
from app.db.prepared import direct_connections
from app.shops import uninstall_shop
from tests.crm_support import make_shop, order
from tests.support import signed_webhook
from webhooks.models import DeliveryStatus, WebhookDelivery
from webhooks.views import DEFER_PROCESSING

SHOP = "acme.myshopify.com"


@pytest.fixture
def client(live_app: Flask) -> FlaskClient:
    live_app.config[DEFER_PROCESSING] = True  # store only: the rows stay as the intake wrote them
    return live_app.test_client()


@pytest.fixture
def shop_id(live_app: Flask) -> int:
    with services().db.unit_of_work() as uow:
        shop_id = make_shop(uow, domain=SHOP)
        uow.commit()
    return shop_id


def post(client: FlaskClient, topic: str, payload: Any, **options: Any) -> tuple[int, str]:
    body, headers = signed_webhook(topic, payload, **options)
    response = client.post("/webhooks", data=body, headers=headers)
    return response.status_code, response.get_data(as_text=True)


def stored() -> list[tuple[Any, ...]]:
    with services().db.unit_of_work() as uow:
        rows = uow.session.execute(
            select(
                WebhookDelivery.shop_id,
                WebhookDelivery.webhook_id,
                WebhookDelivery.topic,
                WebhookDelivery.event_id,
                WebhookDelivery.triggered_at,
                WebhookDelivery.api_version,
                WebhookDelivery.payload,
                WebhookDelivery.status,
                WebhookDelivery.attempts,
                WebhookDelivery.last_error,
                WebhookDelivery.processed_at.is_not(None),
            ).order_by(WebhookDelivery.id)
        )
        return [tuple(row) for row in rows]


def test_a_new_delivery_is_committed_with_every_column_as_received(client: FlaskClient, shop_id: int) -> None:
    payload = order(order_id=7, total="12.50")

    answer = post(client, "orders/create", payload, webhook_id="w-1", event_id="e-1")

    assert answer == (200, "stored")
    triggered = datetime(2026, 5, 1, 15, 0, 0, 123456, tzinfo=UTC)
    assert stored() == [
        (
            shop_id,
            "w-1",
            "orders/create",
            "e-1",
            triggered,
            "2026-04",
            payload,
            DeliveryStatus.RECEIVED,
            0,
            None,
            False,
        )
    ]


def test_a_repeated_delivery_is_answered_200_and_stored_once(client: FlaskClient, shop_id: int) -> None:
    answers = [post(client, "orders/create", order(order_id=7), webhook_id="w-1") for _ in range(3)]

    assert answers == [(200, "stored"), (200, "duplicate delivery"), (200, "duplicate delivery")]
    assert [row[1] for row in stored()] == ["w-1"]


def test_a_shop_that_never_installed_is_refused_and_nothing_is_stored(
    client: FlaskClient, shop_id: int
) -> None:
    answer = post(client, "orders/create", order(order_id=7), shop="other.myshopify.com")

    assert answer == (404, "other.myshopify.com has not installed this app")
    assert stored() == []


def test_an_uninstalled_shop_gets_compliance_topics_stored_and_others_ignored(
    client: FlaskClient, shop_id: int
) -> None:
    with services().db.unit_of_work() as uow:
        uninstall_shop(uow, shop_id=shop_id)
        uow.commit()

    answers = [
        post(client, "customers/redact", {"shop_domain": SHOP, "customer": {"id": 1}}, webhook_id="w-1"),
        post(client, "orders/create", order(order_id=7), webhook_id="w-2"),
    ]

    assert answers == [(200, "stored"), (200, "the shop had uninstalled the app")]
    assert [(row[1], row[7], row[9], row[10]) for row in stored()] == [
        ("w-1", DeliveryStatus.RECEIVED, None, False),
        ("w-2", DeliveryStatus.IGNORED, "the shop had uninstalled the app", True),
    ]


def test_a_malformed_body_is_stored_once_as_failed_and_its_retries_get_the_same_400(
    client: FlaskClient, shop_id: int
) -> None:
    answers = [post(client, "orders/create", b"[1, 2]", webhook_id="w-1") for _ in range(2)]

    reason = "the body is JSON but not an object (a list)"
    assert answers == [(400, reason), (400, reason)]
    assert [(row[6], row[7], row[9]) for row in stored()] == [(None, DeliveryStatus.FAILED, reason)]


def test_a_dropped_database_connection_fails_one_request_and_the_next_reconnects(
    client: FlaskClient, shop_id: int
) -> None:
    db = services().db
    direct = direct_connections(db)
    if db.engine.dialect.name != "postgresql":
        # SQLite has no server connection to lose: the intake runs on the engine's own connections.
        assert direct is None
        assert post(client, "orders/create", order(order_id=7)) == (200, "stored")
        return
    assert direct is not None
    assert post(client, "orders/create", order(order_id=7), webhook_id="w-1") == (200, "stored")
    with db.engine.connect() as admin:
        admin.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND query LIKE '%webhooks_inbox%'"
            )
        )

    with pytest.raises(exc.OperationalError):
        post(client, "orders/create", order(order_id=8), webhook_id="w-2")
    after = post(client, "orders/create", order(order_id=9), webhook_id="w-3")

    assert after == (200, "stored")
    assert [row[1] for row in stored()] == ["w-1", "w-3"]
