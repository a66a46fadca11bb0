"""A list's fixed prices: set and remove one, bulk upsert all or nothing, search with paging."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from app.db import UnitOfWork, utcnow
from app.errors import NotFound
from crm.models import CrmVariant
from pricing.models import PriceEntry, PriceList, TierKind
from pricing.service import lists
from pricing.validation import PricingInputError
from tests.pricing_lists_support import Catalog, add_catalog, make_shop, snapshot


@pytest.fixture
def catalog(uow: UnitOfWork) -> Catalog:
    return add_catalog(uow, make_shop(uow), products=3, variants_per_product=2)


@pytest.fixture
def other(uow: UnitOfWork, catalog: Catalog) -> Catalog:
    return add_catalog(uow, make_shop(uow, domain="other.myshopify.com"), base=2000)


@pytest.fixture
def price_list(uow: UnitOfWork, catalog: Catalog) -> PriceList:
    return lists.create_price_list(uow, shop_id=catalog.shop_id, name="Wholesale")


def _entries(uow: UnitOfWork, price_list: PriceList) -> list[tuple[int, Decimal, Decimal | None]]:
    uow.session.expire_all()
    rows = uow.session.scalars(
        select(PriceEntry).where(PriceEntry.price_list_id == price_list.id).order_by(PriceEntry.variant_id)
    )
    return [(row.variant_id, row.price, row.compare_at_price) for row in rows]


# -- one entry ------------------------------------------------------------------------------------


def test_set_entry_creates_then_replaces(uow: UnitOfWork, catalog: Catalog, price_list: PriceList) -> None:
    variant = catalog.variants[0]
    first = lists.set_entry(
        uow, shop_id=catalog.shop_id, price_list_id=price_list.id, variant_id=variant.id, price="8.50"
    )
    second = lists.set_entry(
        uow,
        shop_id=catalog.shop_id,
        price_list_id=price_list.id,
        variant_id=variant.id,
        price=Decimal("7"),
        compare_at_price="9.99",
    )
    assert second.id == first.id
    assert _entries(uow, price_list) == [(variant.id, Decimal("7.0000"), Decimal("9.9900"))]


@pytest.mark.parametrize(
    ("price", "compare_at", "field", "message"),
    [
        ("-1", None, "price", "negative"),
        ("abc", None, "price", "is not a number"),
        ("1.999", None, "price", "more decimals than USD allows"),
        (1.5, None, "price", "decimal number such as 12.50"),
        ("", None, "price", "missing"),
        ("10", "9", "compare_at_price", "below the price 10"),
    ],
)
def test_set_entry_refuses_bad_prices(
    uow: UnitOfWork,
    catalog: Catalog,
    price_list: PriceList,
    price: object,
    compare_at: object,
    field: str,
    message: str,
) -> None:
    before = snapshot(uow)
    with pytest.raises(PricingInputError, match=message) as caught:
        lists.set_entry(
            uow,
            shop_id=catalog.shop_id,
            price_list_id=price_list.id,
            variant_id=catalog.variants[0].id,
            price=price,
            compare_at_price=compare_at,
        )
    assert caught.value.field == field
    assert snapshot(uow) == before


def test_zero_is_a_valid_fixed_price(uow: UnitOfWork, catalog: Catalog, price_list: PriceList) -> None:
    lists.set_entry(
        uow,
        shop_id=catalog.shop_id,
        price_list_id=price_list.id,
        variant_id=catalog.variants[0].id,
        price="0",
    )
    assert _entries(uow, price_list) == [(catalog.variants[0].id, Decimal("0.0000"), None)]


def test_set_entry_of_another_shops_or_a_deleted_variant_is_not_found(
    uow: UnitOfWork, catalog: Catalog, other: Catalog, price_list: PriceList
) -> None:
    catalog.variants[1].deleted_at = utcnow()
    uow.session.flush()
    before = snapshot(uow)
    for variant in (other.variants[0], catalog.variants[1]):
        with pytest.raises(NotFound, match=f"variant {variant.id} not found"):
            lists.set_entry(
                uow, shop_id=catalog.shop_id, price_list_id=price_list.id, variant_id=variant.id, price="1"
            )
    assert snapshot(uow) == before


def test_an_entry_below_the_variants_fixed_tier_is_refused(
    uow: UnitOfWork, catalog: Catalog, price_list: PriceList
) -> None:
    variant = catalog.variants[0]
    lists.replace_tiers(
        uow,
        shop_id=catalog.shop_id,
        price_list_id=price_list.id,
        variant_id=variant.id,
        tiers=[lists.TierInput(10, TierKind.FIXED, Decimal("6.00"))],
    )
    before = snapshot(uow)
    with pytest.raises(PricingInputError, match="below the variant's tier price 6 at 10 units"):
        lists.set_entry(
            uow, shop_id=catalog.shop_id, price_list_id=price_list.id, variant_id=variant.id, price="5.99"
        )
    assert snapshot(uow) == before
    lists.set_entry(
        uow, shop_id=catalog.shop_id, price_list_id=price_list.id, variant_id=variant.id, price="6"
    )
    assert _entries(uow, price_list) == [(variant.id, Decimal("6.0000"), None)]


def test_remove_entry(uow: UnitOfWork, catalog: Catalog, price_list: PriceList) -> None:
    variant = catalog.variants[0]
    lists.set_entry(
        uow, shop_id=catalog.shop_id, price_list_id=price_list.id, variant_id=variant.id, price="5"
    )
    lists.remove_entry(uow, shop_id=catalog.shop_id, price_list_id=price_list.id, variant_id=variant.id)
    assert _entries(uow, price_list) == []
    before = snapshot(uow)
    with pytest.raises(NotFound, match=f"variant {variant.id} has no price in the list 'Wholesale'"):
        lists.remove_entry(uow, shop_id=catalog.shop_id, price_list_id=price_list.id, variant_id=variant.id)
    assert snapshot(uow) == before


# -- bulk -----------------------------------------------------------------------------------------


def test_bulk_upsert_creates_updates_and_counts_unchanged(
    uow: UnitOfWork, catalog: Catalog, price_list: PriceList
) -> None:
    # given two existing entries
    v = catalog.variants
    lists.set_entry(
        uow, shop_id=catalog.shop_id, price_list_id=price_list.id, variant_id=v[0].id, price="1.00"
    )
    lists.set_entry(
        uow, shop_id=catalog.shop_id, price_list_id=price_list.id, variant_id=v[1].id, price="2.00"
    )
    # when: one unchanged, one changed, three new named three ways
    result = lists.bulk_upsert_entries(
        uow,
        shop_id=catalog.shop_id,
        price_list_id=price_list.id,
        rows=[
            lists.EntryInput(variant_id=v[0].id, price="1"),
            lists.EntryInput(variant_id=v[1].id, price="2.50", compare_at_price="3"),
            lists.EntryInput(sku=" SKU-1003 ", price="3.25"),
            lists.EntryInput(shopify_variant_id=v[3].shopify_id, price=4),
            lists.EntryInput(variant_id=v[4].id, price=Decimal("5.5")),
        ],
    )
    # then
    assert result == lists.BulkResult(created=3, updated=1, unchanged=1)
    assert _entries(uow, price_list) == [
        (v[0].id, Decimal("1.0000"), None),
        (v[1].id, Decimal("2.5000"), Decimal("3.0000")),
        (v[2].id, Decimal("3.2500"), None),
        (v[3].id, Decimal("4.0000"), None),
        (v[4].id, Decimal("5.5000"), None),
    ]


def test_bulk_upsert_reports_every_bad_row_and_writes_nothing(
    uow: UnitOfWork, catalog: Catalog, other: Catalog, price_list: PriceList
) -> None:
    # given a valid existing entry, a duplicated SKU and a fixed tier
    v = catalog.variants
    lists.set_entry(uow, shop_id=catalog.shop_id, price_list_id=price_list.id, variant_id=v[0].id, price="9")
    v[5].sku = "SKU-1005"  # now two variants carry SKU-1005
    lists.replace_tiers(
        uow,
        shop_id=catalog.shop_id,
        price_list_id=price_list.id,
        variant_id=v[2].id,
        tiers=[lists.TierInput(5, TierKind.FIXED, Decimal("4.00"))],
    )
    before = snapshot(uow)
    rows = [
        lists.EntryInput(variant_id=v[0].id, price="1"),  # 0: fine
        lists.EntryInput(sku="NOPE", price="1"),  # 1: unknown SKU
        lists.EntryInput(variant_id=other.variants[0].id, price="1"),  # 2: another shop's variant
        lists.EntryInput(variant_id=v[1].id, price="-3"),  # 3: negative
        lists.EntryInput(variant_id=v[5].id, price="abc"),  # 4: not a number
        lists.EntryInput(sku="SKU-1005", price="1"),  # 5: ambiguous SKU
        lists.EntryInput(price="1"),  # 6: no variant
        lists.EntryInput(variant_id=v[3].id, sku="SKU-1004", price="1"),  # 7: named twice
        lists.EntryInput(variant_id=v[0].id, price="2"),  # 8: duplicate of row 0
        lists.EntryInput(variant_id=v[2].id, price="3.99"),  # 9: below its fixed tier
        lists.EntryInput(shopify_variant_id=-4, price="1"),  # 10: not an id
        lists.EntryInput(variant_id=v[4].id, price="1.001"),  # 11: too precise
        lists.EntryInput(variant_id=v[3].id, price="1"),  # 12: fine
    ]
    # when
    with pytest.raises(lists.BulkInputError) as caught:
        lists.bulk_upsert_entries(uow, shop_id=catalog.shop_id, price_list_id=price_list.id, rows=rows)
    # then
    errors = [(e.index, e.field, e.message) for e in caught.value.errors]
    assert errors == [
        (1, "sku", "Unknown SKU 'NOPE' in this shop"),
        (2, "variant_id", f"Unknown variant {other.variants[0].id} in this shop"),
        (3, "price", "The price -3 is negative"),
        (4, "price", "The price 'abc' is not a number"),
        (5, "sku", "The SKU 'SKU-1005' names 2 variants: use variant_id"),
        (6, "variant_id", "Name the variant by variant_id, shopify_variant_id or sku"),
        (7, "variant_id", "Name the variant once, not by variant_id and sku"),
        (8, "variant_id", "The variant is already priced in row 0"),
        (
            9,
            "price",
            "The price 3.99 is below the variant's tier price 4 at 5 units: buying more must never cost more "
            "per unit (change the tiers first)",
        ),
        (10, "variant_id", "The shopify_variant_id -4 is not an id (a positive integer)"),
        (11, "price", "The price 1.001 has more decimals than USD allows (2)"),
    ]
    assert caught.value.status == 422
    assert caught.value.detail.startswith("11 rows refused, nothing saved: row 1: Unknown SKU 'NOPE'")
    assert snapshot(uow) == before


def test_bulk_upsert_of_many_rows_is_set_based(
    uow: UnitOfWork, catalog: Catalog, price_list: PriceList
) -> None:
    # given 1,200 variants (more than one IN-list chunk)
    session = uow.session
    product_id = catalog.products[0].id
    variants = [
        CrmVariant(shop_id=catalog.shop_id, shopify_id=9_000_000 + n, product_id=product_id, sku=f"BULK-{n}")
        for n in range(1200)
    ]
    session.add_all(variants)
    session.flush()
    rows = [lists.EntryInput(sku=f"BULK-{n}", price=f"{n}.25") for n in range(1200)]
    # when
    result = lists.bulk_upsert_entries(uow, shop_id=catalog.shop_id, price_list_id=price_list.id, rows=rows)
    again = lists.bulk_upsert_entries(uow, shop_id=catalog.shop_id, price_list_id=price_list.id, rows=rows)
    # then
    assert result == lists.BulkResult(created=1200, updated=0, unchanged=0)
    assert again == lists.BulkResult(created=0, updated=0, unchanged=1200)
    stored = dict((vid, price) for vid, price, _ in _entries(uow, price_list))
    assert stored[variants[1199].id] == Decimal("1199.25")
    assert len(stored) == 1200


def test_bulk_upsert_in_a_foreign_currency_checks_its_minor_unit(uow: UnitOfWork, catalog: Catalog) -> None:
    yen = lists.create_price_list(uow, shop_id=catalog.shop_id, name="Japan", currency="JPY")
    before = snapshot(uow)
    with pytest.raises(lists.BulkInputError) as caught:
        lists.bulk_upsert_entries(
            uow,
            shop_id=catalog.shop_id,
            price_list_id=yen.id,
            rows=[lists.EntryInput(variant_id=catalog.variants[0].id, price="1000.5")],
        )
    assert [e.message for e in caught.value.errors] == [
        "The price 1000.5 has more decimals than JPY allows (0)"
    ]
    assert snapshot(uow) == before


# -- search ---------------------------------------------------------------------------------------


def test_search_entries_by_sku_or_title_with_paging(
    uow: UnitOfWork, catalog: Catalog, price_list: PriceList
) -> None:
    v = catalog.variants
    lists.bulk_upsert_entries(
        uow,
        shop_id=catalog.shop_id,
        price_list_id=price_list.id,
        rows=[lists.EntryInput(variant_id=variant.id, price="1") for variant in v],
    )
    first = lists.search_entries(uow, shop_id=catalog.shop_id, price_list_id=price_list.id, limit=4)
    rest = lists.search_entries(
        uow, shop_id=catalog.shop_id, price_list_id=price_list.id, limit=4, cursor=first.next_cursor
    )
    assert [e.variant.id for e in first.items + rest.items] == [variant.id for variant in v]
    assert rest.next_cursor is None
    by_sku = lists.search_entries(
        uow, shop_id=catalog.shop_id, price_list_id=price_list.id, search="sku-1003"
    )
    assert [(e.variant.sku, e.product_title, e.entry.price) for e in by_sku.items] == [
        ("SKU-1003", "Product 1001", Decimal("1.0000"))
    ]
    by_title = lists.search_entries(
        uow, shop_id=catalog.shop_id, price_list_id=price_list.id, search="product 1002"
    )
    # Every word must match one of the columns: "1002" is in SKU-1002 and in the title of Product 1002.
    assert [e.variant.sku for e in by_title.items] == ["SKU-1002", "SKU-1005", "SKU-1006"]
    literal = lists.search_entries(uow, shop_id=catalog.shop_id, price_list_id=price_list.id, search="%")
    assert literal.items == []


def test_entries_held_by_the_session_see_a_bulk_change(
    uow: UnitOfWork, catalog: Catalog, price_list: PriceList
) -> None:
    variant = catalog.variants[0]
    held = lists.set_entry(
        uow, shop_id=catalog.shop_id, price_list_id=price_list.id, variant_id=variant.id, price="5"
    )
    lists.bulk_upsert_entries(
        uow,
        shop_id=catalog.shop_id,
        price_list_id=price_list.id,
        rows=[lists.EntryInput(variant_id=variant.id, price="4.75")],
    )
    assert held.price == Decimal("4.7500")
    assert price_list.name == "Wholesale"


def test_find_variants_names_each_bad_reference(uow: UnitOfWork, catalog: Catalog, other: Catalog) -> None:
    v = catalog.variants
    refs = [
        lists.VariantRef(sku="SKU-1002"),
        lists.VariantRef(shopify_variant_id=v[0].shopify_id),
        lists.VariantRef(variant_id=v[2].id),
    ]
    assert lists.find_variants(uow, shop_id=catalog.shop_id, refs=refs) == [v[1].id, v[0].id, v[2].id]
    with pytest.raises(lists.BulkInputError) as caught:
        lists.find_variants(
            uow,
            shop_id=catalog.shop_id,
            refs=[lists.VariantRef(sku="SKU-1001"), lists.VariantRef(variant_id=other.variants[0].id)],
        )
    assert [(e.index, e.field) for e in caught.value.errors] == [(1, "variant_id")]
