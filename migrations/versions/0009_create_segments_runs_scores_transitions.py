"""create segments runs scores transitions

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22 17:58:22.242315
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import app.db

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "segments_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.Enum("full", "rfm", "clv", name="segments_run_kind"), nullable=False),
        sa.Column(
            "status",
            sa.Enum("queued", "running", "succeeded", "failed", name="segments_run_status"),
            nullable=False,
        ),
        sa.Column(
            "step", sa.String(length=64), nullable=True, comment="what it is doing now, for the progress bar"
        ),
        sa.Column("done", sa.Integer(), nullable=False, comment="steps finished"),
        sa.Column("total", sa.Integer(), nullable=False, comment="steps in all"),
        sa.Column(
            "as_of",
            app.db.UTCDateTime(timezone=True),
            nullable=False,
            comment="the moment the figures describe",
        ),
        sa.Column(
            "stats",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("started_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["app_shop.id"], name=op.f("fk_segments_run_shop_id_app_shop"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_segments_run")),
    )
    with op.batch_alter_table("segments_run", schema=None) as batch_op:
        batch_op.create_index("ix_segments_run_shop_id_started_at", ["shop_id", "started_at"], unique=False)

    op.create_table(
        "segments_score",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.Enum("customer", "company", name="segments_subject"), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("company_id", sa.Integer(), nullable=True),
        sa.Column(
            "recency_days", sa.Integer(), nullable=False, comment="whole days from the last order to as_of"
        ),
        sa.Column("frequency", sa.Integer(), nullable=False, comment="counted orders"),
        sa.Column(
            "monetary",
            sa.Numeric(precision=18, scale=4),
            nullable=False,
            comment="their current totals (after refunds)",
        ),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("first_order_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_order_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("r_score", sa.SmallInteger(), nullable=False, comment="1-5, 5 = most recent"),
        sa.Column("f_score", sa.SmallInteger(), nullable=False, comment="1-5, 5 = most orders"),
        sa.Column("m_score", sa.SmallInteger(), nullable=False, comment="1-5, 5 = most spend"),
        sa.Column(
            "rfm_segment",
            sa.Enum(
                "champions",
                "loyal",
                "potential_loyalist",
                "new_customers",
                "promising",
                "need_attention",
                "about_to_sleep",
                "cant_lose_them",
                "at_risk",
                "hibernating",
                "lost",
                name="segments_rfm_segment",
            ),
            nullable=False,
        ),
        sa.Column("rfm_computed_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "predicted_orders_90",
            sa.Numeric(precision=12, scale=4),
            nullable=True,
            comment="expected orders, next 90 days",
        ),
        sa.Column(
            "predicted_orders_365",
            sa.Numeric(precision=12, scale=4),
            nullable=True,
            comment="expected orders, next 365 days",
        ),
        sa.Column("predicted_spend_90", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("predicted_spend_365", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column(
            "p_alive",
            sa.Numeric(precision=7, scale=6),
            nullable=True,
            comment="P(still a customer); churn = 1 - it",
        ),
        sa.Column("expected_next_order_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("clv_computed_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["crm_company.id"],
            name=op.f("fk_segments_score_company_id_crm_company"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["crm_customer.id"],
            name=op.f("fk_segments_score_customer_id_crm_customer"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["app_shop.id"], name=op.f("fk_segments_score_shop_id_app_shop"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_segments_score")),
        sa.UniqueConstraint("shop_id", "company_id", name=op.f("uq_segments_score_shop_id_company_id")),
        sa.UniqueConstraint("shop_id", "customer_id", name=op.f("uq_segments_score_shop_id_customer_id")),
    )
    with op.batch_alter_table("segments_score", schema=None) as batch_op:
        batch_op.create_index("ix_segments_score_company_id", ["company_id"], unique=False)
        batch_op.create_index("ix_segments_score_customer_id", ["customer_id"], unique=False)
        batch_op.create_index(
            "ix_segments_score_shop_id_subject_segment", ["shop_id", "subject", "rfm_segment"], unique=False
        )

    op.create_table(
        "segments_transition",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.Enum("customer", "company", name="segments_subject"), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("company_id", sa.Integer(), nullable=True),
        sa.Column(
            "from_segment",
            sa.Enum(
                "champions",
                "loyal",
                "potential_loyalist",
                "new_customers",
                "promising",
                "need_attention",
                "about_to_sleep",
                "cant_lose_them",
                "at_risk",
                "hibernating",
                "lost",
                name="segments_rfm_segment",
            ),
            nullable=True,
        ),
        sa.Column(
            "to_segment",
            sa.Enum(
                "champions",
                "loyal",
                "potential_loyalist",
                "new_customers",
                "promising",
                "need_attention",
                "about_to_sleep",
                "cant_lose_them",
                "at_risk",
                "hibernating",
                "lost",
                name="segments_rfm_segment",
            ),
            nullable=True,
        ),
        sa.Column("occurred_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["crm_company.id"],
            name=op.f("fk_segments_transition_company_id_crm_company"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["crm_customer.id"],
            name=op.f("fk_segments_transition_customer_id_crm_customer"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["segments_run.id"],
            name=op.f("fk_segments_transition_run_id_segments_run"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["shop_id"],
            ["app_shop.id"],
            name=op.f("fk_segments_transition_shop_id_app_shop"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_segments_transition")),
    )
    with op.batch_alter_table("segments_transition", schema=None) as batch_op:
        batch_op.create_index("ix_segments_transition_company_id", ["company_id"], unique=False)
        batch_op.create_index("ix_segments_transition_customer_id", ["customer_id"], unique=False)
        batch_op.create_index("ix_segments_transition_run_id", ["run_id"], unique=False)
        batch_op.create_index(
            "ix_segments_transition_shop_id_occurred_at", ["shop_id", "occurred_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("segments_transition", schema=None) as batch_op:
        batch_op.drop_index("ix_segments_transition_shop_id_occurred_at")
        batch_op.drop_index("ix_segments_transition_run_id")
        batch_op.drop_index("ix_segments_transition_customer_id")
        batch_op.drop_index("ix_segments_transition_company_id")

    op.drop_table("segments_transition")
    with op.batch_alter_table("segments_score", schema=None) as batch_op:
        batch_op.drop_index("ix_segments_score_shop_id_subject_segment")
        batch_op.drop_index("ix_segments_score_customer_id")
        batch_op.drop_index("ix_segments_score_company_id")

    op.drop_table("segments_score")
    with op.batch_alter_table("segments_run", schema=None) as batch_op:
        batch_op.drop_index("ix_segments_run_shop_id_started_at")

    op.drop_table("segments_run")
    # PostgreSQL keeps enum types after their tables are gone.
    bind = op.get_bind()
    for name in ("segments_rfm_segment", "segments_subject", "segments_run_status", "segments_run_kind"):
        sa.Enum(name=name).drop(bind, checkfirst=True)
