"""Sales-rep assignment: one staff member per customer or company."""

from __future__ import annotations

from sqlalchemy import select

from app.db import UnitOfWork, utcnow
from crm.models_work import CrmSalesRepAssignment, CrmStaffMember
from crm.notes._common import NAME_MAX_CHARS, Actor, _event, _one_subject
from crm.notes.staff import _staff_choice

# -- sales reps -----------------------------------------------------------------------------------


def assign_sales_rep(
    uow: UnitOfWork,
    *,
    shop_id: int,
    customer_id: int | None = None,
    company_id: int | None = None,
    staff_id: int | None,
    actor: Actor,
) -> CrmStaffMember | None:
    """Make a staff member the account's sales rep (None removes the rep); the same rep changes nothing."""
    session = uow.session
    subject = _one_subject(session, shop_id, customer_id, company_id)
    new = _staff_choice(session, shop_id, staff_id, "staff_id")
    link = CrmSalesRepAssignment.customer_id if subject.customer_id else CrmSalesRepAssignment.company_id
    current = session.scalar(
        select(CrmSalesRepAssignment).where(CrmSalesRepAssignment.shop_id == shop_id, link == subject.row.id)
    )
    old = _staff_choice(session, shop_id, current.staff_id, "staff_id") if current else None
    if (old.id if old else None) == (new.id if new else None):
        return new
    if new is None:
        assert current is not None
        session.delete(current)
    elif current is None:
        session.add(
            CrmSalesRepAssignment(
                shop_id=shop_id,
                customer_id=subject.customer_id,
                company_id=subject.company_id,
                staff_id=new.id,
                assigned_by=actor.label[:NAME_MAX_CHARS],
            )
        )
    else:
        current.staff_id = new.id
        current.assigned_by = actor.label[:NAME_MAX_CHARS]
        current.assigned_at = utcnow()
    subject.row.sales_rep_name = new.name if new else None
    subject.row.sales_rep_email = new.email if new else None
    session.flush()
    if new is None:
        summary = f"Sales rep {old.name} removed" if old else "Sales rep removed"
    elif old is None:
        summary = f"Sales rep set to {new.name}"
    else:
        summary = f"Sales rep changed from {old.name} to {new.name}"
    _event(
        session,
        subject,
        actor=actor,
        verb="sales_rep_changed",
        summary=summary,
        data={"sales_rep_id": [old.id if old else None, new.id if new else None]},
    )
    return new


def sales_rep_of(
    uow: UnitOfWork, *, shop_id: int, customer_id: int | None = None, company_id: int | None = None
) -> CrmStaffMember | None:
    """The account's sales rep, or None."""
    if (customer_id is None) == (company_id is None):
        raise ValueError("name exactly one of customer_id and company_id")
    link = CrmSalesRepAssignment.customer_id if customer_id else CrmSalesRepAssignment.company_id
    return uow.session.scalar(
        select(CrmStaffMember)
        .join(CrmSalesRepAssignment, CrmSalesRepAssignment.staff_id == CrmStaffMember.id)
        .where(CrmSalesRepAssignment.shop_id == shop_id, link == (customer_id or company_id))
    )
