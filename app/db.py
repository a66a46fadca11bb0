"""Database plumbing: declarative base, engine, sessions and the unit of work."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, MetaData, create_engine, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

log = logging.getLogger(__name__)

# Stable constraint names, so Alembic diffs and batch migrations on SQLite name things the same way.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base for every Tradeline model."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend (SQLite reads datetimes back naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; Tradeline stores timezone-aware UTC only")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    """Now, timezone-aware UTC."""
    return datetime.now(UTC)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for the URL, with SQLite set up for real transactions and foreign keys."""
    if url.startswith("postgresql://"):
        # psycopg 3 is the driver we ship; plain postgresql:// URLs would pick psycopg2.
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: Engine) -> None:
    # pysqlite's own transaction handling breaks SAVEPOINTs and defers BEGIN; take it over,
    # as the SQLAlchemy docs ("Serializable isolation / Savepoints / Transactional DDL") advise.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN")


class Database:
    """The engine and session factory of one process.

    The engine is created lazily and re-created after a fork (RQ's default worker forks per
    job), so no pooled connection is ever shared between processes.
    """

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self._engine_kwargs = engine_kwargs
        self._engine: Engine | None = None
        self._pid: int | None = None
        self._bind: Engine | Connection | None = None
        self._session_factory: sessionmaker[Session] | None = None

    @property
    def engine(self) -> Engine:
        if self._engine is None or self._pid != os.getpid():
            if self._engine is not None:
                # Inherited from the parent: drop the pool without closing the parent's sockets.
                self._engine.dispose(close=False)
            self._engine = make_engine(self.url, **self._engine_kwargs)
            self._pid = os.getpid()
            self._session_factory = None
        return self._engine

    def bind_to(self, connection: Connection | None) -> None:
        """Run every session on this connection, each commit a SAVEPOINT (for tests)."""
        self._bind = connection
        self._session_factory = None

    def session(self) -> Session:
        if self._session_factory is None or (self._bind is None and self._pid != os.getpid()):
            if self._bind is not None:
                self._session_factory = sessionmaker(
                    bind=self._bind,
                    expire_on_commit=False,
                    join_transaction_mode="create_savepoint",
                )
            else:
                self._session_factory = sessionmaker(bind=self.engine, expire_on_commit=False)
        return self._session_factory()

    def unit_of_work(self) -> UnitOfWork:
        return UnitOfWork(self.session)

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


class UnitOfWork:
    """A session that rolls back unless committed and runs after-commit hooks.

    Hooks (job enqueues, mostly) run only once the commit has succeeded, so a worker never
    sees a job for a row that does not exist, and a rolled-back change enqueues nothing.
    """

    def __init__(self, session_factory: Callable[[], Session]) -> None:
        self._session_factory = session_factory
        self._hooks: list[Callable[[], None]] = []
        self.session: Session

    def __enter__(self) -> UnitOfWork:
        self.session = self._session_factory()
        self._hooks = []
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.session.rollback()
        finally:
            self.session.close()
            self._hooks = []

    def after_commit(self, hook: Callable[[], None]) -> None:
        """Run `hook` after the next successful commit; dropped on rollback."""
        self._hooks.append(hook)

    def commit(self) -> None:
        self.session.commit()
        hooks, self._hooks = self._hooks, []
        for hook in hooks:
            hook()

    def rollback(self) -> None:
        self.session.rollback()
        self._hooks = []
