"""The CRM pages in a real browser: sign in, search customers, open a 360 page, add a note, finish a task."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app import services
from app.shops import TokenSet, store_token
from crm import notes
from crm.models import SubjectType
from crm.queries import shop_today
from tests.admin_support import ACME_DOMAIN, add_acme
from tests.crm_pages_support import seed_book

pytestmark = pytest.mark.browser

NOW = datetime.now(UTC)


@pytest.fixture
def book(live_app):
    """The acme shop with the seeded CRM, two staff members, a sales rep, notes and tasks; committed."""
    with services().db.unit_of_work() as uow:
        shop = add_acme(uow)
        store_token(
            uow,
            services().cipher,
            shop_id=shop.id,
            tokens=TokenSet(access_token="shpat_e2e", scope=shop.scopes),
        )
        seeded = seed_book(uow, shop.id, now=NOW - timedelta(days=1))
        dana = notes.ensure_staff_member(uow, shop_id=shop.id, name="Dana Reyes")
        sam = notes.ensure_staff_member(
            uow, shop_id=shop.id, name="Sam Lee", email="sam@acme-wholesale.example"
        )
        today = shop_today(shop.timezone, NOW)
        ana, acme = seeded.customers["ana"], seeded.companies["acme"]
        as_sam = notes.Actor.of(sam)
        notes.assign_sales_rep(uow, shop_id=shop.id, customer_id=ana, staff_id=dana.id, actor=as_sam)
        notes.assign_sales_rep(uow, shop_id=shop.id, company_id=acme, staff_id=dana.id, actor=as_sam)
        notes.assign_sales_rep(
            uow, shop_id=shop.id, customer_id=seeded.customers["ben"], staff_id=sam.id, actor=as_sam
        )
        notes.add_note(
            uow,
            shop_id=shop.id,
            subject_type=SubjectType.COMPANY,
            subject_id=acme,
            body="Annual contract renewal in March. Wants volume pricing on the 5 kg range.",
            author=as_sam,
        )
        for subject, subject_id, title, due, who in (
            (
                SubjectType.CUSTOMER,
                ana,
                "Call Ana about the spring re-order",
                today - timedelta(days=2),
                dana,
            ),
            (SubjectType.COMPANY, acme, "Send Acme the new price list", today, dana),
            (
                SubjectType.CUSTOMER,
                seeded.customers["ben"],
                "Chase Globex quote #Q-1043",
                today + timedelta(3),
                dana,
            ),
            (
                SubjectType.CUSTOMER,
                seeded.customers["emma"],
                "Offer Emma the wholesale application",
                None,
                sam,
            ),
        ):
            notes.add_task(
                uow,
                shop_id=shop.id,
                subject_type=subject,
                subject_id=subject_id,
                title=title,
                due_on=due,
                assignee_id=who.id,
                author=as_sam,
            )
        uow.commit()
    return seeded


def snap(page, screenshots_dir, name: str) -> None:
    """A full-page screenshot once the stylesheets have loaded (before, unstyled icons fill the page)."""
    page.wait_for_load_state("load")
    page.screenshot(path=str(screenshots_dir / name), full_page=True)


def sign_in(page, name: str = "Dana Reyes") -> None:
    page.goto("/signin")
    page.get_by_label("Shop").select_option(ACME_DOMAIN)
    page.get_by_label("Your name").fill(name)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", level=1, name="Acme Wholesale").wait_for()


def test_search_open_360_add_note_and_complete_task(page, live_server, book, screenshots_dir):
    sign_in(page)

    page.get_by_role("navigation", name="Tradeline").get_by_role("link", name="Customers").click()
    page.get_by_role("heading", level=1, name="Customers").wait_for()
    table = page.get_by_role("table", name="Customers")
    assert table.get_by_role("row").count() == 11  # header + 10 customers
    snap(page, screenshots_dir, "customers.png")

    page.get_by_label("Search customers").fill("ruiz")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**/customers?*q=ruiz*")
    assert table.get_by_role("row").count() == 2
    page.get_by_role("link", name="Ana Ruiz").click()

    page.get_by_role("heading", level=1, name="Ana Ruiz").wait_for()
    assert page.get_by_role("region", name="Sales rep").get_by_text("Dana Reyes", exact=True).is_visible()
    assert page.get_by_role("region", name="Company").get_by_role("link", name="Acme Corp").is_visible()
    assert page.get_by_role("img", name="Spend per month").is_visible()

    notes_card = page.get_by_role("region", name="Notes")
    notes_card.get_by_label("New note").fill(
        "Prefers delivery on Tuesdays; asked for samples of the new line."
    )
    notes_card.get_by_role("button", name="Add note").click()
    page.get_by_text("Note added.").wait_for()
    assert notes_card.get_by_text(
        "Prefers delivery on Tuesdays; asked for samples of the new line."
    ).is_visible()
    timeline = page.get_by_role("region", name="Timeline")
    assert timeline.get_by_text("Note by Dana Reyes: Prefers delivery on Tuesdays").is_visible()

    tasks_card = page.get_by_role("region", name="Tasks")
    assert tasks_card.get_by_text("Overdue").is_visible()
    tasks_card.get_by_role("button", name="Complete task: Call Ana about the spring re-order").click()
    page.get_by_text("Task “Call Ana about the spring re-order” completed.").wait_for()
    assert tasks_card.get_by_text("No open tasks.").is_visible()
    assert timeline.get_by_text(
        "Task “Call Ana about the spring re-order” completed by Dana Reyes"
    ).is_visible()
    snap(page, screenshots_dir, "customer-360.png")


def test_company_page_and_my_tasks(page, book, screenshots_dir):
    sign_in(page)

    page.goto("/companies")
    page.get_by_role("link", name="Acme Corp").click()
    page.get_by_role("heading", level=1, name="Acme Corp").wait_for()
    contacts = page.get_by_role("region", name="Contacts")
    assert contacts.get_by_role("link").all_inner_texts() == ["Farid Haddad", "Ana Ruiz"]  # by last name
    assert page.get_by_role("region", name="Locations").get_by_text("Acme Corp Austin warehouse").is_visible()
    snap(page, screenshots_dir, "company.png")

    page.get_by_role("navigation", name="Tradeline").get_by_role("link", name="Tasks").click()
    page.get_by_role("heading", level=1, name="Tasks").wait_for()
    titles = page.locator(".tl-task__title").all_inner_texts()
    assert titles == [
        "Call Ana about the spring re-order",
        "Send Acme the new price list",
        "Chase Globex quote #Q-1043",
    ]
    assert page.get_by_text("1 of your tasks is overdue.").is_visible()
    snap(page, screenshots_dir, "tasks.png")
