"""The activity of an account: timeline events, notes and follow-up tasks."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Date, and_, func, literal, select
from sqlalchemy.orm import contains_eager
from sqlalchemy.sql.elements import ColumnElement

from app.db import UnitOfWork
from app.errors import InvalidInput
from crm.models import CrmCompany, CrmCustomer, CrmTimelineEvent
from crm.models_work import CrmNote, CrmTask
from crm.queries._paging import (
    DEFAULT_LIMIT,
    FAR_FUTURE_DAY,
    PAGE_NOTES,
    PAGE_TIMELINE,
    TASK_DUE,
    TASK_SORTS,
    TASK_STATUSES,
    CrmPage,
    _matches_any,
    _or_epoch,
    _page,
    _sort,
    _words,
)

# -- activity: timeline, notes, tasks -------------------------------------------------------------


def _feed(model: Any, customer_id: int | None, company_id: int | None) -> ColumnElement[bool]:
    if (customer_id is None) == (company_id is None):
        raise InvalidInput("name exactly one of customer_id and company_id")
    return model.customer_id == customer_id if customer_id is not None else model.company_id == company_id


def list_timeline(
    uow: UnitOfWork,
    *,
    shop_id: int,
    customer_id: int | None = None,
    company_id: int | None = None,
    limit: int = PAGE_TIMELINE,
    cursor: str | None = None,
    before: str | None = None,
) -> CrmPage[CrmTimelineEvent]:
    """The account's activity feed, newest first."""
    stmt = select(CrmTimelineEvent).where(
        CrmTimelineEvent.shop_id == shop_id, _feed(CrmTimelineEvent, customer_id, company_id)
    )
    rows, next_cursor, previous_cursor = _page(
        uow.session,
        stmt,
        [CrmTimelineEvent.occurred_at, CrmTimelineEvent.id],
        limit=limit,
        cursor=cursor,
        before=before,
        descending=True,
    )
    return CrmPage(items=rows, next_cursor=next_cursor, previous_cursor=previous_cursor)


def list_notes(
    uow: UnitOfWork,
    *,
    shop_id: int,
    customer_id: int | None = None,
    company_id: int | None = None,
    limit: int = PAGE_NOTES,
    cursor: str | None = None,
    before: str | None = None,
) -> CrmPage[CrmNote]:
    """The account's notes, newest first."""
    stmt = select(CrmNote).where(CrmNote.shop_id == shop_id, _feed(CrmNote, customer_id, company_id))
    rows, next_cursor, previous_cursor = _page(
        uow.session,
        stmt,
        [CrmNote.created_at, CrmNote.id],
        limit=limit,
        cursor=cursor,
        before=before,
        descending=True,
    )
    return CrmPage(items=rows, next_cursor=next_cursor, previous_cursor=previous_cursor)


def list_tasks(
    uow: UnitOfWork,
    *,
    shop_id: int,
    status: str = "open",
    assignee_id: int | None = None,
    unassigned: bool = False,
    due: str | None = None,
    today: date | None = None,
    customer_id: int | None = None,
    company_id: int | None = None,
    search: str | None = None,
    sort: str | None = None,
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
    before: str | None = None,
) -> CrmPage[CrmTask]:
    """Tasks by status ("open", "done", "all") and filters; open ones soonest due first by default.

    `due` ("overdue", "today", "upcoming", "none") compares with `today`, the shop's date, which
    the caller must then give. Tasks of deleted customers and companies are still listed.
    """
    if status not in TASK_STATUSES:
        raise InvalidInput(f"status: expected one of {', '.join(TASK_STATUSES)}; got {status!r}")
    sort = sort or ("-completed_at" if status == "done" else "due_on")
    field_name, descending = _sort(sort, TASK_SORTS)
    stmt = (
        select(CrmTask)
        .outerjoin(CrmTask.assignee)
        .outerjoin(CrmTask.customer)
        .outerjoin(CrmTask.company)
        .where(CrmTask.shop_id == shop_id)
        .options(
            contains_eager(CrmTask.assignee),
            contains_eager(CrmTask.customer),
            contains_eager(CrmTask.company),
        )
    )
    if status == "open":
        stmt = stmt.where(CrmTask.completed_at.is_(None))
    elif status == "done":
        stmt = stmt.where(CrmTask.completed_at.is_not(None))
    if unassigned:
        stmt = stmt.where(CrmTask.assignee_id.is_(None))
    elif assignee_id is not None:
        stmt = stmt.where(CrmTask.assignee_id == assignee_id)
    if customer_id is not None:
        stmt = stmt.where(CrmTask.customer_id == customer_id)
    if company_id is not None:
        stmt = stmt.where(CrmTask.company_id == company_id)
    if due:
        stmt = stmt.where(_due_filter(due, today))
    for word in _words(search):
        stmt = stmt.where(
            _matches_any(
                word,
                CrmTask.title,
                CrmCustomer.first_name,
                CrmCustomer.last_name,
                CrmCustomer.email,
                CrmCompany.name,
            )
        )
    if field_name == "due_on":
        keys = [func.coalesce(CrmTask.due_on, literal(FAR_FUTURE_DAY, Date()), type_=Date()), CrmTask.id]
    elif field_name == "completed_at":
        keys = [_or_epoch(CrmTask.completed_at), CrmTask.id]
    else:
        keys = [CrmTask.created_at, CrmTask.id]
    rows, next_cursor, previous_cursor = _page(
        uow.session, stmt, keys, limit=limit, cursor=cursor, before=before, descending=descending
    )
    return CrmPage(items=rows, next_cursor=next_cursor, previous_cursor=previous_cursor)


def _due_filter(due: str, today: date | None) -> ColumnElement[bool]:
    if due not in TASK_DUE:
        raise InvalidInput(f"due: expected one of {', '.join(TASK_DUE)}; got {due!r}")
    if due == "none":
        return CrmTask.due_on.is_(None)
    if today is None:
        raise InvalidInput("due: needs today's date in the shop's time zone")
    if due == "overdue":
        return and_(CrmTask.completed_at.is_(None), CrmTask.due_on < today)
    if due == "today":
        return CrmTask.due_on == today
    return CrmTask.due_on > today


def count_open_tasks(uow: UnitOfWork, *, shop_id: int, assignee_id: int, today: date) -> tuple[int, int]:
    """(open, overdue) tasks of a staff member, in one statement."""
    overdue = func.count().filter(CrmTask.due_on < today)
    row = uow.session.execute(
        select(func.count(), overdue).where(
            CrmTask.shop_id == shop_id, CrmTask.assignee_id == assignee_id, CrmTask.completed_at.is_(None)
        )
    ).one()
    return int(row[0]), int(row[1])
