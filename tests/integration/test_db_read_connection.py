"""Database.read_connection: autocommit reads on an engine of their own, the bound connection in tests."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, insert, select

from app import services
from app.db import Database, utcnow
from app.models import Shop


@pytest.fixture
def db(database_url):
    """A Database of its own on the test database, committing for real; its rows are removed after."""
    database = Database(database_url)
    yield database
    with database.unit_of_work() as uow:
        uow.session.execute(delete(Shop).where(Shop.domain.like("read-%")))
        uow.commit()
    database.dispose()


def driver_state(connection) -> tuple[bool, bool]:
    """(autocommit, inside a transaction now) of the driver connection under `connection`."""
    driver = connection.connection.driver_connection
    if connection.dialect.name == "sqlite":
        # isolation_level None: pysqlite issues no BEGIN of its own.
        return driver.isolation_level is None, driver.in_transaction
    from psycopg.pq import TransactionStatus

    return driver.autocommit, driver.info.transaction_status != TransactionStatus.IDLE


def test_a_read_runs_in_autocommit_and_leaves_no_transaction_open(db):
    with db.read_connection() as connection:
        assert connection.execute(select(Shop.id).where(Shop.domain == "read-none.myshopify.com")).all() == []
        # The statement was its own transaction: nothing is left to roll back.
        assert driver_state(connection) == (True, False)


def test_a_read_sees_what_a_unit_of_work_committed_just_before(db):
    # given: a connection that has read once, so the next read could reuse a stale snapshot if it had one
    with db.read_connection() as connection:
        connection.execute(select(Shop.id)).all()
    with db.unit_of_work() as uow:
        uow.session.execute(insert(Shop).values(domain="read-fresh.myshopify.com", installed_at=utcnow()))
        uow.commit()
    # when
    with db.read_connection() as connection:
        found = connection.execute(select(Shop.domain).where(Shop.domain.like("read-%"))).scalars().all()
    # then
    assert found == ["read-fresh.myshopify.com"]


def test_reads_leave_the_unit_of_work_pool_alone_and_return_their_connection(db):
    with db.read_connection() as connection:
        connection.execute(select(Shop.id)).all()
        assert db.reader.pool.checkedout() == 1
    assert db.reader.pool.checkedout() == 0
    assert db.engine.pool.checkedout() == 0
    assert db.reader is not db.engine
    assert db.reader.url == db.engine.url


def test_under_bind_to_a_read_runs_on_the_bound_connection_and_sees_uncommitted_rows(app):
    # given: a row flushed in a unit of work of the test's bound connection, not committed
    database = services().db
    with database.unit_of_work() as uow:
        uow.session.add(Shop(domain="read-bound.myshopify.com"))
        uow.session.flush()
        # when
        with database.read_connection() as connection:
            found = connection.execute(select(Shop.domain)).scalars().all()
            bound = connection is uow.session.connection()
    # then
    assert found == ["read-bound.myshopify.com"]
    assert bound is True


def test_after_a_fork_the_reader_is_created_anew(db, monkeypatch):
    # given: a reader made in the "parent"
    parent_reader = db.reader
    # when: the process id changes, as in a forked RQ job or gunicorn worker
    monkeypatch.setattr("app.db.os.getpid", lambda: -1)
    child_reader = db.reader
    # then
    assert child_reader is not parent_reader
    with db.read_connection() as connection:
        assert connection.execute(select(Shop.id).where(Shop.id == -1)).all() == []
    # The child's pools are closed while the process id is still the child's.
    db.dispose()


def test_dispose_closes_the_reader_too(db):
    with db.read_connection() as connection:
        connection.execute(select(Shop.id)).all()
    reader = db.reader
    assert reader.pool.checkedin() == 1

    db.dispose()

    assert reader.pool.checkedin() == 0
    assert db.reader is not reader
