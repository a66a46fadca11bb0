"""GET /api/v1/shop: the authenticated shop, timestamps in ISO 8601 UTC."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from app import services
from app.apikeys import create_api_key
from app.shops import install_shop


def test_the_shop_of_the_key_is_returned_in_full(client, uow):
    # given
    shop = install_shop(uow, domain="acme", scopes="read_customers, write_customers,read_orders")
    shop.name = "Acme Wholesale"
    shop.email = "ops@acme.example"
    shop.plan = "shopify_plus"
    shop.currency = "EUR"
    shop.timezone = "Europe/Berlin"
    shop.installed_at = datetime(2026, 11, 22, 14, 36, 36, 206858, tzinfo=UTC)
    _, plaintext = create_api_key(uow, shop_id=shop.id, name="ERP")
    uow.commit()
    # when
    response = client.get("/api/v1/shop", headers={"Authorization": f"Bearer {plaintext}"})
    # then
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.get_json() == {
        "data": {
            "id": shop.id,
            "domain": "acme.myshopify.com",
            "name": "Acme Wholesale",
            "email": "ops@acme.example",
            "plan": "shopify_plus",
            "currency": "EUR",
            "timezone": "Europe/Berlin",
            "scopes": ["read_customers", "write_customers", "read_orders"],
            "installed_at": "2026-11-22T14:36:36.206858Z",
            "uninstalled_at": None,
        }
    }


@contextmanager
def round_trips(engine: Engine) -> Iterator[list[str]]:
    """The first word of each statement the engine's connections send while the block runs, one per round
    trip (SQLite: each statement the library runs; PostgreSQL: each message batch ending in Sync or Query).
    """
    sent: list[str] = []
    traces: list[Any] = []

    def start(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        if engine.dialect.name == "sqlite":
            dbapi_connection.set_trace_callback(lambda sql: sent.append(sql.split(None, 1)[0].upper()))
            traces.append(lambda: dbapi_connection.set_trace_callback(None))
        else:
            log = tempfile.TemporaryFile()  # noqa: SIM115  (closed by _pg_round_trips once read)
            dbapi_connection.pgconn.trace(log.fileno())
            traces.append(lambda: (dbapi_connection.pgconn.untrace(), sent.extend(_pg_round_trips(log))))

    event.listen(engine, "checkout", start)
    try:
        yield sent
    finally:
        event.remove(engine, "checkout", start)
        for stop in traces:
            stop()


def _pg_round_trips(log: Any) -> list[str]:
    """libpq's trace of frontend messages, read as round trips: Query, or Parse/Bind/.../Sync."""
    log.seek(0)
    trips: list[str] = []
    pending = "EXECUTE"
    for line in log.read().decode().splitlines():
        fields = line.split("\t")
        if len(fields) < 4 or fields[1] != "F":
            continue  # a server message, or the continuation of a multi-line statement
        message, body = fields[3], "\t".join(fields[4:])
        if message == "Query":
            trips.append(re.match(r'\s*"(\w+)', body).group(1).upper())
        elif message == "Parse":
            pending = re.match(r'\s*"[^"]*" "(\w+)', body).group(1).upper()
        elif message == "Sync":
            trips.append(pending)
            pending = "EXECUTE"
    log.close()
    return trips


@pytest.fixture
def uncached_live_app(app_config: dict[str, Any], request: pytest.FixtureRequest) -> Any:
    """`live_app` with the API key cache off: what a request costs when the key is not in memory."""
    app_config["API_AUTH_CACHE_SECONDS"] = 0
    return request.getfixturevalue("live_app")


def test_showing_the_shop_is_one_select_in_one_round_trip_outside_any_transaction(uncached_live_app):
    # given: a key whose use was just recorded, so the request has nothing to write
    db = services().db
    with db.unit_of_work() as uow:
        shop = install_shop(uow, domain="acme")
        _, plaintext = create_api_key(uow, shop_id=shop.id, name="ERP")
        uow.commit()
    client = uncached_live_app.test_client()
    auth = {"Authorization": f"Bearer {plaintext}"}
    assert client.get("/api/v1/shop", headers=auth).status_code == 200
    # when
    with round_trips(db.engine) as unit_of_work_trips, round_trips(db.reader) as read_trips:
        response = client.get("/api/v1/shop", headers=auth)
    # then: no BEGIN, no ROLLBACK, no unit of work: the authentication query is the whole request
    assert response.status_code == 200
    assert response.get_json()["data"]["domain"] == "acme.myshopify.com"
    assert read_trips == ["SELECT"]
    assert unit_of_work_trips == []
