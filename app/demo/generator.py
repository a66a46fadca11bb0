"""A deterministic synthetic wholesale shop, emitted as the Shopify webhooks that would describe it.

`generate(seed=..., today=...)` yields (topic, payload) pairs in the order Shopify would have
fired them: products/create for the catalog, then companies/create, company_locations/create,
customers/create and company_contacts/create as accounts open, and orders/create over two years
of trading. Each order carries its state as of `today` (paid, fulfilled, cancelled, refunded):
its later updates are folded into the one payload.

The shape of the business: ~300 B2B accounts (cafés, restaurants, hotels, offices, grocers)
whose size follows a heavy-tailed (Pareto) distribution, ~150 retail buyers, seasonality with
a Q4 peak and a summer dip, B2B orders in case multiples with PO numbers and net terms, and
churn: about a quarter of the accounts stop ordering at some point, some of them recently.

Every draw comes from one `random.Random(seed)` and dates from `today`, so the same inputs give
byte-identical payloads on any machine (no global RNG, no set iteration, no clock reads).
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

from app.demo import words
from app.demo.catalog import CATALOG
from app.demo.order_shapes import Order
from app.demo.shapes import (
    SHOP_TIMEZONE,
    Address,
    Company,
    Location,
    Person,
    Product,
    ProductVariant,
    contact_payload,
    slug,
)
from app.demo.trading import Account, CatalogVariant, Trading

DEMO_SEED = 20261122
PARETO_ALPHA = 1.16  # account size: a few large accounts carry much of the revenue
MAX_ACCOUNT_SIZE = 60.0
CHURN_SHARE = 0.27
# (terms, weight): None = pays by card at checkout.
PAYMENT_TERMS: tuple[tuple[tuple[str, int] | None, int], ...] = (
    (("Net 30", 30), 50),
    (("Net 15", 15), 15),
    (("Net 60", 60), 8),
    (None, 27),
)
# Ids in the ranges real Shopify ids of these kinds fall in today.
ID_BASE = {
    "product": 8_204_117_000_000,
    "variant": 44_650_311_000_000,
    "customer": 7_401_885_000_000,
    "address": 9_120_004_000_000,
    "company": 2_146_304_000,
    "location": 2_361_721_000,
    "contact": 2_874_015_000,
    "order": 6_081_442_000_000,
    "line": 15_918_270_000_000,
}


@dataclass(frozen=True)
class DemoSize:
    """How much to generate; the defaults are the demo shop, tests use smaller sizes."""

    companies: int = 300
    retail_customers: int = 150
    history_days: int = 730


class DemoWebhook(NamedTuple):
    topic: str
    payload: dict[str, Any]


def generate(
    *, seed: int = DEMO_SEED, today: date | None = None, size: DemoSize | None = None
) -> Iterator[DemoWebhook]:
    """The demo shop's webhooks in firing order; `today` defaults to the shop's current date."""
    today = today or datetime.now(SHOP_TIMEZONE).date()
    yield from _Generator(seed, today, size or DemoSize()).run()


class _Generator(Trading):
    def __init__(self, seed: int, today: date, size: DemoSize) -> None:
        self.rng = random.Random(seed)
        self.size = size
        self.today = today
        self.start = today - timedelta(days=size.history_days)
        # Nothing happens on or after the start of `today`, so no payload is in the future.
        self.end = datetime.combine(today, time(0), SHOP_TIMEZONE)
        self.counters = dict.fromkeys(ID_BASE, 0)
        self.events: list[tuple[datetime, int, DemoWebhook]] = []
        self.emails: set[str] = set()
        self.names: set[str] = set()

    # -- helpers ---------------------------------------------------------------------------------

    def _id(self, kind: str) -> int:
        self.counters[kind] += 1
        # A stride makes the ids look like Shopify's (not consecutive) while staying unique.
        return ID_BASE[kind] + self.counters[kind] * 7919

    def _emit(self, at: datetime, topic: str, payload: dict[str, Any]) -> None:
        self.events.append((at, len(self.events), DemoWebhook(topic, payload)))

    def _address(self, city: tuple[str, str, str, str, str]) -> Address:
        name, province, zip_code, area, _ = city
        return Address(
            address1=f"{self.rng.randint(100, 4899)} {self.rng.choice(words.STREETS)}",
            city=name,
            province_code=province,
            zip=zip_code,
            phone=f"+1{area}5550{self.rng.randint(100, 199)}",
        )

    def _person(self, created_at: datetime, address: Address, domain: str | None, **kw: Any) -> Person:
        first, last = self.rng.choice(words.FIRST_NAMES), self.rng.choice(words.LAST_NAMES)
        local = f"{first}.{last}".lower() if domain else f"{first}{last}".lower()
        domain = domain or self.rng.choice(("example.com", "example.net", "example.org"))
        email, n = f"{local}@{domain}", 1
        while email in self.emails:
            n += 1
            email = f"{local}{n}@{domain}"
        self.emails.add(email)
        return Person(
            shopify_id=self._id("customer"),
            first=first,
            last=last,
            email=email,
            phone=address.phone,
            address=address,
            address_id=self._id("address"),
            created_at=created_at,
            **kw,
        )

    # -- catalog ---------------------------------------------------------------------------------

    def _catalog(self) -> list[CatalogVariant]:
        variants: list[CatalogVariant] = []
        for index, spec in enumerate(CATALOG):
            product = Product(self._id("product"), spec.title, spec.vendor, spec.product_type, spec.tags)
            created = self._moment(self.start - timedelta(days=500 - index * 3), 9, 16)
            for v in spec.variants:
                variant = CatalogVariant(
                    spec,
                    self._id("variant"),
                    product.shopify_id,
                    v.title,
                    f"{spec.sku_prefix}-{v.sku_suffix}",
                    Decimal(v.price),
                    v.increment,
                )
                variants.append(variant)
                product.variants.append(
                    ProductVariant(
                        variant.shopify_id,
                        v.title,
                        variant.sku,
                        variant.price,
                        Decimal(v.compare_at_price) if v.compare_at_price else None,
                        self.rng.randint(20, 400),
                    )
                )
            self._emit(created, "products/create", product.payload(created))
        return variants

    # -- accounts --------------------------------------------------------------------------------

    def _lifespan(self, opened: date) -> tuple[date, date | None]:
        active_from = max(opened, self.start) + timedelta(days=self.rng.randint(0, 10))
        churn_on = None
        latest = self.today - timedelta(days=21)
        earliest = active_from + timedelta(days=45)
        if self.rng.random() < CHURN_SHARE and earliest < latest:
            churn_on = earliest + timedelta(days=self.rng.randint(0, (latest - earliest).days))
        return active_from, churn_on

    def _favorites(self, variants: list[CatalogVariant], kind: str, count: int) -> list[CatalogVariant]:
        mix = words.CATEGORY_MIX[kind]
        chosen: list[CatalogVariant] = []
        for _ in range(count * 3):
            category = self._weighted(list(mix), list(mix.values()))
            pool = [v for v in variants if v.product.category == category]
            # Businesses buy the case packs more often than the singles.
            pick = self._weighted(pool, [1 + float(v.price) ** 0.5 for v in pool])
            if pick not in chosen:
                chosen.append(pick)
            if len(chosen) == count:
                break
        return chosen

    def _company(self, index: int, variants: list[CatalogVariant]) -> Account:
        rng = self.rng
        kind = self._weighted(list(words.BUSINESS_WEIGHTS), list(words.BUSINESS_WEIGHTS.values()))
        patterns, titles = words.BUSINESS_TYPES[kind]
        name = rng.choice(patterns).format(rng.choice(words.NAME_STEMS))
        while name in self.names:
            name = rng.choice(patterns).format(rng.choice(words.NAME_STEMS))
        self.names.add(name)
        size = min(rng.paretovariate(PARETO_ALPHA), MAX_ACCOUNT_SIZE)
        if rng.random() < 0.42:  # already a customer when the history starts
            opened = self.start - timedelta(days=rng.randint(30, 1400))
        else:
            opened = self.start + timedelta(days=rng.randint(0, self.size.history_days - 30))
        since = self._moment(opened, 9, 17)
        city = self._weighted(words.CITIES, [6, 2] + [1] * (len(words.CITIES) - 2))
        domain = f"{slug(name)}.example"
        terms = self._weighted([t for t, _ in PAYMENT_TERMS], [w for _, w in PAYMENT_TERMS])
        tax_id = f"{rng.randint(10, 99)}-{rng.randint(1000000, 9999999)}" if rng.random() < 0.6 else None
        code = "".join(w[0] for w in re.findall(r"[A-Za-z]+", name))[:4].upper()
        people = [
            self._person(
                since + timedelta(minutes=2 + i),
                self._address(city),
                domain,
                state="enabled",
                subscribed=rng.random() < 0.35,
                tags=", ".join(
                    ["wholesale", kind]
                    + ([f"net-{terms[1]}"] if terms else [])
                    + (["vip"] if size > 8 else [])
                ),
                company_name=name,
            )
            for i in range(self._weighted([1, 2, 3], [45, 38, 17]))
        ]
        contact_ids = [self._id("contact") for _ in people]
        company = Company(
            self._id("company"),
            name,
            f"C-{10001 + index}",
            rng.choice((None, None, "Prefers deliveries before 10 am.", "Reseller certificate on file.")),
            since,
            contact_ids[0],
        )
        n_locations = self._weighted([1, 2, 3], [85, 12, 3])
        locations = [
            Location(
                self._id("location"),
                company,
                name if i == 0 else f"{name} {words.LOCATION_SUFFIXES[i % len(words.LOCATION_SUFFIXES)]}",
                self._address(city),
                (self._id("address"), self._id("address")),
                terms,
                tax_id,
                since + timedelta(minutes=1 + i),
            )
            for i in range(n_locations)
        ]
        self._emit(since, "companies/create", company.payload())
        for location in locations:
            self._emit(location.created_at, "company_locations/create", location.payload())
        shuffled_titles = rng.sample(titles, len(titles))
        for i, (person, contact_id) in enumerate(zip(people, contact_ids, strict=True)):
            joined = person.created_at + timedelta(minutes=1)
            title = shuffled_titles[i % len(shuffled_titles)]
            self._emit(person.created_at, "customers/create", person.customers_create())
            self._emit(
                joined, "company_contacts/create", contact_payload(contact_id, person, title, company, joined)
            )
        active_from, churn_on = self._lifespan(opened)
        discount = (
            Decimal("0.12")
            if size > 8
            else Decimal("0.08")
            if size > 4
            else Decimal("0.05")
            if size > 2
            else Decimal(0)
        )
        return Account(
            size=size,
            active_from=active_from,
            churn_on=churn_on,
            people=people,
            locations=locations,
            favorites=self._favorites(variants, kind, min(len(variants), 5 + int(size**0.5 * 3))),
            discount=discount,
            tax_rate=Decimal(0) if tax_id else Decimal(city[4]) / 100,
            kind=kind,
            code=code,
        )

    def _retail(self, variants: list[CatalogVariant]) -> Account:
        rng = self.rng
        opened = (
            self.start - timedelta(days=200) + timedelta(days=rng.randint(0, self.size.history_days + 190))
        )
        city = rng.choice(words.CITIES)
        subscribed = rng.random() < 0.55
        person = self._person(
            self._moment(opened, 7, 22),
            self._address(city),
            None,
            state=rng.choice(("enabled", "enabled", "disabled")),
            subscribed=subscribed,
            tags="retail, newsletter" if subscribed else "retail",
        )
        self._emit(person.created_at, "customers/create", person.customers_create())
        active_from, churn_on = self._lifespan(opened)
        small = [v for v in variants if v.price <= 45]
        return Account(
            size=rng.lognormvariate(-0.4, 0.6),
            active_from=max(active_from, opened),
            churn_on=churn_on if rng.random() < 0.6 else None,
            people=[person],
            locations=[],
            favorites=rng.sample(small, 4),
            discount=Decimal(0),
            tax_rate=Decimal(city[4]) / 100,
            kind="retail",
        )

    # -- run -------------------------------------------------------------------------------------

    def run(self) -> Iterator[DemoWebhook]:
        catalog = self._catalog()
        accounts = [self._company(i, catalog) for i in range(self.size.companies)]
        accounts += [self._retail(catalog) for _ in range(self.size.retail_customers)]
        orders: list[tuple[datetime, int, Order]] = []
        for account in accounts:
            produce = self._b2b_orders if account.locations else self._retail_orders
            orders += [(o.processed_at, len(orders) + i, o) for i, o in enumerate(produce(account, catalog))]
        orders.sort(key=lambda item: (item[0], item[1]))
        # Ids and numbers follow placing order, as Shopify's do.
        for number, (_, _, order) in enumerate(orders, start=1):
            order.number = number
            order.shopify_id = self._id("order")
            for line in order.lines:
                line.shopify_id = self._id("line")
            self._emit(order.processed_at, "orders/create", order.payload())
        self.events.sort(key=lambda event: (event[0], event[1]))
        for _, _, webhook in self.events:
            yield webhook
