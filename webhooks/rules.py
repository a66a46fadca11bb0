"""Pure webhook rules: reading Shopify's delivery headers, checking the HMAC, timestamps, job ids.

HMAC: Tradeline checks the signature itself rather than through shopifyapp's `verify_webhook_req`,
which falls short for an intake in three ways: it takes the body as `str`, so bytes that are not
UTF-8 cannot be checked as sent (Shopify signs the raw bytes); before checking the signature it
parses and re-serialises the whole body to redact its log copy, which costs a JSON round trip per
delivery and parses unauthenticated input; and it compares the header as a `str`, so a header with
a non-ASCII character raises TypeError (a 500) instead of failing the check. The check here is the
one Shopify documents: base64(HMAC-SHA256(client secret, raw body)) against the header, compared in
constant time, with the current secret and then the previous one during a rotation. A unit test
holds it to the SDK's answer on every input the SDK can take.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

# Shopify's header names, and the un-prefixed names the newer Events deliveries use.
TOPIC = "topic"
HMAC = "hmac-sha256"
SHOP_DOMAIN = "shop-domain"
WEBHOOK_ID = "webhook-id"
API_VERSION = "api-version"
TRIGGERED_AT = "triggered-at"
EVENT_ID = "event-id"
REQUIRED = (TOPIC, HMAC, SHOP_DOMAIN, WEBHOOK_ID, API_VERSION)
_PREFIXES = ("x-shopify-", "shopify-")
# Column widths of webhooks.models: longer values are not Shopify's and are refused as malformed.
MAX_LENGTHS = {TOPIC: 128, WEBHOOK_ID: 255, API_VERSION: 16, EVENT_ID: 255, SHOP_DOMAIN: 255}
SHA256_DIGEST_BYTES = 32
# Processing jobs: the RQ queue drained first, the job function, and its retries after the first attempt.
WEBHOOK_QUEUE = "webhooks"
PROCESS_JOB = "webhooks.jobs.process_delivery"
WEBHOOK_RETRIES = 3
MAX_ATTEMPTS = WEBHOOK_RETRIES + 1
_FRACTION_BEYOND_MICROSECONDS = re.compile(r"(\.\d{6})\d+")


DOCUMENTED_NAMES = {
    TOPIC: "X-Shopify-Topic",
    HMAC: "X-Shopify-Hmac-Sha256",
    SHOP_DOMAIN: "X-Shopify-Shop-Domain",
    WEBHOOK_ID: "X-Shopify-Webhook-Id",
    API_VERSION: "X-Shopify-API-Version",
    TRIGGERED_AT: "X-Shopify-Triggered-At",
    EVENT_ID: "X-Shopify-Event-Id",
}


def header_name(field: str) -> str:
    """The documented header for a field: 'webhook-id' -> 'X-Shopify-Webhook-Id'."""
    return DOCUMENTED_NAMES[field]


@dataclass(frozen=True)
class DeliveryHeaders:
    """The Shopify headers of one delivery (None when absent)."""

    topic: str | None
    hmac: str | None
    shop_domain: str | None
    webhook_id: str | None
    api_version: str | None
    triggered_at: str | None
    event_id: str | None

    def missing(self) -> list[str]:
        """The documented names of the required headers that are absent or empty."""
        values = {
            TOPIC: self.topic,
            HMAC: self.hmac,
            SHOP_DOMAIN: self.shop_domain,
            WEBHOOK_ID: self.webhook_id,
            API_VERSION: self.api_version,
        }
        return [header_name(field) for field in REQUIRED if not values[field]]

    def too_long(self) -> list[str]:
        """The documented names of headers longer than Tradeline stores (not a Shopify delivery)."""
        values = {
            TOPIC: self.topic,
            WEBHOOK_ID: self.webhook_id,
            API_VERSION: self.api_version,
            EVENT_ID: self.event_id,
            SHOP_DOMAIN: self.shop_domain,
        }
        return [
            header_name(field) for field, limit in MAX_LENGTHS.items() if len(values[field] or "") > limit
        ]


def read_headers(headers: Mapping[str, str]) -> DeliveryHeaders:
    """Shopify's delivery headers, matched case-insensitively, with or without the `X-` prefix."""
    lowered = {name.lower(): value for name, value in headers.items()}

    def get(field: str) -> str | None:
        for prefix in _PREFIXES:
            value = lowered.get(prefix + field)
            if value is not None:
                value = value.strip()
                return value or None
        return None

    return DeliveryHeaders(
        topic=get(TOPIC),
        hmac=get(HMAC),
        shop_domain=get(SHOP_DOMAIN),
        webhook_id=get(WEBHOOK_ID),
        api_version=get(API_VERSION),
        triggered_at=get(TRIGGERED_AT),
        event_id=get(EVENT_ID),
    )


def sign(body: bytes, secret: str) -> str:
    """base64(HMAC-SHA256(secret, body)): the X-Shopify-Hmac-Sha256 value Shopify sends for `body`."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def verify_hmac(body: bytes, header: str | None, secrets: Iterable[str]) -> bool:
    """True when `header` is the body's signature under one of the secrets (constant-time compare)."""
    if not header:
        return False
    try:
        received = base64.b64decode(header.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error):
        return False
    if len(received) != SHA256_DIGEST_BYTES:
        return False
    valid = False
    for secret in secrets:
        if not secret:
            continue
        expected = hmac.new(secret.encode(), body, hashlib.sha256).digest()
        # Every secret is tried, so the time taken does not say which one matched.
        valid |= hmac.compare_digest(expected, received)
    return valid


def parse_triggered_at(value: str | None) -> datetime | None:
    """X-Shopify-Triggered-At ('2023-03-29T18:00:27.877041743Z') as aware UTC; None if unreadable."""
    if not value:
        return None
    text = _FRACTION_BEYOND_MICROSECONDS.sub(r"\1", value.strip())
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return None
    return parsed.astimezone(UTC)


def error_text(exc: BaseException, limit: int = 2000) -> str:
    """`ExceptionName: message`, cut to `limit` characters, as the inbox stores it."""
    text = f"{exc.__class__.__name__}: {exc}"
    return text if len(text) <= limit else text[: limit - 1] + "…"
