"""notify API auth changes (PostgreSQL triggers for the API key lookup cache)

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-22 21:05:00

A statement that changes what API authentication reads (a key's digest, prefix, shop or revocation;
a shop's identity or install state; any DELETE or TRUNCATE of either table) sends a notification on
the channel `tradeline_auth` when its transaction commits: every web process listening there empties
its cache of key lookups (app/auth_cache.py). PostgreSQL only: SQLite has no notifications and its
processes do not cache.
"""

from __future__ import annotations

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

FUNCTION = "tradeline_notify_auth_change"
# (table, trigger name, the columns authentication reads: an UPDATE naming one of them notifies)
WATCHED = (
    ("app_api_key", "app_api_key_auth_change", "prefix, digest, shop_id, revoked_at"),
    (
        "app_shop",
        "app_shop_auth_change",
        "domain, name, email, plan, currency, timezone, scopes, installed_at, uninstalled_at",
    ),
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        f"""
        CREATE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('tradeline_auth', TG_TABLE_NAME);
            RETURN NULL;
        END
        $$
        """
    )
    for table, trigger, columns in WATCHED:
        op.execute(
            f"CREATE TRIGGER {trigger} AFTER UPDATE OF {columns} OR DELETE OR TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, trigger, _columns in WATCHED:
        op.execute(f"DROP TRIGGER {trigger} ON {table}")
    op.execute(f"DROP FUNCTION {FUNCTION}()")
