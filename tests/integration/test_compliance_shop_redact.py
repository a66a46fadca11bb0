"""shop/redact: 48 hours after an uninstall, every row of the shop goes, and nothing of another shop."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import services
from app.apikeys import create_api_key
from app.model_registry import metadata
from app.models import AccessMode, Shop
from app.shops import TokenSet, install_shop, store_token, uninstall_shop
from crm import service
from crm.notes import Actor, add_note, add_task
from tests.crm_support import company, customer, make_shop, order, product, webhook
from tests.support import stored_delivery
from webhooks.compliance import handle_customers_data_request, handle_shop_redact
from webhooks.models import WebhookDelivery
from webhooks.registry import Delivery

RECEIVED_AT = datetime(2026, 6, 3, 12, 0, tzinfo=UTC)
# The tables a populated shop has rows in (others may join as Tradeline grows; all are checked).
POPULATED = {
    "app_shop_token",
    "app_api_key",
    "app_compliance_request",
    "crm_company",
    "crm_company_location",
    "crm_company_contact",
    "crm_customer",
    "crm_customer_tag",
    "crm_product",
    "crm_variant",
    "crm_order",
    "crm_order_line",
    "crm_timeline_event",
    "crm_note",
    "crm_task",
    "webhooks_inbox",
}


@dataclass(frozen=True)
class Shops:
    gone: int
    kept: int


def delivery(topic: str = "shop/redact", delivery_id: int = 1) -> Delivery:
    return stored_delivery(topic, delivery_id, received_at=RECEIVED_AT)


def populate(uow: Any, shop_id: int) -> None:
    """A shop in use: tokens, an API key, CRM data of every kind, a privacy request, an inbox row."""
    store_token(
        uow, services().cipher, shop_id=shop_id, tokens=TokenSet(access_token="shpat_x", scope="read_orders")
    )
    store_token(
        uow,
        services().cipher,
        shop_id=shop_id,
        tokens=TokenSet(access_token="shpua_x", scope="read_orders"),
        access_mode=AccessMode.ONLINE,
        user_id=42,
    )
    create_api_key(uow, shop_id=shop_id, name="ERP sync")
    service.upsert_company(uow, shop_id=shop_id, payload=company())
    service.upsert_company_location(uow, shop_id=shop_id, payload=webhook("company_locations_create"))
    service.upsert_customer(uow, shop_id=shop_id, payload=customer())
    service.upsert_company_contact(uow, shop_id=shop_id, payload=webhook("company_contacts_create"))
    service.upsert_product(uow, shop_id=shop_id, payload=product())
    service.upsert_order(
        uow,
        shop_id=shop_id,
        payload=order(customer_minute=1, company={"id": 123456789, "location_id": 987654321}),
    )
    uow.session.flush()
    customer_id = uow.session.scalar(
        select(metadata.tables["crm_customer"].c.id).where(
            metadata.tables["crm_customer"].c.shop_id == shop_id
        )
    )
    add_note(
        uow,
        shop_id=shop_id,
        subject_type="customer",
        subject_id=customer_id,
        body="Net 30",
        author=Actor("Dana"),
    )
    add_task(
        uow,
        shop_id=shop_id,
        subject_type="customer",
        subject_id=customer_id,
        title="Call",
        author=Actor("Dana"),
    )
    handle_customers_data_request(
        uow,
        shop_id=shop_id,
        payload={
            "customer": {"id": 706405506930370084},
            "orders_requested": [],
            "data_request": {"id": 9999},
        },
        delivery=delivery("customers/data_request"),
    )
    uow.session.add(
        WebhookDelivery(
            shop_id=shop_id,
            webhook_id=f"b54557e4-{shop_id}",
            topic="shop/redact",
            api_version="2026-04",
            payload={"shop_id": 954889, "shop_domain": "acme.myshopify.com"},
        )
    )
    uow.session.flush()


def row_counts(session: Session, shop_id: int) -> dict[str, int]:
    """Rows of the shop in every table that has a shop_id, and the shop row itself."""
    session.expire_all()
    counts = {}
    for table in metadata.sorted_tables:
        if "shop_id" in table.c:
            counts[table.name] = session.scalar(
                select(func.count()).select_from(table).where(table.c.shop_id == shop_id)
            )
    counts["app_shop"] = session.scalar(select(func.count()).select_from(Shop).where(Shop.id == shop_id))
    return counts


@pytest.fixture
def shops(uow: Any) -> Shops:
    gone = make_shop(uow, "acme.myshopify.com")
    kept = make_shop(uow, "other.myshopify.com")
    populate(uow, gone)
    populate(uow, kept)
    uow.commit()
    return Shops(gone=gone, kept=kept)


def test_every_tenant_table_references_the_shop_so_nothing_outlives_it():
    # shop/redact finds a shop's rows by shop_id: a tenant table without one would keep them forever
    without = [t.name for t in metadata.sorted_tables if "shop_id" not in t.c and t.name != "app_shop"]
    assert without == []


def test_shop_redact_deletes_every_row_of_an_uninstalled_shop_and_nothing_of_another(uow, shops):
    # given two shops in use, the first uninstalled 48 hours ago
    before = row_counts(uow.session, shops.gone)
    kept_before = row_counts(uow.session, shops.kept)
    assert {name for name, n in before.items() if n} >= POPULATED
    uninstall_shop(uow, shop_id=shops.gone)
    uow.commit()

    # when Shopify sends shop/redact
    handle_shop_redact(
        uow,
        shop_id=shops.gone,
        payload={"shop_id": 954889, "shop_domain": "acme.myshopify.com"},
        delivery=delivery(),
    )
    uow.commit()

    # then no table holds a row of it, the shop row included; the other shop is whole
    assert row_counts(uow.session, shops.gone) == dict.fromkeys(before, 0)
    assert row_counts(uow.session, shops.kept) == kept_before


def test_shop_redact_twice_is_the_same_as_once(uow, shops, caplog):
    uninstall_shop(uow, shop_id=shops.gone)
    uow.commit()
    handle_shop_redact(uow, shop_id=shops.gone, payload={}, delivery=delivery())
    uow.commit()
    kept = row_counts(uow.session, shops.kept)
    caplog.set_level(logging.INFO, logger="webhooks.compliance")

    handle_shop_redact(uow, shop_id=shops.gone, payload={}, delivery=delivery(delivery_id=2))
    uow.commit()

    assert set(row_counts(uow.session, shops.gone).values()) == {0}
    assert row_counts(uow.session, shops.kept) == kept
    assert f"shop/redact for shop {shops.gone}: nothing left to delete" in caplog.text


def test_a_shop_that_reinstalled_before_shop_redact_keeps_its_data(uow, shops, caplog):
    # given the merchant uninstalled, then installed again within the 48 hours
    uninstall_shop(uow, shop_id=shops.gone)
    install_shop(uow, domain="acme.myshopify.com")
    uow.commit()
    before = row_counts(uow.session, shops.gone)
    caplog.set_level(logging.INFO, logger="webhooks.compliance")

    handle_shop_redact(uow, shop_id=shops.gone, payload={}, delivery=delivery())
    uow.commit()

    assert row_counts(uow.session, shops.gone) == before
    assert f"shop/redact for shop {shops.gone} ignored: the shop has reinstalled Tradeline" in caplog.text


def test_shop_redact_logs_what_it_deleted_in_counts(uow, shops, caplog):
    uninstall_shop(uow, shop_id=shops.gone)
    uow.commit()
    caplog.set_level(logging.INFO, logger="webhooks.compliance")

    handle_shop_redact(uow, shop_id=shops.gone, payload={}, delivery=delivery())
    uow.commit()

    [line] = [r.getMessage() for r in caplog.records if r.name == "webhooks.compliance"]
    assert line.startswith(f"shop/redact for shop {shops.gone}: deleted the shop and ")
    assert "1 crm order line" in line and "1 app api key" in line
    assert "ana@acme.example" not in caplog.text
