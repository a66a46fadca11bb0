"""Segments endpoints of the REST API: segments (CRUD), their members, and a preview before saving.

The routes live on the `api` blueprint of app.api.views (which imports this module); the analytics ones
(RFM and CLV per customer and company, business metrics, marketing spend, recompute) are in
app.api.segments_analytics. As in app.api.crm, ids are Tradeline's and every read and write is scoped to
the key's shop: another shop's id is a 404. A definition with an unknown field or a bad operator is a 400
whose `errors` point at it (`/definition/conditions/0/field`); other bad values are 422 per field.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import g, request
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from app.api.auth import api_key_required, request_uow
from app.api.crm_inputs import path_id
from app.api.inputs import json_body
from app.api.openapi import operation
from app.api.pagination import page_args, paginate
from app.api.pricing_inputs import checked
from app.api.responses import data_response, list_response
from app.api.segments_schemas import (
    MEMBER,
    PREVIEW,
    PREVIEW_INPUT,
    SEGMENT,
    SEGMENT_CHANGES,
    SEGMENT_INPUT,
    TAG_PUSH,
)
from app.api.segments_serializers import member_json, segment_json, tag_push_json
from app.api.views import bp
from app.errors import NotFound
from crm.models import CrmCompany, CrmCustomer
from segments import definitions, jobs_tags, rules, tags
from segments.models import Segment, SegmentMember

SEGMENTS = "/segments"
ONE = "/segments/<int:segment_id>"
TAGS = ("segments",)
SEGMENT_FIELDS = ("name", "subject", "definition", "description", "shopify_tag")
CHANGE_FIELDS = ("name", "definition", "description", "shopify_tag")
PATH_PART_RE = re.compile(r"[.\[\]]+")


def segment_id_of(segment_id: int) -> int:
    return path_id(segment_id, "segment")


@contextmanager
def definition_errors() -> Iterator[None]:
    """A DefinitionError (400) with a JSON Pointer to the offending part of the body's definition."""
    try:
        yield
    except rules.DefinitionError as exc:
        parts = [part for part in PATH_PART_RE.split(exc.path) if part and part != "definition"]
        exc.errors = [{"pointer": "/".join(["", "definition", *parts]), "detail": exc.detail}]  # type: ignore[attr-defined]
        raise


def committed(payload: Any, status: int = 200) -> ResponseReturnValue:
    request_uow().commit()
    return data_response(payload, status=status)


@bp.get(SEGMENTS)
@api_key_required
@operation("List segments", description="Oldest first.", response=SEGMENT, many=True, tags=TAGS)
def segments_list() -> ResponseReturnValue:
    """List the shop's segments."""
    paging = page_args(request.args)
    page = paginate(
        request_uow().session,
        select(Segment).where(Segment.shop_id == g.shop_id),
        key_columns=[Segment.id],
        limit=paging.limit,
        cursor=paging.cursor,
    )
    return list_response(page, segment_json)


@bp.post(SEGMENTS)
@api_key_required
@operation(
    "Create a segment",
    description="Members are materialised by the next analytics run (POST /analytics/runs to run now). "
    "Names are unique in the shop (409).",
    request_body=SEGMENT_INPUT,
    response=SEGMENT,
    status=201,
    errors=(409,),
    tags=TAGS,
)
def create_segment() -> ResponseReturnValue:
    """Create a segment."""
    values = checked(json_body(), SEGMENT_FIELDS, required=("name", "subject", "definition"))
    with definition_errors():
        created = definitions.create_segment(request_uow(), shop_id=g.shop_id, **values)
    return committed(segment_json(created), 201)


@bp.get(ONE)
@api_key_required
@operation("Get a segment", response=SEGMENT, tags=TAGS)
def segment(segment_id: int) -> ResponseReturnValue:
    """Show one segment."""
    found = definitions.get_segment(request_uow(), shop_id=g.shop_id, segment_id=segment_id_of(segment_id))
    return data_response(segment_json(found))


@bp.patch(ONE)
@api_key_required
@operation(
    "Change a segment",
    description="Only the fields sent change; a new definition takes effect at the next materialisation.",
    request_body=SEGMENT_CHANGES,
    response=SEGMENT,
    errors=(409,),
    tags=TAGS,
)
def update_segment(segment_id: int) -> ResponseReturnValue:
    """Change some fields of a segment."""
    values = checked(json_body(), CHANGE_FIELDS)
    with definition_errors():
        changed = definitions.update_segment(
            request_uow(), shop_id=g.shop_id, segment_id=segment_id_of(segment_id), **values
        )
    return committed(segment_json(changed))


@bp.delete(ONE)
@api_key_required
@operation("Delete a segment", description="With its members and their history.", status=204, tags=TAGS)
def delete_segment(segment_id: int) -> ResponseReturnValue:
    """Delete a segment."""
    definitions.delete_segment(request_uow(), shop_id=g.shop_id, segment_id=segment_id_of(segment_id))
    request_uow().commit()
    return "", 204


@bp.get(f"{ONE}/members")
@api_key_required
@operation(
    "List a segment's members",
    description="Customers or companies in the segment at its last materialisation, in order of entry.",
    response=MEMBER,
    many=True,
    tags=TAGS,
)
def segment_members(segment_id: int) -> ResponseReturnValue:
    """List the members of a segment, a page at a time."""
    paging = page_args(request.args)
    uow = request_uow()
    found = definitions.get_segment(uow, shop_id=g.shop_id, segment_id=segment_id_of(segment_id))
    query = (
        select(
            SegmentMember.id,
            SegmentMember.customer_id,
            SegmentMember.company_id,
            SegmentMember.entered_at,
            SegmentMember.tag_pushed_at,
            CrmCustomer.shopify_id if found.subject.value == "customer" else CrmCompany.shopify_id,
            CrmCustomer.first_name,
            CrmCustomer.last_name,
            CrmCustomer.email,
            CrmCompany.name,
        )
        .outerjoin(CrmCustomer, CrmCustomer.id == SegmentMember.customer_id)
        .outerjoin(CrmCompany, CrmCompany.id == SegmentMember.company_id)
        .where(SegmentMember.shop_id == g.shop_id, SegmentMember.segment_id == found.id)
    )
    page = paginate(
        uow.session, query, key_columns=[SegmentMember.id], limit=paging.limit, cursor=paging.cursor
    )
    return list_response(page, member_json)


@bp.post(f"{SEGMENTS}/preview")
@api_key_required
@operation(
    "Preview a definition",
    description="How many customers or companies would match now, and a sample; nothing is saved.",
    request_body=PREVIEW_INPUT,
    response=PREVIEW,
    tags=TAGS,
)
def preview_segment() -> ResponseReturnValue:
    """Count and sample who a definition matches."""
    values = checked(json_body(), ("subject", "definition"), required=("subject", "definition"))
    with definition_errors():
        found = definitions.preview(request_uow(), shop_id=g.shop_id, **values)
    return data_response({"count": found.count, "sample": found.sample})


@bp.post(f"{ONE}/tag-pushes")
@api_key_required
@operation(
    "Push a segment to Shopify as a customer tag",
    description="Adds the segment's shopify_tag to members not yet tagged and removes it from customers who "
    "left since the last push; twice in a row changes nothing more. 422 without a tag, 409 while a push "
    "of the segment is under way.",
    response=TAG_PUSH,
    status=202,
    errors=(409,),
    tags=TAGS,
)
def push_segment_tags(segment_id: int) -> ResponseReturnValue:
    """Queue a push of the segment's Shopify tag."""
    uow = request_uow()
    push = jobs_tags.request_push(uow, shop_id=g.shop_id, segment_id=segment_id_of(segment_id))
    uow.commit()
    uow.session.refresh(push)  # inline mode (no Redis) ran the job at the commit, in another session
    return data_response(tag_push_json(push), 202)


@bp.get(f"{ONE}/tag-pushes/latest")
@api_key_required
@operation("Get the latest tag push of a segment", response=TAG_PUSH, tags=TAGS)
def latest_tag_push(segment_id: int) -> ResponseReturnValue:
    """Show the progress and result of the segment's latest push."""
    uow = request_uow()
    found = definitions.get_segment(uow, shop_id=g.shop_id, segment_id=segment_id_of(segment_id))
    push = tags.latest_push(uow, shop_id=g.shop_id, segment_id=found.id)
    if push is None:
        raise NotFound(f"segment {segment_id} has not been pushed to Shopify")
    return data_response(tag_push_json(push))


from app.api import segments_analytics  # noqa: E402, F401  (last: its routes register on `bp` too)
