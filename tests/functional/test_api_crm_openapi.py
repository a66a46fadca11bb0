"""The OpenAPI document covers the CRM endpoints, and what they answer matches what it says."""

from __future__ import annotations

import pytest
from openapi_schema_validator import OAS31Validator
from openapi_spec_validator import validate

from crm import service
from crm.models import CrmCompany, CrmCustomer, CrmOrder, CrmProduct
from tests.api_crm_support import add_customer, add_order, add_product, api_shop, post
from tests.crm_support import webhook

LISTS = {
    "/api/v1/customers": (
        "Customer",
        {"search", "tag", "company_id", "state", "sales_rep_id", "updated_since", "sort"},
    ),
    "/api/v1/companies": ("Company", {"search", "sales_rep_id", "updated_since", "sort"}),
    "/api/v1/orders": (
        "Order",
        {
            "customer_id",
            "company_id",
            "financial_status",
            "fulfillment_status",
            "processed_since",
            "processed_until",
            "search",
            "sort",
        },
    ),
    "/api/v1/products": ("Product", {"search", "status", "sku", "vendor", "sort"}),
    "/api/v1/tasks": (
        "Task",
        {"status", "assignee_id", "customer_id", "company_id", "due", "search", "sort"},
    ),
    "/api/v1/customers/{customer_id}/notes": ("Note", set()),
    "/api/v1/companies/{company_id}/notes": ("Note", set()),
}
GETS = {
    "/api/v1/customers/{customer_id}": "Customer",
    "/api/v1/companies/{company_id}": "CompanyDetail",
    "/api/v1/orders/{order_id}": "OrderDetail",
    "/api/v1/products/{product_id}": "Product",
    "/api/v1/tasks/{task_id}": "Task",
}
POSTS = {
    "/api/v1/customers/{customer_id}/notes": ("NoteInput", "Note", "201"),
    "/api/v1/companies/{company_id}/notes": ("NoteInput", "Note", "201"),
    "/api/v1/tasks": ("TaskInput", "Task", "201"),
    "/api/v1/tasks/{task_id}/complete": (None, "Task", "200"),
}


@pytest.fixture
def document(client):
    return client.get("/api/v1/openapi.json").get_json()


def test_the_document_with_the_crm_routes_is_valid_openapi_3_1(document):
    validate(document)

    assert set(LISTS) | set(GETS) <= {path for path, item in document["paths"].items() if "get" in item}
    assert set(POSTS) <= {path for path, item in document["paths"].items() if "post" in item}


@pytest.mark.parametrize("path", sorted(LISTS))
def test_each_list_documents_its_filters_paging_items_and_errors(document, path):
    item_schema, filters = LISTS[path]
    op = document["paths"][path]["get"]

    assert op["security"] == [{"bearerAuth": []}]
    query = [p for p in op["parameters"] if p["in"] == "query"]
    assert {p["name"] for p in query} == {"limit", "cursor"} | filters
    assert all(p["required"] is False for p in query)
    schema = op["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema == {
        "allOf": [
            {"$ref": "#/components/schemas/ListEnvelope"},
            {"properties": {"data": {"items": {"$ref": f"#/components/schemas/{item_schema}"}}}},
        ]
    }
    assert {"400", "401", "403", "default"} <= set(op["responses"])


@pytest.mark.parametrize("path", sorted(GETS))
def test_each_get_documents_its_path_id_resource_and_404(document, path):
    op = document["paths"][path]["get"]

    assert [p["in"] for p in op["parameters"]] == ["path"]
    assert op["parameters"][0]["schema"] == {"type": "integer"}
    data = op["responses"]["200"]["content"]["application/json"]["schema"]["properties"]["data"]
    assert data == {"$ref": f"#/components/schemas/{GETS[path]}"}
    assert {"401", "403", "404"} <= set(op["responses"])


@pytest.mark.parametrize("path", sorted(POSTS))
def test_each_write_documents_its_body_result_and_errors(document, path):
    body_schema, result_schema, status = POSTS[path]
    op = document["paths"][path]["post"]

    if body_schema is None:
        assert "requestBody" not in op
    else:
        assert op["requestBody"]["content"]["application/json"]["schema"] == {
            "$ref": f"#/components/schemas/{body_schema}"
        }
        assert {"400", "415", "422"} <= set(op["responses"])
    data = op["responses"][status]["content"]["application/json"]["schema"]["properties"]["data"]
    assert data == {"$ref": f"#/components/schemas/{result_schema}"}
    assert {"401", "403"} <= set(op["responses"])


def conforms(document, path: str, method: str, response) -> None:
    """Assert the response's body is valid against the schema the document gives for its status."""
    responses = document["paths"][path][method]["responses"]
    described = responses.get(str(response.status_code), responses["default"])
    if "$ref" in described:
        described = document["components"]["responses"][described["$ref"].rsplit("/", 1)[1]]
    schema = described["content"][response.mimetype]["schema"]
    validator = OAS31Validator({**schema, "components": document["components"]})
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(response.get_json())]
    assert errors == [], f"{method.upper()} {path} {response.status_code}"


def test_every_crm_answer_matches_its_documented_schema(client, uow, document):
    # given: one of everything, with nulls and without
    shop = api_shop(uow)
    add_customer(uow, shop.id, 706405506930370084, tags="vip")
    add_customer(uow, shop.id, 706405506930370085, email=None, phone=None, state=None, default_address=None)
    service.upsert_company(uow, shop_id=shop.id, payload=webhook("companies_create"))
    service.upsert_company_location(uow, shop_id=shop.id, payload=webhook("company_locations_create"))
    service.upsert_company_contact(uow, shop_id=shop.id, payload=webhook("company_contacts_create"))
    add_order(uow, shop.id, 820982911946154508, company={"id": 123456789, "location_id": 987654321})
    add_order(uow, shop.id, 820982911946154509, customer_id=None, fulfillment_status="fulfilled")
    add_product(uow, shop.id, 632910392)
    uow.commit()
    session = uow.session
    customer = session.query(CrmCustomer).filter_by(shop_id=shop.id).first()
    company = session.query(CrmCompany).filter_by(shop_id=shop.id).one()
    order = session.query(CrmOrder).filter_by(shop_id=shop.id).first()
    product = session.query(CrmProduct).filter_by(shop_id=shop.id).one()
    task_id = post(client, shop, "/api/v1/tasks", {"title": "Call", "customer_id": customer.id}).get_json()[
        "data"
    ]["id"]
    calls = [
        ("/api/v1/customers", "get", "/api/v1/customers?limit=1", None, 200),
        ("/api/v1/customers/{customer_id}", "get", f"/api/v1/customers/{customer.id}", None, 200),
        ("/api/v1/companies", "get", "/api/v1/companies", None, 200),
        ("/api/v1/companies/{company_id}", "get", f"/api/v1/companies/{company.id}", None, 200),
        ("/api/v1/orders", "get", "/api/v1/orders", None, 200),
        ("/api/v1/orders/{order_id}", "get", f"/api/v1/orders/{order.id}", None, 200),
        ("/api/v1/products", "get", "/api/v1/products", None, 200),
        ("/api/v1/products/{product_id}", "get", f"/api/v1/products/{product.id}", None, 200),
        (
            "/api/v1/customers/{customer_id}/notes",
            "post",
            f"/api/v1/customers/{customer.id}/notes",
            {"body": "hi"},
            201,
        ),
        (
            "/api/v1/companies/{company_id}/notes",
            "post",
            f"/api/v1/companies/{company.id}/notes",
            {"body": "hi"},
            201,
        ),
        ("/api/v1/customers/{customer_id}/notes", "get", f"/api/v1/customers/{customer.id}/notes", None, 200),
        ("/api/v1/companies/{company_id}/notes", "get", f"/api/v1/companies/{company.id}/notes", None, 200),
        ("/api/v1/tasks", "post", "/api/v1/tasks", {"title": "Visit", "company_id": company.id}, 201),
        ("/api/v1/tasks/{task_id}/complete", "post", f"/api/v1/tasks/{task_id}/complete", None, 200),
        ("/api/v1/tasks", "get", "/api/v1/tasks?status=all", None, 200),
        ("/api/v1/tasks/{task_id}", "get", f"/api/v1/tasks/{task_id}", None, 200),
        # the problems too
        ("/api/v1/customers", "get", "/api/v1/customers?limit=251", None, 400),
        ("/api/v1/orders/{order_id}", "get", "/api/v1/orders/999999", None, 404),
        ("/api/v1/tasks", "post", "/api/v1/tasks", {"title": ""}, 422),
        ("/api/v1/customers/{customer_id}/notes", "post", f"/api/v1/customers/{customer.id}/notes", [], 400),
    ]
    for path, method, url, body, status in calls:
        # when
        if method == "get":
            response = client.get(url, headers=shop.headers)
        else:
            response = client.post(url, headers=shop.headers, json=body)
        # then
        assert response.status_code == status, (method, url, response.get_json())
        conforms(document, path, method, response)
