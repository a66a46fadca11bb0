"""Handlers for the product topics."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from app.db import UnitOfWork
from crm import service

if TYPE_CHECKING:
    from webhooks.registry import Delivery


def handle_product_upsert(
    uow: UnitOfWork, *, shop_id: int, payload: Mapping[str, Any], delivery: Delivery
) -> None:
    """products/create, products/update (with the product's variants)."""
    service.upsert_product(uow, shop_id=shop_id, payload=payload)


def handle_product_delete(
    uow: UnitOfWork, *, shop_id: int, payload: Mapping[str, Any], delivery: Delivery
) -> None:
    """products/delete."""
    service.delete_product(uow, shop_id=shop_id, payload=payload)
