"""price list timeline: 'price_list' as a timeline subject

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-22 21:45:00

Price lists get a timeline of their own (pricing/timeline.py): crm_timeline_event rows whose subject is
a pricing_price_list row. PostgreSQL adds the value to the enum type; SQLite stores the enum as
VARCHAR, widened to the new longest value.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

OLD = ("customer", "company", "order", "product")
NEW = (*OLD, "price_list")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TYPE crm_subject_type ADD VALUE IF NOT EXISTS 'price_list'")
        return
    _sqlite_values(OLD, NEW)


def downgrade() -> None:
    # The events go; on PostgreSQL the enum keeps its value (a type's values cannot be dropped in place),
    # which the models of the previous revision never write.
    op.execute("DELETE FROM crm_timeline_event WHERE subject_type = 'price_list'")
    if op.get_bind().dialect.name != "postgresql":
        _sqlite_values(NEW, OLD)


def _sqlite_values(old: tuple[str, ...], new: tuple[str, ...]) -> None:
    with op.batch_alter_table("crm_timeline_event") as batch:
        batch.alter_column(
            "subject_type",
            existing_type=sa.Enum(*old, name="crm_subject_type"),
            type_=sa.Enum(*new, name="crm_subject_type"),
            existing_nullable=False,
        )
