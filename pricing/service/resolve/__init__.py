"""Load what the engine needs for a buyer and a cart, and price it: the one call every surface makes.

`price_lines` runs a fixed number of SQL statements whatever the number of lines (4 when lists
apply, fewer when none do): variants, the lists assigned to the buyer, their fixed entries for the
cart's variants, and one UNION ALL of tiers, quantity rules, adjustments and collection
memberships. Id lists are bound as ONE parameter (a PostgreSQL array, a JSON array on SQLite),
so the statement text, and the plan PostgreSQL caches for it, is the same for 1 line or 10,000.
"""

from __future__ import annotations

import gc
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import select

from app.db import UnitOfWork, utcnow
from app.errors import InvalidInput, NotFound
from app.models import Shop
from crm.models import CrmCompany, CrmCompanyLocation, CrmCustomer, CrmCustomerTag
from pricing import rules
from pricing.models import PriceListStatus
from pricing.service.resolve.queries import ids_value, load_details, load_entries, load_lists, load_variants
from pricing.validation import MAX_QUANTITY, parse_currency, parse_quantity

__all__ = ["UnknownVariants", "load_buyer", "load_pricing", "price_lines"]


class UnknownVariants(InvalidInput):
    """Variant ids that are not in this shop's catalog (unknown, or another shop's)."""

    def __init__(self, variant_ids: Iterable[int]) -> None:
        self.variant_ids = tuple(sorted(set(variant_ids)))
        shown = ", ".join(str(v) for v in self.variant_ids[:20])
        more = f" and {len(self.variant_ids) - 20} more" if len(self.variant_ids) > 20 else ""
        super().__init__(f"Unknown variant ids: {shown}{more}")


def load_buyer(
    uow: UnitOfWork,
    *,
    shop_id: int,
    customer_id: int | None = None,
    company_id: int | None = None,
    company_location_id: int | None = None,
    currency: str | None = None,
) -> rules.Buyer:
    """The buyer the engine prices for: its company from the location, its tags; NotFound across shops."""
    session = uow.session
    shop = session.get(Shop, shop_id)
    if shop is None:
        raise NotFound(f"shop {shop_id} not found")
    if company_location_id is not None:
        location = session.execute(
            select(CrmCompanyLocation.company_id).where(
                CrmCompanyLocation.id == company_location_id, CrmCompanyLocation.shop_id == shop_id
            )
        ).first()
        if location is None:
            raise NotFound(f"company location {company_location_id} not found")
        if company_id is not None and company_id != location.company_id:
            raise InvalidInput(
                f"company location {company_location_id} does not belong to company {company_id}"
            )
        company_id = location.company_id
    elif company_id is not None:
        found = session.scalar(
            select(CrmCompany.id).where(CrmCompany.id == company_id, CrmCompany.shop_id == shop_id)
        )
        if found is None:
            raise NotFound(f"company {company_id} not found")
    tags: frozenset[str] = frozenset()
    if customer_id is not None:
        found = session.scalar(
            select(CrmCustomer.id).where(CrmCustomer.id == customer_id, CrmCustomer.shop_id == shop_id)
        )
        if found is None:
            raise NotFound(f"customer {customer_id} not found")
        tags = frozenset(
            tag.strip().lower()
            for tag in session.scalars(
                select(CrmCustomerTag.tag).where(
                    CrmCustomerTag.customer_id == customer_id, CrmCustomerTag.shop_id == shop_id
                )
            )
        )
    return rules.Buyer(
        customer_id=customer_id,
        company_id=company_id,
        company_location_id=company_location_id,
        customer_tags=tags,
        segment_ids=frozenset(),
        currency=parse_currency(currency) if currency is not None else shop.currency,
    )


def price_lines(
    uow: UnitOfWork,
    *,
    shop_id: int,
    buyer: rules.Buyer,
    lines: Sequence[rules.LineRequest],
    at: datetime | None = None,
    activate: Collection[int] = (),
    exclude: Collection[int] = (),
    explain: bool = True,
) -> rules.PricedCart:
    """Price `lines` for `buyer`; UnknownVariants for ids not in this shop; a bounded number of statements.

    `explain=False` skips the per-line candidates (same prices; see rules.price_cart).
    """
    for line in lines:
        quantity = line.quantity
        if quantity.__class__ is not int or not 1 <= quantity <= MAX_QUANTITY:  # else nothing to check
            parse_quantity(quantity, "The quantity", field="quantity")
    variant_ids = {line.variant_id for line in lines}
    with _collector_paused():
        data = load_pricing(
            uow,
            shop_id=shop_id,
            variant_ids=variant_ids,
            at=at,
            activate=activate,
            exclude=exclude,
            buyer=buyer,
        )
        missing = variant_ids - {variant.id for variant in data.variants}
        if missing:
            raise UnknownVariants(missing)
        return rules.price_cart(data, buyer, lines, explain=explain)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No automatic garbage collection while a cart is loaded and priced; it resumes afterwards.

    A 1,000-line cart allocates ~10,000 objects that live until it is priced, so the collector would
    run ~12 young collections per call and promote thousands of live objects, which every few calls
    sets off a full collection over the whole process heap (70-170 ms on the shared bench machine:
    most of price_lines' p99, BENCHMARKS.md). Loading and pricing make no reference cycles, so
    nothing is left for the collector. If it is already paused (another thread), it is left as found.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def load_pricing(
    uow: UnitOfWork,
    *,
    shop_id: int,
    variant_ids: Iterable[int],
    at: datetime | None = None,
    activate: Collection[int] = (),
    exclude: Collection[int] = (),
    buyer: rules.Buyer | None = None,
) -> rules.PricingData:
    """Everything the engine needs for these variants; only lists assigned to `buyer` (all without one).

    Unknown or other-shop variant ids are simply absent from the result's variants.
    """
    conn = uow.session.connection()
    at = at or utcnow()
    ids = sorted(set(variant_ids))
    activate, exclude = frozenset(activate), frozenset(exclude)
    # The id list is bound once for the three statements that read it (ids_value: ~0.1 ms per 1,000).
    bound_ids = ids_value(conn.dialect.name, ids)
    variants = load_variants(conn, shop_id, bound_ids) if ids else ()
    precedence, lists = load_lists(conn, shop_id, buyer, sorted(activate), sorted(exclude))
    # Rows are loaded only for lists that can price: the others are explained from their header.
    live = sorted(
        info.id
        for info in lists
        if (info.id in activate or _in_force(info, at)) and (buyer is None or info.currency == buyer.currency)
    )
    entries: tuple[rules.EntryInfo, ...] = ()
    details: tuple[Any, ...] = ((), (), (), ())
    if live and variants:
        entries = load_entries(conn, live, bound_ids)
        products = sorted({variant.product_shopify_id for variant in variants})
        details = load_details(conn, shop_id, live, bound_ids, products)
    return rules.PricingData(
        at=at,
        precedence=precedence,
        lists=lists,
        variants=variants,
        entries=entries,
        adjustments=details[0],
        tiers=details[1],
        rules=details[2],
        collections=details[3],
        activate=activate,
    )


def _in_force(info: rules.ListInfo, at: datetime) -> bool:
    return (
        info.status is PriceListStatus.ACTIVE
        and (info.starts_at is None or info.starts_at <= at)
        and (info.ends_at is None or at < info.ends_at)
    )
