"""Benchmark: publishing a price list of N fixed prices (each with a quantity rule and a price break) to a
faked Shopify B2B Admin API, then publishing it again unchanged.

    createdb -h 127.0.0.1 -U postgres pricing_publish_bench
    python -m bench.pricing_publish --database-url postgresql://postgres@127.0.0.1:5432/pricing_publish_bench

The fake (tests/pricing_publish_support.FakeB2B, an httpx MockTransport) answers at once, so the figures
are Tradeline's own cost per publish (plan, Shopify-state read, diff, batches, progress commits), not
Shopify's latency: requests and batches are what a real shop would receive. Writes
bench/results/pricing-publish.md unless --no-write. The benchmark shop is removed at the end.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from decimal import Decimal

from sqlalchemy import delete, insert, select

from bench.harness import REPO_ROOT, load_average, machine_line, prepare_database, utc_stamp

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/pricing_publish_bench"
RESULTS = REPO_ROOT / "bench" / "results" / "pricing-publish.md"
BENCH_SHOP = "pricing-publish-bench.myshopify.com"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--variants", type=int, default=10_000)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)

    from app import create_app, services
    from app.models import Shop
    from app.shops import TokenSet, install_shop, store_token
    from crm.models import CrmCompany, CrmCompanyLocation, CrmProduct, CrmVariant
    from pricing.models import (
        AssignmentTarget,
        PriceEntry,
        PriceList,
        PriceListAssignment,
        PricePublication,
        QuantityRule,
        TierKind,
        VolumeTier,
    )
    from pricing.service import publish as publishing
    from tests.pricing_publish_support import FakeB2B
    from tests.support import TEST_SETTINGS

    url = prepare_database(
        "postgres" if args.database_url.startswith("postgresql") else "sqlite", args.database_url
    )
    fake = FakeB2B()
    app = create_app({**TEST_SETTINGS, "DATABASE_URL": url, "SHOPIFY_HTTP_TRANSPORT": fake.transport})
    n = args.variants
    with app.app_context():
        with services().db.unit_of_work() as uow:
            old = uow.session.scalar(select(Shop).where(Shop.domain == BENCH_SHOP))
            if old is not None:
                uow.session.execute(delete(Shop).where(Shop.id == old.id))
            shop = install_shop(uow, domain=BENCH_SHOP)
            store_token(
                uow,
                services().cipher,
                shop_id=shop.id,
                tokens=TokenSet(access_token="shpat_" + "0" * 32, scope="write_products"),
            )
            company = CrmCompany(shop_id=shop.id, shopify_id=1, name="Bench Co")
            uow.session.add(company)
            uow.session.flush()
            uow.session.add(
                CrmCompanyLocation(shop_id=shop.id, shopify_id=2, company_id=company.id, name="HQ")
            )
            product = CrmProduct(shop_id=shop.id, shopify_id=3, title="Bench")
            price_list = PriceList(shop_id=shop.id, name="Bench list", currency="USD")
            uow.session.add_all([product, price_list])
            uow.session.flush()
            uow.session.add(
                PriceListAssignment(
                    shop_id=shop.id,
                    price_list_id=price_list.id,
                    target=AssignmentTarget.COMPANY,
                    company_id=company.id,
                )
            )
            uow.session.execute(
                insert(CrmVariant),
                [
                    {
                        "shop_id": shop.id,
                        "product_id": product.id,
                        "shopify_id": 10_000 + i,
                        "price": Decimal("20"),
                    }
                    for i in range(n)
                ],
            )
            ids = list(uow.session.scalars(select(CrmVariant.id).where(CrmVariant.shop_id == shop.id)))
            common = {"shop_id": shop.id, "price_list_id": price_list.id}
            uow.session.execute(
                insert(PriceEntry), [{**common, "variant_id": v, "price": Decimal("12.00")} for v in ids]
            )
            uow.session.execute(
                insert(QuantityRule), [{**common, "variant_id": v, "minimum": 2, "increment": 2} for v in ids]
            )
            uow.session.execute(
                insert(VolumeTier),
                [
                    {
                        **common,
                        "variant_id": None,
                        "min_quantity": 10,
                        "kind": TierKind.PERCENT_OFF,
                        "value": 10,
                    }
                ],
            )
            uow.commit()
            shop_id, list_id = shop.id, price_list.id

        figures = []
        for label in ("first publish", "second publish (unchanged)"):
            before = len(fake.requests)
            started, cpu_started = time.perf_counter(), time.process_time()
            with services().db.unit_of_work() as uow:
                publishing.request_publish(uow, shop_id=shop_id, price_list_id=list_id)
                uow.commit()
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
            with services().db.unit_of_work() as uow:
                publication = uow.session.scalar(
                    select(PricePublication).where(PricePublication.price_list_id == list_id)
                )
                status, done, total = publication.status.value, publication.done, publication.total
            names = [name for name, _ in fake.requests[before:]]
            batches = names.count("PricingQuantityPricingUpdate")
            figures.append((label, elapsed, cpu, len(names), batches, status, done, total))
        with services().db.unit_of_work() as uow:
            uow.session.execute(delete(Shop).where(Shop.id == shop_id))
            uow.commit()

    lines = [
        f"## Publishing a price list to Shopify B2B ({utc_stamp()})",
        "",
        f"{n:,} fixed prices, each with a quantity rule (2 by 2) and one price break (10 % off from 10), one"
        " company location; faked Admin API answering at once (Tradeline's own cost, no Shopify latency);"
        f" database {'PostgreSQL' if url.startswith('postgresql') else 'SQLite'}, jobs inline.",
        "",
        "| run | wall time | CPU (this process, fake included) | GraphQL requests"
        " | pricing batches (<= 250 items) | status | items sent |",
        "| --- | ---: | ---: | ---: | ---: | --- | ---: |",
    ]
    for label, elapsed, cpu, requests, batches, status, done, total in figures:
        lines.append(
            f"| {label} | {elapsed:.2f} s | {cpu:.2f} s | {requests:,} | {batches:,} | {status}"
            f" | {done:,} of {total:,} |"
        )
    lines += [
        "",
        f"Machine: {machine_line()}; load average {load_average()}.",
        f"Command: `python -m bench.pricing_publish {shlex.join(sys.argv[1:] if argv is None else argv)}`",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
