"""Local sign-in (development and demos) and its absence in production."""

from __future__ import annotations

import re

import pytest
from flask import Blueprint

from app import create_app
from app.auth.context import admin_required, current_shop_id, current_staff, is_embedded
from app.config import ConfigError
from app.shops import install_shop, uninstall_shop

probe = Blueprint("signin_probe", __name__)


@probe.get("/_probe/me")
@admin_required
def me():
    return {"shop_id": current_shop_id(), "staff": current_staff().name, "embedded": is_embedded()}


@pytest.fixture
def app(app):
    app.register_blueprint(probe)
    return app


@pytest.fixture
def shops(uow):
    acme = install_shop(uow, domain="acme")
    globex = install_shop(uow, domain="globex")
    gone = install_shop(uow, domain="gone")
    uninstall_shop(uow, shop_id=gone.id)
    uow.commit()
    return acme, globex, gone


def _csrf(client) -> str:
    page = client.get("/signin")
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def _sign_in(client, shop="acme.myshopify.com", staff="Grace Hopper", next_url=None, csrf=None):
    form = {"shop": shop, "staff": staff, "csrf_token": csrf if csrf is not None else _csrf(client)}
    if next_url is not None:
        form["next"] = next_url
    return client.post("/signin", data=form)


def test_the_sign_in_page_offers_the_installed_shops_and_a_default_name(client, shops):
    response = client.get("/signin")

    assert response.status_code == 200
    assert response.headers["Content-Security-Policy"] == "frame-ancestors 'self'"
    options = re.findall(r'<option value="([^"]+)"', response.text)
    assert options == ["acme.myshopify.com", "globex.myshopify.com"]
    assert 'value="Demo admin"' in response.text
    assert re.search(r'<select class="Select[^"]*" id="signin-shop" name="shop"', response.text)
    assert re.search(r'<input class="TextField[^"]*" id="signin-staff" name="staff"', response.text)
    assert re.search(
        r'<button class="Button Button--primary[^"]*" type="submit">Sign in</button>', response.text
    )
    assert "<title>Sign in · Tradeline</title>" in response.text  # rendered inside the admin layout


def test_without_shops_the_page_says_how_to_register_one(client):
    response = client.get("/signin")

    assert response.status_code == 200
    assert "tradeline shops add" in response.text
    assert "<form" not in response.text.split('id="main"')[1]


def test_signing_in_opens_the_admin_as_that_shop_and_staff_member(client, shops):
    acme, _globex, _gone = shops

    response = _sign_in(client, next_url="/_probe/me?tab=open")

    assert response.status_code == 302
    assert response.headers["Location"] == "/_probe/me?tab=open"
    page = client.get("/_probe/me")
    assert page.json == {"shop_id": acme.id, "staff": "Grace Hopper", "embedded": False}
    assert page.headers["Content-Security-Policy"] == "frame-ancestors 'self'"


def test_a_protected_page_sends_you_to_sign_in_and_back(client, shops):
    redirect = client.get("/_probe/me")
    assert redirect.status_code == 302
    assert redirect.headers["Location"] == "/signin?next=/_probe/me"

    page = client.get(redirect.headers["Location"])
    assert 'name="next" value="/_probe/me"' in page.text
    assert _sign_in(client, next_url="/_probe/me").headers["Location"] == "/_probe/me"


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/", "/\\evil.example", ""])
def test_sign_in_never_redirects_off_site(client, shops, next_url):
    response = _sign_in(client, next_url=next_url)

    assert response.status_code == 302
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize(
    ("form", "status", "message"),
    [
        ({"csrf": "forged"}, 400, "The form expired"),
        ({"csrf": ""}, 400, "The form expired"),
        ({"shop": "gone.myshopify.com"}, 422, "Choose one of the registered shops"),
        ({"shop": "unknown.myshopify.com"}, 422, "Choose one of the registered shops"),
        ({"staff": "   "}, 422, "Enter a display name"),
        ({"staff": "x" * 256}, 422, "Enter a display name"),
    ],
    ids=["forged-csrf", "missing-csrf", "uninstalled-shop", "unknown-shop", "blank-name", "long-name"],
)
def test_a_refused_sign_in_signs_no_one_in(client, shops, form, status, message):
    response = _sign_in(client, **form)

    assert response.status_code == status
    assert message in response.text
    assert client.get("/_probe/me").status_code == 302


def test_a_post_without_a_session_is_refused(client, shops):
    response = client.post("/signin", data={"shop": "acme.myshopify.com", "staff": "Eve", "csrf_token": "x"})

    assert response.status_code == 400
    assert client.get("/_probe/me").status_code == 302


def test_signing_out_forgets_the_sign_in(client, shops):
    _sign_in(client)

    response = client.get("/signout")

    assert response.status_code == 302
    assert response.headers["Location"] == "/signin"
    assert client.get("/_probe/me").status_code == 302


def test_the_layouts_sign_out_button_posts_to_sign_out(client, shops):
    _sign_in(client)

    assert client.post("/signout").status_code == 302
    assert client.get("/_probe/me").status_code == 302


def test_a_sign_in_to_a_shop_that_is_later_uninstalled_ends(client, uow, shops):
    acme, _globex, _gone = shops
    _sign_in(client)
    uninstall_shop(uow, shop_id=acme.id)
    uow.commit()

    assert client.get("/_probe/me").status_code == 302


# --- production -----------------------------------------------------------------------------------------

PRODUCTION = {
    "TRADELINE_ENV": "production",
    "LOCAL_SIGNIN": False,
    "SHOPIFY_API_KEY": "prod-client-id",
    "SHOPIFY_API_SECRET": "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",
    "APP_URL": "https://tradeline.example.com",
    "SECRET_KEY": "a-production-secret-key-of-some-length",
}


@pytest.fixture
def production_client(app_config, request):
    app_config.update(PRODUCTION)
    return request.getfixturevalue("client")


def test_local_sign_in_does_not_exist_in_production(production_client, shops):
    assert production_client.get("/signin").status_code == 404
    assert (
        production_client.post("/signin", data={"shop": "acme.myshopify.com", "staff": "Eve"}).status_code
        == 404
    )
    assert production_client.get("/signout").status_code == 404


def test_in_production_a_request_without_a_session_token_is_unauthorized(production_client, shops):
    acme, _globex, _gone = shops
    with production_client.session_transaction() as session:
        # A session cookie from some development instance must not count in production.
        session["shop_id"], session["staff"] = acme.id, "Mallory"

    response = production_client.get("/_probe/me")

    assert response.status_code == 401
    assert "Open it from your store" in response.text
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="Tradeline"'


@pytest.mark.parametrize("missing", ["SHOPIFY_API_SECRET", "SECRET_KEY", "TOKEN_ENCRYPTION_KEY", "APP_URL"])
def test_production_without_a_secret_refuses_to_start_and_names_it(app_config, missing):
    config = {**app_config, **PRODUCTION, missing: ""}

    with pytest.raises(ConfigError, match=missing):
        create_app(config)


def test_production_refuses_local_sign_in(app_config):
    with pytest.raises(ConfigError, match="LOCAL_SIGNIN"):
        create_app({**app_config, **PRODUCTION, "LOCAL_SIGNIN": True})
