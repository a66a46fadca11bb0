"""Pieces shared by the list use cases: the UNSET marker, bulk errors, loading a list for a change."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db import UnitOfWork, utcnow
from app.errors import Conflict, NotFound
from crm.models import CrmVariant
from pricing.models import PriceList, PriceListStatus
from pricing.validation import PricingInputError

E = TypeVar("E", bound=enum.Enum)


class Unset(enum.Enum):
    """The type of UNSET: a keyword argument left out of a partial update."""

    UNSET = "unset"


UNSET = Unset.UNSET


@dataclass(frozen=True)
class RowError:
    """One bad row of a bulk call: its 0-based index in the input, the field at fault and why."""

    index: int
    field: str | None
    message: str


class BulkInputError(PricingInputError):
    """A bulk call refused as a whole; `errors` lists every bad row (nothing was written)."""

    def __init__(self, errors: list[RowError]) -> None:
        first = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(
            f"{len(errors)} row{'s' if len(errors) != 1 else ''} refused, nothing saved: "
            f"row {first.index}: {first.message}{more}",
            field=first.field,
        )
        self.errors = tuple(errors)


def load_list(session: Session, shop_id: int, price_list_id: int, *, for_change: bool = False) -> PriceList:
    """The shop's list, else NotFound; with `for_change`, Conflict when it is archived."""
    price_list = session.scalar(
        select(PriceList).where(PriceList.shop_id == shop_id, PriceList.id == price_list_id)
    )
    if price_list is None:
        raise NotFound(f"price list {price_list_id} not found")
    if for_change and price_list.status is PriceListStatus.ARCHIVED:
        raise Conflict(
            f"The price list {price_list.name!r} is archived and cannot change: "
            "duplicate it to reuse its prices"
        )
    return price_list


def touch(price_list: PriceList) -> None:
    """Move the list's updated_at: its contents changed (publishing compares with it)."""
    price_list.updated_at = utcnow()


def live_variant(
    session: Session, shop_id: int, variant_id: object, *, field: str = "variant_id"
) -> CrmVariant:
    """The shop's live (not deleted) variant with this id, else NotFound."""
    if isinstance(variant_id, bool) or not isinstance(variant_id, int):
        raise PricingInputError(f"The variant id {variant_id!r} is not an id", field=field)
    variant = session.scalar(
        select(CrmVariant).where(
            CrmVariant.shop_id == shop_id, CrmVariant.id == variant_id, CrmVariant.deleted_at.is_(None)
        )
    )
    if variant is None:
        raise NotFound(f"variant {variant_id} not found")
    return variant


def enum_value(cls: type[E], value: object, field: str) -> E:
    """`value` as a member of `cls` (a member or its value), else PricingInputError naming the choices."""
    if isinstance(value, cls):
        return value
    try:
        return cls(value)
    except ValueError:
        allowed = ", ".join(str(member.value) for member in cls)
        raise PricingInputError(f"{value!r} is not one of {allowed}", field=field) from None


def aware(value: object, field: str) -> datetime | None:
    """A timezone-aware datetime or None, else PricingInputError."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise PricingInputError(f"{value!r} is not a date and time", field=field)
    if value.tzinfo is None:
        raise PricingInputError("The date and time needs a timezone (UTC offset)", field=field)
    return value


def count_of(session: Session, stmt: Any) -> int:
    """COUNT(*) of a select."""
    return int(session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)


def is_postgres(uow: UnitOfWork) -> bool:
    return uow.session.get_bind().dialect.name == "postgresql"
