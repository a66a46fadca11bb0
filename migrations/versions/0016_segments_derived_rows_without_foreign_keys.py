"""segments: derived rows without foreign keys, removed by their parents' delete triggers

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-22 23:40:00

Scores, transitions, segment members and member events are derived rows that the analytics run
writes set-based: on a shop's first run a score row and an "entered" transition per customer, and a
member row and an event per member of each segment. Each of their foreign keys cost a trigger per
written row that looks the parent up and locks it: measured on 963k rows, each key added 2.4 to 4 s
of server CPU to an insert that takes 5 to 7 s without them, even the keys to a single parent row
(the shop, the run, the segment). The inserts cannot break the references (they come from a join with
the customers, for the run or segment being computed, of its shop), so the keys go.

What the keys' ON DELETE CASCADE did is kept by a trigger on each parent: deleting a shop, a run,
a segment, a customer or a company deletes their rows in these tables in the same statement. A
parent-side trigger costs nothing when the analytics write; it runs once per DELETE statement on
PostgreSQL (the statement's deleted rows as a transition table) and once per deleted row on SQLite.
shop/redact deletes the rows by shop_id in any case. SQLite drops a table's triggers when a batch
migration rebuilds it: a later migration that rebuilds one of PARENTS there must create its trigger
again (tests/integration/test_segments_erasure.py fails otherwise). The single-column customer and
company indexes of scores and transitions become partial (PARTIAL).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

# (child table, column, parent table) of every foreign key this revision replaces.
KEYS = (
    ("segments_score", "shop_id", "app_shop"),
    ("segments_score", "customer_id", "crm_customer"),
    ("segments_score", "company_id", "crm_company"),
    ("segments_transition", "shop_id", "app_shop"),
    ("segments_transition", "run_id", "segments_run"),
    ("segments_transition", "customer_id", "crm_customer"),
    ("segments_transition", "company_id", "crm_company"),
    ("segments_member", "shop_id", "app_shop"),
    ("segments_member", "segment_id", "segments_segment"),
    ("segments_member", "customer_id", "crm_customer"),
    ("segments_member", "company_id", "crm_company"),
    ("segments_member_event", "shop_id", "app_shop"),
    ("segments_member_event", "segment_id", "segments_segment"),
    ("segments_member_event", "customer_id", "crm_customer"),
    ("segments_member_event", "company_id", "crm_company"),
)
CHILDREN = ("segments_score", "segments_transition", "segments_member", "segments_member_event")
PARENTS = ("app_shop", "segments_run", "segments_segment", "crm_customer", "crm_company")
# Single-column subject indexes made partial: a row names a customer or a company, never both, and the
# full index took a NULL entry per row of the other kind.
PARTIAL = (
    ("segments_score", "customer_id"),
    ("segments_score", "company_id"),
    ("segments_transition", "customer_id"),
    ("segments_transition", "company_id"),
)


def _subject_indexes(partial: bool) -> None:
    for table, column in PARTIAL:
        name = f"ix_{table}_{column}"
        where = sa.text(f"{column} IS NOT NULL") if partial else None
        with op.batch_alter_table(table) as batch:
            batch.drop_index(name)
            batch.create_index(name, [column], postgresql_where=where, sqlite_where=where)


def _trigger(parent: str) -> str:
    return f"segments_forget_{parent}"


def _children(parent: str) -> list[tuple[str, str]]:
    return [(table, column) for table, column, of in KEYS if of == parent]


def _create_triggers(dialect: str) -> None:
    for parent in PARENTS:
        name = _trigger(parent)
        if dialect == "postgresql":
            deletes = "".join(
                f"DELETE FROM {table} WHERE {column} IN (SELECT id FROM gone);\n"
                for table, column in _children(parent)
            )
            op.execute(
                f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
                f"BEGIN\n{deletes}RETURN NULL;\nEND\n$$"
            )
            op.execute(
                f"CREATE TRIGGER {name} AFTER DELETE ON {parent} REFERENCING OLD TABLE AS gone "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
            )
        else:
            deletes = "".join(
                f"DELETE FROM {table} WHERE {column} = OLD.id; " for table, column in _children(parent)
            )
            op.execute(f"CREATE TRIGGER {name} AFTER DELETE ON {parent} FOR EACH ROW BEGIN {deletes}END")


def _drop_triggers(dialect: str) -> None:
    for parent in PARENTS:
        name = _trigger(parent)
        if dialect == "postgresql":
            op.execute(f"DROP TRIGGER {name} ON {parent}")
            op.execute(f"DROP FUNCTION {name}()")
        else:
            op.execute(f"DROP TRIGGER {name}")


def _name(table: str, column: str, parent: str) -> str:
    return f"fk_{table}_{column}_{parent}"


def upgrade() -> None:
    for table in CHILDREN:
        with op.batch_alter_table(table) as batch:
            for key_table, column, parent in KEYS:
                if key_table == table:
                    batch.drop_constraint(_name(table, column, parent), type_="foreignkey")
    _subject_indexes(partial=True)
    _create_triggers(op.get_bind().dialect.name)


def downgrade() -> None:
    _drop_triggers(op.get_bind().dialect.name)
    _subject_indexes(partial=False)
    # Rows whose parent no longer exists would fail the restored keys (none should): they go first.
    for table, column, parent in KEYS:
        op.execute(
            f"DELETE FROM {table} WHERE {column} IS NOT NULL"
            f" AND NOT EXISTS (SELECT 1 FROM {parent} p WHERE p.id = {table}.{column})"
        )
    for table in CHILDREN:
        with op.batch_alter_table(table) as batch:
            for key_table, column, parent in KEYS:
                if key_table == table:
                    batch.create_foreign_key(
                        _name(table, column, parent), parent, [column], ["id"], ondelete="CASCADE"
                    )
