"""GET /api/v1/companies and /api/v1/companies/{id}: B2B companies with locations, contacts and rollups."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update

from app.api.responses import iso8601
from crm import notes, service
from crm.models import CrmCompany, CrmCompanyContact, CrmCompanyLocation, CrmCustomer
from tests.api_crm_support import add_company, add_customer, add_order, api_shop, get
from tests.crm_support import webhook

ANA = 706405506930370084
ACME_CO = 123456789
BOLT_CO = 223456789
ACME_AUSTIN = 987654321
ANA_AT_ACME = 555000111


def ids(response) -> list[int]:
    return [item["shopify_id"] for item in response.get_json()["data"]]


@pytest.fixture
def acme(uow):
    """Acme Corp (a location, Ana as contact, one order) and Bolt Supply (a sales rep, nothing else)."""
    shop = api_shop(uow)
    add_customer(uow, shop.id, ANA)
    service.upsert_company(uow, shop_id=shop.id, payload=webhook("companies_create"))
    service.upsert_company_location(uow, shop_id=shop.id, payload=webhook("company_locations_create"))
    service.upsert_company_contact(uow, shop_id=shop.id, payload=webhook("company_contacts_create"))
    add_order(
        uow,
        shop.id,
        820982911946154508,
        minute=30,
        total="1250.50",
        company={"id": ACME_CO, "location_id": ACME_AUSTIN},
    )
    bolt = add_company(uow, shop.id, BOLT_CO, name="Bolt Supply", external_id="ERP-2000", note=None)
    dana = notes.ensure_staff_member(uow, shop_id=shop.id, name="Dana Reyes", email="dana@acme.example")
    notes.assign_sales_rep(
        uow, shop_id=shop.id, company_id=bolt.id, staff_id=dana.id, actor=notes.Actor.of(dana)
    )
    uow.commit()
    return shop


def one(uow, model, shop_id: int, shopify_id: int):
    row = uow.session.scalars(
        select(model).where(model.shop_id == shop_id, model.shopify_id == shopify_id)
    ).one()
    uow.session.refresh(row)
    return row


def test_a_company_is_shown_with_locations_contacts_and_rollups(client, uow, acme):
    # given
    company = one(uow, CrmCompany, acme.id, ACME_CO)
    location = one(uow, CrmCompanyLocation, acme.id, ACME_AUSTIN)
    contact = one(uow, CrmCompanyContact, acme.id, ANA_AT_ACME)
    ana = one(uow, CrmCustomer, acme.id, ANA)
    # when
    response = get(client, acme, f"/api/v1/companies/{company.id}")
    # then
    assert response.status_code == 200
    assert response.get_json() == {
        "data": {
            "id": company.id,
            "shopify_id": ACME_CO,
            "admin_graphql_api_id": f"gid://shopify/Company/{ACME_CO}",
            "shopify_created_at": "2026-04-20T16:00:00Z",
            "shopify_updated_at": "2026-04-20T16:00:00Z",
            "created_at": iso8601(company.created_at),
            "updated_at": iso8601(company.updated_at),
            "deleted_at": None,
            "name": "Acme Corp",
            "external_id": "ERP-1042",
            "note": "Pays by wire; prefers Tuesday deliveries",
            "customer_since": "2026-04-20T16:00:00Z",
            "payment_terms_name": "Net 30",
            "sales_rep": None,
            "locations_count": 1,
            "contacts_count": 1,
            "lifetime": {
                "orders_count": 1,
                "total_spent": {"amount": "1250.50", "currency_code": "USD"},
                "average_order_value": {"amount": "1250.50", "currency_code": "USD"},
                "first_order_at": "2026-05-01T15:30:00Z",
                "last_order_at": "2026-05-01T15:30:00Z",
            },
            "locations": [
                {
                    "id": location.id,
                    "shopify_id": ACME_AUSTIN,
                    "admin_graphql_api_id": f"gid://shopify/CompanyLocation/{ACME_AUSTIN}",
                    "shopify_created_at": "2026-04-20T16:00:00Z",
                    "shopify_updated_at": "2026-04-20T16:00:00Z",
                    "created_at": iso8601(location.created_at),
                    "updated_at": iso8601(location.updated_at),
                    "deleted_at": None,
                    "name": "Acme Austin warehouse",
                    "external_id": "ERP-1042-AUS",
                    "phone": "+15125550199",
                    "locale": "en",
                    "note": "Dock 3",
                    "billing_address": webhook("company_locations_create")["billing_address"],
                    "shipping_address": webhook("company_locations_create")["shipping_address"],
                    "payment_terms_name": "Net 30",
                    "tax_registration_id": "12-3456789",
                }
            ],
            "contacts": [
                {
                    "id": contact.id,
                    "shopify_id": ANA_AT_ACME,
                    "admin_graphql_api_id": f"gid://shopify/CompanyContact/{ANA_AT_ACME}",
                    "shopify_created_at": "2026-04-20T16:05:00Z",
                    "shopify_updated_at": "2026-04-20T16:05:00Z",
                    "created_at": iso8601(contact.created_at),
                    "updated_at": iso8601(contact.updated_at),
                    "deleted_at": None,
                    "title": "Buyer",
                    "locale": "en",
                    "customer": {
                        "id": ana.id,
                        "shopify_id": ANA,
                        "admin_graphql_api_id": f"gid://shopify/Customer/{ANA}",
                        "display_name": "Ana Ruiz",
                        "email": f"buyer{ANA}@example.com",
                    },
                }
            ],
        }
    }


def test_the_list_shows_companies_by_name_without_their_locations_and_contacts(client, uow, acme):
    # given
    acme_detail = get(
        client, acme, f"/api/v1/companies/{one(uow, CrmCompany, acme.id, ACME_CO).id}"
    ).get_json()
    bolt = one(uow, CrmCompany, acme.id, BOLT_CO)
    dana = notes.sales_rep_of(uow, shop_id=acme.id, company_id=bolt.id)
    # when
    response = get(client, acme, "/api/v1/companies")
    # then
    assert response.status_code == 200
    expected_acme = {k: v for k, v in acme_detail["data"].items() if k not in {"locations", "contacts"}}
    assert response.get_json() == {
        "data": [
            expected_acme,
            {
                "id": bolt.id,
                "shopify_id": BOLT_CO,
                "admin_graphql_api_id": f"gid://shopify/Company/{BOLT_CO}",
                "shopify_created_at": "2026-04-20T16:00:00Z",
                "shopify_updated_at": "2026-05-01T15:00:00Z",
                "created_at": iso8601(bolt.created_at),
                "updated_at": iso8601(bolt.updated_at),
                "deleted_at": None,
                "name": "Bolt Supply",
                "external_id": "ERP-2000",
                "note": None,
                "customer_since": "2026-04-20T16:00:00Z",
                "payment_terms_name": None,
                "sales_rep": {"id": dana.id, "name": "Dana Reyes", "email": "dana@acme.example"},
                "locations_count": 0,
                "contacts_count": 0,
                "lifetime": {
                    "orders_count": 0,
                    "total_spent": {"amount": "0.00", "currency_code": "USD"},
                    "average_order_value": None,
                    "first_order_at": None,
                    "last_order_at": None,
                },
            },
        ],
        "next_cursor": None,
    }


def test_search_sales_rep_and_sort_narrow_the_list(client, uow, acme):
    dana = notes.sales_rep_of(uow, shop_id=acme.id, company_id=one(uow, CrmCompany, acme.id, BOLT_CO).id)

    assert ids(get(client, acme, "/api/v1/companies", search="erp-2000")) == [BOLT_CO]
    # a contact's name finds the company
    assert ids(get(client, acme, "/api/v1/companies", search="ruiz")) == [ACME_CO]
    assert ids(get(client, acme, "/api/v1/companies", sales_rep_id=dana.id)) == [BOLT_CO]
    assert ids(get(client, acme, "/api/v1/companies", sort="-name")) == [BOLT_CO, ACME_CO]
    assert ids(get(client, acme, "/api/v1/companies", sort="-total_spent")) == [ACME_CO, BOLT_CO]


def test_updated_since_lists_only_companies_changed_at_or_after_it(client, uow, acme):
    # given
    for shopify_id, moment in (
        (ACME_CO, datetime(2026, 5, 2, tzinfo=UTC)),
        (BOLT_CO, datetime(2026, 5, 9, tzinfo=UTC)),
    ):
        uow.session.execute(
            update(CrmCompany)
            .where(CrmCompany.shop_id == acme.id, CrmCompany.shopify_id == shopify_id)
            .values(updated_at=moment)
        )
    uow.commit()
    # when / then
    assert ids(get(client, acme, "/api/v1/companies", updated_since="2026-05-09")) == [BOLT_CO]
    assert ids(get(client, acme, "/api/v1/companies", updated_since="2026-05-02T00:00:00Z")) == [
        ACME_CO,
        BOLT_CO,
    ]
    assert ids(get(client, acme, "/api/v1/companies", updated_since="2026-05-09", search="ruiz")) == []
    assert ids(get(client, acme, "/api/v1/companies", updated_since="2026-05-02", search="ruiz")) == [ACME_CO]


def test_deleted_locations_and_contacts_are_left_out_of_the_company(client, uow, acme):
    # given
    company = one(uow, CrmCompany, acme.id, ACME_CO)
    service.delete_company_contact(uow, shop_id=acme.id, payload=webhook("company_contacts_create"))
    uow.commit()
    # when
    data = get(client, acme, f"/api/v1/companies/{company.id}").get_json()["data"]
    # then
    assert (data["contacts"], data["contacts_count"], data["locations_count"]) == ([], 0, 1)


def test_another_shops_company_is_not_found_and_never_listed(client, uow, acme):
    # given
    globex = api_shop(uow, "globex.myshopify.com")
    theirs = add_company(uow, globex.id, 777, name="Globex Industrial")
    uow.commit()
    # when
    response = get(client, acme, f"/api/v1/companies/{theirs.id}")
    # then
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["detail"] == f"company {theirs.id} not found"
    assert ids(get(client, acme, "/api/v1/companies", search="globex")) == []
    assert ids(get(client, globex, "/api/v1/companies")) == [777]


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"sales_rep_id": "-1"}, "sales_rep_id"),
        ({"updated_since": "2026-13-01"}, "updated_since"),
        ({"sort": "external_id"}, "sort"),
        ({"search": "x" * 256}, "search"),
    ],
)
def test_a_bad_filter_is_a_400_naming_the_parameter(client, acme, params, parameter):
    response = get(client, acme, "/api/v1/companies", **params)

    assert response.status_code == 400
    assert [error["parameter"] for error in response.get_json()["errors"]] == [parameter]
