"""Processing inbox deliveries: claims, batches, failures and retries, the sweeper, retry and purge."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from app import services
from app.db import UnitOfWork, utcnow
from app.errors import Conflict, NotFound
from app.models import Shop
from crm.models import CrmCustomer, CrmOrder, CrmTimelineEvent
from tests.crm_support import customer, make_shop, order
from tests.support import signed_webhook
from webhooks import registry
from webhooks.jobs import DeliveryFailed, process_delivery, purge_inbox, sweep_inbox
from webhooks.models import DeliveryStatus, WebhookDelivery
from webhooks.rules import MAX_ATTEMPTS, read_headers
from webhooks.service import inbox, intake, processing
from webhooks.service.processing import Result

T = WebhookDelivery.__table__


@pytest.fixture
def shop_id(uow: UnitOfWork) -> int:
    shop_id = make_shop(uow)
    uow.commit()
    return shop_id


def store(
    uow: UnitOfWork, topic: str, payload: Any, *, shop: str = "acme.myshopify.com", **options: Any
) -> int:
    """A delivery stored through the intake as a request would, without enqueueing its job."""
    body, headers = signed_webhook(topic, payload, shop=shop, **options)
    receipt = intake.receive_delivery(uow, headers=read_headers(headers), body=body, enqueue=False)
    uow.commit()
    assert receipt.delivery_id is not None, receipt
    return receipt.delivery_id


def states(uow: UnitOfWork) -> dict[int, tuple[DeliveryStatus, int, str | None]]:
    uow.session.expire_all()
    rows = uow.session.execute(select(T.c.id, T.c.status, T.c.attempts, T.c.last_error).order_by(T.c.id))
    return {r.id: (r.status, r.attempts, r.last_error) for r in rows}


def count(uow: UnitOfWork, model: Any, **where: Any) -> int:
    query = select(func.count()).select_from(model)
    for name, value in where.items():
        query = query.where(getattr(model, name) == value)
    return int(uow.session.scalar(query) or 0)


def failing_route(topic: str, error: BaseException) -> registry.Route:
    calls: list[int] = []

    def handler(
        uow: UnitOfWork, *, shop_id: int, payload: Mapping[str, Any], delivery: registry.Delivery
    ) -> None:
        calls.append(delivery.id)
        raise error

    return registry.Route(topic, handler)


PROCESSED = (DeliveryStatus.PROCESSED, 1, None)


def test_an_attempt_processes_its_delivery_and_counts_the_attempt(uow: UnitOfWork, shop_id: int) -> None:
    delivery_id = store(uow, "customers/delete", {"id": 706405506930370084})

    attempt = processing.run(services().db, delivery_id=delivery_id)

    assert attempt.results == {delivery_id: Result.PROCESSED}
    assert states(uow) == {delivery_id: PROCESSED}
    assert count(uow, CrmCustomer) == 1  # a tombstone: a late customers/create cannot resurrect it


def test_an_attempt_takes_along_its_shops_never_attempted_deliveries(uow: UnitOfWork, shop_id: int) -> None:
    make_shop(uow, domain="globex.myshopify.com")
    first = store(uow, "orders/create", order(order_id=1))
    customer_id = store(uow, "customers/update", customer(minute=5))
    deletion = store(uow, "orders/delete", {"id": 9})
    other_shop = store(uow, "orders/create", order(order_id=3), shop="globex.myshopify.com")
    retried = store(uow, "orders/create", order(order_id=4))
    uow.session.execute(update(T).where(T.c.id == retried).values(attempts=1))
    uow.commit()
    last = store(
        uow, "products/create", {"id": 632910392, "title": "Widget", "updated_at": "2026-05-01T10:00:00Z"}
    )

    attempt = processing.run(services().db, delivery_id=first)

    assert [c.id for c in attempt.claimed] == [first, customer_id, deletion, last]
    assert attempt.results == dict.fromkeys((first, customer_id, deletion, last), Result.PROCESSED)
    assert states(uow) == {
        first: PROCESSED,
        customer_id: PROCESSED,
        deletion: PROCESSED,
        other_shop: (DeliveryStatus.RECEIVED, 0, None),
        retried: (DeliveryStatus.RECEIVED, 1, None),
        last: PROCESSED,
    }
    assert count(uow, CrmOrder) == 2  # order 1, and the tombstone of order 9


def test_before_reading_the_pending_deliveries_an_attempt_calls_back_with_its_shop(
    uow: UnitOfWork, shop_id: int
) -> None:
    first = store(uow, "orders/create", order(order_id=1))
    calls: list[tuple[int, list[int]]] = []

    def before_batch(shop: int) -> None:
        # A delivery committed now (as one arriving while the job starts) is still taken.
        late = store(uow, "orders/create", order(order_id=2))
        calls.append((shop, [late]))

    attempt = processing.run(services().db, delivery_id=first, before_batch=before_batch)

    [(shop, [late])] = calls
    assert shop == shop_id
    assert [c.id for c in attempt.claimed] == [first, late]


def test_an_attempt_claims_at_most_its_limit(uow: UnitOfWork, shop_id: int) -> None:
    ids = [store(uow, "orders/create", order(order_id=n)) for n in range(1, 6)]

    attempt = processing.run(services().db, delivery_id=ids[2], limit=2)

    assert [c.id for c in attempt.claimed] == [ids[0], ids[2]]
    assert count(uow, CrmOrder) == 2


def test_a_malformed_payload_in_a_batch_fails_alone_and_for_good(uow: UnitOfWork, shop_id: int) -> None:
    good = store(uow, "orders/create", order(order_id=1))
    bad = store(uow, "orders/create", order(order_id=2, currency="dollars"))
    also_good = store(uow, "orders/create", order(order_id=3))

    attempt = processing.run(services().db, delivery_id=good)

    assert attempt.results == {good: Result.PROCESSED, bad: Result.FAILED, also_good: Result.PROCESSED}
    assert attempt.permanent == {bad}
    result = states(uow)
    assert result[good] == result[also_good] == PROCESSED
    assert result[bad] == (
        DeliveryStatus.FAILED,
        1,
        "InvalidInput: 'dollars' is not an ISO 4217 currency code",
    )
    assert count(uow, CrmOrder) == 2


def test_a_malformed_single_delivery_is_parked_without_raising(uow: UnitOfWork, shop_id: int) -> None:
    delivery_id = store(uow, "orders/delete", {"name": "no id"})

    summary = process_delivery(delivery_id)

    assert summary == f"delivery {delivery_id}: failed; 0 of 1 processed"
    assert states(uow)[delivery_id] == (DeliveryStatus.FAILED, 1, "InvalidInput: the Order payload has no id")


def test_a_failing_handler_goes_back_to_received_until_its_last_attempt_then_fails(
    uow: UnitOfWork, shop_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(
        registry.REGISTRY, "customers/delete", failing_route("customers/delete", ConnectionError("db blip"))
    )
    delivery_id = store(uow, "customers/delete", {"id": 1})

    for attempt_number in range(1, MAX_ATTEMPTS + 1):
        with pytest.raises(ConnectionError, match="db blip"):
            process_delivery(delivery_id)
        expected = DeliveryStatus.FAILED if attempt_number == MAX_ATTEMPTS else DeliveryStatus.RECEIVED
        assert states(uow)[delivery_id] == (expected, attempt_number, "ConnectionError: db blip")

    assert process_delivery(delivery_id) == f"delivery {delivery_id}: nothing to do"
    assert states(uow)[delivery_id] == (DeliveryStatus.FAILED, MAX_ATTEMPTS, "ConnectionError: db blip")


def test_a_failure_inside_a_batch_raises_for_its_own_delivery_only(
    uow: UnitOfWork, shop_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = store(uow, "orders/create", order(order_id=1))
    second = store(uow, "orders/create", order(order_id=2))
    original = registry.REGISTRY["orders/create"]

    def flaky(
        uow: UnitOfWork, *, shop_id: int, payload: Mapping[str, Any], delivery: registry.Delivery
    ) -> None:
        if delivery.id == first:
            raise TimeoutError("lock wait")
        registry.handler_of(original)(uow, shop_id=shop_id, payload=payload, delivery=delivery)

    monkeypatch.setitem(registry.REGISTRY, "orders/create", registry.Route("orders/create", flaky))

    with pytest.raises(DeliveryFailed, match="TimeoutError: lock wait"):
        process_delivery(first)

    assert states(uow) == {
        first: (DeliveryStatus.RECEIVED, 1, "TimeoutError: lock wait"),
        second: PROCESSED,
    }


def test_a_processed_delivery_is_not_processed_again(uow: UnitOfWork, shop_id: int) -> None:
    delivery_id = store(uow, "customers/create", customer())
    processing.run(services().db, delivery_id=delivery_id)

    again = processing.run(services().db, delivery_id=delivery_id)

    assert again.claimed == []
    assert count(uow, CrmTimelineEvent) == 1


def test_a_topic_that_lost_its_route_is_ignored(
    uow: UnitOfWork, shop_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    delivery_id = store(uow, "customers/delete", {"id": 1})
    monkeypatch.delitem(registry.REGISTRY, "customers/delete")

    processing.run(services().db, delivery_id=delivery_id)

    assert states(uow)[delivery_id] == (DeliveryStatus.IGNORED, 1, "no handler for topic customers/delete")


def test_draining_processes_every_pending_delivery_of_the_shop_in_batches(
    uow: UnitOfWork, shop_id: int
) -> None:
    ids = [store(uow, "orders/create", order(order_id=n, customer_id=100 + n % 3)) for n in range(1, 8)]
    ids.append(store(uow, "orders/delete", {"id": 7}))
    ids.append(store(uow, "customers/update", customer(customer_id=101, minute=60, first_name="Lee")))

    totals = processing.drain(services().db, shop_id=shop_id, limit=4)

    assert totals == {Result.PROCESSED: 9, Result.IGNORED: 0, Result.FAILED: 0, Result.RETRY: 0}
    assert set(states(uow).values()) == {PROCESSED}
    assert count(uow, CrmOrder) == 7
    assert count(uow, CrmOrder, customer_id=None) == 0
    lee = uow.session.scalar(select(CrmCustomer).where(CrmCustomer.shopify_id == 101))
    assert lee is not None and (lee.first_name, lee.orders_count) == ("Lee", 2)


# -- the sweeper ---------------------------------------------------------------------------------


def test_the_sweeper_requeues_what_lost_its_job_and_resets_what_lost_its_worker(
    uow: UnitOfWork, shop_id: int
) -> None:
    done = store(uow, "customers/delete", {"id": 5})
    processing.run(services().db, delivery_id=done)
    never_enqueued = store(uow, "orders/create", order(order_id=1))
    worker_died = store(uow, "orders/create", order(order_id=2))
    out_of_attempts = store(uow, "orders/create", order(order_id=3))
    now = utcnow()
    uow.session.execute(
        update(T)
        .where(T.c.id == worker_died)
        .values(status=DeliveryStatus.PROCESSING, attempts=1, claimed_at=now)
    )
    uow.session.execute(
        update(T)
        .where(T.c.id == out_of_attempts)
        .values(status=DeliveryStatus.PROCESSING, attempts=MAX_ATTEMPTS, claimed_at=now)
    )
    uow.commit()

    assert inbox.sweep(uow, now=now + timedelta(minutes=9)) == []
    requeues = inbox.sweep(uow, now=now + timedelta(minutes=11))
    uow.commit()

    assert requeues == [
        inbox.Requeue(never_enqueued, f"webhook_{never_enqueued}"),
        inbox.Requeue(worker_died, f"webhook_{worker_died}_retry_1"),
    ]
    assert states(uow) == {
        done: PROCESSED,
        never_enqueued: (DeliveryStatus.RECEIVED, 0, None),
        worker_died: (DeliveryStatus.RECEIVED, 1, None),
        out_of_attempts: (DeliveryStatus.FAILED, MAX_ATTEMPTS, "the worker stopped while processing it"),
    }


def test_the_sweeper_job_processes_what_it_finds(uow: UnitOfWork, shop_id: int) -> None:
    ids = [store(uow, "orders/create", order(order_id=n)) for n in (1, 2, 3)]
    fresh = store(uow, "orders/create", order(order_id=4))
    long_ago = utcnow() - inbox.STALE_AFTER - timedelta(minutes=1)
    uow.session.execute(update(T).where(T.c.id.in_(ids)).values(received_at=long_ago))
    uow.commit()

    assert sweep_inbox() == 3

    result = states(uow)
    assert [result[i] for i in ids] == [PROCESSED] * 3
    # The batch the first job claimed took the fresh delivery along.
    assert result[fresh] == PROCESSED
    assert count(uow, CrmOrder) == 4


# -- retry, the log's queries, purge ---------------------------------------------------------------


def _fail(uow: UnitOfWork, delivery_id: int) -> None:
    uow.session.execute(
        update(T)
        .where(T.c.id == delivery_id)
        .values(status=DeliveryStatus.FAILED, attempts=MAX_ATTEMPTS, last_error="RuntimeError: down")
    )
    uow.commit()


def test_retrying_a_failed_delivery_queues_it_with_fresh_attempts(uow: UnitOfWork, shop_id: int) -> None:
    delivery_id = store(uow, "orders/create", order())
    _fail(uow, delivery_id)

    retried = inbox.retry_delivery(uow, shop_id=shop_id, delivery_id=delivery_id)
    assert (retried.status, retried.attempts) == (DeliveryStatus.RECEIVED, 0)
    uow.commit()  # the job runs inline once committed

    assert states(uow)[delivery_id] == PROCESSED
    assert count(uow, CrmOrder) == 1


def test_retry_refuses_another_shops_delivery_and_changes_nothing(uow: UnitOfWork, shop_id: int) -> None:
    make_shop(uow, domain="globex.myshopify.com")
    delivery_id = store(uow, "orders/create", order(), shop="globex.myshopify.com")
    _fail(uow, delivery_id)

    with pytest.raises(NotFound):
        inbox.retry_delivery(uow, shop_id=shop_id, delivery_id=delivery_id)
    uow.rollback()

    assert states(uow)[delivery_id] == (DeliveryStatus.FAILED, MAX_ATTEMPTS, "RuntimeError: down")


def test_retry_refuses_deliveries_that_are_not_failed_or_cannot_succeed(
    uow: UnitOfWork, shop_id: int
) -> None:
    pending = store(uow, "orders/create", order())
    body, headers = signed_webhook("orders/create", b"{oops")
    malformed = intake.receive_delivery(uow, headers=read_headers(headers), body=body).delivery_id
    uow.commit()
    assert malformed is not None

    with pytest.raises(Conflict, match="is received; only failed deliveries are retried"):
        inbox.retry_delivery(uow, shop_id=shop_id, delivery_id=pending)
    with pytest.raises(Conflict, match="has no payload"):
        inbox.retry_delivery(uow, shop_id=shop_id, delivery_id=malformed)
    uow.rollback()

    assert states(uow)[pending] == (DeliveryStatus.RECEIVED, 0, None)
    assert states(uow)[malformed][0] is DeliveryStatus.FAILED


def test_the_log_lists_a_shops_deliveries_newest_first_by_status_and_topic(
    uow: UnitOfWork, shop_id: int
) -> None:
    make_shop(uow, domain="globex.myshopify.com")
    first = store(uow, "orders/create", order(order_id=1))
    second = store(uow, "customers/create", customer())
    store(uow, "orders/create", order(order_id=2), shop="globex.myshopify.com")
    third = store(uow, "orders/create", order(order_id=3))
    _fail(uow, third)

    assert [e.id for e in inbox.list_deliveries(uow, shop_id=shop_id)] == [third, second, first]
    assert [e.id for e in inbox.list_deliveries(uow, shop_id=shop_id, topic="orders/create")] == [
        third,
        first,
    ]
    [failed] = inbox.list_deliveries(uow, shop_id=shop_id, status=DeliveryStatus.FAILED)
    assert (failed.id, failed.retryable, failed.last_error) == (third, True, "RuntimeError: down")
    assert [e.id for e in inbox.list_deliveries(uow, shop_id=shop_id, before_id=third, limit=1)] == [second]
    counts = inbox.status_counts(uow, shop_id=shop_id)
    assert (
        counts[DeliveryStatus.RECEIVED],
        counts[DeliveryStatus.FAILED],
        counts[DeliveryStatus.PROCESSED],
    ) == (2, 1, 0)
    assert inbox.shop_topics(uow, shop_id=shop_id) == ["customers/create", "orders/create"]


def test_purge_deletes_old_processed_and_ignored_deliveries_and_keeps_failed_ones(
    uow: UnitOfWork, shop_id: int
) -> None:
    processed = store(uow, "customers/delete", {"id": 1})
    processing.run(services().db, delivery_id=processed)
    ignored = store(uow, "carts/update", {"id": "c"})
    failed = store(uow, "orders/create", order())
    _fail(uow, failed)
    recent = store(uow, "customers/delete", {"id": 2})
    processing.run(services().db, delivery_id=recent)
    later = utcnow() + inbox.KEEP_PROCESSED + timedelta(minutes=1)
    uow.session.execute(update(T).where(T.c.id == recent).values(received_at=later - timedelta(days=1)))
    uow.commit()

    assert inbox.purge(uow, now=later) == 2
    uow.commit()

    assert set(states(uow)) == {failed, recent}
    assert ignored not in states(uow)
    assert purge_inbox() == 0


@pytest.mark.parametrize("together", [False, True], ids=["one by one", "in one batch"])
def test_an_older_shop_update_does_not_undo_a_newer_one(
    uow: UnitOfWork, shop_id: int, together: bool
) -> None:
    newer = store(
        uow, "shop/update", {"id": 548380009, "name": "Acme Wholesale"}, triggered_at="2026-05-02T10:00:00Z"
    )
    if not together:
        processing.run(services().db, delivery_id=newer)
    older = store(uow, "shop/update", {"id": 548380009, "name": "Acme"}, triggered_at="2026-05-01T10:00:00Z")

    processing.run(services().db, delivery_id=older if not together else newer)

    assert states(uow) == {newer: PROCESSED, older: PROCESSED}
    shop = uow.session.get(Shop, shop_id)
    assert shop is not None
    uow.session.refresh(shop)
    assert (shop.name, shop.shopify_id) == ("Acme Wholesale", 548380009)
