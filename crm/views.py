"""CRM admin pages: customers, the customer 360, companies, tasks; notes, tasks and sales reps by form.

Every page is `admin_required` and reads through crm.queries; every form POSTs with the session's
CSRF token (as the sign-in form does) to a crm.notes service, then redirects (303) back. An id of
another shop is a 404 page; bad input re-renders the page with the error by its field (422).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, NoReturn

from flask import Blueprint, abort, flash, g, redirect, render_template, request
from werkzeug.wrappers import Response as BaseResponse

from app import services
from app.admin.home import ShopSummary, shop_summary
from app.admin.views import admin_url
from app.api.problems import InvalidParameter
from app.auth.context import admin_required, current_shop_id, current_staff, is_embedded
from app.auth.local import csrf_valid, safe_next
from app.db import UnitOfWork, utcnow
from app.errors import DomainError, InvalidInput, NotFound
from crm import display, notes, queries
from crm.models import CustomerState, SubjectType
from crm.models_work import CrmStaffMember

bp = Blueprint("crm", __name__)

LIST_LIMIT = 50
MAX_LIST_LIMIT = 250
CSRF_REFUSAL = "The form expired or did not come from this page. Reload the page and try again."
CURSOR_RESET = "That page of results is no longer available; showing the first page."
SORT_LABELS = {
    "name": "Name A\N{EN DASH}Z",
    "-name": "Name Z\N{EN DASH}A",
    "-last_order_at": "Last order (newest)",
    "last_order_at": "Last order (oldest)",
    "-total_spent": "Total spent (highest)",
    "total_spent": "Total spent (lowest)",
    "-orders_count": "Orders (most)",
    "orders_count": "Orders (fewest)",
    "-created_at": "Customer since (newest)",
    "created_at": "Customer since (oldest)",
}
TASK_DUE_LABELS = {"overdue": "Overdue", "today": "Due today", "upcoming": "Upcoming", "none": "No due date"}
TASK_STATUS_LABELS = {"open": "Open", "done": "Completed", "all": "All"}


# -- shared ---------------------------------------------------------------------------------------

bp.add_app_template_filter(display.format_money, "crm_money")
bp.add_app_template_filter(display.format_day, "crm_day")
bp.add_app_template_filter(display.address_lines, "crm_address_lines")


class _Request:
    """What every CRM page needs: the shop, the signed-in staff member, the shop's today."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.shop: ShopSummary = shop_summary(uow, shop_id=current_shop_id())
        # The layout reads the shop from g: one load per request.
        g.admin_shop = self.shop
        staff = current_staff()
        self.me: CrmStaffMember = notes.ensure_staff_member(
            uow, shop_id=self.shop.id, name=staff.name, shopify_user_id=staff.user_id, email=staff.email
        )
        uow.commit()
        self.today: date = queries.shop_today(self.shop.timezone, utcnow())

    @property
    def actor(self) -> notes.Actor:
        return notes.Actor.of(self.me)


def _uow() -> UnitOfWork:
    return services().db.unit_of_work()


def _not_found(exc: NotFound) -> NoReturn:
    # One message for a missing id and another shop's: the two must look the same.
    abort(404, description="This record does not exist in your store, or it was removed.")


def _int_arg(name: str) -> int | None:
    raw = request.args.get(name, "")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 19 else None


def _limit() -> int:
    value = _int_arg("limit")
    return LIST_LIMIT if value is None else max(1, min(value, MAX_LIST_LIMIT))


def _page_url(endpoint: str, anchor: str = "", **changes: Any) -> str:
    """This page's URL with some query parameters changed (None drops one)."""
    args = {k: v for k, v in request.args.items() if k not in changes}
    args.update({k: v for k, v in changes.items() if v is not None})
    return admin_url(endpoint, **request.view_args or {}, **args) + anchor


def _pager(
    endpoint: str,
    page: queries.CrmPage[Any],
    *,
    cursor: str = "cursor",
    before: str = "before",
    anchor: str = "",
) -> dict[str, str | None]:
    """Previous/Next URLs of a paged list (None where there is no such page)."""
    return {
        "previous": _page_url(endpoint, anchor, **{cursor: None, before: page.previous_cursor})
        if page.previous_cursor
        else None,
        "next": _page_url(endpoint, anchor, **{cursor: page.next_cursor, before: None})
        if page.next_cursor
        else None,
    }


def _paged(
    load: Callable[..., queries.CrmPage[Any]], **kwargs: Any
) -> tuple[queries.CrmPage[Any], str | None]:
    """Load a page; a cursor that no longer works falls back to the first page with a message."""
    try:
        return load(**kwargs), None
    except InvalidParameter:
        return load(**{**kwargs, "cursor": None, "before": None}), CURSOR_RESET


def _check_csrf() -> None:
    # Inside Shopify admin the form is sent by App Bridge's fetch with a session token, which no
    # other site can attach; everywhere else the session cookie authenticates, so the token must match.
    if is_embedded() and request.headers.get("Authorization", "").startswith("Bearer "):
        return
    if not csrf_valid(request.form.get("csrf_token")):
        abort(400, description=CSRF_REFUSAL)


def _back(default: str) -> BaseResponse:
    return redirect(safe_next(request.form.get("next"), default=default), code=303)


def _form_int(name: str) -> int | None:
    raw = request.form.get(name, "").strip()
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        raise InvalidInput(f"{name}: choose one of the listed staff members")
    return int(raw)


def _form_date(name: str) -> date | None:
    raw = request.form.get(name, "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(f"{name}: enter a date as YYYY-MM-DD") from None


def _field_error(exc: DomainError) -> tuple[str, str]:
    """('field', 'message') from a service's 'field: message' detail."""
    field, sep, message = exc.detail.partition(": ")
    return (field, message[:1].upper() + message[1:]) if sep else ("", exc.detail)


# -- customers ------------------------------------------------------------------------------------


@bp.get("/customers")
@admin_required
def customers() -> str:
    """List customers with search, filters, sort and pages."""
    args = request.args
    rep = args.get("rep", "")
    filters = {
        "search": args.get("q", "").strip() or None,
        "tag": args.get("tag", "").strip() or None,
        "company_id": _int_arg("company"),
        "state": args.get("state") if args.get("state") in {s.value for s in CustomerState} else None,
        "sales_rep_id": _int_arg("rep"),
        "unassigned": rep == "none",
    }
    sort = args.get("sort") if args.get("sort") in queries.CUSTOMER_SORTS else "name"
    with _uow() as uow:
        ctx = _Request(uow)
        page, notice = _paged(
            queries.list_customers,
            uow=uow,
            shop_id=ctx.shop.id,
            sort=sort,
            limit=_limit(),
            cursor=args.get("cursor") or None,
            before=args.get("before") or None,
            **filters,
        )
        options = queries.customer_filter_options(uow, shop_id=ctx.shop.id)
        return render_template(
            "admin/customers.html",
            page=page,
            pager=_pager("crm.customers", page),
            options=options,
            filters=filters,
            rep=rep,
            sort=sort,
            sorts=[(key, SORT_LABELS[key]) for key in queries.CUSTOMER_SORTS],
            states=[s for s in CustomerState if s is not CustomerState.UNKNOWN],
            filtered=any(v for v in filters.values()),
            notice=notice,
            shop=ctx.shop,
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


# -- companies ------------------------------------------------------------------------------------


@bp.get("/companies")
@admin_required
def companies() -> str:
    """List companies with search, sales-rep filter, sort and pages."""
    args = request.args
    rep = args.get("rep", "")
    filters = {
        "search": args.get("q", "").strip() or None,
        "sales_rep_id": _int_arg("rep"),
        "unassigned": rep == "none",
    }
    sort = args.get("sort") if args.get("sort") in queries.COMPANY_SORTS else "name"
    with _uow() as uow:
        ctx = _Request(uow)
        page, notice = _paged(
            queries.list_companies,
            uow=uow,
            shop_id=ctx.shop.id,
            sort=sort,
            limit=_limit(),
            cursor=args.get("cursor") or None,
            before=args.get("before") or None,
            **filters,
        )
        staff = notes.list_staff_members(uow, shop_id=ctx.shop.id)
        return render_template(
            "admin/companies.html",
            page=page,
            pager=_pager("crm.companies", page),
            staff=staff,
            filters=filters,
            rep=rep,
            sort=sort,
            sorts=[
                (key, SORT_LABELS[key].replace("Customer since", "Company since"))
                for key in queries.COMPANY_SORTS
            ],
            filtered=any(v for v in filters.values()),
            notice=notice,
            shop=ctx.shop,
        )


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


# -- tasks ----------------------------------------------------------------------------------------


@bp.get("/tasks")
@admin_required
def tasks() -> str:
    """My open tasks (overdue first), or every task with filters."""
    args = request.args
    mine = args.get("view", "mine") != "all"
    status = args.get("status") if args.get("status") in queries.TASK_STATUSES else "open"
    due = args.get("due") if args.get("due") in queries.TASK_DUE else None
    assignee = args.get("assignee", "")
    with _uow() as uow:
        ctx = _Request(uow)
        filters: dict[str, Any] = {"status": "open" if mine else status}
        if mine:
            filters["assignee_id"] = ctx.me.id
        else:
            filters.update(
                due=due,
                search=args.get("q", "").strip() or None,
                assignee_id=_int_arg("assignee"),
                unassigned=assignee == "none",
            )
        page, notice = _paged(
            queries.list_tasks,
            uow=uow,
            shop_id=ctx.shop.id,
            today=ctx.today,
            limit=_limit(),
            cursor=args.get("cursor") or None,
            before=args.get("before") or None,
            **filters,
        )
        open_count, overdue_count = queries.count_open_tasks(
            uow, shop_id=ctx.shop.id, assignee_id=ctx.me.id, today=ctx.today
        )
        staff = notes.list_staff_members(uow, shop_id=ctx.shop.id)
        return render_template(
            "admin/tasks.html",
            page=page,
            pager=_pager("crm.tasks", page),
            mine=mine,
            status=status,
            due=due,
            assignee=assignee,
            search=args.get("q", ""),
            filtered=not mine and any([due, args.get("q"), assignee, status != "open"]),
            status_labels=TASK_STATUS_LABELS,
            due_labels=TASK_DUE_LABELS,
            staff=staff,
            me=ctx.me,
            today=ctx.today,
            open_count=open_count,
            overdue_count=overdue_count,
            notice=notice,
            shop=ctx.shop,
            here=_page_url("crm.tasks"),
            tabs={
                "mine": admin_url("crm.tasks"),
                "all": admin_url("crm.tasks", view="all"),
            },
        )


def _task_post(task_id: int, run: Callable[[UnitOfWork, _Request], str]) -> Any:
    _check_csrf()
    with _uow() as uow:
        ctx = _Request(uow)
        try:
            message = run(uow, ctx)
        except NotFound as exc:
            _not_found(exc)
        except InvalidInput as exc:
            uow.rollback()
            flash(_field_error(exc)[1], "critical")
            return _back(admin_url("crm.tasks"))
        uow.commit()
    flash(message, "success")
    return _back(admin_url("crm.tasks"))


@bp.post("/tasks/<int:task_id>/complete")
@admin_required
def task_complete(task_id: int) -> Any:
    """Mark a task done."""

    def run(uow: UnitOfWork, ctx: _Request) -> str:
        task = notes.complete_task(uow, shop_id=ctx.shop.id, task_id=task_id, actor=ctx.actor)
        return f"Task “{task.title}” completed."

    return _task_post(task_id, run)


@bp.post("/tasks/<int:task_id>/reopen")
@admin_required
def task_reopen(task_id: int) -> Any:
    """Open a done task again."""

    def run(uow: UnitOfWork, ctx: _Request) -> str:
        task = notes.reopen_task(uow, shop_id=ctx.shop.id, task_id=task_id, actor=ctx.actor)
        return f"Task “{task.title}” reopened."

    return _task_post(task_id, run)


@bp.post("/tasks/<int:task_id>/assignee")
@admin_required
def task_assign(task_id: int) -> Any:
    """Give a task to another staff member, or unassign it."""

    def run(uow: UnitOfWork, ctx: _Request) -> str:
        task = notes.reassign_task(
            uow, shop_id=ctx.shop.id, task_id=task_id, assignee_id=_form_int("assignee_id"), actor=ctx.actor
        )
        who = task.assignee.name if task.assignee else "nobody"
        return f"Task “{task.title}” assigned to {who}."

    return _task_post(task_id, run)
