"""Handlers for the customer topics."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from app.db import UnitOfWork
from crm import service
from crm.service import topics

if TYPE_CHECKING:
    from webhooks.registry import Delivery


def handle_customer_upsert(
    uow: UnitOfWork, *, shop_id: int, payload: Mapping[str, Any], delivery: Delivery
) -> None:
    """customers/create, customers/update."""
    service.upsert_customer(uow, shop_id=shop_id, payload=payload)


def handle_customer_delete(
    uow: UnitOfWork, *, shop_id: int, payload: Mapping[str, Any], delivery: Delivery
) -> None:
    """customers/delete."""
    service.delete_customer(uow, shop_id=shop_id, payload=payload)


def handle_customers_merge(
    uow: UnitOfWork, *, shop_id: int, payload: Mapping[str, Any], delivery: Delivery
) -> None:
    """customers/merge."""
    topics.merge_customers(uow, shop_id=shop_id, payload=payload)


def handle_purchasing_summary(
    uow: UnitOfWork, *, shop_id: int, payload: Mapping[str, Any], delivery: Delivery
) -> None:
    """customers/purchasing_summary."""
    topics.record_purchasing_summary(uow, shop_id=shop_id, payload=payload)


def handle_tags_added(
    uow: UnitOfWork, *, shop_id: int, payload: Mapping[str, Any], delivery: Delivery
) -> None:
    """customer.tags_added."""
    topics.add_customer_tags(uow, shop_id=shop_id, payload=payload)


def handle_tags_removed(
    uow: UnitOfWork, *, shop_id: int, payload: Mapping[str, Any], delivery: Delivery
) -> None:
    """customer.tags_removed."""
    topics.remove_customer_tags(uow, shop_id=shop_id, payload=payload)


def handle_email_marketing_consent(
    uow: UnitOfWork, *, shop_id: int, payload: Mapping[str, Any], delivery: Delivery
) -> None:
    """customers_email_marketing_consent/update."""
    topics.update_email_marketing_consent(uow, shop_id=shop_id, payload=payload)
