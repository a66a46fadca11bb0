"""Test harness: one migrated database per run (SQLite or the real PostgreSQL), each test in a SAVEPOINT.

Run the suite on SQLite with `pytest`, on PostgreSQL with `pytest --db=postgres`. Services:
- PostgreSQL: TEST_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/test)
- Redis: TEST_REDIS_URL (default redis://127.0.0.1:6379/15)
Outside CI a missing service skips what needs it and the run ends with the list of what could not
run; with CI=true a missing service, or any skipped test, fails the run.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, text
from sqlalchemy.engine import Engine

from app import create_app, services
from app.db import UnitOfWork, make_engine
from app.migrate import upgrade
from app.model_registry import metadata
from tests.support import TEST_SETTINGS

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
PG_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")

_not_run: list[str] = []


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db",
        choices=("sqlite", "postgres"),
        default=os.environ.get("TEST_DB", "sqlite"),
        help="database backend for the whole suite (default sqlite)",
    )


def service_missing(what: str, reason: str) -> None:
    """Skip outside CI (and remember it for the summary); fail inside CI."""
    message = f"{what} unavailable: {reason}"
    if IN_CI:
        pytest.fail(f"{message} (CI=true: a missing service is a failure)", pytrace=False)
    _not_run.append(message)
    pytest.skip(message)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    if _not_run:
        terminalreporter.section("service-bound tests that could not run here")
        for line in sorted(set(_not_run)):
            terminalreporter.write_line(line)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # A skipped test in CI hides a missing service or a stub: treat it as a failure.
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if IN_CI and reporter is not None and reporter.stats.get("skipped"):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope="session")
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A freshly migrated database for this run."""
    if request.config.getoption("--db") == "postgres":
        url = PG_URL
        engine = make_engine(url)
        try:
            with engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        except Exception as exc:  # any connection failure means "no PostgreSQL"
            engine.dispose()
            message = f"PostgreSQL at {url}: {exc.__class__.__name__}"
            if IN_CI:
                pytest.exit(f"{message} (CI=true: PostgreSQL is required)", returncode=1)
            pytest.exit(f"{message}; the PostgreSQL pass did not run", returncode=0)
        engine.dispose()
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    eng = make_engine(database_url)
    yield eng
    eng.dispose()


@pytest.fixture
def app_config(database_url: str, tmp_path: Path) -> dict[str, Any]:
    """Settings for the app under test; a test may change them before asking for `app`."""
    return {**TEST_SETTINGS, "DATABASE_URL": database_url, "INSTANCE_PATH": str(tmp_path / "instance")}


@pytest.fixture
def app(app_config: dict[str, Any], engine: Engine) -> Iterator[Flask]:
    """The app, with every session on one connection whose outer transaction is rolled back."""
    flask_app = create_app(app_config)
    connection = engine.connect()
    outer = connection.begin()
    services_ = flask_app.extensions["tradeline"]
    services_.db.bind_to(connection)
    with flask_app.app_context():
        yield flask_app
    services_.db.bind_to(None)
    outer.rollback()
    connection.close()


@pytest.fixture
def live_app(app_config: dict[str, Any], engine: Engine) -> Iterator[Flask]:
    """The app on real commits, for tests whose other processes (workers, servers) must see the data."""
    flask_app = create_app(app_config)
    with flask_app.app_context():
        yield flask_app
    flask_app.extensions["tradeline"].db.dispose()
    with engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(delete(table))


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def uow(app: Flask) -> Iterator[UnitOfWork]:
    with services().db.unit_of_work() as unit:
        yield unit


@pytest.fixture
def redis_url() -> Iterator[str]:
    """The real Redis (a database of its own), emptied before and after the test."""
    import redis

    conn = redis.Redis.from_url(REDIS_URL)
    try:
        conn.ping()
    except redis.RedisError as exc:
        service_missing("Redis", f"{REDIS_URL}: {exc}")
    conn.flushdb()
    yield REDIS_URL
    conn.flushdb()
    conn.close()
