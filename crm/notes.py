"""Staff work on CRM accounts: staff members, notes, follow-up tasks and sales-rep assignment.

Contract (plain functions; keyword arguments after the unit of work; they never commit):

    Actor(label, staff_id=None)            who acts; Actor.of(member) for a staff member,
                                           Actor("API key tl_ab12") for other callers
    ensure_staff_member(uow, *, shop_id, name, shopify_user_id=None, email=None) -> CrmStaffMember
    list_staff_members(uow, *, shop_id, include_inactive=False) -> list[CrmStaffMember]
    get_staff_member(uow, *, shop_id, staff_id) -> CrmStaffMember          NotFound
    add_note(uow, *, shop_id, subject_type, subject_id, body, author: Actor) -> CrmNote
    add_task(uow, *, shop_id, subject_type, subject_id, title, due_on=None, assignee_id=None,
             author: Actor) -> CrmTask
    complete_task(uow, *, shop_id, task_id, actor: Actor) -> CrmTask        (already done: no change)
    reopen_task(uow, *, shop_id, task_id, actor: Actor) -> CrmTask          (already open: no change)
    reassign_task(uow, *, shop_id, task_id, assignee_id: int | None, actor: Actor) -> CrmTask
    assign_sales_rep(uow, *, shop_id, customer_id=None | company_id=None, staff_id: int | None,
                     actor: Actor) -> CrmStaffMember | None                 (None removes the rep)
    sales_rep_of(uow, *, shop_id, customer_id=None | company_id=None) -> CrmStaffMember | None

`subject_type` is "customer" or "company" (a `crm.models.SubjectType` works too) and `subject_id`
the crm_customer / crm_company row id. An id of another shop is NotFound (a 404), bad input
InvalidInput (422) naming the field; both change nothing. Every state change - a note added, a
task created, completed, reopened or reassigned, a sales rep set, changed or removed - writes one
CrmTimelineEvent on the subject's feed in the caller's transaction; a call that changes nothing
writes none. Staff members are identified as crm/models_work.py describes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.db import UnitOfWork, utcnow
from app.errors import InvalidInput
from app.tenancy import get_for_shop
from crm.models import CrmCompany, CrmCustomer, CrmTimelineEvent, SubjectType
from crm.models_work import (
    IDENTITY_NAME,
    IDENTITY_SHOPIFY,
    CrmNote,
    CrmSalesRepAssignment,
    CrmStaffMember,
    CrmTask,
)

__all__ = [
    "NOTE_MAX_CHARS",
    "TITLE_MAX_CHARS",
    "Actor",
    "add_note",
    "add_task",
    "assign_sales_rep",
    "complete_task",
    "ensure_staff_member",
    "get_staff_member",
    "list_staff_members",
    "reassign_task",
    "reopen_task",
    "sales_rep_of",
    "staff_identity",
]

NOTE_MAX_CHARS = 10_000
TITLE_MAX_CHARS = 255
NAME_MAX_CHARS = 255
# Characters of a note quoted in its timeline summary.
EXCERPT_CHARS = 140
# last_seen_at is refreshed at most this often, so reading pages does not write on every request.
LAST_SEEN_RESOLUTION = timedelta(hours=1)
SUBJECTS = (SubjectType.CUSTOMER, SubjectType.COMPANY)


@dataclass(frozen=True)
class Actor:
    """Who makes a change: `label` is shown on the timeline; `staff_id` links a staff member."""

    label: str
    staff_id: int | None = None

    @classmethod
    def of(cls, member: CrmStaffMember) -> Actor:
        return cls(label=member.name, staff_id=member.id)


@dataclass(frozen=True)
class _Subject:
    type: SubjectType
    row: CrmCustomer | CrmCompany

    @property
    def customer_id(self) -> int | None:
        return self.row.id if self.type is SubjectType.CUSTOMER else None

    @property
    def company_id(self) -> int | None:
        return self.row.id if self.type is SubjectType.COMPANY else None

    @property
    def label(self) -> str:
        if isinstance(self.row, CrmCustomer):
            return self.row.display_name
        return self.row.name or f"Company {self.row.shopify_id}"


# -- staff members --------------------------------------------------------------------------------


def staff_identity(*, name: str, shopify_user_id: int | None = None) -> str:
    """The identity key of a staff member: their Shopify user id, else their casefolded name."""
    if shopify_user_id is not None:
        return f"{IDENTITY_SHOPIFY}{shopify_user_id}"
    return f"{IDENTITY_NAME}{' '.join(name.split()).casefold()}"


def ensure_staff_member(
    uow: UnitOfWork, *, shop_id: int, name: str, shopify_user_id: int | None = None, email: str | None = None
) -> CrmStaffMember:
    """The staff member behind an admin request, created on first sight; name and email kept current."""
    clean_name = " ".join(name.split())[:NAME_MAX_CHARS] or "Staff member"
    identity = staff_identity(name=clean_name, shopify_user_id=shopify_user_id)
    session = uow.session
    now = utcnow()
    member = _staff_by_identity(session, shop_id, identity)
    if member is None:
        dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
        # Two first requests of the same person may race: the unique (shop, identity) decides, quietly.
        session.execute(
            dialect.insert(CrmStaffMember)
            .values(
                shop_id=shop_id,
                identity=identity,
                shopify_user_id=shopify_user_id,
                name=clean_name,
                email=email,
                active=True,
                last_seen_at=now,
                created_at=now,
                updated_at=now,
            )
            .on_conflict_do_nothing(index_elements=["shop_id", "identity"])
        )
        member = _staff_by_identity(session, shop_id, identity)
        assert member is not None
    # A Shopify profile may not know the email (no online token yet): keep the one we have.
    new_email = email if email is not None else member.email
    if member.name != clean_name or member.email != new_email:
        member.name, member.email = clean_name, new_email
        session.flush()
        _copy_rep_details(session, shop_id=shop_id, staff=member)
    if member.last_seen_at is None or now - member.last_seen_at >= LAST_SEEN_RESOLUTION:
        member.last_seen_at = now
    if not member.active:
        member.active = True
    session.flush()
    return member


def _staff_by_identity(session: Session, shop_id: int, identity: str) -> CrmStaffMember | None:
    return session.scalar(
        select(CrmStaffMember).where(CrmStaffMember.shop_id == shop_id, CrmStaffMember.identity == identity)
    )


def list_staff_members(
    uow: UnitOfWork, *, shop_id: int, include_inactive: bool = False
) -> list[CrmStaffMember]:
    """The shop's staff members by name (the choices for assignee and sales rep)."""
    stmt = select(CrmStaffMember).where(CrmStaffMember.shop_id == shop_id)
    if not include_inactive:
        stmt = stmt.where(CrmStaffMember.active.is_(True))
    return list(uow.session.scalars(stmt.order_by(CrmStaffMember.name, CrmStaffMember.id)))


def get_staff_member(uow: UnitOfWork, *, shop_id: int, staff_id: int) -> CrmStaffMember:
    """The staff member with this id in this shop, else NotFound."""
    return get_for_shop(uow.session, CrmStaffMember, shop_id, staff_id)


def _staff_choice(session: Session, shop_id: int, staff_id: int | None, field: str) -> CrmStaffMember | None:
    """The staff member a form or API field names (None for none), else InvalidInput."""
    if staff_id is None:
        return None
    member = session.scalar(
        select(CrmStaffMember).where(CrmStaffMember.shop_id == shop_id, CrmStaffMember.id == staff_id)
    )
    if member is None:
        raise InvalidInput(f"{field}: no staff member {staff_id} in this shop")
    return member


# -- notes ----------------------------------------------------------------------------------------


def add_note(
    uow: UnitOfWork,
    *,
    shop_id: int,
    subject_type: SubjectType | str,
    subject_id: int,
    body: str,
    author: Actor,
) -> CrmNote:
    """Add a note to a customer or company; the note lands on its timeline."""
    text = (body or "").strip()
    if not text:
        raise InvalidInput("body: write something in the note")
    if len(text) > NOTE_MAX_CHARS:
        raise InvalidInput(f"body: a note holds at most {NOTE_MAX_CHARS:,} characters (got {len(text):,})")
    session = uow.session
    subject = _subject(session, shop_id, subject_type, subject_id)
    note = CrmNote(
        shop_id=shop_id,
        customer_id=subject.customer_id,
        company_id=subject.company_id,
        body=text,
        author_id=author.staff_id,
        author_name=author.label[:NAME_MAX_CHARS],
    )
    session.add(note)
    session.flush()
    _event(
        session,
        subject,
        actor=author,
        verb="note_added",
        summary=f"Note by {author.label}: {_excerpt(text)}",
        data={"note_id": note.id},
    )
    return note


def _excerpt(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= EXCERPT_CHARS else flat[: EXCERPT_CHARS - 1].rstrip() + "…"


# -- tasks ----------------------------------------------------------------------------------------


def add_task(
    uow: UnitOfWork,
    *,
    shop_id: int,
    subject_type: SubjectType | str,
    subject_id: int,
    title: str,
    due_on: date | None = None,
    assignee_id: int | None = None,
    author: Actor,
) -> CrmTask:
    """Create a follow-up task about a customer or company, optionally due on a day and assigned."""
    clean_title = " ".join((title or "").split())
    if not clean_title:
        raise InvalidInput("title: say what needs doing")
    if len(clean_title) > TITLE_MAX_CHARS:
        raise InvalidInput(f"title: at most {TITLE_MAX_CHARS} characters (got {len(clean_title)})")
    if due_on is not None and not isinstance(due_on, date):
        raise InvalidInput("due_on: expected a date")
    session = uow.session
    subject = _subject(session, shop_id, subject_type, subject_id)
    assignee = _staff_choice(session, shop_id, assignee_id, "assignee_id")
    task = CrmTask(
        shop_id=shop_id,
        customer_id=subject.customer_id,
        company_id=subject.company_id,
        title=clean_title,
        due_on=due_on,
        assignee_id=assignee.id if assignee else None,
        created_by_id=author.staff_id,
        created_by_name=author.label[:NAME_MAX_CHARS],
    )
    session.add(task)
    session.flush()
    details = [f"due {_day(due_on)}"] if due_on else []
    if assignee is not None:
        details.append(f"assigned to {assignee.name}")
    _event(
        session,
        subject,
        actor=author,
        verb="task_created",
        summary=f"Task “{clean_title}” created" + (f" ({', '.join(details)})" if details else ""),
        data={
            "task_id": task.id,
            "title": clean_title,
            "due_on": due_on.isoformat() if due_on else None,
            "assignee_id": [None, task.assignee_id],
        },
    )
    return task


def complete_task(uow: UnitOfWork, *, shop_id: int, task_id: int, actor: Actor) -> CrmTask:
    """Mark a task done; completing a done task changes nothing."""
    session = uow.session
    task = _task(session, shop_id, task_id)
    if task.completed_at is not None:
        return task
    task.completed_at = utcnow()
    task.completed_by_name = actor.label[:NAME_MAX_CHARS]
    session.flush()
    _event(
        session,
        _task_subject(session, task),
        actor=actor,
        verb="task_completed",
        summary=f"Task “{task.title}” completed by {actor.label}",
        data={"task_id": task.id, "completed": [False, True]},
    )
    return task


def reopen_task(uow: UnitOfWork, *, shop_id: int, task_id: int, actor: Actor) -> CrmTask:
    """Open a done task again; reopening an open task changes nothing."""
    session = uow.session
    task = _task(session, shop_id, task_id)
    if task.completed_at is None:
        return task
    task.completed_at = None
    task.completed_by_name = None
    session.flush()
    _event(
        session,
        _task_subject(session, task),
        actor=actor,
        verb="task_reopened",
        summary=f"Task “{task.title}” reopened by {actor.label}",
        data={"task_id": task.id, "completed": [True, False]},
    )
    return task


def reassign_task(
    uow: UnitOfWork, *, shop_id: int, task_id: int, assignee_id: int | None, actor: Actor
) -> CrmTask:
    """Give a task to another staff member (None: unassign); the same assignee changes nothing."""
    session = uow.session
    task = _task(session, shop_id, task_id)
    new = _staff_choice(session, shop_id, assignee_id, "assignee_id")
    if task.assignee_id == (new.id if new else None):
        return task
    old = _staff_choice(session, shop_id, task.assignee_id, "assignee_id")
    task.assignee_id = new.id if new else None
    session.flush()
    if new is None:
        change = f"unassigned (was {old.name})" if old else "unassigned"
    elif old is None:
        change = f"assigned to {new.name}"
    else:
        change = f"reassigned from {old.name} to {new.name}"
    _event(
        session,
        _task_subject(session, task),
        actor=actor,
        verb="task_reassigned",
        summary=f"Task “{task.title}” {change}",
        data={"task_id": task.id, "assignee_id": [old.id if old else None, task.assignee_id]},
    )
    return task


def _task(session: Session, shop_id: int, task_id: int) -> CrmTask:
    return get_for_shop(session, CrmTask, shop_id, task_id)


def _task_subject(session: Session, task: CrmTask) -> _Subject:
    if task.customer_id is not None:
        return _subject(session, task.shop_id, SubjectType.CUSTOMER, task.customer_id)
    assert task.company_id is not None  # the CHECK constraint: one of the two
    return _subject(session, task.shop_id, SubjectType.COMPANY, task.company_id)


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


def _copy_rep_details(session: Session, *, shop_id: int, staff: CrmStaffMember) -> None:
    """Refresh the sales-rep name/email copies on the accounts this staff member owns."""
    for model, link in (
        (CrmCustomer, CrmSalesRepAssignment.customer_id),
        (CrmCompany, CrmSalesRepAssignment.company_id),
    ):
        owned = select(link).where(
            CrmSalesRepAssignment.shop_id == shop_id,
            CrmSalesRepAssignment.staff_id == staff.id,
            link.is_not(None),
        )
        session.execute(
            update(model)
            .where(model.shop_id == shop_id, model.id.in_(owned))
            .values(sales_rep_name=staff.name, sales_rep_email=staff.email)
            .execution_options(synchronize_session="fetch")
        )


# -- shared ---------------------------------------------------------------------------------------


def _subject(session: Session, shop_id: int, subject_type: SubjectType | str, subject_id: int) -> _Subject:
    try:
        kind = SubjectType(subject_type)
    except ValueError:
        kind = None
    if kind not in SUBJECTS:
        raise InvalidInput(f"subject_type: expected 'customer' or 'company', got {subject_type!r}")
    assert kind is not None
    model: type[CrmCustomer] | type[CrmCompany] = CrmCustomer if kind is SubjectType.CUSTOMER else CrmCompany
    return _Subject(kind, get_for_shop(session, model, shop_id, subject_id))


def _one_subject(session: Session, shop_id: int, customer_id: int | None, company_id: int | None) -> _Subject:
    if (customer_id is None) == (company_id is None):
        raise InvalidInput("name exactly one of customer_id and company_id")
    if customer_id is not None:
        return _subject(session, shop_id, SubjectType.CUSTOMER, customer_id)
    assert company_id is not None
    return _subject(session, shop_id, SubjectType.COMPANY, company_id)


def _event(
    session: Session, subject: _Subject, *, actor: Actor, verb: str, summary: str, data: dict[str, Any]
) -> None:
    """One timeline event on the subject's feed, e.g. kind 'customer.note_added'."""
    now = utcnow()
    if actor.staff_id is not None:
        data = {**data, "actor_staff_id": actor.staff_id}
    session.add(
        CrmTimelineEvent(
            shop_id=subject.row.shop_id,
            subject_type=subject.type,
            subject_id=subject.row.id,
            customer_id=subject.customer_id,
            company_id=subject.company_id,
            kind=f"{subject.type.value}.{verb}",
            actor=actor.label[:NAME_MAX_CHARS],
            summary=summary[:500],
            data=data,
            occurred_at=now,
            created_at=now,
        )
    )
    session.flush()


def _day(value: date) -> str:
    return f"{value:%b} {value.day}, {value.year}"
