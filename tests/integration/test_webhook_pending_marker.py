"""The per-shop pending-job marker the intake sets on Redis: set once, kept by later deliveries, and
set again on a new connection when the one it had was dropped."""

from __future__ import annotations

from typing import Any

import pytest
import redis
from flask import Flask

from app.jobs import redis_connection
from webhooks.service import queueing
from webhooks.service.inbox import processing_job_id

SHOP_ID = 41


@pytest.fixture
def app_config(app_config: dict[str, Any], redis_url: str) -> dict[str, Any]:
    return {**app_config, "REDIS_URL": redis_url}


@pytest.fixture
def conn(app: Flask) -> redis.Redis:
    return redis_connection()


def _kill_marker_connection(conn: redis.Redis) -> None:
    """Close, from the server's side, the connection the marker's SET uses (not the test's own)."""
    own, db = conn.client_id(), conn.connection_pool.connection_kwargs.get("db", 0)
    killed = 0
    for client in conn.client_list():
        # Only this database's clients whose last command was the marker's SET (other processes share Redis).
        if int(client["id"]) != own and int(client["db"]) == int(db) and client["cmd"] == "set":
            conn.client_kill_filter(_id=client["id"])
            killed += 1
    assert killed == 1


def test_the_first_delivery_sets_the_marker_and_enqueues_and_the_next_ones_find_it(conn: redis.Redis) -> None:
    first = queueing.request_processing(shop_id=SHOP_ID, delivery_id=1)
    second = queueing.request_processing(shop_id=SHOP_ID, delivery_id=2)

    assert (first, second) == (True, False)
    key = queueing.pending_key(SHOP_ID)
    assert conn.get(key) == processing_job_id(1).encode()
    assert 0 < conn.ttl(key) <= queueing.PENDING_TTL_S
    assert conn.llen("rq:queue:webhooks") == 1


def test_after_a_job_releases_the_marker_the_next_delivery_enqueues_again(conn: redis.Redis) -> None:
    queueing.request_processing(shop_id=SHOP_ID, delivery_id=1)

    queueing.release(SHOP_ID)

    assert queueing.request_processing(shop_id=SHOP_ID, delivery_id=2) is True
    assert conn.get(queueing.pending_key(SHOP_ID)) == processing_job_id(2).encode()
    assert conn.llen("rq:queue:webhooks") == 2


def test_a_dropped_connection_is_replaced_and_the_marker_still_set(conn: redis.Redis) -> None:
    queueing.request_processing(shop_id=SHOP_ID, delivery_id=1)
    queueing.release(SHOP_ID)
    _kill_marker_connection(conn)

    enqueued = queueing.request_processing(shop_id=SHOP_ID, delivery_id=2)

    assert enqueued is True
    assert conn.get(queueing.pending_key(SHOP_ID)) == processing_job_id(2).encode()


def test_a_marker_the_failed_attempt_had_set_counts_as_set_by_this_delivery(conn: redis.Redis) -> None:
    # given: the connection died after its SET reached Redis (the marker holds this delivery's job)
    key = queueing.pending_key(SHOP_ID)
    assert queueing._set_marker(conn, queueing.pending_key(99), "warm-up") is True
    conn.set(key, processing_job_id(2), ex=queueing.PENDING_TTL_S)
    _kill_marker_connection(conn)

    # when: the SET is tried again on a new connection
    was_set = queueing._set_marker(conn, key, processing_job_id(2))

    # then: it finds its own job id there, so the caller goes on to enqueue
    assert was_set is True
    assert queueing._set_marker(conn, key, processing_job_id(3)) is False
