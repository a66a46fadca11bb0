"""Seed the demo shop: install it and import the generated webhooks into the CRM."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from app.db import UnitOfWork
from app.demo.generator import DEMO_SEED, DemoSize, DemoWebhook, generate
from app.models import Shop
from app.shops import find_shop_by_domain, install_shop, normalize_shop_domain
from crm import service

DEMO_SHOP_DOMAIN = "demo-wholesale.myshopify.com"
DEMO_SHOP_NAME = "Demo Wholesale Co."
DEMO_ACTOR = "demo"
# Payloads per import_batch call: large enough to amortise each statement, small enough that a
# batch's parsed rows stay a few MB.
BATCH_PAYLOADS = 1000
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
    """Install the demo shop and import the generated data through `crm.service.import_batch`.

    Idempotent for the same seed and `today`: a second run finds every payload already stored
    and changes nothing. It does not commit; the caller's unit of work does, so a failed seed
    leaves nothing half-imported.

    Later issues will switch this to deliver the payloads as signed webhooks through the intake
    (`POST /webhooks`), so the demo exercises the real path; the generator already yields them
    as (topic, payload) in firing order for that.
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
