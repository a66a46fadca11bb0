"""Tables of the metrics and Shopify-tag side of segments: marketing spend (CAC) and segment tag pushes."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime, utcnow
from crm.models import MONEY, _enum


class MarketingSpend(Base):
    """What the shop spent on one acquisition channel in one calendar month (of the shop's timezone)."""

    __tablename__ = "segments_marketing_spend"
    __table_args__ = (UniqueConstraint("shop_id", "channel", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("app_shop.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(
        String(255), comment="an acquisition source prefix, e.g. 'utm:google' or 'referrer:facebook.com'"
    )
    month: Mapped[date] = mapped_column(Date, comment="first day of the month")
    amount: Mapped[Decimal] = mapped_column(MONEY, comment="never negative")
    currency: Mapped[str] = mapped_column(String(3))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class TagPushStatus(enum.StrEnum):
    QUEUED = "queued"  # enqueued, not started
    RUNNING = "running"  # adding and removing tags; done/total show progress
    SUCCEEDED = "succeeded"  # every change applied (or refused by Shopify: see `failed` and `error`)
    FAILED = "failed"  # stopped; `error` says why (a later push retries what is left)


class SegmentTagPush(Base):
    """One push of a segment to Shopify as a customer tag: progress, counts, and the event watermark."""

    __tablename__ = "segments_tag_push"
    __table_args__ = (
        Index("ix_segments_tag_push_shop_id", "shop_id"),
        Index("ix_segments_tag_push_segment_id_id", "segment_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("app_shop.id", ondelete="CASCADE"))
    segment_id: Mapped[int] = mapped_column(ForeignKey("segments_segment.id", ondelete="CASCADE"))
    tag: Mapped[str] = mapped_column(String(255), comment="the tag pushed (the segment's shopify_tag then)")
    status: Mapped[TagPushStatus] = mapped_column(
        _enum(TagPushStatus, "segments_tag_push_status"), default=TagPushStatus.QUEUED
    )
    done: Mapped[int] = mapped_column(Integer, default=0, comment="customers handled")
    total: Mapped[int] = mapped_column(Integer, default=0, comment="customers to handle")
    added: Mapped[int] = mapped_column(Integer, default=0, comment="tags added")
    removed: Mapped[int] = mapped_column(Integer, default=0, comment="tags removed")
    failed: Mapped[int] = mapped_column(Integer, default=0, comment="changes Shopify refused")
    events_until: Mapped[int | None] = mapped_column(
        Integer, comment="the last exit event (segments_member_event.id) this push handled"
    )
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
