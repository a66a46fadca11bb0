"""Pricing admin routes (views_lists)."""

from __future__ import annotations

from pricing.views import bp  # noqa: F401
