"""Price list admin pages through the Flask client: the lists, create/edit, one list's page and its forms."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from app.auth.local import CSRF_SESSION_KEY
from crm.models import CrmProduct, CrmTimelineEvent, CrmVariant
from pricing.models import (
    AdjustmentScope,
    AssignmentTarget,
    Precedence,
    PriceAdjustment,
    PriceEntry,
    PriceList,
    PriceListAssignment,
    PriceListStatus,
    PricingSettings,
    QuantityRule,
    TierKind,
    VolumeTier,
)
from tests import pricing_support as ps
from tests.admin_support import add_acme, card_html, sign_in
from tests.crm_pages_support import StatementLog
from tests.crm_support import make_shop

CSRF = "test-csrf-token"
NOW = datetime.now(UTC)
ZONE = ZoneInfo("Europe/Berlin")  # the acme shop's zone


@dataclass
class Catalog:
    mug: CrmVariant
    mug_large: CrmVariant
    tea: CrmVariant
    mug_product: CrmProduct


@pytest.fixture
def shop(uow):
    return add_acme(uow)  # EUR, Europe/Berlin


@pytest.fixture
def signed_in(client, shop):
    sign_in(client, shop.id, staff="Dana Reyes")
    with client.session_transaction() as session:
        session[CSRF_SESSION_KEY] = CSRF
    return client


@pytest.fixture
def catalog(uow, shop):
    mugs = ps.make_product(uow, shop.id, title="Stoneware mug")
    mugs.handle = "stoneware-mug"
    tea = ps.make_product(uow, shop.id, title="Breakfast tea")
    seeded = Catalog(
        mug=ps.make_variant(uow, shop.id, mugs, price="20.00", sku="MUG-S", currency="EUR", title="Small"),
        mug_large=ps.make_variant(
            uow, shop.id, mugs, price="24.00", sku="MUG-L", currency="EUR", title="Large"
        ),
        tea=ps.make_variant(
            uow, shop.id, tea, price="8.50", sku="TEA-1", currency="EUR", title="Default Title"
        ),
        mug_product=mugs,
    )
    uow.commit()
    return seeded


@pytest.fixture
def draft(uow, shop, catalog):
    """A draft list with one fixed price."""
    price_list = ps.make_price_list(uow, shop.id, "Wholesale A", currency="EUR", status=PriceListStatus.DRAFT)
    ps.add_entry(uow, price_list, catalog.mug, "15.00")
    uow.commit()
    return price_list


@pytest.fixture
def other(uow):
    """Another shop with a list, a variant and a company."""
    other_id = make_shop(uow, domain="globex-b2b.myshopify.com", currency="EUR")
    variant = ps.make_variant(uow, other_id, sku="OTHER-1", currency="EUR")
    price_list = ps.make_price_list(uow, other_id, "Theirs", currency="EUR", status=PriceListStatus.DRAFT)
    ps.add_entry(uow, price_list, variant, "9.00")
    company = ps.make_company(uow, other_id, "Globex")
    uow.commit()
    return price_list, variant, company


def html_of(response) -> str:
    return response.get_data(as_text=True)


def text_of(html: str) -> str:
    return " ".join(
        unescape(re.sub(r"<[^>]+>", " ", re.sub(r"<script.*?</script>", "", html, flags=re.S))).split()
    )


def row(html: str, attr: str, value: object) -> str:
    match = re.search(rf'<tr[^>]*{attr}="{value}".*?</tr>', html, re.S)
    assert match is not None, f"no row {attr}={value}"
    return match.group(0)


def field_error(html: str, field_id: str) -> str:
    """The error shown under the input with this id (asserting the input is marked invalid)."""
    assert re.search(rf'id="{field_id}"[^>]*aria-invalid="true"', html), f"{field_id} is not marked invalid"
    match = re.search(rf'<p class="tl-field__error" id="{field_id}-error">(.*?)</p>', html, re.S)
    assert match is not None
    return text_of(match.group(1))


def post(client, url: str, **data):
    return client.post(url, data={"csrf_token": CSRF, **data})


def count(uow, model, **where) -> int:
    stmt = select(func.count()).select_from(model)
    for name, value in where.items():
        stmt = stmt.where(getattr(model, name) == value)
    uow.session.expire_all()
    return uow.session.scalar(stmt)


def reload(uow, row_):
    uow.session.expire_all()
    return uow.session.get(type(row_), row_.id)


# -- the lists page -------------------------------------------------------------------------------


def test_pricing_pages_need_a_signed_in_staff_member(client, shop):
    for path in ("/pricing", "/pricing/new", "/pricing/1", "/pricing/1/edit"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"] == f"/signin?next={path}"


def test_the_empty_state_explains_price_lists_and_offers_to_create_one(signed_in):
    html = html_of(signed_in.get("/pricing"))

    text = text_of(html)
    assert "Give your wholesale buyers their own prices" in text
    assert "fixed prices per variant, a percentage up or down" in text
    assert '<a class="tl-button tl-button--primary" href="/pricing/new">Create price list</a>' in html
    nav = re.search(r'<nav class="tl-nav".*?</nav>', html, re.S).group(0)
    assert re.search(r'href="/pricing" aria-current="page"', nav)


@pytest.fixture
def lists_in_every_state(uow, shop, catalog):
    make = ps.make_price_list
    lists = {
        "draft": make(uow, shop.id, "Draft list", currency="EUR", status=PriceListStatus.DRAFT),
        "active": make(uow, shop.id, "Gold", currency="EUR", priority=5, ends_at=NOW + timedelta(days=40)),
        "scheduled": make(uow, shop.id, "Spring", currency="EUR", starts_at=NOW + timedelta(days=10)),
        "expired": make(uow, shop.id, "Winter", currency="EUR", ends_at=NOW - timedelta(days=1)),
        "archived": make(uow, shop.id, "Old", currency="USD", status=PriceListStatus.ARCHIVED),
    }
    gold = lists["active"]
    ps.add_entry(uow, gold, catalog.mug, "15.00")
    ps.add_entry(uow, gold, catalog.tea, "7.00")
    ps.add_tier(uow, gold, 12, "10", kind=TierKind.PERCENT_OFF)
    acme, globex = ps.make_company(uow, shop.id, "Acme"), ps.make_company(uow, shop.id, "Globex")
    ps.assign(uow, gold, AssignmentTarget.COMPANY, acme)
    ps.assign(uow, gold, AssignmentTarget.COMPANY, globex)
    ps.assign(uow, gold, AssignmentTarget.CUSTOMER_TAG, "vip")
    ps.assign(uow, lists["scheduled"], AssignmentTarget.DEFAULT)
    uow.commit()
    return lists


def test_the_lists_table_shows_status_currency_priority_size_audience_and_update(
    signed_in, lists_in_every_state
):
    html = html_of(signed_in.get("/pricing"))

    gold = lists_in_every_state["active"]
    updated = gold.updated_at.astimezone(ZONE)
    until = gold.ends_at.astimezone(ZONE)
    assert text_of(row(html, "data-price-list-id", gold.id)) == (
        f"Gold Active until {until:%b} {until.day}, {until.year} EUR 5 2 1 tier 2 companies, 1 tag "
        f"{updated:%b} {updated.day}, {updated.year}"
    )
    labels = {
        key: text_of(
            re.search(r"<td>(.*?)(<br>|</td>)", row(html, "data-price-list-id", pl.id), re.S).group(1)
        ).split()[-1]
        for key, pl in lists_in_every_state.items()
    }
    assert labels == {
        "draft": "Draft",
        "active": "Active",
        "scheduled": "Scheduled",
        "expired": "Expired",
        "archived": "Archived",
    }
    scheduled = row(html, "data-price-list-id", lists_in_every_state["scheduled"].id)
    assert "Everyone" in text_of(scheduled)
    assert "Nobody yet" in text_of(row(html, "data-price-list-id", lists_in_every_state["draft"].id))
    names = re.findall(r'data-price-list-id="(\d+)"', html)
    assert [int(n) for n in names] == [
        lists_in_every_state[k].id for k in ("draft", "active", "archived", "scheduled", "expired")
    ]  # by name: Draft list, Gold, Old, Spring, Winter


@pytest.mark.parametrize("state", ["draft", "active", "scheduled", "expired", "archived"])
def test_the_status_tabs_filter_by_the_status_merchants_see(signed_in, lists_in_every_state, state):
    html = html_of(signed_in.get(f"/pricing?status={state}"))

    assert [int(n) for n in re.findall(r'data-price-list-id="(\d+)"', html)] == [
        lists_in_every_state[state].id
    ]
    assert re.search(rf'href="/pricing\?status={state}" aria-current="page"', html)


def test_searching_lists_by_name_and_an_empty_result(signed_in, lists_in_every_state):
    found = html_of(signed_in.get("/pricing?q=gol"))
    none = html_of(signed_in.get("/pricing?q=platinum&status=draft"))

    assert [int(n) for n in re.findall(r'data-price-list-id="(\d+)"', found)] == [
        lists_in_every_state["active"].id
    ]
    assert "No draft price list has “platinum” in its name." in text_of(none)


def test_the_lists_page_links_the_explainer_and_the_simulator_when_they_are_served(app, signed_in, draft):
    html = html_of(signed_in.get("/pricing"))

    for endpoint, label in (
        ("pricing.explain", "Explain a price"),
        ("pricing.simulate", "Simulate a change"),
    ):
        shown = re.search(rf'href="([^"]+)">[^<]*(<span[^>]*>.*?</span>)?{label}</a>', html, re.S)
        assert (shown is not None) == (endpoint in app.view_functions), endpoint


def test_the_precedence_setting_is_shown_and_changed(signed_in, uow, shop):
    before = html_of(signed_in.get("/pricing"))
    response = post(signed_in, "/pricing/precedence", precedence="priority")
    after = html_of(signed_in.get("/pricing"))

    assert re.search(r'value="lowest_price" checked', before)
    assert "the lowest price wins (Shopify's own B2B rule)" in text_of(before)
    assert "the list with the highest priority wins" in text_of(before)
    assert response.status_code == 303
    assert response.headers["Location"] == "/pricing#precedence"
    assert uow.session.scalar(
        select(PricingSettings.precedence).where(PricingSettings.shop_id == shop.id)
    ) is (Precedence.PRIORITY)
    assert re.search(r'value="priority" checked', after)
    assert "Precedence set to “Priority”." in text_of(after)


def test_an_unknown_precedence_is_refused_and_nothing_is_stored(signed_in, uow, shop):
    response = post(signed_in, "/pricing/precedence", precedence="cheapest")

    assert response.status_code == 422
    assert "'cheapest' is not one of lowest_price, priority" in text_of(html_of(response))
    assert count(uow, PricingSettings, shop_id=shop.id) == 0


def test_the_lists_page_costs_the_same_statements_for_5_or_50_lists(signed_in, uow, shop, engine):
    def add_lists(start: int, stop: int) -> None:
        for n in range(start, stop):
            price_list = ps.make_price_list(uow, shop.id, f"List {n:03d}", currency="EUR")
            ps.assign(uow, price_list, AssignmentTarget.CUSTOMER_TAG, f"tag-{n}")
            ps.assign(uow, price_list, AssignmentTarget.DEFAULT)
        uow.commit()

    add_lists(0, 5)
    with StatementLog(engine) as few:
        assert signed_in.get("/pricing").status_code == 200
    add_lists(5, 50)
    with StatementLog(engine) as many:
        html = html_of(signed_in.get("/pricing"))

    assert len(re.findall(r'data-price-list-id="\d+"', html)) == 50
    assert many.count == few.count
    assert many.count <= 8


# -- create and edit ------------------------------------------------------------------------------


def test_creating_a_list_stores_a_draft_with_times_from_the_shops_zone(signed_in, uow, shop):
    form = signed_in.get("/pricing/new")
    response = post(
        signed_in,
        "/pricing/new",
        name="  Wholesale   Gold ",
        currency="eur",
        description="Negotiated in March",
        base="compare_at",
        priority="7",
        order_minimum="250.00",
        starts_at="2026-12-01T09:00",
        ends_at="2027-06-30T18:30",
    )

    assert form.status_code == 200
    assert 'value="EUR"' in html_of(form)
    created = uow.session.scalar(select(PriceList).where(PriceList.shop_id == shop.id))
    assert response.status_code == 303
    assert response.headers["Location"] == f"/pricing/{created.id}"
    assert (created.name, created.currency, created.description, created.base.value, created.priority) == (
        "Wholesale Gold",
        "EUR",
        "Negotiated in March",
        "compare_at",
        7,
    )
    assert created.status is PriceListStatus.DRAFT
    assert created.order_minimum == Decimal("250.00")
    assert created.starts_at == datetime(2026, 12, 1, 8, 0, tzinfo=UTC)  # 09:00 CET
    assert created.ends_at == datetime(2027, 6, 30, 16, 30, tzinfo=UTC)  # 18:30 CEST
    page = html_of(signed_in.get(response.headers["Location"]))
    assert "Price list “Wholesale Gold” created as a draft." in text_of(page)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": "   "}, "list-name", "The price list needs a name"),
        ({"currency": "EURO"}, "list-currency", "'EURO' is not a currency code such as USD"),
        ({"priority": "high"}, "list-priority", "The priority 'high' is not a whole number"),
        (
            {"order_minimum": "12.345"},
            "list-order-minimum",
            "The price 12.345 has more decimals than EUR allows (2)",
        ),
        (
            {"starts_at": "next monday"},
            "list-starts-at",
            "'next monday' is not a date and time such as 2026-12-01 09:00",
        ),
        (
            {"starts_at": "2026-12-01T09:00", "ends_at": "2026-11-01T09:00"},
            "list-ends-at",
            "The end must come after the start",
        ),
    ],
)
def test_a_bad_create_form_shows_the_error_by_its_field_and_creates_nothing(
    signed_in, uow, shop, changes, field, message
):
    data = {"name": "Gold", "currency": "EUR", "priority": "0", **changes}

    response = post(signed_in, "/pricing/new", **data)

    assert response.status_code == 422
    html = html_of(response)
    assert field_error(html, field) == message
    assert count(uow, PriceList, shop_id=shop.id) == 0
    for key, value in data.items():
        if key not in ("description",):
            assert f'value="{value}"' in html, key  # what was typed is kept


def test_a_taken_name_is_refused_by_the_name_field(signed_in, uow, shop, draft):
    response = post(signed_in, "/pricing/new", name="wholesale a", currency="EUR")

    assert response.status_code == 409
    assert field_error(html_of(response), "list-name") == "A price list named 'wholesale a' already exists"
    assert count(uow, PriceList, shop_id=shop.id) == 1


def test_editing_a_list_shows_its_values_in_the_shops_zone_and_saves_changes(signed_in, uow, draft):
    draft.starts_at = datetime(2026, 7, 1, 6, 0, tzinfo=UTC)
    uow.commit()

    form = html_of(signed_in.get(f"/pricing/{draft.id}/edit"))
    response = post(
        signed_in,
        f"/pricing/{draft.id}/edit",
        name="Wholesale B",
        currency="EUR",
        priority="3",
        base="retail",
        starts_at="2026-07-01T08:00",
        ends_at="",
        order_minimum="",
    )

    assert 'value="2026-07-01T08:00"' in form  # 06:00 UTC is 08:00 in Berlin (CEST)
    assert 'value="Wholesale A"' in form
    assert response.status_code == 303
    assert response.headers["Location"] == f"/pricing/{draft.id}"
    saved = reload(uow, draft)
    assert (saved.name, saved.priority, saved.starts_at, saved.ends_at) == (
        "Wholesale B",
        3,
        datetime(2026, 7, 1, 6, 0, tzinfo=UTC),
        None,
    )


def test_changing_the_currency_of_a_list_with_prices_is_refused_and_nothing_changes(signed_in, uow, draft):
    response = post(signed_in, f"/pricing/{draft.id}/edit", name="Renamed", currency="USD", priority="1")

    assert response.status_code == 409
    assert "its currency can change only while it is empty" in text_of(html_of(response))
    saved = reload(uow, draft)
    assert (saved.name, saved.currency, saved.priority) == ("Wholesale A", "EUR", 0)


# -- activate, archive, duplicate, delete ---------------------------------------------------------


def test_activating_then_archiving_a_list(signed_in, uow, draft):
    activated = post(signed_in, f"/pricing/{draft.id}/activate")
    active_page = html_of(signed_in.get(f"/pricing/{draft.id}"))
    archived = post(signed_in, f"/pricing/{draft.id}/archive")
    archived_page = html_of(signed_in.get(f"/pricing/{draft.id}"))

    assert activated.status_code == archived.status_code == 303
    assert activated.headers["Location"] == f"/pricing/{draft.id}"
    assert "“Wholesale A” is active: it prices its buyers now." in text_of(active_page)
    assert reload(uow, draft).status is PriceListStatus.ARCHIVED
    assert "This list prices nobody and cannot change." in text_of(archived_page)
    assert "/entries" not in archived_page and "/activate" not in archived_page  # read-only now


def test_activating_a_list_that_starts_later_schedules_it(signed_in, uow, draft):
    draft.starts_at = NOW + timedelta(days=3)
    uow.commit()

    page = html_of(signed_in.get(f"/pricing/{draft.id}"))
    post(signed_in, f"/pricing/{draft.id}/activate")
    after = html_of(signed_in.get(f"/pricing/{draft.id}"))

    assert re.search(r'data-action="activate">Schedule</button>', page)
    assert "“Wholesale A” is scheduled: it starts pricing its buyers on its start date." in text_of(after)
    assert reload(uow, draft).status is PriceListStatus.ACTIVE


def test_an_expired_draft_cannot_be_activated_and_says_why(signed_in, uow, draft):
    draft.ends_at = NOW - timedelta(days=2)
    uow.commit()

    response = post(signed_in, f"/pricing/{draft.id}/activate")

    assert response.status_code == 409
    assert "move its end date before activating it" in text_of(html_of(response))
    assert reload(uow, draft).status is PriceListStatus.DRAFT


def test_duplicating_opens_a_draft_copy_with_the_prices(signed_in, uow, shop, draft):
    response = post(signed_in, f"/pricing/{draft.id}/duplicate")

    copy = uow.session.scalar(select(PriceList).where(PriceList.shop_id == shop.id, PriceList.id != draft.id))
    assert response.status_code == 303
    assert response.headers["Location"] == f"/pricing/{copy.id}"
    assert (copy.name, copy.status) == ("Wholesale A (copy)", PriceListStatus.DRAFT)
    assert count(uow, PriceEntry, price_list_id=copy.id) == 1


def test_deleting_a_draft_asks_first_then_removes_it(signed_in, uow, shop, draft):
    page = html_of(signed_in.get(f"/pricing/{draft.id}"))
    response = post(signed_in, f"/pricing/{draft.id}/delete")

    confirm = re.search(r'<details class="tl-confirm" data-action="delete">.*?</details>', page, re.S).group(
        0
    )
    assert (
        "Delete the draft “Wholesale A” and everything in it (1 fixed price, its tiers, rules and "
        "assignments)?" in text_of(confirm)
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/pricing"
    assert count(uow, PriceList, shop_id=shop.id) == 0
    assert "Draft “Wholesale A” deleted." in text_of(html_of(signed_in.get("/pricing")))


def test_an_active_list_cannot_be_deleted_and_stays(signed_in, uow, shop, catalog):
    active = ps.make_price_list(uow, shop.id, "Live", currency="EUR")
    uow.commit()

    page = html_of(signed_in.get(f"/pricing/{active.id}"))
    response = post(signed_in, f"/pricing/{active.id}/delete")

    assert 'data-action="delete"' not in page
    assert response.status_code == 409
    assert "only drafts can be deleted, archive it instead" in text_of(html_of(response))
    assert count(uow, PriceList, shop_id=shop.id) == 1


# -- one list's page ------------------------------------------------------------------------------


@pytest.fixture
def full(uow, shop, catalog, draft):
    """The draft with an adjustment, tiers (list-wide and per variant), rules and assignments."""
    ps.add_adjustment(uow, draft, "-10")
    ps.add_adjustment(
        uow, draft, "5", scope=AdjustmentScope.PRODUCT, scope_shopify_id=catalog.mug_product.shopify_id
    )
    ps.add_tier(uow, draft, 10, "5", kind=TierKind.PERCENT_OFF)
    ps.add_tier(uow, draft, 12, "13.50", variant=catalog.mug)
    ps.add_tier(uow, draft, 48, "12.00", variant=catalog.mug)
    ps.add_rule(uow, draft, minimum=6, increment=6)
    ps.add_rule(uow, draft, minimum=2, maximum=100, increment=2, variant=catalog.tea)
    company = ps.make_company(uow, shop.id, "Acme Corp")
    location = ps.make_location(uow, shop.id, company, "Berlin warehouse")
    ps.assign(uow, draft, AssignmentTarget.COMPANY_LOCATION, location)
    ps.assign(uow, draft, AssignmentTarget.CUSTOMER_TAG, "wholesale")
    uow.commit()
    return draft


def test_the_list_page_shows_every_section(app, signed_in, full, catalog):
    html = html_of(signed_in.get(f"/pricing/{full.id}"))

    header = text_of(re.search(r'<div class="tl-page__header">.*?</div>\s*</div>', html, re.S).group(0))
    assert header.startswith("Wholesale A Draft EUR · Retail base · Priority 0")
    assert text_of(row(html, "data-variant-id", catalog.mug.id)).startswith(
        "Stoneware mug / Small MUG-S €20.00"
    )
    assert 'value="15.00"' in row(html, "data-variant-id", catalog.mug.id)
    adjustments = text_of(card_html(html, "adjustments"))
    assert "Every variant -10 %" in adjustments
    assert "Product: Stoneware mug +5 %" in adjustments
    tiers = card_html(html, "tiers")
    groups = re.findall(r'data-tier-group="([^"]+)"', tiers)
    assert groups == ["list", str(catalog.mug.id)]
    mug_tiers = re.search(rf'data-tier-group="{catalog.mug.id}".*?</form>', tiers, re.S).group(0)
    assert re.findall(r'name="min_quantity-\d" type="number" value="(\d*)"', mug_tiers) == [
        "12",
        "48",
        "",
        "",
    ]
    assert re.findall(r'name="value-\d" type="text" value="([^"]*)"', mug_tiers) == ["13.50", "12.00", "", ""]
    assert "Stoneware mug / Small (MUG-S)" in text_of(mug_tiers)
    rules = card_html(html, "rules")
    assert text_of(row(rules, "data-rule", "list")).startswith("Every variant (list-wide)")
    assert re.findall(
        r'name="(minimum|maximum|increment)"[^>]*value="(\d*)"', row(rules, "data-rule", catalog.tea.id)
    ) == [
        ("minimum", "2"),
        ("maximum", "100"),
        ("increment", "2"),
    ]
    assigned = text_of(card_html(html, "assignments"))
    assert "Acme Corp, Berlin warehouse Location" in assigned
    assert "wholesale Tag" in assigned
    for endpoint, label in (("pricing.csv_upload", "Import CSV"), ("pricing.csv_export", "Export CSV")):
        assert (f">{label}</a>" in html) == (endpoint in app.view_functions), endpoint


def test_entries_are_searched_by_sku_or_title_and_paged(signed_in, uow, shop, draft):
    product = ps.make_product(uow, shop.id, title="Paper cup")
    for n in range(30):
        variant = ps.make_variant(
            uow, shop.id, product, sku=f"CUP-{n:02d}", currency="EUR", title=f"Pack {n}"
        )
        ps.add_entry(uow, draft, variant, "1.00")
    uow.commit()

    first = html_of(signed_in.get(f"/pricing/{draft.id}"))
    next_url = unescape(re.search(r'href="([^"]+)" rel="next"', first).group(1))
    second = html_of(signed_in.get(next_url))
    found = html_of(signed_in.get(f"/pricing/{draft.id}?q=cup-07"))
    by_title = html_of(signed_in.get(f"/pricing/{draft.id}?q=stoneware"))

    assert len(re.findall(r'data-variant-id="\d+"', first)) == 25
    assert len(re.findall(r'data-variant-id="\d+"', second)) == 6
    assert re.findall(r'<span class="tl-text-secondary tl-text-small tl-mono">([^<]+)</span>', found) == [
        "CUP-07"
    ]
    assert len(re.findall(r'data-variant-id="\d+"', by_title)) == 1


def test_a_price_is_edited_in_its_row(signed_in, uow, draft, catalog):
    response = post(
        signed_in,
        f"/pricing/{draft.id}/entries/{catalog.mug.id}",
        price="14.25",
        compare_at_price="18.00",
        q="mug",
        next=f"/pricing/{draft.id}?q=mug",
    )

    assert response.status_code == 303
    assert response.headers["Location"] == f"/pricing/{draft.id}?q=mug#entry-{catalog.mug.id}"
    entry = uow.session.scalar(select(PriceEntry).where(PriceEntry.price_list_id == draft.id))
    uow.session.refresh(entry)
    assert (entry.price, entry.compare_at_price) == (Decimal("14.25"), Decimal("18.00"))


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"price": "abc"}, "price", "The price 'abc' is not a number"),
        ({"price": "-2.00"}, "price", "The price -2.00 is negative"),
        ({"price": "9.999"}, "price", "The price 9.999 has more decimals than EUR allows (2)"),
    ],
)
def test_a_bad_price_in_a_row_shows_the_error_in_that_row_and_changes_nothing(
    signed_in, uow, draft, catalog, data, field, message
):
    response = post(signed_in, f"/pricing/{draft.id}/entries/{catalog.mug.id}", **data)

    assert response.status_code == 422
    html = html_of(response)
    assert field_error(html, f"entry-{catalog.mug.id}-{field}") == message
    assert f'value="{data["price"]}"' in row(html, "data-variant-id", catalog.mug.id)
    assert uow.session.scalar(
        select(PriceEntry.price).where(PriceEntry.price_list_id == draft.id)
    ) == Decimal("15.00")


def test_adding_a_price_by_sku_and_an_unknown_sku(signed_in, uow, draft, catalog):
    added = post(signed_in, f"/pricing/{draft.id}/entries", sku="tea-1", price="6.40")
    unknown = post(signed_in, f"/pricing/{draft.id}/entries", sku="NOPE-9", price="6.40")

    assert added.status_code == 303
    assert added.headers["Location"] == f"/pricing/{draft.id}#entries"
    assert uow.session.scalar(
        select(PriceEntry.price).where(
            PriceEntry.price_list_id == draft.id, PriceEntry.variant_id == catalog.tea.id
        )
    ) == Decimal("6.40")
    assert unknown.status_code == 422
    assert field_error(html_of(unknown), "entry-sku") == "No variant has the SKU 'NOPE-9' in your catalog"
    assert count(uow, PriceEntry, price_list_id=draft.id) == 2


def test_removing_a_price(signed_in, uow, draft, catalog):
    response = post(signed_in, f"/pricing/{draft.id}/entries/{catalog.mug.id}/remove")

    assert response.status_code == 303
    assert count(uow, PriceEntry, price_list_id=draft.id) == 0


def test_adjustments_are_added_by_scope_and_removed(signed_in, uow, draft, catalog):
    listwide = post(signed_in, f"/pricing/{draft.id}/adjustments", scope="all", target="", percent="-12.5")
    product = post(
        signed_in, f"/pricing/{draft.id}/adjustments", scope="product", target="stoneware-mug", percent="3"
    )
    variant = post(
        signed_in, f"/pricing/{draft.id}/adjustments", scope="variant", target="MUG-L", percent="-20"
    )

    assert [r.status_code for r in (listwide, product, variant)] == [303, 303, 303]
    rows = uow.session.execute(
        select(PriceAdjustment.scope, PriceAdjustment.scope_shopify_id, PriceAdjustment.percent)
        .where(PriceAdjustment.price_list_id == draft.id)
        .order_by(PriceAdjustment.id)
    ).all()
    assert rows == [
        (AdjustmentScope.ALL, None, Decimal("-12.5")),
        (AdjustmentScope.PRODUCT, catalog.mug_product.shopify_id, Decimal("3")),
        (AdjustmentScope.VARIANT, catalog.mug_large.shopify_id, Decimal("-20")),
    ]
    html = html_of(signed_in.get(f"/pricing/{draft.id}"))
    assert "Variant: Stoneware mug / Large (MUG-L) -20 %" in text_of(card_html(html, "adjustments"))
    first = uow.session.scalar(
        select(PriceAdjustment.id).where(PriceAdjustment.price_list_id == draft.id).limit(1)
    )
    assert post(signed_in, f"/pricing/{draft.id}/adjustments/{first}/remove").status_code == 303
    assert count(uow, PriceAdjustment, price_list_id=draft.id) == 2


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"scope": "all", "percent": "0"}, "adjustment-percent", "An adjustment of 0 % changes nothing"),
        (
            {"scope": "all", "percent": "-120"},
            "adjustment-percent",
            "A decrease of 120 % would make prices negative",
        ),
        (
            {"scope": "product", "target": "no-such-mug", "percent": "5"},
            "adjustment-target",
            "No product has the handle or Shopify id 'no-such-mug'",
        ),
        (
            {"scope": "variant", "target": "", "percent": "5"},
            "adjustment-target",
            "Name the variant the adjustment applies to",
        ),
    ],
)
def test_a_bad_adjustment_is_refused_by_its_field(signed_in, uow, draft, data, field, message):
    response = post(signed_in, f"/pricing/{draft.id}/adjustments", **data)

    assert response.status_code == 422
    assert field_error(html_of(response), field) == message
    assert count(uow, PriceAdjustment, price_list_id=draft.id) == 0


def tier_rows(uow, price_list_id: int, variant_id: int | None):
    uow.session.expire_all()
    variant = VolumeTier.variant_id.is_(None) if variant_id is None else VolumeTier.variant_id == variant_id
    return uow.session.execute(
        select(VolumeTier.min_quantity, VolumeTier.kind, VolumeTier.value)
        .where(VolumeTier.price_list_id == price_list_id, variant)
        .order_by(VolumeTier.min_quantity)
    ).all()


def test_tiers_are_added_for_a_variant_edited_as_rows_and_removed_by_clearing(signed_in, uow, draft, catalog):
    added = post(
        signed_in,
        f"/pricing/{draft.id}/tiers",
        form="tiers-new",
        scope="variant",
        sku="MUG-S",
        **{"min_quantity-0": "12", "kind-0": "fixed", "value-0": "14.00"},
        **{"min_quantity-1": "48", "kind-1": "percent_off", "value-1": "10"},
    )
    assert added.status_code == 303
    assert added.headers["Location"] == f"/pricing/{draft.id}#tiers"
    assert tier_rows(uow, draft.id, catalog.mug.id) == [
        (12, TierKind.FIXED, Decimal("14.00")),
        (48, TierKind.PERCENT_OFF, Decimal("10")),
    ]

    edited = post(
        signed_in,
        f"/pricing/{draft.id}/tiers",
        form=f"tiers-{catalog.mug.id}",
        variant_id=str(catalog.mug.id),
        **{"min_quantity-0": "", "kind-0": "fixed", "value-0": ""},
        **{"min_quantity-1": "24", "kind-1": "percent_off", "value-1": "15"},
        **{"min_quantity-2": "", "kind-2": "fixed", "value-2": ""},
    )
    assert edited.status_code == 303
    assert tier_rows(uow, draft.id, catalog.mug.id) == [(24, TierKind.PERCENT_OFF, Decimal("15"))]

    listwide = post(
        signed_in,
        f"/pricing/{draft.id}/tiers",
        form="tiers-new",
        scope="list",
        sku="",
        **{"min_quantity-0": "100", "kind-0": "percent_off", "value-0": "5"},
    )
    assert listwide.status_code == 303
    assert tier_rows(uow, draft.id, None) == [(100, TierKind.PERCENT_OFF, Decimal("5"))]

    cleared = post(
        signed_in,
        f"/pricing/{draft.id}/tiers",
        form="tiers-list",
        scope="list",
        **{"min_quantity-0": "", "kind-0": "fixed", "value-0": ""},
    )
    assert cleared.status_code == 303
    assert tier_rows(uow, draft.id, None) == []


def test_tiers_whose_minimums_descend_point_at_the_row_at_fault_and_change_nothing(
    signed_in, uow, draft, catalog
):
    ps.add_tier(uow, draft, 12, "14.00", variant=catalog.mug)
    uow.commit()

    response = post(
        signed_in,
        f"/pricing/{draft.id}/tiers",
        form=f"tiers-{catalog.mug.id}",
        variant_id=str(catalog.mug.id),
        **{"min_quantity-0": "24", "kind-0": "fixed", "value-0": "13.00"},
        **{"min_quantity-1": "", "kind-1": "fixed", "value-1": ""},
        **{"min_quantity-2": "12", "kind-2": "fixed", "value-2": "12.00"},
    )

    assert response.status_code == 422
    html = html_of(response)
    assert (
        field_error(html, f"tiers-{catalog.mug.id}-min_quantity-2")
        == "Tier minimums must ascend: 12 comes after 24"
    )
    assert 'value="24"' in html
    assert tier_rows(uow, draft.id, catalog.mug.id) == [(12, TierKind.FIXED, Decimal("14.00"))]


def test_a_tier_for_an_unknown_sku_is_refused_by_the_sku_field(signed_in, uow, draft):
    response = post(
        signed_in,
        f"/pricing/{draft.id}/tiers",
        form="tiers-new",
        scope="variant",
        sku="GHOST",
        **{"min_quantity-0": "12", "kind-0": "fixed", "value-0": "1.00"},
    )

    assert response.status_code == 422
    assert field_error(html_of(response), "tiers-new-sku") == "No variant has the SKU 'GHOST' in your catalog"
    assert count(uow, VolumeTier, price_list_id=draft.id) == 0


def rule_of(uow, price_list_id: int, variant_id: int | None):
    uow.session.expire_all()
    variant = (
        QuantityRule.variant_id.is_(None) if variant_id is None else QuantityRule.variant_id == variant_id
    )
    return uow.session.execute(
        select(QuantityRule.minimum, QuantityRule.maximum, QuantityRule.increment).where(
            QuantityRule.price_list_id == price_list_id, variant
        )
    ).all()


def test_quantity_rules_are_added_edited_and_removed(signed_in, uow, draft, catalog):
    listwide = post(
        signed_in, f"/pricing/{draft.id}/rules", form="rule-new", scope="list", minimum="6", increment="6"
    )
    variant = post(
        signed_in,
        f"/pricing/{draft.id}/rules",
        form="rule-new",
        scope="variant",
        sku="TEA-1",
        minimum="10",
        maximum="200",
        increment="10",
    )
    edited = post(
        signed_in,
        f"/pricing/{draft.id}/rules",
        form=f"rule-{catalog.tea.id}",
        variant_id=str(catalog.tea.id),
        minimum="20",
        maximum="",
        increment="10",
    )

    assert [r.status_code for r in (listwide, variant, edited)] == [303, 303, 303]
    assert rule_of(uow, draft.id, None) == [(6, None, 6)]
    assert rule_of(uow, draft.id, catalog.tea.id) == [(20, None, 10)]
    removed = post(signed_in, f"/pricing/{draft.id}/rules/remove", form="rule-list", scope="list")
    assert removed.status_code == 303
    assert rule_of(uow, draft.id, None) == []


def test_a_rule_whose_minimum_cannot_be_reached_is_refused_in_its_row(signed_in, uow, draft, catalog):
    ps.add_rule(uow, draft, minimum=6, increment=6, variant=catalog.mug)
    uow.commit()

    response = post(
        signed_in,
        f"/pricing/{draft.id}/rules",
        form=f"rule-{catalog.mug.id}",
        variant_id=str(catalog.mug.id),
        minimum="5",
        maximum="",
        increment="6",
    )

    assert response.status_code == 422
    assert field_error(html_of(response), f"rule-{catalog.mug.id}-increment").startswith(
        "With an increment of 6 the minimum of 5 can never be ordered"
    )
    assert rule_of(uow, draft.id, catalog.mug.id) == [(6, None, 6)]


# -- assignments ----------------------------------------------------------------------------------


@pytest.fixture
def accounts(uow, shop):
    company = ps.make_company(uow, shop.id, "Acme Corp")
    location = ps.make_location(uow, shop.id, company, "Berlin warehouse")
    customer = ps.make_customer(uow, shop.id, company=company, email="ana@acme.example")
    customer.first_name, customer.last_name = "Ana", "Ruiz"
    uow.commit()
    return company, location, customer


def test_the_account_search_lists_companies_with_locations_and_customers(signed_in, draft, accounts):
    company, location, customer = accounts

    html = html_of(signed_in.get(f"/pricing/{draft.id}?who=acme"))

    matches = re.search(r'<ul class="tl-plain-list tl-pl-matches".*?</ul>', html, re.S).group(0)
    assert re.findall(r'data-match="([^"]+)"', matches) == [
        f"company-{company.id}",
        f"customer-{customer.id}",
    ]
    assert f'<option value="{location.id}">Berlin warehouse</option>' in matches
    assert "Ana Ruiz Customer · ana@acme.example, Acme Corp" in text_of(matches)


def test_assigning_to_each_kind_of_target_and_removing(signed_in, uow, shop, draft, accounts):
    company, location, customer = accounts
    forms = [
        {"target": "company", "company_id": str(company.id)},
        {"target": "company_location", "company_location_id": str(location.id)},
        {"target": "customer", "customer_id": str(customer.id)},
        {"target": "customer_tag", "customer_tag": "  Gold "},
        {"target": "segment", "segment_id": "12"},
        {"target": "default"},
    ]

    responses = [post(signed_in, f"/pricing/{draft.id}/assignments", **form) for form in forms]

    assert [r.status_code for r in responses] == [303] * 6
    rows = uow.session.execute(
        select(
            PriceListAssignment.target,
            PriceListAssignment.company_id,
            PriceListAssignment.company_location_id,
            PriceListAssignment.customer_id,
            PriceListAssignment.customer_tag,
            PriceListAssignment.segment_id,
        )
        .where(PriceListAssignment.price_list_id == draft.id)
        .order_by(PriceListAssignment.id)
    ).all()
    assert rows == [
        (AssignmentTarget.COMPANY, company.id, None, None, None, None),
        (AssignmentTarget.COMPANY_LOCATION, None, location.id, None, None, None),
        (AssignmentTarget.CUSTOMER, None, None, customer.id, None, None),
        (AssignmentTarget.CUSTOMER_TAG, None, None, None, "Gold", None),
        (AssignmentTarget.SEGMENT, None, None, None, None, 12),
        (AssignmentTarget.DEFAULT, None, None, None, None, None),
    ]
    page = html_of(signed_in.get(f"/pricing/{draft.id}"))
    assert "The list now applies to everyone (default list)." in text_of(page)
    assert "Apply to every buyer" not in page
    kinds = uow.session.scalars(
        select(CrmTimelineEvent.kind).where(CrmTimelineEvent.shop_id == shop.id).order_by(CrmTimelineEvent.id)
    ).all()
    assert kinds == [
        "company.price_list_assigned",
        "company.price_list_assigned",
        "customer.price_list_assigned",
    ]

    first = uow.session.scalar(
        select(PriceListAssignment.id).where(PriceListAssignment.price_list_id == draft.id).limit(1)
    )
    assert post(signed_in, f"/pricing/{draft.id}/assignments/{first}/remove").status_code == 303
    assert count(uow, PriceListAssignment, price_list_id=draft.id) == 5


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"target": "customer_tag", "customer_tag": "  "}, "assign-tag", "Enter a tag"),
        (
            {"target": "segment", "segment_id": "twelve"},
            "assign-segment",
            "The segment_id 'twelve' is not an id (a positive integer)",
        ),
        ({"target": "segment", "segment_id": ""}, "assign-segment", "Enter a segment id"),
    ],
)
def test_a_bad_assignment_is_refused_by_its_field(signed_in, uow, draft, data, field, message):
    response = post(signed_in, f"/pricing/{draft.id}/assignments", **data)

    assert response.status_code == 422
    assert field_error(html_of(response), field) == message
    assert count(uow, PriceListAssignment, price_list_id=draft.id) == 0


def test_the_same_assignment_twice_is_refused_with_the_reason(signed_in, uow, draft):
    post(signed_in, f"/pricing/{draft.id}/assignments", target="customer_tag", customer_tag="vip")
    again = post(signed_in, f"/pricing/{draft.id}/assignments", target="customer_tag", customer_tag="VIP")

    assert again.status_code == 409
    assert "The price list 'Wholesale A' is already assigned to this customer tag" in text_of(html_of(again))
    assert count(uow, PriceListAssignment, price_list_id=draft.id) == 1


# -- CSRF and other shops -------------------------------------------------------------------------


def _every_form(price_list_id: int, variant_id: int) -> list[tuple[str, dict[str, str]]]:
    return [
        ("/pricing/new", {"name": "Sneaky", "currency": "EUR"}),
        ("/pricing/precedence", {"precedence": "priority"}),
        (f"/pricing/{price_list_id}/edit", {"name": "Sneaky", "currency": "EUR"}),
        (f"/pricing/{price_list_id}/activate", {}),
        (f"/pricing/{price_list_id}/archive", {}),
        (f"/pricing/{price_list_id}/duplicate", {}),
        (f"/pricing/{price_list_id}/delete", {}),
        (f"/pricing/{price_list_id}/entries/{variant_id}", {"price": "1.00"}),
        (f"/pricing/{price_list_id}/entries/{variant_id}/remove", {}),
        (f"/pricing/{price_list_id}/adjustments", {"scope": "all", "percent": "-5"}),
        (
            f"/pricing/{price_list_id}/tiers",
            {"scope": "list", "min_quantity-0": "10", "value-0": "5", "kind-0": "percent_off"},
        ),
        (f"/pricing/{price_list_id}/rules", {"scope": "list", "minimum": "2"}),
        (f"/pricing/{price_list_id}/assignments", {"target": "default"}),
    ]


def _snapshot(uow, shop_id: int) -> tuple:
    uow.session.expire_all()
    return (
        uow.session.execute(
            select(PriceList.id, PriceList.name, PriceList.status)
            .where(PriceList.shop_id == shop_id)
            .order_by(PriceList.id)
        ).all(),
        uow.session.execute(
            select(PriceEntry.variant_id, PriceEntry.price).where(PriceEntry.shop_id == shop_id)
        ).all(),
        count(uow, PriceAdjustment, shop_id=shop_id),
        count(uow, VolumeTier, shop_id=shop_id),
        count(uow, QuantityRule, shop_id=shop_id),
        count(uow, PriceListAssignment, shop_id=shop_id),
        count(uow, PricingSettings, shop_id=shop_id),
    )


@pytest.mark.parametrize("token", [None, "forged"])
def test_forms_without_the_csrf_token_are_refused_and_change_nothing(
    signed_in, uow, shop, draft, catalog, token
):
    before = _snapshot(uow, shop.id)

    for url, data in _every_form(draft.id, catalog.mug.id):
        sent = {**data, **({"csrf_token": token} if token else {})}
        response = signed_in.post(url, data=sent)
        assert response.status_code == 400, url
        assert "The form expired or did not come from this page." in text_of(html_of(response))

    assert _snapshot(uow, shop.id) == before


def test_another_shops_list_is_a_404_page(signed_in, other):
    theirs, _, _ = other

    for path in (f"/pricing/{theirs.id}", f"/pricing/{theirs.id}/edit", "/pricing/999999"):
        response = signed_in.get(path)
        assert response.status_code == 404, path
        assert "This price list does not exist in your store, or it was removed." in text_of(
            html_of(response)
        )


def test_forms_about_another_shops_list_are_404_and_change_nothing(signed_in, uow, shop, draft, other):
    theirs, their_variant, _ = other
    before = _snapshot(uow, theirs.shop_id), _snapshot(uow, shop.id)

    for url, data in _every_form(theirs.id, their_variant.id)[2:]:
        response = post(signed_in, url, **data)
        assert response.status_code == 404, url

    assert (_snapshot(uow, theirs.shop_id), _snapshot(uow, shop.id)) == before


def test_another_shops_ids_inside_my_list_are_404_and_change_nothing(
    signed_in, uow, shop, draft, other, catalog
):
    _, their_variant, their_company = other
    before = _snapshot(uow, shop.id)

    assert post(signed_in, f"/pricing/{draft.id}/entries/{their_variant.id}", price="1.00").status_code == 404
    assert (
        post(
            signed_in, f"/pricing/{draft.id}/assignments", target="company", company_id=str(their_company.id)
        ).status_code
        == 404
    )
    assert post(signed_in, f"/pricing/{draft.id}/entries", sku="OTHER-1", price="1.00").status_code == 422

    assert _snapshot(uow, shop.id) == before


def test_an_archived_list_refuses_changes_with_the_reason(signed_in, uow, draft, catalog):
    draft.status = PriceListStatus.ARCHIVED
    uow.commit()

    response = post(signed_in, f"/pricing/{draft.id}/entries/{catalog.mug.id}", price="1.00")

    assert response.status_code == 409
    assert "is archived and cannot change: duplicate it to reuse its prices" in text_of(html_of(response))
    assert uow.session.scalar(
        select(PriceEntry.price).where(PriceEntry.price_list_id == draft.id)
    ) == Decimal("15.00")


def test_the_list_page_costs_the_same_statements_for_2_or_40_prices(signed_in, uow, shop, full, engine):
    with StatementLog(engine) as few:
        assert signed_in.get(f"/pricing/{full.id}").status_code == 200
    product = ps.make_product(uow, shop.id, title="Paper cup")
    for n in range(40):
        variant = ps.make_variant(uow, shop.id, product, sku=f"CUP-{n:02d}", currency="EUR")
        ps.add_entry(uow, full, variant, "1.00")
        ps.add_tier(uow, full, 10, "0.90", variant=variant)
    uow.commit()
    with StatementLog(engine) as many:
        assert signed_in.get(f"/pricing/{full.id}").status_code == 200

    assert many.count == few.count


def test_removing_what_the_list_does_not_hold_is_a_404_and_changes_nothing(
    signed_in, uow, shop, full, catalog
):
    before = _snapshot(uow, shop.id)

    for url, data in (
        (f"/pricing/{full.id}/entries/{catalog.tea.id}/remove", {}),
        (f"/pricing/{full.id}/adjustments/999999/remove", {}),
        (f"/pricing/{full.id}/assignments/999999/remove", {}),
        (
            f"/pricing/{full.id}/rules/remove",
            {"form": f"rule-{catalog.mug_large.id}", "variant_id": str(catalog.mug_large.id)},
        ),
    ):
        response = post(signed_in, url, **data)
        assert response.status_code == 404, url
        assert "This price list does not exist in your store, or it was removed." in text_of(
            html_of(response)
        )

    assert _snapshot(uow, shop.id) == before
