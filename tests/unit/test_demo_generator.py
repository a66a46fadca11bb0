"""The demo generator: byte-identical for a seed, Shopify-shaped payloads, and a believable business."""

import hashlib
import json
import os
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import islice
from pathlib import Path
from typing import Any

import pytest

from app.demo.catalog import CATALOG
from app.demo.generator import DemoSize, DemoWebhook, generate
from crm import payloads

TODAY = date(2026, 11, 22)
SMALL = DemoSize(companies=25, retail_customers=12)
PROJECT_ROOT = Path(__file__).resolve().parents[2]
MONEY_FIELDS = ("subtotal_price", "total_discounts", "total_tax", "total_price", "current_total_price")
INCREMENTS = {f"{p.sku_prefix}-{v.sku_suffix}": v.increment for p in CATALOG for v in p.variants}


def _digest(webhooks: list[DemoWebhook]) -> str:
    return hashlib.sha256(json.dumps(webhooks).encode()).hexdigest()


@pytest.fixture(scope="module")
def full() -> list[DemoWebhook]:
    """The real demo shop (the defaults), generated once for the shape tests."""
    return list(generate(today=TODAY))


@pytest.fixture(scope="module")
def orders(full: list[DemoWebhook]) -> list[dict[str, Any]]:
    return [w.payload for w in full if w.topic == "orders/create"]


def test_the_same_seed_and_day_give_byte_identical_payloads() -> None:
    first = list(islice(generate(seed=7, today=TODAY, size=SMALL), 500))
    second = list(islice(generate(seed=7, today=TODAY, size=SMALL), 500))
    assert _digest(first) == _digest(second)
    assert _digest(list(islice(generate(seed=8, today=TODAY, size=SMALL), 500))) != _digest(first)
    assert _digest(
        list(islice(generate(seed=7, today=TODAY + timedelta(days=1), size=SMALL), 500))
    ) != _digest(first)


def test_output_does_not_depend_on_the_process_or_its_hash_seed() -> None:
    script = (
        "import hashlib, json, datetime, itertools\n"
        "from app.demo.generator import generate, DemoSize\n"
        "hooks = list(itertools.islice(generate(seed=7, today=datetime.date(2026, 11, 22),"
        " size=DemoSize(companies=25, retail_customers=12)), 500))\n"
        "print(hashlib.sha256(json.dumps(hooks).encode()).hexdigest())\n"
    )
    digests = {
        subprocess.run(
            [sys.executable, "-c", script],
            env={**os.environ, "PYTHONHASHSEED": hash_seed},
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for hash_seed in ("1", "2")
    }
    assert digests == {_digest(list(islice(generate(seed=7, today=TODAY, size=SMALL), 500)))}


def test_webhooks_come_in_firing_order_and_never_from_the_future() -> None:
    stamps = [payloads.parse_datetime(_when(w)) for w in generate(today=TODAY, size=SMALL)]
    assert stamps == sorted(stamps)  # type: ignore[type-var]
    start_of_today = datetime.fromisoformat("2026-11-22T00:00:00-06:00")
    assert max(stamps) < start_of_today  # type: ignore[type-var, operator]
    assert min(stamps) < start_of_today - timedelta(days=730)  # type: ignore[operator]


def _when(webhook: DemoWebhook) -> str:
    payload = webhook.payload
    if webhook.topic == "orders/create":
        return payload["processed_at"]
    return payload["customer_since"] if webhook.topic == "companies/create" else payload["created_at"]


def test_customer_payloads_have_the_api_2025_01_shape(full: list[DemoWebhook]) -> None:
    customers = [w.payload for w in full if w.topic == "customers/create"]
    expected = {
        "id", "admin_graphql_api_id", "email", "first_name", "last_name", "phone", "state", "verified_email",
        "note", "currency", "multipass_identifier", "tax_exempt", "tax_exemptions", "created_at",
        "updated_at", "addresses", "default_address",
    }  # fmt: skip
    assert all(set(c) == expected for c in customers)
    assert len({c["email"] for c in customers}) == len(customers)
    assert all(
        c["email"].endswith((".example", "example.com", "example.net", "example.org")) for c in customers
    )
    assert all(c["phone"][5:9] == "5550" for c in customers)  # the 555-01xx range reserved for fiction


def test_every_payload_parses_as_the_crm_reads_webhooks(full: list[DemoWebhook]) -> None:
    parsers = {
        "products/create": payloads.parse_product,
        "companies/create": payloads.parse_company,
        "company_locations/create": payloads.parse_company_location,
        "company_contacts/create": payloads.parse_company_contact,
        "customers/create": payloads.parse_customer,
        "orders/create": payloads.parse_order,
    }
    counts = Counter(w.topic for w in full)
    assert set(counts) == set(parsers)
    for webhook in full:
        parsers[webhook.topic](webhook.payload)


def test_orders_are_shopify_shaped_and_add_up(orders: list[dict[str, Any]]) -> None:
    for order in orders:
        for name in MONEY_FIELDS:
            assert isinstance(order[name], str) and len(order[name].split(".")[1]) == 2
        assert isinstance(order["tags"], str)
        lines = sum((Decimal(li["price"]) * li["quantity"] for li in order["line_items"]), Decimal(0))
        assert Decimal(order["subtotal_price"]) == lines
        shipping = Decimal(order["total_shipping_price_set"]["shop_money"]["amount"])
        assert Decimal(order["total_price"]) == lines + Decimal(order["total_tax"]) + shipping
        assert order["customer"]["tags"]  # the embedded customer still carries tags
        assert order["name"] == f"#{order['order_number']}"
    assert [o["order_number"] for o in orders] == list(range(1001, 1001 + len(orders)))


def test_b2b_orders_buy_case_multiples_with_po_numbers(orders: list[dict[str, Any]]) -> None:
    b2b = [o for o in orders if o["company"]]
    retail = [o for o in orders if not o["company"]]
    assert all(li["quantity"] % INCREMENTS[li["sku"]] == 0 for o in b2b for li in o["line_items"])
    assert 0.6 < sum(1 for o in b2b if o["po_number"]) / len(b2b) < 0.8
    assert all(o["po_number"] is None and o["payment_terms"] is None for o in retail)
    b2b_units = [li["quantity"] for o in b2b for li in o["line_items"]]
    retail_units = [li["quantity"] for o in retail for li in o["line_items"]]
    assert sum(b2b_units) / len(b2b_units) > 3 * sum(retail_units) / len(retail_units)
    b2b_value = sum(Decimal(o["total_price"]) for o in b2b) / len(b2b)
    retail_value = sum(Decimal(o["total_price"]) for o in retail) / len(retail)
    assert b2b_value > 5 * retail_value
    assert {o["source_name"] for o in b2b} == {"web", "shopify_draft_order"}


def test_the_demo_has_the_size_the_issue_asks_for(full: list[DemoWebhook]) -> None:
    counts = Counter(w.topic for w in full)
    assert counts["companies/create"] == 300
    assert counts["customers/create"] == counts["company_contacts/create"] + 150  # contacts + retail
    assert 300 <= counts["company_contacts/create"] <= 900  # 1-3 contacts each
    products = [w.payload for w in full if w.topic == "products/create"]
    assert 38 <= len(products) <= 45
    assert all(2 <= len(p["variants"]) <= 5 for p in products)
    assert 3000 <= counts["orders/create"] <= 8000


def test_orders_peak_in_q4_and_dip_in_summer(orders: list[dict[str, Any]]) -> None:
    per_month = Counter(o["processed_at"][:7] for o in orders)
    q4 = [per_month[f"2025-{m:02d}"] for m in (10, 11, 12)]
    summer = [per_month[f"2025-{m:02d}"] for m in (6, 7, 8)]
    assert sum(q4) > 1.5 * sum(summer)


def test_account_size_is_heavy_tailed(orders: list[dict[str, Any]]) -> None:
    revenue: dict[int, Decimal] = defaultdict(Decimal)
    for order in orders:
        if order["company"] and order["cancelled_at"] is None:
            revenue[order["company"]["id"]] += Decimal(order["current_total_price"])
    ranked = sorted(revenue.values(), reverse=True)
    top_decile = sum(ranked[: len(ranked) // 10])
    assert top_decile / sum(ranked) > Decimal("0.35")


def test_some_accounts_churn_and_some_of_them_recently(orders: list[dict[str, Any]]) -> None:
    last: dict[int, date] = {}
    for order in orders:
        if order["company"]:
            last[order["company"]["id"]] = date.fromisoformat(order["processed_at"][:10])
    idle = [(TODAY - day).days for day in last.values()]
    assert sum(days > 180 for days in idle) >= 20  # churned long ago
    assert sum(60 <= days <= 180 for days in idle) >= 10  # churned recently: at risk
    assert sum(days <= 30 for days in idle) >= len(idle) // 3  # most accounts are active


def test_orders_have_realistic_states(orders: list[dict[str, Any]]) -> None:
    statuses = Counter(o["financial_status"] for o in orders)
    assert statuses["paid"] > 0.8 * len(orders)
    assert statuses["pending"] > 0  # open net-terms invoices
    assert statuses["voided"] + statuses["refunded"] == sum(1 for o in orders if o["cancelled_at"])
    assert statuses["partially_refunded"] > 0
    recent = [o for o in orders if o["processed_at"] >= "2026-11-20"]
    assert any(o["fulfillment_status"] is None for o in recent)
