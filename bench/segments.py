"""Benchmark: RFM + segments and the CLV fit on a generated shop, against pandas and lifetimes.

    python -m bench.segments --customers 1000000 --orders 5000000 [--reuse] [--only-rfm] [--append]

Data: one shop, N customers (a third in companies, one company per 20 customers), M orders drawn
with a skew (some customers buy often, many once), over two years, 2 % in another currency, 3 %
cancelled, 1 % test; generated inside PostgreSQL with generate_series (the generator is not timed).

Timed, each in a fresh process whose peak RSS is reported:
- Tradeline RFM + segments: `segments.rfm.compute_rfm` for customers and for companies (the job's SQL),
  then two rule-based segments materialised (`membership.materialise_all`); twice: the shop's first run
  (everything new) and the next day's run (every score rewritten). `--only-rfm` times only these.
- Tradeline CLV: the summaries SQL, the BG/NBD + Gamma-Gamma fits, the predictions UPDATE.
- pandas RFM (peer): the orders read with pandas.read_sql, then the same definitions in pandas.
- lifetimes (peer): BetaGeoFitter + GammaGammaFitter on the same summaries as Tradeline's fit.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.harness import _process_cpu_seconds, append_to_benchmarks, load_average, machine_line, utc_stamp

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/bench_segments"
AS_OF = datetime(2026, 11, 1, tzinfo=UTC)
NEXT_DAY = timedelta(days=1)
PEER_TIMEOUT_S = 900


def _psycopg_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


def recreate_database(url: str) -> None:
    import psycopg

    base, _, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def generate(url: str, customers: int, orders: int) -> int:
    """Migrate, create the shop and its data; returns the shop id."""
    import psycopg

    from app.migrate import upgrade

    upgrade(_psycopg_url(url))
    with psycopg.connect(url, autocommit=True) as conn:
        shop_id = conn.execute(
            """
            INSERT INTO app_shop (domain, name, currency, timezone, plan, scopes, installed_at, created_at,
                                  updated_at)
            VALUES ('bench.myshopify.com', 'bench', 'USD', 'UTC', 'basic', '', now(), now(), now())
            RETURNING id
            """
        ).fetchone()[0]
        companies = max(1, customers // 60)
        conn.execute(
            """
            INSERT INTO crm_company (shop_id, shopify_id, name, orders_count, total_spent, currency,
                                     created_at, updated_at)
            SELECT %s, g, 'Company ' || g, 0, 0, 'USD', now(), now() FROM generate_series(1, %s) g
            """,
            (shop_id, companies),
        )
        conn.execute(
            """
            INSERT INTO crm_customer (shop_id, shopify_id, email, company_id, orders_count, total_spent,
                                      currency, created_at, updated_at)
            SELECT %s, g, 'c' || g || '@example.com',
                   CASE WHEN g %% 3 = 0 THEN (SELECT min(id) FROM crm_company) + (g / 3) %% %s END,
                   0, 0, 'USD', now(), now()
            FROM generate_series(1, %s) g
            """,
            (shop_id, companies, customers),
        )
        first = conn.execute("SELECT min(id) FROM crm_customer").fetchone()[0]
        # customer = first + floor(N * u^2): a few customers get many orders, many get one or none.
        conn.execute(
            """
            INSERT INTO crm_order (shop_id, shopify_id, customer_id, company_id, is_b2b, currency,
                                   current_total_price, total_price, processed_at, cancelled_at, test,
                                   created_at, updated_at)
            SELECT %(shop)s, g, c.id, c.company_id, c.company_id IS NOT NULL,
                   CASE WHEN random() < 0.02 THEN 'EUR' ELSE 'USD' END, p.price, p.price, p.at,
                   CASE WHEN random() < 0.03 THEN p.at END, random() < 0.01, now(), now()
            FROM generate_series(1, %(orders)s) g
            CROSS JOIN LATERAL (
                SELECT %(first)s + floor(%(customers)s * power(random(), 2))::int AS customer_id,
                       (10 + floor(random() * 400))::numeric AS price,
                       %(as_of)s::timestamptz - random() * interval '730 days' AS at
                WHERE g > 0
            ) p
            JOIN crm_customer c ON c.id = p.customer_id
            """,
            {"shop": shop_id, "orders": orders, "first": first, "customers": customers, "as_of": AS_OF},
        )
        conn.execute("ANALYZE")
    return shop_id


def reset_scores(url: str) -> int:
    """Forget what previous runs computed (scores, transitions, segments, runs, timeline), keep the data.

    The schema is brought up to date first: data generated before a migration is measured under it.
    """
    import psycopg

    from app.migrate import upgrade

    upgrade(_psycopg_url(url))
    with psycopg.connect(url, autocommit=True) as conn:
        # Everything the analytics derived (and the benchmark's rule segments); TRUNCATE, not DELETE, so
        # the score table starts as a first run finds it: empty pages, no dead rows.
        conn.execute(
            "TRUNCATE segments_member_event, segments_member, segments_segment, segments_transition, "
            "segments_score, segments_run CASCADE"
        )
        conn.execute("DELETE FROM crm_timeline_event WHERE kind = 'segment.changed'")
        conn.execute("VACUUM ANALYZE")
        return conn.execute("SELECT id FROM app_shop WHERE domain = 'bench.myshopify.com'").fetchone()[0]


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# Rule-based segments the benchmark materialises after RFM (set-based, as the nightly run does).
RULE_SEGMENTS = {
    "Champions": {"conditions": [{"field": "rfm_segment", "op": "in", "value": ["champions"]}]},
    "Big spenders at risk": {
        "match": "all",
        "conditions": [
            {"field": "rfm_segment", "op": "in", "value": ["at_risk", "cant_lose_them"]},
            {"field": "m_score", "op": "gte", "value": 4},
        ],
    },
}


def _cpu_s(backend_pid: int) -> tuple[float, float]:
    """CPU seconds so far of the PostgreSQL backend serving the run, and of this process.

    Wall time on a shared machine moves with the load; CPU time barely does.
    """
    return _process_cpu_seconds(backend_pid), time.process_time()


def _rfm_and_segments(
    uow: Any, shop_id: int, as_of: datetime, figures: dict[str, float], prefix: str
) -> None:
    """One run's RFM for customers and companies, then every rule segment; timed into `figures`."""
    from sqlalchemy import text

    from segments import membership, rfm
    from segments.models import RunKind, SegmentRun, Subject

    run = SegmentRun(shop_id=shop_id, kind=RunKind.FULL, as_of=as_of)
    uow.session.add(run)
    uow.commit()
    backend_pid = uow.session.execute(text("SELECT pg_backend_pid()")).scalar_one()
    started, cpu_started = time.perf_counter(), _cpu_s(backend_pid)
    for subject in (Subject.CUSTOMER, Subject.COMPANY):
        t0 = time.perf_counter()
        outcome = rfm.compute_rfm(
            uow.session, shop_id=shop_id, run_id=run.id, currency="USD", as_of=as_of, subject=subject
        )
        uow.commit()
        figures[f"{prefix}rfm_{subject.value}_s"] = time.perf_counter() - t0
        figures[f"{prefix}rfm_{subject.value}_scored"] = outcome.scored
        figures[f"{prefix}rfm_{subject.value}_written"] = outcome.entered + outcome.moved + outcome.left
    figures[f"{prefix}rfm_total_s"] = time.perf_counter() - started
    cpu_rfm = _cpu_s(backend_pid)
    t0 = time.perf_counter()
    outcomes = membership.materialise_all(uow, shop_id=shop_id, now=as_of)
    figures[f"{prefix}segments_s"] = time.perf_counter() - t0
    figures[f"{prefix}segment_members"] = sum(o.members for o in outcomes)
    figures[f"{prefix}total_s"] = time.perf_counter() - started
    cpu_done = _cpu_s(backend_pid)
    for name, (before, after) in (("rfm", (cpu_started, cpu_rfm)), ("segments", (cpu_rfm, cpu_done))):
        figures[f"{prefix}{name}_pg_cpu_s"] = after[0] - before[0]
        figures[f"{prefix}{name}_job_cpu_s"] = after[1] - before[1]


def _create_rule_segments(uow: Any, shop_id: int) -> None:
    from segments import definitions

    for name, definition in RULE_SEGMENTS.items():
        definitions.create_segment(uow, shop_id=shop_id, name=name, subject="customer", definition=definition)
    uow.commit()


def _tradeline(url: str, shop_id: int, only_rfm: bool, out: Any) -> None:
    import app.model_registry  # noqa: F401  (every table, for the ORM's foreign keys)
    from app.db import Database
    from segments import clv, clv_scoring
    from segments.models import Subject

    db = Database(_psycopg_url(url))
    figures: dict[str, float] = {}
    with db.unit_of_work() as uow:
        _create_rule_segments(uow, shop_id)
        _rfm_and_segments(uow, shop_id, AS_OF, figures, "")
        # The nightly run of the next day: every recency moves, so every score row is rewritten.
        _rfm_and_segments(uow, shop_id, AS_OF + NEXT_DAY, figures, "next_")
        if only_rfm:
            figures["peak_rss_mb"] = _peak_rss_mb()
            out.put(figures)
            return
        t0 = time.perf_counter()
        summaries = clv_scoring.load_summaries(
            uow.session, Subject.CUSTOMER, shop_id=shop_id, currency="USD", as_of=AS_OF
        )
        figures["clv_summaries_sql_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        clv.fit_bgnbd(summaries.frequency, summaries.recency, summaries.age)
        clv.fit_gamma_gamma(summaries.frequency, summaries.monetary)
        figures["clv_fit_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        stats = clv_scoring.score_clv(
            uow.session, Subject.CUSTOMER, shop_id=shop_id, currency="USD", as_of=AS_OF
        )
        uow.commit()
        figures["clv_score_all_s"] = time.perf_counter() - t0  # summaries + fits + predictions + backtest
        figures["clv_customers"] = stats["customers"]
        import numpy as np

        np.savez(
            Path(out_path(url)),
            frequency=summaries.frequency,
            recency=summaries.recency,
            age=summaries.age,
            monetary=summaries.monetary,
        )
    figures["peak_rss_mb"] = _peak_rss_mb()
    db.dispose()
    out.put(figures)


def out_path(url: str) -> str:
    return f"/tmp/bench-segments-{url.rpartition('/')[2]}.npz"


def _pandas(url: str, shop_id: int, out: Any) -> None:
    import pandas as pd
    from sqlalchemy import create_engine

    engine = create_engine(_psycopg_url(url))
    t0 = time.perf_counter()
    orders = pd.read_sql(
        "SELECT customer_id, currency, current_total_price AS amount, processed_at, cancelled_at, test "
        f"FROM crm_order WHERE shop_id = {int(shop_id)}",
        engine,
    )
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    counted = orders[orders.customer_id.notna() & orders.cancelled_at.isna() & ~orders.test]
    counted = counted.assign(money=counted.amount.where(counted.currency == "USD", 0).astype(float))
    grouped = counted.groupby("customer_id").agg(
        frequency=("money", "size"), monetary=("money", "sum"), last=("processed_at", "max")
    )
    as_of = pd.Timestamp(AS_OF)
    grouped["recency_days"] = (as_of - grouped["last"]).dt.days
    n = len(grouped)

    def score(rank: pd.Series) -> pd.Series:
        return 1 + ((5 * (rank - 1)) // (n - 1)).clip(upper=4).astype(int)

    grouped["r"] = score(grouped.recency_days.rank(method="min", ascending=False))
    grouped["f"] = score(grouped.frequency.rank(method="min"))
    grouped["m"] = score(grouped.monetary.rank(method="min"))
    compute_s = time.perf_counter() - t0
    out.put({"load_s": load_s, "compute_s": compute_s, "customers": n, "peak_rss_mb": _peak_rss_mb()})
    engine.dispose()


def _lifetimes(url: str, out: Any) -> None:
    import warnings

    import numpy as np

    warnings.simplefilter("ignore")
    from lifetimes import BetaGeoFitter, GammaGammaFitter

    data = np.load(out_path(url))
    t0 = time.perf_counter()
    BetaGeoFitter().fit(data["frequency"], data["recency"], data["age"])
    repeat = (data["frequency"] > 0) & (data["monetary"] > 0)  # as Tradeline's fit keeps them
    GammaGammaFitter().fit(data["frequency"][repeat], data["monetary"][repeat])
    out.put({"fit_s": time.perf_counter() - t0, "peak_rss_mb": _peak_rss_mb()})


def _in_child(target: Any, *args: Any, timeout: float = 3600) -> dict[str, Any] | None:
    """Run `target(*args, queue)` in a fresh process; its result, or None if it died or timed out."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=target, args=(*args, queue))
    process.start()
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            try:
                return queue.get(timeout=2)
            except Exception:
                if not process.is_alive():
                    return None
        return None
    finally:
        process.join(5)
        if process.is_alive():
            process.kill()


def _rfm_lines(ours: dict[str, Any], pandas_rfm: dict[str, Any] | None) -> list[str]:
    lines = []
    rfm_s = ours["rfm_customer_s"]
    if pandas_rfm:
        read_s, compute_s = pandas_rfm["load_s"], pandas_rfm["compute_s"]
        lines.append(
            f"| RFM, customers ({ours['rfm_customer_scored']:,.0f} scored, first run) | {rfm_s:.1f} s | "
            f"pandas {read_s + compute_s:.1f} s (read {read_s:.1f} + compute {compute_s:.1f}) | "
            f"{(read_s + compute_s) / rfm_s:.1f}x | |"
        )
    for prefix, label in (("", "first run of the shop"), ("next_", "the next day's run")):
        written = ours[f"{prefix}rfm_customer_written"] + ours[f"{prefix}rfm_company_written"]
        lines.append(
            f"| RFM + segments, {label}: RFM of customers and companies {ours[f'{prefix}rfm_total_s']:.1f} s "
            f"({written:,.0f} transitions), {len(RULE_SEGMENTS)} rule segments "
            f"{ours[f'{prefix}segments_s']:.1f} s ({ours[f'{prefix}segment_members']:,.0f} members) | "
            f"{ours[f'{prefix}total_s']:.1f} s | | | <= 30 s |"
        )
    for prefix, label in (("", "first run"), ("next_", "next day's run")):
        lines.append(
            f"| CPU of the {label}: PostgreSQL backend RFM {ours[f'{prefix}rfm_pg_cpu_s']:.1f} s + "
            f"segments {ours[f'{prefix}segments_pg_cpu_s']:.1f} s; the job RFM "
            f"{ours[f'{prefix}rfm_job_cpu_s']:.2f} s + segments "
            f"{ours[f'{prefix}segments_job_cpu_s']:.2f} s | | | | |"
        )
    return lines


def _clv_lines(ours: dict[str, Any], peer_fit: dict[str, Any] | None) -> list[str]:
    fit_peer = (
        f"lifetimes {peer_fit['fit_s']:.1f} s"
        if peer_fit
        else f"lifetimes did not finish in {PEER_TIMEOUT_S} s"
    )
    ratio = f"{peer_fit['fit_s'] / ours['clv_fit_s']:.0f}x" if peer_fit else "n/a"
    return [
        f"| BG/NBD + Gamma-Gamma fit ({ours['clv_customers']:,.0f} customers) | {ours['clv_fit_s']:.2f} s | "
        f"{fit_peer} | {ratio} | <= 10 s |",
        f"| CLV summaries SQL | {ours['clv_summaries_sql_s']:.1f} s | | | |",
        f"| CLV step in all (summaries, fits, predictions written, backtest) | "
        f"{ours['clv_score_all_s']:.1f} s | | | |",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--orders", type=int, default=5_000_000)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--append", action="store_true", help="append the section to BENCHMARKS.md")
    parser.add_argument("--reuse", action="store_true", help="keep the data a previous run generated")
    parser.add_argument("--only-rfm", action="store_true", help="only RFM + segments: no CLV, no peers")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    if args.reuse:
        shop_id = reset_scores(args.database_url)
    else:
        recreate_database(args.database_url)
        shop_id = generate(args.database_url, args.customers, args.orders)
    generate_s = time.perf_counter() - t0
    ours = _in_child(_tradeline, args.database_url, shop_id, args.only_rfm)
    pandas_rfm = None if args.only_rfm else _in_child(_pandas, args.database_url, shop_id)
    peer_fit = None if args.only_rfm else _in_child(_lifetimes, args.database_url, timeout=PEER_TIMEOUT_S)
    if ours is None:
        print("the Tradeline run failed", file=sys.stderr)
        return 1
    command = f"python -m bench.segments --customers {args.customers} --orders {args.orders}"
    lines = [
        f"## Segments: RFM and CLV on {args.customers:,} customers / {args.orders:,} orders ({utc_stamp()})",
        "",
        f"Machine: {machine_line()}; PostgreSQL on 127.0.0.1. Load average: {load_average()}.  ",
        f"Command: `{command}{' --reuse' if args.reuse else ''}{' --only-rfm' if args.only_rfm else ''}`; "
        f"data generated in PostgreSQL in {generate_s:.0f} s (not timed below).",
        "",
        "| step | Tradeline | peer | ratio (peer / Tradeline) | target |",
        "| --- | ---: | ---: | ---: | --- |",
        *_rfm_lines(ours, pandas_rfm),
        *([] if args.only_rfm else _clv_lines(ours, peer_fit)),
    ]
    peers_rss = ", ".join(
        f"{name} {figures['peak_rss_mb']:.0f} MB"
        for name, figures in (("pandas", pandas_rfm), ("lifetimes", peer_fit))
        if figures
    )
    lines += [
        f"| peak RSS of the process | {ours['peak_rss_mb']:.0f} MB | {peers_rss} | | <= 1 GB |",
        "",
        "PostgreSQL's own memory is not in these RSS figures (it runs as its own server).",
    ]
    section = "\n".join(lines)
    print(section)
    if args.append:
        append_to_benchmarks(section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
