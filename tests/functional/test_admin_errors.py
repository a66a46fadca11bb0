"""Admin HTML error pages for 4xx outside /api/, keeping each status's headers; the API keeps problem+json."""

from __future__ import annotations

import pytest
from flask import Blueprint, abort

from tests.admin_support import add_acme, sign_in

# Views that fail on purpose; registered on each test's app, never part of the app itself.
probe = Blueprint("admin_error_probe", __name__)


@probe.get("/_probe/forbidden")
def forbidden():
    abort(403, description="Only the account owner can change billing.")


@pytest.fixture
def app(app):
    app.register_blueprint(probe)
    return app


def test_unknown_page_gets_the_admin_404_page(client):
    response = client.get("/no-such-page")

    assert response.status_code == 404
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert "<title>Not Found · Tradeline</title>" in html
    assert '<p class="tl-text-secondary tl-numeric">Error 404</p>' in html
    assert '<h1 class="tl-empty-state__heading">Not Found</h1>' in html
    assert '<a class="tl-button tl-button--primary" href="/">Go to home</a>' in html
    # Signed out: no shop in the top bar and no navigation.
    assert '<nav class="tl-nav"' not in html
    assert "tl-topbar__shop" not in html


def test_forbidden_page_shows_the_reason(client):
    response = client.get("/_probe/forbidden")

    assert response.status_code == 403
    html = response.get_data(as_text=True)
    assert '<h1 class="tl-empty-state__heading">Forbidden</h1>' in html
    assert '<p class="tl-empty-state__body">Only the account owner can change billing.</p>' in html


def test_wrong_method_keeps_the_allow_header(client, uow):
    sign_in(client, add_acme(uow).id)

    response = client.delete("/")

    assert response.status_code == 405
    assert sorted(m.strip() for m in response.headers["Allow"].split(",")) == ["GET", "HEAD", "OPTIONS"]
    assert '<h1 class="tl-empty-state__heading">Method Not Allowed</h1>' in response.get_data(as_text=True)


def test_unknown_api_path_still_answers_problem_json(client):
    response = client.get("/api/v1/no-such-resource")

    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["status"] == 404
