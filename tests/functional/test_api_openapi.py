"""The OpenAPI 3.1 document: valid, public, and covering every /api/v1 route of the app."""

from __future__ import annotations

import re

from openapi_spec_validator import validate

from app.api.problems import API_PATH_PREFIX

IGNORED_METHODS = {"HEAD", "OPTIONS"}


def openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule)


def test_the_document_is_valid_openapi_3_1(client):
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    document = response.get_json()
    assert document["openapi"] == "3.1.0"
    validate(document)  # raises on any deviation from the OpenAPI 3.1 schema


def test_every_api_route_of_the_app_is_documented_with_its_methods(app, client):
    document = client.get("/api/v1/openapi.json").get_json()
    routes = {
        (openapi_path(rule.rule), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(API_PATH_PREFIX)
        for method in (rule.methods or set()) - IGNORED_METHODS
    }
    documented = {(path, method) for path, item in document["paths"].items() for method in item}

    assert routes == documented
    assert ("/api/v1/shop", "get") in routes


def test_the_document_describes_bearer_keys_problems_lists_and_the_shop(client):
    document = client.get("/api/v1/openapi.json").get_json()
    components = document["components"]

    assert components["securitySchemes"]["bearerAuth"]["type"] == "http"
    assert components["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert document["security"] == [{"bearerAuth": []}]
    assert components["schemas"]["Problem"]["required"] == ["type", "title", "status", "detail", "instance"]
    assert components["schemas"]["ListEnvelope"]["required"] == ["data", "next_cursor"]
    assert set(components["schemas"]["Shop"]["properties"]) == {
        "id",
        "domain",
        "name",
        "email",
        "plan",
        "currency",
        "timezone",
        "scopes",
        "installed_at",
        "uninstalled_at",
    }


def test_operations_say_who_may_call_them(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]

    shop = paths["/api/v1/shop"]["get"]
    assert shop["security"] == [{"bearerAuth": []}]
    assert shop["responses"]["200"]["content"]["application/json"]["schema"]["properties"]["data"] == {
        "$ref": "#/components/schemas/Shop"
    }
    assert shop["responses"]["401"]["content"]["application/problem+json"]["schema"] == {
        "$ref": "#/components/schemas/Problem"
    }
    assert paths["/api/v1/openapi.json"]["get"]["security"] == []
