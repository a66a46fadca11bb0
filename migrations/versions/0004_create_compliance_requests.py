"""create compliance requests (customers/redact and customers/data_request records and exports)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 16:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import app.db

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "app_compliance_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("data_request", "customer_redact", name="app_compliance_request_kind"),
            nullable=False,
        ),
        sa.Column(
            "request_key",
            sa.String(length=64),
            nullable=False,
            comment="what makes a repeat the same request (e.g. the data_request id)",
        ),
        sa.Column("shopify_request_id", sa.BigInteger(), nullable=True, comment="data_request.id"),
        sa.Column("shopify_customer_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "status",
            sa.Enum("completed", "no_data", "erased", name="app_compliance_request_status"),
            nullable=False,
        ),
        sa.Column(
            "requested_at",
            app.db.UTCDateTime(timezone=True),
            nullable=False,
            comment="when Shopify sent the request (X-Shopify-Triggered-At, else its arrival)",
        ),
        sa.Column("completed_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "summary",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
            comment="counts per context, never personal data",
        ),
        sa.Column(
            "export",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
            comment="customers/data_request: the export for the merchant",
        ),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["shop_id"],
            ["app_shop.id"],
            name=op.f("fk_app_compliance_request_shop_id_app_shop"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app_compliance_request")),
        sa.UniqueConstraint(
            "shop_id", "kind", "request_key", name=op.f("uq_app_compliance_request_shop_id_kind_request_key")
        ),
    )
    with op.batch_alter_table("app_compliance_request", schema=None) as batch_op:
        batch_op.create_index(
            "ix_app_compliance_request_shop_id_requested_at", ["shop_id", "requested_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("app_compliance_request", schema=None) as batch_op:
        batch_op.drop_index("ix_app_compliance_request_shop_id_requested_at")

    op.drop_table("app_compliance_request")
    # PostgreSQL keeps enum types after their tables are dropped; SQLite has none.
    sa.Enum(name="app_compliance_request_status").drop(op.get_bind(), checkfirst=True)
    sa.Enum(name="app_compliance_request_kind").drop(op.get_bind(), checkfirst=True)
