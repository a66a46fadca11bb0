"""The timeline: one event per state change, the CRM activity feed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime, utcnow
from crm.models.columns import JSON_DOC, SubjectType, _enum


class CrmTimelineEvent(Base):
    """One state change, written by the service that made it in the same transaction.

    `customer_id`/`company_id` say whose activity feed shows the event, so the customer 360 and
    company pages read their feed with one indexed query.
    """

    __tablename__ = "crm_timeline_event"
    __table_args__ = (
        Index("ix_crm_timeline_event_subject", "shop_id", "subject_type", "subject_id", "occurred_at"),
        Index("ix_crm_timeline_event_customer_feed", "shop_id", "customer_id", "occurred_at"),
        Index("ix_crm_timeline_event_company_feed", "shop_id", "company_id", "occurred_at"),
        # For the ON DELETE CASCADE from customers and companies.
        Index("ix_crm_timeline_event_customer_id", "customer_id"),
        Index("ix_crm_timeline_event_company_id", "company_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("app_shop.id", ondelete="CASCADE"))
    subject_type: Mapped[SubjectType] = mapped_column(_enum(SubjectType, "crm_subject_type"))
    subject_id: Mapped[int] = mapped_column(Integer, comment="row id in the subject's table")
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("crm_customer.id", ondelete="CASCADE"))
    company_id: Mapped[int | None] = mapped_column(ForeignKey("crm_company.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(64), comment="'<subject>.<verb>', e.g. 'order.cancelled'")
    actor: Mapped[str] = mapped_column(String(255), comment="'shopify', 'demo', or a staff email")
    summary: Mapped[str] = mapped_column(String(500))
    data: Mapped[dict[str, Any]] = mapped_column(
        JSON_DOC, default=dict, comment="changes: {field: [old, new]}"
    )
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, comment="when it happened in Shopify")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
