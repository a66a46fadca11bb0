"""CRM endpoints of the REST API: customers, companies, orders and products (list and get), notes and tasks.

The routes live on the `api` blueprint of app.api.views (which imports this module); their input is read
by app.api.crm_inputs, their output shaped by app.api.crm_serializers and documented by
app.api.crm_schemas. Ids in paths, filters and bodies are Tradeline's; every resource also carries
`shopify_id` and `admin_graphql_api_id` so an integrator can cross-reference Shopify. Money is
`{"amount": "<decimal string>", "currency_code": "USD"}`, timestamps ISO 8601 in UTC. Reads go through
crm.queries and writes through crm.notes, both scoped to the key's shop: another shop's id is a 404,
exactly like an id that does not exist.
"""

from __future__ import annotations

from flask import g, request
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.api.auth import api_key_required, current_api_shop, request_uow
from app.api.crm_inputs import (
    NOTE_FIELDS,
    TASK_FIELDS,
    InvalidFields,
    QueryArgs,
    enum_values,
    field_errors,
    note_text,
    path_id,
    task_input,
)
from app.api.crm_schemas import (
    COMPANY,
    COMPANY_DETAIL,
    COMPANY_PARAMETERS,
    CUSTOMER,
    CUSTOMER_PARAMETERS,
    NOTE,
    NOTE_INPUT,
    ORDER,
    ORDER_DETAIL,
    ORDER_PARAMETERS,
    PRODUCT,
    PRODUCT_PARAMETERS,
    TASK,
    TASK_INPUT,
    TASK_PARAMETERS,
)
from app.api.crm_serializers import (
    company_json,
    contact_json,
    customer_json,
    location_json,
    note_json,
    order_detail_json,
    order_json,
    product_json,
    task_json,
)
from app.api.inputs import json_body
from app.api.openapi import operation
from app.api.pagination import page_args
from app.api.responses import data_response, list_response
from app.api.views import bp
from app.db import UnitOfWork, utcnow
from app.errors import InvalidInput, NotFound
from app.models import ApiKey
from crm import notes, queries
from crm.models import (
    CrmCompany,
    CrmCustomer,
    CustomerState,
    FinancialStatus,
    FulfillmentStatus,
    ProductStatus,
    SubjectType,
)
from crm.models_work import CrmTask

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


def _require(model: type[CrmCustomer] | type[CrmCompany], kind: str, row_id: int) -> int:
    """The id of the shop's customer or company, else NotFound (one indexed lookup)."""
    found = request_uow().session.scalar(
        select(model.id).where(model.shop_id == g.shop_id, model.id == path_id(row_id, kind))
    )
    if found is None:
        raise NotFound(f"{kind} {row_id} not found")
    return found


def _notes(subject_type: SubjectType, subject_id: int) -> ResponseReturnValue:
    paging = page_args(request.args)
    if subject_type is SubjectType.CUSTOMER:
        subject = {"customer_id": _require(CrmCustomer, "customer", subject_id)}
    else:
        subject = {"company_id": _require(CrmCompany, "company", subject_id)}
    page = queries.list_notes(
        request_uow(), shop_id=g.shop_id, **subject, limit=paging.limit, cursor=paging.cursor
    )
    return list_response(page, note_json)


@bp.get("/customers/<int:customer_id>/notes")
@api_key_required
@operation("List a customer's notes", description="Newest first.", response=NOTE, many=True, tags=("notes",))
def customer_notes(customer_id: int) -> ResponseReturnValue:
    """List the notes on a customer."""
    return _notes(SubjectType.CUSTOMER, customer_id)


@bp.get("/companies/<int:company_id>/notes")
@api_key_required
@operation("List a company's notes", description="Newest first.", response=NOTE, many=True, tags=("notes",))
def company_notes(company_id: int) -> ResponseReturnValue:
    """List the notes on a company."""
    return _notes(SubjectType.COMPANY, company_id)


@bp.get("/tasks")
@api_key_required
@operation(
    "List follow-up tasks",
    description="Open tasks by default, soonest due first; tasks of deleted customers and companies too.",
    response=TASK,
    many=True,
    parameters=TASK_PARAMETERS,
    tags=("tasks",),
)
def tasks() -> ResponseReturnValue:
    """List the shop's tasks."""
    paging = page_args(request.args)
    args = QueryArgs(request.args)
    filters = {
        "status": args.choice("status", queries.TASK_STATUSES) or "open",
        "assignee_id": args.row_id("assignee_id"),
        "customer_id": args.row_id("customer_id"),
        "company_id": args.row_id("company_id"),
        "due": args.choice("due", queries.TASK_DUE),
        "search": args.text("search"),
        "sort": args.choice("sort", queries.TASK_SORTS),
    }
    uow = request_uow()
    today = None
    if filters["due"] in {"overdue", "today", "upcoming"}:
        # Due dates are days of the shop's calendar: "today" is the shop's, not the server's.
        today = queries.shop_today(current_api_shop().timezone, utcnow())
    page = queries.list_tasks(
        uow, shop_id=g.shop_id, **filters, today=today, limit=paging.limit, cursor=paging.cursor
    )
    return list_response(page, task_json)


@bp.get("/tasks/<int:task_id>")
@api_key_required
@operation("Get a task", response=TASK, tags=("tasks",))
def task(task_id: int) -> ResponseReturnValue:
    """Show one task."""
    row = request_uow().session.scalar(
        select(CrmTask)
        .where(CrmTask.shop_id == g.shop_id, CrmTask.id == path_id(task_id, "task"))
        .options(selectinload(CrmTask.assignee))
    )
    if row is None:
        raise NotFound(f"task {task_id} not found")
    return data_response(task_json(row))


# -- writes ---------------------------------------------------------------------------------------


def api_actor(uow: UnitOfWork) -> notes.Actor:
    """The API key as the author of a change: 'API: <key name>' on notes, tasks and the timeline."""
    name = uow.session.scalar(
        select(ApiKey.name).where(ApiKey.id == g.api_key_id, ApiKey.shop_id == g.shop_id)
    )
    return notes.Actor(label=f"API: {name}")


def _add_note(subject_type: SubjectType, subject_id: int) -> ResponseReturnValue:
    text = note_text(json_body())
    uow = request_uow()
    try:
        note = notes.add_note(
            uow,
            shop_id=g.shop_id,
            subject_type=subject_type,
            subject_id=path_id(subject_id, subject_type.value),
            body=text,
            author=api_actor(uow),
        )
    except NotFound:
        raise NotFound(f"{subject_type.value} {subject_id} not found") from None
    except InvalidInput as exc:
        raise field_errors(NOTE_FIELDS, exc) from None
    payload = note_json(note)
    uow.commit()
    return data_response(payload, status=201)


@bp.post("/customers/<int:customer_id>/notes")
@api_key_required
@operation(
    "Add a note to a customer",
    description="The note is written by the API key (its name is the author) and lands on the customer's "
    "timeline.",
    request_body=NOTE_INPUT,
    response=NOTE,
    status=201,
    tags=("notes",),
)
def add_customer_note(customer_id: int) -> ResponseReturnValue:
    """Add a note to a customer."""
    return _add_note(SubjectType.CUSTOMER, customer_id)


@bp.post("/companies/<int:company_id>/notes")
@api_key_required
@operation(
    "Add a note to a company",
    description="The note is written by the API key (its name is the author) and lands on the company's "
    "timeline.",
    request_body=NOTE_INPUT,
    response=NOTE,
    status=201,
    tags=("notes",),
)
def add_company_note(company_id: int) -> ResponseReturnValue:
    """Add a note to a company."""
    return _add_note(SubjectType.COMPANY, company_id)


@bp.post("/tasks")
@api_key_required
@operation(
    "Create a follow-up task",
    description="A task about one customer or one company, optionally due on a day and assigned to a staff "
    "member; created by the API key and shown on the account's timeline.",
    request_body=TASK_INPUT,
    response=TASK,
    status=201,
    tags=("tasks",),
)
def create_task() -> ResponseReturnValue:
    """Create a follow-up task."""
    wanted = task_input(json_body())
    uow = request_uow()
    subject_field = f"{wanted.subject_type.value}_id"
    try:
        task = notes.add_task(
            uow,
            shop_id=g.shop_id,
            subject_type=wanted.subject_type,
            subject_id=wanted.subject_id,
            title=wanted.title,
            due_on=wanted.due_on,
            assignee_id=wanted.assignee_id,
            author=api_actor(uow),
        )
    except NotFound:
        # The id is the body's, not the URL's: an unknown one is a bad field, not a missing resource.
        raise InvalidFields(
            [(subject_field, f"no {wanted.subject_type.value} {wanted.subject_id} in this shop")]
        ) from None
    except InvalidInput as exc:
        raise field_errors(TASK_FIELDS, exc) from None
    payload = task_json(task)
    uow.commit()
    return data_response(payload, status=201)


@bp.post("/tasks/<int:task_id>/complete")
@api_key_required
@operation(
    "Complete a task",
    description="Marks the task done (by the API key); completing a done task changes nothing.",
    response=TASK,
    tags=("tasks",),
)
def complete_task(task_id: int) -> ResponseReturnValue:
    """Mark a task done."""
    uow = request_uow()
    try:
        task = notes.complete_task(
            uow, shop_id=g.shop_id, task_id=path_id(task_id, "task"), actor=api_actor(uow)
        )
    except NotFound:
        raise NotFound(f"task {task_id} not found") from None
    payload = task_json(task)
    uow.commit()
    return data_response(payload)
