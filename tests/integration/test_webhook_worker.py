"""Nothing lost, with real Redis and real workers: Redis down at intake, bursts, a worker killed mid-job."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from rq import Queue
from rq.job import Job
from rq.registry import FinishedJobRegistry
from sqlalchemy import func, select

from app import create_app, services
from app.db import UnitOfWork
from app.jobs import enqueue, redis_connection
from app.worker import TradelineSimpleWorker
from crm.models import CrmCustomer, CrmOrder, CrmOrderLine, CrmTimelineEvent
from tests.crm_support import make_shop, order
from tests.support import TEST_SETTINGS, signed_webhook
from webhooks import jobs as webhook_jobs
from webhooks import registry
from webhooks.jobs import process_delivery
from webhooks.models import DeliveryStatus, WebhookDelivery
from webhooks.rules import WEBHOOK_QUEUE, WEBHOOK_RETRIES
from webhooks.service import inbox, processing, queueing
from webhooks.views import DEFER_PROCESSING

ROOT = Path(__file__).resolve().parents[2]
TRADELINE = Path(sys.executable).with_name("tradeline")
THIS_MODULE = "tests.integration.test_webhook_worker"
PROCESS_TIMEOUT_S = 60
POLL_S = 0.1
# Set in a worker's environment: the test job below holds its transaction open this long.
SLEEP_ENV = "TEST_WEBHOOK_HANDLER_SLEEP_S"
SLEEPING_KEY = "test:webhook:handler-sleeping"
CLOSED_PORT_REDIS = "redis://127.0.0.1:9/0"
T = WebhookDelivery.__table__


def process_slowly(delivery_id: int) -> str:
    """Test job: process_delivery, the orders/create handler pausing SLEEP_ENV seconds before the commit."""
    original = registry.REGISTRY["orders/create"]
    pause = float(os.environ.get(SLEEP_ENV, "0"))

    def slow(
        uow: UnitOfWork, *, shop_id: int, payload: Mapping[str, Any], delivery: registry.Delivery
    ) -> None:
        registry.handler_of(original)(uow, shop_id=shop_id, payload=payload, delivery=delivery)
        redis_connection().set(SLEEPING_KEY, delivery.id)
        time.sleep(pause)

    # Only in this (forked) job process: the registry of the test process is untouched.
    registry.REGISTRY["orders/create"] = registry.Route("orders/create", slow, batch="orders")  # type: ignore[index]
    try:
        return process_delivery(delivery_id)
    finally:
        registry.REGISTRY["orders/create"] = original  # type: ignore[index]


@pytest.fixture
def worker_app(app_config: dict[str, Any], redis_url: str, request: pytest.FixtureRequest) -> Flask:
    """The app on real commits and the real Redis, so worker processes see both."""
    app_config["REDIS_URL"] = redis_url
    return request.getfixturevalue("live_app")


@pytest.fixture
def worker_env(app_config: dict[str, Any], tmp_path: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in TEST_SETTINGS}
    for key, value in {**TEST_SETTINGS, **app_config}.items():
        if value is not None:
            env[key] = "1" if value is True else "0" if value is False else str(value)
    env.update(LOG_FORMAT="json", INSTANCE_PATH=str(tmp_path / "worker-instance"), PYTHONPATH=str(ROOT))
    return env


@pytest.fixture
def shop_ids(worker_app: Flask) -> tuple[int, int]:
    with services().db.unit_of_work() as uow:
        ids = make_shop(uow), make_shop(uow, domain="globex.myshopify.com")
        uow.commit()
    return ids


def post(app: Flask, topic: str, payload: Any, **options: Any) -> tuple[int, str]:
    body, headers = signed_webhook(topic, payload, **options)
    response = app.test_client().post("/webhooks", data=body, headers=headers)
    return response.status_code, response.get_data(as_text=True)


def first_id() -> int:
    with services().db.unit_of_work() as uow:
        return int(uow.session.scalar(select(func.min(T.c.id))) or 0)


def statuses() -> list[tuple[DeliveryStatus, int]]:
    with services().db.unit_of_work() as uow:
        return [
            (r.status, r.attempts)
            for r in uow.session.execute(select(T.c.status, T.c.attempts).order_by(T.c.id))
        ]


def work_in_process(app: Flask) -> None:
    worker = TradelineSimpleWorker([WEBHOOK_QUEUE], app=app, connection=redis_connection(app))
    worker.work(burst=True, with_scheduler=False, logging_level="WARNING")


def descendants(pid: int) -> list[int]:
    """The processes below `pid` (children first), read from /proc."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # The command name (field 2) may hold spaces; the fields after its closing paren do not.
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue  # the process ended while we looked
        children.setdefault(parent, []).append(int(stat.parent.name))
    found: list[int] = []
    queue = list(children.get(pid, []))
    while queue:
        child = queue.pop(0)
        found.append(child)
        queue += children.get(child, [])
    return found


def wait_for(condition: Callable[[], bool], timeout_s: float = PROCESS_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout_s} s")
        time.sleep(POLL_S)


def test_with_redis_down_every_delivery_is_answered_and_kept_and_the_sweeper_processes_them_all(
    worker_app: Flask, app_config: dict[str, Any], shop_ids: tuple[int, int]
) -> None:
    # given an intake whose Redis is unreachable (nothing listens on the port)
    down = create_app({**app_config, "REDIS_URL": CLOSED_PORT_REDIS})
    try:
        with down.app_context():
            answers = [post(down, "orders/create", order(order_id=n, total="10.00"))[0] for n in range(1, 21)]
    finally:
        down.extensions["tradeline"].db.dispose()

    # then every delivery was answered 200 and stored, none processed
    assert answers == [200] * 20
    assert statuses() == [(DeliveryStatus.RECEIVED, 0)] * 20

    # when Redis is back and the sweeper runs (threshold 0), and a worker drains the queue
    with services().db.unit_of_work() as uow:
        requeues = inbox.sweep(uow, stale_after=timedelta(0))
        inbox.requeue_all(uow, requeues)
        uow.commit()
    assert len(Queue(WEBHOOK_QUEUE, connection=redis_connection()).get_job_ids()) == 20
    work_in_process(worker_app)

    # then all are processed, by one job: its batch took the others and removed their queued jobs
    assert statuses() == [(DeliveryStatus.PROCESSED, 1)] * 20
    with services().db.unit_of_work() as uow:
        assert uow.session.scalars(select(CrmCustomer.total_spent)).all() == [Decimal("200.00")]
    conn = redis_connection()
    assert Queue(WEBHOOK_QUEUE, connection=conn).get_job_ids() == []
    assert FinishedJobRegistry(WEBHOOK_QUEUE, connection=conn).count == 1
    with services().db.unit_of_work() as uow:
        ids = uow.session.scalars(select(T.c.id)).all()
    assert sum(conn.exists(Job.key_for(inbox.processing_job_id(i))) for i in ids) == 1  # the one that ran


def test_a_burst_queues_one_job_per_shop_and_a_duplicate_enqueues_nothing(
    worker_app: Flask, shop_ids: tuple[int, int]
) -> None:
    answers = [
        post(worker_app, "orders/create", order(order_id=n), webhook_id=f"w{n}")[1] for n in range(1, 31)
    ]
    answers.append(post(worker_app, "orders/create", order(order_id=1), webhook_id="w1")[1])
    conn = redis_connection()

    assert answers == ["stored"] * 30 + ["duplicate delivery"]
    # The first delivery's job is queued; the others wait for it (it takes every pending delivery).
    assert Queue(WEBHOOK_QUEUE, connection=conn).get_job_ids() == [inbox.processing_job_id(first_id())]

    work_in_process(worker_app)

    assert statuses() == [(DeliveryStatus.PROCESSED, 1)] * 30
    assert Queue(WEBHOOK_QUEUE, connection=conn).get_job_ids() == []
    assert FinishedJobRegistry(WEBHOOK_QUEUE, connection=conn).count == 1


def test_a_burst_larger_than_a_batch_is_taken_batch_after_batch_by_one_job(
    worker_app: Flask, shop_ids: tuple[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(processing, "BATCH_LIMIT", 4)
    answers = [post(worker_app, "orders/create", order(order_id=n))[1] for n in range(1, 11)]
    conn = redis_connection()
    assert answers == ["stored"] * 10

    work_in_process(worker_app)

    # 4 + 4 + 2 in one job: it went on with the next batches while it had time.
    assert statuses() == [(DeliveryStatus.PROCESSED, 1)] * 10
    assert FinishedJobRegistry(WEBHOOK_QUEUE, connection=conn).count == 1
    assert conn.exists(queueing.pending_key(shop_ids[0])) == 0


def test_a_burst_longer_than_a_jobs_time_is_handed_over_to_one_job_after_another(
    worker_app: Flask, shop_ids: tuple[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(processing, "BATCH_LIMIT", 4)
    monkeypatch.setattr(webhook_jobs, "CONTINUE_FOR_SECONDS", 0)
    answers = [post(worker_app, "orders/create", order(order_id=n))[1] for n in range(1, 11)]
    conn = redis_connection()
    assert answers == ["stored"] * 10
    assert len(Queue(WEBHOOK_QUEUE, connection=conn).get_job_ids()) == 1

    work_in_process(worker_app)

    # 4 + 4 + 2: each job enqueued the next for the deliveries its batch could not take.
    assert statuses() == [(DeliveryStatus.PROCESSED, 1)] * 10
    assert FinishedJobRegistry(WEBHOOK_QUEUE, connection=conn).count == 3
    assert conn.exists(queueing.pending_key(shop_ids[0])) == 0


def _order_state(uow: UnitOfWork, shop_id: int) -> dict[str, Any]:
    """What processing an order left in the CRM, without ids and clock times."""
    [order_row] = uow.session.scalars(select(CrmOrder).where(CrmOrder.shop_id == shop_id)).all()
    lines = uow.session.execute(
        select(CrmOrderLine.shopify_id, CrmOrderLine.sku, CrmOrderLine.quantity, CrmOrderLine.price).where(
            CrmOrderLine.order_id == order_row.id
        )
    ).all()
    [buyer] = uow.session.scalars(select(CrmCustomer).where(CrmCustomer.shop_id == shop_id)).all()
    events = uow.session.scalars(
        select(CrmTimelineEvent.kind).where(CrmTimelineEvent.shop_id == shop_id).order_by(CrmTimelineEvent.id)
    ).all()
    return {
        "order": (
            order_row.shopify_id,
            order_row.name,
            order_row.financial_status,
            order_row.total_price,
            order_row.current_total_price,
            order_row.customer_id == buyer.id,
            order_row.shopify_updated_at,
        ),
        "lines": sorted(tuple(line) for line in lines),
        "customer": (buyer.shopify_id, buyer.email, buyer.orders_count, buyer.total_spent, buyer.tags),
        "events": list(events),
    }


def test_a_worker_killed_mid_job_leaves_nothing_half_done_and_the_retry_gives_the_same_result(
    worker_app: Flask, worker_env: dict[str, str], shop_ids: tuple[int, int]
) -> None:
    acme, globex = shop_ids
    payload = order(order_id=820982911946154508, total="298.77")
    # given a delivery stored without a job, then a job that pauses inside the handler's transaction
    worker_app.config[DEFER_PROCESSING] = True
    assert post(worker_app, "orders/create", payload)[0] == 200
    with services().db.unit_of_work() as uow:
        delivery_id = uow.session.scalar(select(T.c.id))
    enqueue(
        f"{THIS_MODULE}.process_slowly",
        delivery_id,
        queue=WEBHOOK_QUEUE,
        job_id=inbox.processing_job_id(delivery_id),
        retries=WEBHOOK_RETRIES,
    )
    conn = redis_connection()

    # when a real `tradeline worker` runs it and is killed with SIGKILL while the handler pauses
    worker = subprocess.Popen(
        [str(TRADELINE), "worker", "--queues", WEBHOOK_QUEUE],
        cwd=ROOT,
        env={**worker_env, SLEEP_ENV: "60"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group: the work horse goes with it
    )
    try:
        wait_for(lambda: conn.get(SLEEPING_KEY) is not None or worker.poll() is not None)
        assert worker.poll() is None, worker.communicate()[1][-3000:]
    finally:
        # RQ puts its work horse in a process group of its own: kill the horse and the worker.
        for pid in [*descendants(worker.pid), worker.pid]:
            os.kill(pid, signal.SIGKILL)
        worker.communicate(timeout=PROCESS_TIMEOUT_S)

    # then the claimed attempt is visible and nothing of the handler's work was committed
    assert statuses() == [(DeliveryStatus.PROCESSING, 1)]
    with services().db.unit_of_work() as uow:
        assert uow.session.scalars(select(CrmOrder.id)).all() == []

    # when the sweeper re-enqueues it and a new worker (no pause) drains the queue
    with services().db.unit_of_work() as uow:
        requeues = inbox.sweep(uow, stale_after=timedelta(0))
        inbox.requeue_all(uow, requeues)
        uow.commit()
    assert [r.job_id for r in requeues] == [f"webhook_{delivery_id}_retry_1"]
    finished = subprocess.run(
        [str(TRADELINE), "worker", "--burst", "--queues", WEBHOOK_QUEUE],
        cwd=ROOT,
        env=worker_env,
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT_S,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr[-3000:]

    # then it is processed once, and the CRM holds exactly what a clean run of the payload gives
    assert statuses() == [(DeliveryStatus.PROCESSED, 2)]
    worker_app.config[DEFER_PROCESSING] = True
    assert post(worker_app, "orders/create", payload, shop="globex.myshopify.com")[0] == 200
    processing.drain(services().db, shop_id=globex)
    with services().db.unit_of_work() as uow:
        recovered, clean = _order_state(uow, acme), _order_state(uow, globex)
    assert recovered == clean
    assert recovered["events"] == ["customer.created", "order.created"]


def test_an_enqueue_that_fails_is_logged_with_its_job_id_and_the_delivery_still_answered(
    worker_app: Flask, app_config: dict[str, Any], shop_ids: tuple[int, int], caplog: pytest.LogCaptureFixture
) -> None:
    down = create_app({**app_config, "REDIS_URL": CLOSED_PORT_REDIS})
    try:
        with down.app_context():
            answer = post(down, "customers/delete", {"id": 1})
    finally:
        down.extensions["tradeline"].db.dispose()

    with services().db.unit_of_work() as uow:
        delivery_id = uow.session.scalar(select(T.c.id))
    assert answer == (200, "stored")
    expected = (
        f"could not enqueue webhooks.jobs.process_delivery for delivery {delivery_id} "
        f"(job id webhook_{delivery_id}); the sweeper will"
    )
    assert [r.levelname for r in caplog.records if r.getMessage() == expected] == ["ERROR"]
