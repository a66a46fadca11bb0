"""Reading price lists: one list, its summary (counts of what it holds), the shop's lists with search,
sort and pagination, and the shop's precedence setting (read and set)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, select

from app.api.pagination import Page, paginate
from app.db import UnitOfWork
from app.errors import InvalidInput
from app.shops import get_shop
from pricing.models import (
    Precedence,
    PriceAdjustment,
    PriceEntry,
    PriceList,
    PriceListAssignment,
    PriceListStatus,
    PricingSettings,
    QuantityRule,
    VolumeTier,
)
from pricing.service.lists._common import enum_value, load_list

DEFAULT_LIMIT = 50
SEARCH_MAX_CHARS = 255
PRICE_LIST_SORTS = ("name", "-name", "-priority", "-updated_at", "id", "-id")


@dataclass(frozen=True)
class PriceListSummary:
    """A list with the number of rows of each kind it holds (read in the same query)."""

    price_list: PriceList
    entries_count: int
    assignments_count: int
    adjustments_count: int
    tiers_count: int
    rules_count: int


def get_price_list(uow: UnitOfWork, *, shop_id: int, price_list_id: int) -> PriceList:
    """The shop's list, else NotFound."""
    return load_list(uow.session, shop_id, price_list_id)


def _counted() -> Any:
    def count(model: Any) -> ColumnElement[int]:
        return (
            select(func.count(model.id))
            .where(model.price_list_id == PriceList.id)
            .correlate(PriceList)
            .scalar_subquery()
        )

    return select(
        PriceList,
        count(PriceEntry),
        count(PriceListAssignment),
        count(PriceAdjustment),
        count(VolumeTier),
        count(QuantityRule),
    )


def _summary(row: Any) -> PriceListSummary:
    price_list, entries, assignments, adjustments, tiers, rules = row
    return PriceListSummary(
        price_list, int(entries), int(assignments), int(adjustments), int(tiers), int(rules)
    )


def get_price_list_summary(uow: UnitOfWork, *, shop_id: int, price_list_id: int) -> PriceListSummary:
    """The shop's list with its counts, else NotFound."""
    row = uow.session.execute(
        _counted().where(PriceList.shop_id == shop_id, PriceList.id == price_list_id)
    ).first()
    if row is None:
        load_list(uow.session, shop_id, price_list_id)  # raises NotFound
    return _summary(row)


def list_price_lists(
    uow: UnitOfWork,
    *,
    shop_id: int,
    status: object = None,
    search: str | None = None,
    sort: str = "name",
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> Page[PriceListSummary]:
    """A page of the shop's lists with their counts, filtered by status and name words."""
    stmt = _counted().where(PriceList.shop_id == shop_id)
    if status is not None:
        stmt = stmt.where(PriceList.status == enum_value(PriceListStatus, status, "status"))
    for word in (search or "").split()[:8]:
        stmt = stmt.where(PriceList.name.icontains(word[:SEARCH_MAX_CHARS], autoescape=True))
    if sort not in PRICE_LIST_SORTS:
        raise InvalidInput(f"sort: expected one of {', '.join(PRICE_LIST_SORTS)}; got {sort!r}")
    key = sort.lstrip("-")
    keys: Mapping[str, list[ColumnElement[Any]]] = {
        "name": [PriceList.name, PriceList.id],
        "priority": [PriceList.priority, PriceList.id],
        "updated_at": [PriceList.updated_at, PriceList.id],
        "id": [PriceList.id],
    }
    page = paginate(
        uow.session, stmt, key_columns=keys[key], limit=limit, cursor=cursor, descending=sort.startswith("-")
    )
    return Page(items=[_summary(row) for row in page.items], next_cursor=page.next_cursor)


# -- settings -------------------------------------------------------------------------------------


def get_precedence(uow: UnitOfWork, *, shop_id: int) -> Precedence:
    """How the shop picks among applicable lists (lowest price unless set)."""
    stored = uow.session.scalar(select(PricingSettings.precedence).where(PricingSettings.shop_id == shop_id))
    return stored or Precedence.LOWEST_PRICE


def set_precedence(uow: UnitOfWork, *, shop_id: int, precedence: object) -> Precedence:
    """Set how the shop picks among applicable lists."""
    value = enum_value(Precedence, precedence, "precedence")
    session = uow.session
    settings = session.scalar(select(PricingSettings).where(PricingSettings.shop_id == shop_id))
    if settings is None:
        get_shop(uow, shop_id=shop_id)
        session.add(PricingSettings(shop_id=shop_id, precedence=value))
    elif settings.precedence is not value:
        settings.precedence = value
    session.flush()
    return value
