"""POST notes and tasks: authored by the API key, committed, on the timeline; bad input writes nothing."""

from __future__ import annotations

from datetime import date
from http import HTTPStatus

import pytest
from sqlalchemy import select

from app.api.responses import iso8601
from crm import notes
from crm.models import CrmCompany, CrmCustomer, CrmTimelineEvent
from crm.models_work import CrmNote, CrmStaffMember, CrmTask
from tests.api_crm_support import add_company, add_customer, api_shop, post, work_counts

ANA = 706405506930370084
ACME_CO = 123456789


@pytest.fixture
def acme(uow):
    """Acme's shop with its key 'ERP sync', a customer, a company and a staff member."""
    shop = api_shop(uow, key_name="ERP sync")
    add_customer(uow, shop.id, ANA)
    add_company(uow, shop.id, ACME_CO)
    notes.ensure_staff_member(uow, shop_id=shop.id, name="Dana Reyes", email="dana@acme.example")
    uow.commit()
    return shop


@pytest.fixture
def ids(uow, acme):
    """Tradeline ids of Acme's customer, company and staff member."""
    session = uow.session
    return {
        "customer": session.scalar(select(CrmCustomer.id).where(CrmCustomer.shop_id == acme.id)),
        "company": session.scalar(select(CrmCompany.id).where(CrmCompany.shop_id == acme.id)),
        "staff": session.scalar(select(CrmStaffMember.id).where(CrmStaffMember.shop_id == acme.id)),
    }


def events(uow, **feed) -> list[tuple[str, str, str]]:
    rows = uow.session.scalars(
        select(CrmTimelineEvent)
        .filter_by(**feed)
        .where(CrmTimelineEvent.kind.not_like("%.created"), CrmTimelineEvent.kind.not_like("%.updated"))
        .order_by(CrmTimelineEvent.id)
    )
    return [(event.kind, event.actor, event.summary) for event in rows]


def problem(response) -> dict:
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    body.pop("request_id", None)
    return body


# -- notes ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("subject", ["customer", "company"])
def test_a_note_is_added_by_the_key_committed_and_put_on_the_timeline(client, uow, acme, ids, subject):
    # when
    path = f"/api/v1/{'customers' if subject == 'customer' else 'companies'}/{ids[subject]}/notes"
    response = post(client, acme, path, {"body": "  Wants net 60 terms from January.  "})
    # then
    assert response.status_code == 201
    note = uow.session.scalars(select(CrmNote)).one()
    assert response.get_json() == {
        "data": {
            "id": note.id,
            "customer_id": ids["customer"] if subject == "customer" else None,
            "company_id": ids["company"] if subject == "company" else None,
            "body": "Wants net 60 terms from January.",
            "author_name": "API: ERP sync",
            "author_id": None,
            "created_at": iso8601(note.created_at),
        }
    }
    assert events(uow, **{f"{subject}_id": ids[subject]}) == [
        (f"{subject}.note_added", "API: ERP sync", "Note by API: ERP sync: Wants net 60 terms from January.")
    ]


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, [{"pointer": "/body", "detail": "required: the note's text"}]),
        ({"body": "   "}, [{"pointer": "/body", "detail": "write something in the note"}]),
        ({"body": None}, [{"pointer": "/body", "detail": "must be a string"}]),
        ({"body": ["hi"]}, [{"pointer": "/body", "detail": "must be a string"}]),
        (
            {"body": "x" * 10_001},
            [{"pointer": "/body", "detail": "a note holds at most 10,000 characters (got 10,001)"}],
        ),
        (
            {"body": "hi", "author": "me"},
            [{"pointer": "/author", "detail": "unknown field; this endpoint takes body"}],
        ),
    ],
)
def test_a_bad_note_is_a_422_pointing_at_the_field_and_writes_nothing(client, uow, acme, ids, body, errors):
    # given
    before = work_counts(uow)
    # when
    response = post(client, acme, f"/api/v1/customers/{ids['customer']}/notes", body)
    # then
    assert response.status_code == 422
    assert problem(response) == {
        "type": "about:blank",
        "title": HTTPStatus.UNPROCESSABLE_ENTITY.phrase,
        "status": 422,
        "detail": "; ".join(f"{error['pointer'][1:]}: {error['detail']}" for error in errors),
        "instance": f"/api/v1/customers/{ids['customer']}/notes",
        "errors": errors,
    }
    assert work_counts(uow) == before


@pytest.mark.parametrize(
    ("data", "content_type", "status", "detail"),
    [
        (None, None, 415, "Send the request body as application/json (got no Content-Type)."),
        ("body=hi", "application/x-www-form-urlencoded", 415, None),
        ('{"body": "hi"', "application/json", 400, None),
        ('["hi"]', "application/json", 400, "The request body must be a JSON object, not an array."),
    ],
)
def test_a_note_body_that_is_not_a_json_object_is_refused_and_writes_nothing(
    client, uow, acme, ids, data, content_type, status, detail
):
    before = work_counts(uow)
    headers = {**acme.headers, **({"Content-Type": content_type} if content_type else {})}

    response = client.post(f"/api/v1/customers/{ids['customer']}/notes", data=data, headers=headers)

    assert response.status_code == status
    if detail:
        assert problem(response)["detail"] == detail
    assert work_counts(uow) == before


def test_a_note_on_another_shops_customer_or_company_is_a_404_and_writes_nothing(client, uow, acme):
    # given
    globex = api_shop(uow, "globex.myshopify.com")
    theirs = add_customer(uow, globex.id, 900000000000000001)
    their_company = add_company(uow, globex.id, 777)
    uow.commit()
    before = work_counts(uow)
    # when
    on_customer = post(client, acme, f"/api/v1/customers/{theirs.id}/notes", {"body": "hi"})
    on_company = post(client, acme, f"/api/v1/companies/{their_company.id}/notes", {"body": "hi"})
    # then
    assert on_customer.status_code == 404
    assert problem(on_customer)["detail"] == f"customer {theirs.id} not found"
    assert on_company.status_code == 404
    assert problem(on_company)["detail"] == f"company {their_company.id} not found"
    assert work_counts(uow) == before


# -- tasks ----------------------------------------------------------------------------------------


def test_a_task_is_created_with_its_due_date_and_assignee(client, uow, acme, ids):
    # when
    response = post(
        client,
        acme,
        "/api/v1/tasks",
        {
            "title": "Call about the Q3 order",
            "due_on": "2026-12-01",
            "company_id": ids["company"],
            "assignee_id": ids["staff"],
        },
    )
    # then
    assert response.status_code == 201
    task = uow.session.scalars(select(CrmTask)).one()
    assert response.get_json() == {
        "data": {
            "id": task.id,
            "title": "Call about the Q3 order",
            "status": "open",
            "due_on": "2026-12-01",
            "customer_id": None,
            "company_id": ids["company"],
            "assignee": {"id": ids["staff"], "name": "Dana Reyes", "email": "dana@acme.example"},
            "created_by_name": "API: ERP sync",
            "completed_at": None,
            "completed_by_name": None,
            "created_at": iso8601(task.created_at),
            "updated_at": iso8601(task.updated_at),
        }
    }
    assert (task.due_on, task.assignee_id, task.created_by_id) == (date(2026, 12, 1), ids["staff"], None)
    assert events(uow, company_id=ids["company"]) == [
        (
            "company.task_created",
            "API: ERP sync",
            "Task “Call about the Q3 order” created (due Dec 1, 2026, assigned to Dana Reyes)",
        )
    ]


def test_a_task_needs_only_a_title_and_its_customer(client, uow, acme, ids):
    response = post(
        client,
        acme,
        "/api/v1/tasks",
        {"title": "Send samples", "customer_id": ids["customer"], "due_on": None},
    )

    assert response.status_code == 201
    data = response.get_json()["data"]
    assert (data["customer_id"], data["company_id"], data["due_on"], data["assignee"]) == (
        ids["customer"],
        None,
        None,
        None,
    )
    assert [kind for kind, _, _ in events(uow, customer_id=ids["customer"])] == ["customer.task_created"]


def test_completing_a_task_marks_it_done_once(client, uow, acme, ids):
    # given
    task_id = post(
        client, acme, "/api/v1/tasks", {"title": "Send samples", "customer_id": ids["customer"]}
    ).get_json()["data"]["id"]
    # when
    first = post(client, acme, f"/api/v1/tasks/{task_id}/complete", None)
    again = post(client, acme, f"/api/v1/tasks/{task_id}/complete", None)
    # then
    assert first.status_code == 200
    task = uow.session.get(CrmTask, task_id)
    uow.session.refresh(task)
    assert first.get_json()["data"] | {"updated_at": None} == {
        "id": task_id,
        "title": "Send samples",
        "status": "done",
        "due_on": None,
        "customer_id": ids["customer"],
        "company_id": None,
        "assignee": None,
        "created_by_name": "API: ERP sync",
        "completed_at": iso8601(task.completed_at),
        "completed_by_name": "API: ERP sync",
        "created_at": iso8601(task.created_at),
        "updated_at": None,
    }
    assert again.status_code == 200
    assert again.get_json() == first.get_json()
    assert events(uow, customer_id=ids["customer"]) == [
        ("customer.task_created", "API: ERP sync", "Task “Send samples” created"),
        ("customer.task_completed", "API: ERP sync", "Task “Send samples” completed by API: ERP sync"),
    ]


def test_another_shops_task_cannot_be_completed(client, uow, acme):
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
    before = work_counts(uow)
    # when
    response = post(client, acme, f"/api/v1/tasks/{task.id}/complete", None)
    # then
    assert response.status_code == 404
    assert problem(response)["detail"] == f"task {task.id} not found"
    uow.session.refresh(task)
    assert task.completed_at is None
    assert work_counts(uow) == before


def bad_task_cases():
    """(body, errors) pairs, with `{customer}` etc. standing for the fixture's ids."""
    return [
        ({"customer_id": "{customer}"}, [("title", "required: what needs doing")]),
        ({"title": "  ", "customer_id": "{customer}"}, [("title", "say what needs doing")]),
        ({"title": 7, "customer_id": "{customer}"}, [("title", "must be a string")]),
        ({"title": "x" * 256, "customer_id": "{customer}"}, [("title", "at most 255 characters (got 256)")]),
        (
            {"title": "Call", "due_on": "01/12/2026", "customer_id": "{customer}"},
            [("due_on", "must be a date as YYYY-MM-DD, or null")],
        ),
        (
            {"title": "Call", "due_on": "2026-02-30", "customer_id": "{customer}"},
            [("due_on", "'2026-02-30' is not a calendar date")],
        ),
        (
            {"title": "Call", "due_on": 20261201, "customer_id": "{customer}"},
            [("due_on", "must be a date as YYYY-MM-DD, or null")],
        ),
        (
            {"title": "Call", "customer_id": "{customer}", "company_id": "{company}"},
            [
                ("customer_id", "give customer_id or company_id, not both"),
                ("company_id", "give customer_id or company_id, not both"),
            ],
        ),
        (
            {"title": "Call"},
            [("customer_id", "give customer_id or company_id: the task's customer or company")],
        ),
        ({"title": "Call", "customer_id": "7"}, [("customer_id", "must be an id (a positive integer)")]),
        ({"title": "Call", "customer_id": True}, [("customer_id", "must be an id (a positive integer)")]),
        ({"title": "Call", "customer_id": 2**40}, [("customer_id", "must be an id (a positive integer)")]),
        ({"title": "Call", "company_id": 999_999}, [("company_id", "no company 999999 in this shop")]),
        (
            {"title": "Call", "customer_id": "{customer}", "assignee_id": 999_999},
            [("assignee_id", "no staff member 999999 in this shop")],
        ),
        (
            {"title": "Call", "customer_id": "{customer}", "due": "2026-12-01"},
            [
                (
                    "due",
                    "unknown field; this endpoint takes title, due_on, customer_id, company_id, assignee_id",
                )
            ],
        ),
    ]


@pytest.mark.parametrize(("body", "errors"), bad_task_cases())
def test_a_bad_task_is_a_422_pointing_at_the_fields_and_writes_nothing(client, uow, acme, ids, body, errors):
    # given
    body = {
        key: ids[value[1:-1]] if isinstance(value, str) and value.startswith("{") else value
        for key, value in body.items()
    }
    before = work_counts(uow)
    # when
    response = post(client, acme, "/api/v1/tasks", body)
    # then
    assert response.status_code == 422
    assert problem(response) == {
        "type": "about:blank",
        "title": HTTPStatus.UNPROCESSABLE_ENTITY.phrase,
        "status": 422,
        "detail": "; ".join(f"{field}: {detail}" for field, detail in errors),
        "instance": "/api/v1/tasks",
        "errors": [{"pointer": f"/{field}", "detail": detail} for field, detail in errors],
    }
    assert work_counts(uow) == before


def test_a_task_for_another_shops_customer_or_staff_member_is_refused(client, uow, acme, ids):
    # given
    globex = api_shop(uow, "globex.myshopify.com")
    theirs = add_customer(uow, globex.id, 900000000000000001)
    gil = notes.ensure_staff_member(uow, shop_id=globex.id, name="Gil")
    uow.commit()
    before = work_counts(uow)
    # when
    for_their_customer = post(client, acme, "/api/v1/tasks", {"title": "Call", "customer_id": theirs.id})
    to_their_staff = post(
        client,
        acme,
        "/api/v1/tasks",
        {"title": "Call", "customer_id": ids["customer"], "assignee_id": gil.id},
    )
    # then
    assert (for_their_customer.status_code, problem(for_their_customer)["errors"]) == (
        422,
        [{"pointer": "/customer_id", "detail": f"no customer {theirs.id} in this shop"}],
    )
    assert (to_their_staff.status_code, problem(to_their_staff)["errors"]) == (
        422,
        [{"pointer": "/assignee_id", "detail": f"no staff member {gil.id} in this shop"}],
    )
    assert work_counts(uow) == before


def test_writes_need_an_api_key(client, uow, acme, ids):
    before = work_counts(uow)

    responses = [
        client.post(f"/api/v1/customers/{ids['customer']}/notes", json={"body": "hi"}),
        client.post("/api/v1/tasks", json={"title": "Call", "customer_id": ids["customer"]}),
    ]

    assert [r.status_code for r in responses] == [401, 401]
    assert work_counts(uow) == before
