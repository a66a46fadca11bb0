"""DirectExecute: a write with RETURNING run on the DBAPI cursor, once or for many parameter sets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Text, bindparam, cast, exc, insert, select
from sqlalchemy.dialects import postgresql, sqlite

from app.db import DirectExecute
from app.models import Shop

INSTALLED_AT = datetime(2026, 11, 22, 14, 36, 36, 206858, tzinfo=UTC)
# Every column the INSERT compiles: those given, and those with a Python-side default.
COLUMNS = ["domain", "installed_at", "scopes", "name", "currency", "timezone", "created_at", "updated_at"]
DEFAULTS = {
    "name": "",
    "currency": "USD",
    "timezone": "UTC",
    "created_at": INSTALLED_AT,
    "updated_at": INSTALLED_AT,
}


@pytest.fixture
def connection(engine):
    """A connection inside a transaction that is rolled back after the test."""
    with engine.connect() as conn:
        transaction = conn.begin()
        yield conn
        transaction.rollback()


# The columns an INSERT .. SELECT copies from another shop: all those with a Python-side default too.
COPIED = ["scopes", "name", "currency", "timezone", "created_at", "updated_at"]


def _insert_shop(connection):
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    return (
        dialect.insert(Shop.__table__)
        .on_conflict_do_nothing(index_elements=["domain"])
        .returning(Shop.id, Shop.domain, Shop.installed_at)
    )


def _shops(domains):
    return [{**DEFAULTS, "domain": d, "installed_at": INSTALLED_AT, "scopes": "read_orders"} for d in domains]


def test_returning_all_inserts_every_row_and_returns_what_returning_gives(connection):
    statement = DirectExecute(_insert_shop(connection), column_keys=COLUMNS)

    rows = statement.returning_all(connection, _shops(["a.myshopify.com", "b.myshopify.com"]))

    stored = connection.execute(select(Shop.id, Shop.domain, Shop.installed_at).order_by(Shop.id)).all()
    assert rows == [tuple(row) for row in stored]
    assert [r[1] for r in rows] == ["a.myshopify.com", "b.myshopify.com"]
    assert rows[0][2] == INSTALLED_AT and rows[0][2].tzinfo is UTC


def test_a_conflicting_row_returns_nothing_and_the_others_still_insert(connection):
    connection.execute(insert(Shop), _shops(["a.myshopify.com"]))
    statement = DirectExecute(_insert_shop(connection), column_keys=COLUMNS)

    rows = statement.returning_all(connection, _shops(["a.myshopify.com", "c.myshopify.com"]))

    assert [r[1] for r in rows] == ["c.myshopify.com"]
    assert connection.execute(select(Shop.domain).order_by(Shop.domain)).scalars().all() == [
        "a.myshopify.com",
        "c.myshopify.com",
    ]


def test_values_go_through_their_column_type(connection):
    statement = DirectExecute(_insert_shop(connection), column_keys=COLUMNS)
    elsewhere = INSTALLED_AT.astimezone(timezone(timedelta(hours=-5)))

    rows = statement.returning_all(
        connection, [{**DEFAULTS, "domain": "a.myshopify.com", "installed_at": elsewhere, "scopes": ""}]
    )

    assert rows[0][2] == INSTALLED_AT and rows[0][2].tzinfo is UTC
    with pytest.raises(ValueError, match="naive datetime"):
        statement.returning_all(
            connection,
            [
                {
                    **DEFAULTS,
                    "domain": "b.myshopify.com",
                    "installed_at": INSTALLED_AT.replace(tzinfo=None),
                    "scopes": "",
                }
            ],
        )


def test_first_runs_an_insert_select_once(connection):
    connection.execute(insert(Shop), _shops(["a.myshopify.com"]))
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    copy_shop = (
        dialect.insert(Shop.__table__)
        .from_select(
            ["domain", *COPIED],
            select(bindparam("new_domain", type_=Text()), *[Shop.__table__.c[c] for c in COPIED]).where(
                Shop.domain == bindparam("domain")
            ),
        )
        .returning(Shop.domain, cast(Shop.scopes, Text).label("scopes"))
    )

    row = DirectExecute(copy_shop).first(
        connection, {"domain": "a.myshopify.com", "new_domain": "b.myshopify.com"}
    )

    assert row == ("b.myshopify.com", "read_orders")
    assert (
        DirectExecute(copy_shop).first(connection, {"domain": "x.myshopify.com", "new_domain": "y"}) is None
    )


def test_no_rows_runs_nothing(connection):
    statement = DirectExecute(_insert_shop(connection), column_keys=COLUMNS)

    assert statement.returning_all(connection, []) == []


def test_a_missing_value_is_refused_before_the_database_is_asked(connection):
    statement = DirectExecute(_insert_shop(connection), column_keys=COLUMNS)

    with pytest.raises(exc.ArgumentError, match="A value is required for bind parameter 'scopes'"):
        statement.returning_all(
            connection, [{**DEFAULTS, "domain": "a.myshopify.com", "installed_at": INSTALLED_AT}]
        )


def test_a_database_error_is_raised_as_sqlalchemys(connection):
    statement = DirectExecute(_insert_shop(connection), column_keys=COLUMNS)
    with pytest.raises(exc.IntegrityError) as raised:
        statement.returning_all(
            connection, [{**DEFAULTS, "domain": None, "installed_at": None, "scopes": ""}]
        )

    assert raised.value.connection_invalidated is False
