"""DirectSelect: the rows `Connection.execute` returns, SQLAlchemy errors, dropped connections invalidated."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import bindparam, exc, insert, select, text

from app.db import DirectSelect, make_engine
from app.models import ApiKey, Shop

INSTALLED_AT = datetime(2026, 11, 22, 14, 36, 36, 206858, tzinfo=UTC)
SHOP_COLUMNS = select(
    Shop.id, Shop.domain, Shop.email, Shop.scopes, Shop.installed_at, Shop.uninstalled_at
).where(Shop.domain == bindparam("domain"))


@pytest.fixture
def connection(engine):
    """A connection inside a transaction that is rolled back after the test, holding two shops."""
    with engine.connect() as conn:
        transaction = conn.begin()
        conn.execute(
            insert(Shop),
            [
                {"domain": "acme.myshopify.com", "installed_at": INSTALLED_AT, "scopes": "read_orders"},
                {"domain": "globex.myshopify.com", "installed_at": None, "scopes": ""},
            ],
        )
        yield conn
        transaction.rollback()


@pytest.mark.parametrize("domain", ["acme.myshopify.com", "globex.myshopify.com"])
def test_the_row_equals_what_connection_execute_returns(connection, domain):
    expected = connection.execute(SHOP_COLUMNS, {"domain": domain}).one()

    row = DirectSelect(SHOP_COLUMNS).first(connection, {"domain": domain})

    assert row == tuple(expected)
    assert type(row) is tuple


def test_timestamps_come_back_timezone_aware_in_utc(connection):
    row = DirectSelect(SHOP_COLUMNS).first(connection, {"domain": "acme.myshopify.com"})

    assert row is not None
    assert (row[4], row[4].tzinfo, row[5]) == (INSTALLED_AT, UTC, None)


def test_no_row_is_none(connection):
    assert DirectSelect(SHOP_COLUMNS).first(connection, {"domain": "nobody.myshopify.com"}) is None


def test_parameters_go_through_their_column_type(connection):
    # UTCDateTime turns any aware datetime into UTC before it reaches the driver (on SQLite, into the
    # stored text), so the same instant in another zone finds the row.
    same_instant = INSTALLED_AT.astimezone(timezone(timedelta(hours=-5)))
    by_install_time = DirectSelect(
        select(Shop.domain).where(Shop.installed_at == bindparam("at", type_=Shop.installed_at.type))
    )

    assert by_install_time.first(connection, {"at": same_instant}) == ("acme.myshopify.com",)


def test_a_naive_datetime_parameter_is_refused_as_by_connection_execute(connection):
    by_install_time = DirectSelect(
        select(Shop.domain).where(Shop.installed_at == bindparam("at", type_=Shop.installed_at.type))
    )

    with pytest.raises(ValueError, match="naive datetime"):
        by_install_time.first(connection, {"at": INSTALLED_AT.replace(tzinfo=None)})


def test_a_join_with_columns_of_the_same_name_keeps_them_in_order(connection):
    shop_id = connection.execute(select(Shop.id).where(Shop.domain == "acme.myshopify.com")).scalar_one()
    connection.execute(
        insert(ApiKey).values(shop_id=shop_id, name="ERP", prefix="abcdefghijkl", digest="d" * 64)
    )
    key_and_shop = (
        select(ApiKey.id, Shop.id, ApiKey.name, Shop.domain)
        .join_from(ApiKey, Shop, Shop.id == ApiKey.shop_id)
        .where(ApiKey.prefix == bindparam("prefix"))
    )

    row = DirectSelect(key_and_shop).first(connection, {"prefix": "abcdefghijkl"})

    assert row == tuple(connection.execute(key_and_shop, {"prefix": "abcdefghijkl"}).one())
    assert row[1:] == (shop_id, "ERP", "acme.myshopify.com")


def test_a_missing_parameter_is_refused_before_the_database_is_asked(connection):
    with pytest.raises(exc.ArgumentError, match="A value is required for bind parameter 'domain'"):
        DirectSelect(SHOP_COLUMNS).first(connection, {"domian": "acme.myshopify.com"})


def test_an_expanding_in_parameter_is_refused_when_compiled(connection):
    by_domains = DirectSelect(select(Shop.id).where(Shop.domain.in_(bindparam("domains", expanding=True))))

    with pytest.raises(ValueError, match="plain bind parameters only"):
        by_domains.first(connection, {"domains": ["acme.myshopify.com"]})


def test_a_database_error_is_raised_as_sqlalchemys_and_keeps_the_connection(engine):
    broken = DirectSelect(select(text("1")).select_from(text("no_such_table")))
    with engine.connect() as conn:
        with pytest.raises(exc.DBAPIError) as raised:
            broken.first(conn, {})

        assert isinstance(raised.value, exc.OperationalError | exc.ProgrammingError)
        assert "no_such_table" in str(raised.value)
        assert raised.value.connection_invalidated is False
        assert conn.invalidated is False


def test_a_dropped_connection_is_invalidated_and_the_next_read_reconnects(database_url):
    engine = make_engine(database_url, isolation_level="AUTOCOMMIT")
    select_one = DirectSelect(select(text("1")))
    try:
        with engine.connect() as conn:
            # given: the server side of the connection is gone
            if conn.dialect.name == "postgresql":
                backend = conn.connection.driver_connection.info.backend_pid
                with engine.connect() as other:
                    other.exec_driver_sql(f"SELECT pg_terminate_backend({backend})")
            else:
                conn.connection.driver_connection.close()
            # when
            with pytest.raises(exc.DBAPIError) as raised:
                select_one.first(conn, {})
            # then
            assert raised.value.connection_invalidated is True
            assert conn.invalidated is True
            assert select_one.first(conn, {}) == (1,)
    finally:
        engine.dispose()
