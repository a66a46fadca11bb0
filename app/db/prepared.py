"""One hot write straight on libpq: a statement prepared once per connection, each run one round trip.

For the statement a high-rate endpoint runs on every request (the webhook intake's INSERT .. SELECT ..
RETURNING), even `DirectExecute` (SQLAlchemy's pool checkout and return, psycopg's cursor, query
conversion and parameter dumping) costs ~150 µs of CPU on top of the round trip. Here each thread of
a process keeps its own autocommit connection, the statement is prepared on it once, and each run is
one `PQexecPrepared` with text parameters and text results: ~40 µs (a 6 KB intake INSERT measured in a
loop on this project's 2-core machine: 90-145 µs through a psycopg cursor, 39-49 µs here).

Scope: PostgreSQL only, one self-contained statement committed on its own (autocommit, as
`app.db.autocommit_connection`), never under `Database.bind_to` (tests bound to one connection use
the SQLAlchemy path, which joins their transaction). Errors are SQLAlchemy's DBAPIError subclasses,
as with `Connection.execute`; a connection found broken is dropped and the next run opens a new one.
Connections belong to the engine they were made for: disposing it (or a fork, which makes
`Database` build a new engine) closes or forgets them.
"""

from __future__ import annotations

import os
import re
import threading
import weakref
from collections.abc import Mapping
from datetime import datetime
from itertools import count
from typing import Any

import psycopg
from psycopg import pq
from sqlalchemy import event, exc
from sqlalchemy.engine import Engine

from app.db import Database, DirectSelect

# PostgreSQL type oids whose text form is read back as int (int2, int4, int8); the rest as str.
_INTEGER_OIDS = frozenset({20, 21, 23})
_PLACEHOLDER = re.compile(r"%\((\w+)\)s|%%")
_names = count(1)


class PreparedWrite:
    """A DirectSelect/DirectExecute statement as `DirectConnections.first` runs it on PostgreSQL."""

    def __init__(self, statement: DirectSelect) -> None:
        self.statement = statement
        self.name = f"tradeline_direct_{next(_names)}".encode()
        # (SQL with $n placeholders, bind names in $n order, bind processors): set once, in one assignment,
        # so a thread never sees half of it.
        self._compiled: tuple[bytes, tuple[str, ...], tuple[tuple[str, Any], ...]] | None = None

    def sql(self, engine: Engine) -> bytes:
        return self._compile(engine)[0]

    def _compile(self, engine: Engine) -> tuple[bytes, tuple[str, ...], tuple[tuple[str, Any], ...]]:
        if self._compiled is not None:
            return self._compiled
        form = self.statement._form(engine.dialect)
        order: list[str] = []

        def number(match: re.Match[str]) -> str:
            name = match.group(1)
            if name is None:
                return "%"  # pyformat's escaped percent sign
            if name not in order:
                order.append(name)
            return f"${order.index(name) + 1}"

        sql = _PLACEHOLDER.sub(number, form.sql).encode()
        self._compiled = (sql, tuple(order), form.bind_processors)
        return self._compiled

    def parameters(self, engine: Engine, params: Mapping[str, Any]) -> list[bytes | None]:
        """The values in placeholder order, through the column types, as PostgreSQL's text input."""
        _, order, processors = self._compile(engine)
        missing = set(order) - params.keys()
        if missing:
            raise exc.ArgumentError(f"A value is required for bind parameter {sorted(missing)[0]!r}")
        values = dict(params)
        for name, process in processors:
            values[name] = process(values[name])
        return [_text(values[name]) for name in order]


def _text(value: Any) -> bytes | None:
    if value is None:
        return None
    if isinstance(value, str):  # StrEnum members included
        return value.encode()
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime given; Tradeline stores timezone-aware UTC only")
        return value.isoformat().encode()
    if isinstance(value, bool):
        return b"t" if value else b"f"
    if isinstance(value, int):
        return str(value).encode()
    raise TypeError(f"no text form for a {type(value).__name__} parameter")


class DirectConnections:
    """The libpq connections of one engine, one per thread, each with the statements prepared on it."""

    def __init__(self, engine: Engine) -> None:
        url = engine.url.set(drivername="postgresql")
        self._conninfo = url.render_as_string(hide_password=False)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._open: weakref.WeakSet[psycopg.Connection[Any]] = weakref.WeakSet()
        self._engine = weakref.ref(engine)
        self._pid = os.getpid()

    def first(self, write: PreparedWrite, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
        """Run the statement once, committed on its own; its first row (ints and strs), or None."""
        engine = self._engine()
        assert engine is not None
        values = write.parameters(engine, params)
        conn, prepared = self._connection()
        pgconn = conn.pgconn
        try:
            if write.name not in prepared:
                _check(pgconn.prepare(write.name, write.sql(engine), None))
                prepared.add(write.name)
            result = pgconn.exec_prepared(write.name, values)
            _check(result)
            row = (
                tuple(_value(result.get_value(0, i), result.ftype(i)) for i in range(result.nfields))
                if result.ntuples
                else None
            )
            result.clear()
            return row
        except psycopg.Error as error:
            dropped = pgconn.status != pq.ConnStatus.OK
            if dropped:
                self._drop(conn)
                if not isinstance(error, psycopg.OperationalError):
                    # A lost connection is an OperationalError, as psycopg's cursor reports it.
                    error = psycopg.OperationalError(str(error))
            raise exc.DBAPIError.instance(
                write.sql(engine).decode(),
                values,
                error,
                psycopg.Error,
                connection_invalidated=dropped,
            ) from error

    def close(self) -> None:
        """Close every connection this process opened (those of other threads too)."""
        with self._lock:
            connections, self._open = list(self._open), weakref.WeakSet()
        self._local = threading.local()
        if os.getpid() != self._pid:
            return  # inherited through a fork: the sockets are the parent's, never close them here
        for conn in connections:
            conn.close()

    def _connection(self) -> tuple[psycopg.Connection[Any], set[bytes]]:
        """This thread's connection and the names prepared on it (a new one when it has none)."""
        state: tuple[psycopg.Connection[Any], set[bytes]] | None = getattr(self._local, "state", None)
        if state is None or state[0].closed:
            try:
                conn = psycopg.connect(self._conninfo, autocommit=True, client_encoding="utf8")
            except psycopg.Error as error:
                raise exc.DBAPIError.instance("connect", None, error, psycopg.Error) from error
            state = self._local.state = (conn, set())
            with self._lock:
                self._open.add(conn)
        return state

    def _drop(self, conn: psycopg.Connection[Any]) -> None:
        state = getattr(self._local, "state", None)
        if state is not None and state[0] is conn:
            self._local.state = None
        conn.close()


def _check(result: Any) -> None:
    """Raise the server's error (psycopg's class for its SQLSTATE) unless the result succeeded."""
    if result.status in (pq.ExecStatus.COMMAND_OK, pq.ExecStatus.TUPLES_OK):
        return
    error = psycopg.errors.error_from_result(result, encoding="utf-8")
    result.clear()
    raise error


def _value(raw: bytes | None, oid: int) -> Any:
    if raw is None:
        return None
    return int(raw) if oid in _INTEGER_OIDS else raw.decode()


_BY_ENGINE: weakref.WeakKeyDictionary[Engine, DirectConnections] = weakref.WeakKeyDictionary()
_REGISTRY_LOCK = threading.Lock()


def direct_connections(db: Database) -> DirectConnections | None:
    """The database's per-thread libpq connections, or None where the direct path does not apply
    (not PostgreSQL, or every session bound to one connection by a test)."""
    if db.bound:
        return None
    engine = db.engine  # re-created after a fork, so a child never uses its parent's connections
    if engine.dialect.name != "postgresql":
        return None
    found = _BY_ENGINE.get(engine)
    if found is None:
        with _REGISTRY_LOCK:
            found = _BY_ENGINE.get(engine)
            if found is None:
                found = _BY_ENGINE[engine] = DirectConnections(engine)
                event.listen(engine, "engine_disposed", lambda _engine: found.close())
    return found
