"""Who a list applies to: company locations, companies, customers, customer tags, segments, everyone."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from app.db import UnitOfWork, utcnow
from app.errors import Conflict, NotFound
from crm.models import CrmCompany, CrmCompanyLocation, CrmCustomer, CrmTimelineEvent, SubjectType
from pricing.models import AssignmentTarget, PriceList, PriceListAssignment
from pricing.service.lists._common import enum_value, load_list
from pricing.validation import PricingInputError

TAG_MAX_CHARS = 255
MAX_ROW_ID = 2**31 - 1
# The column each target sets (DEFAULT sets none).
TARGET_FIELDS = {
    AssignmentTarget.COMPANY_LOCATION: "company_location_id",
    AssignmentTarget.COMPANY: "company_id",
    AssignmentTarget.CUSTOMER: "customer_id",
    AssignmentTarget.CUSTOMER_TAG: "customer_tag",
    AssignmentTarget.SEGMENT: "segment_id",
}


@dataclass(frozen=True)
class AssignmentView:
    """An assignment and a label naming its target ("Company: Acme Corp", "Tag: vip", "Everyone")."""

    assignment: PriceListAssignment
    label: str


def _row_id(value: object, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ROW_ID:
        raise PricingInputError(f"The {field} {value!r} is not an id (a positive integer)", field=field)
    return value


def _live(session: Session, model: Any, shop_id: int, row_id: int, kind: str) -> Any:
    row = session.scalar(
        select(model).where(model.shop_id == shop_id, model.id == row_id, model.deleted_at.is_(None))
    )
    if row is None:
        raise NotFound(f"{kind} {row_id} not found")
    return row


def add_assignment(
    uow: UnitOfWork,
    *,
    shop_id: int,
    price_list_id: int,
    target: object,
    company_location_id: object = None,
    company_id: object = None,
    customer_id: object = None,
    customer_tag: object = None,
    segment_id: object = None,
    actor: str = "staff",
) -> PriceListAssignment:
    """Assign the list to a target; exactly the target's field is given (none for 'default').

    Another shop's company, location or customer is NotFound; the same assignment twice is Conflict.
    """
    session = uow.session
    price_list = load_list(session, shop_id, price_list_id, for_change=True)
    clean_target = enum_value(AssignmentTarget, target, "target")
    given = {
        "company_location_id": company_location_id,
        "company_id": company_id,
        "customer_id": customer_id,
        "customer_tag": customer_tag,
        "segment_id": segment_id,
    }
    wanted = TARGET_FIELDS.get(clean_target)
    for name, value in given.items():
        if value is not None and name != wanted:
            takes = f"takes only {wanted}" if wanted else "takes no target field"
            raise PricingInputError(f"An assignment to {clean_target.value} {takes}, not {name}", field=name)
    if wanted is not None and given[wanted] is None:
        raise PricingInputError(f"An assignment to {clean_target.value} needs {wanted}", field=wanted)
    values: dict[str, Any] = {}
    account: Any = None
    if clean_target is AssignmentTarget.COMPANY_LOCATION:
        account = _live(
            session, CrmCompanyLocation, shop_id, _row_id(company_location_id, wanted), "company location"
        )
        values["company_location_id"] = account.id
    elif clean_target is AssignmentTarget.COMPANY:
        account = _live(session, CrmCompany, shop_id, _row_id(company_id, wanted), "company")
        values["company_id"] = account.id
    elif clean_target is AssignmentTarget.CUSTOMER:
        account = _live(session, CrmCustomer, shop_id, _row_id(customer_id, wanted), "customer")
        values["customer_id"] = account.id
    elif clean_target is AssignmentTarget.CUSTOMER_TAG:
        if not isinstance(customer_tag, str) or not customer_tag.strip():
            raise PricingInputError("The customer tag must be non-empty text", field="customer_tag")
        tag = customer_tag.strip()
        if len(tag) > TAG_MAX_CHARS:
            raise PricingInputError(
                f"The tag is longer than {TAG_MAX_CHARS} characters", field="customer_tag"
            )
        values["customer_tag"] = tag
    elif clean_target is AssignmentTarget.SEGMENT:
        values["segment_id"] = _row_id(segment_id, "segment_id")
    _refuse_duplicate(session, price_list, clean_target, values)
    assignment = PriceListAssignment(
        shop_id=shop_id, price_list_id=price_list.id, target=clean_target, **values
    )
    session.add(assignment)
    session.flush()
    _timeline(session, shop_id, price_list, clean_target, account, actor, assigned=True)
    return assignment


def _refuse_duplicate(
    session: Session, price_list: PriceList, target: AssignmentTarget, values: dict[str, Any]
) -> None:
    stmt = select(PriceListAssignment.id).where(
        PriceListAssignment.price_list_id == price_list.id, PriceListAssignment.target == target
    )
    for name, value in values.items():
        column = getattr(PriceListAssignment, name)
        stmt = stmt.where(func.lower(column) == value.lower() if name == "customer_tag" else column == value)
    if session.scalar(stmt.limit(1)) is not None:
        what = "everyone" if target is AssignmentTarget.DEFAULT else f"this {target.value.replace('_', ' ')}"
        raise Conflict(f"The price list {price_list.name!r} is already assigned to {what}")


def _timeline(
    session: Session,
    shop_id: int,
    price_list: PriceList,
    target: AssignmentTarget,
    account: Any,
    actor: str,
    *,
    assigned: bool,
) -> None:
    """One event on the account's feed (company for a company or location, customer for a customer)."""
    if account is None:
        return
    verb = "assigned" if assigned else "unassigned"
    if target is AssignmentTarget.CUSTOMER:
        subject_type, subject_id, feed = SubjectType.CUSTOMER, account.id, {"customer_id": account.id}
        whom = account.display_name
    else:
        company_id = account.id if target is AssignmentTarget.COMPANY else account.company_id
        subject_type, subject_id, feed = SubjectType.COMPANY, company_id, {"company_id": company_id}
        whom = account.name or f"company {account.shopify_id}"
        if target is AssignmentTarget.COMPANY_LOCATION:
            whom = f"the location {account.name or account.shopify_id}"
    preposition = "to" if assigned else "from"
    session.add(
        CrmTimelineEvent(
            shop_id=shop_id,
            subject_type=subject_type,
            subject_id=subject_id,
            kind=f"{subject_type.value}.price_list_{verb}",
            actor=actor[:255],
            summary=f"Price list {price_list.name!r} {verb} {preposition} {whom}"[:500],
            data={"price_list_id": price_list.id, "target": target.value},
            occurred_at=utcnow(),
            **feed,
        )
    )
    session.flush()


def remove_assignment(
    uow: UnitOfWork, *, shop_id: int, price_list_id: int, assignment_id: int, actor: str = "staff"
) -> None:
    """Remove one assignment of the list (NotFound when the list has no such assignment)."""
    session = uow.session
    price_list = load_list(session, shop_id, price_list_id, for_change=True)
    assignment = session.scalar(
        select(PriceListAssignment).where(
            PriceListAssignment.shop_id == shop_id,
            PriceListAssignment.price_list_id == price_list.id,
            PriceListAssignment.id == assignment_id,
        )
    )
    if assignment is None:
        raise NotFound(f"assignment {assignment_id} not found")
    account: Any = None
    if assignment.company_location_id is not None:
        account = session.get(CrmCompanyLocation, assignment.company_location_id)
    elif assignment.company_id is not None:
        account = session.get(CrmCompany, assignment.company_id)
    elif assignment.customer_id is not None:
        account = session.get(CrmCustomer, assignment.customer_id)
    target = assignment.target
    session.delete(assignment)
    session.flush()
    _timeline(session, shop_id, price_list, target, account, actor, assigned=False)


def list_assignments(uow: UnitOfWork, *, shop_id: int, price_list_id: int) -> list[AssignmentView]:
    """The list's assignments, most specific target first, each with a label naming its target."""
    session = uow.session
    price_list = load_list(session, shop_id, price_list_id)
    location_company = aliased(CrmCompany)
    rows = session.execute(
        select(PriceListAssignment, CrmCompanyLocation, location_company.name, CrmCompany, CrmCustomer)
        .outerjoin(CrmCompanyLocation, CrmCompanyLocation.id == PriceListAssignment.company_location_id)
        .outerjoin(location_company, location_company.id == CrmCompanyLocation.company_id)
        .outerjoin(CrmCompany, CrmCompany.id == PriceListAssignment.company_id)
        .outerjoin(CrmCustomer, CrmCustomer.id == PriceListAssignment.customer_id)
        .where(PriceListAssignment.shop_id == shop_id, PriceListAssignment.price_list_id == price_list.id)
        .order_by(PriceListAssignment.id)
    ).all()
    order = {target: position for position, target in enumerate(AssignmentTarget)}
    views = [
        AssignmentView(assignment, _label(assignment, location, location_company_name, company, customer))
        for assignment, location, location_company_name, company, customer in rows
    ]
    return sorted(
        views, key=lambda view: (order[view.assignment.target], view.label.lower(), view.assignment.id)
    )


def _label(
    assignment: PriceListAssignment,
    location: CrmCompanyLocation | None,
    location_company_name: str | None,
    company: CrmCompany | None,
    customer: CrmCustomer | None,
) -> str:
    target = assignment.target
    if target is AssignmentTarget.COMPANY_LOCATION and location is not None:
        place = location.name or f"location {location.shopify_id}"
        return (
            f"Location: {location_company_name}, {place}" if location_company_name else f"Location: {place}"
        )
    if target is AssignmentTarget.COMPANY and company is not None:
        return f"Company: {company.name or company.shopify_id}"
    if target is AssignmentTarget.CUSTOMER and customer is not None:
        return f"Customer: {customer.display_name}"
    if target is AssignmentTarget.CUSTOMER_TAG:
        return f"Tag: {assignment.customer_tag}"
    if target is AssignmentTarget.SEGMENT:
        return f"Segment {assignment.segment_id}"
    return "Everyone (default list)"
