"""Export a list's per-variant prices, tiers and quantity rules in the import format, streamed."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from sqlalchemy import func, select, union
from sqlalchemy.orm import Session

from app.db import UnitOfWork
from crm.models import CrmProduct, CrmVariant
from pricing.models import PriceEntry, PriceList, QuantityRule, VolumeTier
from pricing.service.csv_io.format import EMPTY, data_row, header_row
from pricing.service.csv_io.importer import load_list
from pricing.service.csv_io.store import load_states, plan_each_query, probe

EXPORT_BATCH = 2_000
UTF8_BOM = "\ufeff"  # Excel opens a UTF-8 CSV correctly only with it; the importer accepts it


def _tier_count(session: Session, price_list_id: int) -> int:
    per_variant = (
        select(func.count().label("n"))
        .where(VolumeTier.price_list_id == price_list_id, VolumeTier.variant_id.is_not(None))
        .group_by(VolumeTier.variant_id)
        .subquery()
    )
    return int(session.scalar(select(func.max(per_variant.c.n))) or 0)


def _next_variant_ids(session: Session, list_id: int, after: int) -> list[int]:
    """The next EXPORT_BATCH variant ids (above `after`) the list holds anything for.

    Each table gives its own first EXPORT_BATCH distinct ids (an index range scan), so a batch costs
    the same at the end of a large list as at its start.
    """
    members = [
        select(column.label("vid"))
        .where(list_column == list_id, column > after)
        .distinct()
        .order_by(column)
        .limit(EXPORT_BATCH)
        .subquery()
        for column, list_column in (
            (PriceEntry.variant_id, PriceEntry.price_list_id),
            (VolumeTier.variant_id, VolumeTier.price_list_id),
            (QuantityRule.variant_id, QuantityRule.price_list_id),
        )
    ]
    held = union(*(select(member.c.vid) for member in members)).subquery()
    return list(session.scalars(select(held.c.vid).order_by(held.c.vid).limit(EXPORT_BATCH)))


def export_filename(price_list: PriceList) -> str:
    """`price-list-12-spring-wholesale.csv`: ASCII, safe in a Content-Disposition header."""
    slug = "".join(ch if ch.isascii() and ch.isalnum() else "-" for ch in price_list.name.lower())
    slug = "-".join(part for part in slug.split("-") if part)[:60]
    return f"price-list-{price_list.id}{'-' + slug if slug else ''}.csv"


def export_csv(uow: UnitOfWork, *, shop_id: int, price_list_id: int) -> Iterator[str]:
    """The list as CSV text, a batch of rows at a time (NotFound before the first chunk for a bad id).

    Only variants the list holds something for, that still exist in the catalog, ordered by variant id;
    list-wide tiers and rules are not per-variant rows and stay out (docs/pricing-csv.md).
    """
    session = uow.session
    price_list = load_list(session, shop_id, price_list_id)
    list_id, currency = price_list.id, price_list.currency
    plan_each_query(session)
    tiers = max(1, _tier_count(session, list_id))

    def generate() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        buffer.write(UTF8_BOM)
        writer.writerow(header_row(tiers))
        after = 0
        while True:
            ids = _next_variant_ids(session, list_id, after)
            if not ids:
                break
            after = ids[-1]
            batch = sorted(
                session.execute(
                    probe(
                        session,
                        CrmVariant.id,
                        ids,
                        CrmVariant.shopify_id,
                        CrmVariant.sku,
                        CrmVariant.title.label("variant_title"),
                        CrmProduct.title.label("product_title"),
                        where=[CrmVariant.shop_id == shop_id, CrmVariant.deleted_at.is_(None)],
                        from_=CrmVariant.__table__.join(
                            CrmProduct.__table__, CrmProduct.id == CrmVariant.product_id
                        ),
                    )
                ).all()
            )
            states = load_states(session, list_id, (row[0] for row in batch))
            for vid, shopify_id, sku, title, product in batch:
                writer.writerow(
                    data_row(
                        shopify_variant_id=shopify_id,
                        sku=sku,
                        product=product,
                        variant=title,
                        currency=currency,
                        prices=states.get(vid, EMPTY),
                        tier_count=tiers,
                    )
                )
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
        if buffer.tell():
            yield buffer.getvalue()

    return generate()
