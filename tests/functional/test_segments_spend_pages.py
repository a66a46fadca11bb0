"""The marketing spend page through the Flask client: list, add, edit, delete, refusals that change
nothing, CSRF, another shop's entry, and the links from the dashboard's CAC tile."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from html import unescape

import pytest
from sqlalchemy import select

from app.db import utcnow
from segments import metrics, service
from segments.metrics.acquisition import channel_cac
from segments.models_spend import MarketingSpend
from tests.admin_support import CSRF, add_acme, card_html, sign_in_with_csrf
from tests.crm_support import make_shop
from tests.segments_metrics_support import add_customer, add_orders

PAGE = "/segments/marketing-spend"


@pytest.fixture
def shop(uow):
    return add_acme(uow)  # EUR, Europe/Berlin


@pytest.fixture
def signed_in(client, shop):
    return sign_in_with_csrf(client, shop.id)


def _rows(uow, shop_id: int) -> list[tuple[str, date, Decimal, str]]:
    uow.session.expire_all()
    found = uow.session.scalars(
        select(MarketingSpend).where(MarketingSpend.shop_id == shop_id).order_by(MarketingSpend.id)
    )
    return [(r.channel, r.month, r.amount, r.currency) for r in found]


def _entry(
    uow, shop_id: int, channel: str = "utm:google", month: str = "2026-10", amount: str = "250"
) -> int:
    row = metrics.set_spend(uow, shop_id=shop_id, channel=channel, month=month, amount=amount)
    uow.commit()
    return row.id


def _add(client, **fields: str):
    return client.post(PAGE, data={"csrf_token": CSRF, **fields})


def _text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def test_empty_page_explains_what_cac_needs(signed_in):
    html = signed_in.get(PAGE).get_data(as_text=True)
    assert "CAC needs what you spent on marketing" in html
    assert 'action="/segments/marketing-spend"' in html
    assert "Amount (EUR)" in html
    assert 'id="cac"' not in html


def test_the_dashboards_cac_tile_links_the_spend_page(signed_in, uow, shop):
    run = service.start_run(uow, shop_id=shop.id)  # the key figures come with an analytics run
    uow.commit()
    service.execute_run(uow, shop_id=shop.id, run_id=run.id)
    html = signed_in.get("/segments/dashboard").get_data(as_text=True)
    tile = re.search(r'<div class="tl-stat" data-metric="cac".*?</div>\s*</div>', html, re.S).group(0)
    assert f'href="{PAGE}"' in tile and "Enter marketing spend" in tile
    assert "Not enough data: no marketing spend entered for these months" in _text(tile)


def test_adding_spend_stores_it_in_the_shop_currency_and_lists_it(signed_in, uow, shop):
    # when
    response = _add(signed_in, channel=" UTM:Google ", month="2026-10", amount="1250.5")
    # then
    assert response.status_code == 303 and response.headers["Location"] == PAGE
    assert _rows(uow, shop.id) == [("utm:google", date(2026, 10, 1), Decimal("1250.50"), "EUR")]
    html = signed_in.get(PAGE).get_data(as_text=True)
    assert "Spend added: utm:google, October 2026, €1,250.50." in unescape(html)
    row = re.search(r"<tr data-spend-id=.*?</tr>", html, re.S).group(0)
    assert "October 2026" in row and "utm:google" in row and "€1,250.50" in row


def test_a_month_already_entered_is_replaced_and_said_so(signed_in, uow, shop):
    _entry(uow, shop.id, amount="100")
    response = _add(signed_in, channel="utm:google", month="2026-10", amount="180")
    assert response.status_code == 303
    assert _rows(uow, shop.id) == [("utm:google", date(2026, 10, 1), Decimal("180.00"), "EUR")]
    html = unescape(signed_in.get(PAGE).get_data(as_text=True))
    assert "utm:google, October 2026 was already entered: its spend is now €180.00." in html


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        (
            {"channel": "utm:google", "month": "2026-10", "amount": "-5"},
            "amount",
            "Marketing spend cannot be negative (got -5)",
        ),
        (
            {"channel": "utm:google", "month": "2026-10", "amount": "12,50"},
            "amount",
            "'12,50' is not a number",
        ),
        ({"channel": "utm:google", "month": "2026-10", "amount": ""}, "amount", "'' is not a number"),
        ({"channel": "utm:google", "month": "October", "amount": "10"}, "month", "Give a month as YYYY-MM"),
        ({"channel": "  ", "month": "2026-10", "amount": "10"}, "channel", "Name the channel"),
    ],
    ids=["negative", "non-numeric", "empty amount", "bad month", "no channel"],
)
def test_a_refused_value_is_shown_at_its_field_and_nothing_is_stored(
    signed_in, uow, shop, fields, field, message
):
    # given an entry that must stay as it is
    _entry(uow, shop.id, channel="utm:newsletter", amount="40")
    before = _rows(uow, shop.id)
    # when
    response = _add(signed_in, **fields)
    # then
    assert response.status_code == 422
    html = unescape(response.get_data(as_text=True))
    error = re.search(rf'<p class="tl-field__error" id="spend-{field}-error">(.*?)</p>', html, re.S)
    assert error and message in error.group(1)
    assert re.search(rf'id="spend-{field}"[^>]*aria-invalid="true"', html)
    assert f'value="{fields[field]}"' in html or not fields[field].strip()
    assert _rows(uow, shop.id) == before


def test_editing_changes_only_the_amount(signed_in, uow, shop):
    spend_id = _entry(uow, shop.id)
    html = signed_in.get(f"{PAGE}/{spend_id}/edit").get_data(as_text=True)
    assert f'action="{PAGE}/{spend_id}/edit"' in html and 'value="250.00"' in html
    response = signed_in.post(f"{PAGE}/{spend_id}/edit", data={"csrf_token": CSRF, "amount": "99.99"})
    assert response.status_code == 303
    assert _rows(uow, shop.id) == [("utm:google", date(2026, 10, 1), Decimal("99.99"), "EUR")]


def test_a_negative_edit_is_refused_in_the_row_and_changes_nothing(signed_in, uow, shop):
    spend_id = _entry(uow, shop.id)
    response = signed_in.post(f"{PAGE}/{spend_id}/edit", data={"csrf_token": CSRF, "amount": "-1"})
    assert response.status_code == 422
    row = re.search(rf'<tr data-spend-id="{spend_id}">.*?</tr>', response.get_data(as_text=True), re.S).group(
        0
    )
    assert 'id="edit-amount-error"' in row and "Marketing spend cannot be negative (got -1)" in row
    assert 'value="-1"' in row
    assert _rows(uow, shop.id) == [("utm:google", date(2026, 10, 1), Decimal("250.00"), "EUR")]


def test_deleting_removes_the_entry(signed_in, uow, shop):
    spend_id = _entry(uow, shop.id)
    response = signed_in.post(f"{PAGE}/{spend_id}/delete", data={"csrf_token": CSRF})
    assert response.status_code == 303
    assert _rows(uow, shop.id) == []
    assert "Spend deleted: utm:google, October 2026." in signed_in.get(PAGE).get_data(as_text=True)


def test_every_form_needs_the_csrf_token(signed_in, uow, shop):
    spend_id = _entry(uow, shop.id)
    before = _rows(uow, shop.id)
    forged = {"csrf_token": "forged"}
    assert (
        signed_in.post(
            PAGE, data={**forged, "channel": "utm:x", "month": "2026-10", "amount": "1"}
        ).status_code
        == 400
    )
    assert signed_in.post(f"{PAGE}/{spend_id}/edit", data={**forged, "amount": "1"}).status_code == 400
    assert signed_in.post(f"{PAGE}/{spend_id}/delete", data=forged).status_code == 400
    assert _rows(uow, shop.id) == before


def test_another_shops_entry_is_404_and_untouched(signed_in, uow, shop):
    other_id = make_shop(uow, "other-shop.myshopify.com")
    theirs = _entry(uow, other_id, amount="70")
    assert signed_in.get(f"{PAGE}/{theirs}/edit").status_code == 404
    assert (
        signed_in.post(f"{PAGE}/{theirs}/edit", data={"csrf_token": CSRF, "amount": "1"}).status_code == 404
    )
    assert signed_in.post(f"{PAGE}/{theirs}/delete", data={"csrf_token": CSRF}).status_code == 404
    assert _rows(uow, other_id) == [("utm:google", date(2026, 10, 1), Decimal("70.00"), "USD")]
    assert "utm:google" not in card_html(signed_in.get(PAGE).get_data(as_text=True), "spend")


def test_cac_per_channel_matches_the_metrics_service(signed_in, uow, shop):
    # given spend in last month (the newest of the last 12 months) and two customers won through the
    # channel that month, one elsewhere
    now = utcnow()
    period = metrics.preset_period("last_12_months", timezone=shop.timezone, now=now)
    last_month = period.months[-1]
    _entry(uow, shop.id, channel="utm:google", month=last_month.first_day.strftime("%Y-%m"), amount="300")
    for key, source in ((1, "utm:google/cpc"), (2, "utm:google"), (3, "direct")):
        customer_id = add_customer(uow, shop.id, key, acquisition_source=source)
        moment = last_month.start_at + timedelta(days=2)
        add_orders(
            uow,
            shop.id,
            [
                {
                    "customer_id": customer_id,
                    "currency": "EUR",
                    "current_total_price": Decimal("100"),
                    "processed_at": moment,
                }
            ],
        )
    uow.commit()
    # when
    card = card_html(signed_in.get(PAGE).get_data(as_text=True), "cac")
    # then
    expected = channel_cac(uow, shop_id=shop.id, currency="EUR", period=period, now=now)
    assert [(c.channel, c.new_customers, c.cac) for c in expected] == [("utm:google", 2, Decimal("150.00"))]
    assert re.search(
        r"utm:google</span></th>\s*<td[^>]*>€300.00</td>\s*<td[^>]*>2</td>\s*<td[^>]*>€150.00</td>", card
    )
