"""A list's adjustments, volume tiers, quantity rules and assignments."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from app.db import UnitOfWork, utcnow
from app.errors import Conflict, NotFound
from crm.models import CrmTimelineEvent, SubjectType
from pricing.models import AdjustmentScope, AssignmentTarget, PriceList, TierKind
from pricing.service import lists
from pricing.validation import PricingInputError, TierInput
from tests.pricing_lists_support import Catalog, add_catalog, make_shop, snapshot


@pytest.fixture
def catalog(uow: UnitOfWork) -> Catalog:
    return add_catalog(uow, make_shop(uow))


@pytest.fixture
def other(uow: UnitOfWork, catalog: Catalog) -> Catalog:
    return add_catalog(uow, make_shop(uow, domain="other.myshopify.com"), base=2000)


@pytest.fixture
def price_list(uow: UnitOfWork, catalog: Catalog) -> PriceList:
    return lists.create_price_list(uow, shop_id=catalog.shop_id, name="Wholesale")


# -- adjustments ----------------------------------------------------------------------------------


def test_set_adjustment_per_scope_and_replace(
    uow: UnitOfWork, catalog: Catalog, price_list: PriceList
) -> None:
    shop_id = catalog.shop_id
    everything = lists.set_adjustment(
        uow, shop_id=shop_id, price_list_id=price_list.id, scope="all", percent="-30"
    )
    product = lists.set_adjustment(
        uow,
        shop_id=shop_id,
        price_list_id=price_list.id,
        scope=AdjustmentScope.PRODUCT,
        scope_shopify_id=catalog.products[1].shopify_id,
        percent="10.5",
    )
    lists.set_adjustment(
        uow,
        shop_id=shop_id,
        price_list_id=price_list.id,
        scope="variant",
        scope_shopify_id=catalog.variants[0].shopify_id,
        percent="-50",
    )
    lists.set_adjustment(
        uow,
        shop_id=shop_id,
        price_list_id=price_list.id,
        scope="collection",
        scope_shopify_id=4242,
        percent=-5,
    )
    again = lists.set_adjustment(
        uow, shop_id=shop_id, price_list_id=price_list.id, scope="all", percent="-25"
    )
    assert again.id == everything.id
    rows = lists.list_adjustments(uow, shop_id=shop_id, price_list_id=price_list.id)
    assert [(row.scope, row.scope_shopify_id, row.percent) for row in rows] == [
        (AdjustmentScope.ALL, None, Decimal("-25")),
        (AdjustmentScope.COLLECTION, 4242, Decimal("-5")),
        (AdjustmentScope.PRODUCT, catalog.products[1].shopify_id, Decimal("10.5")),
        (AdjustmentScope.VARIANT, catalog.variants[0].shopify_id, Decimal("-50")),
    ]
    lists.remove_adjustment(uow, shop_id=shop_id, price_list_id=price_list.id, adjustment_id=product.id)
    assert len(lists.list_adjustments(uow, shop_id=shop_id, price_list_id=price_list.id)) == 3


@pytest.mark.parametrize(
    ("scope", "scope_id", "percent", "field", "message"),
    [
        ("all", None, "0", "percent", "0 % changes nothing"),
        ("all", None, "-101", "percent", "would make prices negative"),
        ("all", None, "1001", "percent", "more than 1000 %"),
        ("all", None, "1.00001", "percent", "more than 4 decimals"),
        ("all", None, 3.5, "percent", "decimal number"),
        ("all", 5, "-5", "scope_shopify_id", "names no collection"),
        ("product", None, "-5", "scope_shopify_id", "needs the product's Shopify id"),
        ("brand", None, "-5", "scope", "not one of all, collection, product, variant"),
    ],
)
def test_set_adjustment_refuses_bad_input(
    uow: UnitOfWork,
    catalog: Catalog,
    price_list: PriceList,
    scope: str,
    scope_id: int | None,
    percent: object,
    field: str,
    message: str,
) -> None:
    before = snapshot(uow)
    with pytest.raises(PricingInputError, match=message) as caught:
        lists.set_adjustment(
            uow,
            shop_id=catalog.shop_id,
            price_list_id=price_list.id,
            scope=scope,
            scope_shopify_id=scope_id,
            percent=percent,
        )
    assert caught.value.field == field
    assert snapshot(uow) == before


def test_adjustments_of_another_shops_product_or_in_a_foreign_currency_are_refused(
    uow: UnitOfWork, catalog: Catalog, other: Catalog, price_list: PriceList
) -> None:
    euro = lists.create_price_list(uow, shop_id=catalog.shop_id, name="Europe", currency="EUR")
    before = snapshot(uow)
    with pytest.raises(NotFound, match=f"product with Shopify id {other.products[0].shopify_id} not found"):
        lists.set_adjustment(
            uow,
            shop_id=catalog.shop_id,
            price_list_id=price_list.id,
            scope="product",
            scope_shopify_id=other.products[0].shopify_id,
            percent="-5",
        )
    with pytest.raises(Conflict, match="is in EUR but the shop's prices are in USD"):
        lists.set_adjustment(uow, shop_id=catalog.shop_id, price_list_id=euro.id, scope="all", percent="-5")
    with pytest.raises(NotFound, match="adjustment 999999 not found"):
        lists.remove_adjustment(
            uow, shop_id=catalog.shop_id, price_list_id=price_list.id, adjustment_id=999999
        )
    assert snapshot(uow) == before


# -- tiers ----------------------------------------------------------------------------------------


def _tiers(rows: list) -> list[tuple[int | None, int, TierKind, Decimal]]:
    return [(row.variant_id, row.min_quantity, row.kind, row.value) for row in rows]


def test_replace_tiers_of_a_variant_and_list_wide(
    uow: UnitOfWork, catalog: Catalog, price_list: PriceList
) -> None:
    shop_id, variant = catalog.shop_id, catalog.variants[0]
    lists.set_entry(uow, shop_id=shop_id, price_list_id=price_list.id, variant_id=variant.id, price="9.00")
    lists.replace_tiers(
        uow,
        shop_id=shop_id,
        price_list_id=price_list.id,
        variant_id=variant.id,
        tiers=[
            TierInput(10, TierKind.FIXED, Decimal("8.00")),
            TierInput(50, TierKind.FIXED, Decimal("7.00")),
        ],
    )
    lists.replace_tiers(
        uow,
        shop_id=shop_id,
        price_list_id=price_list.id,
        variant_id=None,
        tiers=[{"min_quantity": "20", "kind": "percent_off", "value": "5"}],
    )
    # Replacing is whole: one tier now where there were two.
    replaced = lists.replace_tiers(
        uow,
        shop_id=shop_id,
        price_list_id=price_list.id,
        variant_id=variant.id,
        tiers=[{"min_quantity": 12, "kind": "fixed", "value": "8.50"}],
    )
    assert _tiers(replaced) == [(variant.id, 12, TierKind.FIXED, Decimal("8.50"))]
    assert _tiers(lists.list_tiers(uow, shop_id=shop_id, price_list_id=price_list.id)) == [
        (None, 20, TierKind.PERCENT_OFF, Decimal("5")),
        (variant.id, 12, TierKind.FIXED, Decimal("8.50")),
    ]
    assert _tiers(lists.list_tiers(uow, shop_id=shop_id, price_list_id=price_list.id, variant_id=None)) == [
        (None, 20, TierKind.PERCENT_OFF, Decimal("5"))
    ]
    lists.replace_tiers(uow, shop_id=shop_id, price_list_id=price_list.id, variant_id=None, tiers=[])
    assert _tiers(lists.list_tiers(uow, shop_id=shop_id, price_list_id=price_list.id)) == [
        (variant.id, 12, TierKind.FIXED, Decimal("8.50"))
    ]


@pytest.mark.parametrize(
    ("tiers", "field", "message"),
    [
        (
            [{"min_quantity": 10, "kind": "fixed", "value": "8"}] * 2,
            "tiers/1/min_quantity",
            "Two tiers start at 10",
        ),
        (
            [
                {"min_quantity": 20, "kind": "fixed", "value": "8"},
                {"min_quantity": 10, "kind": "fixed", "value": "7"},
            ],
            "tiers/1/min_quantity",
            "must ascend: 10 comes after 20",
        ),
        (
            [
                {"min_quantity": 10, "kind": "fixed", "value": "7"},
                {"min_quantity": 20, "kind": "fixed", "value": "8"},
            ],
            "tiers/1/value",
            "worse for the buyer",
        ),
        (
            [{"min_quantity": 1, "kind": "fixed", "value": "8"}],
            "tiers/0/min_quantity",
            "starts at 2 units or more",
        ),
        (
            [{"min_quantity": 5, "kind": "fixed", "value": "9.01"}],
            "tiers/0/value",
            "above the list price 9.00",
        ),
        ([{"min_quantity": 5, "kind": "fixed", "value": "-1"}], "tiers/0/value", "negative"),
        ([{"min_quantity": 5, "kind": "percent_off", "value": "101"}], "tiers/0/value", "at most 100"),
        (
            [{"min_quantity": "x", "kind": "fixed", "value": "1"}],
            "tiers/0/min_quantity",
            "not a whole number",
        ),
        (
            [{"min_quantity": 5, "kind": "bogus", "value": "1"}],
            "tiers/0/kind",
            "not one of fixed, percent_off",
        ),
    ],
)
def test_replace_tiers_refuses_bad_tiers_and_keeps_the_old_ones(
    uow: UnitOfWork, catalog: Catalog, price_list: PriceList, tiers: list, field: str, message: str
) -> None:
    shop_id, variant = catalog.shop_id, catalog.variants[0]
    lists.set_entry(uow, shop_id=shop_id, price_list_id=price_list.id, variant_id=variant.id, price="9.00")
    lists.replace_tiers(
        uow,
        shop_id=shop_id,
        price_list_id=price_list.id,
        variant_id=variant.id,
        tiers=[TierInput(3, TierKind.PERCENT_OFF, Decimal("2"))],
    )
    before = snapshot(uow)
    with pytest.raises(PricingInputError, match=message) as caught:
        lists.replace_tiers(
            uow, shop_id=shop_id, price_list_id=price_list.id, variant_id=variant.id, tiers=tiers
        )
    assert caught.value.field == field
    assert snapshot(uow) == before


def test_tiers_of_another_shops_variant_are_not_found(
    uow: UnitOfWork, catalog: Catalog, other: Catalog, price_list: PriceList
) -> None:
    before = snapshot(uow)
    with pytest.raises(NotFound, match=f"variant {other.variants[0].id} not found"):
        lists.replace_tiers(
            uow,
            shop_id=catalog.shop_id,
            price_list_id=price_list.id,
            variant_id=other.variants[0].id,
            tiers=[TierInput(3, TierKind.PERCENT_OFF, Decimal("2"))],
        )
    assert snapshot(uow) == before


# -- quantity rules -------------------------------------------------------------------------------


def test_quantity_rules_set_replace_and_remove(
    uow: UnitOfWork, catalog: Catalog, price_list: PriceList
) -> None:
    shop_id, variant = catalog.shop_id, catalog.variants[1]
    wide = lists.set_quantity_rule(
        uow, shop_id=shop_id, price_list_id=price_list.id, variant_id=None, minimum=6, increment=6
    )
    again = lists.set_quantity_rule(
        uow,
        shop_id=shop_id,
        price_list_id=price_list.id,
        variant_id=None,
        minimum="12",
        maximum="120",
        increment=6,
    )
    own = lists.set_quantity_rule(
        uow, shop_id=shop_id, price_list_id=price_list.id, variant_id=variant.id, maximum=5
    )
    assert again.id == wide.id
    rules = lists.list_quantity_rules(uow, shop_id=shop_id, price_list_id=price_list.id)
    assert [(r.variant_id, r.minimum, r.maximum, r.increment) for r in rules] == [
        (None, 12, 120, 6),
        (variant.id, 1, 5, 1),
    ]
    lists.remove_quantity_rule(uow, shop_id=shop_id, price_list_id=price_list.id, variant_id=None)
    assert [r.id for r in lists.list_quantity_rules(uow, shop_id=shop_id, price_list_id=price_list.id)] == [
        own.id
    ]
    before = snapshot(uow)
    with pytest.raises(NotFound, match="no list-wide rule"):
        lists.remove_quantity_rule(uow, shop_id=shop_id, price_list_id=price_list.id, variant_id=None)
    assert snapshot(uow) == before


@pytest.mark.parametrize(
    ("minimum", "maximum", "increment", "field", "message"),
    [
        (5, None, 2, "increment", "the minimum of 5 can never be ordered"),
        (4, 3, 1, "maximum", "below the minimum"),
        (4, 10, 4, "maximum", "not a multiple of the increment"),
        (0, None, 1, "minimum", "at least 1"),
        (1, None, 0, "increment", "at least 1"),
        ("two", None, 1, "minimum", "not a whole number"),
    ],
)
def test_quantity_rules_refuse_unreachable_minimums(
    uow: UnitOfWork,
    catalog: Catalog,
    price_list: PriceList,
    minimum: object,
    maximum: object,
    increment: object,
    field: str,
    message: str,
) -> None:
    before = snapshot(uow)
    with pytest.raises(PricingInputError, match=message) as caught:
        lists.set_quantity_rule(
            uow,
            shop_id=catalog.shop_id,
            price_list_id=price_list.id,
            variant_id=None,
            minimum=minimum,
            maximum=maximum,
            increment=increment,
        )
    assert caught.value.field == field
    assert snapshot(uow) == before


# -- assignments ----------------------------------------------------------------------------------


def test_assign_to_every_kind_of_target(uow: UnitOfWork, catalog: Catalog, price_list: PriceList) -> None:
    shop_id, pid = catalog.shop_id, price_list.id
    lists.add_assignment(uow, shop_id=shop_id, price_list_id=pid, target="default")
    lists.add_assignment(uow, shop_id=shop_id, price_list_id=pid, target="segment", segment_id=7)
    lists.add_assignment(
        uow, shop_id=shop_id, price_list_id=pid, target="customer_tag", customer_tag="  VIP "
    )
    lists.add_assignment(
        uow, shop_id=shop_id, price_list_id=pid, target="customer", customer_id=catalog.customers[0].id
    )
    lists.add_assignment(
        uow, shop_id=shop_id, price_list_id=pid, target="company", company_id=catalog.company.id
    )
    location = lists.add_assignment(
        uow,
        shop_id=shop_id,
        price_list_id=pid,
        target=AssignmentTarget.COMPANY_LOCATION,
        company_location_id=catalog.locations[1].id,
        actor="Ada Admin",
    )
    assert (location.target, location.company_location_id, location.company_id) == (
        AssignmentTarget.COMPANY_LOCATION,
        catalog.locations[1].id,
        None,
    )
    views = lists.list_assignments(uow, shop_id=shop_id, price_list_id=pid)
    assert [(v.assignment.target, v.label) for v in views] == [
        (AssignmentTarget.COMPANY_LOCATION, "Location: Company 1000, Depot 2"),
        (AssignmentTarget.COMPANY, "Company: Company 1000"),
        (AssignmentTarget.CUSTOMER, "Customer: Buyer 1000-0"),
        (AssignmentTarget.CUSTOMER_TAG, "Tag: VIP"),
        (AssignmentTarget.SEGMENT, "Segment 7"),
        (AssignmentTarget.DEFAULT, "Everyone (default list)"),
    ]
    # Accounts' timelines say so: the company's twice (company and location), the customer's once.
    events = uow.session.scalars(
        select(CrmTimelineEvent)
        .where(CrmTimelineEvent.subject_type != SubjectType.PRICE_LIST)  # the list's own: its creation
        .order_by(CrmTimelineEvent.id)
    ).all()
    assert [(e.subject_type, e.kind, e.actor, e.summary) for e in events] == [
        (
            SubjectType.CUSTOMER,
            "customer.price_list_assigned",
            "staff",
            "Price list 'Wholesale' assigned to Buyer 1000-0",
        ),
        (
            SubjectType.COMPANY,
            "company.price_list_assigned",
            "staff",
            "Price list 'Wholesale' assigned to Company 1000",
        ),
        (
            SubjectType.COMPANY,
            "company.price_list_assigned",
            "Ada Admin",
            "Price list 'Wholesale' assigned to the location Depot 2",
        ),
    ]
    assert events[2].company_id == catalog.company.id


def test_remove_assignment_writes_the_timeline(
    uow: UnitOfWork, catalog: Catalog, price_list: PriceList
) -> None:
    assignment = lists.add_assignment(
        uow,
        shop_id=catalog.shop_id,
        price_list_id=price_list.id,
        target="company",
        company_id=catalog.company.id,
    )
    lists.remove_assignment(
        uow,
        shop_id=catalog.shop_id,
        price_list_id=price_list.id,
        assignment_id=assignment.id,
        actor="API: ERP",
    )
    assert lists.list_assignments(uow, shop_id=catalog.shop_id, price_list_id=price_list.id) == []
    last = uow.session.scalars(select(CrmTimelineEvent).order_by(CrmTimelineEvent.id.desc())).first()
    assert last is not None
    assert (last.kind, last.actor, last.summary) == (
        "company.price_list_unassigned",
        "API: ERP",
        "Price list 'Wholesale' unassigned from Company 1000",
    )
    before = snapshot(uow)
    with pytest.raises(NotFound, match=f"assignment {assignment.id} not found"):
        lists.remove_assignment(
            uow, shop_id=catalog.shop_id, price_list_id=price_list.id, assignment_id=assignment.id
        )
    assert snapshot(uow) == before


def test_duplicate_assignments_are_conflicts(
    uow: UnitOfWork, catalog: Catalog, price_list: PriceList
) -> None:
    shop_id, pid = catalog.shop_id, price_list.id
    lists.add_assignment(uow, shop_id=shop_id, price_list_id=pid, target="default")
    lists.add_assignment(uow, shop_id=shop_id, price_list_id=pid, target="customer_tag", customer_tag="vip")
    lists.add_assignment(
        uow, shop_id=shop_id, price_list_id=pid, target="company", company_id=catalog.company.id
    )
    before = snapshot(uow)
    with pytest.raises(Conflict, match="already assigned to everyone"):
        lists.add_assignment(uow, shop_id=shop_id, price_list_id=pid, target="default")
    with pytest.raises(Conflict, match="already assigned to this customer tag"):
        lists.add_assignment(
            uow, shop_id=shop_id, price_list_id=pid, target="customer_tag", customer_tag=" VIP"
        )
    with pytest.raises(Conflict, match="already assigned to this company"):
        lists.add_assignment(
            uow, shop_id=shop_id, price_list_id=pid, target="company", company_id=catalog.company.id
        )
    assert snapshot(uow) == before


def test_assignments_to_another_shops_accounts_are_not_found(
    uow: UnitOfWork, catalog: Catalog, other: Catalog, price_list: PriceList
) -> None:
    shop_id, pid = catalog.shop_id, price_list.id
    catalog.customers[1].deleted_at = utcnow()
    uow.session.flush()
    before = snapshot(uow)
    cases = [
        ({"target": "company", "company_id": other.company.id}, f"company {other.company.id} not found"),
        (
            {"target": "company_location", "company_location_id": other.locations[0].id},
            f"company location {other.locations[0].id} not found",
        ),
        (
            {"target": "customer", "customer_id": other.customers[0].id},
            f"customer {other.customers[0].id} not found",
        ),
        ({"target": "customer", "customer_id": catalog.customers[1].id}, "not found"),
    ]
    for fields, message in cases:
        with pytest.raises(NotFound, match=message):
            lists.add_assignment(uow, shop_id=shop_id, price_list_id=pid, **fields)  # type: ignore[arg-type]
    assert snapshot(uow) == before


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"target": "everyone"}, "target", "not one of company_location, company"),
        ({"target": "company"}, "company_id", "needs company_id"),
        ({"target": "company", "company_id": "12"}, "company_id", "is not an id"),
        ({"target": "default", "customer_id": 5}, "customer_id", "takes no target field"),
        (
            {"target": "company", "company_id": 1, "customer_tag": "x"},
            "customer_tag",
            "takes only company_id",
        ),
        ({"target": "customer_tag", "customer_tag": "  "}, "customer_tag", "non-empty text"),
        ({"target": "customer_tag", "customer_tag": "t" * 256}, "customer_tag", "longer than 255"),
        ({"target": "segment", "segment_id": 0}, "segment_id", "is not an id"),
    ],
)
def test_bad_assignments_are_refused(
    uow: UnitOfWork,
    catalog: Catalog,
    price_list: PriceList,
    fields: dict[str, object],
    field: str,
    message: str,
) -> None:
    before = snapshot(uow)
    with pytest.raises(PricingInputError, match=message) as caught:
        lists.add_assignment(uow, shop_id=catalog.shop_id, price_list_id=price_list.id, **fields)  # type: ignore[arg-type]
    assert caught.value.field == field
    assert snapshot(uow) == before


def test_rules_and_tiers_of_another_shops_variant_or_list_are_not_found(
    uow: UnitOfWork, catalog: Catalog, other: Catalog, price_list: PriceList
) -> None:
    theirs = lists.create_price_list(uow, shop_id=other.shop_id, name="Theirs")
    before = snapshot(uow)
    with pytest.raises(NotFound, match=f"variant {other.variants[0].id} not found"):
        lists.set_quantity_rule(
            uow, shop_id=catalog.shop_id, price_list_id=price_list.id, variant_id=other.variants[0].id
        )
    for call in (
        lambda: lists.list_adjustments(uow, shop_id=catalog.shop_id, price_list_id=theirs.id),
        lambda: lists.list_quantity_rules(uow, shop_id=catalog.shop_id, price_list_id=theirs.id),
        lambda: lists.remove_quantity_rule(
            uow, shop_id=catalog.shop_id, price_list_id=theirs.id, variant_id=None
        ),
        lambda: lists.replace_tiers(
            uow, shop_id=catalog.shop_id, price_list_id=theirs.id, variant_id=None, tiers=[]
        ),
        lambda: lists.set_adjustment(
            uow, shop_id=catalog.shop_id, price_list_id=theirs.id, scope="all", percent="-5"
        ),
    ):
        with pytest.raises(NotFound, match=f"price list {theirs.id} not found"):
            call()
    assert snapshot(uow) == before
