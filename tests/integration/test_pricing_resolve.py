"""pricing.service.resolve on the real database: load_buyer, price_lines, a bounded statement count."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import event, func, insert, select
from sqlalchemy.engine import Engine

from app.db import UnitOfWork, utcnow
from app.errors import InvalidInput, NotFound
from crm.models import CrmProduct, CrmVariant
from pricing import rules
from pricing.models import (
    AdjustmentScope,
    AssignmentTarget,
    Precedence,
    PriceEntry,
    PriceListStatus,
    TierKind,
)
from pricing.rules import Buyer, LineRequest
from pricing.service.resolve import UnknownVariants, load_buyer, load_pricing, price_lines
from pricing.validation import PricingInputError
from tests.pricing_support import (
    add_adjustment,
    add_collection_product,
    add_entry,
    add_rule,
    add_tier,
    assign,
    make_company,
    make_customer,
    make_location,
    make_price_list,
    make_product,
    make_shop,
    make_variant,
    set_precedence,
)


@contextmanager
def count_statements(engine: Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _buyer(**fields: Any) -> Buyer:
    values: dict[str, Any] = {
        "customer_id": None,
        "company_id": None,
        "company_location_id": None,
        "customer_tags": frozenset(),
        "segment_ids": frozenset(),
        "currency": "USD",
    }
    values.update(fields)
    return Buyer(**values)


# ---- load_buyer ------------------------------------------------------------------------------------


def test_load_buyer_takes_the_company_from_the_location_and_lower_cases_tags(uow: UnitOfWork) -> None:
    # given
    shop_id = make_shop(uow)
    company = make_company(uow, shop_id)
    location = make_location(uow, shop_id, company)
    customer = make_customer(uow, shop_id, tags=["VIP", "Wholesale "], company=company)
    # when
    buyer = load_buyer(uow, shop_id=shop_id, customer_id=customer.id, company_location_id=location.id)
    # then
    assert buyer == Buyer(
        customer_id=customer.id,
        company_id=company.id,
        company_location_id=location.id,
        customer_tags=frozenset({"vip", "wholesale"}),
        segment_ids=frozenset(),
        currency="USD",
    )


def test_load_buyer_currency_defaults_to_the_shop_and_can_be_given(uow: UnitOfWork) -> None:
    shop_id = make_shop(uow, currency="CAD")
    assert load_buyer(uow, shop_id=shop_id).currency == "CAD"
    assert load_buyer(uow, shop_id=shop_id, currency="eur").currency == "EUR"
    with pytest.raises(PricingInputError):
        load_buyer(uow, shop_id=shop_id, currency="euro")


@pytest.mark.parametrize("kind", ["customer_id", "company_id", "company_location_id"])
def test_load_buyer_refuses_another_shops_ids_as_not_found(uow: UnitOfWork, kind: str) -> None:
    # given: ids of another shop
    mine = make_shop(uow)
    other = make_shop(uow, domain="other.myshopify.com")
    company = make_company(uow, other)
    ids = {
        "customer_id": make_customer(uow, other).id,
        "company_id": company.id,
        "company_location_id": make_location(uow, other, company).id,
    }
    # when / then
    with pytest.raises(NotFound):
        load_buyer(uow, shop_id=mine, **{kind: ids[kind]})


def test_load_buyer_refuses_a_location_of_another_company(uow: UnitOfWork) -> None:
    shop_id = make_shop(uow)
    location = make_location(uow, shop_id, make_company(uow, shop_id, "A"))
    other = make_company(uow, shop_id, "B")
    with pytest.raises(InvalidInput, match="does not belong"):
        load_buyer(uow, shop_id=shop_id, company_id=other.id, company_location_id=location.id)


# ---- price_lines -----------------------------------------------------------------------------------


def test_price_lines_end_to_end_picks_the_lowest_applicable_price(uow: UnitOfWork) -> None:
    # given: a default list at 10 % off, a tag list with a fixed price, a location list with tiers,
    # a list of another company, and a EUR list
    shop_id = make_shop(uow)
    company = make_company(uow, shop_id)
    location = make_location(uow, shop_id, company)
    customer = make_customer(uow, shop_id, tags=["VIP"], company=company)
    shirt = make_variant(uow, shop_id, price="20.00")
    hat = make_variant(uow, shop_id, price="15.00")
    default = make_price_list(uow, shop_id, "Default wholesale", default=True)
    add_adjustment(uow, default, "-10")
    vip = make_price_list(uow, shop_id, "VIP")
    assign(uow, vip, AssignmentTarget.CUSTOMER_TAG, "vip")
    add_entry(uow, vip, shirt, "17.50")
    branch = make_price_list(uow, shop_id, "Branch")
    assign(uow, branch, AssignmentTarget.COMPANY_LOCATION, location)
    add_entry(uow, branch, shirt, "18.00")
    add_tier(uow, branch, 10, "16.00", variant=shirt)
    stranger = make_price_list(uow, shop_id, "Someone else")
    assign(uow, stranger, AssignmentTarget.COMPANY, make_company(uow, shop_id, "Other Co"))
    add_entry(uow, stranger, shirt, "1.00")
    euro = make_price_list(uow, shop_id, "Euro", currency="EUR")
    assign(uow, euro, AssignmentTarget.COMPANY, company)
    buyer = load_buyer(uow, shop_id=shop_id, customer_id=customer.id, company_location_id=location.id)
    # when
    cart = price_lines(
        uow,
        shop_id=shop_id,
        buyer=buyer,
        lines=[LineRequest(shirt.id, 2), LineRequest(shirt.id, 10), LineRequest(hat.id, 3)],
    )
    # then
    few, many, hats = cart.lines
    assert (few.unit_price, few.price_list_id, few.source) == (Decimal("17.50"), vip.id, "fixed")
    assert (many.unit_price, many.price_list_id, many.source, many.tier_min_quantity) == (
        Decimal("16.00"),
        branch.id,
        "tier",
        10,
    )
    assert (hats.unit_price, hats.price_list_id, hats.source) == (Decimal("13.50"), default.id, "adjustment")
    assert hats.line_total == Decimal("40.50")
    assert cart.subtotal == Decimal("35.00") + Decimal("160.00") + Decimal("40.50")
    outcomes = {c.price_list_name: (c.outcome, c.reason) for c in few.candidates}
    assert outcomes == {
        "VIP": ("won", "won: 17.50, fixed price; assigned to customer tag 'vip'"),
        "Default wholesale": ("lost", "lost: 18.00 is above the winning 17.50"),
        "Branch": ("lost", "lost: 18.00 is above the winning 17.50"),
        "Euro": ("not_applicable", "not applicable: in EUR, the buyer pays in USD"),
    }
    assert "Someone else" not in {c.price_list_name for c in many.candidates}
    assert few.explanation.startswith("VIP (assigned to customer tag 'vip') sets 17.50 USD")


def test_collection_adjustments_reach_variants_through_product_membership(uow: UnitOfWork) -> None:
    # given: a list with 20 % off collection 77 and 5 % off everything else
    shop_id = make_shop(uow)
    in_collection = make_product(uow, shop_id)
    elsewhere = make_product(uow, shop_id)
    member = make_variant(uow, shop_id, in_collection, price="50.00")
    other = make_variant(uow, shop_id, elsewhere, price="50.00")
    add_collection_product(uow, shop_id, 77, in_collection)
    price_list = make_price_list(uow, shop_id, default=True)
    add_adjustment(uow, price_list, "-20", scope=AdjustmentScope.COLLECTION, scope_shopify_id=77)
    add_adjustment(uow, price_list, "-5")
    # when
    cart = price_lines(
        uow, shop_id=shop_id, buyer=_buyer(), lines=[LineRequest(member.id, 1), LineRequest(other.id, 1)]
    )
    # then
    assert [line.unit_price for line in cart.lines] == [Decimal("40.00"), Decimal("47.50")]


def test_quantity_rules_and_order_minimum_come_from_the_winning_list(uow: UnitOfWork) -> None:
    shop_id = make_shop(uow)
    variant = make_variant(uow, shop_id, price="10.00")
    price_list = make_price_list(uow, shop_id, "Case pack", default=True, order_minimum="100.00")
    add_entry(uow, price_list, variant, "8.00")
    add_rule(uow, price_list, minimum=6, maximum=60, increment=6)
    cart = price_lines(uow, shop_id=shop_id, buyer=_buyer(), lines=[LineRequest(variant.id, 4)])
    assert [v.code for v in cart.lines[0].violations] == ["below_minimum", "not_increment"]
    assert [(v.code, v.price_list_id) for v in cart.violations] == [("below_order_minimum", price_list.id)]


def test_precedence_priority_comes_from_the_shop_settings(uow: UnitOfWork) -> None:
    shop_id = make_shop(uow)
    set_precedence(uow, shop_id, Precedence.PRIORITY)
    variant = make_variant(uow, shop_id, price="10.00")
    cheap = make_price_list(uow, shop_id, "Cheap", default=True, priority=1)
    add_entry(uow, cheap, variant, "5.00")
    contract = make_price_list(uow, shop_id, "Contract", default=True, priority=9)
    add_entry(uow, contract, variant, "7.00")
    cart = price_lines(uow, shop_id=shop_id, buyer=_buyer(), lines=[LineRequest(variant.id, 1)])
    assert (cart.lines[0].unit_price, cart.lines[0].price_list_id) == (Decimal("7.00"), contract.id)


def test_activate_simulates_a_draft_and_exclude_ignores_a_list(uow: UnitOfWork) -> None:
    # given: an active list at 9.00 and a future draft at 8.00
    shop_id = make_shop(uow)
    variant = make_variant(uow, shop_id, price="10.00")
    live = make_price_list(uow, shop_id, "Live", default=True)
    add_entry(uow, live, variant, "9.00")
    draft = make_price_list(
        uow,
        shop_id,
        "Draft",
        default=True,
        status=PriceListStatus.DRAFT,
        starts_at=utcnow() + timedelta(days=9),
    )
    add_entry(uow, draft, variant, "8.00")
    lines = [LineRequest(variant.id, 1)]
    # when / then
    plain = price_lines(uow, shop_id=shop_id, buyer=_buyer(), lines=lines).lines[0]
    assert plain.unit_price == Decimal("9.00")
    assert [(c.price_list_name, c.reason) for c in plain.candidates][1] == (
        "Draft",
        "not applicable: it is a draft",
    )
    simulated = price_lines(uow, shop_id=shop_id, buyer=_buyer(), lines=lines, activate=[draft.id]).lines[0]
    assert (simulated.unit_price, simulated.price_list_id) == (Decimal("8.00"), draft.id)
    replaced = price_lines(
        uow, shop_id=shop_id, buyer=_buyer(), lines=lines, activate=[draft.id], exclude=[live.id]
    ).lines[0]
    assert [c.price_list_name for c in replaced.candidates] == ["Draft"]


def test_a_list_outside_its_window_is_explained_not_applied(uow: UnitOfWork) -> None:
    shop_id = make_shop(uow)
    variant = make_variant(uow, shop_id, price="10.00")
    ended = make_price_list(uow, shop_id, "Summer", default=True, ends_at=utcnow() - timedelta(days=1))
    add_entry(uow, ended, variant, "5.00")
    line = price_lines(uow, shop_id=shop_id, buyer=_buyer(), lines=[LineRequest(variant.id, 1)]).lines[0]
    assert (line.unit_price, line.source) == (Decimal("10.00"), "retail")
    assert line.candidates[0].reason == f"not applicable: ended {ended.ends_at.date().isoformat()}"


def test_a_buyer_paying_in_another_currency_gets_fixed_prices_or_no_price(uow: UnitOfWork) -> None:
    shop_id = make_shop(uow)
    priced = make_variant(uow, shop_id, price="10.00")
    unpriced = make_variant(uow, shop_id, price="10.00")
    euro = make_price_list(uow, shop_id, "Euro", currency="EUR", default=True)
    add_entry(uow, euro, priced, "9.00")
    add_adjustment(uow, euro, "-10")
    cart = price_lines(
        uow,
        shop_id=shop_id,
        buyer=_buyer(currency="EUR"),
        lines=[LineRequest(priced.id, 1), LineRequest(unpriced.id, 2)],
    )
    first, second = cart.lines
    assert (first.unit_price, first.currency, first.base_price) == (Decimal("9.00"), "EUR", None)
    assert (second.unit_price, second.line_total, second.source) == (None, None, "none")
    assert [v.code for v in second.violations] == ["no_price"]
    assert cart.subtotal == Decimal("9.00")


def test_unknown_and_other_shop_variants_are_rejected_with_their_ids(uow: UnitOfWork) -> None:
    shop_id = make_shop(uow)
    other = make_shop(uow, domain="other.myshopify.com")
    mine = make_variant(uow, shop_id)
    theirs = make_variant(uow, other)
    with pytest.raises(UnknownVariants) as raised:
        price_lines(
            uow,
            shop_id=shop_id,
            buyer=_buyer(),
            lines=[LineRequest(mine.id, 1), LineRequest(theirs.id, 1), LineRequest(987654321, 1)],
        )
    assert raised.value.variant_ids == tuple(sorted((theirs.id, 987654321)))
    assert isinstance(raised.value, InvalidInput)


def test_the_collector_is_paused_while_price_lines_loads_and_prices_and_resumed_after(
    uow: UnitOfWork, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop_id = make_shop(uow)
    variant = make_variant(uow, shop_id, price="20.00")
    add_adjustment(uow, make_price_list(uow, shop_id, "Default", default=True), "-10")
    collecting: list[bool] = []
    engine_price_cart = rules.price_cart

    def watched(*args: Any, **kwargs: Any) -> Any:
        collecting.append(gc.isenabled())
        return engine_price_cart(*args, **kwargs)

    monkeypatch.setattr(rules, "price_cart", watched)
    cart = price_lines(uow, shop_id=shop_id, buyer=_buyer(), lines=[LineRequest(variant.id, 1)])
    assert (cart.lines[0].unit_price, collecting, gc.isenabled()) == (Decimal("18.00"), [False], True)
    with pytest.raises(UnknownVariants):
        price_lines(uow, shop_id=shop_id, buyer=_buyer(), lines=[LineRequest(987654321, 1)])
    assert gc.isenabled()
    gc.disable()  # paused by someone else: left paused
    try:
        price_lines(uow, shop_id=shop_id, buyer=_buyer(), lines=[LineRequest(variant.id, 1)])
        assert not gc.isenabled()
    finally:
        gc.enable()


@pytest.mark.parametrize("quantity", [0, -3])
def test_a_quantity_below_one_is_refused(uow: UnitOfWork, quantity: int) -> None:
    shop_id = make_shop(uow)
    variant = make_variant(uow, shop_id)
    with pytest.raises(PricingInputError, match="at least 1"):
        price_lines(uow, shop_id=shop_id, buyer=_buyer(), lines=[LineRequest(variant.id, quantity)])


def test_load_pricing_without_a_buyer_loads_every_list_of_the_shop(uow: UnitOfWork) -> None:
    shop_id = make_shop(uow)
    variant = make_variant(uow, shop_id)
    a = make_price_list(uow, shop_id, "A")
    assign(uow, a, AssignmentTarget.CUSTOMER_TAG, "gold")
    make_price_list(uow, shop_id, "B", status=PriceListStatus.ARCHIVED)
    other = make_shop(uow, domain="other.myshopify.com")
    make_price_list(uow, other, "Theirs", default=True)
    data = load_pricing(uow, shop_id=shop_id, variant_ids=[variant.id])
    assert [info.name for info in data.lists] == ["A", "B"]
    assert data.lists[0].assignments[0].customer_tag == "gold"


# ---- statements ------------------------------------------------------------------------------------


def _big_catalog(uow: UnitOfWork, shop_id: int, count: int) -> list[int]:
    """`count` variants (one product each) bulk-inserted; returns their ids."""
    first = 5_000_000
    uow.session.execute(
        insert(CrmProduct),
        [{"shop_id": shop_id, "shopify_id": first + i, "title": f"P{i}"} for i in range(count)],
    )
    products = dict(
        uow.session.execute(
            select(CrmProduct.shopify_id, CrmProduct.id).where(CrmProduct.shop_id == shop_id)
        ).all()
    )
    uow.session.execute(
        insert(CrmVariant),
        [
            {
                "shop_id": shop_id,
                "shopify_id": 7_000_000 + i,
                "product_id": products[first + i],
                "sku": f"SKU{i}",
                "price": Decimal("10.00") + i % 7,
            }
            for i in range(count)
        ],
    )
    return list(
        uow.session.scalars(
            select(CrmVariant.id).where(CrmVariant.shop_id == shop_id).order_by(CrmVariant.id)
        )
    )


def test_price_lines_issues_the_same_few_statements_for_1_and_1000_lines(
    uow: UnitOfWork, engine: Engine
) -> None:
    # given: 1,000 variants, three lists with entries, adjustments, tiers, rules and a collection
    shop_id = make_shop(uow)
    ids = _big_catalog(uow, shop_id, 1000)
    company = make_company(uow, shop_id)
    lists = [make_price_list(uow, shop_id, f"L{n}", default=(n == 0)) for n in range(3)]
    assign(uow, lists[1], AssignmentTarget.COMPANY, company)
    assign(uow, lists[2], AssignmentTarget.CUSTOMER_TAG, "vip")
    uow.session.execute(
        insert(PriceEntry),
        [
            {"shop_id": shop_id, "price_list_id": lists[n].id, "variant_id": v, "price": Decimal("9.00") - n}
            for n in range(2)
            for v in ids[n::2]
        ],
    )
    add_adjustment(uow, lists[2], "-12")
    add_adjustment(uow, lists[2], "-30", scope=AdjustmentScope.COLLECTION, scope_shopify_id=42)
    first_product = uow.session.scalar(
        select(CrmProduct).where(
            CrmProduct.id
            == select(func.min(CrmProduct.id)).where(CrmProduct.shop_id == shop_id).scalar_subquery()
        )
    )
    add_collection_product(uow, shop_id, 42, first_product)
    add_tier(uow, lists[0], 10, "5", kind=TierKind.PERCENT_OFF)
    add_rule(uow, lists[1], minimum=2)
    buyer = _buyer(company_id=company.id, customer_tags=frozenset({"vip"}))
    one = [LineRequest(ids[0], 12)]
    thousand = [LineRequest(v, 12) for v in ids]
    price_lines(uow, shop_id=shop_id, buyer=buyer, lines=one)  # warm caches: compiled SQL, the shop row
    # when
    with count_statements(engine) as for_one:
        small = price_lines(uow, shop_id=shop_id, buyer=buyer, lines=one)
    with count_statements(engine) as for_thousand:
        large = price_lines(uow, shop_id=shop_id, buyer=buyer, lines=thousand)
    with count_statements(engine) as for_reading:
        explained = [tuple(line.candidates) for line in large.lines]  # built when read, from memory
    # then
    assert len(for_one) == len(for_thousand) == 4
    assert for_reading == []
    assert all(candidates[0].outcome == "won" for candidates in explained)
    assert len(large.lines) == 1000
    assert large.lines[0] == small.lines[0]
    assert large.lines[0].unit_price == Decimal("7.00")  # collection 42: 10.00 - 30 %
    assert {line.source for line in large.lines} == {"fixed", "adjustment", "tier"}
