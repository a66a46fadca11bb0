"""CRM admin pages through the Flask client: customers, customer 360, companies, company, tasks, forms."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from app.auth.local import CSRF_SESSION_KEY
from crm import notes
from crm.models import CrmTimelineEvent
from crm.models_work import CrmNote, CrmSalesRepAssignment, CrmStaffMember, CrmTask
from crm.queries import shop_today
from tests.admin_support import add_acme, card_html, sign_in
from tests.crm_pages_support import StatementLog, add_orders, plain_customers, seed_book
from tests.crm_support import make_shop

NOW = datetime.now(UTC)
ZONE_BERLIN = ZoneInfo("Europe/Berlin")  # the acme shop's zone
CSRF = "test-csrf-token"


@pytest.fixture
def shop(uow):
    return add_acme(uow)


@pytest.fixture
def book(uow, shop):
    seeded = seed_book(uow, shop.id, now=NOW - timedelta(days=1))
    uow.commit()
    return seeded


@pytest.fixture
def signed_in(client, shop):
    """Dana Reyes signed in locally, with a known CSRF token in her session."""
    sign_in(client, shop.id, staff="Dana Reyes")
    with client.session_transaction() as session:
        session[CSRF_SESSION_KEY] = CSRF
    return client


@pytest.fixture
def dana(uow, shop):
    member = notes.ensure_staff_member(uow, shop_id=shop.id, name="Dana Reyes")
    uow.commit()
    return member


@pytest.fixture
def sam(uow, shop):
    member = notes.ensure_staff_member(
        uow, shop_id=shop.id, name="Sam Lee", shopify_user_id=77, email="sam@a.example"
    )
    uow.commit()
    return member


@pytest.fixture
def other(uow):
    """Another shop with its own CRM, staff member and task."""
    other_id = make_shop(uow, domain="globex-b2b.myshopify.com")
    seeded = seed_book(uow, other_id, now=NOW)
    olga = notes.ensure_staff_member(uow, shop_id=other_id, name="Olga Other")
    task = notes.add_task(
        uow,
        shop_id=other_id,
        subject_type="customer",
        subject_id=seeded.customers["ana"],
        title="Theirs",
        author=notes.Actor.of(olga),
    )
    uow.commit()
    return other_id, seeded, task


def html_of(response) -> str:
    return response.get_data(as_text=True)


def text_of(html: str) -> str:
    """The visible text, whitespace collapsed."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def row_ids(html: str, kind: str = "customer") -> list[int]:
    return [int(i) for i in re.findall(rf'data-{kind}-id="(\d+)"', html)]


def link(html: str, rel: str) -> str | None:
    match = re.search(rf'href="([^"]+)" rel="{rel}"', html)
    return unescape(match.group(1)) if match else None


def count(uow, model, **where) -> int:
    stmt = select(func.count()).select_from(model)
    for name, value in where.items():
        stmt = stmt.where(getattr(model, name) == value)
    uow.session.expire_all()
    return uow.session.scalar(stmt)


def staff_events(uow, shop_id):
    return list(
        uow.session.scalars(
            select(CrmTimelineEvent.kind)
            .where(CrmTimelineEvent.shop_id == shop_id, CrmTimelineEvent.actor != "shopify")
            .order_by(CrmTimelineEvent.id)
        )
    )


# -- navigation and sign-in -----------------------------------------------------------------------


def test_crm_pages_need_a_signed_in_staff_member(client, shop):
    for path in ("/customers", "/customers/1", "/companies", "/companies/1", "/tasks"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"] == f"/signin?next={path}"


def test_navigation_links_customers_companies_and_tasks(signed_in, book):
    html = html_of(signed_in.get("/customers"))

    nav = re.search(r'<nav class="tl-nav".*?</nav>', html, re.S).group(0)
    assert re.findall(r'<a class="tl-nav__item" href="([^"]+)"', nav) == [
        "/",
        "/customers",
        "/companies",
        "/tasks",
        "/pricing",
        "/segments",
        "/sync",
    ]
    assert re.search(r'href="/customers" aria-current="page"', nav)


# -- customers list -------------------------------------------------------------------------------


def test_customers_list_shows_name_email_company_orders_spend_last_order_and_rep(
    signed_in, uow, shop, book, dana
):
    notes.assign_sales_rep(
        uow, shop_id=shop.id, customer_id=book.customers["ana"], staff_id=dana.id, actor=notes.Actor.of(dana)
    )
    uow.commit()

    response = signed_in.get("/customers")

    assert response.status_code == 200
    html = html_of(response)
    assert row_ids(html)[:2] == [book.customers["jon"], book.customers["farid"]]  # by last name
    assert len(row_ids(html)) == 10
    ana_row = re.search(rf'<tr data-customer-id="{book.customers["ana"]}">.*?</tr>', html, re.S).group(0)
    last_order = (NOW - timedelta(days=13)).astimezone(ZONE_BERLIN)
    day = f"{last_order:%b} {last_order.day}, {last_order.year}"
    assert text_of(ana_row) == f"Ana Ruiz ana@acme.example Acme Corp 4 €5,830.75 {day} Dana Reyes"
    grace_row = re.search(rf'<tr data-customer-id="{book.customers["grace"]}">.*?</tr>', html, re.S).group(0)
    assert text_of(grace_row) == "Grace Kim grace.kim@example.com — 0 €0.00 — —"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("q=acme", ["farid", "ana"]),
        ("q=Okafor", ["ben"]),
        ("tag=VIP", ["hugo", "ana"]),
        ("state=invited", ["chloe"]),
        ("sort=-total_spent&limit=3", ["ben", "ana", "farid"]),
    ],
)
def test_customers_search_filters_and_sort(signed_in, book, query, expected):
    html = html_of(signed_in.get(f"/customers?{query}"))

    assert row_ids(html) == [book.customers[key] for key in expected]
    assert "Clear" in html


def test_customer_filters_by_company_and_sales_rep_stay_selected(signed_in, uow, shop, book, dana):
    notes.assign_sales_rep(
        uow,
        shop_id=shop.id,
        customer_id=book.customers["farid"],
        staff_id=dana.id,
        actor=notes.Actor.of(dana),
    )
    uow.commit()
    acme = book.companies["acme"]

    mine = html_of(signed_in.get(f"/customers?company={acme}&rep={dana.id}"))
    nobody = html_of(signed_in.get(f"/customers?company={acme}&rep=none"))

    assert row_ids(mine) == [book.customers["farid"]]
    assert row_ids(nobody) == [book.customers["ana"]]
    assert f'<option value="{acme}" selected>Acme Corp</option>' in mine
    assert f'<option value="{dana.id}" selected>Dana Reyes</option>' in mine
    assert '<option value="none" selected>No sales rep</option>' in nobody


def test_customers_pages_forward_and_back(signed_in, uow, shop, book):
    plain_customers(uow, shop.id, 3)
    uow.commit()

    first = html_of(signed_in.get("/customers?limit=5"))
    second_url = link(first, "next")
    second = html_of(signed_in.get(second_url))
    third = html_of(signed_in.get(link(second, "next")))
    back = html_of(signed_in.get(link(third, "prev")))

    assert link(first, "prev") is None
    assert [len(row_ids(page)) for page in (first, second, third)] == [5, 5, 3]
    assert len(set(row_ids(first) + row_ids(second) + row_ids(third))) == 13
    assert link(third, "next") is None
    assert row_ids(back) == row_ids(second)
    assert "limit=5" in second_url


def test_an_unusable_cursor_shows_the_first_page_with_a_notice(signed_in, book):
    html = html_of(signed_in.get("/customers?cursor=bogus"))

    assert "That page of results is no longer available; showing the first page." in html
    assert len(row_ids(html)) == 10


def test_customers_empty_state_before_the_import(signed_in):
    html = html_of(signed_in.get("/customers"))

    assert "No customers yet" in html
    assert "the initial import brings in everyone who already bought from" in html
    assert row_ids(html) == []


def test_customers_empty_state_when_nothing_matches(signed_in, book):
    html = html_of(signed_in.get("/customers?q=zzzz"))

    assert "No customers match these filters" in html
    assert 'href="/customers">Clear filters</a>' in html


def test_the_customers_page_costs_the_same_statements_for_10_or_60_customers(
    signed_in, uow, shop, book, engine
):
    assert signed_in.get("/tasks").status_code == 200  # a staff member's first request also records them
    with StatementLog(engine) as few:
        assert signed_in.get("/customers?limit=100").status_code == 200
    plain_customers(uow, shop.id, 50)
    uow.commit()
    with StatementLog(engine) as many:
        html = html_of(signed_in.get("/customers?limit=100"))

    assert len(row_ids(html)) == 60
    assert few.count == many.count == 8


# -- customer 360 ---------------------------------------------------------------------------------


def test_customer_360_shows_profile_company_lifetime_orders_and_timeline(signed_in, book):
    response = signed_in.get(f"/customers/{book.customers['ana']}")

    assert response.status_code == 200
    html = html_of(response)
    profile = text_of(card_html(html, "profile"))
    assert "ana@acme.example" in profile and "+15125550000" in profile
    assert "Account active" in profile and "Subscribed" in profile and "VIP Wholesale" in profile
    assert text_of(card_html(html, "company")) == "Company Acme Corp Head buyer · Net 30"
    lifetime = text_of(card_html(html, "lifetime"))
    assert "Orders 4 Total spent €5,830.75 Average order €1,457.69" in lifetime
    assert '<svg class="tl-chart"' in html and 'role="img"' in html
    orders = card_html(html, "orders")
    assert len(re.findall(r'<th scope="row">#\d+', orders)) == 4
    assert "€1,840.00" in orders and "Paid" in orders and "Fulfilled" in orders
    timeline = text_of(card_html(html, "timeline"))
    assert "Ana Ruiz added as a contact (Head buyer)" in timeline
    assert "No open tasks." in text_of(card_html(html, "tasks"))
    assert "No notes yet." in text_of(card_html(html, "notes"))
    assert "No sales rep yet." in text_of(card_html(html, "sales-rep"))


def test_a_retail_customer_without_orders_has_helpful_empty_sections(signed_in, book):
    html = html_of(signed_in.get(f"/customers/{book.customers['grace']}"))

    assert "Not a contact of any company: a retail (B2C) customer." in html
    assert "No orders yet" in html
    assert "No counted orders in the last 24 months." in html
    assert "Unsubscribed" in card_html(html, "profile")


def test_another_shops_customer_is_a_404_page(signed_in, book, other):
    _, theirs, _ = other

    response = signed_in.get(f"/customers/{theirs.customers['ana']}")

    assert response.status_code == 404
    assert "This record does not exist in your store, or it was removed." in html_of(response)
    assert signed_in.get("/customers/999999").status_code == 404


def test_the_360_page_costs_the_same_statements_with_4_or_64_orders_and_pages_its_orders(
    signed_in, uow, shop, book, engine
):
    ana = book.customers["ana"]
    assert signed_in.get("/tasks").status_code == 200  # a staff member's first request also records them
    with StatementLog(engine) as few:
        assert signed_in.get(f"/customers/{ana}").status_code == 200
    add_orders(uow, shop.id, customer_key="ana", count=60, now=NOW)
    uow.commit()

    with StatementLog(engine) as many:
        html = html_of(signed_in.get(f"/customers/{ana}"))
    second = html_of(signed_in.get(link(card_html(html, "orders"), "next")))

    assert "Orders 64" in text_of(card_html(html, "lifetime"))
    assert few.count == many.count == 14
    assert len(re.findall(r'<th scope="row">#', card_html(html, "orders"))) == 25
    assert len(re.findall(r'<th scope="row">#', card_html(second, "orders"))) == 25
    assert link(card_html(second, "orders"), "prev") is not None


def test_adding_a_note_on_the_360_page(signed_in, uow, shop, book):
    ana = book.customers["ana"]

    response = signed_in.post(
        f"/customers/{ana}/notes", data={"csrf_token": CSRF, "body": "Wants samples of the new line."}
    )

    assert response.status_code == 303
    assert response.headers["Location"] == f"/customers/{ana}#notes"
    [note] = uow.session.scalars(select(CrmNote).where(CrmNote.shop_id == shop.id)).all()
    assert (note.customer_id, note.body, note.author_name) == (
        ana,
        "Wants samples of the new line.",
        "Dana Reyes",
    )
    assert staff_events(uow, shop.id) == ["customer.note_added"]
    page = html_of(signed_in.get(response.headers["Location"]))
    assert "Note added." in page
    assert "Wants samples of the new line." in card_html(page, "notes")
    assert "Note by Dana Reyes: Wants samples of the new line." in card_html(page, "timeline")


def test_a_blank_note_shows_the_error_by_the_field_and_keeps_nothing(signed_in, uow, shop, book):
    response = signed_in.post(
        f"/customers/{book.customers['ana']}/notes", data={"csrf_token": CSRF, "body": "  "}
    )

    assert response.status_code == 422
    notes_card = card_html(html_of(response), "notes")
    assert 'aria-invalid="true"' in notes_card
    assert "Write something in the note" in notes_card
    assert count(uow, CrmNote, shop_id=shop.id) == 0
    assert staff_events(uow, shop.id) == []


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/customers/{ana}/notes", {"body": "Hello"}),
        ("/customers/{ana}/tasks", {"title": "Call"}),
        ("/customers/{ana}/sales-rep", {"staff_id": ""}),
        ("/companies/{acme}/notes", {"body": "Hello"}),
        ("/companies/{acme}/tasks", {"title": "Call"}),
        ("/companies/{acme}/sales-rep", {"staff_id": ""}),
    ],
)
@pytest.mark.parametrize("token", [None, "wrong-token"])
def test_forms_without_the_csrf_token_are_refused_and_change_nothing(
    signed_in, uow, shop, book, dana, path, data, token
):
    url = path.format(ana=book.customers["ana"], acme=book.companies["acme"])
    notes.assign_sales_rep(
        uow, shop_id=shop.id, customer_id=book.customers["ana"], staff_id=dana.id, actor=notes.Actor.of(dana)
    )
    notes.assign_sales_rep(
        uow, shop_id=shop.id, company_id=book.companies["acme"], staff_id=dana.id, actor=notes.Actor.of(dana)
    )
    uow.commit()
    if token is not None:
        data = {**data, "csrf_token": token}

    response = signed_in.post(url, data=data)

    assert response.status_code == 400
    assert "The form expired or did not come from this page." in html_of(response)
    assert count(uow, CrmNote, shop_id=shop.id) == 0
    assert count(uow, CrmTask, shop_id=shop.id) == 0
    assert count(uow, CrmSalesRepAssignment, shop_id=shop.id) == 2
    assert staff_events(uow, shop.id) == ["customer.sales_rep_changed", "company.sales_rep_changed"]


def test_forms_about_another_shops_records_are_404_and_change_nothing(signed_in, uow, shop, book, other):
    other_id, theirs, task = other
    posts = [
        (f"/customers/{theirs.customers['ana']}/notes", {"body": "Hello"}),
        (f"/customers/{theirs.customers['ana']}/tasks", {"title": "Call"}),
        (f"/companies/{theirs.companies['acme']}/sales-rep", {"staff_id": ""}),
        (f"/tasks/{task.id}/complete", {}),
        (f"/tasks/{task.id}/assignee", {"assignee_id": ""}),
    ]

    for url, data in posts:
        assert signed_in.post(url, data={**data, "csrf_token": CSRF}).status_code == 404, url

    assert count(uow, CrmNote) == 0
    assert count(uow, CrmTask, shop_id=shop.id) == 0
    assert uow.session.get(CrmTask, task.id).completed_at is None
    assert staff_events(uow, other_id) == ["customer.task_created"]
    assert staff_events(uow, shop.id) == []


def test_creating_a_task_on_the_360_page(signed_in, uow, shop, book, sam):
    ana = book.customers["ana"]

    response = signed_in.post(
        f"/customers/{ana}/tasks",
        data={
            "csrf_token": CSRF,
            "title": "Call about the re-order",
            "due_on": "2026-12-03",
            "assignee_id": str(sam.id),
        },
    )

    assert response.status_code == 303
    assert response.headers["Location"] == f"/customers/{ana}#tasks"
    [task] = uow.session.scalars(select(CrmTask).where(CrmTask.shop_id == shop.id)).all()
    assert (task.customer_id, task.title, str(task.due_on), task.assignee_id) == (
        ana,
        "Call about the re-order",
        "2026-12-03",
        sam.id,
    )
    page = html_of(signed_in.get(f"/customers/{ana}"))
    tasks = text_of(card_html(page, "tasks"))
    assert "Call about the re-order" in tasks and "Due Dec 3, 2026" in tasks and "Sam Lee" in tasks


def test_a_task_with_a_bad_date_is_shown_again_with_the_error(signed_in, uow, shop, book):
    response = signed_in.post(
        f"/customers/{book.customers['ana']}/tasks",
        data={"csrf_token": CSRF, "title": "Call", "due_on": "next tuesday"},
    )

    assert response.status_code == 422
    tasks = card_html(html_of(response), "tasks")
    assert "Enter a date as YYYY-MM-DD" in tasks
    assert 'value="Call"' in tasks
    assert count(uow, CrmTask, shop_id=shop.id) == 0


def test_setting_and_removing_the_sales_rep(signed_in, uow, shop, book, sam):
    ana = book.customers["ana"]

    set_rep = signed_in.post(
        f"/customers/{ana}/sales-rep", data={"csrf_token": CSRF, "staff_id": str(sam.id)}
    )
    page = html_of(signed_in.get(f"/customers/{ana}"))
    removed = signed_in.post(f"/customers/{ana}/sales-rep", data={"csrf_token": CSRF, "staff_id": ""})

    assert (set_rep.status_code, removed.status_code) == (303, 303)
    assert "Sam Lee" in text_of(card_html(page, "sales-rep")) and "Sales rep set to Sam Lee." in page
    assert count(uow, CrmSalesRepAssignment, shop_id=shop.id) == 0
    assert staff_events(uow, shop.id) == ["customer.sales_rep_changed", "customer.sales_rep_changed"]


def test_a_sales_rep_id_that_is_not_a_number_is_refused(signed_in, uow, shop, book):
    response = signed_in.post(
        f"/customers/{book.customers['ana']}/sales-rep", data={"csrf_token": CSRF, "staff_id": "x1"}
    )

    assert response.status_code == 422
    assert "Choose one of the listed staff members" in html_of(response)
    assert count(uow, CrmSalesRepAssignment, shop_id=shop.id) == 0


# -- companies ------------------------------------------------------------------------------------


def test_companies_list_shows_counts_terms_and_spend(signed_in, book):
    html = html_of(signed_in.get("/companies"))

    assert row_ids(html, "company") == [book.companies[k] for k in ("acme", "globex", "initech")]
    acme_row = re.search(rf'<tr data-company-id="{book.companies["acme"]}">.*?</tr>', html, re.S).group(0)
    assert text_of(acme_row).startswith("Acme Corp ERP-1042 1 2 5 €7,040.75")
    assert text_of(acme_row).endswith("Net 30 —")


def test_companies_search_and_empty_states(signed_in, uow, book):
    assert row_ids(html_of(signed_in.get("/companies?q=farid")), "company") == [book.companies["acme"]]
    assert "No companies match these filters" in html_of(signed_in.get("/companies?q=nobody"))


def test_companies_empty_state_before_any_company(signed_in):
    assert "No companies yet" in html_of(signed_in.get("/companies"))


def test_company_page_shows_locations_contacts_orders_and_rollups(signed_in, book):
    response = signed_in.get(f"/companies/{book.companies['acme']}")

    assert response.status_code == 200
    html = html_of(response)
    assert text_of(card_html(html, "contacts")) == (
        "Contacts 2 Farid Haddad Buyer · farid@acme.example Ana Ruiz Head buyer · ana@acme.example"
    )
    locations = text_of(card_html(html, "locations"))
    assert locations.startswith(
        "Locations 1 Acme Corp Austin warehouse Net 30 Receiving 1 Main St Dock 3 78701 Austin"
    )
    assert "Orders 5 Total spent €7,040.75" in text_of(card_html(html, "lifetime"))
    orders = card_html(html, "orders")
    assert orders.count(f'href="/customers/{book.customers["ana"]}"') == 4
    assert "Location Acme Corp Austin warehouse added (Net 30)" in text_of(card_html(html, "timeline"))


def test_adding_a_note_and_a_task_to_a_company(signed_in, uow, shop, book, dana):
    acme = book.companies["acme"]

    note = signed_in.post(f"/companies/{acme}/notes", data={"csrf_token": CSRF, "body": "Renewal in March"})
    task = signed_in.post(f"/companies/{acme}/tasks", data={"csrf_token": CSRF, "title": "Send price list"})

    assert (note.headers["Location"], task.headers["Location"]) == (
        f"/companies/{acme}#notes",
        f"/companies/{acme}#tasks",
    )
    assert staff_events(uow, shop.id) == ["company.note_added", "company.task_created"]
    page = html_of(signed_in.get(f"/companies/{acme}"))
    assert "Renewal in March" in card_html(page, "notes")
    # The form assigns the signed-in staff member unless told otherwise.
    assert "Send price list" in card_html(page, "tasks")
    assert uow.session.scalars(select(CrmTask.assignee_id)).all() == [None]


def test_another_shops_company_is_a_404_page(signed_in, book, other):
    _, theirs, _ = other

    assert signed_in.get(f"/companies/{theirs.companies['acme']}").status_code == 404


# -- tasks ----------------------------------------------------------------------------------------


@pytest.fixture
def tasks(uow, shop, book, dana, sam):
    today = shop_today(shop.timezone, NOW)
    made = {}
    for key, subject, subject_id, due, who in (
        ("overdue", "customer", book.customers["ana"], today - timedelta(days=1), dana),
        ("today", "company", book.companies["acme"], today, dana),
        ("later", "customer", book.customers["ben"], today + timedelta(days=4), dana),
        ("sams", "customer", book.customers["emma"], None, sam),
        ("unassigned", "customer", book.customers["jon"], None, None),
    ):
        made[key] = notes.add_task(
            uow,
            shop_id=shop.id,
            subject_type=subject,
            subject_id=subject_id,
            title=f"Task {key}",
            due_on=due,
            assignee_id=who.id if who else None,
            author=notes.Actor.of(sam),
        )
    uow.commit()
    return made


def task_titles(html: str) -> list[str]:
    return re.findall(r'<p class="tl-task__title">([^<]+)</p>', html)


def test_my_tasks_lists_my_open_tasks_soonest_first_with_overdue_flagged(signed_in, tasks):
    html = html_of(signed_in.get("/tasks"))

    assert task_titles(html) == ["Task overdue", "Task today", "Task later"]
    assert "1 of your tasks is overdue." in html
    assert html.count("tl-task--overdue") == 1
    assert "Overdue · " in html and "Due today" in html
    assert '<span class="tl-tabs__count">3</span>' in html


def test_all_tasks_with_filters(signed_in, dana, sam, tasks):
    def listed(query):
        return task_titles(html_of(signed_in.get(f"/tasks?view=all&{query}")))

    assert listed("") == ["Task overdue", "Task today", "Task later", "Task sams", "Task unassigned"]
    assert listed("assignee=none") == ["Task unassigned"]
    assert listed(f"assignee={sam.id}") == ["Task sams"]
    assert listed("due=overdue") == ["Task overdue"]
    assert listed("q=globex") == ["Task later"]
    assert listed("status=done") == []


def test_my_tasks_empty_state(signed_in, book):
    html = html_of(signed_in.get("/tasks"))

    assert "You have no open tasks" in html
    assert 'href="/tasks?view=all">See all tasks</a>' in html


def test_completing_reopening_and_reassigning_a_task_from_the_list(signed_in, uow, shop, tasks, sam):
    task = tasks["today"]

    done = signed_in.post(f"/tasks/{task.id}/complete", data={"csrf_token": CSRF, "next": "/tasks?view=all"})
    after_done = task_titles(html_of(signed_in.get("/tasks")))
    reopened = signed_in.post(f"/tasks/{task.id}/reopen", data={"csrf_token": CSRF})
    moved = signed_in.post(
        f"/tasks/{task.id}/assignee", data={"csrf_token": CSRF, "assignee_id": str(sam.id)}
    )

    assert done.status_code == 303 and done.headers["Location"] == "/tasks?view=all"
    assert reopened.headers["Location"] == "/tasks"
    assert moved.status_code == 303
    assert after_done == ["Task overdue", "Task later"]
    assert task_titles(html_of(signed_in.get("/tasks"))) == ["Task overdue", "Task later"]
    assert staff_events(uow, shop.id)[-3:] == [
        "company.task_completed",
        "company.task_reopened",
        "company.task_reassigned",
    ]


def test_an_outside_next_url_is_not_followed(signed_in, tasks):
    response = signed_in.post(
        f"/tasks/{tasks['later'].id}/complete", data={"csrf_token": CSRF, "next": "https://evil.example/"}
    )

    assert response.headers["Location"] == "/tasks"


def test_task_actions_without_csrf_are_refused(signed_in, uow, tasks):
    task = tasks["today"]

    assert signed_in.post(f"/tasks/{task.id}/complete").status_code == 400
    assert signed_in.post(f"/tasks/{task.id}/assignee", data={"assignee_id": ""}).status_code == 400

    uow.session.expire_all()
    refreshed = uow.session.get(CrmTask, task.id)
    assert (refreshed.completed_at, refreshed.assignee_id is not None) == (None, True)


def test_reassigning_to_a_staff_member_of_another_shop_is_refused_with_a_message(
    signed_in, uow, tasks, other
):
    other_id = other[0]
    olga = uow.session.scalar(select(CrmStaffMember.id).where(CrmStaffMember.shop_id == other_id))

    response = signed_in.post(
        f"/tasks/{tasks['today'].id}/assignee", data={"csrf_token": CSRF, "assignee_id": str(olga)}
    )

    assert response.status_code == 303
    assert f"No staff member {olga} in this shop" in html_of(signed_in.get("/tasks"))
    uow.session.expire_all()
    assert uow.session.get(CrmTask, tasks["today"].id).assignee_id != olga


def test_signing_in_makes_the_staff_member_known(signed_in, uow, shop):
    signed_in.get("/tasks")

    members = uow.session.scalars(select(CrmStaffMember).where(CrmStaffMember.shop_id == shop.id)).all()
    assert [(m.identity, m.name, m.email) for m in members] == [("name:dana reyes", "Dana Reyes", None)]
