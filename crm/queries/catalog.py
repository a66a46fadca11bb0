"""Orders and products: lists with filters and sorts; one order or product with its children."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import contains_eager, selectinload

from app.db import UnitOfWork, UTCDateTime
from app.errors import NotFound
from crm.models import CrmOrder, CrmProduct, CrmVariant, FinancialStatus, FulfillmentStatus, ProductStatus
from crm.queries._paging import (
    DEFAULT_LIMIT,
    ORDER_SORTS,
    PRODUCT_SORTS,
    CrmPage,
    _enum_value,
    _lower,
    _matches_any,
    _or_epoch,
    _page,
    _sort,
    _words,
)

# -- orders and products --------------------------------------------------------------------------


def list_orders(
    uow: UnitOfWork,
    *,
    shop_id: int,
    customer_id: int | None = None,
    company_id: int | None = None,
    search: str | None = None,
    financial_status: FinancialStatus | str | None = None,
    fulfillment_status: FulfillmentStatus | str | None = None,
    processed_since: datetime | None = None,
    processed_until: datetime | None = None,
    updated_since: datetime | None = None,
    sort: str = "-processed_at",
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
    before: str | None = None,
    with_lines: bool = False,
) -> CrmPage[CrmOrder]:
    """Live orders (customer and company loaded); search matches the name, email or PO number."""
    field_name, descending = _sort(sort, ORDER_SORTS)
    stmt = (
        select(CrmOrder)
        .outerjoin(CrmOrder.customer)
        .outerjoin(CrmOrder.company)
        .where(CrmOrder.shop_id == shop_id, CrmOrder.deleted_at.is_(None))
        .options(contains_eager(CrmOrder.customer), contains_eager(CrmOrder.company))
    )
    if with_lines:
        stmt = stmt.options(selectinload(CrmOrder.lines))
    if customer_id is not None:
        stmt = stmt.where(CrmOrder.customer_id == customer_id)
    if company_id is not None:
        stmt = stmt.where(CrmOrder.company_id == company_id)
    for word in _words(search):
        stmt = stmt.where(_matches_any(word, CrmOrder.name, CrmOrder.email, CrmOrder.po_number))
    if financial_status:
        stmt = stmt.where(
            CrmOrder.financial_status == _enum_value(FinancialStatus, financial_status, "financial_status")
        )
    if fulfillment_status:
        stmt = stmt.where(
            CrmOrder.fulfillment_status
            == _enum_value(FulfillmentStatus, fulfillment_status, "fulfillment_status")
        )
    if processed_since is not None:
        stmt = stmt.where(CrmOrder.processed_at >= processed_since)
    if processed_until is not None:
        stmt = stmt.where(CrmOrder.processed_at <= processed_until)
    if updated_since is not None:
        stmt = stmt.where(CrmOrder.updated_at >= updated_since)
    if field_name == "processed_at":
        keys = [func.coalesce(CrmOrder.processed_at, CrmOrder.created_at, type_=UTCDateTime()), CrmOrder.id]
    elif field_name == "total":
        keys = [func.coalesce(CrmOrder.current_total_price, CrmOrder.total_price, 0), CrmOrder.id]
    else:
        keys = [func.coalesce(CrmOrder.number, 0), CrmOrder.id]
    rows, next_cursor, previous_cursor = _page(
        uow.session, stmt, keys, limit=limit, cursor=cursor, before=before, descending=descending
    )
    return CrmPage(items=rows, next_cursor=next_cursor, previous_cursor=previous_cursor)


def get_order(uow: UnitOfWork, *, shop_id: int, order_id: int) -> CrmOrder:
    """The order (deleted ones too) with lines, customer and company loaded, else NotFound."""
    order = uow.session.scalar(
        select(CrmOrder)
        .where(CrmOrder.shop_id == shop_id, CrmOrder.id == order_id)
        .options(
            selectinload(CrmOrder.lines), selectinload(CrmOrder.customer), selectinload(CrmOrder.company)
        )
    )
    if order is None:
        raise NotFound(f"order {order_id} not found")
    return order


def list_products(
    uow: UnitOfWork,
    *,
    shop_id: int,
    search: str | None = None,
    status: ProductStatus | str | None = None,
    vendor: str | None = None,
    sku: str | None = None,
    updated_since: datetime | None = None,
    sort: str = "title",
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
    before: str | None = None,
) -> CrmPage[CrmProduct]:
    """Live products with their variants; search matches the title, handle, vendor or a variant SKU."""
    field_name, descending = _sort(sort, PRODUCT_SORTS)
    stmt = (
        select(CrmProduct)
        .where(CrmProduct.shop_id == shop_id, CrmProduct.deleted_at.is_(None))
        .options(selectinload(CrmProduct.variants))
    )
    for word in _words(search):
        sku_matches = (
            select(CrmVariant.id)
            .where(CrmVariant.product_id == CrmProduct.id, CrmVariant.sku.icontains(word, autoescape=True))
            .correlate(CrmProduct)
            .exists()
        )
        stmt = stmt.where(
            or_(_matches_any(word, CrmProduct.title, CrmProduct.handle, CrmProduct.vendor), sku_matches)
        )
    if status:
        stmt = stmt.where(CrmProduct.status == _enum_value(ProductStatus, status, "status"))
    if vendor:
        stmt = stmt.where(func.lower(CrmProduct.vendor) == vendor.strip().lower())
    if sku:
        stmt = stmt.where(
            select(CrmVariant.id)
            .where(
                CrmVariant.product_id == CrmProduct.id,
                CrmVariant.sku == sku.strip(),
                CrmVariant.deleted_at.is_(None),
            )
            .correlate(CrmProduct)
            .exists()
        )
    if updated_since is not None:
        stmt = stmt.where(CrmProduct.updated_at >= updated_since)
    if field_name == "title":
        keys = [_lower(CrmProduct.title), CrmProduct.id]
    else:
        keys = [_or_epoch(CrmProduct.shopify_updated_at), CrmProduct.id]
    rows, next_cursor, previous_cursor = _page(
        uow.session, stmt, keys, limit=limit, cursor=cursor, before=before, descending=descending
    )
    return CrmPage(items=rows, next_cursor=next_cursor, previous_cursor=previous_cursor)


def get_product(uow: UnitOfWork, *, shop_id: int, product_id: int) -> CrmProduct:
    """The product (deleted ones too) with its variants, else NotFound."""
    product = uow.session.scalar(
        select(CrmProduct)
        .where(CrmProduct.shop_id == shop_id, CrmProduct.id == product_id)
        .options(selectinload(CrmProduct.variants))
    )
    if product is None:
        raise NotFound(f"product {product_id} not found")
    return product
