"""create webhook inbox, draft order mirror, purchasing summaries and tag changes

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 15:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import app.db

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "webhooks_inbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column(
            "webhook_id",
            sa.String(length=255),
            nullable=False,
            comment="X-Shopify-Webhook-Id: one per delivery",
        ),
        sa.Column(
            "topic", sa.String(length=128), nullable=False, comment="X-Shopify-Topic, e.g. 'orders/create'"
        ),
        sa.Column(
            "event_id",
            sa.String(length=255),
            nullable=True,
            comment="X-Shopify-Event-Id: the same for every delivery of one event",
        ),
        sa.Column(
            "triggered_at",
            app.db.UTCDateTime(timezone=True),
            nullable=True,
            comment="X-Shopify-Triggered-At: when Shopify fired the event",
        ),
        sa.Column(
            "api_version",
            sa.String(length=16),
            nullable=False,
            comment="X-Shopify-API-Version of the payload",
        ),
        sa.Column(
            "payload",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
            comment="NULL when the body was not JSON",
        ),
        sa.Column(
            "status",
            sa.Enum(
                "received", "processing", "processed", "failed", "ignored", name="webhooks_delivery_status"
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False, comment="processing attempts since (re)queued"),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("received_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "claimed_at",
            app.db.UTCDateTime(timezone=True),
            nullable=True,
            comment="when the latest attempt began",
        ),
        sa.Column("processed_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["app_shop.id"], name=op.f("fk_webhooks_inbox_shop_id_app_shop"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhooks_inbox")),
        sa.UniqueConstraint("shop_id", "webhook_id", name=op.f("uq_webhooks_inbox_shop_id_webhook_id")),
    )
    with op.batch_alter_table("webhooks_inbox", schema=None) as batch_op:
        batch_op.create_index(
            "ix_webhooks_inbox_shop_id_status_id", ["shop_id", "status", "id"], unique=False
        )
        batch_op.create_index("ix_webhooks_inbox_status_received_at", ["status", "received_at"], unique=False)

    op.create_table(
        "crm_draft_order",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column(
            "shopify_id", sa.BigInteger(), nullable=False, comment="Shopify's numeric id (tail of the GID)"
        ),
        sa.Column("name", sa.String(length=64), nullable=True, comment="e.g. '#D174'"),
        sa.Column(
            "status",
            sa.Enum("open", "invoice_sent", "completed", "unknown", name="crm_draft_order_status"),
            nullable=True,
            comment="Shopify draft order status",
        ),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("is_b2b", sa.Boolean(), nullable=False, comment="REST `b2b?`"),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("subtotal_price", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("total_tax", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("total_price", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("line_count", sa.Integer(), nullable=True),
        sa.Column("invoice_url", sa.Text(), nullable=True),
        sa.Column("invoice_sent_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("completed_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("order_shopify_id", sa.BigInteger(), nullable=True, comment="the order it became"),
        sa.Column("payment_terms_name", sa.String(length=255), nullable=True),
        sa.Column("tags", sa.Text(), nullable=True, comment="normalized 'a, b' list"),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("shopify_created_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "shopify_updated_at",
            app.db.UTCDateTime(timezone=True),
            nullable=True,
            comment="updated_at of the last applied payload; NULL = known by reference only",
        ),
        sa.Column("deleted_at", app.db.UTCDateTime(timezone=True), nullable=True, comment="soft delete"),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["crm_customer.id"],
            name=op.f("fk_crm_draft_order_customer_id_crm_customer"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["app_shop.id"], name=op.f("fk_crm_draft_order_shop_id_app_shop"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_draft_order")),
        sa.UniqueConstraint("shop_id", "shopify_id", name=op.f("uq_crm_draft_order_shop_id_shopify_id")),
    )
    with op.batch_alter_table("crm_draft_order", schema=None) as batch_op:
        batch_op.create_index("ix_crm_draft_order_customer_id", ["customer_id"], unique=False)

    op.create_table(
        "crm_purchasing_summary",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("orders_count", sa.Integer(), nullable=False, comment="Shopify's numberOfOrders"),
        sa.Column(
            "amount_spent", sa.Numeric(precision=18, scale=4), nullable=False, comment="Shopify's amountSpent"
        ),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("last_order_shopify_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "occurred_at",
            app.db.UTCDateTime(timezone=True),
            nullable=False,
            comment="occurredAt of the applied payload",
        ),
        sa.Column("updated_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["crm_customer.id"],
            name=op.f("fk_crm_purchasing_summary_customer_id_crm_customer"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["shop_id"],
            ["app_shop.id"],
            name=op.f("fk_crm_purchasing_summary_shop_id_app_shop"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_purchasing_summary")),
        sa.UniqueConstraint("customer_id", name=op.f("uq_crm_purchasing_summary_customer_id")),
    )
    with op.batch_alter_table("crm_purchasing_summary", schema=None) as batch_op:
        batch_op.create_index("ix_crm_purchasing_summary_shop_id", ["shop_id"], unique=False)

    op.create_table(
        "crm_customer_tag_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("tag_key", sa.String(length=255), nullable=False, comment="the tag case-folded"),
        sa.Column("present", sa.Boolean(), nullable=False, comment="added (true) or removed (false)"),
        sa.Column(
            "occurred_at",
            app.db.UTCDateTime(timezone=True),
            nullable=False,
            comment="occurredAt of that event",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["crm_customer.id"],
            name=op.f("fk_crm_customer_tag_change_customer_id_crm_customer"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["shop_id"],
            ["app_shop.id"],
            name=op.f("fk_crm_customer_tag_change_shop_id_app_shop"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_customer_tag_change")),
        sa.UniqueConstraint(
            "customer_id", "tag_key", name=op.f("uq_crm_customer_tag_change_customer_id_tag_key")
        ),
    )
    with op.batch_alter_table("crm_customer_tag_change", schema=None) as batch_op:
        batch_op.create_index("ix_crm_customer_tag_change_shop_id", ["shop_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("crm_customer_tag_change", schema=None) as batch_op:
        batch_op.drop_index("ix_crm_customer_tag_change_shop_id")

    op.drop_table("crm_customer_tag_change")
    with op.batch_alter_table("crm_purchasing_summary", schema=None) as batch_op:
        batch_op.drop_index("ix_crm_purchasing_summary_shop_id")

    op.drop_table("crm_purchasing_summary")
    with op.batch_alter_table("crm_draft_order", schema=None) as batch_op:
        batch_op.drop_index("ix_crm_draft_order_customer_id")

    op.drop_table("crm_draft_order")
    with op.batch_alter_table("webhooks_inbox", schema=None) as batch_op:
        batch_op.drop_index("ix_webhooks_inbox_status_received_at")
        batch_op.drop_index("ix_webhooks_inbox_shop_id_status_id")

    op.drop_table("webhooks_inbox")
    # PostgreSQL keeps enum types after their tables are dropped; SQLite has none.
    sa.Enum(name="crm_draft_order_status").drop(op.get_bind(), checkfirst=True)
    sa.Enum(name="webhooks_delivery_status").drop(op.get_bind(), checkfirst=True)
