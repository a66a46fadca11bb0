"""Database plumbing: declarative base, engine, sessions and the unit of work.

The unit of work is in app/db/unit_of_work.py and the hot-path statements run on the driver
(DirectSelect, DirectExecute, autocommit_connection) in app/db/direct.py; both are re-exported here.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, MetaData, create_engine, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from app.auth_cache import AuthCache
from app.db.direct import DirectExecute, DirectSelect, autocommit_connection
from app.db.unit_of_work import UnitOfWork

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
        _configure_sqlite(engine, transactional=kwargs.get("isolation_level") != "AUTOCOMMIT")
    return engine


def _configure_sqlite(engine: Engine, *, transactional: bool) -> None:
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

    if not transactional:
        # An AUTOCOMMIT engine runs each statement on its own; no listener also keeps SQLAlchemy's
        # per-statement event dispatch off its connections.
        return

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN")


class Database:
    """The engine and session factory of one process.

    The engine is created lazily and re-created after a fork (RQ's default worker forks per
    job), so no pooled connection is ever shared between processes.
    """

    def __init__(self, url: str, *, auth_cache_seconds: float = 0, **engine_kwargs: Any) -> None:
        self.url = url
        # API key lookups kept in memory (PostgreSQL only; 0 turns it off): see app/auth_cache.py.
        self.auth_cache = AuthCache(self, max_age=auth_cache_seconds)
        self._engine_kwargs = engine_kwargs
        self._engine: Engine | None = None
        self._pid: int | None = None
        self._bind: Engine | Connection | None = None
        self._session_factory: sessionmaker[Session] | None = None
        self._reader: Engine | None = None

    @property
    def engine(self) -> Engine:
        if self._engine is None or self._pid != os.getpid():
            if self._engine is not None:
                # Inherited from the parent: drop the pools without closing the parent's sockets.
                self._engine.dispose(close=False)
            if self._reader is not None:
                self._reader.dispose(close=False)
                self._reader = None
            self._engine = make_engine(self.url, **self._engine_kwargs)
            self._pid = os.getpid()
            self._session_factory = None
        return self._engine

    def bind_to(self, connection: Connection | None) -> None:
        """Run every session on this connection, each commit a SAVEPOINT (for tests)."""
        self._bind = connection
        self._session_factory = None

    @property
    def bound(self) -> bool:
        """Whether `bind_to` has put every session and read on one connection (tests)."""
        return self._bind is not None

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

    @property
    def reader(self) -> Engine:
        """An AUTOCOMMIT engine on the same database, for `read_connection` (created lazily, fork-safe)."""
        self.engine  # noqa: B018  (drops a reader inherited from a parent process)
        if self._reader is None:
            # The driver's connection stays in autocommit, so returning it to the pool needs no ROLLBACK.
            autocommit = {"isolation_level": "AUTOCOMMIT", "skip_autocommit_rollback": True}
            self._reader = make_engine(self.url, **{**self._engine_kwargs, **autocommit})
        return self._reader

    @contextmanager
    def read_connection(self) -> Iterator[Connection]:
        """A connection for one self-contained statement: each statement runs on its own, in autocommit mode.

        For a read that needs no transaction, such as authenticating a request: one statement sees a
        consistent snapshot, and on PostgreSQL it is one round trip instead of BEGIN, SELECT, ROLLBACK.
        Under `bind_to` (tests) it is the bound connection, so the read sees the test's data. The only
        write allowed through it is a single atomic statement, taken through `autocommit_connection`;
        anything else that writes belongs in a unit of work.
        """
        if isinstance(self._bind, Connection):
            yield self._bind
            return
        with self.reader.connect() as connection:
            yield connection

    def dispose(self) -> None:
        self.auth_cache.close()
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
        if self._reader is not None:
            self._reader.dispose()
            self._reader = None


__all__ = [
    "NAMING_CONVENTION",
    "Base",
    "Database",
    "DirectExecute",
    "DirectSelect",
    "UTCDateTime",
    "UnitOfWork",
    "autocommit_connection",
    "make_engine",
    "utcnow",
]
