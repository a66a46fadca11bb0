"""REST API routes at /api/v1: the authenticated shop and the OpenAPI document."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue

from app import services
from app.api.auth import api_key_required, current_api_shop
from app.api.openapi import Schema, build_openapi, operation
from app.api.problems import register_problem_handlers
from app.api.responses import data_response, iso8601
from app.apikeys import ApiShop
from app.models import Shop

bp = Blueprint("api", __name__, url_prefix="/api/v1")
register_problem_handlers(bp)

OPENAPI_CACHE_KEY = "tradeline.openapi"
TIMESTAMP = {"type": ["string", "null"], "format": "date-time", "description": "ISO 8601, UTC"}

SHOP = Schema(
    "Shop",
    {
        "type": "object",
        "description": "The shop the API key belongs to.",
        "required": [
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
        ],
        "properties": {
            "id": {"type": "integer"},
            "domain": {"type": "string", "examples": ["acme.myshopify.com"]},
            "name": {"type": "string"},
            "email": {"type": ["string", "null"]},
            "plan": {"type": ["string", "null"], "description": "Shopify plan name"},
            "currency": {"type": "string", "description": "ISO 4217 code", "examples": ["USD"]},
            "timezone": {"type": "string", "description": "IANA zone name", "examples": ["America/New_York"]},
            "scopes": {"type": "array", "items": {"type": "string"}, "description": "granted Admin scopes"},
            "installed_at": TIMESTAMP,
            "uninstalled_at": TIMESTAMP,
        },
    },
)


def serialize_shop(shop: Shop | ApiShop) -> dict[str, Any]:
    """The API's view of a shop."""
    return {
        "id": shop.id,
        "domain": shop.domain,
        "name": shop.name,
        "email": shop.email,
        "plan": shop.plan,
        "currency": shop.currency,
        "timezone": shop.timezone,
        "scopes": [scope.strip() for scope in shop.scopes.split(",") if scope.strip()],
        "installed_at": iso8601(shop.installed_at),
        "uninstalled_at": iso8601(shop.uninstalled_at),
    }


@bp.get("/shop")
@api_key_required
@operation("The shop the API key belongs to", response=SHOP, tags=("shop",))
def shop() -> ResponseReturnValue:
    """Show the authenticated shop."""
    # Read with the key by the authentication query: this request makes no other.
    return data_response(serialize_shop(current_api_shop()))


@bp.get("/openapi.json")
@operation(
    "This OpenAPI 3.1 document",
    response={"type": "object", "description": "an OpenAPI 3.1 document"},
    wrap=False,
    tags=("meta",),
)
def openapi_document() -> ResponseReturnValue:
    """Serve the OpenAPI document (public: it describes the API, not any shop's data)."""
    document = current_app.extensions.get(OPENAPI_CACHE_KEY)
    if document is None:
        # The URL map is fixed once the app serves requests, so one build per process is enough.
        document = build_openapi(current_app, server_url=services().settings.APP_URL)
        current_app.extensions[OPENAPI_CACHE_KEY] = document
    return jsonify(document)


from app.api import crm, pricing, segments  # noqa: E402, F401  (last: their routes register on `bp` above)
