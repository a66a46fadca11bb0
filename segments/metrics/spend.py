"""Marketing spend the merchant enters per channel and month (the cost side of CAC)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select

from app.db import UnitOfWork
from app.errors import InvalidInput, NotFound
from app.models import Shop
from app.money import round_money
from segments.models_spend import MarketingSpend

CHANNEL_CHARS = 255


def _channel(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput("channel: name the channel, e.g. 'utm:google' or 'referrer:facebook.com'")
    if len(value.strip()) > CHANNEL_CHARS:
        raise InvalidInput(f"channel: at most {CHANNEL_CHARS} characters")
    return value.strip().lower()


def _month(value: Any) -> date:
    if isinstance(value, date):
        return value.replace(day=1)
    if isinstance(value, str):
        try:
            parts = value.strip().split("-")
            return date(int(parts[0]), int(parts[1]), 1)
        except (ValueError, IndexError):
            pass
    raise InvalidInput(f"month: give a month as YYYY-MM, not {value!r}")


def _amount(value: Any, currency: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise InvalidInput('amount: give the amount as a decimal string, e.g. "1250.00"')
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise InvalidInput(f"amount: {value!r} is not a number") from None
    if not amount.is_finite():
        raise InvalidInput(f"amount: {value!r} is not a number")
    if amount < 0:
        raise InvalidInput(f"amount: marketing spend cannot be negative (got {amount})")
    return round_money(amount, currency)


def set_spend(
    uow: UnitOfWork, *, shop_id: int, channel: Any, month: Any, amount: Any, currency: str | None = None
) -> MarketingSpend:
    """Record (or replace) the spend of a channel in a month; negative amounts are refused."""
    shop = uow.session.get(Shop, shop_id)
    if shop is None:
        raise NotFound(f"shop {shop_id} not found")
    code = (currency or shop.currency).strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise InvalidInput(f"currency: give an ISO 4217 code, not {currency!r}")
    name, first_day, value = _channel(channel), _month(month), _amount(amount, code)
    row = uow.session.scalar(
        select(MarketingSpend).where(
            MarketingSpend.shop_id == shop_id,
            MarketingSpend.channel == name,
            MarketingSpend.month == first_day,
        )
    )
    if row is None:
        row = MarketingSpend(shop_id=shop_id, channel=name, month=first_day, amount=value, currency=code)
        uow.session.add(row)
    else:
        row.amount, row.currency = value, code
    uow.session.flush()
    return row


def get_spend(uow: UnitOfWork, *, shop_id: int, spend_id: int) -> MarketingSpend:
    """One spend row of the shop (another shop's is NotFound)."""
    row = uow.session.get(MarketingSpend, spend_id)
    if row is None or row.shop_id != shop_id:
        raise NotFound(f"marketing spend {spend_id} not found")
    return row


def delete_spend(uow: UnitOfWork, *, shop_id: int, spend_id: int) -> None:
    """Remove one spend row."""
    uow.session.delete(get_spend(uow, shop_id=shop_id, spend_id=spend_id))
    uow.session.flush()


def list_spend(
    uow: UnitOfWork, *, shop_id: int, start: date | None = None, end: date | None = None
) -> list[MarketingSpend]:
    """The shop's spend rows, newest month first, optionally for months start..end."""
    query = select(MarketingSpend).where(MarketingSpend.shop_id == shop_id)
    if start is not None:
        query = query.where(MarketingSpend.month >= start.replace(day=1))
    if end is not None:
        query = query.where(MarketingSpend.month <= end)
    return list(uow.session.scalars(query.order_by(MarketingSpend.month.desc(), MarketingSpend.channel)))
