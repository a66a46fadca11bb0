"""index every foreign key column

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 16:58:31.843552
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("crm_note", schema=None) as batch_op:
        batch_op.create_index("ix_crm_note_author_id", ["author_id"], unique=False)
        batch_op.create_index("ix_crm_note_company_id", ["company_id"], unique=False)
        batch_op.create_index("ix_crm_note_customer_id", ["customer_id"], unique=False)

    with op.batch_alter_table("crm_order", schema=None) as batch_op:
        batch_op.create_index("ix_crm_order_company_id", ["company_id"], unique=False)
        batch_op.create_index("ix_crm_order_company_location_id", ["company_location_id"], unique=False)
        batch_op.create_index("ix_crm_order_customer_id", ["customer_id"], unique=False)

    with op.batch_alter_table("crm_sales_rep_assignment", schema=None) as batch_op:
        batch_op.create_index("ix_crm_sales_rep_assignment_company_id", ["company_id"], unique=False)
        batch_op.create_index("ix_crm_sales_rep_assignment_customer_id", ["customer_id"], unique=False)
        batch_op.create_index("ix_crm_sales_rep_assignment_staff_id", ["staff_id"], unique=False)

    with op.batch_alter_table("crm_task", schema=None) as batch_op:
        batch_op.create_index("ix_crm_task_assignee_id", ["assignee_id"], unique=False)
        batch_op.create_index("ix_crm_task_created_by_id", ["created_by_id"], unique=False)

    with op.batch_alter_table("crm_timeline_event", schema=None) as batch_op:
        batch_op.create_index("ix_crm_timeline_event_company_id", ["company_id"], unique=False)
        batch_op.create_index("ix_crm_timeline_event_customer_id", ["customer_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("crm_timeline_event", schema=None) as batch_op:
        batch_op.drop_index("ix_crm_timeline_event_customer_id")
        batch_op.drop_index("ix_crm_timeline_event_company_id")

    with op.batch_alter_table("crm_task", schema=None) as batch_op:
        batch_op.drop_index("ix_crm_task_created_by_id")
        batch_op.drop_index("ix_crm_task_assignee_id")

    with op.batch_alter_table("crm_sales_rep_assignment", schema=None) as batch_op:
        batch_op.drop_index("ix_crm_sales_rep_assignment_staff_id")
        batch_op.drop_index("ix_crm_sales_rep_assignment_customer_id")
        batch_op.drop_index("ix_crm_sales_rep_assignment_company_id")

    with op.batch_alter_table("crm_order", schema=None) as batch_op:
        batch_op.drop_index("ix_crm_order_customer_id")
        batch_op.drop_index("ix_crm_order_company_location_id")
        batch_op.drop_index("ix_crm_order_company_id")

    with op.batch_alter_table("crm_note", schema=None) as batch_op:
        batch_op.drop_index("ix_crm_note_customer_id")
        batch_op.drop_index("ix_crm_note_company_id")
        batch_op.drop_index("ix_crm_note_author_id")
