"""Shopify's delivery faults end to end through POST /webhooks: out of order, late, early, deleted."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app import services
from crm.models import CrmCustomer, CrmOrder, CrmTimelineEvent, FinancialStatus
from tests.crm_support import customer, make_shop, order
from tests.support import signed_webhook

CUSTOMER_ID = 706405506930370084
ORDER_ID = 820982911946154508


@pytest.fixture
def shop_id(app: Flask) -> int:
    with services().db.unit_of_work() as uow:
        shop_id = make_shop(uow)
        uow.commit()
    return shop_id


def deliver(client: FlaskClient, topic: str, payload: dict[str, Any]) -> None:
    body, headers = signed_webhook(topic, payload)
    response = client.post("/webhooks", data=body, headers=headers)
    assert (response.status_code, response.get_data(as_text=True)) == (200, "stored")


def crm(query: Any) -> list[Any]:
    with services().db.unit_of_work() as uow:
        return [tuple(row) for row in uow.session.execute(query)]


def test_updates_delivered_in_reverse_order_leave_the_newest_state(client: FlaskClient, shop_id: int) -> None:
    created = order(ORDER_ID, minute=0, financial_status="pending", total="298.77")
    paid = order(ORDER_ID, minute=10, financial_status="paid", total="298.77")
    refunded = order(ORDER_ID, minute=20, financial_status="partially_refunded", current_total_price="250.00")

    for topic, payload in (("orders/updated", refunded), ("orders/paid", paid), ("orders/create", created)):
        deliver(client, topic, payload)

    assert crm(select(CrmOrder.financial_status, CrmOrder.current_total_price)) == [
        (FinancialStatus.PARTIALLY_REFUNDED, Decimal("250.00"))
    ]
    kinds = [kind for (kind,) in crm(select(CrmTimelineEvent.kind).order_by(CrmTimelineEvent.id))]
    assert kinds == ["customer.created", "order.created"]
    assert crm(select(CrmCustomer.orders_count, CrmCustomer.total_spent)) == [(1, Decimal("250.00"))]


def test_an_order_for_a_customer_not_seen_yet_creates_the_customer_and_the_later_create_fills_it(
    client: FlaskClient, shop_id: int
) -> None:
    early = order(ORDER_ID, customer_id=CUSTOMER_ID, total="120.00")
    del early["customer"]["updated_at"]  # only a reference to the customer, as some payloads carry

    deliver(client, "orders/create", early)
    [(placeholder_id, first_name)] = crm(select(CrmCustomer.id, CrmCustomer.first_name))
    deliver(client, "customers/create", customer(CUSTOMER_ID, minute=-60, first_name="Ana", last_name="Ruiz"))

    assert crm(
        select(CrmCustomer.id, CrmCustomer.first_name, CrmCustomer.last_name, CrmCustomer.orders_count)
    ) == [(placeholder_id, "Ana", "Ruiz", 1)]
    assert crm(select(CrmOrder.customer_id)) == [(placeholder_id,)]
    assert first_name == "Ana"  # the order's embedded customer named it already


def test_a_deleted_order_stays_deleted_when_an_older_update_arrives_late(
    client: FlaskClient, shop_id: int
) -> None:
    deliver(client, "orders/create", order(ORDER_ID, minute=0, total="80.00"))
    deliver(
        client, "orders/delete", {"id": ORDER_ID, "admin_graphql_api_id": f"gid://shopify/Order/{ORDER_ID}"}
    )
    deliver(client, "orders/updated", order(ORDER_ID, minute=5, total="90.00"))

    [(deleted_at, total)] = crm(select(CrmOrder.deleted_at, CrmOrder.total_price))
    assert deleted_at is not None and total == Decimal("80.00")
    assert crm(select(CrmCustomer.orders_count, CrmCustomer.total_spent)) == [(0, Decimal("0"))]
