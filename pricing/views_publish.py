"""Pricing admin routes: publishing a list to Shopify."""

from __future__ import annotations

from pricing.views import bp  # noqa: F401
