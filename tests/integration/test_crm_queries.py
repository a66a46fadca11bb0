"""Read-side CRM queries (crm.queries): search, filters, sorts, keyset pages both ways, bounded statements."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import update

from app.api.pagination import paginate
from app.api.problems import InvalidParameter
from app.errors import InvalidInput, NotFound
from crm import notes, queries
from crm.models import CrmCompany, CrmCustomer, CrmOrder
from tests.crm_pages_support import (
    StatementLog,
    add_orders,
    order_payloads,
    plain_customers,
    seed_book,
)
from tests.crm_support import make_shop

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
BY_NAME = [
    "Jon Baker",
    "Farid Haddad",
    "Grace Kim",
    "Hugo Lambert",
    "Chloé Martin",
    "Inès Moreau",
    "Ben Okafor",
    "Dev Patel",
    "Ana Ruiz",
    "Emma Schmidt",
]


@pytest.fixture
def shop_id(uow):
    return make_shop(uow, domain="acme-wholesale.myshopify.com", currency="EUR")


@pytest.fixture
def book(uow, shop_id):
    return seed_book(uow, shop_id, now=NOW)


@pytest.fixture
def dana(uow, shop_id):
    return notes.ensure_staff_member(uow, shop_id=shop_id, name="Dana Reyes")


def names(page):
    return [row.customer.display_name for row in page.items]


def all_pages(load, **kwargs):
    """Every row, following next_cursor from the first page."""
    seen, cursor = [], None
    while True:
        page = load(cursor=cursor, **kwargs)
        seen.append(page)
        cursor = page.next_cursor
        if cursor is None:
            return seen


# -- customers ------------------------------------------------------------------------------------


def test_customers_are_listed_by_last_name_with_company_and_tags_loaded(uow, shop_id, book):
    page = queries.list_customers(uow, shop_id=shop_id)

    assert names(page) == BY_NAME
    assert (page.next_cursor, page.previous_cursor) == (None, None)
    ana = next(row.customer for row in page.items if row.customer.first_name == "Ana")
    assert (ana.company.name, ana.tags, ana.orders_count, ana.total_spent) == (
        "Acme Corp",
        ["VIP", "Wholesale"],
        4,
        Decimal("5830.75"),
    )


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("ruiz", ["Ana Ruiz"]),
        ("ANA", ["Ana Ruiz"]),
        ("globex.example", ["Hugo Lambert", "Ben Okafor"]),
        ("acme", ["Farid Haddad", "Ana Ruiz"]),  # company name and email
        ("Globex Trading", ["Hugo Lambert", "Ben Okafor"]),
        ("ana acme", ["Ana Ruiz"]),  # every word must match somewhere
        ("initech chloé", ["Chloé Martin"]),
        ("100%", []),  # % is a literal, not a wildcard
        ("_", []),
    ],
)
def test_customer_search_matches_every_word_in_name_email_or_company(uow, shop_id, book, search, expected):
    assert names(queries.list_customers(uow, shop_id=shop_id, search=search)) == expected


def test_customer_filters_combine(uow, shop_id, book, dana):
    notes.assign_sales_rep(
        uow, shop_id=shop_id, customer_id=book.customers["ana"], staff_id=dana.id, actor=notes.Actor.of(dana)
    )

    def listed(**filters):
        return names(queries.list_customers(uow, shop_id=shop_id, **filters))

    assert listed(tag="wholesale") == ["Farid Haddad", "Chloé Martin", "Ben Okafor", "Ana Ruiz"]
    assert listed(tag="VIP", company_id=book.companies["globex"]) == ["Hugo Lambert"]
    assert listed(state="invited") == ["Chloé Martin"]
    assert listed(state="declined", tag="retail") == ["Inès Moreau"]
    assert listed(sales_rep_id=dana.id) == ["Ana Ruiz"]
    assert listed(unassigned=True, company_id=book.companies["acme"]) == ["Farid Haddad"]
    assert listed(tag="no-such-tag") == []


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("-name", list(reversed(BY_NAME))[:5]),
        ("-total_spent", ["Ben Okafor", "Ana Ruiz", "Farid Haddad", "Chloé Martin", "Jon Baker"]),
        ("-last_order_at", ["Ben Okafor", "Emma Schmidt", "Ana Ruiz", "Jon Baker", "Dev Patel"]),
        ("orders_count", ["Grace Kim", "Hugo Lambert", "Chloé Martin", "Emma Schmidt", "Farid Haddad"]),
    ],
)
def test_customer_sorts(uow, shop_id, book, sort, expected):
    assert names(queries.list_customers(uow, shop_id=shop_id, sort=sort, limit=5)) == expected


def test_customers_who_never_ordered_come_last_newest_order_first(uow, shop_id, book):
    listed = names(queries.list_customers(uow, shop_id=shop_id, sort="-last_order_at"))

    # Ties (no order yet) by id, descending like the sort.
    assert listed[-2:] == ["Hugo Lambert", "Grace Kim"]


@pytest.mark.parametrize(
    "sort", ["name", "-name", "-last_order_at", "-total_spent", "orders_count", "-created_at"]
)
def test_paging_forwards_then_backwards_visits_every_customer_once(uow, shop_id, book, sort):
    plain_customers(uow, shop_id, 7)
    everyone = names(queries.list_customers(uow, shop_id=shop_id, sort=sort, limit=100))

    pages = all_pages(queries.list_customers, uow=uow, shop_id=shop_id, sort=sort, limit=4)
    forwards = [name for page in pages for name in names(page)]
    back, before = [], pages[-1].previous_cursor
    while before is not None:
        page = queries.list_customers(uow, shop_id=shop_id, sort=sort, limit=4, before=before)
        back = names(page) + back
        before = page.previous_cursor

    assert len(everyone) == 17
    assert forwards == everyone
    assert [len(p.items) for p in pages] == [4, 4, 4, 4, 1]
    assert back == everyone[:16]
    assert pages[0].previous_cursor is None


def test_a_page_reached_backwards_links_forwards_to_the_same_next_page(uow, shop_id, book):
    first = queries.list_customers(uow, shop_id=shop_id, limit=3)
    second = queries.list_customers(uow, shop_id=shop_id, limit=3, cursor=first.next_cursor)

    again = queries.list_customers(uow, shop_id=shop_id, limit=3, before=second.previous_cursor)

    assert names(again) == names(first)
    assert again.previous_cursor is None
    assert names(queries.list_customers(uow, shop_id=shop_id, limit=3, cursor=again.next_cursor)) == names(
        second
    )


def test_admin_cursors_work_with_the_api_paginate(uow, shop_id, book):
    first = queries.list_customers(uow, shop_id=shop_id, sort="-total_spent", limit=3)

    # The same keys through app.api.pagination.paginate directly: the cursor is interchangeable.
    from sqlalchemy import select

    page = paginate(
        uow.session,
        select(CrmCustomer).where(CrmCustomer.shop_id == shop_id, CrmCustomer.deleted_at.is_(None)),
        key_columns=(CrmCustomer.total_spent, CrmCustomer.id),
        limit=3,
        cursor=first.next_cursor,
        descending=True,
    )

    second = queries.list_customers(
        uow, shop_id=shop_id, sort="-total_spent", limit=3, cursor=first.next_cursor
    )
    assert [c.id for c in page.items] == [row.customer.id for row in second.items]


def test_a_cursor_that_is_not_ours_is_refused(uow, shop_id, book):
    with pytest.raises(InvalidParameter):
        queries.list_customers(uow, shop_id=shop_id, cursor="not-a-cursor")


def test_an_unknown_sort_or_state_is_invalid_input(uow, shop_id):
    with pytest.raises(InvalidInput) as sort:
        queries.list_customers(uow, shop_id=shop_id, sort="email")
    with pytest.raises(InvalidInput) as state:
        queries.list_customers(uow, shop_id=shop_id, state="asleep")

    assert sort.value.detail.startswith("sort: expected one of name, -name,")
    assert state.value.detail == (
        "state: expected one of disabled, invited, enabled, declined, unknown; got 'asleep'"
    )


def test_another_shops_and_deleted_customers_are_not_listed(uow, shop_id, book):
    other = make_shop(uow, domain="globex.myshopify.com")
    seed_book(uow, other, now=NOW)
    uow.session.execute(
        update(CrmCustomer).where(CrmCustomer.id == book.customers["grace"]).values(deleted_at=NOW)
    )

    listed = names(queries.list_customers(uow, shop_id=shop_id))

    assert listed == [n for n in BY_NAME if n != "Grace Kim"]
    assert queries.get_customer(uow, shop_id=shop_id, customer_id=book.customers["grace"]).is_deleted
    with pytest.raises(NotFound):
        queries.get_customer(uow, shop_id=other, customer_id=book.customers["ana"])


def test_filter_options_list_tags_companies_and_staff(uow, shop_id, book, dana):
    options = queries.customer_filter_options(uow, shop_id=shop_id)

    assert options.tags == ["Newsletter", "Retail", "VIP", "Wholesale"]
    assert [name for _, name in options.companies] == ["Acme Corp", "Globex Trading", "Initech Supplies"]
    assert [m.name for m in options.staff] == ["Dana Reyes"]


# -- companies, orders ----------------------------------------------------------------------------


def test_companies_list_counts_locations_and_contacts(uow, shop_id, book):
    page = queries.list_companies(uow, shop_id=shop_id)

    rows = [(r.company.name, r.locations_count, r.contacts_count, r.company.orders_count) for r in page.items]
    assert rows == [("Acme Corp", 1, 2, 5), ("Globex Trading", 1, 2, 2), ("Initech Supplies", 1, 1, 1)]
    assert [r.company.payment_terms_name for r in page.items] == ["Net 30", "Net 60", None]


def test_company_search_matches_name_external_id_or_a_contact(uow, shop_id, book):
    def listed(search):
        return [r.company.name for r in queries.list_companies(uow, shop_id=shop_id, search=search).items]

    assert listed("glob") == ["Globex Trading"]
    assert listed("ERP-3307") == ["Initech Supplies"]
    assert listed("farid") == ["Acme Corp"]
    assert listed("example") == ["Acme Corp", "Globex Trading", "Initech Supplies"]
    assert listed("nobody") == []


def test_companies_sort_by_spend(uow, shop_id, book):
    page = queries.list_companies(uow, shop_id=shop_id, sort="-total_spent")

    assert [r.company.name for r in page.items] == ["Globex Trading", "Acme Corp", "Initech Supplies"]


def test_orders_of_a_customer_newest_first_with_lines_on_request(uow, shop_id, book):
    page = queries.list_orders(uow, shop_id=shop_id, customer_id=book.customers["ana"], with_lines=True)

    assert [o.current_total_price for o in page.items] == [
        Decimal("1840.00"),
        Decimal("920.50"),
        Decimal("2310.00"),
        Decimal("760.25"),
    ]
    assert all(len(o.lines) == 1 and o.customer.first_name == "Ana" for o in page.items)
    assert [o.name for o in queries.list_orders(uow, shop_id=shop_id, search="#1011").items] == ["#1011"]


# -- tasks ----------------------------------------------------------------------------------------


@pytest.fixture
def tasks(uow, shop_id, book, dana):
    """Four tasks of Dana's and Sam's, one overdue, one done."""
    sam = notes.ensure_staff_member(uow, shop_id=shop_id, name="Sam Lee")
    actor = notes.Actor.of(dana)
    today = date(2026, 11, 20)
    made = {}
    for key, subject, subject_id, due, who in (
        ("overdue", "customer", book.customers["ana"], today - timedelta(days=2), dana),
        ("today", "company", book.companies["acme"], today, dana),
        ("later", "customer", book.customers["ben"], today + timedelta(days=5), dana),
        ("undated", "customer", book.customers["emma"], None, sam),
        ("done", "customer", book.customers["jon"], today - timedelta(days=9), dana),
    ):
        made[key] = notes.add_task(
            uow,
            shop_id=shop_id,
            subject_type=subject,
            subject_id=subject_id,
            title=f"Task {key}",
            due_on=due,
            assignee_id=who.id,
            author=actor,
        )
    notes.complete_task(uow, shop_id=shop_id, task_id=made["done"].id, actor=actor)
    return made, sam, today


def titles(page):
    return [t.title for t in page.items]


def test_my_open_tasks_come_soonest_due_first(uow, shop_id, dana, tasks):
    page = queries.list_tasks(uow, shop_id=shop_id, assignee_id=dana.id, today=date(2026, 11, 20))

    assert titles(page) == ["Task overdue", "Task today", "Task later"]
    assert [t.is_overdue(date(2026, 11, 20)) for t in page.items] == [True, False, False]
    assert page.items[1].company.name == "Acme Corp" and page.items[0].customer.first_name == "Ana"


def test_task_filters(uow, shop_id, dana, tasks):
    _made, sam, today = tasks

    def listed(**filters):
        return titles(queries.list_tasks(uow, shop_id=shop_id, today=today, **filters))

    assert listed() == ["Task overdue", "Task today", "Task later", "Task undated"]
    assert listed(status="done") == ["Task done"]
    assert listed(status="all", due="overdue") == ["Task overdue"]
    assert listed(due="today") == ["Task today"]
    assert listed(due="upcoming") == ["Task later"]
    assert listed(due="none") == ["Task undated"]
    assert listed(assignee_id=sam.id) == ["Task undated"]
    assert listed(search="globex") == ["Task later"]
    assert listed(status="all", sort="-created_at", limit=2) == ["Task done", "Task undated"]
    assert queries.count_open_tasks(uow, shop_id=shop_id, assignee_id=dana.id, today=today) == (3, 1)


def test_task_due_filters_need_the_shops_today(uow, shop_id, tasks):
    with pytest.raises(InvalidInput) as refused:
        queries.list_tasks(uow, shop_id=shop_id, due="overdue")

    assert refused.value.detail == "due: needs today's date in the shop's time zone"


# -- lifetime -------------------------------------------------------------------------------------


def test_monthly_spend_buckets_by_the_shops_month_and_counts_like_the_rollups(uow, shop_id, book):
    from crm import service

    ana_sid = uow.session.get(CrmCustomer, book.customers["ana"]).shopify_id
    # 23:30 UTC on Jan 31 is already February in Berlin; a cancelled and a test order do not count.
    late_january = datetime(2026, 1, 31, 23, 30, tzinfo=UTC)
    extra = order_payloads(
        customer_sid=ana_sid,
        orders=((0, "100.00"), (0, "55.00"), (0, "999.00")),
        now=late_january,
        first_order_sid=9_999_000,
    )
    extra[1]["cancelled_at"] = late_january.isoformat()
    extra[2]["test"] = True
    service.import_batch(uow, shop_id=shop_id, orders=extra)

    berlin = queries.monthly_spend(
        uow,
        shop_id=shop_id,
        customer_id=book.customers["ana"],
        tz_name="Europe/Berlin",
        today=date(2026, 11, 20),
    )
    utc = queries.monthly_spend(
        uow, shop_id=shop_id, customer_id=book.customers["ana"], tz_name="UTC", today=date(2026, 11, 20)
    )

    assert len(berlin) == 24
    assert (berlin[0].month, berlin[-1].month) == (date(2024, 12, 1), date(2026, 11, 1))
    by_month = {m.month: (m.orders, m.amount) for m in berlin if m.orders}
    assert by_month[date(2026, 2, 1)] == (1, Decimal("100.00"))
    assert {m.month: m.orders for m in utc if m.orders}[date(2026, 1, 1)] == 1
    assert sum(m.amount for m in berlin) == uow.session.get(CrmCustomer, book.customers["ana"]).total_spent


def test_month_start_steps_back_across_years():
    assert queries.month_start(date(2026, 2, 14), 2) == date(2025, 12, 1)
    assert queries.month_start(date(2026, 2, 14)) == date(2026, 2, 1)


# -- statements per page --------------------------------------------------------------------------


def _statements(engine, load):
    with StatementLog(engine) as log:
        load()
    return log.count


def test_a_customers_page_costs_the_same_statements_for_10_or_60_rows(uow, shop_id, book, engine, dana):
    small = _statements(engine, lambda: queries.list_customers(uow, shop_id=shop_id, limit=100))
    plain_customers(uow, shop_id, 50)
    uow.session.flush()

    page = []
    large = _statements(engine, lambda: page.append(queries.list_customers(uow, shop_id=shop_id, limit=100)))
    # Reading what a row shows loads nothing more (company and tags came with the page).
    rendered = _statements(
        engine, lambda: [(r.customer.company, r.customer.tags, r.sales_rep) for r in page[0].items]
    )

    assert len(page[0].items) == 60
    assert small == large == 2  # the page, and its customers' tags
    assert rendered == 0


def test_the_customer_360_costs_the_same_statements_with_4_or_64_orders(uow, shop_id, book, engine, dana):
    ana = book.customers["ana"]

    def load():
        view = queries.customer_360(
            uow, shop_id=shop_id, customer_id=ana, today=date(2026, 11, 20), tz_name="UTC"
        )
        # Everything the page reads from the bundle, so lazy loads would be counted too.
        [(o.customer, o.company) for o in view.orders.items]
        [(t.assignee, t.customer, t.company) for t in view.tasks.items]
        [(m.company.name) for m in view.memberships]
        return view

    uow.session.expire_all()
    few = _statements(engine, load)
    add_orders(uow, shop_id, customer_key="ana", count=60, now=NOW)
    notes.add_task(
        uow,
        shop_id=shop_id,
        subject_type="customer",
        subject_id=ana,
        title="Call",
        assignee_id=dana.id,
        author=notes.Actor.of(dana),
    )
    uow.session.flush()
    uow.session.expire_all()
    many = _statements(engine, load)

    assert uow.session.get(CrmCustomer, ana).orders_count == 64
    assert few == many <= 12


def test_the_company_360_loads_locations_and_contacts_with_their_customers(uow, shop_id, book, engine):
    view = queries.company_360(
        uow, shop_id=shop_id, company_id=book.companies["acme"], today=date(2026, 11, 20), tz_name="UTC"
    )

    reads = _statements(engine, lambda: [c.customer.display_name for c in view.contacts])
    assert [c.customer.display_name for c in view.contacts] == ["Farid Haddad", "Ana Ruiz"]
    assert [loc.name for loc in view.locations] == ["Acme Corp Austin warehouse"]
    assert reads == 0
    assert view.orders.items[0].number is not None
    assert sum(m.orders for m in view.monthly) == 5
    assert uow.session.query(CrmOrder).filter(CrmOrder.company_id == book.companies["acme"]).count() == 5


# -- filters the REST API passes through ----------------------------------------------------------


def test_updated_since_keeps_rows_tradeline_changed_since_then(uow, shop_id, book):
    long_ago = datetime(2020, 1, 1, tzinfo=UTC)
    for model in (CrmCustomer, CrmCompany, CrmOrder):
        uow.session.execute(update(model).where(model.shop_id == shop_id).values(updated_at=long_ago))
    uow.session.execute(
        update(CrmCustomer).where(CrmCustomer.id == book.customers["ben"]).values(updated_at=NOW)
    )
    uow.session.execute(
        update(CrmCompany).where(CrmCompany.id == book.companies["initech"]).values(updated_at=NOW)
    )
    since = NOW - timedelta(minutes=1)

    assert names(queries.list_customers(uow, shop_id=shop_id, updated_since=since)) == ["Ben Okafor"]
    assert [
        r.company.name for r in queries.list_companies(uow, shop_id=shop_id, updated_since=since).items
    ] == ["Initech Supplies"]
    assert queries.list_orders(uow, shop_id=shop_id, updated_since=since).items == []


def test_orders_between_two_moments(uow, shop_id, book):
    page = queries.list_orders(
        uow,
        shop_id=shop_id,
        processed_since=NOW - timedelta(days=31),
        processed_until=NOW - timedelta(days=10),
        sort="processed_at",
    )

    assert [(o.customer.first_name, o.current_total_price) for o in page.items] == [
        ("Farid", Decimal("1210.00")),
        ("Dev", Decimal("89.90")),
        ("Jon", Decimal("310.00")),
        ("Ana", Decimal("1840.00")),
    ]


def test_products_by_search_sku_vendor_and_status(uow, shop_id):
    from crm import service
    from tests.crm_support import product, webhook

    base = webhook("products_create")
    sku = base["variants"][0]["sku"]
    service.import_batch(
        uow,
        shop_id=shop_id,
        products=[
            product(501, title="Espresso beans 1 kg"),
            product(502, title="Filter papers", variants=[]),
        ],
    )

    def titles(**filters):
        return [p.title for p in queries.list_products(uow, shop_id=shop_id, **filters).items]

    assert titles() == ["Espresso beans 1 kg", "Filter papers"]
    assert titles(search="espresso") == ["Espresso beans 1 kg"]
    assert titles(sku=sku) == ["Espresso beans 1 kg"]
    assert titles(vendor=base["vendor"].upper()) == ["Espresso beans 1 kg", "Filter papers"]
    assert titles(status="archived") == []
    espresso = queries.list_products(uow, shop_id=shop_id, search="espresso").items[0]
    assert [v.sku for v in espresso.variants] == [v["sku"] for v in base["variants"]]
    assert queries.get_product(uow, shop_id=shop_id, product_id=espresso.id).title == "Espresso beans 1 kg"
    other = make_shop(uow, domain="globex.myshopify.com")
    with pytest.raises(NotFound):
        queries.get_product(uow, shop_id=other, product_id=espresso.id)


def test_get_order_loads_lines_customer_and_company(uow, shop_id, book):
    first = queries.list_orders(uow, shop_id=shop_id, company_id=book.companies["globex"]).items[0]

    order = queries.get_order(uow, shop_id=shop_id, order_id=first.id)

    assert (order.customer.first_name, order.company.name, len(order.lines)) == ("Ben", "Globex Trading", 1)
    with pytest.raises(NotFound):
        queries.get_order(uow, shop_id=make_shop(uow, domain="globex.myshopify.com"), order_id=first.id)
