"""Pure checks of Shopify's signed OAuth query strings and the URLs of the authorization-code grant."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from urllib.parse import parse_qsl, urlencode

from app.shops import SHOP_DOMAIN_RE

# Shopify's own Node library tolerates this much clock skew on `timestamp`.
TIMESTAMP_TOLERANCE_S = 90
# Query parameters that carry a signature rather than being signed (`signature` is the legacy one).
SIGNATURE_PARAMS = frozenset({"hmac", "signature"})


def oauth_message(query: str | bytes) -> str:
    """The signed message: every parameter but the signatures, sorted, as `k=v` joined with `&`."""
    pairs = [(k, v) for k, v in _parse(query) if k not in SIGNATURE_PARAMS]
    return "&".join(f"{k}={v}" for k, v in sorted(pairs))


def oauth_hmac(query: str | bytes, secret: str) -> str:
    """The lowercase hex HMAC-SHA256 Shopify computes over `oauth_message(query)` with the client secret."""
    return hmac.new(secret.encode(), oauth_message(query).encode(), hashlib.sha256).hexdigest()


def valid_oauth_hmac(query: str | bytes, secrets: Iterable[str]) -> bool:
    """True when the query's `hmac` matches under any of the secrets (current, then previous)."""
    given = dict(_parse(query)).get("hmac", "")
    if not given:
        return False
    # Compare bytes: compare_digest refuses non-ASCII str, and `hmac` is attacker-controlled.
    given_bytes = given.encode()
    return any(hmac.compare_digest(oauth_hmac(query, s).encode(), given_bytes) for s in secrets if s)


def timestamp_is_fresh(
    timestamp: str | None, *, now: float, tolerance_s: int = TIMESTAMP_TOLERANCE_S
) -> bool:
    """True when `timestamp` (Unix seconds) is within `tolerance_s` of `now`, either side."""
    try:
        value = int(timestamp or "")
    except ValueError:
        return False
    return abs(now - value) <= tolerance_s


def is_shop_domain(shop: str | None) -> bool:
    """True for a bare `<handle>.myshopify.com` host, the only shop value Shopify sends."""
    return bool(shop) and SHOP_DOMAIN_RE.fullmatch(shop or "") is not None


def authorize_url(*, shop: str, client_id: str, scopes: str, redirect_uri: str, state: str) -> str:
    """The URL that asks the merchant to grant the app its scopes (offline access)."""
    query = urlencode({"client_id": client_id, "scope": scopes, "redirect_uri": redirect_uri, "state": state})
    return f"https://{shop}/admin/oauth/authorize?{query}"


def app_admin_url(*, shop: str, client_id: str) -> str:
    """The app's page inside Shopify admin, where a finished installation lands the merchant."""
    handle = shop.removesuffix(".myshopify.com")
    return f"https://admin.shopify.com/store/{handle}/apps/{client_id}"


def _parse(query: str | bytes) -> list[tuple[str, str]]:
    text = query.decode("utf-8", "replace") if isinstance(query, bytes) else query
    return parse_qsl(text.lstrip("?"), keep_blank_values=True)
