"""Webhook rules without a database: headers read case-insensitively, the HMAC check, timestamps."""

from __future__ import annotations

import base64
import random
from datetime import UTC, datetime

import pytest
from shopify_app import ShopifyApp

from webhooks.rules import (
    DeliveryHeaders,
    error_text,
    parse_triggered_at,
    read_headers,
    sign,
    verify_hmac,
)

SECRET = "shpss_0123456789abcdef0123456789abcdef"
PREVIOUS = "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"
BODY = b'{"id":820982911946154508,"name":"#1001"}'


def test_platform_test_vector_signs_and_verifies() -> None:
    # PLATFORM.md section 2.2: secret "hush", body {"id":820982911946154508}.
    body = b'{"id":820982911946154508}'
    assert sign(body, "hush") == "qBvrsZF7RfB1iS6BX6IHqJTp5L911P7intnPeTPsH0I="
    assert verify_hmac(body, "qBvrsZF7RfB1iS6BX6IHqJTp5L911P7intnPeTPsH0I=", ["hush"]) is True


def test_a_tampered_body_fails_the_check() -> None:
    signature = sign(BODY, SECRET)
    assert verify_hmac(BODY.replace(b"1001", b"1002"), signature, [SECRET]) is False


def test_a_signature_made_with_another_secret_fails() -> None:
    assert verify_hmac(BODY, sign(BODY, "shpss_not_ours"), [SECRET]) is False


def test_the_previous_secret_is_accepted_during_a_rotation() -> None:
    signature = sign(BODY, PREVIOUS)
    assert verify_hmac(BODY, signature, [SECRET, PREVIOUS]) is True
    assert verify_hmac(BODY, signature, [SECRET]) is False


@pytest.mark.parametrize(
    "header",
    [
        "",
        "not base64!",
        "qBvrsZF7RfB1iS6BX6IHqJTp5L911P7intnPeTPsH0",
        "é" * 44,
        base64.b64encode(b"short").decode(),
    ],
)
def test_headers_that_are_no_signature_fail_without_raising(header: str) -> None:
    assert verify_hmac(BODY, header, [SECRET]) is False


def test_no_secret_verifies_nothing() -> None:
    assert verify_hmac(BODY, sign(BODY, ""), ["", ""]) is False


def test_the_check_agrees_with_shopifyapp_on_every_body_it_can_take() -> None:
    # The SDK checks str bodies; on those (and on both secrets) both checks must say the same.
    sdk = ShopifyApp(client_id="key", client_secret=SECRET, old_client_secret=PREVIOUS)
    rng = random.Random(20261122)
    for _ in range(200):
        text = "".join(rng.choice('{}[]",:0123456789abcxyzé€ \n') for _ in range(rng.randint(0, 80)))
        body = text.encode()
        for signature in (
            sign(body, SECRET),
            sign(body, PREVIOUS),
            sign(body, "other"),
            sign(body + b" ", SECRET),
        ):
            request = {
                "method": "POST",
                "headers": {"X-Shopify-Hmac-Sha256": signature, "X-Shopify-Shop-Domain": "a.myshopify.com"},
                "url": "https://tradeline.test/webhooks",
                "body": text,
            }
            assert verify_hmac(body, signature, [SECRET, PREVIOUS]) is sdk.verify_webhook_req(request).ok


def test_headers_are_read_whatever_their_case_and_with_or_without_the_x_prefix() -> None:
    headers = read_headers(
        {
            "x-shopify-topic": "orders/create",
            "X-SHOPIFY-HMAC-SHA256": "sig",
            "X-Shopify-Shop-Domain": " acme.myshopify.com ",
            "x-Shopify-Webhook-id": "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
            "Shopify-API-Version": "2026-04",
            "X-Shopify-Triggered-At": "2023-03-29T18:00:27.877041743Z",
            "X-Shopify-Event-Id": "98880550-7158-44d4-b7cd-2c97c8a091b5",
        }
    )
    assert headers == DeliveryHeaders(
        topic="orders/create",
        hmac="sig",
        shop_domain="acme.myshopify.com",
        webhook_id="b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
        api_version="2026-04",
        triggered_at="2023-03-29T18:00:27.877041743Z",
        event_id="98880550-7158-44d4-b7cd-2c97c8a091b5",
    )
    assert headers.missing() == []


def test_missing_and_blank_required_headers_are_named_as_documented() -> None:
    headers = read_headers({"X-Shopify-Topic": "orders/create", "X-Shopify-Webhook-Id": "  "})
    assert headers.missing() == [
        "X-Shopify-Hmac-Sha256",
        "X-Shopify-Shop-Domain",
        "X-Shopify-Webhook-Id",
        "X-Shopify-API-Version",
    ]


def test_headers_longer_than_stored_are_reported() -> None:
    headers = read_headers({"X-Shopify-Topic": "t" * 129, "X-Shopify-Webhook-Id": "w" * 255})
    assert headers.too_long() == ["X-Shopify-Topic"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2023-03-29T18:00:27.877041743Z", datetime(2023, 3, 29, 18, 0, 27, 877041, tzinfo=UTC)),
        ("2026-05-01T10:00:00-05:00", datetime(2026, 5, 1, 15, 0, tzinfo=UTC)),
        ("2026-05-01T10:00:00", None),
        ("yesterday", None),
        ("", None),
        (None, None),
    ],
)
def test_triggered_at_is_read_to_the_microsecond_in_utc(value: str | None, expected: datetime | None) -> None:
    assert parse_triggered_at(value) == expected


def test_error_text_names_the_exception_and_is_cut() -> None:
    assert error_text(ValueError("bad id")) == "ValueError: bad id"
    assert error_text(RuntimeError("x" * 50), limit=20) == "RuntimeError: xxxxx…"
