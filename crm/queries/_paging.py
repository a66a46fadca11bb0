"""Shared pieces of the CRM read queries: sort keys, search words, and keyset pages both ways."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from sqlalchemy import Select, String, func, literal, or_
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from app.api.pagination import Page, encode_cursor, paginate
from app.db import UTCDateTime
from app.errors import InvalidInput
from crm.models import CrmCompany, CrmCustomer

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_SEARCH_WORDS = 8
# Sentinels that sort NULLs last ascending (and first descending) inside a NOT NULL keyset key.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
FAR_FUTURE_DAY = date(9999, 12, 31)
SPEND_MONTHS = 24
# Bounds of the 360 pages' sections (each has its own "more" link or page).
PAGE_ORDERS = 25
PAGE_TIMELINE = 25
PAGE_NOTES = 20
PAGE_TASKS = 50
FILTER_TAGS_MAX = 200
FILTER_COMPANIES_MAX = 500

CUSTOMER_SORTS = (
    "name",
    "-name",
    "-last_order_at",
    "last_order_at",
    "-total_spent",
    "total_spent",
    "-orders_count",
    "orders_count",
    "-created_at",
    "created_at",
)
COMPANY_SORTS = CUSTOMER_SORTS
ORDER_SORTS = ("-processed_at", "processed_at", "-total", "total", "-number", "number")
PRODUCT_SORTS = ("title", "-title", "-updated_at", "updated_at")
TASK_SORTS = ("due_on", "-due_on", "-completed_at", "-created_at", "created_at")
TASK_STATUSES = ("open", "done", "all")
TASK_DUE = ("overdue", "today", "upcoming", "none")


@dataclass(frozen=True)
class CrmPage(Page[T]):
    """A page of a list: `next_cursor` continues after it, `previous_cursor` goes back before it."""

    previous_cursor: str | None = None


# -- paging ---------------------------------------------------------------------------------------


def _page(
    session: Session,
    stmt: Select[Any],
    keys: Sequence[ColumnElement[Any]],
    *,
    limit: int,
    cursor: str | None,
    before: str | None,
    descending: bool,
) -> tuple[list[Any], str | None, str | None]:
    """(rows, next_cursor, previous_cursor) of one page; rows are what `stmt` selects.

    The key values ride along in each row (as trailing columns), so the first row's key can
    become the cursor of the page before this one.
    """
    width = len(stmt.column_descriptions)
    keyed = stmt.add_columns(*[key.label(f"sort_key_{i}") for i, key in enumerate(keys)])
    backwards = before is not None and cursor is None
    page = paginate(
        session,
        keyed,
        key_columns=keys,
        limit=limit,
        cursor=before if backwards else cursor,
        descending=descending != backwards,
    )
    rows = list(reversed(page.items)) if backwards else page.items

    def key_of(row: Any) -> str:
        return encode_cursor(list(row[width:]))

    if not rows:
        return [], None, None
    if backwards:
        next_cursor = key_of(rows[-1])
        previous_cursor = key_of(rows[0]) if page.next_cursor is not None else None
    else:
        next_cursor = page.next_cursor
        previous_cursor = key_of(rows[0]) if cursor is not None else None
    items = [row[0] if width == 1 else tuple(row[:width]) for row in rows]
    return items, next_cursor, previous_cursor


def _sort(sort: str, allowed: Sequence[str]) -> tuple[str, bool]:
    if sort not in allowed:
        raise InvalidInput(f"sort: expected one of {', '.join(allowed)}; got {sort!r}")
    return sort.lstrip("-"), sort.startswith("-")


def _words(search: str | None) -> list[str]:
    return (search or "").split()[:MAX_SEARCH_WORDS]


def _matches_any(word: str, *columns: ColumnElement[Any]) -> ColumnElement[bool]:
    # icontains with autoescape: a % or _ typed in the search box is a literal character.
    return or_(*[column.icontains(word, autoescape=True) for column in columns])


def _lower(*columns: Any) -> ColumnElement[str]:
    return func.lower(func.coalesce(*columns, ""), type_=String())


def _or_epoch(column: Any) -> ColumnElement[datetime]:
    return func.coalesce(column, literal(EPOCH, UTCDateTime()), type_=UTCDateTime())


def _rollup_keys(model: type[CrmCustomer] | type[CrmCompany], field_name: str) -> list[ColumnElement[Any]]:
    """Keyset columns for the rollup sorts shared by customers and companies."""
    if field_name == "last_order_at":
        return [_or_epoch(model.last_order_at), model.id]
    if field_name == "total_spent":
        return [model.total_spent, model.id]
    if field_name == "orders_count":
        return [model.orders_count, model.id]
    if field_name == "created_at":
        return [_or_epoch(func.coalesce(model.shopify_created_at, model.created_at)), model.id]
    raise AssertionError(field_name)


def _enum_value(cls: Any, value: Any, name: str) -> Any:
    try:
        return cls(value)
    except ValueError:
        allowed = ", ".join(member.value for member in cls)
        raise InvalidInput(f"{name}: expected one of {allowed}; got {value!r}") from None
