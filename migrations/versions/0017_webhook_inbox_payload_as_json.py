"""webhook inbox: the payload is stored as JSON text (json), not JSONB, on PostgreSQL

Every delivery's payload (~5 KB for an order) is written once by the intake and read once by its
processing job; nothing queries inside it in SQL (the privacy prefilter searches its text, as it
does on SQLite). JSONB parsed each payload into its binary form on INSERT (~110 µs of PostgreSQL CPU
for 6 KB, against ~30 µs for json's validity check) and printed it back to text on every read; json
keeps the text Shopify sent. Rewrites the table (ALTER COLUMN .. TYPE): run it while deliveries are
few, or after pruning processed rows. SQLite stores JSON as text already: nothing to do there.

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE webhooks_inbox ALTER COLUMN payload TYPE json USING payload::json")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE webhooks_inbox ALTER COLUMN payload TYPE jsonb USING payload::jsonb")
