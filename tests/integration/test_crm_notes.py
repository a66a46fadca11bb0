"""Notes, follow-up tasks, staff members and sales reps (crm.notes): each change writes one timeline event."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from app.errors import InvalidInput, NotFound
from crm import notes
from crm.models import CrmCompany, CrmCustomer, CrmTimelineEvent, SubjectType
from crm.models_work import CrmNote, CrmSalesRepAssignment, CrmStaffMember, CrmTask
from tests.crm_pages_support import seed_book
from tests.crm_support import make_shop

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture
def shop_id(uow):
    return make_shop(uow, domain="acme-wholesale.myshopify.com", currency="EUR")


@pytest.fixture
def book(uow, shop_id):
    return seed_book(uow, shop_id, now=NOW)


@pytest.fixture
def dana(uow, shop_id):
    return notes.ensure_staff_member(uow, shop_id=shop_id, name="Dana Reyes")


@pytest.fixture
def sam(uow, shop_id):
    return notes.ensure_staff_member(
        uow, shop_id=shop_id, name="Sam Lee", shopify_user_id=902541635, email="sam@acme.example"
    )


@pytest.fixture
def other_shop(uow):
    """A second shop with a customer, a company and a staff member of its own."""
    other = make_shop(uow, domain="globex.myshopify.com")
    seeded = seed_book(uow, other, now=NOW)
    member = notes.ensure_staff_member(uow, shop_id=other, name="Olga Other")
    return other, seeded, member


def events(uow, shop_id, **where):
    stmt = select(CrmTimelineEvent).where(
        CrmTimelineEvent.shop_id == shop_id, CrmTimelineEvent.actor != "shopify"
    )
    for name, value in where.items():
        stmt = stmt.where(getattr(CrmTimelineEvent, name) == value)
    return list(uow.session.scalars(stmt.order_by(CrmTimelineEvent.id)))


def count(uow, model, shop_id):
    return uow.session.scalar(select(func.count()).select_from(model).where(model.shop_id == shop_id))


# -- staff members --------------------------------------------------------------------------------


def test_a_shopify_staff_member_is_one_row_per_user_id_and_keeps_name_and_email_current(uow, shop_id):
    first = notes.ensure_staff_member(
        uow, shop_id=shop_id, name="Sam Lee", shopify_user_id=42, email="sam@a.example"
    )
    again = notes.ensure_staff_member(
        uow, shop_id=shop_id, name="Samuel Lee", shopify_user_id=42, email="samuel@a.example"
    )

    assert again.id == first.id
    assert (again.identity, again.name, again.email, again.shopify_user_id) == (
        "shopify:42",
        "Samuel Lee",
        "samuel@a.example",
        42,
    )
    assert count(uow, CrmStaffMember, shop_id) == 1


def test_a_profile_without_email_keeps_the_known_email(uow, shop_id):
    notes.ensure_staff_member(uow, shop_id=shop_id, name="Sam Lee", shopify_user_id=42, email="sam@a.example")

    member = notes.ensure_staff_member(uow, shop_id=shop_id, name="Sam Lee", shopify_user_id=42)

    assert member.email == "sam@a.example"


def test_local_sign_in_names_match_ignoring_case_and_spacing(uow, shop_id):
    first = notes.ensure_staff_member(uow, shop_id=shop_id, name="Dana Reyes")
    again = notes.ensure_staff_member(uow, shop_id=shop_id, name="  dana   REYES ")

    assert again.id == first.id
    assert first.identity == "name:dana reyes"


def test_a_shopify_user_and_a_local_name_are_different_staff_members(uow, shop_id):
    local = notes.ensure_staff_member(uow, shop_id=shop_id, name="Sam Lee")
    shopify = notes.ensure_staff_member(uow, shop_id=shop_id, name="Sam Lee", shopify_user_id=42)

    assert local.id != shopify.id
    assert [m.name for m in notes.list_staff_members(uow, shop_id=shop_id)] == ["Sam Lee", "Sam Lee"]


def test_the_same_name_in_two_shops_is_two_staff_members(uow, shop_id):
    other = make_shop(uow, domain="globex.myshopify.com")

    mine = notes.ensure_staff_member(uow, shop_id=shop_id, name="Dana Reyes")
    theirs = notes.ensure_staff_member(uow, shop_id=other, name="Dana Reyes")

    assert mine.id != theirs.id
    with pytest.raises(NotFound):
        notes.get_staff_member(uow, shop_id=shop_id, staff_id=theirs.id)


# -- notes ----------------------------------------------------------------------------------------


def test_adding_a_note_to_a_customer_writes_the_note_and_one_timeline_event(uow, shop_id, book, dana):
    ana = book.customers["ana"]

    note = notes.add_note(
        uow,
        shop_id=shop_id,
        subject_type="customer",
        subject_id=ana,
        body="  Prefers Tuesday deliveries.\nAsked for samples.  ",
        author=notes.Actor.of(dana),
    )

    assert (note.customer_id, note.company_id, note.body, note.author_id, note.author_name) == (
        ana,
        None,
        "Prefers Tuesday deliveries.\nAsked for samples.",
        dana.id,
        "Dana Reyes",
    )
    [event] = events(uow, shop_id)
    assert (event.kind, event.subject_type, event.subject_id, event.customer_id, event.company_id) == (
        "customer.note_added",
        SubjectType.CUSTOMER,
        ana,
        ana,
        None,
    )
    assert event.actor == "Dana Reyes"
    assert event.summary == "Note by Dana Reyes: Prefers Tuesday deliveries. Asked for samples."
    assert event.data == {"note_id": note.id, "actor_staff_id": dana.id}


def test_a_note_through_the_api_has_no_staff_author(uow, shop_id, book):
    note = notes.add_note(
        uow,
        shop_id=shop_id,
        subject_type=SubjectType.COMPANY,
        subject_id=book.companies["acme"],
        body="Imported from the ERP",
        author=notes.Actor("API key tl_ab12cd34"),
    )

    assert (note.author_id, note.author_name, note.company_id) == (
        None,
        "API key tl_ab12cd34",
        book.companies["acme"],
    )
    [event] = events(uow, shop_id)
    assert (event.kind, event.company_id, event.actor, event.data) == (
        "company.note_added",
        book.companies["acme"],
        "API key tl_ab12cd34",
        {"note_id": note.id},
    )


def test_a_long_note_is_quoted_shortened_on_the_timeline(uow, shop_id, book, dana):
    body = "word " * 100

    notes.add_note(
        uow,
        shop_id=shop_id,
        subject_type="customer",
        subject_id=book.customers["ben"],
        body=body,
        author=notes.Actor.of(dana),
    )

    [event] = events(uow, shop_id)
    assert event.summary.startswith("Note by Dana Reyes: word word")
    assert event.summary.endswith("…")
    assert len(event.summary) == len("Note by Dana Reyes: ") + notes.EXCERPT_CHARS


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ("   \n ", "body: write something in the note"),
        ("x" * (notes.NOTE_MAX_CHARS + 1), "body: a note holds at most 10,000 characters (got 10,001)"),
    ],
)
def test_a_blank_or_oversized_note_is_refused_and_nothing_is_written(uow, shop_id, book, dana, body, detail):
    with pytest.raises(InvalidInput) as refused:
        notes.add_note(
            uow,
            shop_id=shop_id,
            subject_type="customer",
            subject_id=book.customers["ana"],
            body=body,
            author=notes.Actor.of(dana),
        )

    assert refused.value.detail == detail
    assert count(uow, CrmNote, shop_id) == 0
    assert events(uow, shop_id) == []


def test_a_note_on_another_shops_customer_is_not_found_and_nothing_is_written(uow, shop_id, dana, other_shop):
    other, seeded, _ = other_shop

    with pytest.raises(NotFound):
        notes.add_note(
            uow,
            shop_id=shop_id,
            subject_type="customer",
            subject_id=seeded.customers["ana"],
            body="Hello",
            author=notes.Actor.of(dana),
        )

    assert count(uow, CrmNote, shop_id) == 0
    assert count(uow, CrmNote, other) == 0
    assert events(uow, shop_id) == [] and events(uow, other) == []


def test_notes_are_only_about_customers_and_companies(uow, shop_id, book, dana):
    with pytest.raises(InvalidInput) as refused:
        notes.add_note(
            uow,
            shop_id=shop_id,
            subject_type="order",
            subject_id=1,
            body="Hello",
            author=notes.Actor.of(dana),
        )

    assert refused.value.detail == "subject_type: expected 'customer' or 'company', got 'order'"
    assert count(uow, CrmNote, shop_id) == 0


# -- tasks ----------------------------------------------------------------------------------------


def test_adding_a_task_stores_it_and_writes_task_created(uow, shop_id, book, dana, sam):
    acme = book.companies["acme"]

    task = notes.add_task(
        uow,
        shop_id=shop_id,
        subject_type="company",
        subject_id=acme,
        title="  Send   the new price list ",
        due_on=date(2026, 12, 1),
        assignee_id=sam.id,
        author=notes.Actor.of(dana),
    )

    assert (task.company_id, task.customer_id, task.title, task.due_on, task.assignee_id) == (
        acme,
        None,
        "Send the new price list",
        date(2026, 12, 1),
        sam.id,
    )
    assert (task.created_by_id, task.created_by_name, task.completed_at, task.is_open) == (
        dana.id,
        "Dana Reyes",
        None,
        True,
    )
    [event] = events(uow, shop_id)
    assert (event.kind, event.company_id, event.actor) == ("company.task_created", acme, "Dana Reyes")
    assert event.summary == "Task “Send the new price list” created (due Dec 1, 2026, assigned to Sam Lee)"
    assert event.data == {
        "task_id": task.id,
        "title": "Send the new price list",
        "due_on": "2026-12-01",
        "assignee_id": [None, sam.id],
        "actor_staff_id": dana.id,
    }


def test_a_task_without_due_date_or_assignee(uow, shop_id, book, dana):
    task = notes.add_task(
        uow,
        shop_id=shop_id,
        subject_type="customer",
        subject_id=book.customers["emma"],
        title="Say thanks",
        author=notes.Actor.of(dana),
    )

    assert (task.due_on, task.assignee_id) == (None, None)
    assert events(uow, shop_id)[0].summary == "Task “Say thanks” created"


def test_a_task_for_another_shops_staff_member_is_refused_and_nothing_is_written(
    uow, shop_id, book, dana, other_shop
):
    _, _, olga = other_shop

    with pytest.raises(InvalidInput) as refused:
        notes.add_task(
            uow,
            shop_id=shop_id,
            subject_type="customer",
            subject_id=book.customers["ana"],
            title="Call",
            assignee_id=olga.id,
            author=notes.Actor.of(dana),
        )

    assert refused.value.detail == f"assignee_id: no staff member {olga.id} in this shop"
    assert count(uow, CrmTask, shop_id) == 0
    assert events(uow, shop_id) == []


@pytest.mark.parametrize(
    ("title", "detail"),
    [("  ", "title: say what needs doing"), ("t" * 256, "title: at most 255 characters (got 256)")],
)
def test_a_task_needs_a_title_of_at_most_255_characters(uow, shop_id, book, dana, title, detail):
    with pytest.raises(InvalidInput) as refused:
        notes.add_task(
            uow,
            shop_id=shop_id,
            subject_type="customer",
            subject_id=book.customers["ana"],
            title=title,
            author=notes.Actor.of(dana),
        )

    assert refused.value.detail == detail
    assert count(uow, CrmTask, shop_id) == 0


def _task(uow, shop_id, book, author, **kwargs):
    return notes.add_task(
        uow,
        shop_id=shop_id,
        subject_type="customer",
        subject_id=book.customers["ana"],
        title="Call Ana",
        author=notes.Actor.of(author),
        **kwargs,
    )


def test_completing_a_task_twice_completes_it_once_with_one_event(uow, shop_id, book, dana, sam):
    task = _task(uow, shop_id, book, dana, assignee_id=sam.id)

    notes.complete_task(uow, shop_id=shop_id, task_id=task.id, actor=notes.Actor.of(sam))
    completed_at = task.completed_at
    notes.complete_task(uow, shop_id=shop_id, task_id=task.id, actor=notes.Actor.of(dana))

    assert completed_at is not None
    assert (task.completed_at, task.completed_by_name, task.is_open) == (completed_at, "Sam Lee", False)
    kinds = [(e.kind, e.summary) for e in events(uow, shop_id)]
    assert kinds == [
        ("customer.task_created", "Task “Call Ana” created (assigned to Sam Lee)"),
        ("customer.task_completed", "Task “Call Ana” completed by Sam Lee"),
    ]


def test_reopening_a_done_task_clears_its_completion(uow, shop_id, book, dana):
    task = _task(uow, shop_id, book, dana)
    notes.complete_task(uow, shop_id=shop_id, task_id=task.id, actor=notes.Actor.of(dana))

    notes.reopen_task(uow, shop_id=shop_id, task_id=task.id, actor=notes.Actor.of(dana))
    notes.reopen_task(uow, shop_id=shop_id, task_id=task.id, actor=notes.Actor.of(dana))

    assert (task.completed_at, task.completed_by_name) == (None, None)
    assert [e.kind for e in events(uow, shop_id)] == [
        "customer.task_created",
        "customer.task_completed",
        "customer.task_reopened",
    ]
    assert events(uow, shop_id)[-1].data == {
        "task_id": task.id,
        "completed": [True, False],
        "actor_staff_id": dana.id,
    }


def test_reassigning_a_task_records_the_old_and_new_assignee(uow, shop_id, book, dana, sam):
    task = _task(uow, shop_id, book, dana, assignee_id=dana.id)

    notes.reassign_task(uow, shop_id=shop_id, task_id=task.id, assignee_id=sam.id, actor=notes.Actor.of(dana))
    notes.reassign_task(uow, shop_id=shop_id, task_id=task.id, assignee_id=sam.id, actor=notes.Actor.of(dana))
    notes.reassign_task(uow, shop_id=shop_id, task_id=task.id, assignee_id=None, actor=notes.Actor.of(dana))

    assert task.assignee_id is None
    reassigned = [e for e in events(uow, shop_id) if e.kind == "customer.task_reassigned"]
    assert [(e.summary, e.data["assignee_id"]) for e in reassigned] == [
        ("Task “Call Ana” reassigned from Dana Reyes to Sam Lee", [dana.id, sam.id]),
        ("Task “Call Ana” unassigned (was Sam Lee)", [sam.id, None]),
    ]


def test_tasks_of_another_shop_are_not_found_and_stay_as_they_were(uow, shop_id, dana, other_shop):
    other, seeded, olga = other_shop
    theirs = notes.add_task(
        uow,
        shop_id=other,
        subject_type="customer",
        subject_id=seeded.customers["ana"],
        title="Theirs",
        author=notes.Actor.of(olga),
    )

    for change in (notes.complete_task, notes.reopen_task):
        with pytest.raises(NotFound):
            change(uow, shop_id=shop_id, task_id=theirs.id, actor=notes.Actor.of(dana))
    with pytest.raises(NotFound):
        notes.reassign_task(
            uow, shop_id=shop_id, task_id=theirs.id, assignee_id=dana.id, actor=notes.Actor.of(dana)
        )

    assert (theirs.completed_at, theirs.assignee_id) == (None, None)
    assert [e.kind for e in events(uow, other)] == ["customer.task_created"]


# -- sales reps -----------------------------------------------------------------------------------


def test_assigning_a_sales_rep_stores_it_copies_name_and_email_and_writes_one_event(
    uow, shop_id, book, dana, sam
):
    ana = book.customers["ana"]

    rep = notes.assign_sales_rep(
        uow, shop_id=shop_id, customer_id=ana, staff_id=sam.id, actor=notes.Actor.of(dana)
    )

    assert rep is sam
    assert notes.sales_rep_of(uow, shop_id=shop_id, customer_id=ana) is sam
    customer = uow.session.get(CrmCustomer, ana)
    assert (customer.sales_rep_name, customer.sales_rep_email) == ("Sam Lee", "sam@acme.example")
    [event] = events(uow, shop_id)
    assert (event.kind, event.customer_id, event.summary, event.data) == (
        "customer.sales_rep_changed",
        ana,
        "Sales rep set to Sam Lee",
        {"sales_rep_id": [None, sam.id], "actor_staff_id": dana.id},
    )


def test_changing_then_removing_a_companys_sales_rep(uow, shop_id, book, dana, sam):
    acme = book.companies["acme"]
    actor = notes.Actor.of(dana)
    notes.assign_sales_rep(uow, shop_id=shop_id, company_id=acme, staff_id=dana.id, actor=actor)

    notes.assign_sales_rep(uow, shop_id=shop_id, company_id=acme, staff_id=sam.id, actor=actor)
    notes.assign_sales_rep(uow, shop_id=shop_id, company_id=acme, staff_id=sam.id, actor=actor)
    changed = [e.summary for e in events(uow, shop_id)]
    notes.assign_sales_rep(uow, shop_id=shop_id, company_id=acme, staff_id=None, actor=actor)

    assert changed == ["Sales rep set to Dana Reyes", "Sales rep changed from Dana Reyes to Sam Lee"]
    assert events(uow, shop_id)[-1].summary == "Sales rep Sam Lee removed"
    assert notes.sales_rep_of(uow, shop_id=shop_id, company_id=acme) is None
    assert count(uow, CrmSalesRepAssignment, shop_id) == 0
    company = uow.session.get(CrmCompany, acme)
    assert (company.sales_rep_name, company.sales_rep_email) == (None, None)


def test_a_renamed_staff_member_is_renamed_on_the_accounts_they_own(uow, shop_id, book, dana):
    sam = notes.ensure_staff_member(
        uow, shop_id=shop_id, name="Sam Lee", shopify_user_id=7, email="sam@a.example"
    )
    notes.assign_sales_rep(
        uow, shop_id=shop_id, customer_id=book.customers["ben"], staff_id=sam.id, actor=notes.Actor.of(dana)
    )
    notes.assign_sales_rep(
        uow, shop_id=shop_id, company_id=book.companies["globex"], staff_id=sam.id, actor=notes.Actor.of(dana)
    )

    notes.ensure_staff_member(
        uow, shop_id=shop_id, name="Samuel Lee", shopify_user_id=7, email="samuel@a.example"
    )

    uow.session.expire_all()
    customer = uow.session.get(CrmCustomer, book.customers["ben"])
    company = uow.session.get(CrmCompany, book.companies["globex"])
    assert (customer.sales_rep_name, customer.sales_rep_email) == ("Samuel Lee", "samuel@a.example")
    assert (company.sales_rep_name, company.sales_rep_email) == ("Samuel Lee", "samuel@a.example")


def test_a_sales_rep_of_another_shop_is_refused_and_nothing_changes(uow, shop_id, book, dana, other_shop):
    _, _, olga = other_shop
    ana = book.customers["ana"]
    notes.assign_sales_rep(
        uow, shop_id=shop_id, customer_id=ana, staff_id=dana.id, actor=notes.Actor.of(dana)
    )

    with pytest.raises(InvalidInput):
        notes.assign_sales_rep(
            uow, shop_id=shop_id, customer_id=ana, staff_id=olga.id, actor=notes.Actor.of(dana)
        )

    assert notes.sales_rep_of(uow, shop_id=shop_id, customer_id=ana) is dana
    assert len(events(uow, shop_id)) == 1


def test_a_sales_rep_names_exactly_one_account(uow, shop_id, book, dana):
    with pytest.raises(InvalidInput) as refused:
        notes.assign_sales_rep(
            uow,
            shop_id=shop_id,
            customer_id=book.customers["ana"],
            company_id=book.companies["acme"],
            staff_id=dana.id,
            actor=notes.Actor.of(dana),
        )

    assert refused.value.detail == "name exactly one of customer_id and company_id"
    assert count(uow, CrmSalesRepAssignment, shop_id) == 0
