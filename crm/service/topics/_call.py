"""What every topic use case shares: the call wrapper (flush, events, expire) and the payload checks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.db import UnitOfWork
from app.errors import InvalidInput
from crm import payloads
from crm.models import CrmCustomer
from crm.payloads import Record
from crm.service._engine import EventLog
from crm.service._statements import is_postgres, shop_currency
from crm.service.customers import sync_customers

DEFAULT_ACTOR = "shopify"


class _Call:
    """One service call: pending ORM state flushed first, events written and the session expired last."""

    def __init__(self, uow: UnitOfWork, shop_id: int, actor: str) -> None:
        self.session: Session = uow.session
        self.shop_id = shop_id
        self.session.flush()
        self.currency = shop_currency(self.session, shop_id)
        self.events = EventLog(shop_id=shop_id, actor=actor)

    def customer(self, shopify_id: int) -> int:
        """The row id of a customer, created as a placeholder (known by reference) when never seen."""
        outcomes = sync_customers(
            self.session,
            shop_id=self.shop_id,
            currency=self.currency,
            records=[Record(shopify_id, None)],
            events=self.events,
        )
        row_id = outcomes[shopify_id].id
        assert row_id is not None
        return row_id

    def finish(self) -> None:
        self.events.write(self.session)
        self.session.expire_all()


def _object(payload: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(payload, Mapping):
        raise InvalidInput(f"a {what} payload must be a JSON object")
    return payload


def _required_id(payload: Mapping[str, Any], key: str, kind: str) -> int:
    if payload.get(key) is None:
        raise InvalidInput(f"the payload has no {key}")
    return payloads.parse_id(payload[key], kind)


def _customer_values(session: Session, customer_id: int, columns: tuple[str, ...]) -> dict[str, Any]:
    table = CrmCustomer.__table__
    row = session.execute(select(*[table.c[c] for c in columns]).where(table.c.id == customer_id)).one()
    return dict(row._mapping)


def _upsert_stmt(session: Session, table: Table) -> Any:
    return (postgresql if is_postgres(session) else sqlite).insert(table)
