"""Request ids on every response and log line, secrets kept out of logs, and HTML error pages."""

from __future__ import annotations

import json
import logging
import re

import pytest
from flask import Flask, g
from flask.testing import FlaskClient

from app.errors import Conflict, NotFound
from app.logging_setup import REDACTED, JsonFormatter, TextFormatter, record_context, redact

HEX_ID = re.compile(r"^[0-9a-f]{32}$")
TOKEN = "shpat_0123456789abcdef0123456789abcdef"
log = logging.getLogger("tests.request_ids")


@pytest.fixture
def routes(app: Flask) -> FlaskClient:
    """The app with a few test-only routes (added before its first request)."""

    def logs_a_line() -> str:
        log.info("handling the request")
        return g.request_id

    def raises_not_found() -> str:
        raise NotFound("Quote <Q-1> does not exist.")

    def raises_conflict() -> str:
        raise Conflict("The quote was already accepted.")

    def crashes() -> str:
        raise RuntimeError(f"database said no, token {TOKEN}")

    app.add_url_rule("/_test/log", view_func=logs_a_line)
    app.add_url_rule("/_test/not-found", view_func=raises_not_found)
    app.add_url_rule("/api/_test/conflict", view_func=raises_conflict)
    app.add_url_rule("/_test/crash", view_func=crashes)
    return app.test_client()


def test_a_sane_request_id_is_echoed(client: FlaskClient) -> None:
    response = client.get("/healthz", headers={"X-Request-Id": "edge-7f3a.b_2"})

    assert response.headers["X-Request-Id"] == "edge-7f3a.b_2"


def test_a_request_id_is_generated_when_none_is_sent(client: FlaskClient) -> None:
    first = client.get("/healthz").headers["X-Request-Id"]
    second = client.get("/healthz").headers["X-Request-Id"]

    assert HEX_ID.match(first) and HEX_ID.match(second)
    assert first != second


@pytest.mark.parametrize("sent", ["x" * 129, "has space", "semi;colon", "<script>", "ünïcode"])
def test_an_unsafe_request_id_is_replaced(client: FlaskClient, sent: str) -> None:
    response = client.get("/healthz", headers={"X-Request-Id": sent})

    assert HEX_ID.match(response.headers["X-Request-Id"])


def test_every_log_line_of_a_request_carries_its_id(
    routes: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="tests.request_ids"):
        response = routes.get("/_test/log", headers={"X-Request-Id": "req-42"})

    assert response.get_data(as_text=True) == "req-42"
    [record] = [r for r in caplog.records if r.name == "tests.request_ids"]
    assert record_context(record) == {"request_id": "req-42"}
    line = json.loads(JsonFormatter().format(record))
    assert (line["level"], line["logger"], line["msg"], line["request_id"]) == (
        "INFO",
        "tests.request_ids",
        "handling the request",
        "req-42",
    )
    assert TextFormatter().format(record).endswith("handling the request [request_id=req-42]")


def test_log_lines_outside_a_request_have_no_request_id(app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="tests.request_ids"):
        log.info("no request here")

    [record] = caplog.records
    assert "request_id" not in json.loads(JsonFormatter().format(record))


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (f"offline token {TOKEN} stored", f"offline token shpat_{REDACTED} stored"),
        (
            "shpca_SecretA1 / shpua_SecretA2 / shprt_SecretA3 / shpss_SecretA4",
            f"shpca_{REDACTED} / shpua_{REDACTED} / shprt_{REDACTED} / shpss_{REDACTED}",
        ),
        (
            "headers {'X-Shopify-Access-Token': 'SecretB1', 'Accept': 'json'}",
            f"headers {{'X-Shopify-Access-Token': '{REDACTED}', 'Accept': 'json'}}",
        ),
        ("x-shopify-access-token: SecretB2", f"x-shopify-access-token: {REDACTED}"),
        ("Authorization: Bearer SecretC1.eyJzdWIi.sig", f"Authorization: Bearer {REDACTED}"),
        (
            '{"access_token": "SecretD1", "scope": "read_orders"}',
            f'{{"access_token": "{REDACTED}", "scope": "read_orders"}}',
        ),
        (
            "refresh_token=SecretD2&client_secret=SecretD3",
            f"refresh_token={REDACTED}&client_secret={REDACTED}",
        ),
    ],
)
def test_secrets_are_redacted_from_log_lines(
    app: Flask, caplog: pytest.LogCaptureFixture, message: str, expected: str
) -> None:
    with caplog.at_level(logging.INFO, logger="tests.request_ids"):
        log.info("%s", message)

    [record] = caplog.records
    assert record.getMessage() == expected
    assert secret_free(caplog.text)


def secret_free(text: str) -> bool:
    return TOKEN not in text and "Secret" not in text


def test_secrets_in_exceptions_are_redacted_from_the_traceback(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="tests.request_ids"):
        try:
            raise ValueError(f"Shopify refused {TOKEN}")
        except ValueError:
            log.exception("call failed with Bearer SecretE1")

    [record] = caplog.records
    assert record.getMessage() == f"call failed with Bearer {REDACTED}"
    assert f"ValueError: Shopify refused shpat_{REDACTED}" in record.exc_text
    assert secret_free(caplog.text)
    assert secret_free(JsonFormatter().format(record))


def test_the_app_log_handler_writes_redacted_json_lines(
    app: Flask, capsys: pytest.CaptureFixture[str]
) -> None:
    from app.logging_setup import configure_logging

    configure_logging("INFO", "json")
    try:
        log.warning("token %s", TOKEN)
    finally:
        configure_logging("INFO", "text")

    [line] = [json.loads(x) for x in capsys.readouterr().err.splitlines() if "tests.request_ids" in x]
    assert (line["level"], line["msg"]) == ("WARNING", f"token shpat_{REDACTED}")


def test_redact_leaves_ordinary_text_alone() -> None:
    text = "shop acme.myshopify.com synced 12 customers; bearer of good news; shpat without underscore"
    assert redact(text) == text


def test_domain_error_in_an_html_view_renders_a_clear_page(routes: FlaskClient) -> None:
    response = routes.get("/_test/not-found", headers={"X-Request-Id": "req-404"})

    assert response.status_code == 404
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "<h1>Not found</h1>" in page
    assert "<p>Quote &lt;Q-1&gt; does not exist.</p>" in page
    assert "<code>req-404</code>" in page


def test_domain_error_under_api_without_its_own_handler_is_problem_json(routes: FlaskClient) -> None:
    response = routes.get("/api/_test/conflict")

    assert response.status_code == 409
    assert response.mimetype == "application/problem+json"
    assert response.get_json() == {
        "type": "about:blank",
        "title": "Conflict",
        "status": 409,
        "detail": "The quote was already accepted.",
    }


def test_unexpected_error_page_reveals_nothing_but_the_reference(app: Flask, routes: FlaskClient) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False

    response = routes.get("/_test/crash", headers={"X-Request-Id": "req-500"})

    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "<h1>Internal server error</h1>" in page
    assert "<code>req-500</code>" in page
    assert "database said no" not in page and TOKEN not in page
