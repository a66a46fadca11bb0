"""The 360 pages (customer, company) as one bundle each, and the monthly spend behind their chart."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import false, select
from sqlalchemy.orm import Session

from app.admin.formatting import shop_zone
from app.db import UnitOfWork
from crm.models import (
    CrmCompany,
    CrmCompanyContact,
    CrmCompanyLocation,
    CrmCustomer,
    CrmOrder,
    CrmTimelineEvent,
)
from crm.models_work import CrmNote, CrmSalesRepAssignment, CrmStaffMember, CrmTask
from crm.queries._paging import PAGE_ORDERS, PAGE_TASKS, SPEND_MONTHS, CrmPage
from crm.queries.accounts import (
    active_staff,
    company_contacts,
    company_locations,
    customer_memberships,
    get_company,
    get_customer,
)
from crm.queries.activity import _feed, list_notes, list_tasks, list_timeline
from crm.queries.catalog import list_orders


@dataclass(frozen=True)
class MonthSpend:
    """Counted orders and spend in one calendar month of the shop's time zone."""

    month: date  # the first day of the month
    orders: int
    amount: Decimal


@dataclass(frozen=True)
class Customer360:
    """Everything the customer page shows, loaded with a fixed number of statements."""

    customer: CrmCustomer
    sales_rep: CrmStaffMember | None
    memberships: list[CrmCompanyContact]  # company loaded
    monthly: list[MonthSpend]
    orders: CrmPage[CrmOrder]
    timeline: CrmPage[CrmTimelineEvent]
    notes: CrmPage[CrmNote]
    tasks: CrmPage[CrmTask]
    staff: list[CrmStaffMember]


@dataclass(frozen=True)
class Company360:
    """Everything the company page shows, loaded with a fixed number of statements."""

    company: CrmCompany
    sales_rep: CrmStaffMember | None
    locations: list[CrmCompanyLocation]
    contacts: list[CrmCompanyContact]  # customer loaded
    monthly: list[MonthSpend]
    orders: CrmPage[CrmOrder]
    timeline: CrmPage[CrmTimelineEvent]
    notes: CrmPage[CrmNote]
    tasks: CrmPage[CrmTask]
    staff: list[CrmStaffMember]


# -- lifetime figures -----------------------------------------------------------------------------


def month_start(day: date, months_back: int = 0) -> date:
    """The first day of the month `months_back` months before `day`'s month."""
    index = day.year * 12 + (day.month - 1) - months_back
    return date(index // 12, index % 12 + 1, 1)


def monthly_spend(
    uow: UnitOfWork,
    *,
    shop_id: int,
    customer_id: int | None = None,
    company_id: int | None = None,
    tz_name: str | None,
    today: date,
    months: int = SPEND_MONTHS,
) -> list[MonthSpend]:
    """Counted orders and spend per month of the shop's zone, the last `months` months up to today's.

    Counted as the lifetime rollups count (not cancelled, deleted or test; `current_total_price`).
    The orders are bucketed here, not in SQL, so months follow the shop's zone on every backend;
    only the window's two columns are read.
    """
    zone = shop_zone(tz_name)
    first = month_start(today, months - 1)
    start = datetime(first.year, first.month, 1, tzinfo=zone).astimezone(UTC)
    rows = uow.session.execute(
        select(CrmOrder.processed_at, CrmOrder.current_total_price).where(
            CrmOrder.shop_id == shop_id,
            _feed(CrmOrder, customer_id, company_id),
            CrmOrder.cancelled_at.is_(None),
            CrmOrder.deleted_at.is_(None),
            CrmOrder.test == false(),
            CrmOrder.processed_at >= start,
        )
    ).all()
    buckets = {month_start(today, back): [0, Decimal(0)] for back in range(months)}
    for processed_at, amount in rows:
        local = processed_at.astimezone(zone).date()
        bucket = buckets.get(date(local.year, local.month, 1))
        if bucket is not None:
            bucket[0] += 1
            bucket[1] += Decimal(amount or 0)
    return [MonthSpend(month, int(n), Decimal(total)) for month, (n, total) in sorted(buckets.items())]


# -- the 360 pages --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SectionCursors:
    """Where each paged section of a 360 page starts (None: its first page)."""

    orders: str | None = None
    orders_before: str | None = None
    timeline: str | None = None
    timeline_before: str | None = None
    notes: str | None = None
    notes_before: str | None = None
    tasks_status: str = "open"


def customer_360(
    uow: UnitOfWork,
    *,
    shop_id: int,
    customer_id: int,
    today: date,
    tz_name: str | None,
    cursors: SectionCursors | None = None,
) -> Customer360:
    """The customer page: profile, companies, sales rep, lifetime figures, orders, feed, notes, tasks."""
    at = cursors or SectionCursors()
    customer = get_customer(uow, shop_id=shop_id, customer_id=customer_id)
    return Customer360(
        customer=customer,
        sales_rep=_rep(uow.session, shop_id, CrmSalesRepAssignment.customer_id, customer_id),
        memberships=customer_memberships(uow, shop_id=shop_id, customer_id=customer_id),
        monthly=monthly_spend(uow, shop_id=shop_id, customer_id=customer_id, tz_name=tz_name, today=today),
        orders=list_orders(
            uow,
            shop_id=shop_id,
            customer_id=customer_id,
            limit=PAGE_ORDERS,
            cursor=at.orders,
            before=at.orders_before,
        ),
        timeline=list_timeline(
            uow, shop_id=shop_id, customer_id=customer_id, cursor=at.timeline, before=at.timeline_before
        ),
        notes=list_notes(
            uow, shop_id=shop_id, customer_id=customer_id, cursor=at.notes, before=at.notes_before
        ),
        tasks=list_tasks(
            uow, shop_id=shop_id, customer_id=customer_id, status=at.tasks_status, limit=PAGE_TASKS
        ),
        staff=active_staff(uow.session, shop_id),
    )


def company_360(
    uow: UnitOfWork,
    *,
    shop_id: int,
    company_id: int,
    today: date,
    tz_name: str | None,
    cursors: SectionCursors | None = None,
) -> Company360:
    """The company page: locations, contacts, sales rep, rollups, orders, feed, notes, tasks."""
    at = cursors or SectionCursors()
    company = get_company(uow, shop_id=shop_id, company_id=company_id)
    return Company360(
        company=company,
        sales_rep=_rep(uow.session, shop_id, CrmSalesRepAssignment.company_id, company_id),
        locations=company_locations(uow, shop_id=shop_id, company_id=company_id),
        contacts=company_contacts(uow, shop_id=shop_id, company_id=company_id),
        monthly=monthly_spend(uow, shop_id=shop_id, company_id=company_id, tz_name=tz_name, today=today),
        orders=list_orders(
            uow,
            shop_id=shop_id,
            company_id=company_id,
            limit=PAGE_ORDERS,
            cursor=at.orders,
            before=at.orders_before,
        ),
        timeline=list_timeline(
            uow, shop_id=shop_id, company_id=company_id, cursor=at.timeline, before=at.timeline_before
        ),
        notes=list_notes(
            uow, shop_id=shop_id, company_id=company_id, cursor=at.notes, before=at.notes_before
        ),
        tasks=list_tasks(
            uow, shop_id=shop_id, company_id=company_id, status=at.tasks_status, limit=PAGE_TASKS
        ),
        staff=active_staff(uow.session, shop_id),
    )


def _rep(session: Session, shop_id: int, link: Any, row_id: int) -> CrmStaffMember | None:
    return session.scalar(
        select(CrmStaffMember)
        .join(CrmSalesRepAssignment, CrmSalesRepAssignment.staff_id == CrmStaffMember.id)
        .where(CrmSalesRepAssignment.shop_id == shop_id, link == row_id)
    )


def shop_today(tz_name: str | None, now: datetime) -> date:
    """Today's date in the shop's zone."""
    return now.astimezone(shop_zone(tz_name)).date()
