"""API key use cases: issue a key (shown once), list, revoke, and authenticate a request's key."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import string
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, or_, select, update
from sqlalchemy.orm.attributes import set_committed_value

from app.auth_cache import watch
from app.db import Database, DirectSelect, UnitOfWork, utcnow
from app.errors import Forbidden, InvalidInput, NotFound, Unauthorized
from app.models import ApiKey, Shop

KEY_SCHEME = "tl"
PREFIX_LENGTH_CHARS = 12
# Letters and digits only, so the prefix never contains the `_` that separates the key's parts.
PREFIX_ALPHABET = string.ascii_letters + string.digits
SECRET_BYTES = 32
# secrets.token_urlsafe(32) is 43 characters of the base64url alphabet.
KEY_RE = re.compile(rf"^{KEY_SCHEME}_([A-Za-z0-9]{{{PREFIX_LENGTH_CHARS}}})_([A-Za-z0-9_-]{{43,128}})$")
NAME_MAX_CHARS = 255
# last_used_at is written at most this often per key, so authenticated reads stay read-only.
LAST_USED_RESOLUTION = timedelta(minutes=1)
# One answer for an unknown prefix and a wrong secret, so a caller cannot tell which prefixes exist.
INVALID_KEY_DETAIL = "The API key is not valid."
# Built once: every API request runs it, and building a statement costs more than running this one.
_KEY_WITH_SHOP = (
    select(ApiKey, Shop).join(Shop, Shop.id == ApiKey.shop_id).where(ApiKey.prefix == bindparam("prefix"))
)
_key_table, _shop_table = ApiKey.__table__, Shop.__table__
# The same lookup for `authenticate_key`, which every API request runs: the columns it needs as a plain
# tuple (in the order unpacked there), with no session, ORM instances or per-execution statement objects.
_KEY_AND_SHOP_COLUMNS = DirectSelect(
    select(
        _key_table.c.id,
        _key_table.c.digest,
        _key_table.c.last_used_at,
        _key_table.c.revoked_at,
        _shop_table.c.id,
        _shop_table.c.domain,
        _shop_table.c.name,
        _shop_table.c.email,
        _shop_table.c.plan,
        _shop_table.c.currency,
        _shop_table.c.timezone,
        _shop_table.c.scopes,
        _shop_table.c.installed_at,
        _shop_table.c.uninstalled_at,
    )
    .join_from(_key_table, _shop_table, _shop_table.c.id == _key_table.c.shop_id)
    .where(_key_table.c.prefix == bindparam("prefix"))
)


# Where last_used_at is in a row of that statement.
_LAST_USED_COLUMN = 2
# Commits to keys and shops empty this process's key cache at once (other processes learn through
# PostgreSQL notifications).
watch(ApiKey, Shop)


def key_digest(raw_key: str) -> str:
    """The hex SHA-256 of a whole key, as stored."""
    # A fast hash is right here: the key carries 256 random bits, so unlike a password it cannot be
    # brute-forced from its digest, and a slow KDF would only add a CPU cost to every API request.
    return hashlib.sha256(raw_key.encode()).hexdigest()


def _new_prefix() -> str:
    return "".join(secrets.choice(PREFIX_ALPHABET) for _ in range(PREFIX_LENGTH_CHARS))


def create_api_key(uow: UnitOfWork, *, shop_id: int, name: str) -> tuple[ApiKey, str]:
    """Issue a key for the shop; the plaintext is returned once and never stored."""
    name = name.strip()
    if not name:
        raise InvalidInput("an API key needs a name (what will use it, e.g. 'ERP sync')")
    if len(name) > NAME_MAX_CHARS:
        raise InvalidInput(f"an API key name is at most {NAME_MAX_CHARS} characters")
    if uow.session.get(Shop, shop_id) is None:
        raise NotFound(f"shop {shop_id} not found")
    # 62**12 prefixes make a clash vanishingly rare; checking first keeps it from ever being a 500.
    prefix = _new_prefix()
    while uow.session.scalar(select(ApiKey.id).where(ApiKey.prefix == prefix)) is not None:
        prefix = _new_prefix()
    plaintext = f"{KEY_SCHEME}_{prefix}_{secrets.token_urlsafe(SECRET_BYTES)}"
    key = ApiKey(shop_id=shop_id, name=name, prefix=prefix, digest=key_digest(plaintext))
    uow.session.add(key)
    uow.session.flush()
    return key, plaintext


def list_api_keys(uow: UnitOfWork, *, shop_id: int) -> list[ApiKey]:
    """The shop's keys, revoked ones included, oldest first."""
    return list(
        uow.session.scalars(
            select(ApiKey).where(ApiKey.shop_id == shop_id).order_by(ApiKey.created_at, ApiKey.id)
        )
    )


def revoke_api_key(uow: UnitOfWork, *, shop_id: int, prefix: str) -> ApiKey:
    """Revoke the shop's key with this prefix (idempotent); another shop's prefix is NotFound."""
    key = uow.session.scalar(select(ApiKey).where(ApiKey.shop_id == shop_id, ApiKey.prefix == prefix))
    if key is None:
        raise NotFound(f"no API key with prefix {prefix!r} for this shop")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        uow.session.flush()
    return key


@dataclass(frozen=True)
class Authentication:
    """A live key, its shop (loaded by the same query) and whether its use is due to be recorded."""

    key: ApiKey
    shop: Shop
    use_due: bool


@dataclass(frozen=True, slots=True)
class ApiShop:
    """The shop of an authenticated API key, as read with the key: plain values, tied to no session."""

    id: int
    domain: str
    name: str
    email: str | None
    plan: str | None
    currency: str
    timezone: str
    scopes: str
    installed_at: datetime | None
    uninstalled_at: datetime | None


@dataclass(frozen=True, slots=True)
class ApiCaller:
    """Who an API request acts as: a live key, its shop, and whether `record_key_use` is due."""

    key_id: int
    key_prefix: str
    shop: ApiShop
    use_due: bool


def _key_prefix(raw_key: str) -> str:
    match = KEY_RE.match(raw_key)
    if match is None:
        raise Unauthorized(
            "The API key is malformed: expected tl_<prefix>_<secret>, as `tradeline api-keys create` prints."
        )
    return match.group(1)


def _refuse_unless_live(
    raw_key: str,
    *,
    prefix: str,
    digest: str,
    revoked_at: datetime | None,
    shop_domain: str,
    shop_installed: bool,
) -> None:
    """Unauthorized unless the digest matches a live key; Forbidden when its shop is uninstalled."""
    # compare_digest keeps the comparison time independent of where the digests differ.
    if not hmac.compare_digest(digest, key_digest(raw_key)):
        raise Unauthorized(INVALID_KEY_DETAIL)
    if revoked_at is not None:
        raise Unauthorized(f"The API key {prefix} was revoked on {revoked_at.isoformat()}.")
    if not shop_installed:
        raise Forbidden(
            f"The shop {shop_domain} has uninstalled Tradeline; its API keys work again once it reinstalls."
        )


def _use_due(last_used_at: datetime | None) -> bool:
    return last_used_at is None or utcnow() - last_used_at >= LAST_USED_RESOLUTION


def authenticate(uow: UnitOfWork, raw_key: str) -> ApiKey:
    """The live key matching `raw_key`, else Unauthorized (or Forbidden when its shop is uninstalled).

    Read-only: `record_use` records the use, in a transaction of its own.
    """
    return authenticate_request(uow, raw_key).key


def authenticate_request(uow: UnitOfWork, raw_key: str) -> Authentication:
    """`authenticate`, with the key's shop and whether `record_use` is due (at most once a minute)."""
    prefix = _key_prefix(raw_key)
    # One query loads the key and its shop; while the caller holds the shop, reading it again in the same
    # unit of work (`get_shop`) is an identity-map hit, not a second query.
    row = uow.session.execute(_KEY_WITH_SHOP, {"prefix": prefix}).one_or_none()
    if row is None:
        raise Unauthorized(INVALID_KEY_DETAIL)
    key: ApiKey = row.ApiKey
    shop: Shop = row.Shop
    _refuse_unless_live(
        raw_key,
        prefix=prefix,
        digest=key.digest,
        revoked_at=key.revoked_at,
        shop_domain=shop.domain,
        shop_installed=shop.is_installed,
    )
    return Authentication(key=key, shop=shop, use_due=_use_due(key.last_used_at))


def authenticate_key(connection: Connection, raw_key: str) -> ApiCaller:
    """`authenticate_request` as one statement on `connection` (see `Database.read_connection`).

    The same checks and refusals, with the key's shop as plain values: what every API request runs, so
    it costs one statement, and no session, transaction of its own or ORM instances.
    """
    prefix = _key_prefix(raw_key)
    return _check_key(raw_key, prefix, read_key(connection, prefix))


def authenticate_cached(db: Database, raw_key: str) -> ApiCaller:
    """`authenticate_key`, answered from `db.auth_cache` while nothing it read has changed.

    On PostgreSQL a process reads a key once and then from memory until a key or shop changes
    (app/auth_cache.py says how that is noticed); elsewhere it is `authenticate_key` on a read connection.
    """
    prefix = _key_prefix(raw_key)

    def load() -> tuple[Any, ...] | None:
        with db.read_connection() as connection:
            return read_key(connection, prefix)

    return _check_key(raw_key, prefix, db.auth_cache.lookup(prefix, load))


def read_key(connection: Connection, prefix: str) -> tuple[Any, ...] | None:
    """The columns `_check_key` needs for the key with this prefix and its shop, or None."""
    return _KEY_AND_SHOP_COLUMNS.first(connection, {"prefix": prefix})


def _check_key(raw_key: str, prefix: str, row: tuple[Any, ...] | None) -> ApiCaller:
    if row is None:
        raise Unauthorized(INVALID_KEY_DETAIL)
    key_id, digest, last_used_at, revoked_at, *shop_values = row
    shop = ApiShop(*shop_values)
    _refuse_unless_live(
        raw_key,
        prefix=prefix,
        digest=digest,
        revoked_at=revoked_at,
        shop_domain=shop.domain,
        # Shop.is_installed, on the plain values.
        shop_installed=shop.installed_at is not None and shop.uninstalled_at is None,
    )
    return ApiCaller(key_id=key_id, key_prefix=prefix, shop=shop, use_due=_use_due(last_used_at))


def remember_key_use(db: Database, caller: ApiCaller) -> None:
    """Record the caller's use (see `record_key_use`) and let this process's cache know it was recorded."""
    with db.unit_of_work() as uow:
        record_key_use(uow, key_id=caller.key_id)
        uow.commit()
    db.auth_cache.replace(caller.key_prefix, _LAST_USED_COLUMN, utcnow())


def record_key_use(uow: UnitOfWork, *, key_id: int) -> bool:
    """Set the key's last_used_at to now unless another request did so within LAST_USED_RESOLUTION.

    Run it as the first statement of a transaction, then commit: on SQLite a transaction that read
    before it writes cannot wait for a concurrent writer and fails with "database is locked" instead.
    """
    return _record_use(uow, key_id=key_id, now=utcnow())


def record_use(uow: UnitOfWork, *, key: ApiKey) -> bool:
    """`record_key_use` for a loaded key, whose last_used_at then shows the write."""
    now = utcnow()
    written = _record_use(uow, key_id=key.id, now=now)
    if written:
        # Reflect the write on the loaded row without marking it dirty (which would UPDATE it again).
        set_committed_value(key, "last_used_at", now)
    return written


def _record_use(uow: UnitOfWork, *, key_id: int, now: datetime) -> bool:
    # The condition makes concurrent requests at the minute boundary write once, the others no-ops.
    result = uow.session.execute(
        update(ApiKey)
        .where(
            ApiKey.id == key_id,
            or_(ApiKey.last_used_at.is_(None), ApiKey.last_used_at <= now - LAST_USED_RESOLUTION),
        )
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)
