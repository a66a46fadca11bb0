"""Catalog sync: products and their variants, the mirror pricing and the portal read."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import utcnow
from crm import rules
from crm.models import CrmProduct, CrmVariant, SubjectType
from crm.payloads import ProductRecord
from crm.service._engine import EventLog, SyncAction, SyncOutcome, chunks, soft_delete, sync, update_by_id

PRODUCT_TRACKED = (
    "title",
    "handle",
    "vendor",
    "product_type",
    "status",
    "tags",
    "published_at",
    "shopify_created_at",
)
VARIANT_TRACKED = (
    "product_id",
    "title",
    "sku",
    "barcode",
    "position",
    "option1",
    "option2",
    "option3",
    "price",
    "compare_at_price",
    "inventory_quantity",
    "taxable",
)


def sync_products(
    session: Session, *, shop_id: int, currency: str, records: Sequence[ProductRecord], events: EventLog
) -> dict[int, SyncOutcome]:
    """Upsert products; a product payload that wins also replaces the product's variant set."""
    prepared = [r.with_values(_variants=r.variants) if r.variants is not None else r for r in records]
    outcomes = sync(
        session,
        shop_id=shop_id,
        table=CrmProduct.__table__,  # type: ignore[arg-type]
        records=prepared,
        tracked=PRODUCT_TRACKED,
    )
    with_variants = [o for o in outcomes.values() if o.written and "_variants" in o.applied]
    variant_changes = _sync_variants(session, shop_id=shop_id, currency=currency, products=with_variants)
    for outcome in outcomes.values():
        assert outcome.id is not None
        title = outcome.new.get("title") or f"Product {outcome.shopify_id}"
        variants = variant_changes.get(outcome.id)
        if outcome.action is SyncAction.CREATED:
            events.add(
                subject_type=SubjectType.PRODUCT,
                subject_id=outcome.id,
                kind="product.created",
                summary=f"{title} added" + (f" with {len(variants['added'])} variants" if variants else ""),
                occurred_at=outcome.new.get("shopify_created_at") or outcome.updated_at,
                data={"shopify_id": outcome.shopify_id, "variants": variants or {}},
            )
        elif outcome.action is SyncAction.UPDATED and (outcome.changes or variants):
            described = rules.describe_changes(outcome.changes) if outcome.changes else ""
            if variants:
                counts = ", ".join(f"{len(v)} variants {k}" for k, v in variants.items() if v)
                described = f"{described}, {counts}" if described else counts
            events.add(
                subject_type=SubjectType.PRODUCT,
                subject_id=outcome.id,
                kind="product.updated",
                summary=f"{title}: {described}",
                occurred_at=outcome.updated_at,
                data={"changes": outcome.changes, "variants": variants or {}},
            )
    return outcomes


def _sync_variants(
    session: Session, *, shop_id: int, currency: str, products: Sequence[SyncOutcome]
) -> dict[int, dict[str, Any]]:
    """Upsert the variants of the products just written and soft-delete those no longer listed.

    Returns {product id: {"added": [...], "changed": {...}, "removed": [...]}} for products whose
    variants changed, keyed by SKU (or Shopify id when a variant has none).
    """
    if not products:
        return {}
    records = [v.with_values(product_id=p.id) for p in products for v in p.applied["_variants"]]
    listed = {p.id: {v.shopify_id for v in p.applied["_variants"]} for p in products}
    outcomes = sync(
        session,
        shop_id=shop_id,
        table=CrmVariant.__table__,  # type: ignore[arg-type]
        records=records,
        tracked=VARIANT_TRACKED,
        defaults={"currency": currency},
    )
    report: dict[int, dict[str, Any]] = {}

    def entry(product_id: int) -> dict[str, Any]:
        return report.setdefault(product_id, {"added": [], "changed": {}, "removed": []})

    for outcome in outcomes.values():
        key = outcome.new.get("sku") or str(outcome.shopify_id)
        if outcome.action is SyncAction.CREATED:
            entry(outcome.new["product_id"])["added"].append(key)
        elif outcome.action is SyncAction.UPDATED and outcome.changes:
            entry(outcome.new["product_id"])["changed"][key] = outcome.changes
    table = CrmVariant.__table__
    now = utcnow()
    gone: list[dict[str, Any]] = []
    for batch in chunks(listed):
        rows = session.execute(
            select(table.c.id, table.c.product_id, table.c.shopify_id, table.c.sku).where(
                table.c.product_id.in_(batch), table.c.deleted_at.is_(None)
            )
        )
        for row in rows:
            if row.shopify_id not in listed[row.product_id]:
                gone.append({"_id": row.id, "deleted_at": now, "updated_at": now})
                entry(row.product_id)["removed"].append(row.sku or str(row.shopify_id))
    update_by_id(session, table, gone)  # type: ignore[arg-type]
    return report


def delete_products(
    session: Session, *, shop_id: int, shopify_ids: Sequence[int], events: EventLog
) -> dict[int, SyncOutcome]:
    """Soft-delete products and their variants (tombstones for ids never seen)."""
    outcomes = soft_delete(
        session,
        shop_id=shop_id,
        table=CrmProduct.__table__,  # type: ignore[arg-type]
        shopify_ids=shopify_ids,
        tracked=PRODUCT_TRACKED,
    )
    deleted = [o for o in outcomes.values() if o.action is SyncAction.DELETED]
    table = CrmVariant.__table__
    now = utcnow()
    for batch in chunks([o.id for o in deleted]):
        ids = session.scalars(
            select(table.c.id).where(table.c.product_id.in_(batch), table.c.deleted_at.is_(None))
        ).all()
        update_by_id(session, table, [{"_id": i, "deleted_at": now, "updated_at": now} for i in ids])  # type: ignore[arg-type]
    for outcome in deleted:
        assert outcome.id is not None
        events.add(
            subject_type=SubjectType.PRODUCT,
            subject_id=outcome.id,
            kind="product.deleted",
            summary=f"{outcome.old.get('title') or f'Product {outcome.shopify_id}'} deleted in Shopify",
            occurred_at=None,
            data={"shopify_id": outcome.shopify_id},
        )
    return outcomes
