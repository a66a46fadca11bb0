"""The simulator on a small hand-built order history: exact totals per account, the replaced list, the
months window, what cannot be priced, and a statement count that does not grow with the orders.

The book (USD, "now" = NOW):
- "Standard" (active, every buyer): 10 % off retail → A 9.00, B 18.00 (retail A 10.00, B 20.00).
- "Contract" (active, companies Acme and Globex): A 8.00, B 17.00.
- "Contract 2027" (draft, Acme and Globex): A 7.00, B 19.00 — it lowers A and, replacing "Contract",
  raises B to the Standard 18.00. Acme buys mostly A (falls), Globex mostly B (rises).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from app.errors import NotFound
from crm.models import CrmCustomerTag, CrmOrder
from pricing.models import AssignmentTarget, PriceListStatus, TierKind
from pricing.rules import LineRequest
from pricing.service import simulate as simulator
from pricing.service.resolve import load_buyer, price_lines
from pricing.service.simulate import UnpricedReason
from pricing.validation import PricingInputError
from tests.pricing_support import (
    add_adjustment,
    add_entry,
    add_tier,
    assign,
    make_company,
    make_customer,
    make_location,
    make_price_list,
    make_shop,
    make_variant,
)
from tests.pricing_tools_support import Line, StatementCount, bulk_orders, make_order

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def days_ago(days: int) -> datetime:
    return NOW - timedelta(days=days)


@pytest.fixture
def book(uow):
    shop_id = make_shop(uow, "sim.myshopify.com")
    a = make_variant(uow, shop_id, price="10.00", sku="A")
    b = make_variant(uow, shop_id, price="20.00", sku="B")
    gone = make_variant(uow, shop_id, price="5.00", sku="GONE")
    gone.deleted_at = days_ago(1)
    acme, globex = make_company(uow, shop_id, "Acme"), make_company(uow, shop_id, "Globex")
    acme_hq, globex_hq = make_location(uow, shop_id, acme), make_location(uow, shop_id, globex)
    ana = make_customer(uow, shop_id, company=acme, email="ana@acme.example")
    ben = make_customer(uow, shop_id, company=globex, email="ben@globex.example")
    dev = make_customer(uow, shop_id, email="dev@example.com")

    standard = make_price_list(uow, shop_id, "Standard", default=True)
    add_adjustment(uow, standard, "-10")
    contract = make_price_list(uow, shop_id, "Contract")
    draft = make_price_list(uow, shop_id, "Contract 2027", status=PriceListStatus.DRAFT)
    for price_list, price_a, price_b in ((contract, "8.00", "17.00"), (draft, "7.00", "19.00")):
        assign(uow, price_list, AssignmentTarget.COMPANY, acme)
        assign(uow, price_list, AssignmentTarget.COMPANY, globex)
        add_entry(uow, price_list, a, price_a)
        add_entry(uow, price_list, b, price_b)

    acme_buys = dict(customer=ana, company=acme, location=acme_hq)
    make_order(
        uow,
        shop_id,
        processed_at=days_ago(10),
        **acme_buys,
        lines=[
            Line(a, 10, "8.50"),
            Line(b, 1, "17.50"),
            Line(gone, 3, "5.00"),
            Line(None, 1, "12.00"),
        ],
    )
    make_order(
        uow,
        shop_id,
        processed_at=days_ago(40),
        customer=ben,
        company=globex,
        location=globex_hq,
        lines=[Line(a, 1, "9.00"), Line(b, 12, "18.00", discount="5.00")],
    )
    make_order(
        uow,
        shop_id,
        processed_at=days_ago(20),
        customer=dev,
        lines=[Line(a, 2, "10.00"), Line(555_000_111, 1, "4.00"), Line(b, 4, "20.00", kept=0)],
    )
    make_order(uow, shop_id, processed_at=days_ago(15), lines=[Line(b, 1, "20.00")])  # a guest checkout
    make_order(uow, shop_id, processed_at=days_ago(100), **acme_buys, lines=[Line(a, 100, "8.00")])
    # Not counted: cancelled, test, deleted.
    make_order(
        uow, shop_id, processed_at=days_ago(5), cancelled=True, **acme_buys, lines=[Line(a, 50, "8.00")]
    )
    make_order(uow, shop_id, processed_at=days_ago(5), test=True, customer=ben, lines=[Line(b, 50, "18.00")])
    make_order(
        uow, shop_id, processed_at=days_ago(5), deleted=True, customer=dev, lines=[Line(a, 50, "9.00")]
    )
    # Another shop's order of the same variant ids is not this shop's revenue.
    other_shop = make_shop(uow, "other-sim.myshopify.com")
    make_order(uow, other_shop, processed_at=days_ago(5), lines=[Line(a.shopify_id, 70, "9.00")])
    uow.session.flush()
    return SimpleNamespace(
        shop_id=shop_id,
        other_shop=other_shop,
        draft=draft,
        contract=contract,
        standard=standard,
        acme=acme,
        globex=globex,
        dev=dev,
        a=a,
        b=b,
    )


def by_name(result: simulator.SimulationResult) -> dict[str, simulator.AccountChange]:
    return {account.name: account for account in result.accounts}


def test_draft_replacing_a_list_lowers_one_company_and_raises_another(uow, book):
    # when
    result = simulator.simulate(
        uow,
        shop_id=book.shop_id,
        draft_price_list_id=book.draft.id,
        replaces_price_list_id=book.contract.id,
        months=3,
        now=NOW,
    )

    # then: 4 counted orders in 3 months (not the 100-day-old one, nor the cancelled/test/deleted ones)
    assert (result.orders, result.lines) == (4, 6)
    assert result.window_start == datetime(2026, 8, 20, 12, 0, tzinfo=UTC)
    assert result.before == Decimal("345.00")  # 97.00 Acme + 212.00 Globex + 18.00 dev + 18.00 guest
    assert result.after == Decimal("347.00")
    assert result.change == Decimal("2.00")
    assert result.change_pct == Decimal("0.58")
    assert result.paid == Decimal("362.50")  # what those lines were paid back then, for context
    accounts = by_name(result)
    assert [a.name for a in result.accounts] == [
        "Globex",
        "dev@example.com",
        "Orders without a customer",
        "Acme",
    ]
    globex, acme = accounts["Globex"], accounts["Acme"]
    assert (globex.before, globex.after, globex.change, globex.change_pct) == (
        Decimal("212.00"),
        Decimal("223.00"),
        Decimal("11.00"),
        Decimal("5.19"),
    )
    assert (acme.before, acme.after, acme.change, acme.change_pct) == (
        Decimal("97.00"),
        Decimal("88.00"),
        Decimal("-9.00"),
        Decimal("-9.28"),
    )
    assert (acme.kind, acme.account_id, acme.orders, acme.paid) == (
        "company",
        book.acme.id,
        1,
        Decimal("102.50"),
    )
    assert accounts["dev@example.com"].kind == "customer"
    assert accounts["dev@example.com"].change == Decimal("0.00")
    assert accounts["Orders without a customer"].kind == "guest"
    # The rise, and the line driving it: B at 17.00 → 18.00 for 12 units.
    assert [a.name for a in result.rises] == ["Globex"]
    [line] = globex.top_lines
    assert (line.variant_id, line.sku, line.quantity, line.before, line.after, line.change) == (
        book.b.id,
        "B",
        12,
        Decimal("204.00"),
        Decimal("216.00"),
        Decimal("12.00"),
    )
    assert acme.top_lines == ()
    assert [a.name for a in result.falls] == ["Acme"]


def test_lines_that_cannot_be_priced_are_counted_by_reason_and_left_out(uow, book):
    result = simulator.simulate(
        uow, shop_id=book.shop_id, draft_price_list_id=book.draft.id, months=3, now=NOW
    )

    groups = {(g.reason, g.lines, g.quantity, g.paid) for g in result.unpriced}
    assert groups == {
        (UnpricedReason.DELETED, 1, 3, Decimal("15.00")),
        (UnpricedReason.CUSTOM, 1, 1, Decimal("12.00")),
        (UnpricedReason.UNKNOWN, 1, 1, Decimal("4.00")),
    }
    assert result.unpriced_lines == 3  # the fully refunded line (kept 0) is no revenue at all


def test_without_replacing_the_draft_only_adds_lower_prices(uow, book):
    result = simulator.simulate(
        uow, shop_id=book.shop_id, draft_price_list_id=book.draft.id, months=3, now=NOW
    )

    accounts = by_name(result)
    assert accounts["Acme"].after == Decimal("87.00")  # A 7.00 x 10 + B 17.00 (Contract still applies)
    assert accounts["Globex"].after == Decimal("211.00")  # A 7.00 + B 17.00 x 12
    assert (result.before, result.after, result.change) == (
        Decimal("345.00"),
        Decimal("334.00"),
        Decimal("-11.00"),
    )
    assert result.rises == ()


def test_months_window_takes_older_orders_in(uow, book):
    result = simulator.simulate(
        uow,
        shop_id=book.shop_id,
        draft_price_list_id=book.draft.id,
        replaces_price_list_id=book.contract.id,
        months=4,
        now=NOW,
    )

    acme = by_name(result)["Acme"]
    assert (result.orders, acme.orders) == (5, 2)
    assert (acme.before, acme.after) == (Decimal("897.00"), Decimal("788.00"))
    assert (result.before, result.after) == (Decimal("1145.00"), Decimal("1047.00"))


def test_no_orders_in_the_window_is_an_empty_result(uow, book):
    result = simulator.simulate(
        uow, shop_id=book.shop_id, draft_price_list_id=book.draft.id, months=1, now=NOW - timedelta(days=400)
    )

    assert (result.orders, result.before, result.after, result.change_pct, result.accounts) == (
        0,
        Decimal(0),
        Decimal(0),
        None,
        (),
    )


@pytest.mark.parametrize("months", [0, 25])
def test_months_outside_1_to_24_are_refused(uow, book, months):
    with pytest.raises(PricingInputError) as error:
        simulator.simulate(
            uow, shop_id=book.shop_id, draft_price_list_id=book.draft.id, months=months, now=NOW
        )
    assert (error.value.field, error.value.detail) == (
        "months",
        f"Choose between 1 and 24 months, not {months}",
    )


def test_only_a_draft_can_be_simulated(uow, book):
    with pytest.raises(PricingInputError) as error:
        simulator.simulate(uow, shop_id=book.shop_id, draft_price_list_id=book.contract.id, now=NOW)
    assert error.value.field == "draft"
    assert error.value.detail == "“Contract” is active, not a draft: duplicate it and simulate the copy"


def test_a_draft_cannot_replace_itself(uow, book):
    with pytest.raises(PricingInputError) as error:
        simulator.simulate(
            uow,
            shop_id=book.shop_id,
            draft_price_list_id=book.draft.id,
            replaces_price_list_id=book.draft.id,
            now=NOW,
        )
    assert error.value.field == "replaces"


def test_another_shops_lists_are_not_found(uow, book):
    foreign = make_price_list(uow, book.other_shop, "Theirs", status=PriceListStatus.DRAFT)
    with pytest.raises(NotFound):
        simulator.simulate(uow, shop_id=book.shop_id, draft_price_list_id=foreign.id, now=NOW)
    with pytest.raises(NotFound):
        simulator.simulate(
            uow,
            shop_id=book.shop_id,
            draft_price_list_id=book.draft.id,
            replaces_price_list_id=foreign.id,
            now=NOW,
        )


def test_statement_count_does_not_grow_with_the_orders(uow, engine, book):
    buyers = [
        (None, book.acme.id, None),
        (book.dev.id, None, None),
        (None, book.globex.id, None),
    ]

    log_statements: list[str] = []

    def run() -> tuple[int, int]:
        with StatementCount(engine) as log:
            result = simulator.simulate(
                uow,
                shop_id=book.shop_id,
                draft_price_list_id=book.draft.id,
                replaces_price_list_id=book.contract.id,
                months=3,
                now=NOW,
            )
        log_statements[:] = log.statements
        return log.count, result.orders

    bulk_orders(
        uow,
        book.shop_id,
        count=5,
        start=days_ago(60),
        spacing=timedelta(hours=1),
        buyers=buyers,
        variants=[book.a, book.b],
    )
    uow.session.expire_all()
    few_statements, few_orders = run()
    bulk_orders(
        uow,
        book.shop_id,
        count=300,
        start=days_ago(50),
        spacing=timedelta(minutes=10),
        buyers=buyers,
        variants=[book.a, book.b],
    )
    uow.session.expire_all()
    many_statements, many_orders = run()

    assert (few_orders, many_orders) == (9, 309)
    assert few_statements == many_statements
    # 7 of the simulator (lists, shop, orders, lines, tags, locations) + 2 names + 1 SKU, + 2 engine loads
    assert many_statements <= 20, log_statements


def test_pricing_classes_and_tier_bands_equal_pricing_each_order_on_its_own(uow, book):
    # given: tiers on both sides and a tag list, so bands and classes matter
    add_tier(uow, book.draft, 5, "6.50", variant=book.a)
    add_tier(uow, book.contract, 12, "5", kind=TierKind.PERCENT_OFF)
    vip = make_price_list(uow, book.shop_id, "VIP")
    assign(uow, vip, AssignmentTarget.CUSTOMER_TAG, "VIP")
    add_entry(uow, vip, book.b, "17.50")
    uow.session.add(CrmCustomerTag(shop_id=book.shop_id, customer_id=book.dev.id, tag="vip"))
    uow.session.flush()

    # when
    result = simulator.simulate(
        uow,
        shop_id=book.shop_id,
        draft_price_list_id=book.draft.id,
        replaces_price_list_id=book.contract.id,
        months=4,
        now=NOW,
    )

    # then: the same per-account totals as pricing every order with price_lines, one by one
    expected: dict[str, list[Decimal]] = {}
    orders = uow.session.scalars(
        select(CrmOrder).where(
            CrmOrder.shop_id == book.shop_id,
            CrmOrder.processed_at >= days_ago(122),
            CrmOrder.cancelled_at.is_(None),
            CrmOrder.deleted_at.is_(None),
            CrmOrder.test.is_(False),
        )
    ).all()
    live = {book.a.shopify_id: book.a.id, book.b.shopify_id: book.b.id}
    for order in orders:
        lines = [
            LineRequest(live[line.shopify_variant_id], line.current_quantity or line.quantity)
            for line in order.lines
            if line.shopify_variant_id in live and line.current_quantity != 0
        ]
        buyer = load_buyer(
            uow,
            shop_id=book.shop_id,
            customer_id=order.customer_id,
            company_location_id=order.company_location_id,
        )
        name = order.company.name if order.company else order.customer.email if order.customer else None
        totals = expected.setdefault(name or "Orders without a customer", [Decimal(0), Decimal(0)])
        for side, extra in enumerate(({}, {"activate": [book.draft.id], "exclude": [book.contract.id]})):
            cart = price_lines(uow, shop_id=book.shop_id, buyer=buyer, lines=lines, at=NOW, **extra)
            totals[side] += sum((line.line_total for line in cart.lines), Decimal(0))
    assert {a.name: [a.before, a.after] for a in result.accounts} == expected
    assert by_name(result)["Acme"].after == Decimal(
        "733.00"
    )  # 110 A at the 6.50 tier + 1 B at Standard 18.00


def test_a_window_with_more_orders_than_a_run_takes_is_refused(uow, book, monkeypatch):
    monkeypatch.setattr(simulator, "MAX_ORDERS", 3)

    with pytest.raises(PricingInputError) as error:
        simulator.simulate(uow, shop_id=book.shop_id, draft_price_list_id=book.draft.id, months=3, now=NOW)
    assert (error.value.field, error.value.detail) == (
        "months",
        "More than 3 orders in the last 3 months: choose fewer months",
    )
