"""Handler for draft_orders/update."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from app.db import UnitOfWork
from crm.service import topics

if TYPE_CHECKING:
    from webhooks.registry import Delivery


def handle_draft_order_update(
    uow: UnitOfWork, *, shop_id: int, payload: Mapping[str, Any], delivery: Delivery
) -> None:
    """draft_orders/update: mirror the draft order's status, totals and customer."""
    topics.upsert_draft_order(uow, shop_id=shop_id, payload=payload)
