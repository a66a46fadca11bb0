"""Alembic migrations; `tradeline db upgrade` applies them (see app/migrate.py)."""
