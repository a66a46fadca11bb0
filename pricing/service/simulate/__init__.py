"""The simulator: re-price the last N months of orders as things are and with a draft list activated.

Both sides are the engine's *current* prices (never the price paid back then), so the difference is the
draft's effect alone, not months of list edits; the historical paid total is reported beside them for
context. Everything is loaded set-based in a fixed number of statements, whatever the number of orders
(`history`), the pricing data twice (`resolve.load_pricing`, once per side), and the orders are priced
in Python by the engine (`reprice`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from app.db import UnitOfWork, utcnow
from app.errors import NotFound
from app.models import Shop
from app.money import round_money
from pricing import rules
from pricing.models import PriceList, PriceListStatus
from pricing.service import resolve
from pricing.service.simulate.history import (
    account_names,
    count_orders,
    counted,
    load_history,
    variant_names,
)
from pricing.service.simulate.reprice import Repricer
from pricing.service.simulate.result import (
    MAX_MONTHS,
    MIN_MONTHS,
    AccountChange,
    LineChange,
    SimulationResult,
    UnpricedGroup,
    UnpricedReason,
    check_months,
    months_before,
    percent_change,
)
from pricing.validation import PricingInputError

__all__ = [
    "MAX_MONTHS",
    "MAX_ORDERS",
    "MIN_MONTHS",
    "AccountChange",
    "LineChange",
    "SimulationResult",
    "UnpricedGroup",
    "UnpricedReason",
    "months_before",
    "simulate",
]

# A run is synchronous, in the request. bench/results/pricing-simulator.md measured 1.7 s for 10,000
# orders of 5 lines and 12 s for 50,000 on PostgreSQL (2 busy cores): past this a request would outlast
# the patience of a merchant and a worker timeout, so a longer window is refused with a clear message.
MAX_ORDERS = 50_000
TOP_LINES = 5  # lines shown per account whose revenue rises
NOW, DRAFT = 0, 1  # the two sides of the comparison


@dataclass
class _Account:
    kind: str
    account_id: int | None
    orders: int = 0
    paid: Decimal = Decimal(0)
    before: Decimal = Decimal(0)
    after: Decimal = Decimal(0)
    # variant id -> [units, before, after]
    lines: dict[int, list[Decimal]] = field(default_factory=dict)


def _price_list(uow: UnitOfWork, shop_id: int, price_list_id: int) -> PriceList:
    row = uow.session.get(PriceList, price_list_id)
    if row is None or row.shop_id != shop_id:
        raise NotFound(f"price list {price_list_id} not found")
    return row


def _lists(
    uow: UnitOfWork, shop_id: int, currency: str, draft_id: int, replaces_id: int | None
) -> tuple[PriceList, PriceList | None]:
    draft = _price_list(uow, shop_id, draft_id)
    if draft.status is not PriceListStatus.DRAFT:
        raise PricingInputError(
            f"“{draft.name}” is {draft.status.value}, not a draft: duplicate it and simulate the copy",
            field="draft",
        )
    if draft.currency != currency:
        raise PricingInputError(
            f"“{draft.name}” is in {draft.currency} but your orders are in {currency}: "
            "it would price none of them",
            field="draft",
        )
    if replaces_id is None:
        return draft, None
    replaces = _price_list(uow, shop_id, replaces_id)
    if replaces.id == draft.id:
        raise PricingInputError("A draft cannot replace itself: choose another list", field="replaces")
    return draft, replaces


def simulate(
    uow: UnitOfWork,
    *,
    shop_id: int,
    draft_price_list_id: int,
    replaces_price_list_id: int | None = None,
    months: int = 3,
    now: datetime | None = None,
) -> SimulationResult:
    """Re-price the last `months` of counted orders with and without the draft (replacing a list)."""
    check_months(months)
    shop = uow.session.get(Shop, shop_id)
    if shop is None:
        raise NotFound(f"shop {shop_id} not found")
    currency = shop.currency
    draft, replaces = _lists(uow, shop_id, currency, draft_price_list_id, replaces_price_list_id)
    end = now or utcnow()
    start = months_before(end, months)
    where = counted(shop_id, start, end)
    orders = count_orders(uow, where, MAX_ORDERS)
    if len(orders) > MAX_ORDERS:
        raise PricingInputError(
            f"More than {MAX_ORDERS:,} orders in the last {months} months: choose fewer months",
            field="months",
        )
    head = {
        "draft_id": draft.id,
        "draft_name": draft.name,
        "replaces_id": replaces.id if replaces else None,
        "replaces_name": replaces.name if replaces else None,
        "currency": currency,
        "months": months,
        "window_start": start,
        "window_end": end,
    }
    if not orders:
        zero = Decimal(0)
        return SimulationResult(
            **head, orders=0, lines=0, paid=zero, before=zero, after=zero, change_pct=None, accounts=()
        )

    history = load_history(uow, shop_id=shop_id, currency=currency, where=where, orders=orders)
    variant_ids = {line.variant_id for lines in history.lines.values() for line in lines}
    sides = (
        resolve.load_pricing(uow, shop_id=shop_id, variant_ids=variant_ids, at=end),
        resolve.load_pricing(
            uow,
            shop_id=shop_id,
            variant_ids=variant_ids,
            at=end,
            activate=(draft.id,),
            exclude=(replaces.id,) if replaces else (),
        ),
    )
    repricer = Repricer(sides)
    classes: dict[int, frozenset[object]] = {}
    bands: dict[int, list[int]] = {}
    for order in history.orders:
        buyer = rules.Buyer(
            customer_id=order.customer_id,
            company_id=order.company_id,
            company_location_id=order.location_id,
            customer_tags=history.tags.get(order.customer_id, frozenset())
            if order.customer_id
            else frozenset(),
            segment_ids=frozenset(),
            currency=currency,
        )
        key = classes[order.id] = repricer.class_of(buyer)
        order_bands = bands[order.id] = []
        for line in history.lines.get(order.id, ()):
            band = repricer.band(line.variant_id, line.quantity)
            order_bands.append(band)
            repricer.want(key, line.variant_id, band)
    repricer.run()

    accounts: dict[tuple[str, int | None], _Account] = {}
    priced = 0
    for order in history.orders:
        account_key = (
            ("company", order.company_id)
            if order.company_id
            else ("customer", order.customer_id)
            if order.customer_id
            else ("guest", None)
        )
        account = accounts.get(account_key)
        if account is None:
            account = accounts[account_key] = _Account(*account_key)
        account.orders += 1
        key = classes[order.id]
        for line, band in zip(history.lines.get(order.id, ()), bands[order.id], strict=True):
            was = repricer.unit(NOW, key, line.variant_id, band)
            will = repricer.unit(DRAFT, key, line.variant_id, band)
            if was is None or will is None:
                history.set_aside(UnpricedReason.NO_PRICE, line.quantity, line.paid)
                continue
            priced += 1
            # The engine's line total, round_money(unit x quantity): a unit on the minor unit times a whole
            # quantity stays on it, so rounding would change nothing and is skipped in this hot loop.
            before = was * line.quantity
            after = will * line.quantity
            account.paid += line.paid
            account.before += before
            account.after += after
            sums = account.lines.get(line.variant_id)
            if sums is None:
                account.lines[line.variant_id] = [Decimal(line.quantity), before, after]
            else:
                sums[0] += line.quantity
                sums[1] += before
                sums[2] += after

    rising = {
        variant_id
        for account in accounts.values()
        if account.after > account.before
        for variant_id, (_, before, after) in account.lines.items()
        if after > before
    }
    names = account_names(uow, shop_id=shop_id, where=where)
    skus = variant_names(uow, rising) if rising else {}
    changes = tuple(
        sorted(
            (_account_change(a, names, skus, currency) for a in accounts.values()),
            key=lambda a: (-a.change, a.name.lower(), a.account_id or 0),
        )
    )
    before = sum((a.before for a in changes), Decimal(0))
    after = sum((a.after for a in changes), Decimal(0))
    return SimulationResult(
        **head,
        orders=len(orders),
        lines=priced,
        paid=sum((a.paid for a in changes), Decimal(0)),
        before=before,
        after=after,
        change_pct=percent_change(before, after),
        accounts=changes,
        unpriced=tuple(
            UnpricedGroup(reason, UnpricedReason.LABELS[reason], g[0], g[1], round_money(g[2], currency))
            for reason, g in sorted(history.unpriced.items())
        ),
    )


def _account_change(
    account: _Account,
    names: dict[tuple[str, int | None], str],
    skus: dict[int, tuple[str | None, str]],
    currency: str,
) -> AccountChange:
    top: tuple[LineChange, ...] = ()
    if account.after > account.before:
        rising = [
            LineChange(
                variant_id=variant_id,
                sku=skus.get(variant_id, (None, ""))[0],
                title=skus.get(variant_id, (None, f"Variant {variant_id}"))[1],
                quantity=int(units),
                before=before,
                after=after,
            )
            for variant_id, (units, before, after) in account.lines.items()
            if after > before
        ]
        top = tuple(sorted(rising, key=lambda line: (-line.change, line.variant_id))[:TOP_LINES])
    return AccountChange(
        kind=account.kind,
        account_id=account.account_id,
        name=names.get((account.kind, account.account_id), "Orders without a customer"),
        orders=account.orders,
        paid=round_money(account.paid, currency),
        before=account.before,
        after=account.after,
        change_pct=percent_change(account.before, account.after),
        top_lines=top,
    )
