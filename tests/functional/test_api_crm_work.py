"""GET notes and tasks: what staff and integrations wrote, newest notes and soonest due tasks first."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app.api.responses import iso8601
from app.db import utcnow
from app.models import Shop
from crm import notes
from crm.models import CrmCompany, CrmCustomer
from crm.models_work import CrmNote, CrmStaffMember, CrmTask
from tests.api_crm_support import add_company, add_customer, api_shop, counting_statements, get, post

ANA = 706405506930370084
ACME_CO = 123456789
TIMEZONE = "Pacific/Kiritimati"  # UTC+14: its "today" is often not the server's


@pytest.fixture
def acme(uow):
    """Acme (in UTC+14) with a customer, a company and a staff member."""
    shop = api_shop(uow)
    uow.session.get(Shop, shop.id).timezone = TIMEZONE
    add_customer(uow, shop.id, ANA)
    add_company(uow, shop.id, ACME_CO)
    notes.ensure_staff_member(uow, shop_id=shop.id, name="Dana Reyes", email="dana@acme.example")
    uow.commit()
    return shop


@pytest.fixture
def ids(uow, acme):
    session = uow.session
    return {
        "customer": session.scalar(select(CrmCustomer.id).where(CrmCustomer.shop_id == acme.id)),
        "company": session.scalar(select(CrmCompany.id).where(CrmCompany.shop_id == acme.id)),
        "staff": session.scalar(select(CrmStaffMember.id).where(CrmStaffMember.shop_id == acme.id)),
    }


def shop_today() -> date:
    return utcnow().astimezone(ZoneInfo(TIMEZONE)).date()


def titles(response) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return [item["title"] for item in response.get_json()["data"]]


def test_a_customers_notes_are_listed_newest_first_by_staff_and_api(client, uow, acme, ids):
    # given: Dana writes in the admin, then the ERP through the API
    dana = notes.get_staff_member(uow, shop_id=acme.id, staff_id=ids["staff"])
    notes.add_note(
        uow,
        shop_id=acme.id,
        subject_type="customer",
        subject_id=ids["customer"],
        body="Met at the fair",
        author=notes.Actor.of(dana),
    )
    uow.commit()
    post(client, acme, f"/api/v1/customers/{ids['customer']}/notes", {"body": "Credit limit raised"})
    older, newer = uow.session.scalars(select(CrmNote).order_by(CrmNote.id)).all()
    # when
    response = get(client, acme, f"/api/v1/customers/{ids['customer']}/notes")
    # then
    assert response.status_code == 200
    assert response.get_json() == {
        "data": [
            {
                "id": newer.id,
                "customer_id": ids["customer"],
                "company_id": None,
                "body": "Credit limit raised",
                "author_name": "API: ERP sync",
                "author_id": None,
                "created_at": iso8601(newer.created_at),
            },
            {
                "id": older.id,
                "customer_id": ids["customer"],
                "company_id": None,
                "body": "Met at the fair",
                "author_name": "Dana Reyes",
                "author_id": ids["staff"],
                "created_at": iso8601(older.created_at),
            },
        ],
        "next_cursor": None,
    }
    assert get(client, acme, f"/api/v1/companies/{ids['company']}/notes").get_json() == {
        "data": [],
        "next_cursor": None,
    }


def test_notes_page_without_duplicates_or_gaps(client, acme, ids):
    for n in range(7):
        post(client, acme, f"/api/v1/companies/{ids['company']}/notes", {"body": f"note {n}"})

    first = get(client, acme, f"/api/v1/companies/{ids['company']}/notes", limit=4).get_json()
    second = get(
        client, acme, f"/api/v1/companies/{ids['company']}/notes", limit=4, cursor=first["next_cursor"]
    ).get_json()

    assert [n["body"] for n in first["data"] + second["data"]] == [f"note {n}" for n in reversed(range(7))]
    assert second["next_cursor"] is None


def test_another_shops_notes_are_a_404(client, uow, acme):
    globex = api_shop(uow, "globex.myshopify.com")
    theirs = add_customer(uow, globex.id, 900000000000000001)
    their_company = add_company(uow, globex.id, 777)
    uow.commit()

    on_customer = get(client, acme, f"/api/v1/customers/{theirs.id}/notes")
    on_company = get(client, acme, f"/api/v1/companies/{their_company.id}/notes")

    assert (on_customer.status_code, on_customer.get_json()["detail"]) == (
        404,
        f"customer {theirs.id} not found",
    )
    assert (on_company.status_code, on_company.get_json()["detail"]) == (
        404,
        f"company {their_company.id} not found",
    )


@pytest.fixture
def agenda(client, acme, ids):
    """Tasks due yesterday, today and tomorrow in the shop's zone, one without a date, one done."""
    today = shop_today()

    def create(title, **fields):
        response = post(client, acme, "/api/v1/tasks", {"title": title, **fields})
        assert response.status_code == 201, response.get_json()
        return response.get_json()["data"]["id"]

    create(
        "Overdue call",
        customer_id=ids["customer"],
        due_on=(today - timedelta(days=1)).isoformat(),
        assignee_id=ids["staff"],
    )
    create("Today's visit", company_id=ids["company"], due_on=today.isoformat())
    create("Tomorrow's quote", customer_id=ids["customer"], due_on=(today + timedelta(days=1)).isoformat())
    create("Someday", company_id=ids["company"])
    done = create("Finished", customer_id=ids["customer"], due_on=today.isoformat())
    post(client, acme, f"/api/v1/tasks/{done}/complete", None)
    return today


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["Overdue call", "Today's visit", "Tomorrow's quote", "Someday"]),
        ({"status": "done"}, ["Finished"]),
        (
            {"status": "all", "sort": "created_at"},
            ["Overdue call", "Today's visit", "Tomorrow's quote", "Someday", "Finished"],
        ),
        ({"due": "overdue"}, ["Overdue call"]),
        ({"due": "today"}, ["Today's visit"]),
        ({"due": "today", "status": "all"}, ["Today's visit", "Finished"]),
        ({"due": "upcoming"}, ["Tomorrow's quote"]),
        ({"due": "none"}, ["Someday"]),
        ({"search": "quote"}, ["Tomorrow's quote"]),
        ({"sort": "-due_on"}, ["Someday", "Tomorrow's quote", "Today's visit", "Overdue call"]),
    ],
)
def test_tasks_are_filtered_by_status_and_due_day_in_the_shops_zone(client, acme, agenda, params, expected):
    assert titles(get(client, acme, "/api/v1/tasks", **params)) == expected


def test_the_shops_today_comes_from_the_authenticated_key_without_another_statement(
    client, engine, acme, agenda
):
    # given: the key's use is recorded (by the agenda's requests), so each request is reads only
    counts = {}
    for due in ("today", "none"):
        # when
        with counting_statements(engine) as statements:
            response = get(client, acme, "/api/v1/tasks", due=due)
        assert response.status_code == 200
        counts[due] = statements.count
    # then "today" (a day of the shop's calendar) costs no query beyond those of a filter without it
    assert counts["today"] == counts["none"], statements.sql
    assert titles(get(client, acme, "/api/v1/tasks", due="today")) == ["Today's visit"]


def test_tasks_are_filtered_by_assignee_customer_and_company(client, acme, ids, agenda):
    assert titles(get(client, acme, "/api/v1/tasks", assignee_id=ids["staff"])) == ["Overdue call"]
    assert titles(get(client, acme, "/api/v1/tasks", customer_id=ids["customer"])) == [
        "Overdue call",
        "Tomorrow's quote",
    ]
    assert titles(get(client, acme, "/api/v1/tasks", company_id=ids["company"])) == [
        "Today's visit",
        "Someday",
    ]


def test_a_task_is_shown_by_id_as_the_list_shows_it(client, uow, acme, ids, agenda):
    listed = get(client, acme, "/api/v1/tasks", assignee_id=ids["staff"]).get_json()["data"][0]
    task = uow.session.get(CrmTask, listed["id"])

    response = get(client, acme, f"/api/v1/tasks/{task.id}")

    assert response.status_code == 200
    assert response.get_json() == {"data": listed}
    assert listed == {
        "id": task.id,
        "title": "Overdue call",
        "status": "open",
        "due_on": (agenda - timedelta(days=1)).isoformat(),
        "customer_id": ids["customer"],
        "company_id": None,
        "assignee": {"id": ids["staff"], "name": "Dana Reyes", "email": "dana@acme.example"},
        "created_by_name": "API: ERP sync",
        "completed_at": None,
        "completed_by_name": None,
        "created_at": iso8601(task.created_at),
        "updated_at": iso8601(task.updated_at),
    }


def test_another_shops_tasks_are_never_shown(client, uow, acme, agenda):
    # given
    globex = api_shop(uow, "globex.myshopify.com")
    theirs = add_customer(uow, globex.id, 900000000000000001)
    task = notes.add_task(
        uow,
        shop_id=globex.id,
        subject_type="customer",
        subject_id=theirs.id,
        title="Theirs",
        author=notes.Actor("Gil"),
    )
    uow.commit()
    # when
    response = get(client, acme, f"/api/v1/tasks/{task.id}")
    # then
    assert (response.status_code, response.get_json()["detail"]) == (404, f"task {task.id} not found")
    assert "Theirs" not in titles(get(client, acme, "/api/v1/tasks", status="all"))
    assert titles(get(client, globex, "/api/v1/tasks")) == ["Theirs"]


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"status": "closed"}, "status"),
        ({"due": "soon"}, "due"),
        ({"assignee_id": "dana"}, "assignee_id"),
        ({"sort": "title"}, "sort"),
    ],
)
def test_a_bad_task_filter_is_a_400_naming_the_parameter(client, acme, params, parameter):
    response = get(client, acme, "/api/v1/tasks", **params)

    assert response.status_code == 400
    assert [error["parameter"] for error in response.get_json()["errors"]] == [parameter]
