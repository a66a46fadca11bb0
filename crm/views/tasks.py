"""The task list and the forms that complete, reopen and reassign a task."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import flash, render_template, request

from app.admin.views import admin_url
from app.auth.context import admin_required
from app.db import UnitOfWork
from app.errors import InvalidInput, NotFound
from crm import notes, queries
from crm.views._shared import (
    _back,
    _check_csrf,
    _field_error,
    _form_int,
    _int_arg,
    _limit,
    _not_found,
    _page_url,
    _paged,
    _pager,
    _Request,
    _uow,
    bp,
)

TASK_DUE_LABELS = {"overdue": "Overdue", "today": "Due today", "upcoming": "Upcoming", "none": "No due date"}
TASK_STATUS_LABELS = {"open": "Open", "done": "Completed", "all": "All"}

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
