"""Benchmark: authenticated `GET /api/v1/shop` against a bare Flask route, same gunicorn, same run.

    python -m bench.api_shop --db sqlite
    python -m bench.api_shop --db postgres --database-url postgresql://postgres@127.0.0.1:5432/h_api --append
    python -m bench.api_shop --db sqlite --profile /tmp/api.collapsed   # where the API's CPU goes (py-spy)

The target is an API throughput of at least TARGET_RATIO of the bare route's: the API path (key lookup,
shop read, JSON) should cost less than the framework around it.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shlex
import statistics
import sys
import tempfile
from pathlib import Path

from sqlalchemy import delete

from bench.app import BARE_PATH
from bench.harness import (
    DEFAULT_POSTGRES_URL,
    TABLE_HEADER,
    LoadResult,
    append_to_benchmarks,
    check_response,
    cpu_breakdown,
    gunicorn_server,
    load_average,
    machine_line,
    markdown_row,
    median_result,
    postgres_backend_cpu,
    prepare_database,
    production_env,
    py_spy_profile,
    run_load,
    utc_stamp,
)

TARGET_RATIO = 0.6
API_PATH = "/api/v1/shop"
BENCH_SHOP = "tradeline-bench.myshopify.com"


def issue_bench_key(database_url: str) -> tuple[int, str]:
    """Register the benchmark shop (idempotent) and give it a fresh API key."""
    from app.apikeys import create_api_key
    from app.db import Database
    from app.shops import install_shop

    db = Database(database_url)
    try:
        with db.unit_of_work() as uow:
            shop = install_shop(uow, domain=BENCH_SHOP, scopes="read_customers,read_orders")
            _, plaintext = create_api_key(uow, shop_id=shop.id, name="benchmark")
            shop_id = shop.id
            uow.commit()
    finally:
        db.dispose()
    return shop_id, plaintext


def remove_bench_shop(database_url: str, shop_id: int) -> None:
    """Leave the database as it was: the benchmark shop and its keys go."""
    from app.db import Database
    from app.models import ApiKey, Shop

    db = Database(database_url)
    try:
        with db.unit_of_work() as uow:
            uow.session.execute(delete(ApiKey).where(ApiKey.shop_id == shop_id))
            uow.session.execute(delete(Shop).where(Shop.id == shop_id))
            uow.commit()
    finally:
        db.dispose()


# Where a request's Python CPU goes, most specific first (see `cpu_breakdown`).
PROFILE_CATEGORIES = (
    ("key lookup: the SELECT on the driver (DirectSelect.first)", "DirectSelect.first"),
    ("key check: prefix, SHA-256, compare, result objects", "authenticate_key"),
    ("read connection: pool checkout and return", "read_connection"),
    ("last use recorded (once a minute per key)", "record_key_use"),
    ("view: serialize the shop, JSON response", "shop (app/api/views.py"),
    ("rest of api_key_required", "api_key_required"),
    ("Flask around the view: contexts, hooks, response", "Flask.__call__"),
    ("gunicorn: accept, parse, write, close", "SyncWorker.handle"),
)


def _print_profile(collapsed: Path, server_cpu_us: float) -> None:
    print(
        f"py-spy under API load ({collapsed}); shares of GIL-holding samples in request handling, "
        f"and of the {server_cpu_us:,.0f} µs of server CPU per request in that run:",
        file=sys.stderr,
    )
    for label, share in cpu_breakdown(collapsed, PROFILE_CATEGORIES, within="SyncWorker.handle"):
        print(f"{share:6.1%}  {share * server_cpu_us:5,.0f} µs  {label}", file=sys.stderr)


def _children_cpu_seconds() -> float:
    """User + system CPU of this process's finished children (the load generator runs)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _brief(result: LoadResult) -> str:
    return f"{result.rps:,.0f} rps, {result.server_cpu_us or 0:,.0f} µs server CPU/request"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--database-url", default=DEFAULT_POSTGRES_URL, help="with --db postgres")
    parser.add_argument(
        "--workers",
        type=int,
        default=2 * (os.cpu_count() or 1) + 1,
        help="gunicorn workers (default: 2 x cores + 1, as `tradeline serve` runs production)",
    )
    parser.add_argument("--worker-class", default="sync", help="gunicorn worker class")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per measured round")
    parser.add_argument("--warmup", type=float, default=3.0, help="unmeasured seconds per route")
    parser.add_argument("--rounds", type=int, default=3, help="alternating bare/API rounds; medians reported")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--loadgen", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--append", action="store_true", help="append the results to BENCHMARKS.md")
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="FILE",
        help="after the rounds, sample the workers with py-spy under API load: collapsed stacks to FILE, "
        "the top frames to stderr",
    )
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="tradeline-bench-"))
    database_url = prepare_database(args.db, args.database_url if args.db == "postgres" else None, workdir)
    shop_id, plaintext = issue_bench_key(database_url)
    auth = {"Authorization": f"Bearer {plaintext}"}
    env = production_env(database_url, workdir / "instance")
    bare: list[LoadResult] = []
    api: list[LoadResult] = []
    # CPU per request the server's figure leaves out, by route: the load generator's (it shares the cores)
    # and the PostgreSQL backends' serving the workers.
    loadgen_cpu_us: dict[str, list[float]] = {BARE_PATH: [], API_PATH: []}
    database_cpu_us: dict[str, list[float]] = {BARE_PATH: [], API_PATH: []}
    load_before = load_average()
    try:
        with gunicorn_server(
            "bench.app:create_bench_app()",
            env=env,
            workers=args.workers,
            worker_class=args.worker_class,
            ready_path=BARE_PATH,
            log_dir=workdir,
        ) as server:
            shown = json.loads(check_response(server.base_url + API_PATH, auth))
            if shown["data"]["domain"] != BENCH_SHOP:
                raise RuntimeError(f"{API_PATH} answered for {shown['data']['domain']}")

            def load(path: str, seconds: float, headers: dict[str, str] | None = None) -> LoadResult:
                database_before = postgres_backend_cpu(database_url) if args.db == "postgres" else {}
                loadgen_before = _children_cpu_seconds()
                cpu_before = server.cpu_seconds()
                result = run_load(
                    server.base_url + path,
                    duration_s=seconds,
                    connections=args.connections,
                    threads=args.threads,
                    headers=headers,
                    generator=args.loadgen,
                )
                result = result.with_server_cpu(server.cpu_seconds() - cpu_before)
                if result.requests:
                    per_request = 1e6 / result.requests
                    loadgen_cpu_us[path].append((_children_cpu_seconds() - loadgen_before) * per_request)
                    database_after = postgres_backend_cpu(database_url) if args.db == "postgres" else {}
                    used = sum(cpu - database_before.get(pid, 0.0) for pid, cpu in database_after.items())
                    database_cpu_us[path].append(used * per_request)
                return result

            load(BARE_PATH, args.warmup)
            load(API_PATH, args.warmup, auth)
            for figures in (*loadgen_cpu_us.values(), *database_cpu_us.values()):
                figures.clear()
            for round_number in range(1, args.rounds + 1):
                bare.append(load(BARE_PATH, args.duration))
                api.append(load(API_PATH, args.duration, auth))
                print(
                    f"round {round_number}: bare {_brief(bare[-1])}; API {_brief(api[-1])}", file=sys.stderr
                )
            load_after = load_average()
            if args.profile:
                cpu_before = server.cpu_seconds()
                with py_spy_profile(server.pid, args.profile):
                    profiled = run_load(
                        server.base_url + API_PATH,
                        duration_s=args.duration,
                        connections=args.connections,
                        threads=args.threads,
                        headers=auth,
                        generator=args.loadgen,
                    ).with_server_cpu(server.cpu_seconds() - cpu_before)
                _print_profile(args.profile, profiled.server_cpu_us or 0.0)
    finally:
        remove_bench_shop(database_url, shop_id)

    bare_result, api_result = median_result(bare), median_result(api)
    if bare_result.errors or api_result.errors:
        print(f"errors during the run: bare {bare_result.errors}, API {api_result.errors}", file=sys.stderr)
        return 1
    ratio = api_result.rps / bare_result.rps
    cpu_ratio = (bare_result.server_cpu_us or 0) / (api_result.server_cpu_us or 1)
    # Server, load generator and database share the cores, so on an otherwise idle machine the rps of a
    # route is the cores over the CPU all three spend per request.
    machine_cpu_us = {
        path: (result.server_cpu_us or 0)
        + statistics.median(loadgen_cpu_us[path])
        + statistics.median(database_cpu_us[path])
        for path, result in ((BARE_PATH, bare_result), (API_PATH, api_result))
    }
    cpu_bound_ratio = machine_cpu_us[BARE_PATH] / machine_cpu_us[API_PATH]
    database = "PostgreSQL" if args.db == "postgres" else "SQLite (file)"
    workers = f"{args.workers} {args.worker_class}"
    command = "python -m bench.api_shop " + shlex.join(argv if argv is not None else sys.argv[1:])
    section = "\n".join(
        [
            f"## GET /api/v1/shop vs a bare route — {database} — {utc_stamp()}",
            "",
            f"Command: `{command}`  ",
            f"Machine: {machine_line()}  ",
            f"Load: {api_result.generator}, {args.connections} connections, {args.rounds} rounds of "
            f"{args.duration:g} s per route after {args.warmup:g} s warm-up, medians; loopback; "
            f"gunicorn {workers} worker(s), production settings. "
            f"Load average (1/5/15 min) before: {load_before}, after: {load_after}.",
            "",
            TABLE_HEADER,
            markdown_row(f"bare `{BARE_PATH}`", database, workers, bare_result),
            markdown_row(f"`GET {API_PATH}` (Bearer key)", database, workers, api_result, bare_result),
            "",
            f"Ratio {ratio:.2f} (target >= {TARGET_RATIO}): {'met' if ratio >= TARGET_RATIO else 'NOT met'}; "
            f"server CPU per request, bare/API: {cpu_ratio:.2f}. "
            f"Rounds (rps, bare/API): "
            + ", ".join(f"{b.rps:,.0f}/{a.rps:,.0f}" for b, a in zip(bare, api, strict=True))
            + ".",
            "",
            "CPU per request beyond the server's (medians): load generator "
            f"{statistics.median(loadgen_cpu_us[BARE_PATH]):,.0f} µs bare / "
            f"{statistics.median(loadgen_cpu_us[API_PATH]):,.0f} µs API"
            + (
                f"; PostgreSQL backends {statistics.median(database_cpu_us[API_PATH]):,.0f} µs "
                "per API request"
                if args.db == "postgres"
                else ""
            )
            + f". All together, bare {machine_cpu_us[BARE_PATH]:,.0f} µs, "
            f"API {machine_cpu_us[API_PATH]:,.0f} µs: the ratio they predict on an otherwise idle machine "
            f"(CPU-bound) is {cpu_bound_ratio:.2f}.",
        ]
    )
    print(section)
    if args.append:
        append_to_benchmarks(section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
