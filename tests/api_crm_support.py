"""Helpers for the CRM REST API tests: a shop with an API key, CRM rows made by crm.service, counting."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import event, func, select
from sqlalchemy.engine import Engine

from app.apikeys import create_api_key
from app.db import UnitOfWork
from crm import service
from crm.models import CrmCompany, CrmCustomer, CrmOrder, CrmProduct, CrmTimelineEvent
from crm.models_work import CrmNote, CrmTask
from tests import crm_support


@dataclass(frozen=True)
class ApiShop:
    """A shop and the plaintext of an API key of it."""

    id: int
    key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


def api_shop(
    uow: UnitOfWork, domain: str = "acme.myshopify.com", *, key_name: str = "ERP sync", currency: str = "USD"
) -> ApiShop:
    """An installed shop with an API key named `key_name`, committed."""
    shop_id = crm_support.make_shop(uow, domain=domain, currency=currency)
    _, plaintext = create_api_key(uow, shop_id=shop_id, name=key_name)
    uow.commit()
    return ApiShop(shop_id, plaintext)


def get(client: FlaskClient, shop: ApiShop, path: str, **params: Any) -> Any:
    """GET an API path as the shop; returns the response."""
    return client.get(path, headers=shop.headers, query_string=params)


def post(client: FlaskClient, shop: ApiShop, path: str, body: Any) -> Any:
    """POST a JSON body to an API path as the shop; returns the response."""
    return client.post(path, headers=shop.headers, json=body)


def add_customer(uow: UnitOfWork, shop_id: int, shopify_id: int, **fields: Any) -> CrmCustomer:
    """A customer from a customers/create payload (fields override the fixture's)."""
    service.upsert_customer(uow, shop_id=shop_id, payload=crm_support.customer(shopify_id, **fields))
    return uow.session.scalars(
        select(CrmCustomer).where(CrmCustomer.shop_id == shop_id, CrmCustomer.shopify_id == shopify_id)
    ).one()


def add_company(uow: UnitOfWork, shop_id: int, shopify_id: int, **fields: Any) -> CrmCompany:
    service.upsert_company(uow, shop_id=shop_id, payload=crm_support.company(shopify_id, **fields))
    return uow.session.scalars(
        select(CrmCompany).where(CrmCompany.shop_id == shop_id, CrmCompany.shopify_id == shopify_id)
    ).one()


def add_order(uow: UnitOfWork, shop_id: int, shopify_id: int, **fields: Any) -> CrmOrder:
    service.upsert_order(uow, shop_id=shop_id, payload=crm_support.order(shopify_id, **fields))
    return uow.session.scalars(
        select(CrmOrder).where(CrmOrder.shop_id == shop_id, CrmOrder.shopify_id == shopify_id)
    ).one()


def add_product(uow: UnitOfWork, shop_id: int, shopify_id: int, **fields: Any) -> CrmProduct:
    service.upsert_product(uow, shop_id=shop_id, payload=crm_support.product(shopify_id, **fields))
    return uow.session.scalars(
        select(CrmProduct).where(CrmProduct.shop_id == shop_id, CrmProduct.shopify_id == shopify_id)
    ).one()


def work_counts(uow: UnitOfWork) -> tuple[int, int, int]:
    """(notes, tasks, timeline events) across all shops: what a refused write must leave unchanged."""
    session = uow.session
    return (
        session.scalar(select(func.count()).select_from(CrmNote)) or 0,
        session.scalar(select(func.count()).select_from(CrmTask)) or 0,
        session.scalar(select(func.count()).select_from(CrmTimelineEvent)) or 0,
    )


@dataclass
class Statements:
    """The SQL statements sent to the database while counting."""

    sql: list[str]

    @property
    def count(self) -> int:
        return len(self.sql)


@contextmanager
def counting_statements(engine: Engine) -> Iterator[Statements]:
    """Count every statement the engine's connections execute in the block (SAVEPOINTs included)."""
    seen = Statements([])

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.sql.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)
