"""Product sync: variants follow the newest product payload; deletes are soft and reach the variants."""

from decimal import Decimal

from sqlalchemy import select

from app.db import UnitOfWork
from crm import service
from crm.models import CrmProduct, CrmTimelineEvent, CrmVariant, ProductStatus
from crm.service import SyncAction
from tests.crm_support import at, make_shop, product


def _variants(uow: UnitOfWork, shop_id: int) -> list[tuple[str | None, Decimal | None, bool]]:
    rows = uow.session.scalars(
        select(CrmVariant).where(CrmVariant.shop_id == shop_id).order_by(CrmVariant.shopify_id)
    )
    return [(v.sku, v.price, v.deleted_at is not None) for v in rows]


def test_a_product_is_stored_with_its_variants(uow: UnitOfWork) -> None:
    shop_id = make_shop(uow)
    outcome = service.upsert_product(uow, shop_id=shop_id, payload=product())
    row = uow.session.get(CrmProduct, outcome.id)
    assert row is not None
    assert (row.title, row.vendor, row.status, row.tags) == (
        "Widget",
        "Acme",
        ProductStatus.ACTIVE,
        "wholesale, hardware",
    )
    assert [
        (v.sku, v.title, v.price, v.compare_at_price, v.currency, v.inventory_quantity) for v in row.variants
    ] == [
        ("WIDGET-12", "12-pack", Decimal("11.50"), None, "USD", 75),
        ("WIDGET-48", "48-pack", Decimal("42.00"), Decimal("49.00"), "USD", 20),
    ]
    event = uow.session.scalars(select(CrmTimelineEvent)).one()
    assert (event.kind, event.summary) == ("product.created", "Widget added with 2 variants")


def test_a_newer_product_payload_updates_prices_and_retires_missing_variants(uow: UnitOfWork) -> None:
    shop_id = make_shop(uow)
    service.upsert_product(uow, shop_id=shop_id, payload=product(minute=0))
    newer = product(minute=10)
    newer["variants"] = [dict(newer["variants"][0], price="12.25", updated_at=at(10))]
    outcome = service.upsert_product(uow, shop_id=shop_id, payload=newer)
    assert outcome.action is SyncAction.UPDATED
    assert _variants(uow, shop_id) == [
        ("WIDGET-12", Decimal("12.25"), False),
        ("WIDGET-48", Decimal("42.00"), True),
    ]
    event = uow.session.scalars(select(CrmTimelineEvent).order_by(CrmTimelineEvent.id.desc())).first()
    assert event is not None and event.kind == "product.updated"
    assert event.data["variants"] == {
        "added": [],
        "changed": {"WIDGET-12": {"price": ["11.50", "12.25"]}},
        "removed": ["WIDGET-48"],
    }
    assert service.crm_counts(uow, shop_id=shop_id)["variants"] == 1


def test_an_older_product_payload_leaves_product_and_variants_alone(uow: UnitOfWork) -> None:
    shop_id = make_shop(uow)
    newer = product(minute=10, title="Widget Pro")
    newer["variants"][0].update(price="13.00", updated_at=at(10))
    service.upsert_product(uow, shop_id=shop_id, payload=newer)
    stale = service.upsert_product(uow, shop_id=shop_id, payload=product(minute=0))
    assert stale.action is SyncAction.STALE
    assert uow.session.scalars(select(CrmProduct.title)).one() == "Widget Pro"
    assert _variants(uow, shop_id)[0] == ("WIDGET-12", Decimal("13.00"), False)
    assert len(uow.session.scalars(select(CrmTimelineEvent)).all()) == 1


def test_deleting_a_product_soft_deletes_its_variants(uow: UnitOfWork) -> None:
    shop_id = make_shop(uow)
    service.upsert_product(uow, shop_id=shop_id, payload=product())
    outcome = service.delete_product(uow, shop_id=shop_id, payload={"id": 632910392})
    assert outcome.action is SyncAction.DELETED
    assert [deleted for _, _, deleted in _variants(uow, shop_id)] == [True, True]
    assert service.crm_counts(uow, shop_id=shop_id) == {
        "customers": 0,
        "companies": 0,
        "products": 0,
        "variants": 0,
        "orders": 0,
    }
