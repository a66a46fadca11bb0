"""Publishing a price list to Shopify B2B through the REST API: queue the publish job, read its status.

`POST /price-lists/{id}/publish` queues the same RQ job the admin's Publish button queues
(pricing.service.publish) and answers 202 with the publication as it stands after the commit (queued; or,
without a worker, already finished). `GET /price-lists/{id}/publication` is what to poll. Another shop's
list is a 404; a list being published, or an archived one, is a 409 that queues nothing.
"""

from __future__ import annotations

from flask import g
from flask.typing import ResponseReturnValue

from app.api.auth import api_key_required, request_uow
from app.api.openapi import Schema, operation
from app.api.pricing import ONE, TAGS, list_id
from app.api.responses import data_response
from app.api.views import bp
from pricing.models import PublishStatus
from pricing.service import publish as publishing

NULLABLE_TIME = {"type": ["string", "null"], "format": "date-time"}
NULLABLE_GID = {"type": ["string", "null"], "examples": ["gid://shopify/PriceList/1001"]}

PUBLICATION = Schema(
    "PricePublication",
    {
        "type": "object",
        "description": "A price list's last publish to Shopify B2B (a catalog for its company locations and "
        "a Shopify price list). Before the first publish only price_list_id, status (null), status_label "
        "and active are given.",
        "required": ["price_list_id", "status", "status_label", "active"],
        "properties": {
            "price_list_id": {"type": "integer"},
            "status": {
                "type": ["string", "null"],
                "enum": [*(status.value for status in PublishStatus), None],
                "description": "queued, running, succeeded, failed (error says why; publishing again "
                "resumes), unsupported (the shop has no B2B catalogs: prices reach checkout through draft "
                "orders); null: never published.",
            },
            "status_label": {"type": "string", "examples": ["Published"]},
            "active": {"type": "boolean", "description": "A publish is queued or running."},
            "done": {"type": "integer", "minimum": 0, "description": "Changes sent to Shopify so far."},
            "total": {"type": "integer", "minimum": 0, "description": "Changes this publish sends."},
            "percent": {"type": ["number", "null"], "minimum": 0, "maximum": 100},
            "unsupported": {
                "type": "array",
                "description": "Rules Shopify cannot express: still applied on Tradeline's own surfaces.",
                "items": {
                    "type": "object",
                    "required": ["rule", "detail"],
                    "properties": {"rule": {"type": "string"}, "detail": {"type": "string"}},
                },
            },
            "error": {"type": ["string", "null"]},
            "shopify_catalog_id": NULLABLE_GID,
            "shopify_price_list_id": NULLABLE_GID,
            "started_at": NULLABLE_TIME,
            "finished_at": NULLABLE_TIME,
        },
    },
)


def _publication(price_list_id: int) -> dict[str, object]:
    found = publishing.get_publication(request_uow(), shop_id=g.shop_id, price_list_id=price_list_id)
    return publishing.publication_json(found, price_list_id=price_list_id)


@bp.post(f"{ONE}/publish")
@api_key_required
@operation(
    "Publish a price list to Shopify",
    description="Queues the publish job: a Shopify catalog for the company locations the list is assigned "
    "to, with a price list holding its fixed prices, quantity rules and price breaks, sent in batches; "
    "publishing again sends only what differs. Poll GET /price-lists/{price_list_id}/publication. 409 "
    "while a publish of the list is queued or running, or when the list is archived; nothing is queued.",
    response=PUBLICATION,
    status=202,
    errors=(409,),
    tags=TAGS,
)
def publish_price_list(price_list_id: int) -> ResponseReturnValue:
    """Queue a publish of the list to Shopify."""
    uow = request_uow()
    price_list_id = list_id(price_list_id)
    publishing.request_publish(uow, shop_id=g.shop_id, price_list_id=price_list_id)
    uow.commit()
    # Without a worker (inline mode) the job ran at the commit, in another session: show what it left.
    uow.session.expire_all()
    return data_response(_publication(price_list_id), status=202)


@bp.get(f"{ONE}/publication")
@api_key_required
@operation(
    "Get a price list's publication",
    description="The status and progress of the list's last publish to Shopify, and the rules Shopify "
    "cannot express.",
    response=PUBLICATION,
    tags=TAGS,
)
def price_list_publication(price_list_id: int) -> ResponseReturnValue:
    """Show the list's last publish to Shopify."""
    return data_response(_publication(list_id(price_list_id)))
