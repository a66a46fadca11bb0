"""create crm notes, tasks, staff members and sales-rep assignments

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 15:24:14.507161
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import app.db

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "crm_staff_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column(
            "identity",
            sa.String(length=300),
            nullable=False,
            comment="'shopify:<user id>' or 'name:<casefolded name>' (see crm.models_work)",
        ),
        sa.Column("shopify_user_id", sa.BigInteger(), nullable=True, comment="Shopify staff (user) id"),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False, comment="offered as assignee / sales rep"),
        sa.Column(
            "last_seen_at", app.db.UTCDateTime(timezone=True), nullable=True, comment="last admin request"
        ),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["shop_id"],
            ["app_shop.id"],
            name=op.f("fk_crm_staff_member_shop_id_app_shop"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_staff_member")),
        sa.UniqueConstraint("shop_id", "identity", name=op.f("uq_crm_staff_member_shop_id_identity")),
    )
    with op.batch_alter_table("crm_staff_member", schema=None) as batch_op:
        batch_op.create_index("ix_crm_staff_member_shop_id_name", ["shop_id", "name"], unique=False)

    op.create_table(
        "crm_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("company_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True, comment="NULL: written through the API"),
        sa.Column("author_name", sa.String(length=255), nullable=False, comment="as shown when written"),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(customer_id IS NULL) <> (company_id IS NULL)", name=op.f("ck_crm_note_one_subject")
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["crm_staff_member.id"],
            name=op.f("fk_crm_note_author_id_crm_staff_member"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["crm_company.id"],
            name=op.f("fk_crm_note_company_id_crm_company"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["crm_customer.id"],
            name=op.f("fk_crm_note_customer_id_crm_customer"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["app_shop.id"], name=op.f("fk_crm_note_shop_id_app_shop"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_note")),
    )
    with op.batch_alter_table("crm_note", schema=None) as batch_op:
        batch_op.create_index(
            "ix_crm_note_company_feed", ["shop_id", "company_id", "created_at"], unique=False
        )
        batch_op.create_index(
            "ix_crm_note_customer_feed", ["shop_id", "customer_id", "created_at"], unique=False
        )

    op.create_table(
        "crm_sales_rep_assignment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("company_id", sa.Integer(), nullable=True),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("assigned_by", sa.String(length=255), nullable=False, comment="who assigned, as shown"),
        sa.Column("assigned_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(customer_id IS NULL) <> (company_id IS NULL)",
            name=op.f("ck_crm_sales_rep_assignment_one_subject"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["crm_company.id"],
            name=op.f("fk_crm_sales_rep_assignment_company_id_crm_company"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["crm_customer.id"],
            name=op.f("fk_crm_sales_rep_assignment_customer_id_crm_customer"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["shop_id"],
            ["app_shop.id"],
            name=op.f("fk_crm_sales_rep_assignment_shop_id_app_shop"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["crm_staff_member.id"],
            name=op.f("fk_crm_sales_rep_assignment_staff_id_crm_staff_member"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_sales_rep_assignment")),
        sa.UniqueConstraint(
            "shop_id", "company_id", name=op.f("uq_crm_sales_rep_assignment_shop_id_company_id")
        ),
        sa.UniqueConstraint(
            "shop_id", "customer_id", name=op.f("uq_crm_sales_rep_assignment_shop_id_customer_id")
        ),
    )
    with op.batch_alter_table("crm_sales_rep_assignment", schema=None) as batch_op:
        batch_op.create_index("ix_crm_sales_rep_assignment_staff", ["shop_id", "staff_id"], unique=False)

    op.create_table(
        "crm_task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("company_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True, comment="a day in the shop's time zone"),
        sa.Column("assignee_id", sa.Integer(), nullable=True, comment="NULL: unassigned"),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_by_name", sa.String(length=255), nullable=False),
        sa.Column("completed_at", app.db.UTCDateTime(timezone=True), nullable=True, comment="NULL: open"),
        sa.Column("completed_by_name", sa.String(length=255), nullable=True),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(customer_id IS NULL) <> (company_id IS NULL)", name=op.f("ck_crm_task_one_subject")
        ),
        sa.ForeignKeyConstraint(
            ["assignee_id"],
            ["crm_staff_member.id"],
            name=op.f("fk_crm_task_assignee_id_crm_staff_member"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["crm_company.id"],
            name=op.f("fk_crm_task_company_id_crm_company"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["crm_staff_member.id"],
            name=op.f("fk_crm_task_created_by_id_crm_staff_member"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["crm_customer.id"],
            name=op.f("fk_crm_task_customer_id_crm_customer"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["app_shop.id"], name=op.f("fk_crm_task_shop_id_app_shop"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_task")),
    )
    with op.batch_alter_table("crm_task", schema=None) as batch_op:
        batch_op.create_index(
            "ix_crm_task_assignee", ["shop_id", "assignee_id", "completed_at", "due_on"], unique=False
        )
        batch_op.create_index("ix_crm_task_company_id", ["company_id"], unique=False)
        batch_op.create_index("ix_crm_task_customer_id", ["customer_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("crm_task", schema=None) as batch_op:
        batch_op.drop_index("ix_crm_task_customer_id")
        batch_op.drop_index("ix_crm_task_company_id")
        batch_op.drop_index("ix_crm_task_assignee")

    op.drop_table("crm_task")
    with op.batch_alter_table("crm_sales_rep_assignment", schema=None) as batch_op:
        batch_op.drop_index("ix_crm_sales_rep_assignment_staff")

    op.drop_table("crm_sales_rep_assignment")
    with op.batch_alter_table("crm_note", schema=None) as batch_op:
        batch_op.drop_index("ix_crm_note_customer_feed")
        batch_op.drop_index("ix_crm_note_company_feed")

    op.drop_table("crm_note")
    with op.batch_alter_table("crm_staff_member", schema=None) as batch_op:
        batch_op.drop_index("ix_crm_staff_member_shop_id_name")

    op.drop_table("crm_staff_member")
