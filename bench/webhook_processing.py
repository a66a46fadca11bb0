"""Benchmark: processing queued `orders/create` deliveries on PostgreSQL, per worker.

    python -m bench.webhook_processing --database-url postgresql://postgres@127.0.0.1:5432/h_wh_bench \\
        --redis-url redis://127.0.0.1:6379/8 --deliveries 10000 --append

Each round stores N `orders/create` deliveries in the inbox of a fresh benchmark shop (realistic B2B
orders from the demo generator, each with a new order id; their customers and companies repeat as
in a real shop) and asks for their processing exactly as the intake does after each commit (which
queues one job, that the others wait for: webhooks.service.queueing). Then one real
`tradeline worker --burst --queues webhooks` (the forking RQ worker) drains the queue, and the
round reports N / its wall time, start-up included, and N / the time from the first job's start to
the last job's end as RQ recorded them (the worker's rate once running: a production worker starts
once, not per burst, and its start-up, ~2 s of importing and building the app, is not per
delivery). Each job claims up to `BATCH_LIMIT` pending
deliveries of the shop, applies them in one transaction and enqueues the next job while deliveries
remain: one job (one fork) per batch, where RQ's per-job cost would cap a worker at ~80 jobs/s.
`--job-per-delivery` queues a job for every delivery instead; each batch then drops the queued jobs
of the deliveries it completed. For reference it also times, in this process and without RQ,
draining the same kind of deliveries one per transaction and in batches. Target: >= TARGET_PER_S
per worker.

The Redis database given is flushed before and after; the benchmark shop is deleted at the end.
"""

from __future__ import annotations

import argparse
import copy
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import redis
from rq import Queue, Retry
from rq.job import Job
from rq.registry import FinishedJobRegistry
from sqlalchemy import delete, func, insert, select

from app.db import Database, utcnow
from bench.harness import REPO_ROOT, machine_line, prepare_database, production_env, utc_stamp
from bench.webhook_intake import DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL, _ensure_database, load_average
from webhooks.rules import WEBHOOK_QUEUE

TARGET_PER_S = 1000
BENCH_SHOP = "tradeline-bench-processing.myshopify.com"
TOPIC = "orders/create"
INSERT_CHUNK = 1000
WORKER_TIMEOUT_S = 600


def demo_orders() -> list[dict[str, Any]]:
    """The demo shop's orders/create payloads (about 4,900, two years of a B2B wholesaler)."""
    from app.demo.generator import generate

    return [w.payload for w in generate() if w.topic == TOPIC]


def orders(templates: list[dict[str, Any]], count: int, offset: int) -> Iterator[dict[str, Any]]:
    """`count` order payloads cycling through the templates, each with its own order and line ids."""
    for n in range(count):
        payload = copy.deepcopy(templates[n % len(templates)])
        order_id = 9_000_000_000_000 + offset + n
        payload["id"] = order_id
        payload["admin_graphql_api_id"] = f"gid://shopify/Order/{order_id}"
        for i, line in enumerate(payload.get("line_items") or []):
            line["id"] = order_id * 100 + i
        yield payload


def fresh_shop(db: Database) -> int:
    from app.models import Shop
    from app.shops import install_shop

    with db.unit_of_work() as uow:
        uow.session.execute(delete(Shop).where(Shop.domain == BENCH_SHOP))
        shop_id = install_shop(uow, domain=BENCH_SHOP).id
        uow.commit()
    return shop_id


def store(db: Database, shop_id: int, payloads: Iterator[dict[str, Any]], tag: str) -> list[int]:
    """Insert the deliveries as the intake stores them (received, payload as sent); their ids."""
    from webhooks.models import DeliveryStatus, WebhookDelivery

    table = WebhookDelivery.__table__
    ids: list[int] = []
    batch: list[dict[str, Any]] = []

    def flush() -> None:
        with db.unit_of_work() as uow:
            ids.extend(uow.session.scalars(insert(table).returning(table.c.id), batch))
            uow.commit()
        batch.clear()

    for n, payload in enumerate(payloads):
        batch.append(
            {
                "shop_id": shop_id,
                "webhook_id": f"{tag}-{n}",
                "topic": TOPIC,
                "api_version": "2026-04",
                "payload": payload,
                "status": DeliveryStatus.RECEIVED,
                "attempts": 0,
                "received_at": utcnow(),
            }
        )
        if len(batch) == INSERT_CHUNK:
            flush()
    if batch:
        flush()
    return ids


def enqueue_like_intake(database_url: str, redis_url: str, shop_id: int, ids: list[int]) -> int:
    """Ask for each delivery's processing as the intake does after each commit; the jobs enqueued.

    The first delivery's job is enqueued; the others find it queued (webhooks.service.queueing).
    """
    from app import create_app
    from webhooks.service import queueing

    app = create_app({"DATABASE_URL": database_url, "REDIS_URL": redis_url, "LOG_LEVEL": "WARNING"})
    try:
        with app.app_context():
            return sum(queueing.request_processing(shop_id=shop_id, delivery_id=i) for i in ids)
    finally:
        app.extensions["tradeline"].db.dispose()


def enqueue_one_each(conn: redis.Redis, ids: list[int]) -> int:
    """One job per delivery, with the intake's job ids and retries (pipelined); the jobs enqueued."""
    from webhooks.rules import PROCESS_JOB, WEBHOOK_RETRIES
    from webhooks.service.inbox import processing_job_id

    queue = Queue(WEBHOOK_QUEUE, connection=conn)
    for start in range(0, len(ids), INSERT_CHUNK):
        queue.enqueue_many(
            [
                Queue.prepare_data(
                    PROCESS_JOB,
                    args=(delivery_id,),
                    job_id=processing_job_id(delivery_id),
                    retry=Retry(max=WEBHOOK_RETRIES, interval=[10, 60, 300]),
                )
                for delivery_id in ids[start : start + INSERT_CHUNK]
            ]
        )
    return len(ids)


def jobs_span(conn: redis.Redis, *, since: datetime) -> float:
    """Seconds from the first start to the last end of the webhook jobs started after `since` (per RQ)."""
    registry = FinishedJobRegistry(WEBHOOK_QUEUE, connection=conn)
    jobs = [job for job in Job.fetch_many(registry.get_job_ids(), connection=conn) if job is not None]
    spans = [(job.started_at, job.ended_at) for job in jobs if job.started_at and job.ended_at]
    spans = [(start, end) for start, end in spans if start.replace(tzinfo=UTC) >= since]
    if not spans:
        raise RuntimeError("no finished webhook job recorded in this round")
    return (max(end for _, end in spans) - min(start for start, _ in spans)).total_seconds()


def counts(db: Database, shop_id: int) -> tuple[int, int]:
    """(processed deliveries, CRM orders) of the shop."""
    from crm.models import CrmOrder
    from webhooks.models import DeliveryStatus, WebhookDelivery

    with db.unit_of_work() as uow:
        processed = uow.session.scalar(
            select(func.count())
            .select_from(WebhookDelivery)
            .where(WebhookDelivery.shop_id == shop_id, WebhookDelivery.status == DeliveryStatus.PROCESSED)
        )
        crm_orders = uow.session.scalar(
            select(func.count()).select_from(CrmOrder).where(CrmOrder.shop_id == shop_id)
        )
    return int(processed or 0), int(crm_orders or 0)


def burst_worker(env: dict[str, str]) -> float:
    """Run one `tradeline worker --burst` on the webhooks queue; its wall time in seconds."""
    started = time.perf_counter()
    completed = subprocess.run(
        [str(Path(sys.executable).with_name("tradeline")), "worker", "--burst", "--queues", "webhooks"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=WORKER_TIMEOUT_S,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if completed.returncode != 0:
        raise RuntimeError(f"the worker failed:\n{completed.stderr[-4000:]}")
    return elapsed


def drain_in_process(database_url: str, shop_id: int, limit: int) -> float:
    """Process the shop's pending deliveries here, `limit` per transaction; seconds taken."""
    from app import create_app
    from webhooks.service import processing

    app = create_app({"DATABASE_URL": database_url, "REDIS_URL": None, "LOG_LEVEL": "WARNING"})
    try:
        with app.app_context():
            started = time.perf_counter()
            processing.drain(app.extensions["tradeline"].db, shop_id=shop_id, limit=limit)
            return time.perf_counter() - started
    finally:
        app.extensions["tradeline"].db.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL, help="flushed before and after")
    parser.add_argument("--deliveries", type=int, default=10000, help="deliveries per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--single", type=int, default=1000, help="deliveries for the one-per-transaction reference"
    )
    parser.add_argument(
        "--job-per-delivery",
        action="store_true",
        help="queue one job per delivery (as if every delivery had found its shop without a queued job)",
    )
    parser.add_argument("--append", action="store_true", help="append the results to BENCHMARKS.md")
    args = parser.parse_args(argv)

    from webhooks.service.processing import BATCH_LIMIT

    _ensure_database(args.database_url)
    workdir = Path(tempfile.mkdtemp(prefix="tradeline-bench-processing-"))
    database_url = prepare_database("postgres", args.database_url, workdir)
    conn = redis.Redis.from_url(args.redis_url)
    conn.flushdb()
    env = production_env(database_url, workdir / "instance", REDIS_URL=args.redis_url, LOG_LEVEL="WARNING")
    db = Database(database_url)
    templates = demo_orders()
    worker_rates: list[float] = []
    running_rates: list[float] = []
    loads: list[str] = []
    try:
        startup = burst_worker(env)  # an empty queue: what starting and stopping a worker costs
        for round_number in range(1, args.rounds + 1):
            shop_id = fresh_shop(db)
            ids = store(
                db, shop_id, orders(templates, args.deliveries, round_number * 10_000_000), f"r{round_number}"
            )
            if args.job_per_delivery:
                jobs = enqueue_one_each(conn, ids)
            else:
                jobs = enqueue_like_intake(database_url, args.redis_url, shop_id, ids)
            round_started = datetime.now(UTC)
            elapsed = burst_worker(env)
            running_rates.append(args.deliveries / jobs_span(conn, since=round_started))
            processed, crm_orders = counts(db, shop_id)
            if (processed, crm_orders) != (args.deliveries, args.deliveries):
                raise RuntimeError(f"round {round_number}: {processed} processed, {crm_orders} orders")
            worker_rates.append(args.deliveries / elapsed)
            loads.append(load_average())
            print(
                f"round {round_number}: {args.deliveries:,} ({jobs:,} jobs queued) in {elapsed:.1f} s "
                f"= {worker_rates[-1]:,.0f}/s, {running_rates[-1]:,.0f}/s from the first job's start "
                "to the last's end; "
                f"load {loads[-1]}",
                file=sys.stderr,
            )
        shop_id = fresh_shop(db)
        store(db, shop_id, orders(templates, args.single, 900_000_000), "single")
        single_rate = args.single / drain_in_process(database_url, shop_id, limit=1)
        shop_id = fresh_shop(db)
        store(db, shop_id, orders(templates, args.deliveries, 950_000_000), "batch")
        batch_rate = args.deliveries / drain_in_process(database_url, shop_id, limit=BATCH_LIMIT)
    finally:
        from app.models import Shop

        with db.unit_of_work() as uow:
            uow.session.execute(delete(Shop).where(Shop.domain == BENCH_SHOP))
            uow.commit()
        db.dispose()
        conn.flushdb()

    worker_rates.sort()
    median = worker_rates[len(worker_rates) // 2]
    running = sorted(running_rates)[len(running_rates) // 2]
    command = "python -m bench.webhook_processing " + shlex.join(argv if argv is not None else sys.argv[1:])
    section = "\n".join(
        [
            f"## Webhook processing: queued `orders/create` per worker — PostgreSQL — {utc_stamp()}",
            "",
            f"Command: `{command}`  ",
            f"Machine: {machine_line()}  ",
            f"Work: {args.rounds} rounds of {args.deliveries:,} deliveries in the inbox, "
            + (
                "one queued job each"
                if args.job_per_delivery
                else "their processing requested as the intake does"
            )
            + f", drained by one `tradeline worker --burst` (forking RQ worker), batch limit {BATCH_LIMIT}; "
            "orders from the demo generator with fresh ids. "
            f"Load average after each round: {', '.join(loads)}.",
            "",
            "| path | deliveries/s |",
            "| --- | ---: |",
            f"| one `tradeline worker --burst`, start-up included (median of {args.rounds}) "
            f"| {median:,.0f} |",
            f"| the same worker once running: first job's start to last job's end (median) "
            f"| {running:,.0f} |",
            f"| in-process drain, {BATCH_LIMIT} deliveries per transaction (no RQ) | {batch_rate:,.0f} |",
            f"| in-process drain, 1 delivery per transaction (no RQ) | {single_rate:,.0f} |",
            "",
            f"Target >= {TARGET_PER_S:,}/s per worker: {'met' if median >= TARGET_PER_S else 'NOT met'} "
            f"with start-up included, {'met' if running >= TARGET_PER_S else 'NOT met'} once running. "
            f"Worker rounds: {', '.join(f'{r:,.0f}/s' for r in worker_rates)} "
            f"(once running: {', '.join(f'{r:,.0f}/s' for r in running_rates)}); a burst worker on an empty "
            f"queue takes {startup:.1f} s to start and stop.",
        ]
    )
    print(section)
    if args.append:
        from bench.harness import append_to_benchmarks

        append_to_benchmarks(section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
