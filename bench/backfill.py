"""Backfill benchmark: a bulk export of N orders with 3 line items each, imported into PostgreSQL.

Not a test. It writes a JSONL file shaped exactly like Shopify's bulk result for the BackfillOrders
query (GraphQL field names, GIDs, MoneyBag objects, one line per order and one per line item with
`__parentId`, a share of the line items written before their order as `groupObjects: false`
allows), then runs the real import path (webhooks.backfill.importer.import_run) against it: the
result is streamed over httpx from a fake storage host (an httpx transport reading the file in
chunks, so nothing is held in memory), spooled, grouped, mapped to REST payloads, parsed by the
CRM and written by the fast path, then rollups recomputed. It reports rows/s (orders + lines) and
the process's peak RSS (getrusage).

    python -m bench.backfill --orders 1000000 --database-url postgresql://postgres@127.0.0.1:5432/h_bf
    python -m bench.backfill --orders 1000000 --rounds 3 --append   # record medians in BENCHMARKS.md
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from bench.harness import append_to_benchmarks, machine_line, utc_stamp

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/h_bf"
LINES_PER_ORDER = 3
STORAGE_URL = "https://storage.bench.invalid/bulk/1.jsonl"
OPERATION_ID = "gid://shopify/BulkOperation/1"
READ_CHUNK_BYTES = 1024 * 1024
# One order in this many has its line items written before it (children before parents).
EARLY_CHILDREN_EVERY = 10
TARGET_ROWS_PER_S = 20_000
TARGET_PEAK_RSS_MB = 300
BASE_TIME = datetime(2025, 1, 1, tzinfo=UTC)
CUSTOMERS = 50_000


def _money(amount: str) -> dict[str, Any]:
    return {"shopMoney": {"amount": amount}}


def _order(n: int, rng: random.Random) -> dict[str, Any]:
    at = (BASE_TIME + timedelta(seconds=n * 13)).strftime("%Y-%m-%dT%H:%M:%SZ")
    total = f"{rng.randint(500, 90000) / 100:.2f}"
    customer = 1 + n % CUSTOMERS
    return {
        "id": f"gid://shopify/Order/{5_000_000_000 + n}",
        "name": f"#{1000 + n}",
        "number": 1000 + n,
        "email": f"buyer{customer}@example.com",
        "createdAt": at,
        "updatedAt": at,
        "processedAt": at,
        "cancelledAt": None,
        "cancelReason": None,
        "closedAt": None,
        "currencyCode": "USD",
        "presentmentCurrencyCode": "USD",
        "displayFinancialStatus": "PAID",
        "displayFulfillmentStatus": "FULFILLED",
        "subtotalPriceSet": _money(total),
        "totalDiscountsSet": _money("0.00"),
        "totalTaxSet": _money("0.00"),
        "totalPriceSet": _money(total),
        "currentTotalPriceSet": _money(total),
        "sourceName": "web",
        "poNumber": None,
        "note": None,
        "tags": ["wholesale"] if n % 3 == 0 else [],
        "test": False,
        "customerJourneySummary": {"firstVisit": {"landingPage": "/?utm_source=news", "referrerUrl": None}},
        "customer": {"id": f"gid://shopify/Customer/{7_000_000_000 + customer}"},
        "purchasingEntity": {},
    }


def _line(n: int, k: int, rng: random.Random) -> dict[str, Any]:
    return {
        "id": f"gid://shopify/LineItem/{9_000_000_000 + n * LINES_PER_ORDER + k}",
        "title": "Widget",
        "variantTitle": "12-pack",
        "sku": f"SKU-{rng.randint(1, 5000)}",
        "quantity": rng.randint(1, 24),
        "currentQuantity": 1,
        "variant": {"id": f"gid://shopify/ProductVariant/{40_000_000 + k}"},
        "product": {"id": f"gid://shopify/Product/{30_000_000 + k}"},
        "originalUnitPriceSet": _money("11.50"),
        "totalDiscountSet": _money("0.00"),
        "__parentId": f"gid://shopify/Order/{5_000_000_000 + n}",
    }


def generate(path: Path, orders: int, seed: int = 7) -> int:
    """Write the export; its size in bytes."""
    rng = random.Random(seed)
    dumps = json.JSONEncoder(separators=(",", ":")).encode
    with path.open("w") as out:
        for n in range(orders):
            order = dumps(_order(n, rng))
            lines = [dumps(_line(n, k, rng)) for k in range(LINES_PER_ORDER)]
            if n % EARLY_CHILDREN_EVERY == 0:
                out.write("\n".join([*lines, order]) + "\n")
            else:
                out.write("\n".join([order, *lines]) + "\n")
    return path.stat().st_size


class FakeShopify(httpx.BaseTransport):
    """BulkOperationStatus for the one export, and the storage host streaming the file from disk."""

    def __init__(self, path: Path, objects: int, roots: int) -> None:
        self.path = path
        self.objects = objects
        self.roots = roots

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == "storage.bench.invalid":
            start = int(request.headers.get("Range", "bytes=0-").removeprefix("bytes=").split("-")[0])
            return httpx.Response(206 if start else 200, stream=_FileStream(self.path, start))
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        operation = {
            "id": OPERATION_ID,
            "status": "COMPLETED",
            "errorCode": None,
            "type": "QUERY",
            "objectCount": str(self.objects),
            "rootObjectCount": str(self.roots),
            "fileSize": str(self.path.stat().st_size),
            "url": STORAGE_URL,
            "partialDataUrl": None,
            "createdAt": now,
            "completedAt": now,
        }
        cost = {
            "requestedQueryCost": 1,
            "actualQueryCost": 1,
            "throttleStatus": {"maximumAvailable": 2000.0, "currentlyAvailable": 1999, "restoreRate": 100.0},
        }
        return httpx.Response(200, json={"data": {"bulkOperation": operation}, "extensions": {"cost": cost}})


class _FileStream(httpx.SyncByteStream):
    def __init__(self, path: Path, start: int) -> None:
        self.path = path
        self.start = start

    def __iter__(self) -> Iterator[bytes]:
        with self.path.open("rb") as source:
            source.seek(self.start)
            while chunk := source.read(READ_CHUNK_BYTES):
                yield chunk


def run_import(database_url: str, jsonl: Path, orders: int, instance: Path) -> dict[str, Any]:
    """Import the file once into a fresh shop; figures of the run (in this process)."""
    from sqlalchemy import func, select

    from app import create_app, services
    from app.shops import TokenSet, install_shop, store_token
    from crm.models import CrmOrder, CrmOrderLine
    from webhooks.backfill.importer import import_run
    from webhooks.sync_models import SyncKind, SyncResource, SyncRun, SyncStatus

    objects = orders * (1 + LINES_PER_ORDER)
    app = create_app(
        {
            "TRADELINE_ENV": "development",
            "DATABASE_URL": database_url,
            "REDIS_URL": None,
            "SHOPIFY_API_KEY": "bench-client-id",
            "SHOPIFY_API_SECRET": "shpss_" + "0" * 32,
            "SECRET_KEY": "bench-secret",
            "TOKEN_ENCRYPTION_KEY": "q1Yl3Xn1v4cPqFQ6oXkq1m5q6m0c3M9bIuKXl1Zb6yA=",
            "INSTANCE_PATH": str(instance),
            "LOG_LEVEL": "WARNING",
            "LOG_FORMAT": "text",
            "SHOPIFY_HTTP_TRANSPORT": FakeShopify(jsonl, objects, orders),
        }
    )
    with app.app_context():
        db = services().db
        with db.unit_of_work() as uow:
            shop = install_shop(uow, domain=f"bench-{int(time.time() * 1000)}.myshopify.com")
            store_token(
                uow,
                services().cipher,
                shop_id=shop.id,
                tokens=TokenSet(access_token="shpat_bench", scope="read_orders"),
            )
            run = SyncRun(
                shop_id=shop.id,
                kind=SyncKind.BACKFILL,
                resource=SyncResource.ORDERS,
                status=SyncStatus.DOWNLOADING,
                active_key="backfill:orders",
                requested_by="bench",
                bulk_operation_id=OPERATION_ID,
                exported_at=datetime.now(UTC),
                counts={},
            )
            uow.session.add(run)
            uow.commit()
            shop_id, run_id = shop.id, run.id
        before = resource.getrusage(resource.RUSAGE_SELF)
        cpu_before = before.ru_utime + before.ru_stime
        started = time.perf_counter()
        status = import_run(run_id)
        elapsed = time.perf_counter() - started
        with db.unit_of_work() as uow:
            stored_orders = uow.session.scalar(
                select(func.count()).select_from(CrmOrder).where(CrmOrder.shop_id == shop_id)
            )
            stored_lines = uow.session.scalar(
                select(func.count()).select_from(CrmOrderLine).where(CrmOrderLine.shop_id == shop_id)
            )
            final = uow.session.get(SyncRun, run_id)
            error = final.error if final else None
        db.dispose()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    peak_kib = usage.ru_maxrss
    rows = stored_orders + stored_lines
    return {
        "cpu_s": usage.ru_utime + usage.ru_stime - cpu_before,
        "status": status.value if status else None,
        "error": error,
        "orders": stored_orders,
        "lines": stored_lines,
        "seconds": elapsed,
        "rows_per_s": rows / elapsed,
        "peak_rss_mb": peak_kib / 1024,
    }


def _load_average() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--rounds", type=int, default=1, help="imports to run (each in a fresh process)")
    parser.add_argument("--keep-file", type=Path, help="reuse/keep the generated JSONL here")
    parser.add_argument("--append", action="store_true", help="append the section to BENCHMARKS.md")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--instance", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        result = run_import(args.database_url, args.file, args.orders, args.instance)
        print(json.dumps(result))
        return 0

    from bench.harness import prepare_database

    prepare_database("postgres", args.database_url)
    workdir = Path(tempfile.mkdtemp(prefix="tradeline-backfill-bench-"))
    jsonl = args.keep_file or workdir / "orders.jsonl"
    if not jsonl.exists():
        started = time.perf_counter()
        size = generate(jsonl, args.orders)
        print(
            f"generated {jsonl} ({size / 1e6:,.0f} MB) in {time.perf_counter() - started:.0f} s",
            file=sys.stderr,
        )
    results = []
    loads = []
    for round_number in range(1, args.rounds + 1):
        load_before = _load_average()
        # A fresh process per round: its peak RSS is the import's own, not the generator's or a past round's.
        output = subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.backfill",
                "--child",
                "--orders",
                str(args.orders),
                "--database-url",
                args.database_url,
                "--file",
                str(jsonl),
                "--instance",
                str(workdir / f"instance-{round_number}"),
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        result = json.loads(output.strip().splitlines()[-1])
        results.append(result)
        loads.append(f"{load_before} -> {_load_average()}")
        print(
            f"round {round_number}: {result['status']} "
            f"{result['orders']:,} orders + {result['lines']:,} lines "
            f"in {result['seconds']:.1f} s = {result['rows_per_s']:,.0f} rows/s, "
            f"peak RSS {result['peak_rss_mb']:.0f} MB, importer CPU {result['cpu_s']:.0f} s "
            f"(load {loads[-1]})",
            file=sys.stderr,
        )
    section = report(args, results, loads)
    print(section)
    if args.append:
        append_to_benchmarks(section)
    if not args.keep_file:
        jsonl.unlink(missing_ok=True)
    return 0


def report(args: argparse.Namespace, results: list[dict[str, Any]], loads: list[str]) -> str:
    rate = statistics.median(r["rows_per_s"] for r in results)
    seconds = statistics.median(r["seconds"] for r in results)
    rss = statistics.median(r["peak_rss_mb"] for r in results)
    # Rows per second of the importer's own CPU: what the import costs, however busy the machine was.
    per_cpu = statistics.median((r["orders"] + r["lines"]) / r["cpu_s"] for r in results)
    rows = results[0]["orders"] + results[0]["lines"]
    verdict_rate = "met" if rate >= TARGET_ROWS_PER_S else "NOT met"
    verdict_rss = "met" if rss <= TARGET_PEAK_RSS_MB else "NOT met"
    command = f"python -m bench.backfill --orders {args.orders} --rounds {args.rounds}"
    rounds = "; ".join(
        f"{r['rows_per_s']:,.0f} rows/s, {r['seconds']:.0f} s, importer CPU {r['cpu_s']:.0f} s, "
        f"{r['peak_rss_mb']:.0f} MB (load average before -> after: {load})"
        for r, load in zip(results, loads, strict=True)
    )
    return "\n".join(
        [
            f"## Backfill import: {args.orders:,} orders x {LINES_PER_ORDER} lines from JSONL — PostgreSQL "
            f"— {utc_stamp()}",
            "",
            f"Command: `{command} --database-url {args.database_url}`  ",
            f"Machine: {machine_line()}  ",
            "Path: the real import job (webhooks.backfill.importer.import_run): httpx stream from a fake "
            "storage host reading the file from disk -> SQLite spool -> orders grouped with their lines -> "
            "the CRM's parsed order records (bulk_mapping.order_record, equal to crm.payloads.parse_order "
            "of the REST payload) -> fast path (COPY + INSERT .. ON CONFLICT, one timeline event per 2,000 "
            "orders) -> rollups recomputed once. Timed from the job's start to the run completed; the file "
            "is generated beforehand. Each round in a fresh process on a fresh shop.",
            "",
            "| rows (orders + lines) | median time s | median rows/s | rows per importer CPU s "
            "| median peak RSS MB | target |",
            "| ---: | ---: | ---: | ---: | ---: | --- |",
            f"| {rows:,} | {seconds:,.1f} | {rate:,.0f} | {per_cpu:,.0f} | {rss:,.0f} | "
            f">= {TARGET_ROWS_PER_S:,} rows/s: {verdict_rate}; <= {TARGET_PEAK_RSS_MB} MB: {verdict_rss} |",
            "",
            f"Rounds: {rounds}.",
        ]
    )


if __name__ == "__main__":
    sys.exit(main())
