"""What the faster intake and processing paths must keep: JSON orjson refuses, the collector, the commit."""

from __future__ import annotations

import gc
from collections.abc import Mapping
from typing import Any

import pytest
from sqlalchemy import select

from app import services
from app.db import UnitOfWork
from crm.models import CrmOrder, CrmOrderLine, CrmTimelineEvent
from tests.crm_support import make_shop, order
from tests.support import signed_webhook
from webhooks import registry
from webhooks.models import DeliveryStatus, WebhookDelivery
from webhooks.rules import read_headers
from webhooks.service import intake, processing
from webhooks.service.processing import Result

# Beyond 64 bits: valid JSON that orjson refuses and PostgreSQL's JSONB keeps exactly.
HUGE = 2**70 + 1


@pytest.fixture
def shop_id(uow: UnitOfWork) -> int:
    shop_id = make_shop(uow)
    uow.commit()
    return shop_id


def store(uow: UnitOfWork, topic: str, body: Any, **options: Any) -> intake.Receipt:
    raw, headers = signed_webhook(topic, body, **options)
    receipt = intake.receive_delivery(uow, headers=read_headers(headers), body=raw, enqueue=False)
    uow.commit()
    return receipt


def test_a_json_object_with_an_integer_beyond_64_bits_is_stored_and_loaded_as_sent(
    uow: UnitOfWork, shop_id: int
) -> None:
    receipt = store(uow, "customers/delete", b'{"id": 706405506930370084, "huge": %d}' % HUGE)

    assert (receipt.outcome, receipt.status) == (intake.Outcome.STORED, 200)
    [loaded] = processing.load(uow, [receipt.delivery_id])
    assert loaded.payload == {"id": 706405506930370084, "huge": HUGE}


def test_the_intake_stores_through_the_web_path_without_a_unit_of_work(uow: UnitOfWork, shop_id: int) -> None:
    raw, headers = signed_webhook("orders/create", order(), webhook_id="direct-1")

    receipt = intake.receive(services().db, headers=read_headers(headers), body=raw, enqueue=False)
    again = intake.receive(services().db, headers=read_headers(headers), body=raw, enqueue=False)

    assert (receipt.outcome, again.outcome) == (intake.Outcome.STORED, intake.Outcome.DUPLICATE)
    rows = uow.session.execute(select(WebhookDelivery.id, WebhookDelivery.status)).all()
    assert [tuple(r) for r in rows] == [(receipt.delivery_id, DeliveryStatus.RECEIVED)]


def test_a_batch_of_orders_writes_every_line_and_timeline_event(uow: UnitOfWork, shop_id: int) -> None:
    ids = [store(uow, "orders/create", order(5000 + n)).delivery_id for n in range(3)]

    totals = processing.drain(services().db, shop_id=shop_id)

    assert totals[Result.PROCESSED] == 3
    uow.session.expire_all()
    orders = uow.session.scalars(select(CrmOrder.id).where(CrmOrder.shop_id == shop_id)).all()
    lines = uow.session.scalars(select(CrmOrderLine.order_id)).all()
    events = uow.session.scalars(
        select(CrmTimelineEvent.kind).where(CrmTimelineEvent.kind == "order.created")
    ).all()
    assert len(ids) == len(orders) == 3 and len(events) == 3
    assert set(lines) == set(orders)


def _gc_state_route(topic: str, seen: list[bool], error: BaseException | None = None) -> registry.Route:
    def handler(
        uow: UnitOfWork, *, shop_id: int, payload: Mapping[str, Any], delivery: registry.Delivery
    ) -> None:
        seen.append(gc.isenabled())
        if error is not None:
            raise error

    return registry.Route(topic, handler)


@pytest.mark.parametrize("error", [None, ConnectionError("db blip")])
def test_garbage_collection_pauses_during_an_attempt_and_resumes_after(
    uow: UnitOfWork, shop_id: int, monkeypatch: pytest.MonkeyPatch, error: BaseException | None
) -> None:
    seen: list[bool] = []
    monkeypatch.setitem(
        registry.REGISTRY, "customers/delete", _gc_state_route("customers/delete", seen, error)
    )
    delivery_id = store(uow, "customers/delete", {"id": 1}).delivery_id
    assert delivery_id is not None and gc.isenabled()

    attempt = processing.run(services().db, delivery_id=delivery_id)

    assert seen == [False]
    assert gc.isenabled()
    assert attempt.results[delivery_id] is (Result.PROCESSED if error is None else Result.RETRY)
