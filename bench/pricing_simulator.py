"""Benchmark: the simulator re-pricing N months of orders (default 10,000 orders x 5 lines) with a draft list.

    python -m bench.pricing_simulator --db postgres --url postgresql://postgres@127.0.0.1:5432/bench_sim
    python -m bench.pricing_simulator --db sqlite --orders 10000

Seeds a shop (100 variants, 300 companies with a location, 600 customers with tags, a default list,
20 company lists with 50 fixed prices each, a tag list, and a draft replacing one company list with
tiers), then times `simulate` (wall clock, statements) a few times and prints a Markdown table.
The PostgreSQL database is wiped first: point --url at a scratch database.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import event, insert, text

from app.db import Database, utcnow
from app.models import Shop
from bench.harness import machine_info, prepare_database
from crm.models import (
    CrmCompany,
    CrmCompanyLocation,
    CrmCustomer,
    CrmCustomerTag,
    CrmOrder,
    CrmOrderLine,
    CrmProduct,
    CrmVariant,
)
from pricing.models import (
    AdjustmentScope,
    AssignmentTarget,
    PriceAdjustment,
    PriceEntry,
    PriceList,
    PriceListAssignment,
    PriceListStatus,
    TierKind,
    VolumeTier,
)
from pricing.service import simulate as simulator

VARIANTS = 100
COMPANIES = 300
CUSTOMERS = 600
COMPANY_LISTS = 20
ENTRIES_PER_LIST = 50


def _ids(rows: object) -> list[int]:
    return [row[0] for row in rows]  # type: ignore[attr-defined]


def seed(db: Database, *, orders: int, lines_per_order: int, months: int) -> tuple[int, int, int]:
    """The shop, catalog, buyers, lists and order history; returns (shop id, draft id, replaced id)."""
    with db.unit_of_work() as uow:
        s = uow.session
        shop = Shop(domain="bench-sim.myshopify.com", name="Bench", currency="USD", installed_at=utcnow())
        s.add(shop)
        s.flush()
        shop_id = shop.id
        product_ids = _ids(
            s.execute(
                insert(CrmProduct).returning(CrmProduct.id, sort_by_parameter_order=True),
                [
                    {"shop_id": shop_id, "shopify_id": 1000 + i, "title": f"Product {i}"}
                    for i in range(VARIANTS // 2)
                ],
            )
        )
        variant_rows = [
            {
                "shop_id": shop_id,
                "product_id": product_ids[i // 2],
                "shopify_id": 5000 + i,
                "sku": f"SKU-{i:04d}",
                "title": f"Size {i % 2}",
                "price": Decimal(10 + i) + Decimal("0.99"),
                "currency": "USD",
            }
            for i in range(VARIANTS)
        ]
        variant_ids = _ids(
            s.execute(insert(CrmVariant).returning(CrmVariant.id, sort_by_parameter_order=True), variant_rows)
        )
        company_ids = _ids(
            s.execute(
                insert(CrmCompany).returning(CrmCompany.id, sort_by_parameter_order=True),
                [
                    {"shop_id": shop_id, "shopify_id": 10_000 + i, "name": f"Company {i:03d}"}
                    for i in range(COMPANIES)
                ],
            )
        )
        location_ids = _ids(
            s.execute(
                insert(CrmCompanyLocation).returning(CrmCompanyLocation.id, sort_by_parameter_order=True),
                [
                    {"shop_id": shop_id, "shopify_id": 20_000 + i, "company_id": cid, "name": "HQ"}
                    for i, cid in enumerate(company_ids)
                ],
            )
        )
        customer_ids = _ids(
            s.execute(
                insert(CrmCustomer).returning(CrmCustomer.id, sort_by_parameter_order=True),
                [
                    {
                        "shop_id": shop_id,
                        "shopify_id": 30_000 + i,
                        "email": f"buyer{i}@example.com",
                        "company_id": company_ids[i % COMPANIES] if i < COMPANIES * 3 // 2 else None,
                    }
                    for i in range(CUSTOMERS)
                ],
            )
        )
        s.execute(
            insert(CrmCustomerTag),
            [
                {"shop_id": shop_id, "customer_id": cid, "tag": tag}
                for i, cid in enumerate(customer_ids)
                for tag in (("Wholesale", "VIP") if i % 5 == 0 else ("Wholesale",))
            ],
        )

        def new_list(name: str, status: PriceListStatus = PriceListStatus.ACTIVE) -> int:
            row = PriceList(shop_id=shop_id, name=name, currency="USD", status=status)
            s.add(row)
            s.flush()
            return row.id

        default = new_list("Standard wholesale")
        s.add(PriceListAssignment(shop_id=shop_id, price_list_id=default, target=AssignmentTarget.DEFAULT))
        s.add(PriceAdjustment(shop_id=shop_id, price_list_id=default, scope=AdjustmentScope.ALL, percent=-10))
        vip = new_list("VIP")
        s.add(
            PriceListAssignment(
                shop_id=shop_id, price_list_id=vip, target=AssignmentTarget.CUSTOMER_TAG, customer_tag="vip"
            )
        )
        s.add(PriceAdjustment(shop_id=shop_id, price_list_id=vip, scope=AdjustmentScope.ALL, percent=-15))
        company_lists = []
        for n in range(COMPANY_LISTS):
            list_id = new_list(f"Contract {n:02d}")
            company_lists.append(list_id)
            for cid in company_ids[n::COMPANY_LISTS]:
                s.add(
                    PriceListAssignment(
                        shop_id=shop_id,
                        price_list_id=list_id,
                        target=AssignmentTarget.COMPANY,
                        company_id=cid,
                    )
                )
            s.execute(
                insert(PriceEntry),
                [
                    {
                        "shop_id": shop_id,
                        "price_list_id": list_id,
                        "variant_id": variant_ids[(n + k * 2) % VARIANTS],
                        "price": variant_rows[(n + k * 2) % VARIANTS]["price"] * Decimal("0.86"),
                    }
                    for k in range(ENTRIES_PER_LIST)
                ],
            )
        replaced = company_lists[0]
        draft = new_list("Contract 00 (2027)", PriceListStatus.DRAFT)
        for cid in company_ids[0::COMPANY_LISTS]:
            s.add(
                PriceListAssignment(
                    shop_id=shop_id, price_list_id=draft, target=AssignmentTarget.COMPANY, company_id=cid
                )
            )
        s.execute(
            insert(PriceEntry),
            [
                {
                    "shop_id": shop_id,
                    "price_list_id": draft,
                    "variant_id": variant_ids[k],
                    "price": variant_rows[k]["price"] * Decimal("0.88" if k % 2 else "0.80"),
                }
                for k in range(VARIANTS)
            ],
        )
        s.add(
            VolumeTier(
                shop_id=shop_id, price_list_id=draft, min_quantity=24, kind=TierKind.PERCENT_OFF, value=5
            )
        )

        end = utcnow()
        start = end - timedelta(days=30 * months - 1)
        spacing = (end - start) / (orders + 1)
        order_rows = []
        for i in range(orders):
            b2b = i % 4 != 3
            company_index = (i * 7) % COMPANIES
            order_rows.append(
                {
                    "shop_id": shop_id,
                    "shopify_id": 100_000 + i,
                    "customer_id": customer_ids[company_index]
                    if b2b
                    else customer_ids[COMPANIES * 3 // 2 + i % 150],
                    "company_id": company_ids[company_index] if b2b else None,
                    "company_location_id": location_ids[company_index] if b2b else None,
                    "is_b2b": b2b,
                    "currency": "USD",
                    "test": False,
                    "processed_at": start + spacing * (i + 1),
                }
            )
        order_ids = _ids(
            s.execute(insert(CrmOrder).returning(CrmOrder.id, sort_by_parameter_order=True), order_rows)
        )
        line_rows = []
        for i, order_id in enumerate(order_ids):
            for k in range(lines_per_order):
                v = (i * 13 + k * 17) % VARIANTS
                line_rows.append(
                    {
                        "shop_id": shop_id,
                        "order_id": order_id,
                        "shopify_id": 10_000_000 + i * lines_per_order + k,
                        # 1 line in 200 names a variant that is gone from the catalog.
                        "shopify_variant_id": 5000 + v if (i + k) % 200 else 999_999,
                        "sku": variant_rows[v]["sku"],
                        "quantity": 1 + (i * 7 + k * 3) % 48,
                        "price": variant_rows[v]["price"],
                        "total_discount": Decimal(0),
                        "currency": "USD",
                    }
                )
        for offset in range(0, len(line_rows), 10_000):
            s.execute(insert(CrmOrderLine), line_rows[offset : offset + 10_000])
        uow.commit()
    return shop_id, draft, replaced


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--url", help="PostgreSQL URL of a scratch database (wiped)")
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--lines", type=int, default=5, help="lines per order")
    parser.add_argument("--months", type=int, default=3)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    if args.db == "postgres":
        wipe = Database(args.url or "")
        with wipe.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        wipe.dispose()
    url = prepare_database(args.db, args.url)
    db = Database(url)
    began = time.perf_counter()
    shop_id, draft, replaced = seed(db, orders=args.orders, lines_per_order=args.lines, months=args.months)
    seeded = time.perf_counter() - began
    if args.db == "postgres":
        # Bulk-loaded tables have no statistics until autovacuum gets to them; plan as production would.
        with db.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))

    statements: list[str] = []
    event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    timings = []
    result = None
    for _ in range(args.runs):
        statements.clear()
        with db.unit_of_work() as uow:
            started = time.perf_counter()
            result = simulator.simulate(
                uow,
                shop_id=shop_id,
                draft_price_list_id=draft,
                replaces_price_list_id=replaced,
                months=args.months,
            )
            timings.append(time.perf_counter() - started)
    assert result is not None
    info = machine_info()
    print(f"machine: {info}")
    print(f"seeded {args.orders:,} orders x {args.lines} lines in {seeded:.1f} s ({args.db})")
    print(
        "| database | orders | lines priced (x2) | not priceable | accounts | statements | p50 | min | max |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    counts = f"{result.orders:,} | {result.lines:,} | {result.unpriced_lines:,} | {len(result.accounts):,}"
    spread = f"{statistics.median(timings):.2f} s | {min(timings):.2f} s | {max(timings):.2f} s"
    print(f"| {args.db} | {counts} | {len(statements)} | {spread} |")
    print(
        f"before {result.before} after {result.after} change {result.change} ({result.change_pct} %), "
        f"{len(result.rises)} accounts rise"
    )
    db.dispose()


if __name__ == "__main__":
    main()
