"""Migrations and models agree, and the migrations go down and up again on this backend."""

from __future__ import annotations

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
        url = f"sqlite:///{tmp_path / 'roundtrip.db'}"
        eng = make_engine(url)
    else:
        admin = make_engine(database_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql("DROP DATABASE IF EXISTS tradeline_migration_roundtrip")
            conn.exec_driver_sql("CREATE DATABASE tradeline_migration_roundtrip")
        admin.dispose()
        url = database_url.rsplit("/", 1)[0] + "/tradeline_migration_roundtrip"
        eng = make_engine(url)

    upgrade(url)
    tables_at_head = set(inspect(eng).get_table_names())
    downgrade(url, "base")
    eng.dispose()
    tables_at_base = set(inspect(eng).get_table_names())
    upgrade(url)
    eng.dispose()
    tables_again = set(inspect(eng).get_table_names())
    eng.dispose()

    assert {t.name for t in metadata.sorted_tables} <= tables_at_head
    assert tables_at_base == {"alembic_version"}
    assert tables_again == tables_at_head
