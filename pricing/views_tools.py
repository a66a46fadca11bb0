"""Pricing admin routes (views_tools)."""

from __future__ import annotations

from pricing.views import bp  # noqa: F401
