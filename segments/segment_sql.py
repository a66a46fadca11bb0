"""Compile a checked segment definition (segments/rules.py) into one SQL condition.

Customers are read from crm_customer joined to their segments_score row (RFM, CLV, churn), companies
from crm_company joined likewise; tags and price-list assignments are EXISTS subqueries. The whole
segment is therefore one SELECT, whatever its size: counting, sampling and materialising it are
set-based.

Conventions a merchant would expect: "is not" / "is none of" also match unknown values (a customer
never scored is "not a Champion"); "before"/"after" a date compare with the start of that day (UTC);
"not within the last N days" includes those who never ordered.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, false, func, literal, or_, select, true
from sqlalchemy.sql.elements import ColumnElement as Column

from crm.models import CrmCompany, CrmCompanyLocation, CrmCustomer, CrmCustomerTag, MarketingState
from pricing.models import AssignmentTarget, PriceListAssignment
from segments.models import SegmentScore, Subject
from segments.rules import Condition, Group

CUSTOMER = CrmCustomer.__table__
COMPANY = CrmCompany.__table__
SCORE = SegmentScore.__table__.alias("score")
TAG = CrmCustomerTag.__table__
LOCATION = CrmCompanyLocation.__table__
ASSIGNMENT = PriceListAssignment.__table__


@dataclass(frozen=True)
class Source:
    """Where one subject kind's rows and columns come from."""

    subject: Subject
    id: Column[Any]
    shop_id: Column[Any]
    columns: dict[str, Column[Any]]
    select_from: Any
    alive: ColumnElement[bool]


def source(subject: Subject) -> Source:
    if subject is Subject.CUSTOMER:
        row, key = CUSTOMER, SCORE.c.customer_id
    else:
        row, key = COMPANY, SCORE.c.company_id
    columns: dict[str, Column[Any]] = {
        "rfm_segment": SCORE.c.rfm_segment,
        "r_score": SCORE.c.r_score,
        "f_score": SCORE.c.f_score,
        "m_score": SCORE.c.m_score,
        "total_spent": row.c.total_spent,
        "orders_count": row.c.orders_count,
        "predicted_clv_365": SCORE.c.predicted_spend_365,
        "churn_risk": (literal(1) - SCORE.c.p_alive) * 100,
        "first_order_at": row.c.first_order_at,
        "last_order_at": row.c.last_order_at,
        "company": row.c.company_id if subject is Subject.CUSTOMER else row.c.id,
    }
    if subject is Subject.CUSTOMER:
        columns |= {
            "acquisition_source": func.lower(row.c.acquisition_source),
            "country": func.lower(row.c.country_code),
            "email_subscribed": row.c.email_marketing_state == MarketingState.SUBSCRIBED.value,
        }
    joined = row.outerjoin(SCORE, and_(SCORE.c.shop_id == row.c.shop_id, key == row.c.id))
    return Source(subject, row.c.id, row.c.shop_id, columns, joined, row.c.deleted_at.is_(None))


def _day_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _tag(src: Source, condition: Condition) -> ColumnElement[bool]:
    has = exists().where(
        TAG.c.customer_id == src.id, TAG.c.shop_id == src.shop_id, func.lower(TAG.c.tag) == condition.value
    )
    return has if condition.op == "has" else ~has


def _price_list(src: Source, condition: Condition) -> ColumnElement[bool]:
    """Assigned directly, through the company or one of its locations, a tag, or as the default."""
    if src.subject is Subject.CUSTOMER:
        row = CUSTOMER
        company_id = row.c.company_id
        reaches = or_(
            ASSIGNMENT.c.customer_id == row.c.id,
            ASSIGNMENT.c.company_id == company_id,
            ASSIGNMENT.c.company_location_id.in_(
                select(LOCATION.c.id).where(LOCATION.c.company_id == company_id)
            ),
            func.lower(ASSIGNMENT.c.customer_tag).in_(
                select(func.lower(TAG.c.tag)).where(TAG.c.customer_id == row.c.id)
            ),
            ASSIGNMENT.c.target == AssignmentTarget.DEFAULT.value,
        )
    else:
        row = COMPANY
        reaches = or_(
            ASSIGNMENT.c.company_id == row.c.id,
            ASSIGNMENT.c.company_location_id.in_(
                select(LOCATION.c.id).where(LOCATION.c.company_id == row.c.id)
            ),
            ASSIGNMENT.c.target == AssignmentTarget.DEFAULT.value,
        )
    assigned = exists().where(
        ASSIGNMENT.c.shop_id == src.shop_id, ASSIGNMENT.c.price_list_id.in_(condition.value), reaches
    )
    return assigned if condition.op == "in" else ~assigned


def _compare(column: Column[Any], condition: Condition, now: datetime) -> ColumnElement[bool]:
    op, value = condition.op, condition.value
    if condition.field.kind.value == "date" and op not in ("within_last_days", "not_within_last_days"):
        if op == "before":
            return column < _day_start(value)
        if op == "after":
            return column >= _day_start(value) + timedelta(days=1)
        if op == "between":
            return and_(column >= _day_start(value[0]), column < _day_start(value[1]) + timedelta(days=1))
    simple: dict[str, Callable[[], ColumnElement[bool]]] = {
        "eq": lambda: column == value,
        "ne": lambda: or_(column != value, column.is_(None)),
        "gt": lambda: column > value,
        "gte": lambda: column >= value,
        "lt": lambda: column < value,
        "lte": lambda: column <= value,
        "between": lambda: column.between(value[0], value[1]) if isinstance(value, tuple) else false(),
        "in": lambda: column.in_([getattr(v, "value", v) for v in value]),
        "not_in": lambda: or_(column.not_in([getattr(v, "value", v) for v in value]), column.is_(None)),
        "is_set": lambda: column.is_not(None),
        "is_not_set": lambda: column.is_(None),
        "within_last_days": lambda: column >= now - timedelta(days=value),
        "not_within_last_days": lambda: or_(column < now - timedelta(days=value), column.is_(None)),
    }
    return simple[op]()


def _condition(src: Source, condition: Condition, now: datetime) -> ColumnElement[bool]:
    name = condition.field.name
    if name == "tag":
        return _tag(src, condition)
    if name == "price_list":
        return _price_list(src, condition)
    if name == "email_subscribed":
        column = src.columns[name]
        return column if condition.value else or_(~column, CUSTOMER.c.email_marketing_state.is_(None))
    return _compare(src.columns[name], condition, now)


def compile_group(src: Source, group: Group, now: datetime) -> ColumnElement[bool]:
    """The SQL condition of a group (AND for "all", OR for "any")."""
    parts = [
        compile_group(src, item, now) if isinstance(item, Group) else _condition(src, item, now)
        for item in group.items
    ]
    if not parts:
        return true()
    return and_(*parts) if group.match == "all" else or_(*parts)


def members_query(subject: Subject, group: Group, *, shop_id: int, now: datetime) -> Select[Any]:
    """SELECT the ids of the shop's customers (or companies) matching the definition."""
    src = source(subject)
    return (
        select(src.id.label("subject_id"))
        .select_from(src.select_from)
        .where(src.shop_id == shop_id, src.alive, compile_group(src, group, now))
    )
