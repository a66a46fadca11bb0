"""Materialise segment membership set-based, recording who entered and who left.

A full run re-evaluates everyone. An incremental run (after syncs) re-evaluates only the customers
or companies whose data changed since the segment was last materialised: their CRM row, their RFM or
CLV scores. Definitions that depend on the clock ("within the last 30 days") or on price-list
assignments can change for people whose data did not, so they always run in full. The nightly
analytics run materialises every segment in full.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    Integer,
    MetaData,
    Select,
    Table,
    delete,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from app.db import UnitOfWork, UTCDateTime, utcnow
from segments import rules
from segments.definitions import get_segment
from segments.models import MemberChange, Segment, SegmentMember, SegmentMemberEvent, SegmentScore, Subject
from segments.rfm import use_analytics_memory
from segments.segment_sql import COMPANY, CUSTOMER, members_query

MEMBER = SegmentMember.__table__
EVENT = SegmentMemberEvent.__table__
SCORE = SegmentScore.__table__
CLOCK_OPERATORS = frozenset({"within_last_days", "not_within_last_days"})
# The subjects entering (then leaving) the segment being materialised; see `_stage`.
STAGED = Table(
    "segments_staged_members",
    MetaData(),
    Column("subject_id", Integer, primary_key=True),
    prefixes=["TEMPORARY"],
)


@dataclass(frozen=True)
class Outcome:
    segment_id: int
    entered: int
    exited: int
    members: int
    incremental: bool


def _needs_full(group: rules.Group) -> bool:
    for item in group.items:
        if isinstance(item, rules.Group):
            if _needs_full(item):
                return True
        elif item.op in CLOCK_OPERATORS or item.field.name == "price_list":
            return True
    return False


def _changed_since(subject: Subject, shop_id: int, since: datetime) -> Any:
    """Ids of the subjects whose row or scores changed after `since`."""
    row = CUSTOMER if subject is Subject.CUSTOMER else COMPANY
    key = SCORE.c.customer_id if subject is Subject.CUSTOMER else SCORE.c.company_id
    rows = select(row.c.id).where(row.c.shop_id == shop_id, row.c.updated_at > since)
    scores = select(key).where(
        SCORE.c.shop_id == shop_id,
        key.is_not(None),
        or_(SCORE.c.rfm_computed_at > since, SCORE.c.clv_computed_at > since),
    )
    return rows.union(scores)


def _stage(session: Session, subjects: Select[Any]) -> int:
    """Fill the temporary table STAGED with these subject ids; how many.

    Who enters or leaves is written down before anything changes: the statements that then write
    members and events read this table, never the member table they change (PostgreSQL would plan a
    read of a table that is being filled from statistics of the table before, at worst rescanning it
    for every row), and the rule is evaluated once, not once per statement.
    """
    STAGED.drop(session.connection(), checkfirst=True)
    STAGED.create(session.connection())
    session.execute(insert(STAGED).from_select(["subject_id"], subjects))
    return int(session.scalar(select(func.count()).select_from(STAGED)) or 0)


def _record(
    session: Session, shop_id: int, segment_id: int, key_name: str, change: MemberChange, at: datetime
) -> None:
    """One member event per staged subject."""
    session.execute(
        insert(EVENT).from_select(
            ["shop_id", "segment_id", key_name, "change", "occurred_at"],
            select(
                literal(shop_id),
                literal(segment_id),
                STAGED.c.subject_id,
                literal(change.value, type_=EVENT.c.change.type),
                literal(at, type_=UTCDateTime()),
            ),
        )
    )


def materialise(
    uow: UnitOfWork, *, shop_id: int, segment_id: int, now: datetime | None = None, incremental: bool = False
) -> Outcome:
    """Bring the segment's members up to date with its definition; one statement per step."""
    now = now or utcnow()
    segment = get_segment(uow, shop_id=shop_id, segment_id=segment_id)
    group = rules.parse_definition(segment.definition, segment.subject)
    incremental = incremental and segment.computed_at is not None and not _needs_full(group)
    key_name = "customer_id" if segment.subject is Subject.CUSTOMER else "company_id"
    member_key = MEMBER.c[key_name]
    matched = members_query(segment.subject, group, shop_id=shop_id, now=now)
    scope: ColumnElement[bool] | None = None
    if incremental:
        assert segment.computed_at is not None
        candidates = _changed_since(segment.subject, shop_id, segment.computed_at)
        matched = matched.where(matched.selected_columns.subject_id.in_(candidates))
        scope = member_key.in_(candidates)
    matched_ids = matched.subquery()
    session = uow.session
    use_analytics_memory(session)
    is_member = exists().where(MEMBER.c.segment_id == segment.id, member_key == matched_ids.c.subject_id)
    entered = _stage(session, select(matched_ids.c.subject_id).where(~is_member))
    _record(session, shop_id, segment.id, key_name, MemberChange.ENTERED, now)
    session.execute(
        insert(MEMBER).from_select(
            ["shop_id", "segment_id", key_name, "entered_at"],
            select(
                literal(shop_id), literal(segment.id), STAGED.c.subject_id, literal(now, type_=UTCDateTime())
            ),
        )
    )
    still_matched = exists().where(matched_ids.c.subject_id == member_key)
    leaving = [MEMBER.c.segment_id == segment.id, ~still_matched, *([scope] if scope is not None else [])]
    exited = _stage(session, select(member_key).where(*leaving))
    _record(session, shop_id, segment.id, key_name, MemberChange.EXITED, now)
    session.execute(
        delete(MEMBER).where(MEMBER.c.segment_id == segment.id, member_key.in_(select(STAGED.c.subject_id)))
    )
    STAGED.drop(session.connection())
    members = session.scalar(
        select(func.count()).select_from(MEMBER).where(MEMBER.c.segment_id == segment.id)
    )
    session.execute(
        update(Segment).where(Segment.id == segment.id).values(member_count=members, computed_at=now)
    )
    session.flush()
    session.expire(segment)
    return Outcome(segment.id, int(entered or 0), int(exited or 0), int(members or 0), incremental)


def materialise_all(
    uow: UnitOfWork, *, shop_id: int, now: datetime | None = None, incremental: bool = False
) -> list[Outcome]:
    """Every segment of the shop; commits after each so a long run shows progress."""
    ids = list(uow.session.scalars(select(Segment.id).where(Segment.shop_id == shop_id).order_by(Segment.id)))
    outcomes = []
    for segment_id in ids:
        outcomes.append(
            materialise(uow, shop_id=shop_id, segment_id=segment_id, now=now, incremental=incremental)
        )
        uow.commit()
    return outcomes
