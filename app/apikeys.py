"""API key use cases: issue a key (shown once), list, revoke, and authenticate a request's key."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import string
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.orm.attributes import set_committed_value

from app.db import UnitOfWork, utcnow
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
# Built once: every API request runs it, and building a statement costs more than running this one.
_KEY_WITH_SHOP = (
    select(ApiKey, Shop).join(Shop, Shop.id == ApiKey.shop_id).where(ApiKey.prefix == bindparam("prefix"))
)


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


def authenticate(uow: UnitOfWork, raw_key: str) -> ApiKey:
    """The live key matching `raw_key`, else Unauthorized (or Forbidden when its shop is uninstalled).

    Read-only: `record_use` records the use, in a transaction of its own.
    """
    return authenticate_request(uow, raw_key).key


def authenticate_request(uow: UnitOfWork, raw_key: str) -> Authentication:
    """`authenticate`, with the key's shop and whether `record_use` is due (at most once a minute)."""
    match = KEY_RE.match(raw_key)
    if match is None:
        raise Unauthorized(
            "The API key is malformed: expected tl_<prefix>_<secret>, as `tradeline api-keys create` prints."
        )
    # One query loads the key and its shop; while the caller holds the shop, reading it again in the same
    # unit of work (`get_shop`) is an identity-map hit, not a second query.
    row = uow.session.execute(_KEY_WITH_SHOP, {"prefix": match.group(1)}).one_or_none()
    # compare_digest keeps the comparison time independent of where the digests differ.
    if row is None or not hmac.compare_digest(row.ApiKey.digest, key_digest(raw_key)):
        raise Unauthorized("The API key is not valid.")
    key: ApiKey = row.ApiKey
    shop: Shop = row.Shop
    if key.revoked_at is not None:
        raise Unauthorized(f"The API key {key.prefix} was revoked on {key.revoked_at.isoformat()}.")
    if not shop.is_installed:
        raise Forbidden(
            f"The shop {shop.domain} has uninstalled Tradeline; its API keys work again once it reinstalls."
        )
    use_due = key.last_used_at is None or utcnow() - key.last_used_at >= LAST_USED_RESOLUTION
    return Authentication(key=key, shop=shop, use_due=use_due)


def record_use(uow: UnitOfWork, *, key: ApiKey) -> bool:
    """Set the key's last_used_at to now unless another request did so within LAST_USED_RESOLUTION.

    Run it as the first statement of a transaction, then commit: on SQLite a transaction that read
    before it writes cannot wait for a concurrent writer and fails with "database is locked" instead.
    """
    now = utcnow()
    # The condition makes concurrent requests at the minute boundary write once, the others no-ops.
    result = uow.session.execute(
        update(ApiKey)
        .where(
            ApiKey.id == key.id,
            or_(ApiKey.last_used_at.is_(None), ApiKey.last_used_at <= now - LAST_USED_RESOLUTION),
        )
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount:
        # Reflect the write on the loaded row without marking it dirty (which would UPDATE it again).
        set_committed_value(key, "last_used_at", now)
    return bool(result.rowcount)
