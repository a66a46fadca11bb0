"""Benchmark: the webhook intake (`POST /webhooks`) under gunicorn against a bare POST route, same run.

    python -m bench.webhook_intake --database-url postgresql://postgres@127.0.0.1:5432/h_wh_bench \\
        --redis-url redis://127.0.0.1:6379/8 --append

wrk posts one signed ~5 KB `orders/create` body over loopback with a new X-Shopify-Webhook-Id per
request (Shopify signs only the body, so one precomputed HMAC stays valid), so every request is a
new delivery: HMAC check, one INSERT .. SELECT (shop lookup and dedupe included) into the inbox,
and its processing requested on Redis as in production (the shop's first delivery enqueues a job,
the others find it queued: webhooks.service.queueing). No worker runs, so the job only waits.
The bare route reads the same body and answers 200. Nothing lost: after each round the inbox
must hold at least as many new rows as wrk counted 2xx answers (a few more are the requests in
flight when wrk stopped counting, whose deliveries were stored and answered after the round ended).
Targets: >= TARGET_RPS deliveries/s with p99 <= TARGET_P99_MS.

The Redis database given is flushed before and after (the queued jobs); the benchmark shop and its
inbox rows are deleted at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

import redis
from flask import Flask, request
from sqlalchemy import delete, func, select

from bench.harness import (
    LOADGEN_GRACE_S,
    TABLE_HEADER,
    LoadResult,
    _wrk_version,
    append_to_benchmarks,
    cpu_breakdown,
    gunicorn_server,
    machine_line,
    markdown_row,
    median_result,
    postgres_backend_cpu,
    prepare_database,
    production_env,
    py_spy_profile,
    utc_stamp,
)
from webhooks.rules import sign

TARGET_RPS = 1500
TARGET_P99_MS = 25.0
DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/h_wh_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/8"
BENCH_SHOP = "tradeline-bench-webhooks.myshopify.com"
TOPIC = "orders/create"
BARE_POST_PATH = "/__bench/bare-post"
WRK_SCRIPT = Path(__file__).resolve().parent / "wrk_webhooks.lua"
TARGET_BODY_BYTES = 5000


# Where a delivery's Python CPU goes, most specific first (see bench.harness.cpu_breakdown).
PROFILE_CATEGORIES = (
    ("HMAC check", "verify_hmac"),
    ("INSERT .. SELECT prepared on libpq (app.db.prepared)", "DirectConnections.first"),
    ("Redis SET NX and enqueue", "request_processing"),
    ("JSON validity check", "_payload_text"),
    ("rest of receive_delivery", "receive_delivery"),
    ("headers, body and the rest of the intake handler", "receive (webhooks/wsgi.py"),
    ("WSGI dispatch: app context, request id, answer", "__call__ (webhooks/wsgi.py"),
    ("Flask around the view: contexts, hooks, logging, response", "Flask.__call__"),
    ("gunicorn: accept, parse, write, close", "handle"),
)


def create_intake_bench_app() -> Flask:
    """`create_app()` with a bare POST route that reads the body and answers 200 (the comparison)."""
    from bench.app import create_bench_app

    app = create_bench_app()
    app.add_url_rule(BARE_POST_PATH, endpoint="bench_bare_post", view_func=_bare_post, methods=["POST"])
    return app


def _bare_post() -> tuple[str, int]:
    """Read the body and answer 200; nothing else."""
    request.get_data(cache=False)
    return "ok", 200


def order_body(target_bytes: int = TARGET_BODY_BYTES) -> bytes:
    """A realistic B2B orders/create payload from the demo generator, grown with lines to ~target_bytes."""
    from app.demo.generator import DemoSize, generate

    payload: dict[str, Any] = next(
        w.payload
        for w in generate(size=DemoSize(companies=5, retail_customers=0, history_days=60))
        if w.topic == TOPIC and w.payload.get("company")
    )
    line = payload["line_items"][0]
    n = 0
    while len(json.dumps(payload).encode()) < target_bytes:
        n += 1
        payload["line_items"].append({**line, "id": line["id"] + n, "quantity": line["quantity"] + n})
    return json.dumps(payload).encode()


def install_bench_shop(database_url: str) -> int:
    from app.db import Database
    from app.shops import install_shop

    db = Database(database_url)
    try:
        with db.unit_of_work() as uow:
            shop_id = install_shop(uow, domain=BENCH_SHOP).id
            uow.commit()
    finally:
        db.dispose()
    return shop_id


def inbox_rows(database_url: str, shop_id: int) -> int:
    from app.db import Database
    from webhooks.models import WebhookDelivery

    db = Database(database_url)
    try:
        with db.unit_of_work() as uow:
            return int(
                uow.session.scalar(
                    select(func.count())
                    .select_from(WebhookDelivery)
                    .where(WebhookDelivery.shop_id == shop_id)
                )
                or 0
            )
    finally:
        db.dispose()


def remove_bench_shop(database_url: str, shop_id: int) -> None:
    from app.db import Database
    from app.models import Shop
    from webhooks.models import WebhookDelivery

    db = Database(database_url)
    try:
        with db.unit_of_work() as uow:
            uow.session.execute(delete(WebhookDelivery).where(WebhookDelivery.shop_id == shop_id))
            uow.session.execute(delete(Shop).where(Shop.id == shop_id))
            uow.commit()
    finally:
        db.dispose()


def _print_profile(collapsed: Path, server_cpu_us: float) -> None:
    """Where the workers' CPU went under intake load, by PROFILE_CATEGORIES (py-spy's GIL holders)."""
    shares = cpu_breakdown(collapsed, PROFILE_CATEGORIES, within="handle")
    lines = [f"{share:6.1%}  {share * server_cpu_us:5,.0f} µs  {label}" for label, share in shares]
    heading = (
        f"py-spy under intake load ({collapsed}): shares of the samples in request handling, and of the "
        f"{server_cpu_us:,.0f} µs of server CPU per delivery in that run:"
    )
    print("\n".join([heading, *lines]), file=sys.stderr)


def run_wrk(url: str, *, seconds: float, connections: int, threads: int, env: dict[str, str]) -> LoadResult:
    completed = subprocess.run(
        [
            "wrk",
            f"--threads={threads}",
            f"--connections={connections}",
            f"--duration={round(seconds)}s",
            "--timeout=10s",
            f"--script={WRK_SCRIPT}",
            url,
        ],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=seconds + LOADGEN_GRACE_S,
        check=True,
    )
    line = next(line for line in completed.stdout.splitlines() if line.startswith("BENCH_JSON "))
    figures = json.loads(line.removeprefix("BENCH_JSON "))
    return LoadResult(
        requests=figures["requests"],
        errors=sum(figures[k] for k in ("connect", "read", "write", "status", "timeout")),
        duration_s=figures["duration_us"] / 1e6,
        p50_ms=figures["p50_us"] / 1000,
        p99_ms=figures["p99_us"] / 1000,
        generator=_wrk_version(),
    )


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--database-url", default=DEFAULT_DATABASE_URL, help="PostgreSQL (created if missing)"
    )
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL, help="flushed before and after")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1, help="gunicorn workers")
    parser.add_argument("--worker-class", default="sync")
    parser.add_argument("--threads", type=int, default=1, help="gunicorn threads per worker")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per measured round")
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--append", action="store_true", help="append the results to BENCHMARKS.md")
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="FILE",
        help="after the rounds, sample the workers with py-spy under intake load: collapsed stacks to FILE, "
        "and where the CPU goes printed (py-spy must be installed: pip install py-spy)",
    )
    args = parser.parse_args(argv)

    _ensure_database(args.database_url)
    workdir = Path(tempfile.mkdtemp(prefix="tradeline-bench-webhooks-"))
    database_url = prepare_database("postgres", args.database_url, workdir)
    conn = redis.Redis.from_url(args.redis_url)
    conn.flushdb()
    shop_id = install_bench_shop(database_url)
    env = production_env(database_url, workdir / "instance", REDIS_URL=args.redis_url, LOG_LEVEL="WARNING")
    body_file = workdir / "orders_create.json"
    body = order_body()
    body_file.write_bytes(body)
    load_env = {
        "BENCH_BODY_FILE": str(body_file),
        "BENCH_HMAC": sign(body, env["SHOPIFY_API_SECRET"]),
        "BENCH_SHOP": BENCH_SHOP,
        "BENCH_TOPIC": TOPIC,
    }
    bare: list[LoadResult] = []
    intake: list[LoadResult] = []
    lost: list[int] = []
    in_flight: list[int] = []
    loads: list[str] = []
    pg_cpu: dict[str, float] = {}  # PostgreSQL backends' CPU µs per request, latest round of each path
    pg_intake: list[float] = []
    try:
        with gunicorn_server(
            "bench.webhook_intake:create_intake_bench_app()",
            env=env,
            workers=args.workers,
            worker_class=args.worker_class,
            threads=args.threads,
            ready_path="/__bench/bare",
            log_dir=workdir,
        ) as server:

            def load(path: str, seconds: float, signed: bool) -> LoadResult:
                pg_before = postgres_backend_cpu(database_url)
                cpu_before = server.cpu_seconds()
                result = run_wrk(
                    server.base_url + path,
                    seconds=seconds,
                    connections=args.connections,
                    threads=args.wrk_threads,
                    env={
                        **load_env,
                        "BENCH_SIGNED": "1" if signed else "0",
                        "BENCH_RUN": uuid.uuid4().hex[:12],
                    },
                )
                result = result.with_server_cpu(server.cpu_seconds() - cpu_before)
                pg_cpu[path] = _backend_cpu_since(database_url, pg_before) / max(result.requests, 1) * 1e6
                return result

            load(BARE_POST_PATH, args.warmup, signed=False)
            load("/webhooks", args.warmup, signed=True)
            for round_number in range(1, args.rounds + 1):
                bare.append(load(BARE_POST_PATH, args.duration, signed=False))
                before = inbox_rows(database_url, shop_id)
                intake.append(load("/webhooks", args.duration, signed=True))
                answered = intake[-1].requests - intake[-1].errors
                stored = inbox_rows(database_url, shop_id) - before
                lost.append(max(0, answered - stored))
                in_flight.append(max(0, stored - answered))
                loads.append(load_average())
                pg_intake.append(pg_cpu["/webhooks"])
                print(
                    f"round {round_number}: bare {bare[-1].rps:,.0f} rps; intake {intake[-1].rps:,.0f} rps, "
                    f"p99 {intake[-1].p99_ms:.1f} ms, {intake[-1].errors} errors, lost {lost[-1]}; "
                    f"server CPU {intake[-1].server_cpu_us or 0:,.0f} µs/delivery "
                    f"(bare {bare[-1].server_cpu_us or 0:,.0f}), "
                    f"PostgreSQL {pg_intake[-1]:,.0f} µs/delivery; load {loads[-1]}",
                    file=sys.stderr,
                )
            if args.profile:
                with py_spy_profile(server.pid, args.profile):
                    profiled = load("/webhooks", args.duration, signed=True)
                _print_profile(args.profile, profiled.server_cpu_us or 0.0)
            queued = conn.llen("rq:queue:webhooks")
    finally:
        remove_bench_shop(database_url, shop_id)
        conn.flushdb()

    bare_result, intake_result = median_result(bare), median_result(intake)
    ratio = intake_result.rps / bare_result.rps
    met = intake_result.rps >= TARGET_RPS and intake_result.p99_ms <= TARGET_P99_MS and not any(lost)
    workers = f"{args.workers} {args.worker_class}" + (
        f" x{args.threads} threads" if args.threads > 1 else ""
    )
    command = "python -m bench.webhook_intake " + shlex.join(argv if argv is not None else sys.argv[1:])
    section = "\n".join(
        [
            f"## Webhook intake `POST /webhooks` vs a bare POST — PostgreSQL + Redis — {utc_stamp()}",
            "",
            f"Command: `{command}`  ",
            f"Machine: {machine_line()}  ",
            f"Load: {intake_result.generator}, {args.connections} connections, "
            f"{args.wrk_threads} wrk threads, {args.rounds} rounds of {args.duration:g} s per route after "
            f"{args.warmup:g} s warm-up, medians; "
            f"loopback; gunicorn {workers} worker(s), production settings; signed {len(body):,}-byte "
            f"`{TOPIC}` body, a new webhook id per request; processing requested on Redis "
            "(no worker running). "
            f"Load average after each round: {', '.join(loads)}.",
            "",
            TABLE_HEADER,
            markdown_row(f"bare POST `{BARE_POST_PATH}` (same body)", "PostgreSQL", workers, bare_result),
            markdown_row(
                "`POST /webhooks` (store + enqueue)", "PostgreSQL", workers, intake_result, bare_result
            ),
            "",
            f"Target >= {TARGET_RPS:,} deliveries/s with p99 <= {TARGET_P99_MS:g} ms, nothing lost: "
            f"{'met' if met else 'NOT met'} ({intake_result.rps:,.0f}/s, p99 {intake_result.p99_ms:.1f} ms). "
            f"Lost per round (2xx answers without an inbox row): {', '.join(str(n) for n in lost)}; "
            f"stored after wrk stopped counting: {', '.join(str(n) for n in in_flight)}; "
            f"errors {intake_result.errors}; jobs left queued at the end: {queued:,}. "
            f"PostgreSQL backends' CPU per delivery (median): {statistics.median(pg_intake):,.0f} µs. "
            f"Ratio to bare {ratio:.2f}. "
            "Rounds (rps bare/intake, intake p99 ms): "
            + ", ".join(
                f"{b.rps:,.0f}/{i.rps:,.0f} ({i.p99_ms:.1f})" for b, i in zip(bare, intake, strict=True)
            )
            + ".",
        ]
    )
    print(section)
    if args.append:
        append_to_benchmarks(section)
    return 0 if not any(lost) else 1


def _backend_cpu_since(database_url: str, before: dict[int, float]) -> float:
    """CPU seconds the benchmark database's PostgreSQL backends used since `before` (new ones in full)."""
    after = postgres_backend_cpu(database_url)
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


def _ensure_database(url: str) -> None:
    """Create the benchmark's PostgreSQL database when it does not exist yet."""
    from sqlalchemy.engine import make_url

    from app.db import make_engine

    target = make_url(url)
    admin = make_engine(
        target.set(database="postgres").render_as_string(hide_password=False), isolation_level="AUTOCOMMIT"
    )
    try:
        with admin.connect() as connection:
            exists = connection.exec_driver_sql(
                "SELECT 1 FROM pg_database WHERE datname = %s", (target.database,)
            ).scalar()
            if not exists:
                connection.exec_driver_sql(f'CREATE DATABASE "{target.database}"')
    finally:
        admin.dispose()


if __name__ == "__main__":
    sys.exit(main())
