"""The API key cache: no database read while a key is known, and every change to keys or shops seen.

On PostgreSQL a web process answers a known key from memory and learns of changes committed anywhere
through LISTEN/NOTIFY (triggers of migration 0014). On SQLite there is no cache: each scenario below
must hold there too, with every request reading the database.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Engine, text, update

from app import create_app, services
from app.apikeys import create_api_key, read_key
from app.auth_cache import AuthCache
from app.db import Database
from app.models import ApiKey, Shop
from app.shops import install_shop
from tests.functional.test_api_shop import round_trips

# How long a change committed elsewhere may take to reach a listening process, at most, in these tests.
NOTIFY_DEADLINE_SECONDS = 2.0


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


@pytest.fixture
def keyed_shop(live_app: Flask) -> dict[str, Any]:
    with services().db.unit_of_work() as uow:
        shop = install_shop(uow, domain="acme")
        key, plaintext = create_api_key(uow, shop_id=shop.id, name="ERP")
        uow.commit()
        return {"shop_id": shop.id, "key_id": key.id, "prefix": key.prefix, "auth": f"Bearer {plaintext}"}


def get_shop(app: Flask, keyed: dict[str, Any]) -> Any:
    return app.test_client().get("/api/v1/shop", headers={"Authorization": keyed["auth"]})


def first_answer_within(app: Flask, keyed: dict[str, Any], status: int) -> tuple[Any, float]:
    """Ask until the answer has `status` (or the deadline passes); the last answer and the wait in s."""
    started = time.monotonic()
    while True:
        response = get_shop(app, keyed)
        waited = time.monotonic() - started
        if response.status_code == status or waited > NOTIFY_DEADLINE_SECONDS:
            return response, waited
        time.sleep(0.001)


def test_a_known_key_is_answered_without_touching_the_database(live_app, keyed_shop, engine):
    # given: the key has been used once (and its use recorded)
    assert get_shop(live_app, keyed_shop).status_code == 200
    db = services().db
    # when
    with round_trips(db.engine) as unit_of_work_trips, round_trips(db.reader) as read_trips:
        response = get_shop(live_app, keyed_shop)
    # then: PostgreSQL answers from memory; SQLite, which has no cache, reads the key
    assert response.status_code == 200
    assert response.get_json()["data"]["domain"] == "acme.myshopify.com"
    assert unit_of_work_trips == []
    assert read_trips == ([] if is_postgres(engine) else ["SELECT"])


@pytest.mark.parametrize(
    ("model", "id_key", "column", "status", "detail"),
    [
        (ApiKey, "key_id", "revoked_at", 401, "The API key {prefix} was revoked on "),
        (Shop, "shop_id", "uninstalled_at", 403, "The shop acme.myshopify.com has uninstalled Tradeline"),
    ],
    ids=["key revoked", "shop uninstalled"],
)
def test_a_change_committed_by_another_process_is_refused_as_soon_as_postgres_notifies(
    live_app, keyed_shop, engine, model, id_key, column, status, detail
):
    # given: the key is known to this process
    assert get_shop(live_app, keyed_shop).status_code == 200
    # when: another process (a connection of its own, not this process's sessions) commits the change
    with engine.begin() as conn:
        conn.execute(
            update(model).where(model.id == keyed_shop[id_key]).values({column: text("CURRENT_TIMESTAMP")})
        )
    response, waited = first_answer_within(live_app, keyed_shop, status)
    # then
    assert response.status_code == status
    assert response.get_json()["detail"].startswith(detail.format(prefix=keyed_shop["prefix"]))
    assert waited < NOTIFY_DEADLINE_SECONDS


def test_a_shop_renamed_by_another_process_is_shown_with_its_new_name(live_app, keyed_shop, engine):
    assert get_shop(live_app, keyed_shop).get_json()["data"]["name"] != "Acme Wholesale"
    with engine.begin() as conn:
        conn.execute(update(Shop).where(Shop.id == keyed_shop["shop_id"]).values(name="Acme Wholesale"))
    started = time.monotonic()
    while get_shop(live_app, keyed_shop).get_json()["data"]["name"] != "Acme Wholesale":
        assert time.monotonic() - started < NOTIFY_DEADLINE_SECONDS, "the rename never reached the process"
        time.sleep(0.001)


def test_columns_authentication_does_not_read_leave_the_cache_alone(live_app, keyed_shop, engine):
    """Recording a key's use (every minute) must not empty every process's cache."""
    assert get_shop(live_app, keyed_shop).status_code == 200
    cache = services().db.auth_cache
    generation = cache.generation
    with engine.begin() as conn:
        conn.execute(update(ApiKey).where(ApiKey.id == keyed_shop["key_id"]).values(name="ERP (renamed)"))
        conn.execute(
            update(ApiKey)
            .where(ApiKey.id == keyed_shop["key_id"])
            .values(last_used_at=text("CURRENT_TIMESTAMP"))
        )
    # A notification, had one been sent, would be on the socket by now (the other tests see them in ms).
    time.sleep(0.2)
    assert get_shop(live_app, keyed_shop).status_code == 200
    assert cache.generation == generation


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def counted(live_app: Flask, keyed_shop: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """An AuthCache of its own on the live database, a fake clock, and a loader that counts its reads."""
    db = Database(services().db.url, auth_cache_seconds=30)
    clock = Clock()
    cache = AuthCache(db, max_age=30, clock=clock)
    reads: list[str] = []

    def load() -> Any:
        reads.append(keyed_shop["prefix"])
        with db.read_connection() as connection:
            return read_key(connection, keyed_shop["prefix"])

    yield {"db": db, "cache": cache, "clock": clock, "reads": reads, "load": load}
    cache.close()
    db.dispose()


def test_an_entry_is_read_again_after_max_age(counted, engine):
    cache, load, reads, clock = counted["cache"], counted["load"], counted["reads"], counted["clock"]
    assert load() is not None  # opens the read connection; not counted below
    reads.clear()
    for _ in range(3):
        assert cache.lookup("k", load) is not None
    clock.now += cache.max_age
    assert cache.lookup("k", load) is not None
    # PostgreSQL: read once, then again after max_age; SQLite: no cache, read every time
    assert len(reads) == (2 if is_postgres(engine) else 4)


def test_a_lost_listening_connection_turns_the_cache_off_until_it_listens_again(counted, engine):
    cache, load, reads, clock = counted["cache"], counted["load"], counted["reads"], counted["clock"]
    assert cache.lookup("k", load) is not None
    if is_postgres(engine):
        # when: the server drops the listening connection (a restart, a failover, an idle timeout)
        with engine.begin() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND query LIKE 'LISTEN%'"
                )
            )
        time.sleep(0.2)
    reads.clear()
    assert cache.lookup("k", load) is not None
    assert cache.lookup("k", load) is not None
    # then: every lookup reads the database while it cannot listen...
    assert len(reads) == 2
    clock.now += 10
    # ...and once it listens again, the cache is used again (PostgreSQL)
    cache.lookup("k", load)
    cache.lookup("k", load)
    assert len(reads) == (3 if is_postgres(engine) else 4)


def test_a_change_notified_while_a_lookup_reads_is_not_stored(counted, engine):
    cache = counted["cache"]
    reads = counted["reads"]

    def load_while_revoked_elsewhere() -> Any:
        row = counted["load"]()
        cache.invalidate()  # what draining a notification does
        return row

    assert cache.lookup("k", load_while_revoked_elsewhere) is not None
    assert cache.lookup("k", counted["load"]) is not None
    assert len(reads) == 2


def test_the_cache_is_off_under_a_bound_test_connection(app: Flask):
    assert services().db.bound
    assert services().db.auth_cache.enabled is False


def test_api_auth_cache_seconds_zero_turns_the_cache_off(app_config, engine):
    app = create_app({**app_config, "API_AUTH_CACHE_SECONDS": 0})
    db = app.extensions["tradeline"].db
    try:
        assert db.auth_cache.enabled is False
    finally:
        db.dispose()
