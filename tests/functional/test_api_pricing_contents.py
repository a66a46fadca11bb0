"""REST API: a list's entries (bulk all or nothing), tiers, quantity rules, adjustments and assignments."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from app.db import UnitOfWork
from crm.models import CrmTimelineEvent
from pricing.service import lists
from tests.api_crm_support import ApiShop, api_shop, get, post
from tests.pricing_lists_support import Catalog, add_catalog, snapshot


@pytest.fixture
def shop(uow: UnitOfWork) -> ApiShop:
    return api_shop(uow)


@pytest.fixture
def catalog(uow: UnitOfWork, shop: ApiShop) -> Catalog:
    data = add_catalog(uow, shop.id, products=3)
    uow.commit()
    return data


@pytest.fixture
def other(uow: UnitOfWork, catalog: Catalog) -> Catalog:
    data = add_catalog(uow, api_shop(uow, "other.myshopify.com").id, base=2000)
    uow.commit()
    return data


@pytest.fixture
def path(uow: UnitOfWork, catalog: Catalog) -> str:
    price_list = lists.create_price_list(uow, shop_id=catalog.shop_id, name="Wholesale")
    uow.commit()
    return f"/api/v1/price-lists/{price_list.id}"


def put(client: FlaskClient, shop: ApiShop, url: str, body: Any) -> Any:
    return client.put(url, headers=shop.headers, json=body)


def delete(client: FlaskClient, shop: ApiShop, url: str) -> Any:
    return client.delete(url, headers=shop.headers)


# -- entries --------------------------------------------------------------------------------------


def test_bulk_upsert_then_page_search_set_and_remove(
    client: FlaskClient, catalog: Catalog, shop: ApiShop, path: str
) -> None:
    v = catalog.variants
    response = post(
        client,
        shop,
        f"{path}/entries/bulk",
        {
            "entries": [
                {"variant_id": v[0].id, "price": "8.50", "compare_at_price": "9.00"},
                {"sku": "SKU-1002", "price": "15"},
                {"shopify_variant_id": v[2].shopify_id, "price": 25},
            ]
        },
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["data"] == {"created": 3, "updated": 0, "unchanged": 0}
    again = post(client, shop, f"{path}/entries/bulk", {"entries": [{"variant_id": v[0].id, "price": "8"}]})
    assert again.get_json()["data"] == {"created": 0, "updated": 1, "unchanged": 0}
    page = get(client, shop, f"{path}/entries", limit=2).get_json()
    assert page["data"][0] == {
        "variant_id": v[0].id,
        "shopify_variant_id": v[0].shopify_id,
        "sku": "SKU-1001",
        "product_title": "Product 1000",
        "variant_title": "Size 1",
        "price": {"amount": "8.00", "currency_code": "USD"},
        # A row replaces the whole entry: sent without compare_at_price, it has none.
        "compare_at_price": None,
        "retail_price": {"amount": "10.00", "currency_code": "USD"},
        "variant_deleted": False,
        "updated_at": page["data"][0]["updated_at"],
    }
    rest = get(client, shop, f"{path}/entries", limit=2, cursor=page["next_cursor"]).get_json()
    assert [e["sku"] for e in page["data"] + rest["data"]] == ["SKU-1001", "SKU-1002", "SKU-1003"]
    found = get(client, shop, f"{path}/entries", search="sku-1002").get_json()["data"]
    assert [(e["sku"], e["price"]["amount"]) for e in found] == [("SKU-1002", "15.00")]
    one = put(client, shop, f"{path}/entries/{v[3].id}", {"price": "1.25"})
    assert (one.status_code, one.get_json()["data"]["price"]["amount"]) == (200, "1.25")
    assert delete(client, shop, f"{path}/entries/{v[3].id}").status_code == 204
    assert delete(client, shop, f"{path}/entries/{v[3].id}").status_code == 404


def test_bulk_upsert_with_bad_rows_is_422_listing_each_and_saves_nothing(
    client: FlaskClient, uow: UnitOfWork, catalog: Catalog, other: Catalog, shop: ApiShop, path: str
) -> None:
    v = catalog.variants
    before = snapshot(uow)
    response = post(
        client,
        shop,
        f"{path}/entries/bulk",
        {
            "entries": [
                {"variant_id": v[0].id, "price": "1"},
                {"sku": "NOPE", "price": "1"},
                {"variant_id": other.variants[0].id, "price": "1"},
                {"variant_id": v[1].id, "price": "-2"},
                {"variant_id": v[2].id, "price": 1.5},
                {"variant_id": v[3].id},
            ]
        },
    )
    assert response.status_code == 422
    assert response.get_json()["errors"] == [
        {"pointer": "/entries/1/sku", "detail": "Unknown SKU 'NOPE' in this shop"},
        {
            "pointer": "/entries/2/variant_id",
            "detail": f"Unknown variant {other.variants[0].id} in this shop",
        },
        {"pointer": "/entries/3/price", "detail": "The price -2 is negative"},
        {
            "pointer": "/entries/4/price",
            "detail": "The price must be a decimal number such as 12.50, not 1.5",
        },
        {"pointer": "/entries/5/price", "detail": "The price None is not a number"},
    ]
    assert snapshot(uow) == before


def test_bulk_bodies_of_the_wrong_shape_or_size(
    client: FlaskClient, uow: UnitOfWork, catalog: Catalog, shop: ApiShop, path: str
) -> None:
    before = snapshot(uow)
    shapes = post(
        client, shop, f"{path}/entries/bulk", {"entries": [5, {"variant_id": 1, "price": "1", "x": 1}]}
    )
    assert shapes.status_code == 422
    assert [e["pointer"] for e in shapes.get_json()["errors"]] == ["/entries/0", "/entries/1/x"]
    missing = post(client, shop, f"{path}/entries/bulk", {})
    assert missing.get_json()["errors"] == [{"pointer": "/entries", "detail": "required"}]
    huge = post(client, shop, f"{path}/entries/bulk", {"entries": [{"sku": "A", "price": "1"}] * 5001})
    assert huge.status_code == 400
    assert "at most 5,000 items per request; got 5,001" in huge.get_json()["detail"]
    assert snapshot(uow) == before


# -- tiers, rules, adjustments --------------------------------------------------------------------


def test_tiers_replace_list_and_refuse(
    client: FlaskClient, uow: UnitOfWork, catalog: Catalog, shop: ApiShop, path: str
) -> None:
    variant = catalog.variants[0]
    put(client, shop, f"{path}/entries/{variant.id}", {"price": "9.00"})
    response = put(
        client,
        shop,
        f"{path}/tiers",
        {
            "variant_id": variant.id,
            "tiers": [
                {"min_quantity": 10, "kind": "fixed", "value": "8.00"},
                {"min_quantity": 50, "kind": "fixed", "value": "7.5"},
            ],
        },
    )
    assert response.status_code == 200, response.get_json()
    wide = put(
        client,
        shop,
        f"{path}/tiers",
        {"variant_id": None, "tiers": [{"min_quantity": 100, "kind": "percent_off", "value": "10"}]},
    )
    assert wide.status_code == 200
    listed = get(client, shop, f"{path}/tiers").get_json()["data"]
    assert [(t["variant_id"], t["min_quantity"], t["kind"], t["value"]) for t in listed] == [
        (None, 100, "percent_off", "10"),
        (variant.id, 10, "fixed", "8"),
        (variant.id, 50, "fixed", "7.5"),
    ]
    before = snapshot(uow)
    bad = put(
        client,
        shop,
        f"{path}/tiers",
        {
            "variant_id": variant.id,
            "tiers": [
                {"min_quantity": 10, "kind": "fixed", "value": "8.00"},
                {"min_quantity": 10, "kind": "fixed", "value": "7.00"},
            ],
        },
    )
    assert bad.status_code == 422
    assert bad.get_json()["errors"] == [
        {"pointer": "/tiers/1/min_quantity", "detail": "Two tiers start at 10 units"}
    ]
    above = put(
        client,
        shop,
        f"{path}/tiers",
        {"variant_id": variant.id, "tiers": [{"min_quantity": 5, "kind": "fixed", "value": "9.50"}]},
    )
    assert above.get_json()["errors"][0]["pointer"] == "/tiers/0/value"
    assert "above the list price 9.00" in above.get_json()["errors"][0]["detail"]
    assert snapshot(uow) == before


def test_quantity_rules_set_list_remove_and_refuse(
    client: FlaskClient, uow: UnitOfWork, catalog: Catalog, shop: ApiShop, path: str
) -> None:
    rule = put(client, shop, f"{path}/quantity-rules", {"minimum": 6, "increment": 6, "maximum": 60})
    assert rule.status_code == 200
    assert rule.get_json()["data"] == {
        "id": rule.get_json()["data"]["id"],
        "variant_id": None,
        "minimum": 6,
        "maximum": 60,
        "increment": 6,
    }
    own = put(client, shop, f"{path}/quantity-rules", {"variant_id": catalog.variants[1].id, "minimum": 2})
    listed = get(client, shop, f"{path}/quantity-rules").get_json()["data"]
    assert [r["variant_id"] for r in listed] == [None, catalog.variants[1].id]
    before = snapshot(uow)
    bad = put(client, shop, f"{path}/quantity-rules", {"minimum": 5, "increment": 2})
    assert bad.status_code == 422
    assert bad.get_json()["errors"][0]["pointer"] == "/increment"
    assert "the minimum of 5 can never be ordered" in bad.get_json()["errors"][0]["detail"]
    assert snapshot(uow) == before
    assert delete(client, shop, f"{path}/quantity-rules/{own.get_json()['data']['id']}").status_code == 204
    assert delete(client, shop, f"{path}/quantity-rules/{own.get_json()['data']['id']}").status_code == 404
    assert len(get(client, shop, f"{path}/quantity-rules").get_json()["data"]) == 1


def test_adjustments_set_list_remove_and_refuse(
    client: FlaskClient, uow: UnitOfWork, catalog: Catalog, other: Catalog, shop: ApiShop, path: str
) -> None:
    created = post(client, shop, f"{path}/adjustments", {"scope": "all", "percent": "-30"})
    assert created.status_code == 200
    assert created.get_json()["data"]["percent"] == "-30"
    product = post(
        client,
        shop,
        f"{path}/adjustments",
        {"scope": "product", "scope_shopify_id": catalog.products[0].shopify_id, "percent": "5"},
    )
    listed = get(client, shop, f"{path}/adjustments").get_json()["data"]
    assert [(a["scope"], a["percent"]) for a in listed] == [("all", "-30"), ("product", "5")]
    before = snapshot(uow)
    cross = post(
        client,
        shop,
        f"{path}/adjustments",
        {"scope": "product", "scope_shopify_id": other.products[0].shopify_id, "percent": "5"},
    )
    assert cross.status_code == 404
    zero = post(client, shop, f"{path}/adjustments", {"scope": "all", "percent": "0"})
    assert zero.get_json()["errors"] == [
        {"pointer": "/percent", "detail": "An adjustment of 0 % changes nothing"}
    ]
    assert snapshot(uow) == before
    assert delete(client, shop, f"{path}/adjustments/{product.get_json()['data']['id']}").status_code == 204
    assert len(get(client, shop, f"{path}/adjustments").get_json()["data"]) == 1


# -- assignments ----------------------------------------------------------------------------------


def test_assignments_add_list_remove(
    client: FlaskClient, uow: UnitOfWork, catalog: Catalog, shop: ApiShop, path: str
) -> None:
    company = post(
        client, shop, f"{path}/assignments", {"target": "company", "company_id": catalog.company.id}
    )
    assert company.status_code == 201
    assert company.get_json()["data"] == {
        "id": company.get_json()["data"]["id"],
        "target": "company",
        "company_location_id": None,
        "company_id": catalog.company.id,
        "customer_id": None,
        "customer_tag": None,
        "segment_id": None,
        "label": "Company: Company 1000",
        "created_at": company.get_json()["data"]["created_at"],
    }
    post(client, shop, f"{path}/assignments", {"target": "customer_tag", "customer_tag": "VIP"})
    listed = get(client, shop, f"{path}/assignments").get_json()["data"]
    assert [a["label"] for a in listed] == ["Company: Company 1000", "Tag: VIP"]
    # The company's timeline names the API key as the actor.
    event = uow.session.scalars(select(CrmTimelineEvent).order_by(CrmTimelineEvent.id.desc())).first()
    assert event is not None
    assert (event.actor, event.kind) == ("API: ERP sync", "company.price_list_assigned")
    assert delete(client, shop, f"{path}/assignments/{company.get_json()['data']['id']}").status_code == 204
    assert [a["label"] for a in get(client, shop, f"{path}/assignments").get_json()["data"]] == ["Tag: VIP"]


def test_assignments_to_another_shops_company_are_404_and_duplicates_409(
    client: FlaskClient, uow: UnitOfWork, catalog: Catalog, other: Catalog, shop: ApiShop, path: str
) -> None:
    post(client, shop, f"{path}/assignments", {"target": "default"})
    before = snapshot(uow)
    cross = post(client, shop, f"{path}/assignments", {"target": "company", "company_id": other.company.id})
    assert cross.status_code == 404
    assert cross.get_json()["detail"] == f"company {other.company.id} not found"
    twice = post(client, shop, f"{path}/assignments", {"target": "default"})
    assert twice.status_code == 409
    bad = post(client, shop, f"{path}/assignments", {"target": "company"})
    assert bad.get_json()["errors"] == [
        {"pointer": "/company_id", "detail": "An assignment to company needs company_id"}
    ]
    assert snapshot(uow) == before
