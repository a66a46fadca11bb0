"""The price explainer and the simulator through the Flask client: results, bad input (422 by its
field, nothing changed), another shop's ids (404) and CSRF on the simulator's POST.

The book (USD): A-1 retail 10.00, B-2 retail 20.00.
- "Standard" (active, every buyer): 10 % off → A-1 9.00, B-2 18.00.
- "Acme contract" (active, company Acme): A-1 8.00, from 10 units 7.50.
- "Spring" (draft, company Acme): A-1 6.00.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from app.auth.local import CSRF_SESSION_KEY
from pricing.models import AssignmentTarget, PriceEntry, PriceList, PriceListStatus
from tests.admin_support import card_html, sign_in
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
from tests.pricing_tools_support import Line, make_order

CSRF = "tools-csrf-token"
NOW = datetime.now(UTC)


@pytest.fixture
def book(uow):
    shop_id = make_shop(uow, "tools.myshopify.com", "USD")
    a = make_variant(uow, shop_id, price="10.00", sku="A-1", title="Small")
    b = make_variant(uow, shop_id, price="20.00", sku="B-2", title="Large")
    acme = make_company(uow, shop_id, "Acme")
    hq = make_location(uow, shop_id, acme, "Austin HQ")
    ana = make_customer(uow, shop_id, company=acme, tags=["VIP"], email="ana@acme.example")
    standard = make_price_list(uow, shop_id, "Standard", default=True)
    add_adjustment(uow, standard, "-10")
    contract = make_price_list(uow, shop_id, "Acme contract")
    assign(uow, contract, AssignmentTarget.COMPANY, acme)
    add_entry(uow, contract, a, "8.00")
    add_tier(uow, contract, 10, "7.50", variant=a)
    draft = make_price_list(uow, shop_id, "Spring", status=PriceListStatus.DRAFT)
    assign(uow, draft, AssignmentTarget.COMPANY, acme)
    add_entry(uow, draft, a, "6.00")

    other = make_shop(uow, "rival.myshopify.com", "USD")
    rival_company = make_company(uow, other, "Rival")
    uow.commit()
    return SimpleNamespace(
        shop_id=shop_id,
        a=a,
        b=b,
        acme=acme,
        hq=hq,
        ana=ana,
        standard=standard,
        contract=contract,
        draft=draft,
        rival_location=make_location(uow, other, rival_company),
        rival_customer=make_customer(uow, other),
        rival_draft=make_price_list(uow, other, "Rival draft", status=PriceListStatus.DRAFT),
    )


@pytest.fixture
def signed_in(client, book, uow):
    uow.commit()
    sign_in(client, book.shop_id)
    with client.session_transaction() as session:
        session[CSRF_SESSION_KEY] = CSRF
    return client


def text_of(html: str) -> str:
    """The page's visible text, tags removed and whitespace collapsed."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


def cell(html: str, line: int, name: str) -> str:
    match = re.search(rf'<tr data-line="{line}">.*?data-{name}>(.*?)</td>', html, re.S)
    assert match is not None, f"no {name} for line {line}"
    return text_of(match.group(1))


def snapshot(uow) -> tuple:
    """What a page must never change: lists, their status and their entries."""
    lists = uow.session.execute(select(PriceList.id, PriceList.status).order_by(PriceList.id)).all()
    entries = uow.session.scalar(select(func.count()).select_from(PriceEntry))
    return tuple(lists), entries


# -- the explainer -------------------------------------------------------------------------------


def test_explainer_form_renders_with_buyers_and_drafts(signed_in, book):
    response = signed_in.get("/pricing/explain")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Buyer and cart" in html
    assert f'<option value="{book.hq.id}">Acme — Austin HQ</option>' in html
    assert f'<option value="{book.ana.id}">ana@acme.example</option>' in html
    assert f'<option value="{book.draft.id}">Spring (draft, USD)</option>' in html
    assert "Pick a buyer and a few SKUs" in html


def test_explainer_prices_each_line_and_says_why(signed_in, book):
    response = signed_in.get(
        "/pricing/explain",
        query_string={"location": book.hq.id, "customer": book.ana.id, "lines": "A-1, 12\nB-2 1"},
    )

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert (cell(html, 1, "unit-price"), cell(html, 1, "line-total")) == ("$7.50 $10.00", "$90.00")
    assert (cell(html, 2, "unit-price"), cell(html, 2, "line-total")) == ("$18.00 $20.00", "$18.00")
    assert text_of(re.search(r"data-subtotal>(.*?)</td>", html, re.S).group(1)) == "$108.00"
    assert "ana@acme.example buying for Acme — Austin HQ" in text_of(html)
    why = text_of(card_html(html, "why"))
    assert "Acme contract (assigned to the company) sets 7.50 USD" in why
    assert "Won" in why and "Lost" in why
    assert "Lost: 9.00 is above the winning 7.50" in why


def test_explainer_can_include_a_draft(signed_in, book):
    response = signed_in.get(
        "/pricing/explain", query_string={"location": book.hq.id, "lines": "A-1, 12", "draft": book.draft.id}
    )

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert cell(html, 1, "unit-price") == "$6.00 $10.00"
    assert "“Spring” is priced as if it were active." in text_of(html)


def test_explainer_without_a_buyer_prices_in_a_currency(signed_in, book):
    response = signed_in.get("/pricing/explain", query_string={"lines": "A-1", "currency": "USD"})

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert cell(html, 1, "unit-price") == "$9.00 $10.00"
    assert "Any buyer paying in USD" in text_of(html)


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"lines": "A-1, 2\nNOPE, 1"}, "lines", "Line 2: no variant has the SKU “NOPE”"),
        ({"lines": "A-1, lots"}, "lines", "Line 1: the quantity 'lots' is not a whole number"),
        ({"lines": "A-1, 0"}, "lines", "Line 1: the quantity must be at least 1, not 0"),
        ({"lines": "  "}, "lines", "Enter at least one SKU, with a quantity: “SKU, 12”"),
        ({"lines": "A-1", "currency": "dollars"}, "currency", "'dollars' is not a currency code such as USD"),
        ({"lines": "A-1", "location": "HQ"}, "location", "Choose a company location from the list"),
    ],
)
def test_explainer_bad_input_is_422_by_its_field(signed_in, book, uow, query, field, message):
    before = snapshot(uow)

    response = signed_in.get("/pricing/explain", query_string=query)

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    error = re.search(rf'id="field-{field}-error">(.*?)</p>', html, re.S)
    assert error is not None and text_of(error.group(1)) == message
    assert 'id="prices"' not in html
    assert snapshot(uow) == before


@pytest.mark.parametrize("param", ["location", "customer", "draft"])
def test_explainer_another_shops_ids_are_404(signed_in, book, param):
    value = {
        "location": book.rival_location.id,
        "customer": book.rival_customer.id,
        "draft": book.rival_draft.id,
    }
    response = signed_in.get("/pricing/explain", query_string={"lines": "A-1", param: value[param]})

    assert response.status_code == 404
    assert "does not exist in your store" in response.get_data(as_text=True)


def test_explainer_needs_a_signed_in_shop(client, book):
    assert client.get("/pricing/explain").status_code in (302, 401, 403)


# -- the simulator -------------------------------------------------------------------------------


@pytest.fixture
def orders(book, uow):
    make_order(
        uow,
        book.shop_id,
        processed_at=NOW - timedelta(days=10),
        customer=book.ana,
        company=book.acme,
        location=book.hq,
        lines=[Line(book.a, 4, "8.00"), Line(book.b, 2, "18.00")],
    )
    make_order(uow, book.shop_id, processed_at=NOW - timedelta(days=12), lines=[Line(book.a, 1, "10.00")])
    uow.commit()


def post_simulate(client, **form):
    return client.post("/pricing/simulate", data={"csrf_token": CSRF, **{k: str(v) for k, v in form.items()}})


def test_simulator_without_drafts_says_to_duplicate_a_list(signed_in, book, uow):
    book.draft.status = PriceListStatus.ARCHIVED
    uow.commit()

    response = signed_in.get("/pricing/simulate")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Duplicate a list to try a change" in html
    assert 'action="/pricing/simulate"' not in html


def test_simulator_form_lists_drafts_and_preselects_one(signed_in, book):
    response = signed_in.get("/pricing/simulate", query_string={"draft": book.draft.id})

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'<option value="{book.draft.id}" selected>Spring (USD)</option>' in html
    assert f'<option value="{book.contract.id}">Acme contract (active)</option>' in html


def test_simulator_shows_totals_chart_and_accounts(signed_in, book, orders, uow):
    before = snapshot(uow)

    response = post_simulate(signed_in, draft=book.draft.id, months=3)

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    # Acme: A 8.00 → 6.00 x 4, B 18.00 x 2 unchanged; the guest pays 9.00 either way.
    assert text_of(re.search(r"data-before>(.*?)</div>", html).group(1)) == "$77.00"
    assert text_of(re.search(r"data-after>(.*?)</div>", html).group(1)) == "$69.00"
    assert text_of(re.search(r"data-change>(.*?)</div>", html, re.S).group(1)) == "-$8.00"
    assert text_of(re.search(r"data-change-pct>(.*?)</div>", html, re.S).group(1)) == "-10.39 %"
    assert text_of(re.search(r"data-paid>(.*?)</span>", html).group(1)) == "$78.00"
    assert '<svg class="tl-chart tl-change-chart"' in html
    assert "No account would pay more with this draft." in html
    accounts = text_of(card_html(html, "accounts"))
    assert "Acme Company 1 $68.00 $68.00 $60.00 -$8.00 -11.76 %" in accounts
    assert snapshot(uow) == before


def test_simulator_lists_the_accounts_whose_price_rises(signed_in, book, orders):
    # Replacing Standard: the guest loses its 9.00 and pays retail 10.00; Acme's B goes 18.00 → retail 20.00,
    # but its A falls 8.00 → 6.00, so Acme as a whole pays less.
    response = post_simulate(signed_in, draft=book.draft.id, replaces=book.standard.id, months=3)

    assert response.status_code == 200
    rises = text_of(card_html(response.get_data(as_text=True), "rises"))
    assert rises.startswith("Accounts whose price rises Warning: 1 ")
    assert "Orders without a customer Guest checkouts 1 order $9.00 $10.00 +$1.00 +11.11 %" in rises
    assert "Widget · Small A-1 1 $9.00 $10.00 +$1.00" in rises
    assert "Acme" not in rises


def test_simulator_with_no_orders_in_the_window(signed_in, book):
    response = post_simulate(signed_in, draft=book.draft.id, months=1)

    assert response.status_code == 200
    assert "No orders in the last 1 month" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"months": "3"}, "draft", "Choose the draft list to simulate"),
        ({"draft": "x", "months": "3"}, "draft", "Choose a draft list from the list"),
        ({"draft": "DRAFT", "months": "many"}, "months", "The number of months 'many' is not a whole number"),
        ({"draft": "DRAFT", "months": "30"}, "months", "Choose between 1 and 24 months, not 30"),
        ({"draft": "DRAFT", "months": "0"}, "months", "The number of months must be at least 1, not 0"),
        (
            {"draft": "CONTRACT", "months": "3"},
            "draft",
            "“Acme contract” is active, not a draft: duplicate it and simulate the copy",
        ),
        (
            {"draft": "DRAFT", "replaces": "DRAFT", "months": "3"},
            "replaces",
            "A draft cannot replace itself: choose another list",
        ),
    ],
)
def test_simulator_bad_input_is_422_by_its_field(signed_in, book, orders, uow, form, field, message):
    ids = {"DRAFT": str(book.draft.id), "CONTRACT": str(book.contract.id)}
    before = snapshot(uow)

    response = post_simulate(signed_in, **{k: ids.get(v, v) for k, v in form.items()})

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    error = re.search(rf'id="field-{field}-error">(.*?)</p>', html, re.S)
    assert error is not None and text_of(error.group(1)) == message
    assert 'id="result"' not in html
    assert snapshot(uow) == before


@pytest.mark.parametrize("field", ["draft", "replaces"])
def test_simulator_another_shops_list_is_404(signed_in, book, field):
    form = {"draft": book.draft.id, "months": 3, field: book.rival_draft.id}

    assert post_simulate(signed_in, **form).status_code == 404


def test_simulator_preselecting_another_shops_draft_is_404(signed_in, book):
    assert signed_in.get("/pricing/simulate", query_string={"draft": book.rival_draft.id}).status_code == 404


def test_simulator_post_without_the_csrf_token_is_refused(signed_in, book, orders):
    response = signed_in.post("/pricing/simulate", data={"draft": str(book.draft.id), "months": "3"})

    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "The form expired or did not come from this page." in html
    assert 'id="result"' not in html
