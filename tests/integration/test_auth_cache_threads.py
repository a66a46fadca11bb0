"""The API key cache shared by the threads of a gthread worker: one listener, no lost or stale lookups."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Engine, text

from app import services
from app.auth_cache import CHANNEL, AuthCache

THREADS = 8
LOOKUPS_PER_THREAD = 300
PREFIXES = [f"tl_{n:02d}" for n in range(20)]
JOIN_TIMEOUT_S = 60.0


@pytest.fixture
def cache(live_app: Flask) -> Iterator[AuthCache]:
    cache = AuthCache(services().db, max_age=60.0)
    yield cache
    cache.close()


def listeners(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND query = :listen"
                ),
                {"listen": f"LISTEN {CHANNEL}"},
            ).scalar_one()
        )


def run_threads(count: int, target: Callable[[int], None]) -> list[BaseException]:
    """Run `target(n)` on `count` threads started together; the exceptions they raised."""
    errors: list[BaseException] = []
    barrier = threading.Barrier(count)

    def run(n: int) -> None:
        try:
            barrier.wait()
            target(n)
        except BaseException as exc:  # reported to the test below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_TIMEOUT_S)
    assert not any(thread.is_alive() for thread in threads)
    return errors


def test_threads_that_look_up_at_once_open_one_listening_connection(cache: AuthCache, engine: Engine) -> None:
    postgres = engine.dialect.name == "postgresql"
    before = listeners(engine) if postgres else 0
    loads: list[str] = []

    errors = run_threads(THREADS, lambda n: cache.lookup("tl_00", lambda: loads.append("tl_00") or ("row",)))

    assert errors == []
    if postgres:
        assert listeners(engine) - before == 1
        assert 1 <= len(loads) <= THREADS  # those that started before the first stored the row
        assert cache.lookup("tl_00", lambda: pytest.fail("read again")) == ("row",)
    else:
        # SQLite has no notifications: the cache is off, and every lookup read the database.
        assert not cache.enabled and len(loads) == THREADS


def test_lookups_hammered_from_threads_during_changes_lose_nothing_and_keep_nothing_stale(
    cache: AuthCache, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    # given: "the database" is a version per prefix that a writer keeps changing, as a revocation would,
    # half the time notified through PostgreSQL, half through this process's own commit (invalidate)
    version = {prefix: 0 for prefix in PREFIXES}
    stop = threading.Event()
    answers: list[tuple[str, Any]] = []

    def load(prefix: str) -> tuple[Any, ...]:
        time.sleep(0)  # let another thread run between reading and storing
        return (prefix, version[prefix])

    def writer() -> None:
        with engine.connect() as conn:
            n = 0
            while not stop.is_set():
                n += 1
                prefix = PREFIXES[n % len(PREFIXES)]
                version[prefix] += 1
                if n % 2 and engine.dialect.name == "postgresql":
                    conn.execute(text(f"NOTIFY {CHANNEL}"))
                    conn.commit()
                else:
                    cache.invalidate()
                time.sleep(0.001)

    def reader(n: int) -> None:
        for i in range(LOOKUPS_PER_THREAD):
            prefix = PREFIXES[(n + i) % len(PREFIXES)]
            answers.append((prefix, cache.lookup(prefix, lambda p=prefix: load(p))))

    changing = threading.Thread(target=writer)
    changing.start()

    # when
    with caplog.at_level(logging.WARNING, logger="app.auth_cache"):
        errors = run_threads(THREADS, reader)
        stop.set()
        changing.join(JOIN_TIMEOUT_S)
        if engine.dialect.name == "postgresql":
            time.sleep(0.2)  # the writer's last notification reaches the socket

    # then: every lookup answered its own prefix, the listener never failed, and no stale row stayed
    assert errors == []
    assert len(answers) == THREADS * LOOKUPS_PER_THREAD
    assert all(row is not None and row[0] == prefix for prefix, row in answers)
    assert [r.getMessage() for r in caplog.records if r.name == "app.auth_cache"] == []
    assert [cache.lookup(p, lambda p=p: load(p)) for p in PREFIXES] == [(p, version[p]) for p in PREFIXES]
