"""Statements compiled once and run on the DBAPI cursor, for the few hot paths that need it."""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, exc
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql.compiler import SQLCompiler

if TYPE_CHECKING:
    from app.db import Database


@dataclass(frozen=True)
class _DialectForm:
    """A DirectSelect as one dialect runs it."""

    sql: str
    bind_names: frozenset[str]
    # Bind names in the order of the SQL's placeholders, for positional paramstyles (SQLite's qmark).
    positional_names: tuple[str, ...] | None
    bind_processors: tuple[tuple[str, Callable[[Any], Any]], ...]
    result_processors: tuple[tuple[int, Callable[[Any], Any]], ...]


class DirectSelect:
    """A SELECT compiled once per dialect, run on the DBAPI cursor, its values through the column types.

    For the few statements every request runs. Rows hold what `Connection.execute` returns (UTCDateTime
    and the other types still convert them), without SQLAlchemy's per-execution objects (execution
    context, compiled-cache lookup, parameter and result objects): under gunicorn on 2 cores those cost
    ~90 µs of CPU per statement, more than the query itself (BENCHMARKS.md, GET /api/v1/shop). What
    that skips besides: the engine's execution events and echo, so use it for a hot path only. Errors
    are SQLAlchemy's DBAPIError subclasses and a dropped connection is invalidated, as with
    `Connection.execute`. Plain bind parameters only (`bindparam("name")`; no IN-list expansion).
    """

    def __init__(self, statement: Select[Any]) -> None:
        self.statement = statement
        self._forms: weakref.WeakKeyDictionary[Dialect, _DialectForm] = weakref.WeakKeyDictionary()

    def _form(self, dialect: Dialect) -> _DialectForm:
        form = self._forms.get(dialect)
        if form is None:
            form = self._forms[dialect] = self._compile(dialect)
        return form

    def _compile(self, dialect: Dialect) -> _DialectForm:
        compiled = self.statement.compile(dialect=dialect)
        if (
            not isinstance(compiled, SQLCompiler)
            or compiled.literal_execute_params
            or compiled.post_compile_params
        ):
            raise ValueError("DirectSelect takes a SELECT with plain bind parameters only")
        if compiled.escaped_bind_names:
            raise ValueError(
                f"bind parameter names that need escaping: {sorted(compiled.escaped_bind_names)}"
            )
        bind_processors = []
        for name, bind in compiled.binds.items():
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                bind_processors.append((name, processor))
        result_processors = []
        for index, column in enumerate(self.statement.selected_columns):
            processor = column.type.dialect_impl(dialect).result_processor(dialect, None)
            if processor is not None:
                result_processors.append((index, processor))
        return _DialectForm(
            sql=compiled.string,
            bind_names=frozenset(compiled.binds),
            positional_names=tuple(compiled.positiontup) if compiled.positiontup is not None else None,
            bind_processors=tuple(bind_processors),
            result_processors=tuple(result_processors),
        )

    def first(self, connection: Connection, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
        """The first row for `params` (bind name -> value) as a tuple, or None when there is none."""
        form = self._form(connection.dialect)
        if not form.bind_names <= params.keys():
            missing = sorted(form.bind_names - params.keys())
            raise exc.ArgumentError(f"A value is required for bind parameter {missing[0]!r}")
        values = dict(params)
        for name, processor in form.bind_processors:
            values[name] = processor(values[name])
        dbapi_params: Any = (
            tuple(values[name] for name in form.positional_names)
            if form.positional_names is not None
            else values
        )
        dialect = connection.dialect
        dbapi_connection = connection.connection.driver_connection
        try:
            cursor = dbapi_connection.cursor()
            try:
                cursor.execute(form.sql, dbapi_params)
                row = cursor.fetchone()
            finally:
                cursor.close()
        except dialect.loaded_dbapi.Error as error:
            # As Connection.execute does: a connection the server dropped is not returned to the pool.
            dropped = dialect.is_disconnect(error, dbapi_connection, None)
            if dropped:
                connection.invalidate(error)
            raise exc.DBAPIError.instance(
                form.sql,
                dbapi_params,
                error,
                dialect.loaded_dbapi.Error,
                connection_invalidated=dropped,
                dialect=dialect,
            ) from error
        if row is None or not form.result_processors:
            return None if row is None else tuple(row)
        processed = list(row)
        for index, processor in form.result_processors:
            processed[index] = processor(processed[index])
        return tuple(processed)


class _ReturningStatement:
    """An INSERT/UPDATE/DELETE .. RETURNING as DirectSelect compiles it: its RETURNING columns are the
    selected ones, and an INSERT without its own VALUES takes the columns given as `column_keys`."""

    def __init__(self, statement: Any, column_keys: Sequence[str] | None) -> None:
        self.statement = statement
        self.column_keys = list(column_keys) if column_keys is not None else None

    @property
    def selected_columns(self) -> Any:
        return self.statement.exported_columns

    def compile(self, *, dialect: Dialect) -> Any:
        return self.statement.compile(dialect=dialect, column_keys=self.column_keys)


class DirectExecute(DirectSelect):
    """DirectSelect for a write with RETURNING: compiled once per dialect, run on the DBAPI cursor.

    `first` runs it once (an `INSERT .. SELECT .. RETURNING` on a hot path: the webhook intake);
    `returning_all` runs it once per parameter set and returns every row RETURNING gave, in order.
    On psycopg that is one `executemany(returning=True)` (pipelined, the statement parsed once),
    which a multi-row `INSERT .. VALUES` through SQLAlchemy is not: psycopg re-parses a statement
    longer than 4 KB or with more than 50 parameters on every execution, and with 500 rows of 30
    columns that parse costs more than PostgreSQL's work (BENCHMARKS.md, webhook processing). On
    other drivers it is one execute per parameter set. The same caveats as DirectSelect apply, and
    column defaults are not applied: an INSERT compiles a parameter for each of its `column_keys` and
    for each column with a Python-side default, and every one of them needs a value.
    """

    def __init__(self, statement: Any, column_keys: Sequence[str] | None = None) -> None:
        super().__init__(_ReturningStatement(statement, column_keys))  # type: ignore[arg-type]

    def _driver_params(self, form: _DialectForm, params: Mapping[str, Any]) -> Any:
        """One parameter set as the driver takes it (what `first` builds inline)."""
        missing = form.bind_names - params.keys()
        if missing:
            raise exc.ArgumentError(f"A value is required for bind parameter {sorted(missing)[0]!r}")
        values = {**params, **{name: process(params[name]) for name, process in form.bind_processors}}
        if form.positional_names is None:
            return values
        return tuple(values[name] for name in form.positional_names)

    def _result_row(self, form: _DialectForm, row: Sequence[Any]) -> tuple[Any, ...]:
        if not form.result_processors:
            return tuple(row)
        processed = list(row)
        for index, processor in form.result_processors:
            processed[index] = processor(processed[index])
        return tuple(processed)

    def returning_all(
        self, connection: Connection, rows: Sequence[Mapping[str, Any]]
    ) -> list[tuple[Any, ...]]:
        """Run the statement for each parameter set; every row its RETURNING gave, in order."""
        if not rows:
            return []
        form = self._form(connection.dialect)
        params = [self._driver_params(form, row) for row in rows]
        dialect = connection.dialect
        dbapi_connection = connection.connection.driver_connection
        found: list[Sequence[Any]] = []
        try:
            cursor = dbapi_connection.cursor()
            try:
                if dialect.driver == "psycopg":
                    cursor.executemany(form.sql, params, returning=True)
                    while True:
                        found += cursor.fetchall()
                        if not cursor.nextset():
                            break
                else:
                    for one in params:
                        cursor.execute(form.sql, one)
                        found += cursor.fetchall()
            finally:
                cursor.close()
        except dialect.loaded_dbapi.Error as error:
            # SQLAlchemy's own handler: the DBAPIError subclass, a dropped connection invalidated.
            connection._handle_dbapi_exception(error, form.sql, params, None, None)
        return [self._result_row(form, row) for row in found]


@contextmanager
def autocommit_connection(db: Database) -> Iterator[Connection]:
    """A connection on which each statement commits on its own, for a write that is ONE statement.

    `Database.read_connection`'s connections (autocommit, nothing to roll back on return): one round
    trip per statement, no BEGIN or COMMIT, no session. Only for a single self-contained statement,
    which is atomic by itself (the webhook intake's `INSERT .. SELECT .. ON CONFLICT DO NOTHING`):
    anything that writes twice, or reads and then writes, belongs in a unit of work. Under `bind_to`
    (tests) it is the bound connection, so the write joins the test's transaction.
    """
    with db.read_connection() as connection:
        yield connection
