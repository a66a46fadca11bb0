"""GET /api/v1/orders and /api/v1/orders/{id}: orders with money as decimal strings and their lines."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.api.responses import iso8601
from crm import service
from crm.models import CrmCompany, CrmCustomer, CrmOrder, CrmOrderLine
from tests.api_crm_support import add_customer, add_order, api_shop, get
from tests.crm_support import webhook

ANA = 706405506930370084
BEN = 706405506930370085
ACME_CO = 123456789
ACME_AUSTIN = 987654321
B2B = 820982911946154508
RETAIL = 820982911946154509
GUEST = 820982911946154510


def ids(response) -> list[int]:
    return [item["shopify_id"] for item in response.get_json()["data"]]


@pytest.fixture
def acme(uow):
    """Orders at 15:00Z: a paid B2B one of Ana on May 1st, a pending one of Ben May 2nd, a guest May 3rd."""
    shop = api_shop(uow)
    add_customer(uow, shop.id, ANA)
    service.upsert_company(uow, shop_id=shop.id, payload=webhook("companies_create"))
    service.upsert_company_location(uow, shop_id=shop.id, payload=webhook("company_locations_create"))
    add_order(
        uow, shop.id, B2B, minute=0, po_number="PO-7781", company={"id": ACME_CO, "location_id": ACME_AUSTIN}
    )
    add_customer(uow, shop.id, BEN, first_name="Ben", last_name="Adler")
    add_order(
        uow,
        shop.id,
        RETAIL,
        minute=24 * 60,
        customer_id=BEN,
        total="54.3",
        financial_status="pending",
        fulfillment_status="fulfilled",
        source_name="web",
        tags="",
        note=None,
    )
    add_order(
        uow, shop.id, GUEST, minute=48 * 60, customer_id=None, total="10.00", fulfillment_status="partial"
    )
    uow.commit()
    return shop


def order_row(uow, shop_id: int, shopify_id: int) -> CrmOrder:
    row = uow.session.scalars(
        select(CrmOrder).where(CrmOrder.shop_id == shop_id, CrmOrder.shopify_id == shopify_id)
    ).one()
    uow.session.refresh(row)
    return row


def test_an_order_is_shown_with_its_lines_and_exact_money(client, uow, acme):
    # given
    order = order_row(uow, acme.id, B2B)
    line = uow.session.scalars(select(CrmOrderLine).where(CrmOrderLine.order_id == order.id)).one()
    ana = uow.session.get(CrmCustomer, order.customer_id)
    company = uow.session.get(CrmCompany, order.company_id)
    # when
    response = get(client, acme, f"/api/v1/orders/{order.id}")
    # then
    assert response.status_code == 200
    assert response.get_json() == {
        "data": {
            "id": order.id,
            "shopify_id": B2B,
            "admin_graphql_api_id": f"gid://shopify/Order/{B2B}",
            "shopify_created_at": "2026-05-01T15:00:00Z",
            "shopify_updated_at": "2026-05-01T15:00:00Z",
            "created_at": iso8601(order.created_at),
            "updated_at": iso8601(order.updated_at),
            "deleted_at": None,
            "name": "#54508",
            "number": 54508,
            "email": "ana@acme.example",
            "customer": {
                "id": ana.id,
                "shopify_id": ANA,
                "admin_graphql_api_id": f"gid://shopify/Customer/{ANA}",
                "display_name": "Ana Ruiz",
                "email": "ana@acme.example",
            },
            "company": {
                "id": company.id,
                "shopify_id": ACME_CO,
                "admin_graphql_api_id": f"gid://shopify/Company/{ACME_CO}",
                "name": "Acme Corp",
            },
            "company_location_id": order.company_location_id,
            "is_b2b": True,
            "financial_status": "paid",
            "fulfillment_status": "unfulfilled",
            "presentment_currency": "USD",
            "subtotal_price": {"amount": "276.00", "currency_code": "USD"},
            "total_discounts": {"amount": "0.00", "currency_code": "USD"},
            "total_tax": {"amount": "22.77", "currency_code": "USD"},
            "total_price": {"amount": "298.77", "currency_code": "USD"},
            "current_total_price": {"amount": "298.77", "currency_code": "USD"},
            "source_name": "shopify_draft_order",
            "po_number": "PO-7781",
            "note": "Quote Q-1042",
            "tags": ["crm", "quote:Q-1042"],
            "test": False,
            "processed_at": "2026-05-01T15:00:00Z",
            "cancelled_at": None,
            "cancel_reason": None,
            "closed_at": None,
            "lines": [
                {
                    "id": line.id,
                    "shopify_id": B2B * 10 + 1,
                    "admin_graphql_api_id": f"gid://shopify/LineItem/{B2B * 10 + 1}",
                    "shopify_product_id": 632910392,
                    "shopify_variant_id": 39072856,
                    "sku": "WIDGET-12",
                    "title": "Widget",
                    "variant_title": "12-pack",
                    "quantity": 24,
                    "current_quantity": 24,
                    "price": {"amount": "11.50", "currency_code": "USD"},
                    "total_discount": {"amount": "0.00", "currency_code": "USD"},
                }
            ],
        }
    }


def test_the_list_is_newest_first_and_shows_orders_as_get_does_without_lines(client, uow, acme):
    # given
    detail = get(client, acme, f"/api/v1/orders/{order_row(uow, acme.id, B2B).id}").get_json()["data"]
    del detail["lines"]
    # when
    response = get(client, acme, "/api/v1/orders")
    # then
    assert response.status_code == 200
    body = response.get_json()
    assert ids(response) == [GUEST, RETAIL, B2B]
    assert body["data"][2] == detail
    assert body["next_cursor"] is None
    guest, retail = body["data"][0], body["data"][1]
    assert (guest["customer"], guest["company"], guest["is_b2b"]) == (None, None, False)
    assert retail["current_total_price"] == {"amount": "54.30", "currency_code": "USD"}
    assert (retail["tags"], retail["note"], retail["company_location_id"]) == ([], None, None)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"financial_status": "pending"}, [RETAIL]),
        ({"fulfillment_status": "unfulfilled"}, [B2B]),
        ({"fulfillment_status": "partial"}, [GUEST]),
        ({"processed_since": "2026-05-02T15:00:00Z"}, [GUEST, RETAIL]),
        ({"processed_since": "2026-05-02T15:00:00.000001Z"}, [GUEST]),
        ({"processed_until": "2026-05-02T15:00:00Z"}, [RETAIL, B2B]),
        ({"processed_until": "2026-05-02T10:00:00-05:00"}, [RETAIL, B2B]),
        # a date as the upper bound includes that whole day (UTC)
        ({"processed_until": "2026-05-02"}, [RETAIL, B2B]),
        ({"processed_until": "2026-05-01"}, [B2B]),
        ({"processed_since": "2026-05-02", "processed_until": "2026-05-02"}, [RETAIL]),
        ({"processed_since": "2026-05-02", "financial_status": "paid"}, [GUEST]),
        ({"search": "po-7781"}, [B2B]),
        ({"sort": "total"}, [GUEST, RETAIL, B2B]),
    ],
)
def test_filters_narrow_the_list(client, acme, params, expected):
    response = get(client, acme, "/api/v1/orders", **params)

    assert response.status_code == 200
    assert ids(response) == expected


def test_customer_and_company_filters_take_tradeline_ids(client, uow, acme):
    b2b = order_row(uow, acme.id, B2B)
    retail = order_row(uow, acme.id, RETAIL)

    assert ids(get(client, acme, "/api/v1/orders", customer_id=retail.customer_id)) == [RETAIL]
    assert ids(get(client, acme, "/api/v1/orders", company_id=b2b.company_id)) == [B2B]
    assert ids(
        get(client, acme, "/api/v1/orders", customer_id=b2b.customer_id, company_id=b2b.company_id)
    ) == [B2B]


def test_another_shops_order_is_not_found_and_never_listed(client, uow, acme):
    # given
    globex = api_shop(uow, "globex.myshopify.com")
    theirs = add_order(uow, globex.id, 99, customer_id=None, total="5.00")
    uow.commit()
    # when
    response = get(client, acme, f"/api/v1/orders/{theirs.id}")
    # then
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["detail"] == f"order {theirs.id} not found"
    assert 99 not in ids(get(client, acme, "/api/v1/orders", limit=250))
    assert ids(get(client, globex, "/api/v1/orders")) == [99]


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"financial_status": "settled"}, "financial_status"),
        ({"fulfillment_status": "shipped"}, "fulfillment_status"),
        ({"processed_since": "May 2nd"}, "processed_since"),
        ({"processed_until": "2026-05-02T25:00:00Z"}, "processed_until"),
        ({"customer_id": "1.5"}, "customer_id"),
        ({"company_id": "99999999999"}, "company_id"),
    ],
)
def test_a_bad_filter_is_a_400_naming_the_parameter(client, acme, params, parameter):
    response = get(client, acme, "/api/v1/orders", **params)

    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert [error["parameter"] for error in response.get_json()["errors"]] == [parameter]


def test_amounts_show_the_currencys_minor_unit(client, uow):
    # given: a yen shop (no minor unit) whose order line has a price Shopify sent with decimals
    shop = api_shop(uow, "tokyo.myshopify.com", currency="JPY")
    payload_fields = {"currency": "JPY", "subtotal_price": "1500", "total_tax": "150", "total_discounts": "0"}
    order = add_order(uow, shop.id, 5, customer_id=None, total="1650", **payload_fields)
    uow.commit()
    # when
    data = get(client, shop, f"/api/v1/orders/{order.id}").get_json()["data"]
    # then
    assert [data[field] for field in ("subtotal_price", "total_tax", "total_discounts", "total_price")] == [
        {"amount": "1500", "currency_code": "JPY"},
        {"amount": "150", "currency_code": "JPY"},
        {"amount": "0", "currency_code": "JPY"},
        {"amount": "1650", "currency_code": "JPY"},
    ]
    assert data["lines"][0]["price"] == {"amount": "11.5", "currency_code": "JPY"}
