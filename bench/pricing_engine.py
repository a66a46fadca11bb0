"""Benchmark: price_lines on PostgreSQL with 50 price lists and 100,000 fixed entries.

    createdb -h 127.0.0.1 -U postgres pricing_bench
    python -m bench.pricing_engine --database-url postgresql://postgres@127.0.0.1:5432/pricing_bench

Measures, in one run on one seeded shop: a 1,000-line cart (p50/p99 over --runs runs, SQL statements),
a portal page of 50 variants, the same cart for a buyer every list applies to, and the naive approach
(one query per line) with its ratio to price_lines. Writes bench/results/pricing-engine.md unless
--no-write. The benchmark shop is removed at the end (its rows cascade).
"""

from __future__ import annotations

import argparse
import random
import shlex
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, event, insert, select
from sqlalchemy.engine import Engine

from bench.harness import REPO_ROOT, load_average, machine_line, prepare_database, utc_stamp

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/pricing_bench"
RESULTS = REPO_ROOT / "bench" / "results" / "pricing-engine.md"
BENCH_SHOP = "pricing-bench.myshopify.com"
LISTS = 50
ENTRIES = 100_000
VARIANTS = 10_000  # each list prices 2,000 of them: 50 x 2,000 = 100,000 entries
CART_LINES = 1_000
PAGE_VARIANTS = 50
# Targets from issue 4.
TARGET_CART_P50_MS = 20.0
TARGET_CART_P99_MS = 50.0
TARGET_STATEMENTS = 5
TARGET_PAGE_P50_MS = 5.0


@dataclass(frozen=True)
class Seeded:
    shop_id: int
    variant_ids: list[int]
    buyer: Any  # rules.Buyer: the company buyer (6 of the 50 lists apply)
    everyone: Any  # rules.Buyer: a buyer every list applies to
    buyer_lists: list[int]


@dataclass(frozen=True)
class Timing:
    name: str
    runs: int
    p50_ms: float
    p99_ms: float
    statements: int
    cpu_p50_ms: float  # this process's CPU per call: what the machine's other load does not inflate
    cpu_p99_ms: float


@contextmanager
def count_statements(engine: Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def seed(db: Any, rng: random.Random) -> Seeded:
    """A shop with 10,000 variants, 50 lists, 100,000 entries, tiers, rules, adjustments, assignments."""
    from app.models import Shop
    from app.shops import install_shop
    from crm.models import CrmCompany, CrmCompanyLocation, CrmCustomer, CrmCustomerTag, CrmProduct, CrmVariant
    from pricing.models import (
        AdjustmentScope,
        AssignmentTarget,
        PriceAdjustment,
        PriceList,
        PriceListAssignment,
        PriceListStatus,
        QuantityRule,
        TierKind,
        VolumeTier,
    )
    from pricing.service.resolve import load_buyer

    with db.unit_of_work() as uow:
        s = uow.session
        s.execute(delete(Shop).where(Shop.domain == BENCH_SHOP))
        shop = install_shop(uow, domain=BENCH_SHOP)
        shop_id = shop.id
        s.execute(
            insert(CrmProduct),
            [
                {"shop_id": shop_id, "shopify_id": 1_000_000 + i, "title": f"Product {i}"}
                for i in range(VARIANTS)
            ],
        )
        products = dict(
            s.execute(select(CrmProduct.shopify_id, CrmProduct.id).where(CrmProduct.shop_id == shop_id)).all()
        )
        s.execute(
            insert(CrmVariant),
            [
                {
                    "shop_id": shop_id,
                    "shopify_id": 2_000_000 + i,
                    "product_id": products[1_000_000 + i],
                    "sku": f"BENCH-{i:05d}",
                    "price": Decimal(rng.randrange(500, 20_000)) / 100,
                    "compare_at_price": None,
                }
                for i in range(VARIANTS)
            ],
        )
        variant_ids = list(
            s.scalars(select(CrmVariant.id).where(CrmVariant.shop_id == shop_id).order_by(CrmVariant.id))
        )
        company = CrmCompany(shop_id=shop_id, shopify_id=1, name="Bench Co")
        s.add(company)
        s.flush()
        location = CrmCompanyLocation(shop_id=shop_id, shopify_id=2, company_id=company.id, name="Bench HQ")
        customer = CrmCustomer(
            shop_id=shop_id, shopify_id=3, email="buyer@bench.invalid", company_id=company.id
        )
        s.add_all([location, customer])
        s.flush()
        s.add(CrmCustomerTag(shop_id=shop_id, customer_id=customer.id, tag="VIP"))
        other_company = CrmCompany(shop_id=shop_id, shopify_id=4, name="Someone else")
        s.add(other_company)
        s.flush()
        lists = [
            PriceList(
                shop_id=shop_id,
                name=f"List {n:02d}",
                currency="USD",
                status=PriceListStatus.ACTIVE,
                priority=n,
            )
            for n in range(LISTS)
        ]
        s.add_all(lists)
        s.flush()
        list_ids = [pl.id for pl in lists]
        # The company buyer's six lists: location, company, customer, tag and two defaults; the other 44
        # belong to another company (loaded by nobody pricing this buyer).
        targets = {
            0: {"target": AssignmentTarget.COMPANY_LOCATION, "company_location_id": location.id},
            1: {"target": AssignmentTarget.COMPANY, "company_id": company.id},
            2: {"target": AssignmentTarget.CUSTOMER, "customer_id": customer.id},
            3: {"target": AssignmentTarget.CUSTOMER_TAG, "customer_tag": "vip"},
            4: {"target": AssignmentTarget.DEFAULT},
            5: {"target": AssignmentTarget.DEFAULT},
        }
        s.execute(
            insert(PriceListAssignment),
            [
                {
                    "shop_id": shop_id,
                    "price_list_id": list_id,
                    **targets.get(n, {"target": AssignmentTarget.COMPANY, "company_id": other_company.id}),
                }
                for n, list_id in enumerate(list_ids)
            ],
        )
        s.execute(
            insert(PriceAdjustment),
            [
                {
                    "shop_id": shop_id,
                    "price_list_id": list_id,
                    "scope": AdjustmentScope.ALL,
                    "percent": Decimal(-5 - n % 20),
                }
                for n, list_id in enumerate(list_ids)
                if n % 2
            ],
        )
        s.execute(
            insert(VolumeTier),
            [
                {
                    "shop_id": shop_id,
                    "price_list_id": list_id,
                    "variant_id": None,
                    "min_quantity": minimum,
                    "kind": TierKind.PERCENT_OFF,
                    "value": Decimal(pct),
                }
                for list_id in list_ids
                for minimum, pct in ((10, 3), (50, 6), (100, 10))
            ]
            + [
                {
                    "shop_id": shop_id,
                    "price_list_id": list_ids[n % LISTS],
                    "variant_id": variant_ids[(n * 37) % VARIANTS],
                    "min_quantity": 24,
                    "kind": TierKind.FIXED,
                    "value": Decimal("4.00"),
                }
                for n in range(2_000)
            ],
        )
        s.execute(
            insert(QuantityRule),
            [
                {
                    "shop_id": shop_id,
                    "price_list_id": list_id,
                    "variant_id": None,
                    "minimum": 1,
                    "increment": 1,
                }
                for list_id in list_ids
            ],
        )
        uow.commit()
        buyer = load_buyer(uow, shop_id=shop_id, customer_id=customer.id, company_location_id=location.id)
    _copy_entries(db, shop_id, list_ids, variant_ids, rng)
    _analyze(db)
    from pricing import rules

    with db.unit_of_work() as uow:
        # A buyer every list applies to: every list is also assigned to segment 1.
        uow.session.execute(
            insert(PriceListAssignment),
            [
                {
                    "shop_id": shop_id,
                    "price_list_id": list_id,
                    "target": AssignmentTarget.SEGMENT,
                    "segment_id": 1,
                }
                for list_id in list_ids
            ],
        )
        uow.commit()
    everyone = rules.Buyer(None, None, None, frozenset(), frozenset({1}), "USD")
    return Seeded(shop_id, variant_ids, buyer, everyone, list_ids[:6])


def _analyze(db: Any) -> None:
    """Vacuumed, with fresh planner statistics, as autovacuum leaves tables after a bulk load.

    Without VACUUM the freshly loaded pages are not marked all-visible, so no index-only scan (the
    cart's variants and products, migration 0018) could skip the table: a state autovacuum ends
    within a minute of the load (autovacuum_vacuum_insert_threshold), not the steady state.
    """
    raw = db.engine.raw_connection()
    try:
        raw.driver_connection.autocommit = True  # VACUUM cannot run in a transaction
        raw.cursor().execute("VACUUM ANALYZE")
    finally:
        raw.driver_connection.autocommit = False
        raw.close()


def _copy_entries(
    db: Any, shop_id: int, list_ids: list[int], variant_ids: list[int], rng: random.Random
) -> None:
    """100,000 fixed entries through COPY: 2,000 random variants per list."""
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        per_list = ENTRIES // LISTS
        with cursor.copy(
            "COPY pricing_entry (shop_id, price_list_id, variant_id, price, updated_at) FROM STDIN"
        ) as copy:
            for list_id in list_ids:
                for variant_id in rng.sample(variant_ids, per_list):
                    copy.write_row(
                        (shop_id, list_id, variant_id, Decimal(rng.randrange(300, 15_000)) / 100, "now")
                    )
        raw.commit()
    finally:
        raw.close()


def measure(name: str, runs: int, engine: Engine, work: Callable[[], object]) -> Timing:
    """p50/p99 of `work` over `runs` runs after a warm-up, and its statement count."""
    for _ in range(5):
        work()
    with count_statements(engine) as seen:
        work()
    samples, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        work()
        samples.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    percentiles = statistics.quantiles(samples, n=100, method="inclusive")
    cpu_p99 = statistics.quantiles(cpu, n=100, method="inclusive")[98]
    return Timing(
        name, runs, statistics.median(samples), percentiles[98], len(seen), statistics.median(cpu), cpu_p99
    )


def naive_price(db: Any, shop_id: int, buyer: Any, lines: list[Any]) -> Any:
    """Line by line: the lists and their rules once, then ONE query per line (its variant and entries)."""
    from crm.models import CrmProduct, CrmVariant
    from pricing import rules
    from pricing.models import PriceEntry
    from pricing.service.resolve import load_pricing

    with db.unit_of_work() as uow:
        # Lists, tiers, rules and adjustments once (as the fast path does); what is per line is the lookup
        # of the variant and its fixed prices, the query a line-by-line implementation makes.
        details = load_pricing(
            uow, shop_id=shop_id, variant_ids=[line.variant_id for line in lines], buyer=buyer
        )
        list_ids = [info.id for info in details.lists]
        priced = []
        for line in lines:
            rows = uow.session.execute(
                select(
                    CrmVariant.id,
                    CrmVariant.shopify_id,
                    CrmProduct.shopify_id,
                    CrmVariant.price,
                    CrmVariant.compare_at_price,
                    CrmVariant.currency,
                    PriceEntry.price_list_id,
                    PriceEntry.price,
                )
                .join(CrmProduct, CrmProduct.id == CrmVariant.product_id)
                .outerjoin(
                    PriceEntry,
                    (PriceEntry.variant_id == CrmVariant.id) & PriceEntry.price_list_id.in_(list_ids),
                )
                .where(CrmVariant.shop_id == shop_id, CrmVariant.id == line.variant_id)
            ).all()
            variant = rules.VariantInfo(*rows[0][:6])
            entries = tuple(rules.EntryInfo(r[6], variant.id, r[7]) for r in rows if r[6] is not None)
            data = rules.PricingData(
                at=details.at,
                precedence=details.precedence,
                lists=details.lists,
                variants=(variant,),
                entries=entries,
                adjustments=details.adjustments,
                tiers=details.tiers,
                rules=details.rules,
            )
            priced.append(rules.price_cart(data, buyer, [line]).lines[0])
        return priced


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--naive-runs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--no-write", action="store_true", help="print the report, do not write it")
    args = parser.parse_args(argv)

    from app.db import Database
    from pricing import rules
    from pricing.service.resolve import price_lines

    url = prepare_database("postgres", args.database_url)
    db = Database(url)
    rng = random.Random(args.seed)
    started = time.perf_counter()
    seeded = seed(db, rng)
    seed_s = time.perf_counter() - started
    try:
        quantities = [1, 2, 6, 12, 24, 60, 120]
        cart = [
            rules.LineRequest(vid, quantities[n % len(quantities)])
            for n, vid in enumerate(rng.sample(seeded.variant_ids, CART_LINES))
        ]
        page = [rules.LineRequest(vid, 1) for vid in rng.sample(seeded.variant_ids, PAGE_VARIANTS)]
        engine = db.engine

        def priced(
            buyer: Any, lines: list[Any], explain: bool = True, read: bool = False
        ) -> Callable[[], object]:
            def run() -> object:
                with db.unit_of_work() as uow:
                    cart = price_lines(uow, shop_id=seeded.shop_id, buyer=buyer, lines=lines, explain=explain)
                if read:  # what the explainer and the resolve API do: every line's candidates, built
                    for line in cart.lines:
                        tuple(line.candidates)
                return cart

            return run

        fast = priced(seeded.buyer, cart)
        slow_result = naive_price(db, seeded.shop_id, seeded.buyer, cart)
        fast_result = fast()
        assert [line.unit_price for line in slow_result] == [line.unit_price for line in fast_result.lines]  # type: ignore[attr-defined]
        timings = [
            measure(f"{CART_LINES:,}-line cart, price_lines", args.runs, engine, fast),
            measure(
                f"{CART_LINES:,}-line cart, price_lines, every line's candidates read",
                args.runs // 3,
                engine,
                priced(seeded.buyer, cart, read=True),
            ),
            measure(
                f"{CART_LINES:,}-line cart, price_lines(explain=False)",
                args.runs,
                engine,
                priced(seeded.buyer, cart, explain=False),
            ),
            measure(
                f"{PAGE_VARIANTS} variants (portal page), price_lines",
                args.runs,
                engine,
                priced(seeded.buyer, page),
            ),
            measure(
                f"{CART_LINES:,}-line cart, every one of the 50 lists applies",
                args.runs // 3,
                engine,
                priced(seeded.everyone, cart),
            ),
            measure(
                f"{CART_LINES:,}-line cart, naive (one query per line)",
                args.naive_runs,
                engine,
                lambda: naive_price(db, seeded.shop_id, seeded.buyer, cart),
            ),
        ]
        engine_only = _engine_only(db, seeded, cart, args.runs)
    finally:
        with db.unit_of_work() as uow:
            from app.models import Shop

            uow.session.execute(delete(Shop).where(Shop.id == seeded.shop_id))
            uow.commit()
        db.dispose()
    report = _report(args, timings, engine_only, seed_s, fast_result)  # type: ignore[arg-type]
    print(report)
    if not args.no_write:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(report)
    return 0


def _engine_only(db: Any, seeded: Seeded, cart: list[Any], runs: int) -> Timing:
    """The pure engine on data loaded once: where the time goes between SQL and Python."""
    from pricing import rules
    from pricing.service.resolve import load_pricing

    with db.unit_of_work() as uow:
        data = load_pricing(
            uow, shop_id=seeded.shop_id, variant_ids=[line.variant_id for line in cart], buyer=seeded.buyer
        )
    data.index  # noqa: B018 - built once, as a simulator pricing many orders would
    return measure(
        "1,000-line cart, engine only (price_cart on loaded data)",
        runs,
        db.engine,
        lambda: rules.price_cart(data, seeded.buyer, cart),
    )


def _report(
    args: argparse.Namespace, timings: list[Timing], engine_only: Timing, seed_s: float, cart: Any
) -> str:
    cart_t, _read_t, _short_t, page_t, _all_t, naive_t = timings
    rows = "\n".join(
        f"| {t.name} | {t.runs} | {t.p50_ms:.2f} | {t.p99_ms:.2f} | {t.cpu_p50_ms:.2f} "
        f"| {t.cpu_p99_ms:.2f} | {t.statements} |"
        for t in [*timings, engine_only]
    )
    verdict = [
        _check("1,000-line cart p50", cart_t.p50_ms, TARGET_CART_P50_MS, "ms"),
        _check("1,000-line cart p99", cart_t.p99_ms, TARGET_CART_P99_MS, "ms"),
        _check("1,000-line cart statements", cart_t.statements, TARGET_STATEMENTS, ""),
        _check("50-variant page p50", page_t.p50_ms, TARGET_PAGE_P50_MS, "ms"),
    ]
    command = (
        "python -m bench.pricing_engine " + shlex.join(sys.argv[1:])
        if sys.argv[1:]
        else "python -m bench.pricing_engine"
    )
    sources = {}
    for line in cart.lines:
        sources[line.source] = sources.get(line.source, 0) + 1
    return (
        f"# Pricing engine ({utc_stamp()})\n\n"
        f"Command: `{command}` (database {args.database_url.rsplit('@', 1)[-1]})\n\n"
        f"Machine: {machine_line()}; load average {load_average()}\n\n"
        f"Data: {LISTS} price lists, {ENTRIES:,} fixed entries ({ENTRIES // LISTS:,} of {VARIANTS:,} "
        "variants per list), 3 list-wide % tiers per list, 2,000 variant tiers, a quantity rule per list, "
        f"adjustments on half the lists; seeded (COPY for the entries, then ANALYZE) in {seed_s:.1f} s. "
        "The company buyer (location + company + customer + tag + 2 defaults) has 6 lists; the other 44 "
        f"belong to another company and are not loaded. The cart has {CART_LINES:,} distinct variants at "
        f"quantities 1-120; its lines were won as {sources}.\n\n"
        "Each run opens a unit of work (a pooled connection) and calls `price_lines` (load + price; each "
        "line's candidates are built when first read, which the second row does for every line); p50/p99 "
        "are wall-clock per call over the runs after 5 warm-up calls; CPU is this "
        "process's CPU time per call (the database's work is not in it); statements are counted with a "
        "`before_cursor_execute` listener.\n\n"
        "| what | runs | p50 ms | p99 ms | CPU p50 ms | CPU p99 ms | SQL statements |\n"
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n"
        f"{rows}\n\n"
        f"Naive / price_lines (p50): **{naive_t.p50_ms / cart_t.p50_ms:.1f}x** "
        f"({naive_t.statements:,} statements against {cart_t.statements}); both give the same unit prices "
        "(asserted in the run).\n\n"
        "Targets (issue 4):\n\n" + "\n".join(f"- {line}" for line in verdict) + "\n"
    )


def _check(what: str, value: float, target: float, unit: str) -> str:
    met = value <= target
    shown = f"{value:.2f} {unit}".strip() if unit else f"{value:g}"
    goal = f"{target:g} {unit}".strip()
    if met:
        return f"{what}: {shown} (target <= {goal}): met"
    return f"{what}: {shown} (target <= {goal}): MISSED by {value - target:.2f} {unit}".rstrip()


if __name__ == "__main__":
    sys.exit(main())
