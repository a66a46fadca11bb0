"""app.db.prepared: a statement prepared on the thread's own libpq connection, values as text both ways."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import Flask
from sqlalchemy import BigInteger, DateTime, Integer, String, bindparam, cast, exc, literal_column, select

from app import services
from app.db import DirectSelect
from app.db.prepared import PreparedWrite, direct_connections

STAMP = datetime(2026, 11, 22, 23, 5, 7, 123456, tzinfo=UTC)


def _statement() -> DirectSelect:
    """Each name bound twice, a literal percent sign, and int, text and timestamp values."""
    number = bindparam("number", type_=BigInteger())
    return DirectSelect(
        select(
            cast(number + number, BigInteger()),
            literal_column("'100%'"),
            cast(bindparam("word", type_=String()), String())
            + literal_column("'-'", String())
            + bindparam("word", type_=String()),
            cast(cast(bindparam("at", type_=DateTime(timezone=True)), DateTime(timezone=True)), String()),
            cast(bindparam("none", type_=Integer()), Integer()),
        )
    )


def test_a_prepared_statement_binds_each_name_once_and_reads_ints_and_text(live_app: Flask) -> None:
    db = services().db
    direct = direct_connections(db)
    if db.engine.dialect.name != "postgresql":
        # Only PostgreSQL has the direct path; elsewhere the callers use the engine's connections.
        assert direct is None
        return
    assert direct is not None
    write = PreparedWrite(_statement())

    rows = [direct.first(write, {"number": 21, "word": "ok", "at": STAMP, "none": None}) for _ in range(2)]

    assert rows == [(42, "100%", "ok-ok", "2026-11-22 23:05:07.123456+00", None)] * 2
    assert write.sql(db.engine).count(b"$1") == 2 and b"$4" in write.sql(db.engine)


def test_a_missing_value_is_refused_before_anything_is_sent(live_app: Flask) -> None:
    db = services().db
    direct = direct_connections(db)
    if direct is None:
        assert db.engine.dialect.name != "postgresql"
        return
    with pytest.raises(exc.ArgumentError, match="'word'"):
        direct.first(PreparedWrite(_statement()), {"number": 1, "at": STAMP, "none": None})
