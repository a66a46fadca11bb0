"""Pricing endpoints of the REST API, a list's contents: fixed prices (one, many at once, paged), volume
tiers, quantity rules, adjustments and assignments. Registered by app.api.pricing, whose conventions hold.
"""

from __future__ import annotations

from flask import g, request
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from app.api.auth import api_key_required, request_uow
from app.api.crm import api_actor
from app.api.crm_inputs import QueryArgs, path_id
from app.api.inputs import json_body
from app.api.openapi import operation
from app.api.pagination import page_args
from app.api.pricing import ONE, array_of, committed, done, list_id
from app.api.pricing_contents_schemas import (
    ADJUSTMENT,
    ADJUSTMENT_INPUT,
    ASSIGNMENT,
    ASSIGNMENT_INPUT,
    BULK_INPUT,
    BULK_RESULT,
    ENTRY,
    ENTRY_INPUT,
    ENTRY_PARAMETERS,
    RULE,
    RULE_INPUT,
    TIER,
    TIERS_INPUT,
)
from app.api.pricing_inputs import (
    ADJUSTMENT_FIELDS,
    ASSIGNMENT_FIELDS,
    BULK_ROW_FIELDS,
    ENTRY_FIELDS,
    MAX_BULK_ROWS,
    RULE_FIELDS,
    TIER_FIELDS,
    TIERS_FIELDS,
    array,
    checked,
    field_errors,
    objects,
    row_id,
)
from app.api.pricing_serializers import adjustment_json, assignment_json, entry_json, rule_json, tier_json
from app.api.responses import data_response, list_response
from app.api.views import bp
from app.errors import NotFound
from crm.models import CrmProduct, CrmVariant
from pricing.service import lists

# -- entries --------------------------------------------------------------------------------------


@bp.get(f"{ONE}/entries")
@api_key_required
@operation(
    "List a price list's fixed prices",
    description="In variant order, a page at a time.",
    response=ENTRY,
    many=True,
    parameters=ENTRY_PARAMETERS,
    tags=("price list entries",),
)
def entries(price_list_id: int) -> ResponseReturnValue:
    """List a price list's entries."""
    paging = page_args(request.args)
    uow = request_uow()
    price_list_row = lists.get_price_list(uow, shop_id=g.shop_id, price_list_id=list_id(price_list_id))
    page = lists.search_entries(
        uow,
        shop_id=g.shop_id,
        price_list_id=price_list_row.id,
        search=QueryArgs(request.args).text("search"),
        limit=paging.limit,
        cursor=paging.cursor,
    )
    return list_response(page, lambda view: entry_json(view, price_list_row.currency))


@bp.post(f"{ONE}/entries/bulk")
@api_key_required
@operation(
    "Create or replace many fixed prices",
    description=f"Up to {MAX_BULK_ROWS:,} rows, all or nothing: every row is checked first and any bad row "
    "refuses them all (422, one error per bad row pointing at /entries/<index>/<field>).",
    request_body=BULK_INPUT,
    response=BULK_RESULT,
    errors=(409,),
    tags=("price list entries",),
)
def bulk_entries(price_list_id: int) -> ResponseReturnValue:
    """Upsert many entries at once."""
    body = checked(json_body(), ("entries",), required=("entries",))
    rows = objects(array(body, "entries", MAX_BULK_ROWS), "entries", BULK_ROW_FIELDS)
    inputs = [
        lists.EntryInput(**row) if "price" in row else lists.EntryInput(price=None, **row) for row in rows
    ]
    with field_errors("entries/"):
        result = lists.bulk_upsert_entries(
            request_uow(), shop_id=g.shop_id, price_list_id=list_id(price_list_id), rows=inputs
        )
    return committed({"created": result.created, "updated": result.updated, "unchanged": result.unchanged})


@bp.put(f"{ONE}/entries/<int:variant_id>")
@api_key_required
@operation(
    "Set a variant's fixed price",
    request_body=ENTRY_INPUT,
    response=ENTRY,
    errors=(409,),
    tags=("price list entries",),
)
def set_entry(price_list_id: int, variant_id: int) -> ResponseReturnValue:
    """Set one variant's fixed price in the list."""
    body = checked(json_body(), ENTRY_FIELDS, required=("price",))
    uow = request_uow()
    with field_errors():
        entry = lists.set_entry(
            uow,
            shop_id=g.shop_id,
            price_list_id=list_id(price_list_id),
            variant_id=path_id(variant_id, "variant"),
            price=body["price"],
            compare_at_price=body.get("compare_at_price"),
        )
    variant = uow.session.get(CrmVariant, entry.variant_id)
    title = uow.session.scalar(select(CrmProduct.title).where(CrmProduct.id == variant.product_id))  # type: ignore[union-attr]
    currency = lists.get_price_list(uow, shop_id=g.shop_id, price_list_id=price_list_id).currency
    return committed(entry_json(lists.EntryView(entry, variant, title), currency))  # type: ignore[arg-type]


@bp.delete(f"{ONE}/entries/<int:variant_id>")
@api_key_required
@operation("Remove a variant's fixed price", status=204, errors=(409,), tags=("price list entries",))
def remove_entry(price_list_id: int, variant_id: int) -> ResponseReturnValue:
    """Remove one variant's fixed price from the list."""
    lists.remove_entry(
        request_uow(),
        shop_id=g.shop_id,
        price_list_id=list_id(price_list_id),
        variant_id=path_id(variant_id, "variant"),
    )
    return done()


# -- tiers, quantity rules, adjustments -----------------------------------------------------------


@bp.get(f"{ONE}/tiers")
@api_key_required
@operation("List a price list's volume tiers", response=array_of(TIER), tags=("price list rules",))
def tiers(price_list_id: int) -> ResponseReturnValue:
    """List every tier of the list, list-wide first."""
    rows = lists.list_tiers(request_uow(), shop_id=g.shop_id, price_list_id=list_id(price_list_id))
    return data_response([tier_json(row) for row in rows])


@bp.put(f"{ONE}/tiers")
@api_key_required
@operation(
    "Replace a variant's (or the list-wide) volume tiers",
    description="Tiers ascend by min_quantity and never make buying more cost more per unit; a variant's "
    "fixed tiers stay at or below its fixed price.",
    request_body=TIERS_INPUT,
    response=array_of(TIER),
    errors=(409,),
    tags=("price list rules",),
)
def replace_tiers(price_list_id: int) -> ResponseReturnValue:
    """Replace the tiers of one variant, or the list-wide ones."""
    body = checked(json_body(), TIERS_FIELDS, required=("tiers",))
    variant_id = row_id(body.get("variant_id"), "variant_id", nullable=True)
    given = objects(array(body, "tiers", 100), "tiers", TIER_FIELDS)
    with field_errors():
        rows = lists.replace_tiers(
            request_uow(),
            shop_id=g.shop_id,
            price_list_id=list_id(price_list_id),
            variant_id=variant_id,
            tiers=given,
        )
    return committed([tier_json(row) for row in rows])


@bp.get(f"{ONE}/quantity-rules")
@api_key_required
@operation("List a price list's quantity rules", response=array_of(RULE), tags=("price list rules",))
def quantity_rules(price_list_id: int) -> ResponseReturnValue:
    """List the list's quantity rules, the list-wide one first."""
    rows = lists.list_quantity_rules(request_uow(), shop_id=g.shop_id, price_list_id=list_id(price_list_id))
    return data_response([rule_json(row) for row in rows])


@bp.put(f"{ONE}/quantity-rules")
@api_key_required
@operation(
    "Set a variant's (or the list-wide) quantity rule",
    description="The minimum and maximum must be multiples of the increment; the maximum at least "
    "the minimum.",
    request_body=RULE_INPUT,
    response=RULE,
    errors=(409,),
    tags=("price list rules",),
)
def set_quantity_rule(price_list_id: int) -> ResponseReturnValue:
    """Set the quantity rule of one variant, or the list-wide one."""
    body = checked(json_body(), RULE_FIELDS)
    variant_id = row_id(body.pop("variant_id", None), "variant_id", nullable=True)
    with field_errors():
        rule = lists.set_quantity_rule(
            request_uow(),
            shop_id=g.shop_id,
            price_list_id=list_id(price_list_id),
            variant_id=variant_id,
            **body,
        )
    return committed(rule_json(rule))


@bp.delete(f"{ONE}/quantity-rules/<int:rule_id>")
@api_key_required
@operation("Remove a quantity rule", status=204, errors=(409,), tags=("price list rules",))
def remove_quantity_rule(price_list_id: int, rule_id: int) -> ResponseReturnValue:
    """Remove one quantity rule of the list."""
    uow = request_uow()
    found = [
        rule
        for rule in lists.list_quantity_rules(uow, shop_id=g.shop_id, price_list_id=list_id(price_list_id))
        if rule.id == rule_id
    ]
    if not found:
        raise NotFound(f"quantity rule {rule_id} not found")
    lists.remove_quantity_rule(
        uow, shop_id=g.shop_id, price_list_id=price_list_id, variant_id=found[0].variant_id
    )
    return done()


@bp.get(f"{ONE}/adjustments")
@api_key_required
@operation("List a price list's adjustments", response=array_of(ADJUSTMENT), tags=("price list rules",))
def adjustments(price_list_id: int) -> ResponseReturnValue:
    """List the list's percentage adjustments."""
    rows = lists.list_adjustments(request_uow(), shop_id=g.shop_id, price_list_id=list_id(price_list_id))
    return data_response([adjustment_json(row) for row in rows])


@bp.post(f"{ONE}/adjustments")
@api_key_required
@operation(
    "Set an adjustment",
    description="One per scope and Shopify id: setting it again replaces the percentage. Lists in another "
    "currency than the shop's price only through fixed prices (409).",
    request_body=ADJUSTMENT_INPUT,
    response=ADJUSTMENT,
    errors=(409,),
    tags=("price list rules",),
)
def set_adjustment(price_list_id: int) -> ResponseReturnValue:
    """Set a percentage adjustment."""
    body = checked(json_body(), ADJUSTMENT_FIELDS, required=("scope", "percent"))
    with field_errors():
        row = lists.set_adjustment(
            request_uow(), shop_id=g.shop_id, price_list_id=list_id(price_list_id), **body
        )
    return committed(adjustment_json(row))


@bp.delete(f"{ONE}/adjustments/<int:adjustment_id>")
@api_key_required
@operation("Remove an adjustment", status=204, errors=(409,), tags=("price list rules",))
def remove_adjustment(price_list_id: int, adjustment_id: int) -> ResponseReturnValue:
    """Remove one adjustment of the list."""
    lists.remove_adjustment(
        request_uow(),
        shop_id=g.shop_id,
        price_list_id=list_id(price_list_id),
        adjustment_id=path_id(adjustment_id, "adjustment"),
    )
    return done()


# -- assignments ----------------------------------------------------------------------------------


@bp.get(f"{ONE}/assignments")
@api_key_required
@operation(
    "List who a price list applies to", response=array_of(ASSIGNMENT), tags=("price list assignments",)
)
def assignments(price_list_id: int) -> ResponseReturnValue:
    """List the list's assignments, most specific first."""
    views = lists.list_assignments(request_uow(), shop_id=g.shop_id, price_list_id=list_id(price_list_id))
    return data_response([assignment_json(view) for view in views])


@bp.post(f"{ONE}/assignments")
@api_key_required
@operation(
    "Assign a price list",
    description="To a company location, company, customer, customer tag, segment, or everyone (default). "
    "Another shop's company, location or customer is 404; the same assignment twice 409.",
    request_body=ASSIGNMENT_INPUT,
    response=ASSIGNMENT,
    status=201,
    errors=(404, 409),
    tags=("price list assignments",),
)
def add_assignment(price_list_id: int) -> ResponseReturnValue:
    """Assign the list to a target."""
    body = checked(json_body(), ASSIGNMENT_FIELDS, required=("target",))
    uow = request_uow()
    with field_errors():
        row = lists.add_assignment(
            uow, shop_id=g.shop_id, price_list_id=list_id(price_list_id), actor=api_actor(uow).label, **body
        )
    view = next(
        v
        for v in lists.list_assignments(uow, shop_id=g.shop_id, price_list_id=price_list_id)
        if v.assignment.id == row.id
    )
    return committed(assignment_json(view), 201)


@bp.delete(f"{ONE}/assignments/<int:assignment_id>")
@api_key_required
@operation("Remove an assignment", status=204, errors=(409,), tags=("price list assignments",))
def remove_assignment(price_list_id: int, assignment_id: int) -> ResponseReturnValue:
    """Remove one assignment of the list."""
    uow = request_uow()
    lists.remove_assignment(
        uow,
        shop_id=g.shop_id,
        price_list_id=list_id(price_list_id),
        assignment_id=path_id(assignment_id, "assignment"),
        actor=api_actor(uow).label,
    )
    return done()
