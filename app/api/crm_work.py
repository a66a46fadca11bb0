"""Notes and tasks endpoints of the REST API: list and add notes, list, get, create and complete tasks.

Part of the CRM API that app.api.crm describes (and imports, so these routes register on the `api`
blueprint too). Writes go through crm.notes with the API key as the actor ('API: <key name>').
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
    field_errors,
    note_text,
    path_id,
    task_input,
)
from app.api.crm_parameters import TASK_PARAMETERS
from app.api.crm_schemas import NOTE, NOTE_INPUT, TASK, TASK_INPUT
from app.api.crm_serializers import note_json, task_json
from app.api.inputs import json_body
from app.api.openapi import operation
from app.api.pagination import page_args
from app.api.responses import data_response, list_response
from app.api.views import bp
from app.db import UnitOfWork, utcnow
from app.errors import InvalidInput, NotFound
from app.models import ApiKey
from crm import notes, queries
from crm.models import CrmCompany, CrmCustomer, SubjectType
from crm.models_work import CrmTask


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
