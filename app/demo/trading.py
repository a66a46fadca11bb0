"""How the demo's accounts trade: when they order, what and how much, and what became of each order."""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import TypeVar

from app.demo import words
from app.demo.catalog import ProductSpec
from app.demo.order_shapes import Line, Order
from app.demo.shapes import SHOP_TIMEZONE, Location, Person
from app.money import round_money

# Month -> relative order rate: holiday catering and gifting peak in Q4; campuses close and hot
# drinks slow down in summer.
SEASONALITY = {
    1: 0.9,
    2: 0.95,
    3: 1.0,
    4: 1.0,
    5: 0.95,
    6: 0.82,
    7: 0.72,
    8: 0.8,
    9: 1.05,
    10: 1.2,
    11: 1.45,
    12: 1.6,
}
WEEKDAY_FACTOR, WEEKEND_FACTOR = 1.3, 0.15
DAYS_PER_MONTH = 30.4
CANCEL_SHARE = 0.015
PARTIAL_REFUND_SHARE = 0.02
FREE_FREIGHT_OVER = Decimal("750.00")
FREIGHT = Decimal("45.00")
FREE_SHIPPING_OVER = Decimal("75.00")
RETAIL_SHIPPING = Decimal("8.95")

T = TypeVar("T")


@dataclass
class CatalogVariant:
    product: ProductSpec
    shopify_id: int
    product_id: int
    title: str
    sku: str
    price: Decimal
    increment: int


@dataclass
class Account:
    """A B2B company (with locations and contacts) or a retail buyer, and how it buys."""

    size: float
    active_from: date
    churn_on: date | None
    people: list[Person]
    locations: list[Location]
    favorites: list[CatalogVariant]
    discount: Decimal
    tax_rate: Decimal
    kind: str
    code: str = ""
    po_seq: int = 0


class Trading:
    """Order simulation over the accounts; the generator supplies the RNG and the dates."""

    rng: random.Random
    today: date
    start: date
    end: datetime

    def _weighted(self, items: Sequence[T], weights: Sequence[float]) -> T:
        return self.rng.choices(items, weights=weights)[0]

    def _moment(self, day: date, first_hour: int, last_hour: int) -> datetime:
        # Hours 6-22 only: the 2 am DST gap never comes up.
        clock = time(self.rng.randint(first_hour, last_hour), self.rng.randrange(60), self.rng.randrange(60))
        return datetime.combine(day, clock, SHOP_TIMEZONE)

    def _order_days(self, account: Account, monthly_rate: float) -> Iterator[date]:
        day = max(account.active_from, self.start)
        stop = min(account.churn_on or self.today, self.today)
        while day < stop:
            weekday = WEEKDAY_FACTOR if day.weekday() < 5 else WEEKEND_FACTOR
            if self.rng.random() < monthly_rate / DAYS_PER_MONTH * SEASONALITY[day.month] * weekday:
                yield day
            day += timedelta(days=1)

    def _lines(self, account: Account, count: int, b2b: bool, catalog: list[CatalogVariant]) -> list[Line]:
        picks: list[CatalogVariant] = []
        for _ in range(count * 2):
            pool = account.favorites if self.rng.random() < 0.9 else catalog
            pick = self.rng.choice(pool)
            if pick not in picks:
                picks.append(pick)
            if len(picks) == count:
                break
        lines = []
        for variant in picks:
            if b2b:
                cases = max(1, round(self.rng.lognormvariate(0.7, 0.55) * account.size**0.4))
                quantity = variant.increment * cases
            else:
                quantity = self.rng.choice((1, 1, 1, 2, 2, 3))
            price = round_money(variant.price * (1 - account.discount), "USD")
            lines.append(
                Line(
                    0,
                    variant.product_id,
                    variant.shopify_id,
                    variant.sku,
                    variant.product.title,
                    variant.title,
                    variant.product.vendor,
                    quantity,
                    price,
                )
            )
        return lines

    def _settle(self, order: Order, terms: tuple[str, int] | None) -> Order:
        """Payment, fulfilment, cancellation and refunds that happened before `today`."""
        rng, placed = self.rng, order.processed_at
        paid = placed if terms is None else placed + timedelta(days=terms[1] * rng.uniform(0.6, 1.3))
        order.paid_at = paid if paid < self.end else None
        fulfilled = placed + timedelta(hours=rng.uniform(12, 72))
        order.fulfilled_at = fulfilled if fulfilled < self.end else None
        roll = rng.random()
        cancelled = placed + timedelta(hours=rng.uniform(1, 20))
        if roll < CANCEL_SHARE and cancelled < self.end:
            order.cancelled_at, order.fulfilled_at = cancelled, None
            order.cancel_reason = rng.choice(("customer", "inventory", "other"))
            if order.paid_at and order.paid_at > cancelled:
                order.paid_at = None
        elif roll < CANCEL_SHARE + PARTIAL_REFUND_SHARE and order.fulfilled_at and order.paid_at:
            line = order.lines[0]
            order.refunded = line.price * max(1, line.quantity // 4)
        return order

    def _b2b_orders(self, account: Account, catalog: list[CatalogVariant]) -> Iterator[Order]:
        monthly = min(max(0.5 * account.size**0.6, 0.25), 9.0)
        for day in self._order_days(account, monthly):
            rng = self.rng
            location = self._weighted(account.locations, [3] + [1] * (len(account.locations) - 1))
            person = account.people[0] if rng.random() < 0.7 else rng.choice(account.people)
            count = min(10, 1 + int(rng.expovariate(1 / (1.2 + account.size**0.35))))
            lines = self._lines(account, count, True, catalog)
            subtotal = sum((line.price * line.quantity for line in lines), Decimal(0))
            account.po_seq += 1
            draft = rng.random() < 0.35  # entered by a sales rep as a draft order
            order = Order(
                processed_at=self._moment(day, 6, 18),
                person=person,
                location=location,
                lines=lines,
                shipping=Decimal(0) if subtotal >= FREE_FREIGHT_OVER else FREIGHT,
                tax=round_money(subtotal * account.tax_rate, "USD"),
                source_name="shopify_draft_order" if draft else "web",
                po_number=f"{account.code}-{account.po_seq:05d}" if rng.random() < 0.7 else None,
                note=rng.choice(words.ORDER_NOTES) if rng.random() < 0.12 else None,
                tags="wholesale"
                + (", net-terms" if location.terms else "")
                + (", sales-rep" if draft else ""),
            )
            yield self._settle(order, location.terms)

    def _retail_orders(self, account: Account, catalog: list[CatalogVariant]) -> Iterator[Order]:
        person = account.people[0]
        first_day = person.created_at.date()
        days = list(self._order_days(account, min(0.22 * account.size + 0.05, 1.5)))
        if (
            self.rng.random() < 0.75
            and account.active_from <= first_day < self.today
            and first_day not in days
        ):
            days.insert(0, first_day)  # the account was made at the first checkout
        for day in days:
            source, referrer, landing, _ = self._weighted(
                words.RETAIL_CHANNELS, [c[3] for c in words.RETAIL_CHANNELS]
            )
            lines = self._lines(account, self.rng.choice((1, 1, 2, 3)), False, catalog)
            subtotal = sum((line.price * line.quantity for line in lines), Decimal(0))
            moment = self._moment(day, 7, 22)
            if day == first_day:
                moment = max(moment, person.created_at + timedelta(minutes=3))
            order = Order(
                processed_at=moment,
                person=person,
                location=None,
                lines=lines,
                shipping=Decimal(0) if subtotal >= FREE_SHIPPING_OVER or source == "pos" else RETAIL_SHIPPING,
                tax=round_money(subtotal * account.tax_rate, "USD"),
                source_name=source,
                referring_site=referrer,
                landing_site=landing,
            )
            if order.processed_at < self.end:
                yield self._settle(order, None)
