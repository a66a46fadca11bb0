"""GET /api/v1/customers and /api/v1/customers/{id}: the CRM's customers for integrators."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import update

from app.api.responses import iso8601
from crm import notes, service
from crm.models import CrmCustomer
from tests.api_crm_support import add_customer, add_order, api_shop, get
from tests.crm_support import webhook

ANA = 706405506930370084
BEN = 706405506930370085
CARLA = 706405506930370086
ACME_CO = 123456789


def ids(response) -> list[int]:
    return [item["shopify_id"] for item in response.get_json()["data"]]


@pytest.fixture
def acme(uow):
    """Acme's shop: Ana (contact of Acme Corp, two orders, a sales rep), Ben and Carla (no orders)."""
    shop = api_shop(uow)
    add_customer(uow, shop.id, ANA, tags="b2b, vip")
    service.upsert_company(uow, shop_id=shop.id, payload=webhook("companies_create"))
    service.upsert_company_contact(uow, shop_id=shop.id, payload=webhook("company_contacts_create"))
    add_order(uow, shop.id, 820982911946154508, minute=60, total="298.77")
    add_order(uow, shop.id, 820982911946154509, minute=120, total="100.00")
    add_customer(
        uow, shop.id, BEN, first_name="Ben", last_name="Adler", email="ben@bolt.example", state="enabled"
    )
    add_customer(
        uow, shop.id, CARLA, first_name="Carla", last_name="Zed", email="carla@zed.example", tags="vip"
    )
    dana = notes.ensure_staff_member(uow, shop_id=shop.id, name="Dana Reyes", email="dana@acme.example")
    ana = uow.session.query(CrmCustomer).filter_by(shop_id=shop.id, shopify_id=ANA).one()
    notes.assign_sales_rep(
        uow, shop_id=shop.id, customer_id=ana.id, staff_id=dana.id, actor=notes.Actor.of(dana)
    )
    uow.commit()
    return shop


def customer_row(uow, shop_id: int, shopify_id: int) -> CrmCustomer:
    row = uow.session.query(CrmCustomer).filter_by(shop_id=shop_id, shopify_id=shopify_id).one()
    uow.session.refresh(row)
    return row


def test_a_customer_is_shown_with_tags_company_sales_rep_and_lifetime_figures(client, uow, acme):
    # given
    ana = customer_row(uow, acme.id, ANA)
    dana = notes.sales_rep_of(uow, shop_id=acme.id, customer_id=ana.id)
    # when
    response = get(client, acme, f"/api/v1/customers/{ana.id}")
    # then
    assert response.status_code == 200
    assert response.get_json() == {
        "data": {
            "id": ana.id,
            "shopify_id": ANA,
            "admin_graphql_api_id": f"gid://shopify/Customer/{ANA}",
            "shopify_created_at": "2026-05-01T15:00:00Z",
            "shopify_updated_at": "2026-05-01T17:00:00Z",
            "created_at": iso8601(ana.created_at),
            "updated_at": iso8601(ana.updated_at),
            "deleted_at": None,
            "email": f"buyer{ANA}@example.com",
            "first_name": "Ana",
            "last_name": "Ruiz",
            "display_name": "Ana Ruiz",
            "phone": "+15125550100",
            "state": "enabled",
            "verified_email": True,
            "tax_exempt": False,
            "note": None,
            "email_marketing": {"state": None, "opt_in_level": None, "consent_updated_at": None},
            "default_address": {
                "id": 1053317297,
                "customer_id": ANA,
                "address1": "1 Main St",
                "city": "Austin",
                "province_code": "TX",
                "country_code": "US",
                "zip": "78701",
                "default": True,
            },
            "tags": ["b2b", "vip"],
            "company": {
                "id": ana.company_id,
                "shopify_id": ACME_CO,
                "admin_graphql_api_id": f"gid://shopify/Company/{ACME_CO}",
                "name": "Acme Corp",
            },
            "sales_rep": {"id": dana.id, "name": "Dana Reyes", "email": "dana@acme.example"},
            "acquisition_source": "draft_order",
            "lifetime": {
                "orders_count": 2,
                "total_spent": {"amount": "398.77", "currency_code": "USD"},
                "average_order_value": {"amount": "199.39", "currency_code": "USD"},
                "first_order_at": "2026-05-01T16:00:00Z",
                "last_order_at": "2026-05-01T17:00:00Z",
            },
        }
    }


def test_the_list_shows_each_customer_as_get_does_sorted_by_name(client, uow, acme):
    # given
    detail = {
        shopify_id: get(
            client, acme, f"/api/v1/customers/{customer_row(uow, acme.id, shopify_id).id}"
        ).get_json()
        for shopify_id in (ANA, BEN, CARLA)
    }
    # when
    response = get(client, acme, "/api/v1/customers")
    # then
    assert response.status_code == 200
    assert response.get_json() == {
        "data": [detail[BEN]["data"], detail[ANA]["data"], detail[CARLA]["data"]],
        "next_cursor": None,
    }


def test_a_customer_without_orders_has_zero_spend_and_no_average(client, uow, acme):
    ben = customer_row(uow, acme.id, BEN)

    data = get(client, acme, f"/api/v1/customers/{ben.id}").get_json()["data"]

    assert data["lifetime"] == {
        "orders_count": 0,
        "total_spent": {"amount": "0.00", "currency_code": "USD"},
        "average_order_value": None,
        "first_order_at": None,
        "last_order_at": None,
    }
    assert (data["tags"], data["company"], data["sales_rep"]) == ([], None, None)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"search": "acme"}, [ANA]),
        ({"search": "zed carla"}, [CARLA]),
        ({"tag": "VIP"}, [ANA, CARLA]),
        ({"state": "enabled"}, [BEN, ANA]),
        ({"tag": "vip", "state": "enabled"}, [ANA]),
        ({"sort": "-total_spent"}, [ANA, CARLA, BEN]),
        ({"sort": "-name"}, [CARLA, ANA, BEN]),
    ],
)
def test_filters_and_sorts_narrow_and_order_the_list(client, acme, params, expected):
    response = get(client, acme, "/api/v1/customers", **params)

    assert response.status_code == 200
    assert ids(response) == expected


def test_company_and_sales_rep_filters_take_tradeline_ids(client, uow, acme):
    ana = customer_row(uow, acme.id, ANA)
    rep = notes.sales_rep_of(uow, shop_id=acme.id, customer_id=ana.id)

    assert ids(get(client, acme, "/api/v1/customers", company_id=ana.company_id)) == [ANA]
    assert ids(get(client, acme, "/api/v1/customers", sales_rep_id=rep.id)) == [ANA]
    assert ids(get(client, acme, "/api/v1/customers", company_id=ana.company_id + 1000)) == []


def test_updated_since_lists_only_customers_changed_at_or_after_it(client, uow, acme):
    # given: Tradeline changed Ben on June 1st, the others on May 1st
    stamps = {ANA: datetime(2026, 5, 1, tzinfo=UTC), BEN: datetime(2026, 6, 1, 12, tzinfo=UTC)}
    stamps[CARLA] = stamps[ANA]
    for shopify_id, moment in stamps.items():
        uow.session.execute(
            update(CrmCustomer)
            .where(CrmCustomer.shop_id == acme.id, CrmCustomer.shopify_id == shopify_id)
            .values(updated_at=moment)
        )
    uow.commit()
    # when / then
    assert ids(get(client, acme, "/api/v1/customers", updated_since="2026-06-01T12:00:00Z")) == [BEN]
    assert ids(get(client, acme, "/api/v1/customers", updated_since="2026-06-01T14:00:01+02:00")) == []
    # an unencoded '+' arrives as a space, and is read as the offset it was meant to be
    assert ids(get(client, acme, "/api/v1/customers", updated_since="2026-06-01T13:00:00 01:00")) == [BEN]
    assert ids(get(client, acme, "/api/v1/customers", updated_since="2026-05-01")) == [BEN, ANA, CARLA]
    assert ids(get(client, acme, "/api/v1/customers", updated_since="2026-05-01", search="ana")) == [ANA]


def test_deleted_customers_are_not_listed_but_still_open_by_id(client, uow, acme):
    # given
    carla = customer_row(uow, acme.id, CARLA)
    service.delete_customer(uow, shop_id=acme.id, payload={"id": CARLA})
    uow.commit()
    # when
    listed = ids(get(client, acme, "/api/v1/customers"))
    shown = get(client, acme, f"/api/v1/customers/{carla.id}").get_json()["data"]
    # then
    assert listed == [BEN, ANA]
    assert shown["deleted_at"] is not None
    assert shown["shopify_id"] == CARLA


def test_another_shops_customer_is_not_found_and_never_listed(client, uow, acme):
    # given
    globex = api_shop(uow, "globex.myshopify.com")
    theirs = add_customer(uow, globex.id, 900000000000000001, first_name="Gil", email="gil@globex.example")
    uow.commit()
    # when
    response = get(client, acme, f"/api/v1/customers/{theirs.id}")
    # then
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body.pop("request_id") == response.headers["X-Request-Id"]
    assert body == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": f"customer {theirs.id} not found",
        "instance": f"/api/v1/customers/{theirs.id}",
    }
    assert ids(get(client, acme, "/api/v1/customers", search="gil")) == []
    assert ids(get(client, globex, "/api/v1/customers")) == [900000000000000001]


def test_an_id_no_row_can_have_is_not_found(client, acme):
    response = get(client, acme, f"/api/v1/customers/{2**63}")

    assert response.status_code == 404
    assert response.get_json()["detail"] == f"customer {2**63} not found"


@pytest.mark.parametrize(
    ("params", "parameter", "detail"),
    [
        (
            {"state": "active"},
            "state",
            "state must be one of disabled, invited, enabled, declined, unknown; got 'active'.",
        ),
        ({"company_id": "acme"}, "company_id", "company_id must be an id (a positive integer); got 'acme'."),
        ({"sales_rep_id": "0"}, "sales_rep_id", "sales_rep_id must be an id (a positive integer); got '0'."),
        (
            {"sort": "email"},
            "sort",
            "sort must be one of name, -name, -last_order_at, last_order_at, -total_spent, total_spent, "
            "-orders_count, orders_count, -created_at, created_at; got 'email'.",
        ),
        (
            {"updated_since": "yesterday"},
            "updated_since",
            "updated_since must be an ISO 8601 timestamp with a UTC offset (2026-05-01T10:00:00Z) or a date "
            "(2026-05-01); got 'yesterday'.",
        ),
        (
            {"updated_since": "2026-05-01T10:00:00"},
            "updated_since",
            "updated_since must be an ISO 8601 timestamp with a UTC offset (2026-05-01T10:00:00Z) or a date "
            "(2026-05-01); got '2026-05-01T10:00:00'.",
        ),
        (
            {"updated_since": "2026-02-30"},
            "updated_since",
            "updated_since must be an ISO 8601 timestamp with a UTC offset (2026-05-01T10:00:00Z) or a date "
            "(2026-05-01); got '2026-02-30'.",
        ),
    ],
)
def test_a_bad_filter_is_a_400_naming_the_parameter(client, acme, params, parameter, detail):
    response = get(client, acme, "/api/v1/customers", **params)

    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["detail"] == detail
    assert body["errors"] == [{"parameter": parameter, "detail": detail}]


def test_the_customers_endpoints_need_an_api_key(client, uow, acme):
    ana = customer_row(uow, acme.id, ANA)

    for path in ("/api/v1/customers", f"/api/v1/customers/{ana.id}"):
        response = client.get(path)
        assert response.status_code == 401
        assert response.mimetype == "application/problem+json"
