"""Handlers for the order topics."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from app.db import UnitOfWork
from crm import service
from segments import jobs as analytics

if TYPE_CHECKING:
    from webhooks.registry import Delivery


def handle_order_upsert(
    uow: UnitOfWork, *, shop_id: int, payload: Mapping[str, Any], delivery: Delivery
) -> None:
    """orders/create, orders/updated, orders/paid, orders/cancelled: each carries the whole order."""
    service.upsert_order(uow, shop_id=shop_id, payload=payload)
    analytics.schedule_refresh(uow, shop_id=shop_id)


def handle_order_delete(
    uow: UnitOfWork, *, shop_id: int, payload: Mapping[str, Any], delivery: Delivery
) -> None:
    """orders/delete."""
    service.delete_order(uow, shop_id=shop_id, payload=payload)
    analytics.schedule_refresh(uow, shop_id=shop_id)
