"""The collection mirror: every Shopify collection's title, handle and member products, for collection-wide
price adjustments (the engine reads pricing_collection_product).

One sync pages through `collections` (8 per page with their first 100 product ids, to stay under
Shopify's 1,000-point query cost) and continues a longer collection with `collection.products` (250 a
page). Each page is written set-based and committed; collections the sync did not see are marked
deleted (and lose their members) only once a pass completes, so an interrupted sync deletes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, or_, select, tuple_, update

from app.db import UnitOfWork, utcnow
from app.shopify.client import AdminClient
from pricing.models import Collection, CollectionProduct

COLLECTION_GID = "gid://shopify/Collection/"
PRODUCT_GID = "gid://shopify/Product/"
# Rows per IN (...) list: far below SQLite's and PostgreSQL's parameter limits.
CHUNK = 500


def numeric_id(gid: str, prefix: str) -> int:
    """`gid://shopify/Collection/42` -> 42 (ValueError for another kind of GID)."""
    tail = gid.removeprefix(prefix) if gid.startswith(prefix) else ""
    if not tail.isdigit():
        raise ValueError(f"{gid!r} is not a {prefix.rsplit('/', 2)[-2]} GID")
    return int(tail)


@dataclass(frozen=True)
class CollectionsSynced:
    """What one sync did."""

    collections: int
    memberships: int
    deleted: int


def _product_ids(client: AdminClient, collection_gid: str, first_page: dict[str, Any]) -> set[int]:
    ids = {numeric_id(n["id"], PRODUCT_GID) for n in first_page.get("nodes") or []}
    page = first_page.get("pageInfo") or {}
    while page.get("hasNextPage"):
        data = client.execute("PricingCollectionProducts", {"id": collection_gid, "after": page["endCursor"]})
        connection = (data.get("collection") or {}).get("products") or {}
        ids.update(numeric_id(n["id"], PRODUCT_GID) for n in connection.get("nodes") or [])
        page = connection.get("pageInfo") or {}
    return ids


def _chunks(values: list[Any]) -> Iterable[list[Any]]:
    for i in range(0, len(values), CHUNK):
        yield values[i : i + CHUNK]


def _write_page(
    uow: UnitOfWork, *, shop_id: int, rows: list[dict[str, Any]], members: dict[int, set[int]], now: datetime
) -> int:
    """Upsert one page of collections and replace their memberships; the memberships written."""
    session = uow.session
    ids = [r["shopify_id"] for r in rows]
    existing = set(
        session.scalars(
            select(Collection.shopify_id).where(Collection.shop_id == shop_id, Collection.shopify_id.in_(ids))
        )
    )
    new = [
        {**r, "shop_id": shop_id, "synced_at": now, "deleted": False}
        for r in rows
        if r["shopify_id"] not in existing
    ]
    if new:
        session.execute(insert(Collection), new)
    for r in rows:
        if r["shopify_id"] in existing:
            session.execute(
                update(Collection)
                .where(Collection.shop_id == shop_id, Collection.shopify_id == r["shopify_id"])
                .values(title=r["title"], handle=r["handle"], synced_at=now, deleted=False)
            )
    have: dict[int, set[int]] = {i: set() for i in ids}
    for collection_id, product_id in session.execute(
        select(CollectionProduct.collection_shopify_id, CollectionProduct.product_shopify_id).where(
            CollectionProduct.shop_id == shop_id, CollectionProduct.collection_shopify_id.in_(ids)
        )
    ):
        have[collection_id].add(product_id)
    gone = [(c, p) for c in ids for p in have[c] - members[c]]
    added = [
        {"shop_id": shop_id, "collection_shopify_id": c, "product_shopify_id": p}
        for c in ids
        for p in sorted(members[c] - have[c])
    ]
    for chunk in _chunks(gone):
        session.execute(
            delete(CollectionProduct).where(
                CollectionProduct.shop_id == shop_id,
                tuple_(CollectionProduct.collection_shopify_id, CollectionProduct.product_shopify_id).in_(
                    chunk
                ),
            )
        )
    if added:
        session.execute(insert(CollectionProduct), added)
    return len(added) + len(gone)


def sync_collections(uow: UnitOfWork, client: AdminClient, *, shop_id: int) -> CollectionsSynced:
    """Mirror every collection of the shop and its products; commit per page."""
    started = utcnow()
    seen = 0
    changed = 0
    after: str | None = None
    while True:
        data = client.execute("PricingCollections", {"after": after})
        connection = data.get("collections") or {}
        rows: list[dict[str, Any]] = []
        members: dict[int, set[int]] = {}
        for node in connection.get("nodes") or []:
            shopify_id = numeric_id(node["id"], COLLECTION_GID)
            rows.append({"shopify_id": shopify_id, "title": node.get("title"), "handle": node.get("handle")})
            members[shopify_id] = _product_ids(client, node["id"], node.get("products") or {})
        if rows:
            changed += _write_page(uow, shop_id=shop_id, rows=rows, members=members, now=utcnow())
            seen += len(rows)
            uow.commit()
        page = connection.get("pageInfo") or {}
        if not page.get("hasNextPage"):
            break
        after = page["endCursor"]
    # Only after a complete pass: a collection not seen since `started` is gone from Shopify.
    stale = or_(Collection.synced_at.is_(None), Collection.synced_at < started)
    gone_ids = list(
        uow.session.scalars(
            select(Collection.shopify_id).where(
                Collection.shop_id == shop_id, Collection.deleted.is_(False), stale
            )
        )
    )
    for chunk in _chunks(gone_ids):
        uow.session.execute(
            update(Collection)
            .where(Collection.shop_id == shop_id, Collection.shopify_id.in_(chunk))
            .values(deleted=True)
        )
        uow.session.execute(
            delete(CollectionProduct).where(
                CollectionProduct.shop_id == shop_id, CollectionProduct.collection_shopify_id.in_(chunk)
            )
        )
    uow.commit()
    return CollectionsSynced(collections=seen, memberships=changed, deleted=len(gone_ids))
