"""The OpenAPI document covers the pricing endpoints, stays valid, and every answer matches its schema."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from openapi_spec_validator import validate

from app.db import UnitOfWork
from tests.api_crm_support import api_shop
from tests.functional.test_api_crm_openapi import conforms
from tests.pricing_lists_support import add_catalog

ONE = "/api/v1/price-lists/{price_list_id}"
OPERATIONS = {
    ("/api/v1/price-lists", "get"),
    ("/api/v1/price-lists", "post"),
    (ONE, "get"),
    (ONE, "patch"),
    (ONE, "delete"),
    (f"{ONE}/activate", "post"),
    (f"{ONE}/archive", "post"),
    (f"{ONE}/schedule", "post"),
    (f"{ONE}/duplicate", "post"),
    (f"{ONE}/entries", "get"),
    (f"{ONE}/entries/bulk", "post"),
    (f"{ONE}/entries/{{variant_id}}", "put"),
    (f"{ONE}/entries/{{variant_id}}", "delete"),
    (f"{ONE}/tiers", "get"),
    (f"{ONE}/tiers", "put"),
    (f"{ONE}/quantity-rules", "get"),
    (f"{ONE}/quantity-rules", "put"),
    (f"{ONE}/quantity-rules/{{rule_id}}", "delete"),
    (f"{ONE}/adjustments", "get"),
    (f"{ONE}/adjustments", "post"),
    (f"{ONE}/adjustments/{{adjustment_id}}", "delete"),
    (f"{ONE}/assignments", "get"),
    (f"{ONE}/assignments", "post"),
    (f"{ONE}/assignments/{{assignment_id}}", "delete"),
    ("/api/v1/pricing/settings", "get"),
    ("/api/v1/pricing/settings", "put"),
    ("/api/v1/prices/resolve", "post"),
    (f"{ONE}/publish", "post"),
    (f"{ONE}/publication", "get"),
}


@pytest.fixture
def document(client: FlaskClient) -> dict[str, Any]:
    return client.get("/api/v1/openapi.json").get_json()


def test_the_document_with_the_pricing_routes_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    validate(document)
    documented = {(path, method) for path, item in document["paths"].items() for method in item}
    assert documented >= OPERATIONS
    for path, method in OPERATIONS:
        op = document["paths"][path][method]
        assert op["security"] == [{"bearerAuth": []}]
        assert {"401", "403"} <= set(op["responses"])
    assert document["paths"]["/api/v1/prices/resolve"]["post"]["requestBody"]["content"]["application/json"][
        "schema"
    ] == {"$ref": "#/components/schemas/PriceResolveInput"}


def test_every_pricing_answer_matches_its_documented_schema(
    client: FlaskClient, uow: UnitOfWork, document: dict[str, Any]
) -> None:
    # given
    shop = api_shop(uow)
    catalog = add_catalog(uow, shop.id)
    uow.commit()
    variant = catalog.variants[0]
    headers = shop.headers

    def call(method: str, url: str, body: Any = None) -> Any:
        kwargs: dict[str, Any] = {"headers": headers}
        if body is not None:
            kwargs["json"] = body
        return getattr(client, method)(url, **kwargs)

    created = call("post", "/api/v1/price-lists", {"name": "Wholesale", "order_minimum": "100"})
    list_id = created.get_json()["data"]["id"]
    base = f"/api/v1/price-lists/{list_id}"
    steps: list[tuple[str, str, str, Any, int]] = [
        ("/api/v1/price-lists", "post", "/api/v1/price-lists", {"name": "Other"}, 201),
        ("/api/v1/price-lists", "post", "/api/v1/price-lists", {"name": "wholesale"}, 409),
        ("/api/v1/price-lists", "post", "/api/v1/price-lists", {"name": ""}, 422),
        ("/api/v1/price-lists", "get", "/api/v1/price-lists?limit=1", None, 200),
        ("/api/v1/price-lists", "get", "/api/v1/price-lists?sort=cheapest", None, 400),
        (ONE, "get", base, None, 200),
        (ONE, "get", "/api/v1/price-lists/999999", None, 404),
        (ONE, "patch", base, {"priority": 4}, 200),
        (
            f"{ONE}/entries/bulk",
            "post",
            f"{base}/entries/bulk",
            {"entries": [{"sku": "SKU-1002", "price": "9"}]},
            200,
        ),
        (
            f"{ONE}/entries/bulk",
            "post",
            f"{base}/entries/bulk",
            {"entries": [{"sku": "X", "price": "9"}]},
            422,
        ),
        (f"{ONE}/entries/{{variant_id}}", "put", f"{base}/entries/{variant.id}", {"price": "8.00"}, 200),
        (f"{ONE}/entries", "get", f"{base}/entries", None, 200),
        (
            f"{ONE}/tiers",
            "put",
            f"{base}/tiers",
            {"variant_id": variant.id, "tiers": [{"min_quantity": 5, "kind": "fixed", "value": "7.00"}]},
            200,
        ),
        (f"{ONE}/tiers", "get", f"{base}/tiers", None, 200),
        (f"{ONE}/quantity-rules", "put", f"{base}/quantity-rules", {"minimum": 2, "increment": 2}, 200),
        (f"{ONE}/quantity-rules", "get", f"{base}/quantity-rules", None, 200),
        (f"{ONE}/adjustments", "post", f"{base}/adjustments", {"scope": "all", "percent": "-10"}, 200),
        (f"{ONE}/adjustments", "get", f"{base}/adjustments", None, 200),
        (f"{ONE}/assignments", "post", f"{base}/assignments", {"target": "default"}, 201),
        (
            f"{ONE}/assignments",
            "post",
            f"{base}/assignments",
            {"target": "company", "company_id": 999999},
            404,
        ),
        (f"{ONE}/assignments", "get", f"{base}/assignments", None, 200),
        (f"{ONE}/activate", "post", f"{base}/activate", None, 200),
        (f"{ONE}/duplicate", "post", f"{base}/duplicate", {"with_assignments": False}, 201),
        (
            "/api/v1/prices/resolve",
            "post",
            "/api/v1/prices/resolve",
            {
                "buyer": {"customer_id": catalog.customers[0].id},
                "lines": [{"variant_id": variant.id, "quantity": 1}, {"sku": "SKU-1004", "quantity": 6}],
            },
            200,
        ),
        ("/api/v1/prices/resolve", "post", "/api/v1/prices/resolve", {"lines": [{"sku": "SKU-1001"}]}, 422),
        ("/api/v1/pricing/settings", "get", "/api/v1/pricing/settings", None, 200),
        ("/api/v1/pricing/settings", "put", "/api/v1/pricing/settings", {"precedence": "priority"}, 200),
        (f"{ONE}/schedule", "post", f"{base}/schedule", {"ends_at": "2099-01-01T00:00:00Z"}, 200),
        (f"{ONE}/archive", "post", f"{base}/archive", None, 200),
        (ONE, "delete", base, None, 409),
    ]
    for path, method, url, body, status in steps:
        # when
        response = call(method, url, body)
        # then
        assert response.status_code == status, (method, url, response.get_json())
        conforms(document, path, method, response)
