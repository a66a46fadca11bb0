"""Customers and companies: lists with search, filters and sorts; one account; its members."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, exists, func, or_, select
from sqlalchemy.orm import Session, contains_eager, selectinload
from sqlalchemy.sql.elements import ColumnElement

from app.db import UnitOfWork
from app.errors import NotFound
from crm.models import (
    CrmCompany,
    CrmCompanyContact,
    CrmCompanyLocation,
    CrmCustomer,
    CrmCustomerTag,
    CustomerState,
)
from crm.models_work import CrmSalesRepAssignment, CrmStaffMember
from crm.queries._paging import (
    COMPANY_SORTS,
    CUSTOMER_SORTS,
    DEFAULT_LIMIT,
    FILTER_COMPANIES_MAX,
    FILTER_TAGS_MAX,
    CrmPage,
    _enum_value,
    _lower,
    _matches_any,
    _page,
    _rollup_keys,
    _sort,
    _words,
)


@dataclass(frozen=True)
class CustomerRow:
    """A customers-list row: the customer (tags and company loaded) and its sales rep."""

    customer: CrmCustomer
    sales_rep: CrmStaffMember | None


@dataclass(frozen=True)
class CompanyRow:
    """A companies-list row: the company, its sales rep, and its live location and contact counts."""

    company: CrmCompany
    sales_rep: CrmStaffMember | None
    locations_count: int
    contacts_count: int


@dataclass(frozen=True)
class FilterOptions:
    """The choices of the customers list's filters."""

    tags: list[str]
    companies: list[tuple[int, str]]
    staff: list[CrmStaffMember]


# -- customers ------------------------------------------------------------------------------------


def _rep_join(stmt: Select[Any], link: ColumnElement[Any], shop_id: int) -> Select[Any]:
    return stmt.outerjoin(
        CrmSalesRepAssignment,
        and_(CrmSalesRepAssignment.shop_id == shop_id, link == CrmSalesRepAssignment.customer_id)
        if link is CrmCustomer.id
        else and_(CrmSalesRepAssignment.shop_id == shop_id, link == CrmSalesRepAssignment.company_id),
    ).outerjoin(CrmStaffMember, CrmStaffMember.id == CrmSalesRepAssignment.staff_id)


def list_customers(
    uow: UnitOfWork,
    *,
    shop_id: int,
    search: str | None = None,
    tag: str | None = None,
    company_id: int | None = None,
    state: CustomerState | str | None = None,
    sales_rep_id: int | None = None,
    unassigned: bool = False,
    updated_since: datetime | None = None,
    sort: str = "name",
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
    before: str | None = None,
) -> CrmPage[CustomerRow]:
    """Live customers matching every filter; search matches each word in name, email or company."""
    field_name, descending = _sort(sort, CUSTOMER_SORTS)
    stmt = select(CrmCustomer, CrmStaffMember).outerjoin(CrmCustomer.company)
    stmt = _rep_join(stmt, CrmCustomer.id, shop_id)
    stmt = stmt.where(CrmCustomer.shop_id == shop_id, CrmCustomer.deleted_at.is_(None)).options(
        contains_eager(CrmCustomer.company), selectinload(CrmCustomer.tag_rows)
    )
    for word in _words(search):
        stmt = stmt.where(
            _matches_any(
                word, CrmCustomer.first_name, CrmCustomer.last_name, CrmCustomer.email, CrmCompany.name
            )
        )
    if tag:
        stmt = stmt.where(
            exists().where(
                CrmCustomerTag.customer_id == CrmCustomer.id,
                func.lower(CrmCustomerTag.tag) == tag.strip().lower(),
            )
        )
    if company_id is not None:
        stmt = stmt.where(CrmCustomer.company_id == company_id)
    if state:
        stmt = stmt.where(CrmCustomer.state == _enum_value(CustomerState, state, "state"))
    if unassigned:
        stmt = stmt.where(CrmSalesRepAssignment.id.is_(None))
    elif sales_rep_id is not None:
        stmt = stmt.where(CrmSalesRepAssignment.staff_id == sales_rep_id)
    if updated_since is not None:
        stmt = stmt.where(CrmCustomer.updated_at >= updated_since)
    if field_name == "name":
        keys = [
            _lower(CrmCustomer.last_name, CrmCustomer.first_name, CrmCustomer.email),
            _lower(CrmCustomer.first_name),
            CrmCustomer.id,
        ]
    else:
        keys = _rollup_keys(CrmCustomer, field_name)
    rows, next_cursor, previous_cursor = _page(
        uow.session, stmt, keys, limit=limit, cursor=cursor, before=before, descending=descending
    )
    return CrmPage(
        items=[CustomerRow(customer, rep) for customer, rep in rows],
        next_cursor=next_cursor,
        previous_cursor=previous_cursor,
    )


def get_customer(uow: UnitOfWork, *, shop_id: int, customer_id: int) -> CrmCustomer:
    """The customer (deleted ones too) with tags and company loaded, else NotFound."""
    customer = uow.session.scalar(
        select(CrmCustomer)
        .where(CrmCustomer.shop_id == shop_id, CrmCustomer.id == customer_id)
        .options(selectinload(CrmCustomer.tag_rows), selectinload(CrmCustomer.company))
    )
    if customer is None:
        raise NotFound(f"customer {customer_id} not found")
    return customer


def customer_filter_options(uow: UnitOfWork, *, shop_id: int) -> FilterOptions:
    """Tags (most used first, then by name), companies by name and staff, for the list's filters."""
    session = uow.session
    uses = func.count().label("uses")
    tags = session.execute(
        select(func.min(CrmCustomerTag.tag), uses)
        .where(CrmCustomerTag.shop_id == shop_id)
        .group_by(func.lower(CrmCustomerTag.tag))
        .order_by(uses.desc(), func.lower(CrmCustomerTag.tag))
        .limit(FILTER_TAGS_MAX)
    ).all()
    companies = session.execute(
        select(CrmCompany.id, CrmCompany.name)
        .where(CrmCompany.shop_id == shop_id, CrmCompany.deleted_at.is_(None), CrmCompany.name.is_not(None))
        .order_by(func.lower(CrmCompany.name), CrmCompany.id)
        .limit(FILTER_COMPANIES_MAX)
    ).all()
    return FilterOptions(
        tags=sorted((row[0] for row in tags), key=str.casefold),
        companies=[(row.id, row.name) for row in companies],
        staff=active_staff(session, shop_id),
    )


def active_staff(session: Session, shop_id: int) -> list[CrmStaffMember]:
    return list(
        session.scalars(
            select(CrmStaffMember)
            .where(CrmStaffMember.shop_id == shop_id, CrmStaffMember.active.is_(True))
            .order_by(CrmStaffMember.name, CrmStaffMember.id)
        )
    )


# -- companies ------------------------------------------------------------------------------------


def list_companies(
    uow: UnitOfWork,
    *,
    shop_id: int,
    search: str | None = None,
    sales_rep_id: int | None = None,
    unassigned: bool = False,
    updated_since: datetime | None = None,
    sort: str = "name",
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
    before: str | None = None,
) -> CrmPage[CompanyRow]:
    """Live companies; search matches each word in the name, external id or a contact's name or email."""
    field_name, descending = _sort(sort, COMPANY_SORTS)
    locations = (
        select(func.count())
        .where(CrmCompanyLocation.company_id == CrmCompany.id, CrmCompanyLocation.deleted_at.is_(None))
        .correlate(CrmCompany)
        .scalar_subquery()
    )
    contacts = (
        select(func.count())
        .where(CrmCompanyContact.company_id == CrmCompany.id, CrmCompanyContact.deleted_at.is_(None))
        .correlate(CrmCompany)
        .scalar_subquery()
    )
    stmt = select(CrmCompany, CrmStaffMember, locations.label("locations"), contacts.label("contacts"))
    stmt = _rep_join(stmt, CrmCompany.id, shop_id)
    stmt = stmt.where(CrmCompany.shop_id == shop_id, CrmCompany.deleted_at.is_(None))
    for word in _words(search):
        member = (
            select(CrmCompanyContact.id)
            .join(CrmCustomer, CrmCustomer.id == CrmCompanyContact.customer_id)
            .where(
                CrmCompanyContact.company_id == CrmCompany.id,
                CrmCompanyContact.deleted_at.is_(None),
                _matches_any(word, CrmCustomer.first_name, CrmCustomer.last_name, CrmCustomer.email),
            )
            .correlate(CrmCompany)
            .exists()
        )
        stmt = stmt.where(or_(_matches_any(word, CrmCompany.name, CrmCompany.external_id), member))
    if unassigned:
        stmt = stmt.where(CrmSalesRepAssignment.id.is_(None))
    elif sales_rep_id is not None:
        stmt = stmt.where(CrmSalesRepAssignment.staff_id == sales_rep_id)
    if updated_since is not None:
        stmt = stmt.where(CrmCompany.updated_at >= updated_since)
    keys = (
        [_lower(CrmCompany.name), CrmCompany.id]
        if field_name == "name"
        else _rollup_keys(CrmCompany, field_name)
    )
    rows, next_cursor, previous_cursor = _page(
        uow.session, stmt, keys, limit=limit, cursor=cursor, before=before, descending=descending
    )
    return CrmPage(
        items=[
            CompanyRow(company, rep, int(n_loc or 0), int(n_con or 0)) for company, rep, n_loc, n_con in rows
        ],
        next_cursor=next_cursor,
        previous_cursor=previous_cursor,
    )


def get_company(uow: UnitOfWork, *, shop_id: int, company_id: int) -> CrmCompany:
    """The company (deleted ones too), else NotFound."""
    company = uow.session.scalar(
        select(CrmCompany).where(CrmCompany.shop_id == shop_id, CrmCompany.id == company_id)
    )
    if company is None:
        raise NotFound(f"company {company_id} not found")
    return company


def company_locations(uow: UnitOfWork, *, shop_id: int, company_id: int) -> list[CrmCompanyLocation]:
    """The company's live locations by name."""
    return list(
        uow.session.scalars(
            select(CrmCompanyLocation)
            .where(
                CrmCompanyLocation.shop_id == shop_id,
                CrmCompanyLocation.company_id == company_id,
                CrmCompanyLocation.deleted_at.is_(None),
            )
            .order_by(_lower(CrmCompanyLocation.name), CrmCompanyLocation.id)
        )
    )


def company_contacts(uow: UnitOfWork, *, shop_id: int, company_id: int) -> list[CrmCompanyContact]:
    """The company's live contacts with their customers loaded, by name."""
    return list(
        uow.session.scalars(
            select(CrmCompanyContact)
            .join(CrmCompanyContact.customer)
            .where(
                CrmCompanyContact.shop_id == shop_id,
                CrmCompanyContact.company_id == company_id,
                CrmCompanyContact.deleted_at.is_(None),
            )
            .options(contains_eager(CrmCompanyContact.customer))
            .order_by(
                _lower(CrmCustomer.last_name, CrmCustomer.first_name, CrmCustomer.email), CrmCustomer.id
            )
        )
    )


def customer_memberships(uow: UnitOfWork, *, shop_id: int, customer_id: int) -> list[CrmCompanyContact]:
    """The companies the customer is a live contact of (company loaded), primary company first."""
    return list(
        uow.session.scalars(
            select(CrmCompanyContact)
            .join(CrmCompanyContact.company)
            .where(
                CrmCompanyContact.shop_id == shop_id,
                CrmCompanyContact.customer_id == customer_id,
                CrmCompanyContact.deleted_at.is_(None),
            )
            .options(contains_eager(CrmCompanyContact.company))
            .order_by(CrmCompanyContact.shopify_created_at.is_(None), CrmCompanyContact.shopify_created_at)
        )
    )
