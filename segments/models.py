"""Analytics per customer and per company: RFM scores and segments, CLV and churn risk, their history.

One `segments_score` row per scored customer or company holds the latest figures (the jobs
recompute them set-based); `segments_transition` keeps every RFM segment change; `segments_run`
records each computation with its progress, so every number can say when it was computed.
"""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, Numeric, SmallInteger, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime, utcnow
from crm.models import JSON_DOC, MONEY, _enum

RATE = Numeric(12, 4)
PROBABILITY = Numeric(7, 6)


def subject_index(table: str, column: str) -> Index:
    """An index of the rows naming a customer (or a company): the other kind's rows leave it alone.

    Every row names one of the two, so a full index would take an entry of NULL per row of the other
    kind: a million on a shop's first run (migration 0016).
    """
    present = text(f"{column} IS NOT NULL")
    return Index(f"ix_{table}_{column}", column, postgresql_where=present, sqlite_where=present)


class Subject(enum.StrEnum):
    CUSTOMER = "customer"  # a crm_customer row (a person)
    COMPANY = "company"  # a crm_company row (an account: all its buyers' orders)


class RfmSegment(enum.StrEnum):
    """The 11 named segments of the R x F map in segments/rfm.py (docs/segments.md draws it)."""

    CHAMPIONS = "champions"  # bought recently and often
    LOYAL = "loyal"  # buy often, fairly recently
    POTENTIAL_LOYALIST = "potential_loyalist"  # recent, a few orders: could become loyal
    NEW_CUSTOMERS = "new_customers"  # bought very recently, once
    PROMISING = "promising"  # recent, once
    NEED_ATTENTION = "need_attention"  # middling recency and frequency
    ABOUT_TO_SLEEP = "about_to_sleep"  # middling recency, few orders
    CANT_LOSE_THEM = "cant_lose_them"  # used to buy very often, not for a long time
    AT_RISK = "at_risk"  # bought often, not for a long time
    HIBERNATING = "hibernating"  # few orders, long ago
    LOST = "lost"  # one order, longest ago


class RunKind(enum.StrEnum):
    FULL = "full"  # RFM, CLV and churn for every customer and company of the shop
    RFM = "rfm"  # RFM scores and segments only
    CLV = "clv"  # CLV and churn only


class RunStatus(enum.StrEnum):
    QUEUED = "queued"  # enqueued, not started
    RUNNING = "running"  # computing; `step` and `done`/`total` show progress
    SUCCEEDED = "succeeded"  # finished; `stats` holds counts and model figures
    FAILED = "failed"  # stopped; `error` says why


class SegmentRun(Base):
    """One computation of a shop's analytics."""

    __tablename__ = "segments_run"
    __table_args__ = (Index("ix_segments_run_shop_id_started_at", "shop_id", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("app_shop.id", ondelete="CASCADE"))
    kind: Mapped[RunKind] = mapped_column(_enum(RunKind, "segments_run_kind"))
    status: Mapped[RunStatus] = mapped_column(
        _enum(RunStatus, "segments_run_status"), default=RunStatus.QUEUED
    )
    step: Mapped[str | None] = mapped_column(String(64), comment="what it is doing now, for the progress bar")
    done: Mapped[int] = mapped_column(Integer, default=0, comment="steps finished")
    total: Mapped[int] = mapped_column(Integer, default=0, comment="steps in all")
    as_of: Mapped[datetime] = mapped_column(UTCDateTime, comment="the moment the figures describe")
    stats: Mapped[dict[str, Any]] = mapped_column(JSON_DOC, default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SegmentScore(Base):
    """The latest RFM, CLV and churn figures of one customer or company (exactly one id column set)."""

    __tablename__ = "segments_score"
    __table_args__ = (
        UniqueConstraint("shop_id", "customer_id"),
        UniqueConstraint("shop_id", "company_id"),
        Index("ix_segments_score_shop_id_subject_segment", "shop_id", "subject", "rfm_segment"),
        subject_index("segments_score", "customer_id"),
        subject_index("segments_score", "company_id"),
        # Room on each page for the next version of its rows: runs rewrite them without index writes.
        {"postgresql_with": {"fillfactor": 50}},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # No foreign keys (migration 0016): each cost a check per row the run writes, most of a first run.
    # Deleting the shop, customer or company deletes the row all the same (a trigger on each parent).
    shop_id: Mapped[int] = mapped_column(Integer)
    subject: Mapped[Subject] = mapped_column(_enum(Subject, "segments_subject"))
    customer_id: Mapped[int | None] = mapped_column(Integer)
    company_id: Mapped[int | None] = mapped_column(Integer)
    # RFM over counted orders (not cancelled, deleted or test); money in the shop's currency.
    recency_days: Mapped[int] = mapped_column(Integer, comment="whole days from the last order to as_of")
    frequency: Mapped[int] = mapped_column(Integer, comment="counted orders")
    monetary: Mapped[Decimal] = mapped_column(MONEY, comment="their current totals (after refunds)")
    currency: Mapped[str] = mapped_column(String(3))
    first_order_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_order_at: Mapped[datetime] = mapped_column(UTCDateTime)
    r_score: Mapped[int] = mapped_column(SmallInteger, comment="1-5, 5 = most recent")
    f_score: Mapped[int] = mapped_column(SmallInteger, comment="1-5, 5 = most orders")
    m_score: Mapped[int] = mapped_column(SmallInteger, comment="1-5, 5 = most spend")
    rfm_segment: Mapped[RfmSegment] = mapped_column(_enum(RfmSegment, "segments_rfm_segment"))
    # The as_of of the run that last changed the figures above (a run leaves unchanged rows alone).
    rfm_computed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # CLV and churn (NULL until the models could be fitted for the shop).
    predicted_orders_90: Mapped[Decimal | None] = mapped_column(RATE, comment="expected orders, next 90 days")
    predicted_orders_365: Mapped[Decimal | None] = mapped_column(
        RATE, comment="expected orders, next 365 days"
    )
    predicted_spend_90: Mapped[Decimal | None] = mapped_column(MONEY)
    predicted_spend_365: Mapped[Decimal | None] = mapped_column(MONEY)
    p_alive: Mapped[Decimal | None] = mapped_column(
        PROBABILITY, comment="P(still a customer); churn = 1 - it"
    )
    expected_next_order_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    clv_computed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SegmentTransition(Base):
    """A customer or company moved between RFM segments (from NULL = first scored; to NULL = unscored)."""

    __tablename__ = "segments_transition"
    __table_args__ = (
        Index("ix_segments_transition_shop_id_occurred_at", "shop_id", "occurred_at"),
        subject_index("segments_transition", "customer_id"),
        subject_index("segments_transition", "company_id"),
        Index("ix_segments_transition_run_id", "run_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Without foreign keys, as segments_score's (migration 0016); deleting the run deletes the row too.
    shop_id: Mapped[int] = mapped_column(Integer)
    run_id: Mapped[int] = mapped_column(Integer)
    subject: Mapped[Subject] = mapped_column(_enum(Subject, "segments_subject"))
    customer_id: Mapped[int | None] = mapped_column(Integer)
    company_id: Mapped[int | None] = mapped_column(Integer)
    from_segment: Mapped[RfmSegment | None] = mapped_column(_enum(RfmSegment, "segments_rfm_segment"))
    to_segment: Mapped[RfmSegment | None] = mapped_column(_enum(RfmSegment, "segments_rfm_segment"))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Segment(Base):
    """A merchant-defined segment: a condition tree over customers or companies, materialised."""

    __tablename__ = "segments_segment"
    __table_args__ = (UniqueConstraint("shop_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("app_shop.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    subject: Mapped[Subject] = mapped_column(_enum(Subject, "segments_subject"))
    definition: Mapped[dict[str, Any]] = mapped_column(
        JSON_DOC, comment="the condition tree (segments/rules.py)"
    )
    shopify_tag: Mapped[str | None] = mapped_column(
        String(255), comment="opt-in: members carry this customer tag in Shopify"
    )
    member_count: Mapped[int] = mapped_column(Integer, default=0)
    computed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, comment="last materialisation")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class SegmentMember(Base):
    """A customer or company currently in a segment."""

    __tablename__ = "segments_member"
    __table_args__ = (
        UniqueConstraint("segment_id", "customer_id"),
        UniqueConstraint("segment_id", "company_id"),
        Index("ix_segments_member_shop_id", "shop_id"),
        Index("ix_segments_member_customer_id", "customer_id"),
        Index("ix_segments_member_company_id", "company_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Without foreign keys, as segments_score's (migration 0016); deleting the segment deletes the row too.
    shop_id: Mapped[int] = mapped_column(Integer)
    segment_id: Mapped[int] = mapped_column(Integer)
    customer_id: Mapped[int | None] = mapped_column(Integer)
    company_id: Mapped[int | None] = mapped_column(Integer)
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    tag_pushed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, comment="Shopify tag added")


class MemberChange(enum.StrEnum):
    ENTERED = "entered"  # started matching the definition
    EXITED = "exited"  # stopped matching it (or was deleted)


class SegmentMemberEvent(Base):
    """Who entered or left a segment, when: campaigns start from these."""

    __tablename__ = "segments_member_event"
    __table_args__ = (
        Index("ix_segments_member_event_segment_id_occurred_at", "segment_id", "occurred_at"),
        Index("ix_segments_member_event_shop_id", "shop_id"),
        Index("ix_segments_member_event_customer_id", "customer_id"),
        Index("ix_segments_member_event_company_id", "company_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Without foreign keys, as segments_score's (migration 0016); deleting the segment deletes the row too.
    shop_id: Mapped[int] = mapped_column(Integer)
    segment_id: Mapped[int] = mapped_column(Integer)
    customer_id: Mapped[int | None] = mapped_column(Integer)
    company_id: Mapped[int | None] = mapped_column(Integer)
    change: Mapped[MemberChange] = mapped_column(_enum(MemberChange, "segments_member_change"))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
