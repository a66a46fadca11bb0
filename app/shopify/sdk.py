"""Shopify's `shopifyapp` package, configured from settings, and the HTTP client all Shopify calls use."""

from __future__ import annotations

import httpx
from shopify_app import ShopifyApp

from app.config import Settings

# Shopify answers within seconds or not at all; never hang a worker or a request on it.
SHOPIFY_HTTP_TIMEOUT_S = httpx.Timeout(30.0, connect=5.0)


def shopify_sdk(settings: Settings) -> ShopifyApp:
    """The SDK with the current client secret and, during a rotation, the previous one."""
    return ShopifyApp(
        client_id=settings.SHOPIFY_API_KEY,
        client_secret=settings.SHOPIFY_API_SECRET,
        old_client_secret=settings.SHOPIFY_API_SECRET_PREVIOUS or None,
    )


def shopify_http_client(settings: Settings) -> httpx.Client:
    """An httpx client for calls to Shopify; tests fake Shopify by injecting a transport in settings."""
    return httpx.Client(transport=settings.SHOPIFY_HTTP_TRANSPORT, timeout=SHOPIFY_HTTP_TIMEOUT_S)
