"""create sync runs (backfill and reconciliation progress)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 16:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import app.db

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

ENUM_TYPES = ("webhooks_sync_kind", "webhooks_sync_resource", "webhooks_sync_status")


def upgrade() -> None:
    op.create_table(
        "webhooks_sync_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.Enum("backfill", "reconcile", name="webhooks_sync_kind"), nullable=False),
        sa.Column(
            "resource",
            sa.Enum("customers", "companies", "products", "orders", name="webhooks_sync_resource"),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "queued",
                "exporting",
                "downloading",
                "importing",
                "running",
                "completed",
                "failed",
                name="webhooks_sync_status",
            ),
            nullable=False,
        ),
        sa.Column(
            "active_key",
            sa.String(length=64),
            nullable=True,
            comment="'<kind>:<resource>' while the run is active, NULL once it ended",
        ),
        sa.Column(
            "requested_by",
            sa.String(length=255),
            nullable=False,
            comment="'install', 'cron', 'cli' or a staff name",
        ),
        sa.Column("bulk_operation_id", sa.String(length=255), nullable=True, comment="BulkOperation GID"),
        sa.Column(
            "bulk_status", sa.String(length=32), nullable=True, comment="Shopify's last reported status"
        ),
        sa.Column(
            "object_count",
            sa.BigInteger(),
            nullable=True,
            comment="objects in the export (parents and children), as Shopify counts them",
        ),
        sa.Column("root_object_count", sa.BigInteger(), nullable=True),
        sa.Column("file_size", sa.BigInteger(), nullable=True, comment="bytes of the JSONL result"),
        sa.Column("bytes_downloaded", sa.BigInteger(), nullable=False, comment="spooled so far"),
        sa.Column("lines_downloaded", sa.BigInteger(), nullable=False, comment="complete lines spooled"),
        sa.Column(
            "import_cursor",
            sa.BigInteger(),
            nullable=False,
            comment="file line of the last parent object whose batch is committed",
        ),
        sa.Column(
            "objects_imported",
            sa.BigInteger(),
            nullable=False,
            comment="objects (parents and children) in committed batches",
        ),
        sa.Column(
            "counts",
            sa.JSON(),
            nullable=False,
            comment="backfill: created/updated/unchanged/stale; reconcile: checked/created/updated",
        ),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column(
            "resumable",
            sa.Boolean(),
            nullable=False,
            comment="failed, but can continue from its last committed batch",
        ),
        sa.Column(
            "window_start",
            app.db.UTCDateTime(timezone=True),
            nullable=True,
            comment="reconcile: records updated at or after this were checked",
        ),
        sa.Column(
            "high_water_mark",
            app.db.UTCDateTime(timezone=True),
            nullable=True,
            comment="reconcile: the next run checks from here minus the overlap",
        ),
        sa.Column("lease_owner", sa.String(length=64), nullable=True, comment="the worker importing the run"),
        sa.Column(
            "lease_expires_at",
            app.db.UTCDateTime(timezone=True),
            nullable=True,
            comment="an importing run whose lease lapsed is resumed by the poller",
        ),
        sa.Column(
            "polled_at", app.db.UTCDateTime(timezone=True), nullable=True, comment="last bulkOperation poll"
        ),
        sa.Column(
            "exported_at", app.db.UTCDateTime(timezone=True), nullable=True, comment="Shopify's completedAt"
        ),
        sa.Column("started_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["shop_id"],
            ["app_shop.id"],
            name=op.f("fk_webhooks_sync_run_shop_id_app_shop"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhooks_sync_run")),
        sa.UniqueConstraint("shop_id", "active_key", name=op.f("uq_webhooks_sync_run_shop_id_active_key")),
    )
    with op.batch_alter_table("webhooks_sync_run", schema=None) as batch_op:
        batch_op.create_index(
            "ix_webhooks_sync_run_bulk_operation", ["shop_id", "bulk_operation_id"], unique=False
        )
        batch_op.create_index(
            "ix_webhooks_sync_run_latest", ["shop_id", "kind", "resource", "id"], unique=False
        )
        batch_op.create_index("ix_webhooks_sync_run_status", ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("webhooks_sync_run", schema=None) as batch_op:
        batch_op.drop_index("ix_webhooks_sync_run_status")
        batch_op.drop_index("ix_webhooks_sync_run_latest")
        batch_op.drop_index("ix_webhooks_sync_run_bulk_operation")

    op.drop_table("webhooks_sync_run")

    # PostgreSQL keeps the enum types after DROP TABLE; other backends have none.
    if op.get_bind().dialect.name == "postgresql":
        for name in ENUM_TYPES:
            op.execute(sa.text(f"DROP TYPE IF EXISTS {name}"))
