"""Shared test constants and builders (Shopify-shaped, signed as Shopify signs them)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from datetime import datetime
from typing import Any

import jwt

from webhooks.registry import Delivery

API_KEY = "test-client-id"
# Shopify-shaped (shpss_ + 32 hex): PyJWT warns on HMAC keys shorter than 32 bytes.
API_SECRET = "shpss_0123456789abcdef0123456789abcdef"
PREVIOUS_API_SECRET = "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"
# A fixed Fernet key, so a failing test can be replayed byte for byte.
TOKEN_ENCRYPTION_KEY = "q1Yl3Xn1v4cPqFQ6oXkq1m5q6m0c3M9bIuKXl1Zb6yA="

TEST_SETTINGS: dict[str, Any] = {
    "TRADELINE_ENV": "development",
    "TESTING": True,
    "REDIS_URL": None,
    "SHOPIFY_API_KEY": API_KEY,
    "SHOPIFY_API_SECRET": API_SECRET,
    "SHOPIFY_API_SECRET_PREVIOUS": None,
    "SHOPIFY_API_VERSION": "2026-04",
    "APP_URL": "https://tradeline.test",
    "SECRET_KEY": "test-secret-key",
    "TOKEN_ENCRYPTION_KEY": TOKEN_ENCRYPTION_KEY,
    "LOCAL_SIGNIN": True,
    "LOG_FORMAT": "text",
}


def session_token(
    shop: str = "acme.myshopify.com",
    *,
    secret: str = API_SECRET,
    aud: str = API_KEY,
    sub: str = "42",
    exp_in: int = 60,
    nbf_in: int = 0,
    now: float | None = None,
    **claims: Any,
) -> str:
    """An App Bridge session token (ID token) with the claims Shopify documents, HS256-signed."""
    issued = int(now if now is not None else time.time())
    payload = {
        "iss": f"https://{shop}/admin",
        "dest": f"https://{shop}",
        "aud": aud,
        "sub": sub,
        "exp": issued + exp_in,
        "nbf": issued + nbf_in,
        "iat": issued,
        "jti": str(uuid.uuid4()),
        "sid": uuid.uuid4().hex,
        **claims,
    }
    return jwt.encode(payload, secret, algorithm="HS256")


def signed_webhook(
    topic: str,
    payload: Any,
    *,
    shop: str = "acme.myshopify.com",
    webhook_id: str | None = None,
    secret: str = API_SECRET,
    api_version: str = "2026-04",
    triggered_at: str | None = "2026-05-01T15:00:00.123456789Z",
    event_id: str | None = None,
) -> tuple[bytes, dict[str, str]]:
    """A webhook delivery as Shopify sends it: the JSON body (bytes unless given) and its headers."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers = {
        "Content-Type": "application/json",
        "X-Shopify-Topic": topic,
        "X-Shopify-Hmac-Sha256": base64.b64encode(
            hmac.new(secret.encode(), body, hashlib.sha256).digest()
        ).decode(),
        "X-Shopify-Shop-Domain": shop,
        "X-Shopify-API-Version": api_version,
        "X-Shopify-Webhook-Id": webhook_id or str(uuid.uuid4()),
        "X-Shopify-Event-Id": event_id or str(uuid.uuid4()),
    }
    if triggered_at:
        headers["X-Shopify-Triggered-At"] = triggered_at
    return body, headers


def stored_delivery(
    topic: str, delivery_id: int = 1, *, received_at: datetime, triggered_at: datetime | None = None
) -> Delivery:
    """A stored delivery as processing hands it to a topic's handler (the handler gets the shop apart)."""
    return Delivery(
        id=delivery_id,
        shop_id=0,
        topic=topic,
        webhook_id=f"wh-{delivery_id}",
        event_id=None,
        triggered_at=triggered_at,
        api_version="2026-04",
        received_at=received_at,
        attempts=1,
    )
