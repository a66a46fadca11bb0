"""Seed the demo shop: install it, then deliver the generated webhooks to it.

`deliver_demo` (what `tradeline demo` runs) sends every generated payload as a webhook signed with
the app's client secret through the real intake, `POST /webhooks`, so the demo exercises the
path Shopify's deliveries take: HMAC check, shop lookup, inbox, then the handlers. For speed it
posts through Flask's test client in-process, stores without enqueueing a job per delivery, and
then processes the inbox in batches (`webhooks.service.processing.drain`, the batch path the
processing jobs use). `seed_demo` imports the same payloads straight through
`crm.service.import_batch`, for tests that need a populated CRM and not the intake.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask import Flask

from app import services
from app.db import UnitOfWork
from app.demo.analytics import seed_analytics
from app.demo.generator import DEMO_SEED, DemoSize, DemoWebhook, generate
from app.demo.pricing import seed_price_lists
from app.models import Shop
from app.shops import find_shop_by_domain, install_shop, normalize_shop_domain
from crm import service
from webhooks.rules import sign
from webhooks.service import processing
from webhooks.views import DEFER_PROCESSING

DEMO_SHOP_DOMAIN = "demo-wholesale.myshopify.com"
DEMO_SHOP_NAME = "Demo Wholesale Co."
DEMO_ACTOR = "demo"
# Payloads per import_batch call: large enough to amortise each statement, small enough that a
# batch's parsed rows stay a few MB.
BATCH_PAYLOADS = 1000
# Deliveries per processing transaction when the demo drains the inbox.
DRAIN_BATCH = 1000
# Webhook ids are derived from the payload (uuid5), so delivering the same seed twice is deduplicated.
DEMO_WEBHOOK_NAMESPACE = uuid.UUID("6f1d3a52-2c1b-4b63-9f0e-0d8c4e1a7b20")
# Topic → import_batch argument.
TOPIC_ARGUMENT = {
    "customers/create": "customers",
    "companies/create": "companies",
    "company_locations/create": "company_locations",
    "company_contacts/create": "company_contacts",
    "products/create": "products",
    "orders/create": "orders",
}


@dataclass
class SeedResult:
    """What the seed did: the shop, the payloads imported, the CRM counts after, the time taken."""

    shop_id: int
    payloads: int
    counts: dict[str, int]
    seconds: float
    outcomes: dict[str, dict[str, int]] = field(default_factory=dict)


def install_demo_shop(uow: UnitOfWork, *, shop_domain: str = DEMO_SHOP_DOMAIN) -> Shop:
    """Register the demo shop (idempotent) with the settings a US wholesale store on Shopify Plus has."""
    shop = install_shop(uow, domain=shop_domain, scopes="")
    shop.name = DEMO_SHOP_NAME
    shop.currency = "USD"
    shop.timezone = "America/Chicago"
    shop.plan = "Shopify Plus"
    shop.email = f"owner@{shop.handle}.example"
    uow.session.flush()
    return shop


def seed_demo(
    uow: UnitOfWork,
    *,
    shop_domain: str = DEMO_SHOP_DOMAIN,
    seed: int = DEMO_SEED,
    today: date | None = None,
    size: DemoSize | None = None,
) -> SeedResult:
    """Install the demo shop and import the generated data straight through `crm.service.import_batch`.

    Idempotent for the same seed and `today`: a second run finds every payload already stored
    and changes nothing. It does not commit; the caller's unit of work does, so a failed seed
    leaves nothing half-imported. `deliver_demo` is the same data through the webhook intake.
    """
    started = time.perf_counter()
    shop = install_demo_shop(uow, shop_domain=shop_domain)
    outcomes: dict[str, dict[str, int]] = {}
    payloads = 0
    for batch in _batches(generate(seed=seed, today=today, size=size)):
        payloads += sum(len(items) for items in batch.values())
        result = service.import_batch(uow, shop_id=shop.id, actor=DEMO_ACTOR, **batch)
        for resource, tally in result.counts.items():
            total = outcomes.setdefault(resource, dict.fromkeys(tally, 0))
            for action, count in tally.items():
                total[action] += count
    seed_price_lists(uow, shop_id=shop.id)
    return SeedResult(
        shop_id=shop.id,
        payloads=payloads,
        counts=service.crm_counts(uow, shop_id=shop.id),
        seconds=time.perf_counter() - started,
        outcomes=outcomes,
    )


def is_seeded(uow: UnitOfWork, *, shop_domain: str = DEMO_SHOP_DOMAIN) -> bool:
    """Whether the demo shop exists and holds CRM data."""
    shop = find_shop_by_domain(uow, domain=normalize_shop_domain(shop_domain))
    return shop is not None and any(service.crm_counts(uow, shop_id=shop.id).values())


def remove_demo_shop(uow: UnitOfWork, *, shop_domain: str = DEMO_SHOP_DOMAIN) -> bool:
    """Delete the demo shop and, by cascade, everything it owns; False when there was none."""
    shop = find_shop_by_domain(uow, domain=normalize_shop_domain(shop_domain))
    if shop is None:
        return False
    uow.session.delete(shop)
    uow.session.flush()
    return True


def _batches(webhooks: Iterable[DemoWebhook]) -> Iterable[dict[str, list[dict[str, Any]]]]:
    """Consecutive slices of the stream, grouped by import_batch argument (order kept across slices)."""
    batch: dict[str, list[dict[str, Any]]] = {}
    size = 0
    for webhook in webhooks:
        batch.setdefault(TOPIC_ARGUMENT[webhook.topic], []).append(webhook.payload)
        size += 1
        if size == BATCH_PAYLOADS:
            yield batch
            batch, size = {}, 0
    if batch:
        yield batch


def deliver_demo(
    app: Flask,
    *,
    shop_domain: str = DEMO_SHOP_DOMAIN,
    seed: int = DEMO_SEED,
    today: date | None = None,
    size: DemoSize | None = None,
) -> SeedResult:
    """Install the demo shop and deliver its data as signed webhooks through `POST /webhooks`.

    Call inside `app`'s app context. Each payload is posted with the headers Shopify sends and an
    HMAC made with the app's client secret; the intake stores it in the inbox (processing deferred),
    and the inbox is then processed in batches. Commits as it goes, like real deliveries do. Raises
    RuntimeError when the intake refuses a delivery. Delivering the same seed again changes nothing:
    the webhook ids repeat, so every delivery is a duplicate.
    """
    started = time.perf_counter()
    svc = services()
    with svc.db.unit_of_work() as uow:
        shop = install_demo_shop(uow, shop_domain=shop_domain)
        shop_id, domain = shop.id, shop.domain
        uow.commit()
    secret = svc.settings.SHOPIFY_API_SECRET
    api_version = svc.settings.SHOPIFY_API_VERSION
    client = app.test_client()
    deferred = app.config.get(DEFER_PROCESSING)
    app.config[DEFER_PROCESSING] = True
    payloads = 0
    try:
        for webhook in generate(seed=seed, today=today, size=size):
            body = json.dumps(webhook.payload, separators=(",", ":")).encode()
            key = (
                f"{seed}:{webhook.topic}:{_resource_id(webhook.payload)}:{webhook.payload.get('updated_at')}"
            )
            headers = {
                "X-Shopify-Topic": webhook.topic,
                "X-Shopify-Hmac-Sha256": sign(body, secret),
                "X-Shopify-Shop-Domain": domain,
                "X-Shopify-API-Version": api_version,
                "X-Shopify-Webhook-Id": str(uuid.uuid5(DEMO_WEBHOOK_NAMESPACE, key)),
                "X-Shopify-Event-Id": str(uuid.uuid5(DEMO_WEBHOOK_NAMESPACE, "event:" + key)),
            }
            if webhook.payload.get("updated_at"):
                headers["X-Shopify-Triggered-At"] = webhook.payload["updated_at"]
            response = client.post("/webhooks", data=body, headers=headers, content_type="application/json")
            if response.status_code != 200:
                raise RuntimeError(
                    f"the webhook intake answered {response.status_code} to a demo {webhook.topic}: "
                    f"{response.get_data(as_text=True)[:200]}"
                )
            payloads += 1
    finally:
        app.config[DEFER_PROCESSING] = deferred
    totals = processing.drain(svc.db, shop_id=shop_id, limit=DRAIN_BATCH)
    with svc.db.unit_of_work() as uow:
        counts = service.crm_counts(uow, shop_id=shop_id)
        seed_price_lists(uow, shop_id=shop_id)
        uow.commit()
        # RFM, CLV, churn and example segments, so the dashboard has pictures from the first visit.
        seed_analytics(uow, shop_id=shop_id)
    return SeedResult(
        shop_id=shop_id,
        payloads=payloads,
        counts=counts,
        seconds=time.perf_counter() - started,
        outcomes={"deliveries": {result.value: n for result, n in totals.items()}},
    )


def _resource_id(payload: dict[str, Any]) -> str:
    return str(payload.get("id") or payload.get("admin_graphql_api_id") or "")
