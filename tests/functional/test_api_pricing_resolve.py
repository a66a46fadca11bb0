"""REST API: POST /api/v1/prices/resolve end to end, from lists made through the API to explained prices."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from app.db import UnitOfWork
from tests.api_crm_support import ApiShop, api_shop, post
from tests.pricing_lists_support import Catalog, add_catalog, snapshot

RESOLVE = "/api/v1/prices/resolve"


@pytest.fixture
def shop(uow: UnitOfWork) -> ApiShop:
    return api_shop(uow)


@pytest.fixture
def catalog(uow: UnitOfWork, shop: ApiShop) -> Catalog:
    data = add_catalog(uow, shop.id)
    uow.commit()
    return data


@pytest.fixture
def other(uow: UnitOfWork, catalog: Catalog) -> Catalog:
    data = add_catalog(uow, api_shop(uow, "other.myshopify.com").id, base=2000)
    uow.commit()
    return data


def _ok(response: Any) -> Any:
    assert response.status_code in (200, 201, 204), response.get_json()
    return response.get_json()


def _list(client: FlaskClient, shop: ApiShop, name: str, assignment: dict[str, Any]) -> str:
    created = _ok(post(client, shop, "/api/v1/price-lists", {"name": name}))["data"]
    path = f"/api/v1/price-lists/{created['id']}"
    _ok(post(client, shop, f"{path}/assignments", assignment))
    return path


@pytest.fixture
def priced(client: FlaskClient, catalog: Catalog, shop: ApiShop) -> dict[str, str]:
    """A -30 % default list, a company list with a fixed price, a tier and a rule, a VIP tag list."""
    v = catalog.variants
    default = _list(client, shop, "Wholesale default", {"target": "default"})
    _ok(post(client, shop, f"{default}/adjustments", {"scope": "all", "percent": "-30"}))
    company = _list(
        client, shop, "Company 1000 prices", {"target": "company", "company_id": catalog.company.id}
    )
    _ok(client.put(f"{company}/entries/{v[0].id}", headers=shop.headers, json={"price": "5.00"}))
    _ok(
        client.put(
            f"{company}/tiers",
            headers=shop.headers,
            json={"variant_id": v[0].id, "tiers": [{"min_quantity": 10, "kind": "fixed", "value": "4.50"}]},
        )
    )
    _ok(client.put(f"{company}/quantity-rules", headers=shop.headers, json={"minimum": 2, "increment": 2}))
    vip = _list(client, shop, "VIP", {"target": "customer_tag", "customer_tag": "vip"})
    _ok(post(client, shop, f"{vip}/entries/bulk", {"entries": [{"sku": "SKU-1002", "price": "6.00"}]}))
    for path in (default, company, vip):
        _ok(post(client, shop, f"{path}/activate", None))
    return {"default": default, "company": company, "vip": vip}


def test_resolve_prices_each_line_with_the_winner_and_why(
    client: FlaskClient, catalog: Catalog, shop: ApiShop, priced: dict[str, str]
) -> None:
    v = catalog.variants
    # when: a buyer of location 1 of Company 1000, tagged VIP
    body = {
        "buyer": {"customer_id": catalog.customers[0].id, "company_location_id": catalog.locations[0].id},
        "lines": [
            {"variant_id": v[0].id, "quantity": 10},
            {"sku": "SKU-1002", "quantity": 3},
            {"shopify_variant_id": v[2].shopify_id, "quantity": 1},
        ],
    }
    data = _ok(post(client, shop, RESOLVE, body))["data"]
    # then
    assert data["currency"] == "USD"
    assert data["subtotal"] == {"amount": "84.00", "currency_code": "USD"}
    assert data["violations"] == []
    summary = [
        (
            line["sku"],
            line["quantity"],
            line["unit_price"]["amount"],
            line["line_total"]["amount"],
            line["source"],
            line["price_list"]["name"],
            line["tier_min_quantity"],
        )
        for line in data["lines"]
    ]
    assert summary == [
        ("SKU-1001", 10, "4.50", "45.00", "tier", "Company 1000 prices", 10),
        ("SKU-1002", 3, "6.00", "18.00", "fixed", "VIP", None),
        ("SKU-1003", 1, "21.00", "21.00", "adjustment", "Wholesale default", None),
    ]
    first = data["lines"][0]
    assert first["base_price"] == {"amount": "10.00", "currency_code": "USD"}
    assert "Company 1000 prices" in first["explanation"]
    candidates = [
        (c["price_list_name"], c["via"], c["unit_price"] and c["unit_price"]["amount"], c["outcome"])
        for c in first["candidates"]
    ]
    assert candidates == [
        ("Company 1000 prices", "company", "4.50", "won"),
        ("Wholesale default", "default", "7.00", "lost"),
        ("VIP", "customer_tag", None, "not_applicable"),
    ]
    # Each reason is the engine's sentence (the engine tests pin its wording); it opens with the outcome.
    assert [c["reason"].split(":")[0] for c in first["candidates"]] == ["won", "lost", "not applicable"]
    assert [c["outcome"] for c in first["candidates"]].count("won") == 1


def test_resolve_reports_quantity_rule_violations(
    client: FlaskClient, catalog: Catalog, shop: ApiShop, priced: dict[str, str]
) -> None:
    body = {
        "buyer": {"company_id": catalog.company.id},
        "lines": [{"variant_id": catalog.variants[0].id, "quantity": 3}],
    }
    line = _ok(post(client, shop, RESOLVE, body))["data"]["lines"][0]
    assert (line["unit_price"]["amount"], line["price_list"]["name"]) == ("5.00", "Company 1000 prices")
    assert [v["code"] for v in line["violations"]] == ["not_increment"]


def test_a_buyer_with_no_list_pays_retail_and_another_currency_gets_no_price(
    client: FlaskClient, catalog: Catalog, shop: ApiShop
) -> None:
    retail = _ok(post(client, shop, RESOLVE, {"lines": [{"sku": "SKU-1004", "quantity": 2}]}))["data"]
    line = retail["lines"][0]
    assert (
        line["unit_price"]["amount"],
        line["line_total"]["amount"],
        line["source"],
        line["price_list"],
    ) == (
        "40.00",
        "80.00",
        "retail",
        None,
    )
    euro = _ok(
        post(
            client,
            shop,
            RESOLVE,
            {"buyer": {"currency": "eur"}, "lines": [{"sku": "SKU-1004", "quantity": 2}]},
        )
    )
    line = euro["data"]["lines"][0]
    assert (euro["data"]["currency"], line["unit_price"], line["source"]) == ("EUR", None, "none")


def test_resolve_refuses_bad_lines_with_a_pointer_to_each(
    client: FlaskClient, uow: UnitOfWork, catalog: Catalog, other: Catalog, shop: ApiShop
) -> None:
    before = snapshot(uow)
    response = post(
        client,
        shop,
        RESOLVE,
        {
            "lines": [
                {"sku": "NOPE", "quantity": 1},
                {"variant_id": other.variants[0].id, "quantity": 1},
                {"variant_id": catalog.variants[0].id, "sku": "SKU-1001", "quantity": 1},
            ]
        },
    )
    assert response.status_code == 422
    assert response.get_json()["errors"] == [
        {"pointer": "/lines/0/sku", "detail": "Unknown SKU 'NOPE' in this shop"},
        {"pointer": "/lines/1/variant_id", "detail": f"Unknown variant {other.variants[0].id} in this shop"},
        {"pointer": "/lines/2/variant_id", "detail": "Name the variant once, not by variant_id and sku"},
    ]
    quantities = post(
        client,
        shop,
        RESOLVE,
        {
            "lines": [
                {"sku": "SKU-1001", "quantity": 0},
                {"sku": "SKU-1001"},
                {"sku": "SKU-1001", "quantity": "2x"},
            ]
        },
    )
    assert [(e["pointer"], e["detail"]) for e in quantities.get_json()["errors"]] == [
        ("/lines/0/quantity", "The quantity must be at least 1, not 0"),
        ("/lines/1/quantity", "required"),
        ("/lines/2/quantity", "The quantity '2x' is not a whole number"),
    ]
    empty = post(client, shop, RESOLVE, {"lines": []})
    assert empty.get_json()["errors"] == [{"pointer": "/lines", "detail": "give at least one line"}]
    buyer = post(
        client,
        shop,
        RESOLVE,
        {"buyer": {"currency": "dollars"}, "lines": [{"sku": "SKU-1001", "quantity": 1}]},
    )
    assert buyer.status_code == 422
    assert buyer.get_json()["errors"][0]["pointer"] == "/buyer/currency"
    assert snapshot(uow) == before


def test_resolve_for_another_shops_customer_is_404(
    client: FlaskClient, catalog: Catalog, other: Catalog, shop: ApiShop
) -> None:
    for buyer, detail in (
        ({"customer_id": other.customers[0].id}, f"customer {other.customers[0].id} not found"),
        ({"company_id": other.company.id}, f"company {other.company.id} not found"),
        (
            {"company_location_id": other.locations[0].id},
            f"company location {other.locations[0].id} not found",
        ),
    ):
        response = post(
            client, shop, RESOLVE, {"buyer": buyer, "lines": [{"sku": "SKU-1001", "quantity": 1}]}
        )
        assert response.status_code == 404
        assert response.get_json()["detail"] == detail
