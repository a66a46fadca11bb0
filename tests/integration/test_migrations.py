"""Migrations and models agree, and the migrations go down and up again on this backend."""

from __future__ import annotations

import uuid

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from app.db import make_engine
from app.migrate import downgrade, upgrade
from app.model_registry import metadata


def test_models_and_migrations_agree(engine):
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True})
        diff = compare_metadata(context, metadata)

    assert diff == []


def test_migrations_downgrade_to_base_and_upgrade_again(database_url, tmp_path):
    # A throwaway database of the same backend, so the shared test database is left alone.
    if database_url.startswith("sqlite"):
        _roundtrip(f"sqlite:///{tmp_path / 'roundtrip.db'}")
        return
    # Named per run: runs in parallel (other checkouts, other databases on this server) must not
    # drop each other's copy mid-test.
    name = f"tradeline_migration_roundtrip_{uuid.uuid4().hex[:12]}"
    admin = make_engine(database_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        try:
            _roundtrip(database_url.rsplit("/", 1)[0] + f"/{name}")
        finally:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        with admin.connect() as conn:
            left = conn.exec_driver_sql("SELECT count(*) FROM pg_database WHERE datname = %s", (name,))
            assert left.scalar() == 0
    finally:
        admin.dispose()


def _roundtrip(url: str) -> None:
    """Upgrade to head, downgrade to base, upgrade again: the same tables each way up, none at base."""
    eng = make_engine(url)
    try:
        upgrade(url)
        tables_at_head = set(inspect(eng).get_table_names())
        downgrade(url, "base")
        eng.dispose()
        tables_at_base = set(inspect(eng).get_table_names())
        upgrade(url)
        eng.dispose()
        tables_again = set(inspect(eng).get_table_names())
    finally:
        eng.dispose()

    assert {t.name for t in metadata.sorted_tables} <= tables_at_head
    assert tables_at_base == {"alembic_version"}
    assert tables_again == tables_at_head
