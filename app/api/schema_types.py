"""Shared OpenAPI building blocks: ids, timestamps, money, named objects, query parameters."""

from __future__ import annotations

from typing import Any

from app.api.openapi import Schema

ID = {"type": "integer", "description": "Tradeline's id: the one the API's paths and filters take."}
SHOPIFY_ID = {"type": "integer", "description": "Shopify's numeric id (the tail of admin_graphql_api_id)."}
TIMESTAMP = {"type": ["string", "null"], "format": "date-time", "description": "ISO 8601, UTC"}
TIMESTAMP_SET = {"type": "string", "format": "date-time", "description": "ISO 8601, UTC"}
TEXT = {"type": ["string", "null"]}
FLAG = {"type": ["boolean", "null"]}
COUNT = {"type": "integer", "minimum": 0}
TAG_LIST = {"type": "array", "items": {"type": "string"}}
# Addresses are kept as Shopify sent them (REST shape), so their keys follow Shopify's documentation.
ADDRESS = {"type": ["object", "null"], "description": "The address as Shopify sends it (REST shape)."}


def gid(resource: str) -> dict[str, Any]:
    """The schema of a Shopify GraphQL id of `resource`."""
    return {
        "type": "string",
        "description": f"Shopify's GraphQL id of the {resource}.",
        "examples": [f"gid://shopify/{resource}/1234567890"],
    }


def enum_of(members: Any, *, nullable: bool = True, description: str | None = None) -> dict[str, Any]:
    """A string enum of a Python enum's values (plus null when the column may be empty)."""
    values: list[Any] = [member.value for member in members]
    schema: dict[str, Any] = {"type": ["string", "null"] if nullable else "string"}
    schema["enum"] = [*values, None] if nullable else values
    if description:
        schema["description"] = description
    return schema


def mirror_fields(resource: str) -> dict[str, Any]:
    """The id and timestamp properties every Shopify-mirrored resource has."""
    return {
        "id": ID,
        "shopify_id": SHOPIFY_ID,
        "admin_graphql_api_id": gid(resource),
        "shopify_created_at": {**TIMESTAMP, "description": "When Shopify says it was created (UTC)."},
        "shopify_updated_at": {
            **TIMESTAMP,
            "description": "Shopify's updated_at of the payload applied; null: known by reference only.",
        },
        "created_at": {**TIMESTAMP_SET, "description": "When Tradeline first stored it (UTC)."},
        "updated_at": {
            **TIMESTAMP_SET,
            "description": "When Tradeline last changed it (UTC); what `updated_since` compares with.",
        },
        "deleted_at": {
            **TIMESTAMP,
            "description": "When it was deleted in Shopify; deleted rows are not listed.",
        },
    }


def obj(name: str, description: str, properties: dict[str, Any]) -> Schema:
    """A named object schema whose properties are all present in every response."""
    return Schema(
        name,
        {
            "type": "object",
            "description": description,
            "required": list(properties),
            "properties": properties,
        },
    )


MONEY = obj(
    "Money",
    "An exact amount: a decimal string (never a float) and its ISO 4217 currency.",
    {
        "amount": {"type": "string", "pattern": r"^-?\d+(\.\d+)?$", "examples": ["298.77"]},
        "currency_code": {"type": "string", "pattern": "^[A-Z]{3}$", "examples": ["USD"]},
    },
)
MONEY_OR_NULL = {"anyOf": [MONEY, {"type": "null"}]}


def query(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    """An optional query parameter."""
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


def sort_parameter(sorts: tuple[str, ...], default: str) -> dict[str, Any]:
    return query(
        "sort",
        "The order of the list: a field, prefixed with '-' for descending.",
        {"type": "string", "enum": list(sorts), "default": default},
    )


def updated_since(resource: str) -> dict[str, Any]:
    return query(
        "updated_since",
        f"Only {resource} Tradeline changed at or after this moment (ISO 8601 with an offset, or a date "
        "meaning its midnight UTC): poll with the time of your last sync to pick up changes.",
        {"type": "string", "format": "date-time"},
    )


ID_FILTER = {"type": "integer", "minimum": 1}
