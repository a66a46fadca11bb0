"""create segments definitions members events

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-22 18:21:58.967725
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import app.db

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "segments_segment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("subject", sa.Enum("customer", "company", name="segments_subject"), nullable=False),
        sa.Column(
            "definition",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
            comment="the condition tree (segments/rules.py)",
        ),
        sa.Column(
            "shopify_tag",
            sa.String(length=255),
            nullable=True,
            comment="opt-in: members carry this customer tag in Shopify",
        ),
        sa.Column("member_count", sa.Integer(), nullable=False),
        sa.Column(
            "computed_at", app.db.UTCDateTime(timezone=True), nullable=True, comment="last materialisation"
        ),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["shop_id"],
            ["app_shop.id"],
            name=op.f("fk_segments_segment_shop_id_app_shop"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_segments_segment")),
        sa.UniqueConstraint("shop_id", "name", name=op.f("uq_segments_segment_shop_id_name")),
    )
    op.create_table(
        "segments_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("segment_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("company_id", sa.Integer(), nullable=True),
        sa.Column("entered_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "tag_pushed_at", app.db.UTCDateTime(timezone=True), nullable=True, comment="Shopify tag added"
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["crm_company.id"],
            name=op.f("fk_segments_member_company_id_crm_company"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["crm_customer.id"],
            name=op.f("fk_segments_member_customer_id_crm_customer"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["segment_id"],
            ["segments_segment.id"],
            name=op.f("fk_segments_member_segment_id_segments_segment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["app_shop.id"], name=op.f("fk_segments_member_shop_id_app_shop"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_segments_member")),
        sa.UniqueConstraint(
            "segment_id", "company_id", name=op.f("uq_segments_member_segment_id_company_id")
        ),
        sa.UniqueConstraint(
            "segment_id", "customer_id", name=op.f("uq_segments_member_segment_id_customer_id")
        ),
    )
    with op.batch_alter_table("segments_member", schema=None) as batch_op:
        batch_op.create_index("ix_segments_member_company_id", ["company_id"], unique=False)
        batch_op.create_index("ix_segments_member_customer_id", ["customer_id"], unique=False)
        batch_op.create_index("ix_segments_member_shop_id", ["shop_id"], unique=False)

    op.create_table(
        "segments_member_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("segment_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("company_id", sa.Integer(), nullable=True),
        sa.Column("change", sa.Enum("entered", "exited", name="segments_member_change"), nullable=False),
        sa.Column("occurred_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["crm_company.id"],
            name=op.f("fk_segments_member_event_company_id_crm_company"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["crm_customer.id"],
            name=op.f("fk_segments_member_event_customer_id_crm_customer"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["segment_id"],
            ["segments_segment.id"],
            name=op.f("fk_segments_member_event_segment_id_segments_segment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["shop_id"],
            ["app_shop.id"],
            name=op.f("fk_segments_member_event_shop_id_app_shop"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_segments_member_event")),
    )
    with op.batch_alter_table("segments_member_event", schema=None) as batch_op:
        batch_op.create_index("ix_segments_member_event_company_id", ["company_id"], unique=False)
        batch_op.create_index("ix_segments_member_event_customer_id", ["customer_id"], unique=False)
        batch_op.create_index(
            "ix_segments_member_event_segment_id_occurred_at", ["segment_id", "occurred_at"], unique=False
        )
        batch_op.create_index("ix_segments_member_event_shop_id", ["shop_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("segments_member_event", schema=None) as batch_op:
        batch_op.drop_index("ix_segments_member_event_shop_id")
        batch_op.drop_index("ix_segments_member_event_segment_id_occurred_at")
        batch_op.drop_index("ix_segments_member_event_customer_id")
        batch_op.drop_index("ix_segments_member_event_company_id")

    op.drop_table("segments_member_event")
    with op.batch_alter_table("segments_member", schema=None) as batch_op:
        batch_op.drop_index("ix_segments_member_shop_id")
        batch_op.drop_index("ix_segments_member_customer_id")
        batch_op.drop_index("ix_segments_member_company_id")

    op.drop_table("segments_member")
    op.drop_table("segments_segment")
    sa.Enum(name="segments_member_change").drop(op.get_bind(), checkfirst=True)
