"""CRM endpoints of the REST API: customers, companies, orders and products (list and get), notes and tasks.

The routes live on the `api` blueprint of app.api.views (which imports this module); their input is read
by app.api.crm_inputs, their output shaped by app.api.crm_serializers and documented by
app.api.crm_schemas. Ids in paths, filters and bodies are Tradeline's; every resource also carries
`shopify_id` and `admin_graphql_api_id` so an integrator can cross-reference Shopify. Money is
`{"amount": "<decimal string>", "currency_code": "USD"}`, timestamps ISO 8601 in UTC. Reads go through
crm.queries and writes through crm.notes, both scoped to the key's shop: another shop's id is a 404,
exactly like an id that does not exist. The note and task endpoints live in app.api.crm_work.
"""

from __future__ import annotations

from flask import g, request
from flask.typing import ResponseReturnValue

from app.api.auth import api_key_required, request_uow
from app.api.crm_inputs import QueryArgs, enum_values, path_id
from app.api.crm_parameters import (
    COMPANY_PARAMETERS,
    CUSTOMER_PARAMETERS,
    ORDER_PARAMETERS,
    PRODUCT_PARAMETERS,
)
from app.api.crm_schemas import COMPANY, COMPANY_DETAIL, CUSTOMER, ORDER, ORDER_DETAIL, PRODUCT
from app.api.crm_serializers import (
    company_json,
    contact_json,
    customer_json,
    location_json,
    order_detail_json,
    order_json,
    product_json,
)

# Importing crm_work registers the note and task routes too; the pricing endpoints take api_actor from here.
from app.api.crm_work import api_actor as api_actor
from app.api.openapi import operation
from app.api.pagination import page_args
from app.api.responses import data_response, list_response
from app.api.views import bp
from crm import notes, queries
from crm.models import CustomerState, FinancialStatus, FulfillmentStatus, ProductStatus

# -- reads ----------------------------------------------------------------------------------------


@bp.get("/customers")
@api_key_required
@operation(
    "List customers",
    description="Live (not deleted) customers matching every filter given, a page at a time.",
    response=CUSTOMER,
    many=True,
    parameters=CUSTOMER_PARAMETERS,
    tags=("customers",),
)
def customers() -> ResponseReturnValue:
    """List the shop's customers."""
    paging = page_args(request.args)
    args = QueryArgs(request.args)
    filters = {
        "search": args.text("search"),
        "tag": args.text("tag"),
        "company_id": args.row_id("company_id"),
        "state": args.choice("state", enum_values(CustomerState)),
        "sales_rep_id": args.row_id("sales_rep_id"),
        "updated_since": args.moment("updated_since"),
        "sort": args.choice("sort", queries.CUSTOMER_SORTS) or "name",
    }
    page = queries.list_customers(
        request_uow(), shop_id=g.shop_id, **filters, limit=paging.limit, cursor=paging.cursor
    )
    return list_response(page, lambda row: customer_json(row.customer, row.sales_rep))


@bp.get("/customers/<int:customer_id>")
@api_key_required
@operation("Get a customer", response=CUSTOMER, tags=("customers",))
def customer(customer_id: int) -> ResponseReturnValue:
    """Show one customer (a deleted one too, with its deleted_at)."""
    uow = request_uow()
    row = queries.get_customer(uow, shop_id=g.shop_id, customer_id=path_id(customer_id, "customer"))
    rep = notes.sales_rep_of(uow, shop_id=g.shop_id, customer_id=row.id)
    return data_response(customer_json(row, rep))


@bp.get("/companies")
@api_key_required
@operation(
    "List companies",
    description="Live (not deleted) B2B companies matching every filter given, a page at a time.",
    response=COMPANY,
    many=True,
    parameters=COMPANY_PARAMETERS,
    tags=("companies",),
)
def companies() -> ResponseReturnValue:
    """List the shop's companies."""
    paging = page_args(request.args)
    args = QueryArgs(request.args)
    filters = {
        "search": args.text("search"),
        "sales_rep_id": args.row_id("sales_rep_id"),
        "updated_since": args.moment("updated_since"),
        "sort": args.choice("sort", queries.COMPANY_SORTS) or "name",
    }
    page = queries.list_companies(
        request_uow(), shop_id=g.shop_id, **filters, limit=paging.limit, cursor=paging.cursor
    )
    return list_response(
        page, lambda row: company_json(row.company, row.sales_rep, row.locations_count, row.contacts_count)
    )


@bp.get("/companies/<int:company_id>")
@api_key_required
@operation("Get a company with its locations and contacts", response=COMPANY_DETAIL, tags=("companies",))
def company(company_id: int) -> ResponseReturnValue:
    """Show one company with its live locations and contacts."""
    uow = request_uow()
    row = queries.get_company(uow, shop_id=g.shop_id, company_id=path_id(company_id, "company"))
    locations = queries.company_locations(uow, shop_id=g.shop_id, company_id=row.id)
    contacts = queries.company_contacts(uow, shop_id=g.shop_id, company_id=row.id)
    rep = notes.sales_rep_of(uow, shop_id=g.shop_id, company_id=row.id)
    return data_response(
        {
            **company_json(row, rep, len(locations), len(contacts)),
            "locations": [location_json(location) for location in locations],
            "contacts": [contact_json(contact) for contact in contacts],
        }
    )


@bp.get("/orders")
@api_key_required
@operation(
    "List orders",
    description="Live (not deleted) orders matching every filter given, a page at a time; newest first.",
    response=ORDER,
    many=True,
    parameters=ORDER_PARAMETERS,
    tags=("orders",),
)
def orders() -> ResponseReturnValue:
    """List the shop's orders."""
    paging = page_args(request.args)
    args = QueryArgs(request.args)
    filters = {
        "customer_id": args.row_id("customer_id"),
        "company_id": args.row_id("company_id"),
        "financial_status": args.choice("financial_status", enum_values(FinancialStatus)),
        "fulfillment_status": args.choice("fulfillment_status", enum_values(FulfillmentStatus)),
        "search": args.text("search"),
        "processed_since": args.moment("processed_since"),
        "processed_until": args.moment("processed_until", day_end=True),
        "sort": args.choice("sort", queries.ORDER_SORTS) or "-processed_at",
    }
    page = queries.list_orders(
        request_uow(), shop_id=g.shop_id, **filters, limit=paging.limit, cursor=paging.cursor
    )
    return list_response(page, order_json)


@bp.get("/orders/<int:order_id>")
@api_key_required
@operation("Get an order with its lines", response=ORDER_DETAIL, tags=("orders",))
def order(order_id: int) -> ResponseReturnValue:
    """Show one order with its lines."""
    row = queries.get_order(request_uow(), shop_id=g.shop_id, order_id=path_id(order_id, "order"))
    return data_response(order_detail_json(row))


@bp.get("/products")
@api_key_required
@operation(
    "List products",
    description="Live (not deleted) catalog products with their variants, a page at a time.",
    response=PRODUCT,
    many=True,
    parameters=PRODUCT_PARAMETERS,
    tags=("products",),
)
def products() -> ResponseReturnValue:
    """List the shop's products."""
    paging = page_args(request.args)
    args = QueryArgs(request.args)
    filters = {
        "search": args.text("search"),
        "status": args.choice("status", enum_values(ProductStatus)),
        "vendor": args.text("vendor"),
        "sku": args.text("sku"),
        "sort": args.choice("sort", queries.PRODUCT_SORTS) or "title",
    }
    page = queries.list_products(
        request_uow(), shop_id=g.shop_id, **filters, limit=paging.limit, cursor=paging.cursor
    )
    return list_response(page, product_json)


@bp.get("/products/<int:product_id>")
@api_key_required
@operation("Get a product with its variants", response=PRODUCT, tags=("products",))
def product(product_id: int) -> ResponseReturnValue:
    """Show one product with its live variants."""
    row = queries.get_product(request_uow(), shop_id=g.shop_id, product_id=path_id(product_id, "product"))
    return data_response(product_json(row))
