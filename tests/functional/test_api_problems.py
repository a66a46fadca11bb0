"""Every error under /api/ is RFC 9457 problem+json; lists are cursor-paginated envelopes.

The routes under /api/v1/_test/ exist only in these tests: their endpoints are named "api.*", so Flask
treats them as views of the API blueprint, exactly like a real endpoint a later issue adds.
"""

from __future__ import annotations

import logging
from http import HTTPStatus

import pytest
from flask import Flask, abort, g, request
from sqlalchemy import select

from app.api.auth import api_key_required, request_uow
from app.api.inputs import json_body
from app.api.pagination import page_args, paginate
from app.api.problems import INTERNAL_ERROR_DETAIL
from app.api.responses import data_response, list_response
from app.apikeys import create_api_key
from app.errors import Conflict, InvalidInput
from app.models import ApiKey
from app.shops import install_shop
from app.tenancy import scoped

SECRET_IN_EXCEPTION = "password=hunter2 at db.internal:5432"


@pytest.fixture
def app(app: Flask) -> Flask:
    """The app, with test-only API views added before its first request."""

    def conflict():
        raise Conflict("Quote Q-1001 was already accepted.")

    def invalid():
        error = InvalidInput("The quote has 2 invalid lines.")
        error.errors = [{"pointer": "#/lines/0/quantity", "detail": "must be at least 1"}]
        raise error

    def crash():
        raise RuntimeError(SECRET_IN_EXCEPTION)

    def echo():
        return data_response(json_body(), status=201)

    def flask_json():
        return data_response(request.get_json())

    def gone():
        abort(404)

    @api_key_required
    def keys():
        args = page_args(request.args)
        page = paginate(
            request_uow().session,
            scoped(ApiKey, g.shop_id),
            key_columns=(ApiKey.id,),
            limit=args.limit,
            cursor=args.cursor,
        )
        return list_response(page, lambda key: {"id": key.id, "name": key.name})

    for name, view, methods in (
        ("conflict", conflict, ["GET"]),
        ("invalid", invalid, ["GET"]),
        ("crash", crash, ["GET"]),
        ("echo", echo, ["POST"]),
        ("flask-json", flask_json, ["POST"]),
        ("gone", gone, ["GET"]),
        ("keys", keys, ["GET"]),
    ):
        app.add_url_rule(
            f"/api/v1/_test/{name}", endpoint=f"api.test_{name}", view_func=view, methods=methods
        )
    return app


@pytest.fixture
def acme(uow):
    """acme with 7 API keys; the first one's plaintext authenticates the list requests."""
    shop = install_shop(uow, domain="acme")
    plaintexts = [create_api_key(uow, shop_id=shop.id, name=f"key {i}")[1] for i in range(7)]
    other = install_shop(uow, domain="globex")
    create_api_key(uow, shop_id=other.id, name="not acme's")
    uow.commit()
    return {"Authorization": f"Bearer {plaintexts[0]}"}


def problem_of(response) -> dict:
    """The problem body, checking the media type and the request id the logs carry."""
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body.pop("request_id", None) == response.headers.get("X-Request-Id")
    return body


def test_an_unknown_api_path_is_a_404_problem(client):
    response = client.get("/api/v1/nothing-here")

    assert response.status_code == 404
    assert problem_of(response) == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": "No API endpoint at /api/v1/nothing-here. GET /api/v1/openapi.json lists them.",
        "instance": "/api/v1/nothing-here",
    }


def test_an_unknown_path_outside_the_api_keeps_its_html_error(client):
    response = client.get("/nothing-here")

    assert response.status_code == 404
    assert response.mimetype == "text/html"


def test_a_wrong_method_is_a_405_problem_with_allow(client):
    response = client.delete("/api/v1/shop")

    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, HEAD, OPTIONS"
    assert problem_of(response) == {
        "type": "about:blank",
        "title": "Method Not Allowed",
        "status": 405,
        "detail": "DELETE is not allowed on /api/v1/shop; allowed: GET, HEAD, OPTIONS.",
        "instance": "/api/v1/shop",
    }


def test_a_domain_error_is_a_problem_with_its_detail(client):
    response = client.get("/api/v1/_test/conflict")

    assert response.status_code == 409
    assert problem_of(response) == {
        "type": "about:blank",
        "title": "Conflict",
        "status": 409,
        "detail": "Quote Q-1001 was already accepted.",
        "instance": "/api/v1/_test/conflict",
    }


def test_field_errors_are_listed_in_errors(client):
    response = client.get("/api/v1/_test/invalid")

    assert response.status_code == 422
    assert problem_of(response) == {
        "type": "about:blank",
        "title": HTTPStatus.UNPROCESSABLE_ENTITY.phrase,
        "status": 422,
        "detail": "The quote has 2 invalid lines.",
        "instance": "/api/v1/_test/invalid",
        "errors": [{"pointer": "#/lines/0/quantity", "detail": "must be at least 1"}],
    }


def test_an_unexpected_error_is_a_500_problem_that_leaks_nothing_and_is_logged(client, caplog):
    with caplog.at_level(logging.ERROR):
        response = client.get("/api/v1/_test/crash")

    assert response.status_code == 500
    assert problem_of(response) == {
        "type": "about:blank",
        "title": "Internal Server Error",
        "status": 500,
        "detail": INTERNAL_ERROR_DETAIL,
        "instance": "/api/v1/_test/crash",
    }
    assert "hunter2" not in response.get_data(as_text=True)
    assert "RuntimeError" not in response.get_data(as_text=True)
    logged = [r for r in caplog.records if r.exc_info and r.exc_info[0] is RuntimeError]
    assert len(logged) == 1


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (
            b'{"name": "Acme",',
            "The request body is not valid JSON: Expecting property name enclosed in double",
        ),
        (b"", "The request body is not valid JSON: Expecting value (line 1, column 1)."),
        (b"\xff\xfe", "The request body is not UTF-8 encoded JSON."),
        (b"[1, 2]", "The request body must be a JSON object, not an array."),
        (b'"Acme"', "The request body must be a JSON object, not a string."),
        (b"null", "The request body must be a JSON object, not null."),
    ],
)
def test_a_malformed_json_body_is_a_400_problem(client, body, detail):
    response = client.post("/api/v1/_test/echo", data=body, content_type="application/json")

    assert response.status_code == 400
    problem = problem_of(response)
    assert problem["title"] == "Bad Request"
    assert problem["detail"].startswith(detail)


def test_flasks_own_bad_request_is_a_problem_too(client):
    response = client.post("/api/v1/_test/flask-json", data=b"{oops", content_type="application/json")

    assert response.status_code == 400
    assert problem_of(response) == {
        "type": "about:blank",
        "title": "Bad Request",
        "status": 400,
        "detail": "The browser (or proxy) sent a request that this server could not understand.",
        "instance": "/api/v1/_test/flask-json",
    }


def test_a_views_own_404_keeps_its_text(client):
    response = client.get("/api/v1/_test/gone")

    assert response.status_code == 404
    assert problem_of(response)["detail"] == (
        "The requested URL was not found on the server. "
        "If you entered the URL manually please check your spelling and try again."
    )


def test_a_body_that_is_not_json_is_a_415_problem(client):
    response = client.post(
        "/api/v1/_test/echo", data="name=Acme", content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 415
    assert problem_of(response)["detail"] == (
        "Send the request body as application/json (got application/x-www-form-urlencoded)."
    )


def test_a_json_object_body_reaches_the_view(client):
    response = client.post("/api/v1/_test/echo", json={"name": "Acme"})

    assert response.status_code == 201
    assert response.get_json() == {"data": {"name": "Acme"}}


def test_a_list_is_an_envelope_with_a_cursor_walk_over_the_shops_own_rows(client, acme, uow):
    # when: walking three keys at a time
    names, cursor, pages = [], None, 0
    while True:
        query = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        response = client.get("/api/v1/_test/keys", query_string=query, headers=acme)
        assert response.status_code == 200
        body = response.get_json()
        assert set(body) == {"data", "next_cursor"}
        names += [item["name"] for item in body["data"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    # then
    assert names == [f"key {i}" for i in range(7)]
    assert pages == 3


def test_the_default_list_is_one_page_of_up_to_50(client, acme):
    response = client.get("/api/v1/_test/keys", headers=acme)

    assert response.status_code == 200
    assert [item["name"] for item in response.get_json()["data"]] == [f"key {i}" for i in range(7)]
    assert response.get_json()["next_cursor"] is None


@pytest.mark.parametrize(
    ("query", "detail"),
    [
        ({"limit": "251"}, "limit must be from 1 to 250; got '251'."),
        ({"limit": "ten"}, "limit must be an integer from 1 to 250; got 'ten'."),
        (
            {"cursor": "garbled!"},
            "The cursor is not one this API issued: pass next_cursor from the previous page unchanged, "
            "or leave cursor out for the first page.",
        ),
    ],
)
def test_bad_list_parameters_are_400_problems_naming_the_parameter(client, acme, uow, query, detail):
    before = uow.session.scalars(select(ApiKey.id).order_by(ApiKey.id)).all()

    response = client.get("/api/v1/_test/keys", query_string=query, headers=acme)

    assert response.status_code == 400
    assert problem_of(response) == {
        "type": "about:blank",
        "title": "Bad Request",
        "status": 400,
        "detail": detail,
        "instance": "/api/v1/_test/keys",
        "errors": [{"parameter": next(iter(query)), "detail": detail}],
    }
    assert uow.session.scalars(select(ApiKey.id).order_by(ApiKey.id)).all() == before
