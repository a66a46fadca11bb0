"""The customer and company pages (their 360 views) and their note, task and sales-rep forms."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import flash, render_template, request

from app.admin.views import admin_url
from app.api.problems import InvalidParameter
from app.auth.context import admin_required
from app.db import UnitOfWork
from app.errors import InvalidInput, NotFound
from crm import display, notes, queries
from crm.models import SubjectType
from crm.views._shared import (
    CURSOR_RESET,
    _back,
    _check_csrf,
    _field_error,
    _form_date,
    _form_int,
    _not_found,
    _page_url,
    _pager,
    _Request,
    _uow,
    bp,
)


def _cursors(tasks_status: str) -> queries.SectionCursors:
    args = request.args
    return queries.SectionCursors(
        orders=args.get("orders") or None,
        orders_before=args.get("orders_before") or None,
        timeline=args.get("timeline") or None,
        timeline_before=args.get("timeline_before") or None,
        notes=args.get("notes") or None,
        notes_before=args.get("notes_before") or None,
        tasks_status=tasks_status,
    )


def _section_pagers(endpoint: str, view: Any) -> dict[str, dict[str, str | None]]:
    return {
        "orders": _pager(endpoint, view.orders, cursor="orders", before="orders_before", anchor="#orders"),
        "timeline": _pager(
            endpoint, view.timeline, cursor="timeline", before="timeline_before", anchor="#timeline"
        ),
        "notes": _pager(endpoint, view.notes, cursor="notes", before="notes_before", anchor="#notes"),
    }


def _load_360(load: Callable[..., Any], ctx: _Request, uow: UnitOfWork, **ids: int) -> tuple[Any, str | None]:
    tasks_status = "all" if request.args.get("tasks") == "all" else "open"
    kwargs = dict(uow=uow, shop_id=ctx.shop.id, today=ctx.today, tz_name=ctx.shop.timezone, **ids)
    try:
        try:
            return load(**kwargs, cursors=_cursors(tasks_status)), None
        except InvalidParameter:
            return load(**kwargs, cursors=queries.SectionCursors(tasks_status=tasks_status)), CURSOR_RESET
    except NotFound as exc:
        _not_found(exc)
        raise


def _render_customer(customer_id: int, *, forms: dict[str, Any] | None = None, status: int = 200) -> Any:
    with _uow() as uow:
        ctx = _Request(uow)
        view, notice = _load_360(queries.customer_360, ctx, uow, customer_id=customer_id)
        html = render_template(
            "admin/customer.html",
            view=view,
            customer=view.customer,
            pagers=_section_pagers("crm.customer", view),
            tasks_all=request.args.get("tasks") == "all",
            forms=forms or {},
            notice=notice,
            me=ctx.me,
            today=ctx.today,
            shop=ctx.shop,
            chart=display.spend_chart(view.monthly, ctx.shop.currency),
            here=_page_url("crm.customer"),
        )
    return html, status


@bp.get("/customers/<int:customer_id>")
@admin_required
def customer(customer_id: int) -> Any:
    """Show one customer: profile, company, lifetime figures, orders, timeline, notes, tasks, sales rep."""
    return _render_customer(customer_id)


def _subject_post(
    subject_type: SubjectType,
    subject_id: int,
    form: str,
    action: Callable[[UnitOfWork, _Request], str],
) -> Any:
    """Run one form's service call; flash and redirect on success, re-render with the error on bad input."""
    _check_csrf()
    endpoint = "crm.customer" if subject_type is SubjectType.CUSTOMER else "crm.company"
    page = admin_url(endpoint, **{f"{subject_type.value}_id": subject_id})
    with _uow() as uow:
        ctx = _Request(uow)
        try:
            message = action(uow, ctx)
        except NotFound as exc:
            _not_found(exc)
        except InvalidInput as exc:
            uow.rollback()
            field, error = _field_error(exc)
            values = {k: v for k, v in request.form.items() if k != "csrf_token"}
            render = _render_customer if subject_type is SubjectType.CUSTOMER else _render_company
            return render(
                subject_id, forms={form: {"error": error, "field": field, "values": values}}, status=422
            )
        uow.commit()
    flash(message, "success")
    return _back(page + f"#{form}s" if form in ("note", "task") else page)


def _add_note(subject_type: SubjectType, subject_id: int) -> Any:
    def action(uow: UnitOfWork, ctx: _Request) -> str:
        notes.add_note(
            uow,
            shop_id=ctx.shop.id,
            subject_type=subject_type,
            subject_id=subject_id,
            body=request.form.get("body", ""),
            author=ctx.actor,
        )
        return "Note added."

    return _subject_post(subject_type, subject_id, "note", action)


def _add_task(subject_type: SubjectType, subject_id: int) -> Any:
    def action(uow: UnitOfWork, ctx: _Request) -> str:
        task = notes.add_task(
            uow,
            shop_id=ctx.shop.id,
            subject_type=subject_type,
            subject_id=subject_id,
            title=request.form.get("title", ""),
            due_on=_form_date("due_on"),
            assignee_id=_form_int("assignee_id"),
            author=ctx.actor,
        )
        return f"Task “{task.title}” created."

    return _subject_post(subject_type, subject_id, "task", action)


def _set_sales_rep(subject_type: SubjectType, subject_id: int) -> Any:
    def action(uow: UnitOfWork, ctx: _Request) -> str:
        rep = notes.assign_sales_rep(
            uow,
            shop_id=ctx.shop.id,
            staff_id=_form_int("staff_id"),
            actor=ctx.actor,
            **{f"{subject_type.value}_id": subject_id},
        )
        return f"Sales rep set to {rep.name}." if rep else "Sales rep removed."

    return _subject_post(subject_type, subject_id, "sales_rep", action)


@bp.post("/customers/<int:customer_id>/notes")
@admin_required
def customer_add_note(customer_id: int) -> Any:
    """Add a note to a customer."""
    return _add_note(SubjectType.CUSTOMER, customer_id)


@bp.post("/customers/<int:customer_id>/tasks")
@admin_required
def customer_add_task(customer_id: int) -> Any:
    """Create a follow-up task about a customer."""
    return _add_task(SubjectType.CUSTOMER, customer_id)


@bp.post("/customers/<int:customer_id>/sales-rep")
@admin_required
def customer_sales_rep(customer_id: int) -> Any:
    """Set or remove a customer's sales rep."""
    return _set_sales_rep(SubjectType.CUSTOMER, customer_id)


def _render_company(company_id: int, *, forms: dict[str, Any] | None = None, status: int = 200) -> Any:
    with _uow() as uow:
        ctx = _Request(uow)
        view, notice = _load_360(queries.company_360, ctx, uow, company_id=company_id)
        html = render_template(
            "admin/company.html",
            view=view,
            company=view.company,
            pagers=_section_pagers("crm.company", view),
            tasks_all=request.args.get("tasks") == "all",
            forms=forms or {},
            notice=notice,
            me=ctx.me,
            today=ctx.today,
            shop=ctx.shop,
            chart=display.spend_chart(view.monthly, ctx.shop.currency),
            here=_page_url("crm.company"),
        )
    return html, status


@bp.get("/companies/<int:company_id>")
@admin_required
def company(company_id: int) -> Any:
    """Show one company: locations, contacts, rollups, orders, timeline, notes, tasks, sales rep."""
    return _render_company(company_id)


@bp.post("/companies/<int:company_id>/notes")
@admin_required
def company_add_note(company_id: int) -> Any:
    """Add a note to a company."""
    return _add_note(SubjectType.COMPANY, company_id)


@bp.post("/companies/<int:company_id>/tasks")
@admin_required
def company_add_task(company_id: int) -> Any:
    """Create a follow-up task about a company."""
    return _add_task(SubjectType.COMPANY, company_id)


@bp.post("/companies/<int:company_id>/sales-rep")
@admin_required
def company_sales_rep(company_id: int) -> Any:
    """Set or remove a company's sales rep."""
    return _set_sales_rep(SubjectType.COMPANY, company_id)
