"""Benchmark (not a test): the price-list REST API and list service on a real database, in process.

    python -m bench.pricing_lists_api --database-url postgresql://postgres@127.0.0.1:5432/pricing_api

Measures, through Flask's test client (no HTTP server, so the figures are the app's own cost):
- POST /price-lists/{id}/entries/bulk with 5,000 rows: creating them, then replacing every price;
- the same body with its last row bad: the 422 (nothing written);
- POST /prices/resolve with a 1,000-line cart over three applicable lists;
- lists.duplicate_price_list of a list of 100,000 entries (what the simulator does before a change).
The database's public schema is dropped and re-migrated first: point it at a database of your own.
Statistics are refreshed (ANALYZE) after each bulk load, as autovacuum would do shortly after one.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select, text

RUNS = 5
BULK_ROWS = 5_000
CART_LINES = 1_000
BIG_LIST_ENTRIES = 100_000
SHOP = "pricing-bench.myshopify.com"


@dataclass(frozen=True)
class Timing:
    """Wall-clock median and max, and the median CPU this process used (the database's CPU not included)."""

    p50_ms: float
    max_ms: float
    cpu_ms: float

    def __str__(self) -> str:
        return (
            f"p50 {self.p50_ms:.0f} ms, max {self.max_ms:.0f} ms, app CPU {self.cpu_ms:.0f} ms ({RUNS} runs)"
        )


def _timed(fn: Callable[[], Any], runs: int = RUNS) -> tuple[Timing, Any]:
    """The timing of `runs` calls and the last call's result."""
    times, cpu, result = [], [], None
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        result = fn()
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return Timing(statistics.median(times), max(times), statistics.median(cpu)), result


def _analyze(*, engine_url: str) -> None:
    """Refresh the planner's statistics after a bulk load, as autovacuum would shortly after."""
    from app.db import make_engine

    engine = make_engine(engine_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("ANALYZE"))
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    args = parser.parse_args()

    from app import create_app
    from app.apikeys import create_api_key
    from app.db import make_engine
    from app.migrate import upgrade
    from app.shops import install_shop
    from crm.models import CrmProduct, CrmVariant
    from pricing.service import lists

    engine = make_engine(args.database_url)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    upgrade(args.database_url)
    app = create_app(
        {
            "DATABASE_URL": args.database_url,
            "REDIS_URL": None,
            "TESTING": True,
            "INSTANCE_PATH": tempfile.mkdtemp(prefix="tradeline-bench-"),
        }
    )
    db = app.extensions["tradeline"].db
    with app.app_context(), db.unit_of_work() as uow:
        shop = install_shop(uow, domain=SHOP)
        _, key = create_api_key(uow, shop_id=shop.id, name="bench")
        product = CrmProduct(shop_id=shop.id, shopify_id=1, title="Bench product")
        uow.session.add(product)
        uow.session.flush()
        uow.session.execute(
            insert(CrmVariant),
            [
                {
                    "shop_id": shop.id,
                    "shopify_id": 10_000 + n,
                    "product_id": product.id,
                    "sku": f"B-{n:06d}",
                    "price": Decimal(10 + n % 90),
                    "currency": "USD",
                }
                for n in range(BIG_LIST_ENTRIES)
            ],
        )
        ids = list(uow.session.scalars(select(CrmVariant.id).order_by(CrmVariant.id)))
        shop_id = shop.id
        uow.commit()
    _analyze(engine_url=args.database_url)
    headers = {"Authorization": f"Bearer {key}"}
    client = app.test_client()

    def post(path: str, body: Any) -> Any:
        response = client.post(path, headers=headers, json=body)
        return response

    created = post("/api/v1/price-lists", {"name": "Bench"}).get_json()["data"]["id"]
    base = f"/api/v1/price-lists/{created}"
    rows = [{"sku": f"B-{n:06d}", "price": f"{5 + n % 50}.25"} for n in range(BULK_ROWS)]
    started = time.perf_counter()
    first = post(f"{base}/entries/bulk", {"entries": rows})
    create_ms = (time.perf_counter() - started) * 1000
    assert first.get_json()["data"]["created"] == BULK_ROWS, first.get_json()
    flip = [0]

    def replace_all() -> Any:
        flip[0] += 1
        body = [{"sku": r["sku"], "price": f"{5 + flip[0] + i % 50}.25"} for i, r in enumerate(rows)]
        response = post(f"{base}/entries/bulk", {"entries": body})
        assert response.get_json()["data"]["updated"] == BULK_ROWS, response.get_json()
        return response

    replaced, _ = _timed(replace_all)
    bad = [*rows[:-1], {"sku": "NOPE", "price": "1"}]
    refusing, refused = _timed(lambda: post(f"{base}/entries/bulk", {"entries": bad}))
    assert refused.status_code == 422

    post(f"{base}/adjustments", {"scope": "all", "percent": "-20"})
    post(f"{base}/assignments", {"target": "default"})
    post(f"{base}/activate", None)
    for name, percent in (("Second", "-25"), ("Third", "-10")):
        other = post("/api/v1/price-lists", {"name": name}).get_json()["data"]["id"]
        post(f"/api/v1/price-lists/{other}/adjustments", {"scope": "all", "percent": percent})
        post(f"/api/v1/price-lists/{other}/assignments", {"target": "default"})
        post(f"/api/v1/price-lists/{other}/activate", None)
    cart = {"lines": [{"variant_id": vid, "quantity": 1 + n % 30} for n, vid in enumerate(ids[:CART_LINES])]}
    resolving, resolved = _timed(lambda: post("/api/v1/prices/resolve", cart))
    assert resolved.status_code == 200 and len(resolved.get_json()["data"]["lines"]) == CART_LINES

    with app.app_context(), db.unit_of_work() as uow:
        big = lists.create_price_list(uow, shop_id=shop_id, name="Big")
        uow.session.execute(
            text(
                "INSERT INTO pricing_entry (shop_id, price_list_id, variant_id, price, updated_at) "
                "SELECT :shop, :list, id, 9.99, CURRENT_TIMESTAMP FROM crm_variant WHERE shop_id = :shop"
            ),
            {"shop": shop_id, "list": big.id},
        )
        uow.commit()
        _analyze(engine_url=args.database_url)
        started = time.perf_counter()
        copy = lists.duplicate_price_list(uow, shop_id=shop_id, price_list_id=big.id)
        uow.commit()
        duplicate_ms = (time.perf_counter() - started) * 1000
        copied = lists.get_price_list_summary(uow, shop_id=shop_id, price_list_id=copy.id).entries_count
    assert copied == BIG_LIST_ENTRIES

    lines = [
        f"database: {engine.dialect.name}",
        f"bulk upsert {BULK_ROWS:,} new rows (POST entries/bulk): {create_ms:.0f} ms",
        f"bulk upsert {BULK_ROWS:,} changed rows: {replaced}",
        f"bulk upsert refused (row {BULK_ROWS - 1:,} bad, 422): {refusing}",
        f"resolve {CART_LINES:,} lines, 3 lists (POST prices/resolve): {resolving}",
        f"duplicate a list of {BIG_LIST_ENTRIES:,} entries: {duplicate_ms:.0f} ms",
    ]
    print("\n".join(lines))
    db.dispose()


if __name__ == "__main__":
    main()
