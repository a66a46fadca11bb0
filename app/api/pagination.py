"""Keyset (cursor) pagination for API lists: `limit`/`cursor` parsing and one `paginate` call per list."""

from __future__ import annotations

import base64
import binascii
import enum
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Generic, TypeVar
from uuid import UUID

from sqlalchemy import Select, literal, tuple_
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeDecorator

from app.api.problems import InvalidParameter

DEFAULT_LIMIT = 50
MAX_LIMIT = 250
CURSOR_PROBLEM = (
    "The cursor is not one this API issued: pass next_cursor from the previous page unchanged, "
    "or leave cursor out for the first page."
)

T = TypeVar("T")


@dataclass(frozen=True)
class PageArgs:
    """The validated `limit` and `cursor` query parameters of a list request."""

    limit: int = DEFAULT_LIMIT
    cursor: str | None = None


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list and the cursor of the next one (None on the last page)."""

    items: list[T]
    next_cursor: str | None


def page_args(args: Mapping[str, str]) -> PageArgs:
    """`limit` (default 50, 1..250) and `cursor` from query parameters, else InvalidParameter."""
    raw_limit = args.get("limit")
    limit = DEFAULT_LIMIT
    if raw_limit is not None:
        # Plain digits only: int() would also take " 7", "+7" and "1_0".
        if not (raw_limit.isascii() and raw_limit.isdigit()):
            raise InvalidParameter(
                "limit", f"limit must be an integer from 1 to {MAX_LIMIT}; got {_shown(raw_limit)}."
            )
        digits = raw_limit.lstrip("0") or "0"
        # The length check keeps int() away from strings of thousands of digits.
        if len(digits) > len(str(MAX_LIMIT)) or not 1 <= int(digits) <= MAX_LIMIT:
            raise InvalidParameter("limit", f"limit must be from 1 to {MAX_LIMIT}; got {_shown(raw_limit)}.")
        limit = int(digits)
    # An empty cursor is a client that had no next_cursor to pass: the first page.
    return PageArgs(limit=limit, cursor=args.get("cursor") or None)


def paginate(
    session: Session,
    stmt: Select[Any],
    *,
    key_columns: Sequence[ColumnElement[Any]],
    limit: int,
    cursor: str | None,
    descending: bool = False,
) -> Page[Any]:
    """Run `stmt` one page at a time, ordered by `key_columns` (all ascending, or all descending).

    The key columns must be NOT NULL and, together, unique (end with the primary key as the tie-breaker),
    so every row appears exactly once across pages even when rows are inserted between requests. The
    statement's own ORDER BY is replaced by the key order. Items are what the statement selects: the entity
    for `select(Model)`, a tuple for several columns.
    """
    if not key_columns:
        raise ValueError("paginate needs at least one key column")
    order = [col.desc() if descending else col.asc() for col in key_columns]
    page_stmt = stmt.order_by(None).order_by(*order)
    if cursor is not None:
        values = decode_cursor(cursor, [_python_type(col) for col in key_columns])
        after = tuple_(*[literal(value, col.type) for col, value in zip(key_columns, values, strict=True)])
        # A row-value comparison reads as one index range scan on PostgreSQL (and works on SQLite >= 3.15).
        key = tuple_(*key_columns)
        page_stmt = page_stmt.where(key < after if descending else key > after)
    width = len(stmt.column_descriptions)
    labels = [col.label(f"page_key_{i}") for i, col in enumerate(key_columns)]
    # One row more than asked tells whether another page exists without a COUNT.
    rows = session.execute(page_stmt.add_columns(*labels).limit(limit + 1)).all()
    has_more = len(rows) > limit
    rows = rows[:limit]
    items = [row[0] if width == 1 else tuple(row[:width]) for row in rows]
    next_cursor = encode_cursor(list(rows[-1][width:])) if has_more else None
    return Page(items=items, next_cursor=next_cursor)


def encode_cursor(values: Sequence[Any]) -> str:
    """The opaque cursor for a row's key values: base64url of a small typed JSON array."""
    payload = json.dumps([_encode_value(v) for v in values], separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).rstrip(b"=").decode()


def decode_cursor(cursor: str, types: Sequence[type | None]) -> list[Any]:
    """The key values in `cursor`, checked against the key columns' types, else InvalidParameter."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        payload = json.loads(raw.decode())
        if not isinstance(payload, list) or len(payload) != len(types):
            raise ValueError("wrong shape")
        return [_decode_value(item, expected) for item, expected in zip(payload, types, strict=True)]
    except (binascii.Error, UnicodeDecodeError, ValueError, TypeError, ArithmeticError):
        # JSONDecodeError is a ValueError, a bad Decimal an ArithmeticError; details would only help forgers.
        raise InvalidParameter("cursor", CURSOR_PROBLEM) from None


def _shown(raw: str, max_chars: int = 20) -> str:
    """A client's value quoted for a message, cut short when long."""
    return repr(raw if len(raw) <= max_chars else raw[:max_chars] + "...")


def _python_type(col: ColumnElement[Any]) -> type | None:
    """The Python type of a key column's values (None when the type does not say)."""
    column_type = col.type
    # A TypeDecorator (UTCDateTime) reports `object`; the type it decorates knows better.
    if isinstance(column_type, TypeDecorator):
        column_type = column_type.impl_instance
    try:
        python_type = column_type.python_type
    except NotImplementedError:
        return None
    return None if python_type is object else python_type


def _encode_value(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime in a pagination key; Tradeline stores timezone-aware UTC")
        return {"dt": value.isoformat()}
    if isinstance(value, date):
        return {"date": value.isoformat()}
    if isinstance(value, Decimal):
        return {"dec": str(value)}
    if isinstance(value, UUID):
        return {"uuid": str(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return value
    raise ValueError(f"cannot use {type(value).__name__} {value!r} as a pagination key")


def _decode_value(item: Any, expected: type | None) -> Any:
    if isinstance(item, dict):
        if len(item) != 1:
            raise ValueError("tagged value with several tags")
        ((tag, text),) = item.items()
        if not isinstance(text, str):
            raise ValueError("tagged value is not a string")
        if tag == "dt":
            value: Any = datetime.fromisoformat(text)
            if value.tzinfo is None:
                raise ValueError("naive datetime")
        elif tag == "date":
            value = date.fromisoformat(text)
        elif tag == "dec":
            value = Decimal(text)
            if not value.is_finite():
                raise ValueError("not a finite number")
        elif tag == "uuid":
            value = UUID(text)
        else:
            raise ValueError(f"unknown tag {tag}")
    elif isinstance(item, bool) or item is None:
        raise ValueError("booleans and nulls are not keys")
    else:
        value = item
    if expected is None:
        return value
    if issubclass(expected, enum.Enum):
        return expected(value)
    if expected is float and isinstance(value, int):
        return float(value)
    # A datetime is a date too: keep a date column from accepting one.
    if not isinstance(value, expected) or (expected is date and isinstance(value, datetime)):
        raise ValueError(f"expected {expected.__name__}")
    return value
