"""Price lists themselves: create, change, activate, archive, schedule, duplicate, delete, read."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func, insert, literal, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.db import UnitOfWork, UTCDateTime, utcnow
from app.errors import Conflict
from app.shops import get_shop
from pricing.models import (
    PriceAdjustment,
    PriceBase,
    PriceEntry,
    PriceList,
    PriceListAssignment,
    PriceListStatus,
    QuantityRule,
    VolumeTier,
)
from pricing.service.lists._common import UNSET, aware, enum_value, load_list
from pricing.timeline import changed_fields, delete_list_events, record_list_event
from pricing.validation import PricingInputError, parse_currency, parse_price

NAME_MAX_CHARS = 255
DESCRIPTION_MAX_CHARS = 5_000
MAX_PRIORITY = 1_000_000


# -- input checks ---------------------------------------------------------------------------------


def _name(value: object) -> str:
    if not isinstance(value, str) or not " ".join(value.split()):
        raise PricingInputError("The price list needs a name", field="name")
    name = " ".join(value.split())
    if len(name) > NAME_MAX_CHARS:
        raise PricingInputError(f"The name is longer than {NAME_MAX_CHARS} characters", field="name")
    return name


def _description(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise PricingInputError("The description must be text", field="description")
    text = value.strip()
    if len(text) > DESCRIPTION_MAX_CHARS:
        raise PricingInputError(
            f"The description is longer than {DESCRIPTION_MAX_CHARS:,} characters", field="description"
        )
    return text or None


def _priority(value: object) -> int:
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        raise PricingInputError(f"The priority {value!r} is not a whole number", field="priority")
    if not -MAX_PRIORITY <= value <= MAX_PRIORITY:
        raise PricingInputError(
            f"The priority must be between -{MAX_PRIORITY:,} and {MAX_PRIORITY:,}", field="priority"
        )
    return value


def _order_minimum(value: object, currency: str) -> Decimal | None:
    if value is None:
        return None
    return parse_price(value, currency, allow_zero=False, field="order_minimum")


def _check_window(starts_at: datetime | None, ends_at: datetime | None) -> None:
    if starts_at is not None and ends_at is not None and ends_at <= starts_at:
        raise PricingInputError("The end must come after the start", field="ends_at")


def _check_name_free(session: Session, shop_id: int, name: str, *, except_id: int | None = None) -> None:
    # Case-insensitive, although the constraint is exact: "Wholesale" and "wholesale" would confuse people.
    stmt = select(PriceList.id).where(
        PriceList.shop_id == shop_id, func.lower(PriceList.name) == name.lower()
    )
    if except_id is not None:
        stmt = stmt.where(PriceList.id != except_id)
    if session.scalar(stmt.limit(1)) is not None:
        raise Conflict(f"A price list named {name!r} already exists")


# -- writes ---------------------------------------------------------------------------------------


def create_price_list(
    uow: UnitOfWork,
    *,
    shop_id: int,
    name: object,
    currency: object = None,
    description: object = None,
    priority: object = 0,
    base: object = PriceBase.RETAIL,
    order_minimum: object = None,
    starts_at: object = None,
    ends_at: object = None,
    actor: str = "staff",
) -> PriceList:
    """Create a DRAFT list (currency defaults to the shop's); Conflict when the name is taken."""
    session = uow.session
    clean_name = _name(name)
    clean_currency = get_shop(uow, shop_id=shop_id).currency if currency is None else parse_currency(currency)
    values = {
        "description": _description(description),
        "priority": _priority(priority),
        "base": enum_value(PriceBase, base, "base"),
        "order_minimum": _order_minimum(order_minimum, clean_currency),
        "starts_at": aware(starts_at, "starts_at"),
        "ends_at": aware(ends_at, "ends_at"),
    }
    _check_window(values["starts_at"], values["ends_at"])
    _check_name_free(session, shop_id, clean_name)
    price_list = PriceList(
        shop_id=shop_id, name=clean_name, currency=clean_currency, status=PriceListStatus.DRAFT, **values
    )
    try:
        # Two requests creating the same name at once both pass the check above: the constraint decides.
        with session.begin_nested():
            session.add(price_list)
    except IntegrityError:
        raise Conflict(f"A price list named {clean_name!r} already exists") from None
    record_list_event(
        session, price_list, "created", actor=actor, summary=f"Created as a draft in {clean_currency}"
    )
    return price_list


def update_price_list(
    uow: UnitOfWork,
    *,
    shop_id: int,
    price_list_id: int,
    name: object = UNSET,
    description: object = UNSET,
    currency: object = UNSET,
    priority: object = UNSET,
    base: object = UNSET,
    order_minimum: object = UNSET,
    starts_at: object = UNSET,
    ends_at: object = UNSET,
    actor: str = "staff",
) -> PriceList:
    """Change the fields given (UNSET leaves one as it is); archived lists are Conflict."""
    session = uow.session
    price_list = load_list(session, shop_id, price_list_id, for_change=True)
    changes: dict[str, Any] = {}
    if name is not UNSET:
        changes["name"] = _name(name)
    if description is not UNSET:
        changes["description"] = _description(description)
    new_currency = price_list.currency
    if currency is not UNSET:
        new_currency = parse_currency(currency)
        if new_currency != price_list.currency:
            changes["currency"] = new_currency
    if priority is not UNSET:
        changes["priority"] = _priority(priority)
    if base is not UNSET:
        changes["base"] = enum_value(PriceBase, base, "base")
    if order_minimum is not UNSET:
        changes["order_minimum"] = _order_minimum(order_minimum, new_currency)
    elif "currency" in changes and price_list.order_minimum is not None:
        # The stored minimum must still fit the new currency's minor unit.
        changes["order_minimum"] = _order_minimum(price_list.order_minimum.normalize(), new_currency)
    if starts_at is not UNSET:
        changes["starts_at"] = aware(starts_at, "starts_at")
    if ends_at is not UNSET:
        changes["ends_at"] = aware(ends_at, "ends_at")
    _check_window(changes.get("starts_at", price_list.starts_at), changes.get("ends_at", price_list.ends_at))
    if "name" in changes and changes["name"] != price_list.name:
        _check_name_free(session, shop_id, changes["name"], except_id=price_list.id)
    if "currency" in changes and _holds_prices(session, price_list.id):
        raise Conflict(
            f"The price list {price_list.name!r} already holds prices in {price_list.currency}: "
            "its currency can change only while it is empty"
        )
    changed = changed_fields(price_list, changes)
    for field_name, value in changes.items():
        setattr(price_list, field_name, value)
    if changed:
        summary = "Changed " + ", ".join(name.replace("_", " ") for name in changed)
        record_list_event(session, price_list, "updated", actor=actor, summary=summary, data=changed)
    session.flush()
    return price_list


def _holds_prices(session: Session, price_list_id: int) -> bool:
    for model in (PriceEntry, PriceAdjustment, VolumeTier):
        found = session.scalar(select(model.id).where(model.price_list_id == price_list_id).limit(1))
        if found is not None:
            return True
    return False


def activate_price_list(
    uow: UnitOfWork, *, shop_id: int, price_list_id: int, actor: str = "staff"
) -> PriceList:
    """DRAFT -> ACTIVE (an active list stays as it is); archived or ended lists are Conflict."""
    price_list = load_list(uow.session, shop_id, price_list_id)
    if price_list.status is PriceListStatus.ACTIVE:
        return price_list
    if price_list.status is PriceListStatus.ARCHIVED:
        raise Conflict(
            f"The price list {price_list.name!r} is archived and cannot be activated again: "
            "duplicate it to reuse its prices"
        )
    if price_list.ends_at is not None and price_list.ends_at <= utcnow():
        raise Conflict(
            f"The price list {price_list.name!r} ended on {price_list.ends_at:%Y-%m-%d %H:%M} UTC: "
            "move its end date before activating it"
        )
    price_list.status = PriceListStatus.ACTIVE
    record_list_event(uow.session, price_list, "activated", actor=actor, summary="Activated")
    uow.session.flush()
    return price_list


def archive_price_list(
    uow: UnitOfWork, *, shop_id: int, price_list_id: int, actor: str = "staff"
) -> PriceList:
    """DRAFT or ACTIVE -> ARCHIVED: it prices nobody from now on (an archived list stays as it is)."""
    price_list = load_list(uow.session, shop_id, price_list_id)
    if price_list.status is not PriceListStatus.ARCHIVED:
        price_list.status = PriceListStatus.ARCHIVED
        record_list_event(uow.session, price_list, "archived", actor=actor, summary="Archived")
        uow.session.flush()
    return price_list


def schedule_price_list(
    uow: UnitOfWork,
    *,
    shop_id: int,
    price_list_id: int,
    starts_at: object,
    ends_at: object,
    actor: str = "staff",
) -> PriceList:
    """Set the window and activate the list: it prices its buyers from starts_at until ends_at."""
    price_list = load_list(uow.session, shop_id, price_list_id, for_change=True)
    start, end = aware(starts_at, "starts_at"), aware(ends_at, "ends_at")
    if start is None and end is None:
        raise PricingInputError("Give a start, an end or both", field="starts_at")
    _check_window(start, end)
    if end is not None and end <= utcnow():
        raise PricingInputError("The end is in the past: the list would never apply", field="ends_at")
    window = changed_fields(price_list, {"starts_at": start, "ends_at": end})
    price_list.starts_at, price_list.ends_at = start, end
    price_list.status = PriceListStatus.ACTIVE
    record_list_event(
        uow.session, price_list, "scheduled", actor=actor, summary=_window_summary(start, end), data=window
    )
    uow.session.flush()
    return price_list


def duplicate_price_list(
    uow: UnitOfWork,
    *,
    shop_id: int,
    price_list_id: int,
    name: object = None,
    with_assignments: bool = True,
    actor: str = "staff",
) -> PriceList:
    """A DRAFT copy of the list with its entries, adjustments, tiers and rules (and assignments)."""
    session = uow.session
    source = load_list(session, shop_id, price_list_id)
    if name is None:
        new_name = _copy_name(session, shop_id, source.name)
    else:
        new_name = _name(name)
        _check_name_free(session, shop_id, new_name)
    copy = PriceList(
        shop_id=shop_id,
        name=new_name,
        description=source.description,
        currency=source.currency,
        status=PriceListStatus.DRAFT,
        starts_at=source.starts_at,
        ends_at=source.ends_at,
        priority=source.priority,
        base=source.base,
        order_minimum=source.order_minimum,
    )
    session.add(copy)
    session.flush()
    now = literal(utcnow(), UTCDateTime())
    # One INSERT ... SELECT per table: a list of 100,000 entries copies without a row passing through Python.
    copies: list[tuple[type[Any], tuple[str, ...], dict[str, Any]]] = [
        (PriceEntry, ("variant_id", "price", "compare_at_price"), {"updated_at": now}),
        (PriceAdjustment, ("scope", "scope_shopify_id", "percent"), {}),
        (VolumeTier, ("variant_id", "min_quantity", "kind", "value"), {}),
        (QuantityRule, ("variant_id", "minimum", "maximum", "increment"), {}),
    ]
    if with_assignments:
        assignment_columns = ("target", "company_location_id", "company_id", "customer_id", "customer_tag")
        copies.append((PriceListAssignment, (*assignment_columns, "segment_id"), {"created_at": now}))
    for model, columns, extra in copies:
        selected = [
            model.shop_id,
            literal(copy.id).label("price_list_id"),
            *[getattr(model, column) for column in columns],
            *[value.label(key) for key, value in extra.items()],
        ]
        # Entries in the order of their unique (list, variant) index: no sort, and the copy's ids follow it.
        order = model.variant_id if model is PriceEntry else model.id
        source_rows = select(*selected).where(model.price_list_id == source.id).order_by(order)
        session.execute(
            insert(model).from_select(["shop_id", "price_list_id", *columns, *extra], source_rows)
        )
    summary = f"Duplicated from {source.name!r}"
    record_list_event(session, copy, "duplicated", actor=actor, summary=summary, data={"from": source.id})
    return copy


def _window_summary(start: datetime | None, end: datetime | None) -> str:
    parts = [
        f"from {start:%Y-%m-%d %H:%M} UTC" if start else "",
        f"until {end:%Y-%m-%d %H:%M} UTC" if end else "",
    ]
    return "Scheduled " + " ".join(p for p in parts if p)


def _copy_name(session: Session, shop_id: int, name: str) -> str:
    taken = {
        lowered
        for (lowered,) in session.execute(
            # A shop has a handful of lists: reading every name is simpler than matching a pattern.
            select(func.lower(PriceList.name)).where(PriceList.shop_id == shop_id)
        )
    }
    number = 1
    while True:
        suffix = " (copy)" if number == 1 else f" (copy {number})"
        candidate = name[: NAME_MAX_CHARS - len(suffix)] + suffix
        if candidate.lower() not in taken:
            return candidate
        number += 1


def delete_price_list(uow: UnitOfWork, *, shop_id: int, price_list_id: int) -> None:
    """Delete a DRAFT list and everything in it; other lists are Conflict (archive them instead)."""
    session = uow.session
    price_list = load_list(session, shop_id, price_list_id)
    if price_list.status is not PriceListStatus.DRAFT:
        raise Conflict(
            f"The price list {price_list.name!r} is {price_list.status.value}: only drafts can be deleted, "
            "archive it instead"
        )
    # The database cascades to entries, tiers, rules, adjustments and assignments; events are not rows of
    # the list's tables, so they go here.
    delete_list_events(session, shop_id=shop_id, price_list_id=price_list.id)
    session.execute(delete(PriceList).where(PriceList.id == price_list.id, PriceList.shop_id == shop_id))
    session.expunge(price_list)
