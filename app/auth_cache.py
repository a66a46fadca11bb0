"""A per-process cache of API key lookups that PostgreSQL invalidates the moment a key or shop changes.

Every API request authenticates its key. Reading the key and its shop is one statement, but on
PostgreSQL that statement, its round trip and the pool checkout around it cost more than the rest of
the request (BENCHMARKS.md, "GET /api/v1/shop"). So a web process keeps what it read, and keeps it only
as long as it is true:

- Triggers (migration 0014) run `pg_notify('tradeline_auth', <table>)` when a statement changes what
  authentication reads: an API key's digest, prefix, shop or revocation, or a shop's identity and
  install state (and on every DELETE or TRUNCATE of either table). A notification is sent when its
  transaction commits, to every listening connection.
- Each process holds one extra connection that LISTENs on that channel. Before every lookup the cache
  polls that connection's socket without blocking (one `select` call, no round trip); any notification
  empties the cache. A write committed in this process (a revocation in the admin, say) empties it at
  once (`watch`), without waiting for the notification.
- An entry is also dropped after `max_age` seconds (API_AUTH_CACHE_SECONDS), and the cache is off while
  the listening connection is down (every lookup then reads the database, and a reconnect empties the
  cache, since notifications may have been missed).

What a cached lookup can miss: a change committed by another process whose notification has not yet
reached this process's socket: the time PostgreSQL takes to signal its listening backends, measured in
`tests/integration/test_api_auth_cache.py`. A miss is never cached, so a new key works at once.
SQLite has no notifications; there the cache is off and every request reads the database.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import threading
import time
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from psycopg.pq import ConnStatus
from sqlalchemy import event
from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from app.db import Database

log = logging.getLogger(__name__)

CHANNEL = "tradeline_auth"
# After the listening connection fails, how long to read the database before trying to listen again.
RECONNECT_AFTER_SECONDS = 5.0
# Reads of the listening socket per lookup; more than this many readable in a row is a closed socket.
_MAX_READS_PER_DRAIN = 8

Row = tuple[Any, ...]


class AuthCache:
    """Key lookups by prefix, kept while no change to keys or shops has been notified (PostgreSQL only)."""

    def __init__(self, db: Database, *, max_age: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._db = db
        self.max_age = max_age
        self._clock = clock
        self._entries: dict[str, tuple[float, Row]] = {}
        self._listener: Any = None  # the driver's (psycopg) connection that LISTENs
        self._pid: int | None = None
        self._retry_at = 0.0
        # Bumped by every invalidation, so a lookup that raced a change does not store what it read.
        self.generation = 0
        # Guards everything above for gthread workers: one thread at a time reads the listening socket,
        # connects, or changes the entries. Never held while a lookup reads the database.
        self._lock = threading.Lock()
        _CACHES.add(self)

    @property
    def enabled(self) -> bool:
        """Whether lookups may be served from memory: PostgreSQL, not under a test's bound connection."""
        return self.max_age > 0 and not self._db.bound and self._db.engine.dialect.name == "postgresql"

    def lookup(self, prefix: str, load: Callable[[], Row | None]) -> Row | None:
        """The row for `prefix`, from memory when still valid, else from `load()` (and then remembered)."""
        with self._lock:
            if not self._listening():
                generation = None
            else:
                now = self._clock()
                hit = self._entries.get(prefix)
                if hit is not None and now - hit[0] < self.max_age:
                    return hit[1]
                generation = self.generation
        row = load()
        if row is None or generation is None:
            return row
        with self._lock:
            # A change committed while `load` ran may have been read or not: store nothing if one was
            # notified (by this thread's drain here, or by another thread's since).
            if self._listening() and generation == self.generation:
                self._entries[prefix] = (now, row)
        return row

    def replace(self, prefix: str, index: int, value: Any) -> None:
        """Set one column of a remembered row (this process's own write of a column nobody listens to)."""
        with self._lock:
            hit = self._entries.get(prefix)
            if hit is not None:
                row = list(hit[1])
                row[index] = value
                self._entries[prefix] = (hit[0], tuple(row))

    def invalidate(self) -> None:
        """Forget every remembered lookup."""
        with self._lock:
            self._forget()

    def close(self) -> None:
        """Stop listening (only a connection this process opened) and forget everything."""
        with self._lock:
            if self._listener is not None and self._pid == os.getpid():
                self._listener.close()
            self._listener = None
            self._forget()

    def _forget(self) -> None:
        """Forget every remembered lookup (the lock held)."""
        self._entries.clear()
        self.generation += 1

    def _listening(self) -> bool:
        """Whether the cache may be used now; drains pending notifications first (the lock held)."""
        if not self.enabled:
            return False
        if (self._listener is None or self._pid != os.getpid()) and not self._connect():
            return False
        try:
            self._drain()
        except Exception as exc:
            self._lost(exc)
            return False
        return True

    def _drain(self) -> None:
        """Read what the server sent, if anything; any notification empties the cache."""
        pgconn = self._listener.pgconn
        socket = pgconn.socket
        # Readable again after reading means the server closed the connection (EOF stays readable):
        # then consume_input raises, or the status is no longer OK.
        for _ in range(_MAX_READS_PER_DRAIN):
            readable, _, _ = select.select([socket], [], [], 0)
            if not readable:
                break
            pgconn.consume_input()
            if pgconn.status != ConnStatus.OK:
                raise ConnectionError(pgconn.error_message.decode(errors="replace") or "connection closed")
            notified = False
            while pgconn.notifies() is not None:
                notified = True
            if notified:
                self._forget()
        else:
            raise ConnectionError("the listening connection stays readable: treating it as closed")

    def _connect(self) -> bool:
        # A connection inherited through fork belongs to the parent: forget it without closing it.
        self._listener, self._pid = None, os.getpid()
        self._forget()
        if self._clock() < self._retry_at:
            return False
        try:
            pooled = self._db.reader.raw_connection()
            listener = pooled.driver_connection
            pooled.detach()  # ours for the life of the process, never returned to the pool
            listener.autocommit = True
            listener.execute(f"LISTEN {CHANNEL}")
        except Exception as exc:
            self._lost(exc)
            return False
        self._listener = listener
        return True

    def _lost(self, exc: Exception) -> None:
        log.warning(
            "API auth cache off for %.0f s: cannot listen for key changes (%s)",
            RECONNECT_AFTER_SECONDS,
            exc.__class__.__name__,
        )
        if self._listener is not None:
            with contextlib.suppress(Exception):
                self._listener.close()
        self._listener = None
        self._retry_at = self._clock() + RECONNECT_AFTER_SECONDS
        self._forget()


def watch(*models: type) -> None:
    """Have every cache of this process emptied when a session commits a change to one of `models`.

    The triggers notify every process, this one included, but only asynchronously: this makes a
    process's own writes (a key revoked in the admin, say) take effect for its very next request.
    """
    global _WATCHED
    _WATCHED = (*_WATCHED, *(m for m in models if m not in _WATCHED))


_WATCHED: tuple[type, ...] = ()
_CACHES: weakref.WeakSet[AuthCache] = weakref.WeakSet()


@event.listens_for(Session, "after_flush")
def _note_changes(session: Session, _context: Any) -> None:
    if _WATCHED and any(
        isinstance(instance, _WATCHED) for instance in (*session.new, *session.dirty, *session.deleted)
    ):
        session.info["auth_changed"] = True


@event.listens_for(Session, "after_commit")
def _invalidate_caches(session: Session) -> None:
    if session.info.pop("auth_changed", False):
        for cache in list(_CACHES):
            cache.invalidate()


@event.listens_for(Session, "after_rollback")
def _forget_changes(session: Session) -> None:
    session.info.pop("auth_changed", None)
