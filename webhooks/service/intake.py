"""Webhook intake: a delivery whose signature checked out is stored in the inbox, then its processing
is enqueued once the caller commits.

Decisions, in the order they are taken (the HMAC was checked by the caller):
- a shop domain that is not a myshopify domain: 400, nothing stored;
- a shop never installed: refused with 404 and logged, nothing stored; Shopify retries for hours,
  which also covers a delivery that races the shop's first install;
- a shop that uninstalled: compliance topics (and app/uninstalled) are stored and processed as
  usual; any other topic is stored as `ignored` and acknowledged, so Shopify stops retrying it;
- a topic with no handler: stored as `ignored` and acknowledged (200), never processed;
- a body that is not a JSON object: stored once as `failed` with the reason, so it shows in the
  webhook log, and answered 400 with the reason. Shopify retries a non-2xx answer (8 times over
  4 hours, each with the same bytes): every retry finds the stored row and gets the same 400, so
  nothing more is stored and Shopify's delivery metrics show the failure to the app's developer;
- a repeated delivery (same shop and X-Shopify-Webhook-Id): 200, nothing new, no second job;
- otherwise: stored as `received`, answered 200, and processed by a job on the "webhooks" queue:
  its own (job id from the inbox id), or the one its shop already has queued, which takes every
  pending delivery of the shop (webhooks.service.queueing). When Redis is down nothing can be
  enqueued: the delivery is still committed and answered 200, and the sweeper enqueues it later.
"""

from __future__ import annotations

import enum
import json
import logging
from contextlib import nullcontext
from dataclasses import dataclass
from functools import cache
from typing import Any

import orjson
from sqlalchemy import Text, bindparam, case, cast, literal_column, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from app.db import Database, DirectExecute, UnitOfWork, autocommit_connection, utcnow
from app.db.prepared import PreparedWrite, direct_connections
from app.errors import InvalidInput
from app.models import Shop
from app.shops import normalize_shop_domain
from webhooks import registry
from webhooks.models import DeliveryStatus, WebhookDelivery
from webhooks.rules import DeliveryHeaders, parse_triggered_at
from webhooks.service import queueing

log = logging.getLogger(__name__)

# Shopify's largest payloads (orders with hundreds of lines) stay well below this; anything bigger
# is refused before it is read.
MAX_BODY_BYTES = 10 * 1024 * 1024


class Outcome(enum.StrEnum):
    """What the intake did with a delivery."""

    STORED = "stored"  # new, received, processing enqueued
    DUPLICATE = "duplicate"  # seen before: nothing done
    IGNORED = "ignored"  # stored, acknowledged, not processed (unknown topic, uninstalled shop)
    MALFORMED = "malformed"  # stored as failed: the body is not a JSON object
    UNKNOWN_SHOP = "unknown_shop"  # refused: no installed shop has this domain
    INVALID_SHOP = "invalid_shop"  # refused: the shop header is not a myshopify domain


@dataclass(frozen=True)
class Receipt:
    """The intake's answer: the HTTP status to send, why, and the inbox row when one exists."""

    outcome: Outcome
    status: int
    detail: str
    delivery_id: int | None = None


def receive_delivery(
    uow: UnitOfWork, *, headers: DeliveryHeaders, body: bytes, enqueue: bool = True
) -> Receipt:
    """Store a verified delivery in the unit of work (the caller commits); its processing is requested
    after the commit. The HTTP intake uses `receive` instead: the same store without a session."""
    receipt, shop_id = store_delivery(_connection(uow), headers=headers, body=body)
    if enqueue and receipt.outcome is Outcome.STORED:
        assert receipt.delivery_id is not None and shop_id is not None
        queueing.enqueue_new_delivery(uow, shop_id=shop_id, delivery_id=receipt.delivery_id)
    return receipt


def receive(db: Database, *, headers: DeliveryHeaders, body: bytes, enqueue: bool = True) -> Receipt:
    """Store a verified delivery with its one statement, committed on its own, then request its processing.

    No session or transaction: the INSERT .. SELECT is atomic by itself, so on an autocommit
    connection it is one round trip, and the row is committed when it returns, before the
    processing is requested and before the answer is sent. On PostgreSQL (not bound to a test's
    connection) it runs prepared on this thread's libpq connection (`app.db.prepared`); elsewhere on
    `app.db.autocommit_connection`.
    """
    direct = direct_connections(db)
    if direct is None:
        with autocommit_connection(db) as connection:
            receipt, shop_id = store_delivery(connection, headers=headers, body=body)
    else:
        pending = _pending(headers, body)
        if isinstance(pending, Receipt):
            receipt, shop_id = pending, None
        else:
            inserted = direct.first(_prepared_insert(), pending.params)
            with nullcontext() if inserted is not None else autocommit_connection(db) as connection:
                receipt, shop_id = _conclude(connection, pending, headers, inserted)
    if enqueue and receipt.outcome is Outcome.STORED:
        assert receipt.delivery_id is not None and shop_id is not None
        queueing.request_processing(shop_id=shop_id, delivery_id=receipt.delivery_id)
    return receipt


@dataclass(frozen=True)
class _Pending:
    """A verified delivery ready to store: the statement's parameters and what decides the answer."""

    domain: str
    params: dict[str, Any]
    malformed: str | None
    note: str | None
    late_note: str | None
    status: DeliveryStatus


def store_delivery(
    connection: Connection, *, headers: DeliveryHeaders, body: bytes
) -> tuple[Receipt, int | None]:
    """Store a verified delivery on the connection: the receipt, and the shop's id when a row was stored.

    The shop lookup and the insert are one statement (INSERT .. SELECT FROM app_shop .. ON CONFLICT
    DO NOTHING): a new delivery costs one round trip. Only when nothing was inserted does a second
    query tell a shop that never installed from a repeated delivery.
    """
    pending = _pending(headers, body)
    if isinstance(pending, Receipt):
        return pending, None
    inserted = _insert_statement(connection.dialect.name).first(connection, pending.params)
    return _conclude(connection, pending, headers, inserted)


def _pending(headers: DeliveryHeaders, body: bytes) -> _Pending | Receipt:
    """What to store for the delivery, or the refusal when its shop header is not a shop domain."""
    assert headers.topic and headers.webhook_id and headers.api_version
    try:
        domain = normalize_shop_domain(headers.shop_domain)
    except InvalidInput:
        return Receipt(Outcome.INVALID_SHOP, 400, "X-Shopify-Shop-Domain is not a myshopify.com domain")
    route = registry.route_for(headers.topic)
    payload_text, malformed = _payload_text(body)
    status, note = DeliveryStatus.RECEIVED, None
    if malformed:
        status, note = DeliveryStatus.FAILED, malformed
    elif route is None:
        status, note = DeliveryStatus.IGNORED, f"no handler for topic {headers.topic}"
    # What is stored instead when the shop has uninstalled the app.
    late_status, late_note = status, note
    if (
        status is DeliveryStatus.RECEIVED
        and route is not None
        and not registry.accepted_after_uninstall(route)
    ):
        late_status, late_note = DeliveryStatus.IGNORED, "the shop had uninstalled the app"
    now = utcnow()
    params = {
        "domain": domain,
        "webhook_id": headers.webhook_id,
        "topic": headers.topic,
        "event_id": headers.event_id,
        "triggered_at": parse_triggered_at(headers.triggered_at),
        "api_version": headers.api_version,
        "payload_text": payload_text,
        "received_at": now,
        "status": status,
        "last_error": note,
        "processed_at": now if status is DeliveryStatus.IGNORED else None,
        "late_status": late_status,
        "late_last_error": late_note,
        "late_processed_at": now if late_status is DeliveryStatus.IGNORED else None,
    }
    return _Pending(domain, params, malformed, note, late_note, status)


def _conclude(
    connection: Connection | None,
    pending: _Pending,
    headers: DeliveryHeaders,
    inserted: tuple[Any, ...] | None,
) -> tuple[Receipt, int | None]:
    """The receipt for what the INSERT returned; when it inserted nothing, `connection` tells why."""
    domain, malformed = pending.domain, pending.malformed
    if inserted is None:
        assert connection is not None
        shop = connection.execute(_shop_query(), {"domain": domain}).first()
        if shop is None or shop.installed_at is None:
            log.warning(
                "webhook %s (%s) refused: shop %s is not installed", headers.webhook_id, headers.topic, domain
            )
            return Receipt(Outcome.UNKNOWN_SHOP, 404, f"{domain} has not installed this app"), None
        if malformed:
            return Receipt(Outcome.MALFORMED, 400, malformed), None
        return Receipt(Outcome.DUPLICATE, 200, "duplicate delivery"), None
    row_id, shop_id, stored = inserted[0], inserted[1], DeliveryStatus(inserted[2])
    if malformed:
        log.warning(
            "webhook %s (%s) for %s is malformed: %s", headers.webhook_id, headers.topic, domain, malformed
        )
        return Receipt(Outcome.MALFORMED, 400, malformed, row_id), shop_id
    if stored is DeliveryStatus.IGNORED:
        reason = pending.note if pending.status is DeliveryStatus.IGNORED else pending.late_note
        log.info(
            "webhook %s (%s) for %s stored as ignored: %s", headers.webhook_id, headers.topic, domain, reason
        )
        return Receipt(Outcome.IGNORED, 200, reason or "ignored", row_id), shop_id
    return Receipt(Outcome.STORED, 200, "stored", row_id), shop_id


def _connection(uow: UnitOfWork) -> Connection:
    """The unit of work's connection, in autocommit mode on a PostgreSQL engine.

    The intake writes one row with one statement, which is atomic on its own: in autocommit mode
    it is one round trip, where a transaction adds a BEGIN and a COMMIT round trip for nothing.
    The caller's commit then sends nothing. A session bound to an outer connection (the tests'
    transaction per test) keeps that transaction.
    """
    session = uow.session
    if isinstance(session.bind, Engine) and session.bind.dialect.name == "postgresql":
        return session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    return session.connection()


def _payload_text(body: bytes) -> tuple[str | None, str | None]:
    """(the body as JSON text to store, None) or (None, why it is not a JSON object)."""
    try:
        payload: Any = orjson.loads(body)
    except orjson.JSONDecodeError:
        # orjson is stricter (integers beyond 64 bits, NaN): json decides, and words the refusal.
        try:
            payload = json.loads(body)
        except (ValueError, RecursionError) as exc:
            return None, f"the body is not JSON: {str(exc)[:200]}"
    if not isinstance(payload, dict):
        return None, f"the body is JSON but not an object (a {type(payload).__name__})"
    try:
        # Stored as the bytes Shopify sent (no re-serialisation); JSON text is UTF-8 in practice.
        return body.decode("utf-8"), None
    except UnicodeDecodeError:
        return json.dumps(payload), None


@cache
def _shop_query() -> Any:
    table = Shop.__table__
    return select(table.c.id, table.c.installed_at, table.c.uninstalled_at).where(
        table.c.domain == bindparam("domain")
    )


@cache
def _prepared_insert() -> PreparedWrite:
    """The PostgreSQL insert as `app.db.prepared` runs it (prepared once per connection)."""
    return PreparedWrite(_insert_statement("postgresql"))


@cache
def _insert_statement(dialect: str) -> DirectExecute:
    """INSERT .. SELECT (the shop, by domain) .. ON CONFLICT (shop_id, webhook_id) DO NOTHING RETURNING,
    run on the DBAPI cursor (DirectExecute: none of SQLAlchemy's per-execution objects).

    Inserts nothing for a shop that never installed. Columns that depend on whether the shop has
    uninstalled take the `late_*` parameters then. The payload is bound as the JSON text received
    (cast to json on PostgreSQL), so the intake never serialises a parsed payload back to JSON.
    """
    table = WebhookDelivery.__table__
    shop = Shop.__table__
    uninstalled = shop.c.uninstalled_at.is_not(None)

    def param(name: str, column: str | None = None) -> Any:
        column_type = table.c[column or name].type
        value = bindparam(name, type_=column_type)
        # PostgreSQL types a SELECT list before the INSERT sees it: an untyped parameter is text, which
        # no enum column takes. SQLite must not cast (CAST AS DATETIME turns text into a number).
        return cast(value, column_type) if dialect == "postgresql" else value

    def by_install(name: str) -> Any:
        return case((uninstalled, param(f"late_{name}", name)), else_=param(name))

    text = bindparam("payload_text", type_=Text())
    columns = {
        "shop_id": shop.c.id,
        "webhook_id": param("webhook_id"),
        "topic": param("topic"),
        "event_id": param("event_id"),
        "triggered_at": param("triggered_at"),
        "api_version": param("api_version"),
        "payload": cast(text, postgresql.JSON()) if dialect == "postgresql" else text,
        "status": by_install("status"),
        "attempts": literal_column("0"),
        "last_error": by_install("last_error"),
        "received_at": param("received_at"),
        "processed_at": by_install("processed_at"),
    }
    rows = select(*columns.values()).where(
        shop.c.domain == bindparam("domain"), shop.c.installed_at.is_not(None)
    )
    insert = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
    return DirectExecute(
        insert.from_select(list(columns), rows)
        .on_conflict_do_nothing(index_elements=["shop_id", "webhook_id"])
        # The status comes back as text: psycopg looks an enum's type up on every result it describes.
        .returning(table.c.id, table.c.shop_id, cast(table.c.status, Text).label("status"))
    )
