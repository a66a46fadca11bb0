"""Handlers for the B2B topics: companies, their locations and their contacts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from app.db import UnitOfWork
from crm import service

if TYPE_CHECKING:
    from webhooks.registry import Delivery


def handle_company_upsert(
    uow: UnitOfWork, *, shop_id: int, payload: Mapping[str, Any], delivery: Delivery
) -> None:
    """companies/create, companies/update."""
    service.upsert_company(uow, shop_id=shop_id, payload=payload)


def handle_company_delete(
    uow: UnitOfWork, *, shop_id: int, payload: Mapping[str, Any], delivery: Delivery
) -> None:
    """companies/delete."""
    service.delete_company(uow, shop_id=shop_id, payload=payload)


def handle_location_upsert(
    uow: UnitOfWork, *, shop_id: int, payload: Mapping[str, Any], delivery: Delivery
) -> None:
    """company_locations/create, company_locations/update."""
    service.upsert_company_location(uow, shop_id=shop_id, payload=payload)


def handle_location_delete(
    uow: UnitOfWork, *, shop_id: int, payload: Mapping[str, Any], delivery: Delivery
) -> None:
    """company_locations/delete."""
    service.delete_company_location(uow, shop_id=shop_id, payload=payload)


def handle_contact_upsert(
    uow: UnitOfWork, *, shop_id: int, payload: Mapping[str, Any], delivery: Delivery
) -> None:
    """company_contacts/create, company_contacts/update: a customer joins a company."""
    service.upsert_company_contact(uow, shop_id=shop_id, payload=payload)


def handle_contact_delete(
    uow: UnitOfWork, *, shop_id: int, payload: Mapping[str, Any], delivery: Delivery
) -> None:
    """company_contacts/delete."""
    service.delete_company_contact(uow, shop_id=shop_id, payload=payload)
