"""The order history a simulation re-prices, loaded set-based: a fixed number of statements whatever
the number of orders (orders, lines, buyers' tags, locations' companies, account names, SKUs).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, select

from app.db import UnitOfWork
from crm.models import (
    CrmCompany,
    CrmCompanyLocation,
    CrmCustomer,
    CrmCustomerTag,
    CrmOrder,
    CrmOrderLine,
    CrmProduct,
    CrmVariant,
)
from pricing.service.simulate.result import UnpricedReason

# Ids bound per IN list (SKU lookups only): far below SQLite's and PostgreSQL's parameter limits.
CHUNK = 5_000


@dataclass(frozen=True)
class PastLine:
    """A past line that names a live variant: units kept and what they were paid."""

    variant_id: int
    quantity: int
    paid: Decimal


@dataclass(frozen=True)
class PastOrder:
    """A counted order: its buyer's ids (company from the location when the order has none)."""

    id: int
    customer_id: int | None
    company_id: int | None
    location_id: int | None


@dataclass
class History:
    """The window's orders, their priceable lines, and what was set aside by reason."""

    orders: list[PastOrder]
    lines: dict[int, list[PastLine]]
    tags: dict[int, frozenset[str]]
    # reason -> [lines, units, paid]
    unpriced: dict[str, list[Any]] = field(default_factory=dict)

    def set_aside(self, reason: str, quantity: int, paid: Decimal) -> None:
        """Count a line that cannot be priced today."""
        group = self.unpriced.setdefault(reason, [0, 0, Decimal(0)])
        group[0] += 1
        group[1] += quantity
        group[2] += paid


def counted(shop_id: int, start: datetime, end: datetime) -> list[ColumnElement[bool]]:
    """The orders lifetime figures count (not cancelled, deleted or test), processed in [start, end)."""
    return [
        CrmOrder.shop_id == shop_id,
        CrmOrder.processed_at >= start,
        CrmOrder.processed_at < end,
        CrmOrder.cancelled_at.is_(None),
        CrmOrder.deleted_at.is_(None),
        CrmOrder.test.is_(False),
    ]


def _ids_of(column: Any, where: list[ColumnElement[bool]]) -> Select[Any]:
    return select(column).where(*where, column.is_not(None)).distinct()


def _line_paid(price: Decimal, quantity: int, ordered: int, discount: Decimal) -> Decimal:
    """Exact (rounded once, per account total): a partly refunded line keeps its discount pro rata."""
    if not discount:
        return price * quantity
    return price * quantity - (discount * quantity / ordered if quantity != ordered else discount)


def count_orders(uow: UnitOfWork, where: list[ColumnElement[bool]], limit: int) -> list[Any]:
    """Up to `limit` + 1 of the window's orders (id, customer, company, location), by id."""
    # Core rows through the session's connection: no ORM row processing for what may be 100,000 rows.
    return list(
        uow.session.connection()
        .execute(
            select(CrmOrder.id, CrmOrder.customer_id, CrmOrder.company_id, CrmOrder.company_location_id)
            .where(*where)
            .order_by(CrmOrder.id)
            .limit(limit + 1)
        )
        .all()
    )


def load_history(
    uow: UnitOfWork, *, shop_id: int, currency: str, where: list[ColumnElement[bool]], orders: list[Any]
) -> History:
    """Lines (matched to the catalog by Shopify variant id), tags, and each order's company."""
    session = uow.session
    location_company: dict[int, int] = {
        ident: company_id
        for ident, company_id in session.execute(
            select(CrmCompanyLocation.id, CrmCompanyLocation.company_id).where(
                CrmCompanyLocation.shop_id == shop_id,
                CrmCompanyLocation.id.in_(_ids_of(CrmOrder.company_location_id, where)),
            )
        )
    }
    tags: dict[int, set[str]] = defaultdict(set)
    for customer_id, tag in session.execute(
        select(CrmCustomerTag.customer_id, CrmCustomerTag.tag).where(
            CrmCustomerTag.shop_id == shop_id,
            CrmCustomerTag.customer_id.in_(_ids_of(CrmOrder.customer_id, where)),
        )
    ):
        tags[customer_id].add(tag.strip().lower())
    history = History(
        orders=[
            PastOrder(ident, customer_id, company_id or location_company.get(location_id), location_id)
            for ident, customer_id, company_id, location_id in orders
        ],
        lines=defaultdict(list),
        tags={customer_id: frozenset(values) for customer_id, values in tags.items()},
    )
    rows = (
        session.connection()
        .execute(
            select(
                CrmOrderLine.order_id,
                CrmOrderLine.shopify_variant_id,
                CrmOrderLine.quantity,
                CrmOrderLine.current_quantity,
                CrmOrderLine.price,
                CrmOrderLine.total_discount,
                CrmVariant.id,
                CrmVariant.deleted_at,
            )
            .join(CrmOrder, CrmOrder.id == CrmOrderLine.order_id)
            .outerjoin(
                CrmVariant,
                and_(CrmVariant.shop_id == shop_id, CrmVariant.shopify_id == CrmOrderLine.shopify_variant_id),
            )
            .where(*where, CrmOrderLine.shop_id == shop_id)
            .order_by(CrmOrderLine.order_id, CrmOrderLine.id)
        )
        .all()
    )
    for order_id, shopify_variant_id, ordered, kept, price, discount, variant_id, deleted_at in rows:
        quantity = ordered if kept is None else kept
        if quantity <= 0:
            continue  # removed or fully refunded: no revenue then, none to compare now
        paid = _line_paid(price, quantity, ordered, discount or Decimal(0))
        if shopify_variant_id is None:
            history.set_aside(UnpricedReason.CUSTOM, quantity, paid)
        elif variant_id is None:
            history.set_aside(UnpricedReason.UNKNOWN, quantity, paid)
        elif deleted_at is not None:
            history.set_aside(UnpricedReason.DELETED, quantity, paid)
        else:
            history.lines[order_id].append(PastLine(variant_id, quantity, paid))
    return history


def account_names(
    uow: UnitOfWork, *, shop_id: int, where: list[ColumnElement[bool]]
) -> dict[tuple[str, int | None], str]:
    """Display names of the window's companies and customers: two statements, whatever their number."""
    names: dict[tuple[str, int | None], str] = {}
    by_location = select(CrmCompanyLocation.company_id).where(
        CrmCompanyLocation.id.in_(_ids_of(CrmOrder.company_location_id, where))
    )
    for ident, name, shopify_id in uow.session.execute(
        select(CrmCompany.id, CrmCompany.name, CrmCompany.shopify_id).where(
            CrmCompany.shop_id == shop_id,
            CrmCompany.id.in_(_ids_of(CrmOrder.company_id, where)) | CrmCompany.id.in_(by_location),
        )
    ):
        names["company", ident] = name or f"Company {shopify_id}"
    for ident, first, last, email, shopify_id in uow.session.execute(
        select(
            CrmCustomer.id,
            CrmCustomer.first_name,
            CrmCustomer.last_name,
            CrmCustomer.email,
            CrmCustomer.shopify_id,
        ).where(CrmCustomer.shop_id == shop_id, CrmCustomer.id.in_(_ids_of(CrmOrder.customer_id, where)))
    ):
        full = " ".join(part for part in (first, last) if part)
        names["customer", ident] = full or email or f"Customer {shopify_id}"
    return names


def variant_names(uow: UnitOfWork, variant_ids: set[int]) -> dict[int, tuple[str | None, str]]:
    """SKU and "Product · Variant" of the variants shown as driving a rise (at most the catalog's size)."""
    found: dict[int, tuple[str | None, str]] = {}
    ordered = sorted(variant_ids)
    for offset in range(0, len(ordered), CHUNK):
        for ident, sku, title, product_title in uow.session.execute(
            select(CrmVariant.id, CrmVariant.sku, CrmVariant.title, CrmProduct.title)
            .join(CrmProduct, CrmProduct.id == CrmVariant.product_id)
            .where(CrmVariant.id.in_(ordered[offset : offset + CHUNK]))
        ):
            label = " · ".join(part for part in (product_title, title) if part and part != "Default Title")
            found[ident] = (sku, label or f"Variant {ident}")
    return found
