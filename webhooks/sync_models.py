"""Sync runs: one row per (shop, resource) each time a backfill or a reconciliation runs.

A backfill run follows one Shopify bulk export through its life: queued -> exporting (Shopify runs
the bulk query) -> downloading (the JSONL result is spooled locally) -> importing (batches written to
the CRM) -> completed or failed. Progress is kept on the row after every committed batch, so a
worker that dies mid-file leaves a row that says exactly where to resume. A reconciliation run
pages through what changed in Shopify since the previous run and records what it repaired.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime, utcnow


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    """A named enum type storing the members' values (PostgreSQL CREATE TYPE, VARCHAR elsewhere)."""
    return Enum(cls, name=name, values_callable=lambda members: [m.value for m in members])


class SyncKind(enum.StrEnum):
    """What a run does."""

    BACKFILL = "backfill"  # full export of a resource through a GraphQL bulk operation
    RECONCILE = "reconcile"  # page through recent changes and repair missed or stale rows


class SyncResource(enum.StrEnum):
    """The Shopify resources Tradeline mirrors, in the order a backfill imports them."""

    CUSTOMERS = "customers"  # customers (tags, consent, addresses)
    COMPANIES = "companies"  # B2B companies with their locations and contacts
    PRODUCTS = "products"  # products with their variants
    ORDERS = "orders"  # orders with their line items


class SyncStatus(enum.StrEnum):
    """Where a run is."""

    QUEUED = "queued"  # waiting for Shopify to accept the bulk export (another one is running)
    EXPORTING = "exporting"  # Shopify is running the bulk query
    DOWNLOADING = "downloading"  # the JSONL result is being fetched into the local spool
    IMPORTING = "importing"  # spooled objects are being written to the CRM in batches
    RUNNING = "running"  # a reconciliation is paging through recent changes
    COMPLETED = "completed"  # done; counts are final
    FAILED = "failed"  # stopped with `error`; a backfill resumes from its last committed batch


ACTIVE_STATUSES = frozenset(
    {
        SyncStatus.QUEUED,
        SyncStatus.EXPORTING,
        SyncStatus.DOWNLOADING,
        SyncStatus.IMPORTING,
        SyncStatus.RUNNING,
    }
)


class SyncRun(Base):
    """One backfill or reconciliation of one resource of one shop."""

    __tablename__ = "webhooks_sync_run"
    __table_args__ = (
        # At most one active run per (shop, kind, resource): `active_key` is NULL once a run ends.
        UniqueConstraint("shop_id", "active_key"),
        Index("ix_webhooks_sync_run_latest", "shop_id", "kind", "resource", "id"),
        Index("ix_webhooks_sync_run_bulk_operation", "shop_id", "bulk_operation_id"),
        Index("ix_webhooks_sync_run_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("app_shop.id", ondelete="CASCADE"))
    kind: Mapped[SyncKind] = mapped_column(_enum(SyncKind, "webhooks_sync_kind"))
    resource: Mapped[SyncResource] = mapped_column(_enum(SyncResource, "webhooks_sync_resource"))
    status: Mapped[SyncStatus] = mapped_column(_enum(SyncStatus, "webhooks_sync_status"))
    active_key: Mapped[str | None] = mapped_column(
        String(64), comment="'<kind>:<resource>' while the run is active, NULL once it ended"
    )
    requested_by: Mapped[str] = mapped_column(String(255), comment="'install', 'cron', 'cli' or a staff name")
    bulk_operation_id: Mapped[str | None] = mapped_column(String(255), comment="BulkOperation GID")
    bulk_status: Mapped[str | None] = mapped_column(String(32), comment="Shopify's last reported status")
    object_count: Mapped[int | None] = mapped_column(
        BigInteger, comment="objects in the export (parents and children), as Shopify counts them"
    )
    root_object_count: Mapped[int | None] = mapped_column(BigInteger)
    file_size: Mapped[int | None] = mapped_column(BigInteger, comment="bytes of the JSONL result")
    bytes_downloaded: Mapped[int] = mapped_column(BigInteger, default=0, comment="spooled so far")
    lines_downloaded: Mapped[int] = mapped_column(BigInteger, default=0, comment="complete lines spooled")
    import_cursor: Mapped[int] = mapped_column(
        BigInteger, default=0, comment="file line of the last parent object whose batch is committed"
    )
    objects_imported: Mapped[int] = mapped_column(
        BigInteger, default=0, comment="objects (parents and children) in committed batches"
    )
    counts: Mapped[dict[str, Any]] = mapped_column(
        JSON,
        default=dict,
        comment="backfill: created/updated/unchanged/stale; reconcile: checked/created/updated",
    )
    error: Mapped[str | None] = mapped_column(Text)
    resumable: Mapped[bool] = mapped_column(
        Boolean, default=False, comment="failed, but can continue from its last committed batch"
    )
    window_start: Mapped[datetime | None] = mapped_column(
        UTCDateTime, comment="reconcile: records updated at or after this were checked"
    )
    high_water_mark: Mapped[datetime | None] = mapped_column(
        UTCDateTime, comment="reconcile: the next run checks from here minus the overlap"
    )
    lease_owner: Mapped[str | None] = mapped_column(String(64), comment="the worker importing the run")
    lease_expires_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, comment="an importing run whose lease lapsed is resumed by the poller"
    )
    polled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, comment="last bulkOperation poll")
    exported_at: Mapped[datetime | None] = mapped_column(UTCDateTime, comment="Shopify's completedAt")
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def progress_total(self) -> int | None:
        """What the progress bar fills up to: Shopify's object count, once known."""
        return self.object_count
