"""Helpers for the price-list CSV tests: files as bytes, a catalog in bulk, and a list's contents."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal

from sqlalchemy import insert, select, text

from app.db import UnitOfWork, utcnow
from crm.models import CrmProduct, CrmVariant
from pricing.models import PriceEntry, QuantityRule, VolumeTier

HEADER = ["sku", "price", "compare_at_price", "min_qty", "max_qty", "increment", "tier_1_min", "tier_1_price"]


def csv_bytes(
    rows: Iterable[Sequence[object]], header: Sequence[str] = HEADER, *, bom: bool = False
) -> bytes:
    """A CSV file as an upload's bytes (UTF-8, CRLF, as spreadsheets write it)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if cell is None else str(cell) for cell in row])
    return (b"\xef\xbb\xbf" if bom else b"") + buffer.getvalue().encode()


def bulk_catalog(uow: UnitOfWork, shop_id: int, count: int, *, prefix: str = "BULK") -> list[int]:
    """`count` variants with SKUs f"{prefix}-{n:06d}" under one product, inserted set-based; their ids."""
    session = uow.session
    product_id = session.execute(
        insert(CrmProduct)
        .values(
            shop_id=shop_id,
            shopify_id=5_000_000_000,
            title="Bulk product",
            created_at=utcnow(),
            updated_at=utcnow(),
        )
        .returning(CrmProduct.id)
    ).scalar_one()
    now = utcnow()
    rows = [
        {
            "shop_id": shop_id,
            "shopify_id": 6_000_000_000 + n,
            "product_id": product_id,
            "sku": f"{prefix}-{n:06d}",
            "title": f"Size {n}",
            "price": Decimal("20.00"),
            "currency": "USD",
            "created_at": now,
            "updated_at": now,
        }
        for n in range(count)
    ]
    session.execute(insert(CrmVariant), rows)
    if session.get_bind().dialect.name == "postgresql":
        # The rows are uncommitted (the test's transaction), so autovacuum never analyzes them and the
        # planner believes the shop has one variant; a real catalog is committed and analyzed.
        session.execute(text("ANALYZE crm_variant"))
    return list(
        session.scalars(
            select(CrmVariant.id)
            .where(CrmVariant.shop_id == shop_id, CrmVariant.product_id == product_id)
            .order_by(CrmVariant.shopify_id)
        )
    )


def contents(uow: UnitOfWork, price_list_id: int) -> dict[str, list[tuple[object, ...]]]:
    """Every entry, tier and quantity rule of a list, sorted: for 'nothing changed' and exact asserts."""
    session = uow.session
    session.expire_all()
    return {
        "entries": sorted(
            session.execute(
                select(PriceEntry.variant_id, PriceEntry.price, PriceEntry.compare_at_price).where(
                    PriceEntry.price_list_id == price_list_id
                )
            ).all()
        ),
        "tiers": sorted(
            session.execute(
                select(
                    VolumeTier.variant_id, VolumeTier.min_quantity, VolumeTier.kind, VolumeTier.value
                ).where(VolumeTier.price_list_id == price_list_id)
            ).all(),
            key=lambda row: (row[0] or 0, row[1]),
        ),
        "rules": sorted(
            session.execute(
                select(
                    QuantityRule.variant_id,
                    QuantityRule.minimum,
                    QuantityRule.maximum,
                    QuantityRule.increment,
                ).where(QuantityRule.price_list_id == price_list_id)
            ).all(),
            key=lambda row: row[0] or 0,
        ),
    }
