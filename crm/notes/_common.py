"""What the staff-work services share: limits, who acts, the subject of a change and its timeline event."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy.orm import Session

from app.db import utcnow
from app.errors import InvalidInput
from app.tenancy import get_for_shop
from crm.models import CrmCompany, CrmCustomer, CrmTimelineEvent, SubjectType
from crm.models_work import CrmStaffMember

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
