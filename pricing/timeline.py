"""A price list's own timeline: who created, changed, activated, archived, scheduled, duplicated,
imported prices into or published the list, and when.

Events are `crm_timeline_event` rows about the subject `price_list` (on no customer's or company's
feed), written by the service that made the change, in its transaction. Assigning a list to an account
stays on that account's feed (pricing/service/lists/assignments.py).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import UnitOfWork, utcnow
from crm.models import CrmTimelineEvent, SubjectType
from pricing.models import PriceList

# How many of a list's most recent events its page shows.
PAGE_EVENTS = 30


def record_list_event(
    session: Session,
    price_list: PriceList,
    verb: str,
    *,
    actor: str,
    summary: str,
    data: dict[str, Any] | None = None,
) -> None:
    """Add `price_list.<verb>` to the list's timeline (flushed with the caller's changes)."""
    session.add(
        CrmTimelineEvent(
            shop_id=price_list.shop_id,
            subject_type=SubjectType.PRICE_LIST,
            subject_id=price_list.id,
            kind=f"price_list.{verb}",
            actor=actor[:255],
            summary=summary[:500],
            data=data or {},
            occurred_at=utcnow(),
        )
    )


def changed_fields(price_list: PriceList, changes: dict[str, Any]) -> dict[str, list[str | None]]:
    """{field: [old, new]} for the fields whose value `changes` really changes, as text."""

    def text(value: Any) -> str | None:
        return None if value is None else str(getattr(value, "value", value))

    return {
        name: [text(getattr(price_list, name)), text(value)]
        for name, value in changes.items()
        if getattr(price_list, name) != value
    }


def list_events(uow: UnitOfWork, *, shop_id: int, price_list_id: int) -> list[CrmTimelineEvent]:
    """The list's latest PAGE_EVENTS events, newest first."""
    return list(
        uow.session.scalars(
            select(CrmTimelineEvent)
            .where(
                CrmTimelineEvent.shop_id == shop_id,
                CrmTimelineEvent.subject_type == SubjectType.PRICE_LIST,
                CrmTimelineEvent.subject_id == price_list_id,
            )
            .order_by(CrmTimelineEvent.occurred_at.desc(), CrmTimelineEvent.id.desc())
            .limit(PAGE_EVENTS)
        )
    )


def delete_list_events(session: Session, *, shop_id: int, price_list_id: int) -> None:
    """Drop the events of a list that is deleted (only drafts can be)."""
    session.execute(
        CrmTimelineEvent.__table__.delete().where(
            CrmTimelineEvent.shop_id == shop_id,
            CrmTimelineEvent.subject_type == SubjectType.PRICE_LIST,
            CrmTimelineEvent.subject_id == price_list_id,
        )
    )
