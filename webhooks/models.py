"""The webhook inbox: every verified delivery, stored before it is answered, until it is processed.

One row per (shop, X-Shopify-Webhook-Id): Shopify delivers at least once, so a repeated delivery
finds its row and changes nothing. The row is the durable record between "200 OK" and the CRM
tables: a job processes it, a sweeper re-enqueues it when that job never ran or died, and a
delivery that keeps failing stays here, parked as failed, for an admin to see and retry.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Enum, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime, utcnow

# JSON text on every database (json on PostgreSQL, not JSONB): the payload is written once and read once,
# never queried inside in SQL, and JSONB's parse on INSERT and print on SELECT cost more than the rest of
# its round trips (migration 0017).
JSON_DOC = JSON()
# 64-bit ids on PostgreSQL (a busy shop delivers millions a year); SQLite's rowid alias must be INTEGER.
BIG_ID = BigInteger().with_variant(Integer(), "sqlite")


class DeliveryStatus(enum.StrEnum):
    """Where a delivery is between intake and the CRM."""

    RECEIVED = "received"  # stored and answered 200; waiting for (another) processing attempt
    PROCESSING = "processing"  # an attempt claimed it and has not finished (or its worker died)
    PROCESSED = "processed"  # its handler ran and committed
    FAILED = "failed"  # parked: malformed, or it failed every attempt; an admin may retry it
    IGNORED = "ignored"  # acknowledged but not processed (a topic Tradeline has no handler for)


class WebhookDelivery(Base):
    """One webhook delivery from Shopify, as received, with its processing state."""

    __tablename__ = "webhooks_inbox"
    __table_args__ = (
        UniqueConstraint("shop_id", "webhook_id"),
        # The webhook log lists a shop's deliveries newest first, optionally by status; the batch
        # path claims a shop's oldest received rows.
        Index("ix_webhooks_inbox_shop_id_status_id", "shop_id", "status", "id"),
        # The sweeper looks across shops for rows left received or processing.
        Index("ix_webhooks_inbox_status_received_at", "status", "received_at"),
    )

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("app_shop.id", ondelete="CASCADE"))
    webhook_id: Mapped[str] = mapped_column(String(255), comment="X-Shopify-Webhook-Id: one per delivery")
    topic: Mapped[str] = mapped_column(String(128), comment="X-Shopify-Topic, e.g. 'orders/create'")
    event_id: Mapped[str | None] = mapped_column(
        String(255), comment="X-Shopify-Event-Id: the same for every delivery of one event"
    )
    triggered_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, comment="X-Shopify-Triggered-At: when Shopify fired the event"
    )
    api_version: Mapped[str] = mapped_column(String(16), comment="X-Shopify-API-Version of the payload")
    payload: Mapped[dict[str, Any] | None] = mapped_column(
        JSON_DOC, comment="NULL when the body was not JSON"
    )
    status: Mapped[DeliveryStatus] = mapped_column(
        Enum(
            DeliveryStatus,
            name="webhooks_delivery_status",
            values_callable=lambda members: [m.value for m in members],
        ),
        default=DeliveryStatus.RECEIVED,
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0, comment="processing attempts since (re)queued")
    last_error: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, comment="when the latest attempt began")
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
