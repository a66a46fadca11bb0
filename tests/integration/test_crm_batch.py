"""import_batch: the same result as one webhook per payload, with a bounded number of statements."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.engine import Engine

from app.db import UnitOfWork
from app.errors import InvalidInput
from crm import service
from crm.models import CrmCustomer, CrmOrder, CrmOrderLine, CrmTimelineEvent
from crm.service import _engine
from tests.crm_support import customer, make_shop, order, product, webhook


@contextmanager
def count_statements(engine: Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _orders(n: int, offset: int = 0) -> list[dict[str, Any]]:
    return [order(10_000 + offset + i, minute=i, customer_id=1 + i % 50, customer_minute=0) for i in range(n)]


def _snapshot(uow: UnitOfWork, shop_id: int) -> dict[str, Any]:
    customers = uow.session.execute(
        select(CrmCustomer.shopify_id, CrmCustomer.email, CrmCustomer.orders_count, CrmCustomer.total_spent)
        .where(CrmCustomer.shop_id == shop_id)
        .order_by(CrmCustomer.shopify_id)
    ).all()
    orders = uow.session.execute(
        select(CrmOrder.shopify_id, CrmOrder.total_price, CrmOrder.financial_status)
        .where(CrmOrder.shop_id == shop_id)
        .order_by(CrmOrder.shopify_id)
    ).all()
    kinds = uow.session.scalars(
        select(CrmTimelineEvent.kind)
        .where(CrmTimelineEvent.shop_id == shop_id)
        .order_by(CrmTimelineEvent.kind)
    ).all()
    return {"customers": customers, "orders": orders, "events": kinds}


def test_a_batch_gives_the_same_rows_and_events_as_single_deliveries(uow: UnitOfWork) -> None:
    single = make_shop(uow, "single.myshopify.com")
    batch = make_shop(uow, "batch.myshopify.com")
    customers = [customer(1 + i, minute=0, email=f"c{i}@example.com") for i in range(5)]
    orders = _orders(20)
    for payload in customers:
        service.upsert_customer(uow, shop_id=single, payload=payload)
    for payload in orders:
        service.upsert_order(uow, shop_id=single, payload=payload)
    result = service.import_batch(uow, shop_id=batch, customers=customers, orders=orders)
    assert _snapshot(uow, single) == _snapshot(uow, batch)
    assert result.counts["orders"]["created"] == 20
    assert result.counts["customers"]["created"] == 5


def test_importing_the_same_batch_twice_changes_nothing(uow: UnitOfWork) -> None:
    shop_id = make_shop(uow)
    payloads = {"customers": [customer(1, minute=0)], "products": [product()], "orders": _orders(10)}
    service.import_batch(uow, shop_id=shop_id, **payloads)
    before = _snapshot(uow, shop_id)
    again = service.import_batch(uow, shop_id=shop_id, **payloads)
    assert _snapshot(uow, shop_id) == before
    assert again.counts["orders"] == {"created": 0, "updated": 0, "unchanged": 10, "stale": 0, "deleted": 0}
    assert again.counts["products"]["unchanged"] == 1


def test_statements_stay_bounded_as_the_batch_grows(uow: UnitOfWork, engine: Engine) -> None:
    small_shop = make_shop(uow, "small.myshopify.com")
    large_shop = make_shop(uow, "large.myshopify.com")
    with count_statements(engine) as small:
        service.import_batch(uow, shop_id=small_shop, orders=_orders(50))
    with count_statements(engine) as large:
        service.import_batch(uow, shop_id=large_shop, orders=_orders(400, offset=1000))
    assert (
        len(uow.session.scalars(select(CrmOrderLine.id).where(CrmOrderLine.shop_id == large_shop)).all())
        == 400
    )
    # 8x the payloads, the same statements (executemany and multi-row INSERTs absorb the rows).
    assert len(large) == len(small)
    assert len(large) <= 30


def test_one_malformed_payload_fails_the_batch_before_anything_is_written(uow: UnitOfWork) -> None:
    shop_id = make_shop(uow)
    bad = webhook("orders_create_b2b")
    bad["total_price"] = 298.77  # a float, not Shopify's money string
    with pytest.raises(InvalidInput):
        service.import_batch(uow, shop_id=shop_id, customers=[customer()], orders=[bad])
    assert service.crm_counts(uow, shop_id=shop_id) == {
        "customers": 0,
        "companies": 0,
        "products": 0,
        "variants": 0,
        "orders": 0,
    }


def test_a_row_another_transaction_inserted_first_is_updated_not_duplicated(
    uow: UnitOfWork, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop_id = make_shop(uow)
    service.upsert_customer(uow, shop_id=shop_id, payload=customer(1, minute=0, first_name="First"))
    real_load = _engine.load_rows
    calls: list[int] = []

    def load_missing_once(*args: Any, **kwargs: Any) -> dict[int, dict[str, Any]]:
        # The first SELECT runs before the other transaction's INSERT commits: it sees nothing.
        calls.append(1)
        return {} if len(calls) == 1 else real_load(*args, **kwargs)

    monkeypatch.setattr(_engine, "load_rows", load_missing_once)
    outcome = service.upsert_customer(
        uow, shop_id=shop_id, payload=customer(1, minute=5, first_name="Second")
    )
    rows = uow.session.scalars(select(CrmCustomer).where(CrmCustomer.shop_id == shop_id)).all()
    assert outcome.action is service.SyncAction.UPDATED
    assert [(r.shopify_id, r.first_name) for r in rows] == [(1, "Second")]
    kinds = uow.session.scalars(select(CrmTimelineEvent.kind).order_by(CrmTimelineEvent.id)).all()
    assert kinds == ["customer.created", "customer.updated"]
