"""POST /webhooks answered in front of Flask (webhooks.wsgi): request ids, errors, methods, same answers."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import Client

from app.logging_setup import record_context
from tests.crm_support import order
from tests.functional.test_webhook_intake import shop_id  # noqa: F401 (the fixture)
from tests.support import signed_webhook
from webhooks.service import intake
from webhooks.wsgi import IntakeDispatcher

HEX_ID = re.compile(r"^[0-9a-f]{32}$")
# Every test posts for the installed shop acme.myshopify.com.
pytestmark = pytest.mark.usefixtures("shop_id")


def post(client: Client, topic: str = "orders/create", payload: Any = None, **headers: str) -> Any:
    body, signed = signed_webhook(topic, order() if payload is None else payload)
    return client.post("/webhooks", data=body, headers={**signed, **headers})


def test_the_app_answers_deliveries_in_front_of_flask(app: Flask) -> None:
    assert isinstance(app.wsgi_app, IntakeDispatcher)


def test_a_delivery_echoes_a_sane_request_id(client: FlaskClient) -> None:
    response = post(client, **{"X-Request-Id": "edge-7f3a.b_2"})

    assert (response.status_code, response.get_data(as_text=True)) == (200, "stored")
    assert response.headers["X-Request-Id"] == "edge-7f3a.b_2"
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"


def test_a_delivery_gets_a_fresh_request_id_when_none_or_an_unsafe_one_is_sent(client: FlaskClient) -> None:
    first = post(client).headers["X-Request-Id"]
    second = post(client, **{"X-Request-Id": "<script>"}).headers["X-Request-Id"]

    assert HEX_ID.match(first) and HEX_ID.match(second)
    assert first != second


def test_a_refusal_is_logged_with_the_request_id(
    client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    body, headers = signed_webhook("orders/create", order())
    headers["X-Shopify-Hmac-Sha256"] = "bm90IHRoZSBzaWduYXR1cmU="

    with caplog.at_level(logging.WARNING, logger="webhooks.wsgi"):
        response = client.post("/webhooks", data=body, headers={**headers, "X-Request-Id": "rid-401"})

    assert (response.status_code, response.get_data(as_text=True)) == (401, "Invalid HMAC")
    [record] = [r for r in caplog.records if r.name == "webhooks.wsgi"]
    assert (
        record.getMessage()
        == "webhook refused: invalid HMAC (topic 'orders/create', shop 'acme.myshopify.com')"
    )
    assert record_context(record) == {"request_id": "rid-401"}


def test_a_body_over_the_limit_is_413_with_the_request_id(client: FlaskClient) -> None:
    body = b"{" + b" " * intake.MAX_BODY_BYTES + b"}"
    _, headers = signed_webhook("orders/create", b"{}")

    response = client.post("/webhooks", data=body, headers={**headers, "X-Request-Id": "rid-413"})

    assert response.status_code == 413
    assert response.headers["X-Request-Id"] == "rid-413"
    assert "Request Entity Too Large" in response.get_data(as_text=True)


@pytest.mark.parametrize("method", ["GET", "HEAD", "PUT", "DELETE"])
def test_other_methods_are_answered_405_by_flask(client: FlaskClient, method: str) -> None:
    response = client.open("/webhooks", method=method, headers={"X-Request-Id": "rid-405"})

    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) == {"POST", "OPTIONS"}  # a set: any order
    assert response.headers["X-Request-Id"] == "rid-405"


class FailingIntake:
    """Stands in for intake.receive: records the call, then fails as a lost database would."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        raise RuntimeError("the database went away")


def test_an_error_propagates_under_tests_as_flask_lets_it(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    failing = FailingIntake()
    monkeypatch.setattr(intake, "receive", failing)

    with pytest.raises(RuntimeError, match="the database went away"):
        post(client)
    assert failing.calls == 1


def test_an_error_is_logged_and_answered_500_in_production(
    app: Flask,
    client: FlaskClient,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False
    monkeypatch.setattr(intake, "receive", FailingIntake())

    with caplog.at_level(logging.ERROR, logger="app"):
        response = post(client, **{"X-Request-Id": "rid-500"})

    assert response.status_code == 500
    assert response.headers["X-Request-Id"] == "rid-500"
    page = response.get_data(as_text=True)
    assert "Internal server error" in page and "<code>rid-500</code>" in page
    [record] = [r for r in caplog.records if r.name == "app"]
    assert record.getMessage() == "Exception on /webhooks [POST]"
    assert record.exc_info is not None and str(record.exc_info[1]) == "the database went away"
    assert record_context(record) == {"request_id": "rid-500"}


@pytest.mark.parametrize(
    ("payload", "headers"),
    [
        (order(order_id=1), {}),
        (b"[1, 2]", {}),
        (order(order_id=2), {"X-Shopify-Hmac-Sha256": "bm9wZQ=="}),
        (order(order_id=3), {"X-Shopify-Topic": ""}),
        (order(order_id=4), {"X-Shopify-Shop-Domain": "globex.myshopify.com"}),
    ],
)
def test_the_flask_route_answers_as_the_dispatcher_does(
    app: Flask, client: FlaskClient, payload: Any, headers: dict[str, str]
) -> None:
    assert isinstance(app.wsgi_app, IntakeDispatcher)
    flask_only = Client(app.wsgi_app.wsgi_app)
    body, signed = signed_webhook("orders/create", payload, webhook_id="same-id")

    by_flask = flask_only.post("/webhooks", data=body, headers={**signed, **headers})
    by_dispatcher = client.post("/webhooks", data=body, headers={**signed, **headers})

    assert by_flask.status_code == by_dispatcher.status_code
    assert by_flask.headers["Content-Type"] == by_dispatcher.headers["Content-Type"]
    # The dispatcher sees the delivery second: a stored one is then a duplicate.
    expected = "duplicate delivery" if by_flask.get_data() == b"stored" else by_flask.get_data(as_text=True)
    assert by_dispatcher.get_data(as_text=True) == expected
