"""create segments marketing spend and tag pushes

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-22 18:37:57.237322
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import app.db

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "segments_marketing_spend",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column(
            "channel",
            sa.String(length=255),
            nullable=False,
            comment="an acquisition source prefix, e.g. 'utm:google' or 'referrer:facebook.com'",
        ),
        sa.Column("month", sa.Date(), nullable=False, comment="first day of the month"),
        sa.Column("amount", sa.Numeric(precision=18, scale=4), nullable=False, comment="never negative"),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["shop_id"],
            ["app_shop.id"],
            name=op.f("fk_segments_marketing_spend_shop_id_app_shop"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_segments_marketing_spend")),
        sa.UniqueConstraint(
            "shop_id", "channel", "month", name=op.f("uq_segments_marketing_spend_shop_id_channel_month")
        ),
    )
    op.create_table(
        "segments_tag_push",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("segment_id", sa.Integer(), nullable=False),
        sa.Column(
            "tag",
            sa.String(length=255),
            nullable=False,
            comment="the tag pushed (the segment's shopify_tag then)",
        ),
        sa.Column(
            "status",
            sa.Enum("queued", "running", "succeeded", "failed", name="segments_tag_push_status"),
            nullable=False,
        ),
        sa.Column("done", sa.Integer(), nullable=False, comment="customers handled"),
        sa.Column("total", sa.Integer(), nullable=False, comment="customers to handle"),
        sa.Column("added", sa.Integer(), nullable=False, comment="tags added"),
        sa.Column("removed", sa.Integer(), nullable=False, comment="tags removed"),
        sa.Column("failed", sa.Integer(), nullable=False, comment="changes Shopify refused"),
        sa.Column(
            "events_until",
            sa.Integer(),
            nullable=True,
            comment="the last exit event (segments_member_event.id) this push handled",
        ),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["segment_id"],
            ["segments_segment.id"],
            name=op.f("fk_segments_tag_push_segment_id_segments_segment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["shop_id"],
            ["app_shop.id"],
            name=op.f("fk_segments_tag_push_shop_id_app_shop"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_segments_tag_push")),
    )
    with op.batch_alter_table("segments_tag_push", schema=None) as batch_op:
        batch_op.create_index("ix_segments_tag_push_segment_id_id", ["segment_id", "id"], unique=False)
        batch_op.create_index("ix_segments_tag_push_shop_id", ["shop_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("segments_tag_push", schema=None) as batch_op:
        batch_op.drop_index("ix_segments_tag_push_shop_id")
        batch_op.drop_index("ix_segments_tag_push_segment_id_id")

    op.drop_table("segments_tag_push")
    op.drop_table("segments_marketing_spend")
    sa.Enum(name="segments_tag_push_status").drop(op.get_bind(), checkfirst=True)
