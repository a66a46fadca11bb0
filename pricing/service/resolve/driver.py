"""The pricing statements run on psycopg's own cursor: rows as the driver's plain tuples.

price_lines reads ~2,300 rows for a 1,000-line cart. Through `Connection.execute` each statement
also builds SQLAlchemy's execution context, Result and Row objects: price_lines took ~1.3 ms less
CPU per 1,000-line cart (of ~15) and ~0.4 ms less per 50-variant page (of ~1.9) on the driver's
cursor, in an interleaved A/B in one process on the bench data. Here each statement is compiled
once per dialect, with its literal values already bound, and runs on the DBAPI cursor. The engine's
`before_cursor_execute` and `after_cursor_execute` events still fire when something listens
(statement counters, logging), and a driver error is raised as `Connection.execute` raises it. For
PostgreSQL (psycopg) only: its rows hold what SQLAlchemy would return for these columns once
`result_processors` are applied (psycopg already returns NUMERIC as Decimal).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Numeric
from sqlalchemy.engine import Connection, Dialect

from app.db import DirectSelect


@dataclass(frozen=True)
class _Form:
    sql: str
    defaults: dict[str, Any]  # the statement's literal values, as the driver takes them
    result_processors: tuple[tuple[int, Callable[[Any], Any]], ...]


class DriverSelect(DirectSelect):
    """A SELECT (or UNION) with pyformat bind parameters, run on the DBAPI cursor: `rows` gives tuples.

    DirectSelect's compile-once cache, with a form of its own: literal values bound ahead, and NUMERIC
    left to the driver (DirectSelect's processors do not handle it on psycopg).

    `prepare=False` runs it unprepared every time, so PostgreSQL plans it for the values given (a
    custom plan) instead of the generic plan it settles on for a statement psycopg has prepared.
    """

    def __init__(self, statement: Any, *, prepare: bool | None = None) -> None:
        super().__init__(statement)
        self.prepare = prepare  # psycopg's: None prepares after a few runs on a connection

    def _compile(self, dialect: Dialect) -> _Form:  # type: ignore[override]
        compiled: Any = self.statement.compile(dialect=dialect)
        if compiled.positiontup is not None or compiled.escaped_bind_names or compiled.post_compile_params:
            raise ValueError("DriverSelect takes named bind parameters that need no escaping or expansion")
        defaults = {}
        for bind, name in compiled.bind_names.items():
            if bind.value is None:
                continue  # given at each call
            process = bind.type.dialect_impl(dialect).bind_processor(dialect)
            defaults[name] = process(bind.value) if process is not None else bind.value
        processors = []
        for position, column in enumerate(self.statement.selected_columns):
            if isinstance(column.type, Numeric):
                continue  # psycopg's Decimal is what SQLAlchemy returns for NUMERIC as well
            process = column.type.dialect_impl(dialect).result_processor(dialect, None)
            if process is not None:
                processors.append((position, process))
        return _Form(compiled.string, defaults, tuple(processors))

    def rows(self, connection: Connection, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Every row for `params` (bind name -> value, as the driver takes it)."""
        form: _Form = self._form(connection.dialect)  # type: ignore[assignment]
        values = {**form.defaults, **params}
        dbapi_connection: Any = connection.connection.driver_connection
        listened = bool(connection.dispatch.before_cursor_execute or connection.dispatch.after_cursor_execute)
        cursor = dbapi_connection.cursor()
        try:
            if listened:
                connection.dispatch.before_cursor_execute(connection, cursor, form.sql, values, None, False)
            cursor.execute(form.sql, values, prepare=self.prepare)
            found: list[Any] = cursor.fetchall()
            if listened:
                connection.dispatch.after_cursor_execute(connection, cursor, form.sql, values, None, False)
        except connection.dialect.loaded_dbapi.Error as error:
            # SQLAlchemy's own handler: its DBAPIError subclass; a connection the server dropped is
            # invalidated rather than returned to the pool.
            connection._handle_dbapi_exception(error, form.sql, values, cursor, None)  # type: ignore[arg-type]
            raise  # not reached: the handler raises
        finally:
            cursor.close()
        if not form.result_processors:
            return found
        processed = []
        for row in found:
            values_ = list(row)
            for position, process in form.result_processors:
                values_[position] = process(values_[position])
            processed.append(tuple(values_))
        return processed
