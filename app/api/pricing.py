"""Pricing endpoints of the REST API: price lists and their contents, assignments, settings, and
`POST /prices/resolve` (a buyer and lines in, the prices and why out).

The routes live on the `api` blueprint of app.api.views (which imports this module); those of a list's
contents (entries, tiers, quantity rules, adjustments, assignments) in app.api.pricing_contents, those of
publishing to Shopify in app.api.pricing_publish. As in
app.api.crm, ids are Tradeline's (price lists, variants, customers, companies, locations), every variant
also carries `shopify_variant_id`, and entries and resolve lines may name a variant by `shopify_variant_id`
or `sku`.
Writes go through pricing.service.lists, prices through pricing.service.resolve, both scoped to the key's
shop: another shop's id is a 404. Bad values are 422 with one error per field, pointing into the body
(`/entries/17/price`); a refused write changes nothing.
"""

from __future__ import annotations

from typing import Any

from flask import g, request
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from app.api.auth import api_key_required, request_uow
from app.api.crm import api_actor
from app.api.crm_inputs import InvalidFields, QueryArgs, path_id
from app.api.inputs import json_body
from app.api.openapi import operation
from app.api.pagination import page_args
from app.api.pricing_inputs import (
    BUYER_FIELDS,
    DUPLICATE_FIELDS,
    LINE_FIELDS,
    MAX_RESOLVE_LINES,
    PRICE_LIST_FIELDS,
    RESOLVE_FIELDS,
    SCHEDULE_FIELDS,
    SETTINGS_FIELDS,
    array,
    checked,
    field_errors,
    moment,
    objects,
    row_id,
)
from app.api.pricing_schemas import (
    DUPLICATE_INPUT,
    LIST_PARAMETERS,
    PRICE_LIST,
    PRICE_LIST_CHANGES,
    PRICE_LIST_INPUT,
    PRICED_CART,
    RESOLVE_INPUT,
    SCHEDULE_INPUT,
    SETTINGS,
    SETTINGS_INPUT,
)
from app.api.pricing_serializers import (
    cart_json,
    price_list_json,
)
from app.api.responses import data_response, list_response
from app.api.views import bp
from crm.models import CrmProduct, CrmVariant
from pricing import rules
from pricing.models import PriceListStatus
from pricing.service import lists, resolve
from pricing.validation import PricingInputError, parse_quantity

LISTS = "/price-lists"
ONE = "/price-lists/<int:price_list_id>"
TAGS = ("price lists",)


def array_of(schema: Any) -> dict[str, Any]:
    """A response that is a whole (unpaged) array: a list's tiers, rules, adjustments or assignments."""
    return {"type": "array", "items": schema}


def list_id(price_list_id: int) -> int:
    return path_id(price_list_id, "price list")


def _summary(price_list_id: int) -> dict[str, Any]:
    return price_list_json(
        lists.get_price_list_summary(request_uow(), shop_id=g.shop_id, price_list_id=price_list_id)
    )


def committed(payload: Any, status: int = 200) -> ResponseReturnValue:
    request_uow().commit()
    return data_response(payload, status=status)


def done() -> ResponseReturnValue:
    request_uow().commit()
    return "", 204


def _list_fields(body: dict[str, Any]) -> dict[str, Any]:
    """A price list body's values for the service; timestamps parsed here, the rest checked there."""
    values = dict(body)
    for name in ("starts_at", "ends_at"):
        if name in values:
            values[name] = moment(values[name], name)
    return values


# -- price lists ----------------------------------------------------------------------------------


@bp.get(LISTS)
@api_key_required
@operation("List price lists", response=PRICE_LIST, many=True, parameters=LIST_PARAMETERS, tags=TAGS)
def price_lists() -> ResponseReturnValue:
    """List the shop's price lists with their counts."""
    paging = page_args(request.args)
    args = QueryArgs(request.args)
    page = lists.list_price_lists(
        request_uow(),
        shop_id=g.shop_id,
        status=args.choice("status", tuple(s.value for s in PriceListStatus)),
        search=args.text("search"),
        sort=args.choice("sort", lists.PRICE_LIST_SORTS) or "name",
        limit=paging.limit,
        cursor=paging.cursor,
    )
    return list_response(page, price_list_json)


@bp.post(LISTS)
@api_key_required
@operation(
    "Create a price list",
    description="A draft: it prices nobody until activated. The name is unique in the shop (409 otherwise).",
    request_body=PRICE_LIST_INPUT,
    response=PRICE_LIST,
    status=201,
    errors=(409,),
    tags=TAGS,
)
def create_price_list() -> ResponseReturnValue:
    """Create a draft price list."""
    values = _list_fields(checked(json_body(), PRICE_LIST_FIELDS, required=("name",)))
    with field_errors():
        created = lists.create_price_list(request_uow(), shop_id=g.shop_id, actor=_actor(), **values)
    return committed(_summary(created.id), 201)


@bp.get(ONE)
@api_key_required
@operation("Get a price list", response=PRICE_LIST, tags=TAGS)
def price_list(price_list_id: int) -> ResponseReturnValue:
    """Show one price list with its counts."""
    return data_response(_summary(list_id(price_list_id)))


@bp.patch(ONE)
@api_key_required
@operation(
    "Change a price list",
    description="Only the fields sent change. Archived lists cannot change (409); the currency only while "
    "the list holds no prices (409).",
    request_body=PRICE_LIST_CHANGES,
    response=PRICE_LIST,
    errors=(409,),
    tags=TAGS,
)
def update_price_list(price_list_id: int) -> ResponseReturnValue:
    """Change some fields of a price list."""
    values = _list_fields(checked(json_body(), PRICE_LIST_FIELDS))
    with field_errors():
        lists.update_price_list(
            request_uow(), shop_id=g.shop_id, price_list_id=list_id(price_list_id), actor=_actor(), **values
        )
    return committed(_summary(price_list_id))


@bp.delete(ONE)
@api_key_required
@operation(
    "Delete a draft price list",
    description="Drafts only, with everything in them; archive an active list instead (409).",
    status=204,
    errors=(409,),
    tags=TAGS,
)
def delete_price_list(price_list_id: int) -> ResponseReturnValue:
    """Delete a draft."""
    lists.delete_price_list(request_uow(), shop_id=g.shop_id, price_list_id=list_id(price_list_id))
    return done()


def _actor() -> str:
    """The API key as the author of a change, on the list's timeline."""
    return api_actor(request_uow()).label


def _transition(action: Any, price_list_id: int) -> ResponseReturnValue:
    action(request_uow(), shop_id=g.shop_id, price_list_id=list_id(price_list_id), actor=_actor())
    return committed(_summary(price_list_id))


@bp.post(f"{ONE}/activate")
@api_key_required
@operation(
    "Activate a price list",
    description="Draft to active (an active list stays so); archived or ended lists are 409.",
    response=PRICE_LIST,
    errors=(409,),
    tags=TAGS,
)
def activate_price_list(price_list_id: int) -> ResponseReturnValue:
    """Activate a draft."""
    return _transition(lists.activate_price_list, price_list_id)


@bp.post(f"{ONE}/archive")
@api_key_required
@operation(
    "Archive a price list", description="It prices nobody from now on.", response=PRICE_LIST, tags=TAGS
)
def archive_price_list(price_list_id: int) -> ResponseReturnValue:
    """Archive a list."""
    return _transition(lists.archive_price_list, price_list_id)


@bp.post(f"{ONE}/schedule")
@api_key_required
@operation(
    "Schedule a price list",
    description="Sets the window and activates the list: it prices its buyers from starts_at until ends_at.",
    request_body=SCHEDULE_INPUT,
    response=PRICE_LIST,
    errors=(409,),
    tags=TAGS,
)
def schedule_price_list(price_list_id: int) -> ResponseReturnValue:
    """Set a list's window and activate it."""
    body = checked(json_body(), SCHEDULE_FIELDS)
    window = {name: moment(body.get(name), name) for name in SCHEDULE_FIELDS}
    with field_errors():
        lists.schedule_price_list(
            request_uow(), shop_id=g.shop_id, price_list_id=list_id(price_list_id), actor=_actor(), **window
        )
    return committed(_summary(price_list_id))


@bp.post(f"{ONE}/duplicate")
@api_key_required
@operation(
    "Duplicate a price list",
    description="A draft copy with the entries, adjustments, tiers, quantity rules and (by default) "
    "assignments.",
    request_body=DUPLICATE_INPUT,
    response=PRICE_LIST,
    status=201,
    errors=(409,),
    tags=TAGS,
)
def duplicate_price_list(price_list_id: int) -> ResponseReturnValue:
    """Copy a list as a draft."""
    body = checked(json_body(), DUPLICATE_FIELDS)
    with_assignments = body.get("with_assignments", True)
    if not isinstance(with_assignments, bool):
        raise InvalidFields([("with_assignments", "must be true or false")])
    with field_errors():
        copy = lists.duplicate_price_list(
            request_uow(),
            shop_id=g.shop_id,
            price_list_id=list_id(price_list_id),
            name=body.get("name"),
            with_assignments=with_assignments,
            actor=_actor(),
        )
    return committed(_summary(copy.id), 201)


# -- settings and resolving -----------------------------------------------------------------------


@bp.get("/pricing/settings")
@api_key_required
@operation("Get the shop's pricing settings", response=SETTINGS, tags=("prices",))
def pricing_settings() -> ResponseReturnValue:
    """Show how the shop picks among applicable lists."""
    return data_response({"precedence": lists.get_precedence(request_uow(), shop_id=g.shop_id).value})


@bp.put("/pricing/settings")
@api_key_required
@operation(
    "Change the shop's pricing settings", request_body=SETTINGS_INPUT, response=SETTINGS, tags=("prices",)
)
def set_pricing_settings() -> ResponseReturnValue:
    """Set how the shop picks among applicable lists."""
    body = checked(json_body(), SETTINGS_FIELDS, required=("precedence",))
    with field_errors():
        precedence = lists.set_precedence(request_uow(), shop_id=g.shop_id, precedence=body["precedence"])
    return committed({"precedence": precedence.value})


@bp.post("/prices/resolve")
@api_key_required
@operation(
    "Price lines for a buyer",
    description="The engine every surface uses: per line the unit price (rounded once), the list and tier "
    "that won, quantity-rule violations and every candidate list with why it won or lost; plus the "
    f"subtotal and cart violations (order minimums). Up to {MAX_RESOLVE_LINES:,} lines. Nothing is saved.",
    request_body=RESOLVE_INPUT,
    response=PRICED_CART,
    errors=(404,),
    tags=("prices",),
)
def resolve_prices() -> ResponseReturnValue:
    """Price a cart for a buyer and explain each price."""
    body = checked(json_body(), RESOLVE_FIELDS, required=("lines",))
    buyer_body = body.get("buyer") or {}
    if not isinstance(buyer_body, dict):
        raise InvalidFields([("buyer", "must be an object")])
    buyer_fields = checked(buyer_body, BUYER_FIELDS)
    ids = {
        name: row_id(buyer_fields.get(name), f"buyer/{name}", nullable=True)
        for name in ("customer_id", "company_id", "company_location_id")
    }
    given = objects(array(body, "lines", MAX_RESOLVE_LINES), "lines", LINE_FIELDS)
    if not given:
        raise InvalidFields([("lines", "give at least one line")])
    quantities, quantity_errors = [], []
    for index, line in enumerate(given):
        field = f"lines/{index}/quantity"
        try:
            quantities.append(parse_quantity(line.get("quantity"), "The quantity", field=field))
        except PricingInputError as exc:
            quantity_errors.append((field, "required" if "quantity" not in line else exc.detail))
    if quantity_errors:
        raise InvalidFields(quantity_errors)
    uow = request_uow()
    refs = [lists.VariantRef(**{k: v for k, v in line.items() if k != "quantity"}) for line in given]
    with field_errors("lines/"):
        variant_ids = lists.find_variants(uow, shop_id=g.shop_id, refs=refs)
    with field_errors("buyer/"):
        buyer = resolve.load_buyer(uow, shop_id=g.shop_id, currency=buyer_fields.get("currency"), **ids)
    with field_errors():
        cart = resolve.price_lines(
            uow,
            shop_id=g.shop_id,
            buyer=buyer,
            lines=[rules.LineRequest(vid, qty) for vid, qty in zip(variant_ids, quantities, strict=True)],
        )
    shown = {
        variant.id: (variant, title)
        for variant, title in uow.session.execute(
            select(CrmVariant, CrmProduct.title)
            .join(CrmProduct, CrmProduct.id == CrmVariant.product_id)
            .where(CrmVariant.shop_id == g.shop_id, CrmVariant.id.in_(sorted(set(variant_ids))))
        )
    }
    return data_response(cart_json(cart, shown))


# Last: the routes of a list's contents and of publishing register on `bp` too, with the helpers above.
from app.api import pricing_contents, pricing_publish  # noqa: E402, F401
