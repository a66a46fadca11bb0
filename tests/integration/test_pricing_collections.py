"""The collection mirror against a faked Admin API: pages of collections and of their products, upserts,
removed memberships, and collections deleted in Shopify marked deleted."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app import services
from app.shops import uninstall_shop
from pricing import jobs
from pricing.models import Collection, CollectionProduct
from tests.backfill_support import connected_shop
from tests.pricing_publish_support import FakeB2B

COLLECTION = "gid://shopify/Collection/{}"
PRODUCT = "gid://shopify/Product/{}"


@pytest.fixture
def fake(app_config) -> FakeB2B:
    shopify = FakeB2B()
    app_config["SHOPIFY_HTTP_TRANSPORT"] = shopify.transport
    return shopify


@pytest.fixture
def shop_id(fake, app) -> int:
    with services().db.unit_of_work() as uow:
        shop = connected_shop(uow)
        uow.commit()
    return shop


def _mirror(shop_id: int) -> tuple[dict[int, tuple[str | None, str | None, bool]], dict[int, set[int]]]:
    with services().db.unit_of_work() as uow:
        collections = {
            c.shopify_id: (c.title, c.handle, c.deleted)
            for c in uow.session.scalars(select(Collection).where(Collection.shop_id == shop_id))
        }
        members: dict[int, set[int]] = {}
        for row in uow.session.scalars(select(CollectionProduct).where(CollectionProduct.shop_id == shop_id)):
            members.setdefault(row.collection_shopify_id, set()).add(row.product_shopify_id)
        return collections, members


def test_sync_pages_through_collections_and_long_product_lists(fake, shop_id):
    # 10 collections: two pages of 8; collection 1 has 420 products: 100 first, then 250 + 70.
    for n in range(1, 11):
        products = [PRODUCT.format(p) for p in range(n * 1000, n * 1000 + (420 if n == 1 else 3))]
        fake.collections[COLLECTION.format(n)] = (f"Collection {n}", f"collection-{n}", products)

    result = jobs.sync_collections(shop_id)

    assert result == {"collections": 10, "memberships": 420 + 9 * 3, "deleted": 0}
    assert fake.names() == [
        "PricingCollections",
        "PricingCollectionProducts",
        "PricingCollectionProducts",
        "PricingCollections",
    ]
    assert fake.sent("PricingCollectionProducts") == [
        {"id": COLLECTION.format(1), "after": "100"},
        {"id": COLLECTION.format(1), "after": "350"},
    ]
    assert fake.sent("PricingCollections") == [{"after": None}, {"after": "8"}]
    collections, members = _mirror(shop_id)
    assert collections[1] == ("Collection 1", "collection-1", False)
    assert sorted(collections) == list(range(1, 11))
    assert members[1] == set(range(1000, 1420))
    assert members[10] == {10000, 10001, 10002}


def test_a_second_sync_updates_members_and_marks_deleted_collections(fake, shop_id):
    fake.collections[COLLECTION.format(1)] = ("Summer", "summer", [PRODUCT.format(11), PRODUCT.format(12)])
    fake.collections[COLLECTION.format(2)] = ("Winter", "winter", [PRODUCT.format(21)])
    jobs.sync_collections(shop_id)
    fake.collections[COLLECTION.format(1)] = (
        "Summer sale",
        "summer",
        [PRODUCT.format(12), PRODUCT.format(13)],
    )
    del fake.collections[COLLECTION.format(2)]

    result = jobs.sync_collections(shop_id)

    assert result == {"collections": 1, "memberships": 2, "deleted": 1}
    collections, members = _mirror(shop_id)
    assert collections == {1: ("Summer sale", "summer", False), 2: ("Winter", "winter", True)}
    assert members == {1: {12, 13}}


def test_a_collection_that_reappears_is_no_longer_deleted(fake, shop_id):
    fake.collections[COLLECTION.format(5)] = ("Tools", "tools", [PRODUCT.format(50)])
    jobs.sync_collections(shop_id)
    saved = fake.collections.pop(COLLECTION.format(5))
    jobs.sync_collections(shop_id)
    fake.collections[COLLECTION.format(5)] = saved

    jobs.sync_collections(shop_id)

    assert _mirror(shop_id) == ({5: ("Tools", "tools", False)}, {5: {50}})


def test_another_shops_mirror_is_untouched(fake, shop_id):
    with services().db.unit_of_work() as uow:
        other = connected_shop(uow, domain="other.myshopify.com")
        uow.session.add(Collection(shop_id=other, shopify_id=9, title="Theirs", handle="theirs"))
        uow.session.add(CollectionProduct(shop_id=other, collection_shopify_id=9, product_shopify_id=90))
        uow.commit()
    fake.collections[COLLECTION.format(1)] = ("Ours", "ours", [PRODUCT.format(10)])

    jobs.sync_collections(shop_id)

    assert _mirror(other) == ({9: ("Theirs", "theirs", False)}, {9: {90}})
    assert _mirror(shop_id) == ({1: ("Ours", "ours", False)}, {1: {10}})


def test_an_uninstalled_shop_is_not_synced(fake, shop_id):
    with services().db.unit_of_work() as uow:
        uninstall_shop(uow, shop_id=shop_id)
        uow.commit()

    assert jobs.sync_collections(shop_id) is None
    assert fake.names() == []
