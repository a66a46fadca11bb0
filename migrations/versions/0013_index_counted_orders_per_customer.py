"""index counted orders per customer, leave room for updates in segments_score

The analytics read every counted order of a shop per customer (RFM, CLV summaries): a partial index on
(shop_id, customer_id, processed_at) with the counted-order rule of segments/counted.py as its predicate,
which on PostgreSQL also carries the amounts, lets them read the index alone, already in customer
order, instead of every order of every shop.

Every analytics run rewrites most score rows (recency moves with the clock; CLV is refitted). With
half of each page left free, PostgreSQL writes the new version beside the old one and leaves the six
indexes of segments_score alone (a HOT update) instead of adding an entry to each.

Revision ID: 0013
Revises: 0011
Create Date: 2026-11-22 21:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0011"
branch_labels = None
depends_on = None

COUNTED = "cancelled_at IS NULL AND deleted_at IS NULL AND NOT test AND processed_at IS NOT NULL"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE segments_score SET (fillfactor = 50)")
    with op.batch_alter_table("crm_order", schema=None) as batch_op:
        batch_op.create_index(
            "ix_crm_order_counted_customer",
            ["shop_id", "customer_id", "processed_at"],
            unique=False,
            postgresql_include=["company_id", "currency", "current_total_price", "total_price"],
            postgresql_where=sa.text(COUNTED),
            sqlite_where=sa.text(COUNTED),
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE segments_score RESET (fillfactor)")
    with op.batch_alter_table("crm_order", schema=None) as batch_op:
        batch_op.drop_index("ix_crm_order_counted_customer")
