"""Embedded admin authentication: App Bridge session tokens, managed install, token exchange, tenancy."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Blueprint
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app import services
from app.auth.context import admin_required, current_shop_domain, current_shop_id, current_staff, is_embedded
from app.auth.service import shop_installed
from app.db import utcnow
from app.models import AccessMode, Shop, ShopToken
from app.shops import TokenSet, install_shop, load_token, store_token, uninstall_shop
from tests.auth_support import (
    APP_SECRET,
    FORGED_SECRET,
    OFFLINE_TOKEN_TYPE,
    ONLINE_TOKEN_TYPE,
    PREVIOUS_APP_SECRET,
    TOKEN_EXCHANGE_GRANT,
    FakeShopifyTokens,
)
from tests.support import API_KEY, session_token

BASE_URL = "https://tradeline.test"
ACME = "acme.myshopify.com"
GLOBEX = "globex.myshopify.com"
ACME_CSP = "frame-ancestors https://acme.myshopify.com https://admin.shopify.com"

# A protected view to test against; registered on each test's app, never part of the app itself.
probe = Blueprint("auth_probe", __name__)


@probe.get("/_probe/whoami")
@admin_required
def whoami():
    staff = current_staff()
    return {
        "shop_id": current_shop_id(),
        "shop": current_shop_domain(),
        "staff": staff.name,
        "user_id": staff.user_id,
        "email": staff.email,
        "embedded": is_embedded(),
    }


@pytest.fixture
def shopify() -> FakeShopifyTokens:
    return FakeShopifyTokens()


@pytest.fixture
def app_config(app_config, shopify):
    return {**app_config, "SHOPIFY_HTTP_TRANSPORT": shopify.transport, "SHOPIFY_API_SECRET": APP_SECRET}


@pytest.fixture
def app(app):
    app.register_blueprint(probe)
    return app


def token_for(shop: str, *, secret: str = APP_SECRET, **claims) -> str:
    """A session token as App Bridge issues it, signed with the app's secret unless told otherwise."""
    return session_token(shop, secret=secret, **claims)


def _shop_count(uow) -> int:
    return uow.session.scalar(select(func.count()).select_from(Shop))


def _installed(
    uow, domain: str, *, expires_in=timedelta(hours=1), refresh_expires_in=timedelta(days=60)
) -> Shop:
    shop = install_shop(uow, domain=domain)
    now = utcnow()
    store_token(
        uow,
        services().cipher,
        shop_id=shop.id,
        tokens=TokenSet(
            access_token=f"shpat_stored_{shop.handle}",
            scope="read_customers",
            expires_at=now + expires_in,
            refresh_token=f"shprt_stored_{shop.handle}",
            refresh_token_expires_at=now + refresh_expires_in,
        ),
    )
    uow.commit()
    return shop


def _fetch(client, token: str, path: str = "/_probe/whoami"):
    """A request as App Bridge's fetch sends it."""
    return client.get(path, base_url=BASE_URL, headers={"Authorization": f"Bearer {token}"})


def _document(client, token: str | None, shop: str = ACME, path: str = "/_probe/whoami"):
    """A page load inside Shopify admin's iframe (the id_token rides in the query)."""
    query = {"embedded": "1", "shop": shop, "host": "YWRtaW4uc2hvcGlmeS5jb20vc3RvcmUvYWNtZQ"}
    if token is not None:
        query["id_token"] = token
    return client.get(path, base_url=BASE_URL, query_string=query)


# --- valid tokens ---------------------------------------------------------------------------------------


def test_first_embedded_load_installs_the_shop_and_stores_an_encrypted_offline_token(client, uow, shopify):
    # given
    token = token_for(ACME, sub="42")
    installs = []

    def record(sender, **details):
        installs.append((sender, details))

    # when
    with shop_installed.connected_to(record):
        response = _document(client, token)

    # then
    assert response.status_code == 200
    shop = uow.session.scalars(select(Shop)).one()
    assert response.json == {
        "shop_id": shop.id,
        "shop": ACME,
        "staff": "Ada Lovelace",
        "user_id": 42,
        "email": "ada@example.com",
        "embedded": True,
    }
    assert response.headers["Content-Security-Policy"] == ACME_CSP + ";"
    assert "app-bridge.js" in response.headers["Link"]
    assert installs == [(client.application, {"shop_id": shop.id, "domain": ACME})]
    assert (shop.domain, shop.is_installed, shop.scopes) == (
        ACME,
        True,
        "read_customers,write_customers,read_orders",
    )

    assert shopify.kinds() == ["offline-exchange", "online-exchange"]
    assert shopify.calls[0].shop == ACME
    assert shopify.calls[0].body == {
        "client_id": API_KEY,
        "client_secret": APP_SECRET,
        "grant_type": TOKEN_EXCHANGE_GRANT,
        "subject_token": token,
        "subject_token_type": "urn:ietf:params:oauth:token-type:id_token",
        "requested_token_type": OFFLINE_TOKEN_TYPE,
        "expiring": 1,
    }
    assert shopify.calls[1].body["requested_token_type"] == ONLINE_TOKEN_TYPE

    row = uow.session.scalars(
        select(ShopToken).where(ShopToken.shop_id == shop.id, ShopToken.access_mode == AccessMode.OFFLINE)
    ).one()
    assert row.access_token_enc != "shpat_offline_0001"
    assert "shpat_offline_0001" not in row.access_token_enc
    assert row.refresh_token_enc is not None and "shprt_refresh_0001" not in row.refresh_token_enc
    stored = load_token(uow, services().cipher, shop_id=shop.id)
    assert (stored.access_token, stored.refresh_token) == ("shpat_offline_0001", "shprt_refresh_0001")
    assert utcnow() + timedelta(minutes=59) < stored.expires_at <= utcnow() + timedelta(hours=1)
    assert utcnow() + timedelta(days=89) < stored.refresh_token_expires_at <= utcnow() + timedelta(days=90)
    online = uow.session.scalars(
        select(ShopToken).where(ShopToken.shop_id == shop.id, ShopToken.access_mode == AccessMode.ONLINE)
    ).one()
    assert (online.user_id, online.user_name, online.user_email) == (42, "Ada Lovelace", "ada@example.com")
    assert "shpua_online_0002" not in online.access_token_enc


def test_later_loads_reuse_the_stored_tokens_and_do_not_install_again(client, uow, shopify):
    assert _document(client, token_for(ACME)).status_code == 200
    shopify.calls.clear()
    installs = []

    with shop_installed.connected_to(lambda sender, **details: installs.append(details)):
        response = _fetch(client, token_for(ACME))

    assert response.status_code == 200
    assert response.json["staff"] == "Ada Lovelace"
    assert shopify.calls == []
    assert installs == []
    assert _shop_count(uow) == 1


def test_a_fetch_request_gets_the_frame_ancestors_header_too(client, uow):
    shop = _installed(uow, ACME)

    response = _fetch(client, token_for(ACME))

    assert response.status_code == 200
    assert response.json["shop_id"] == shop.id
    assert response.headers["Content-Security-Policy"] == ACME_CSP


def test_a_token_expired_within_the_10_second_leeway_is_accepted(client, uow):
    _installed(uow, ACME)

    assert _fetch(client, token_for(ACME, exp_in=-5)).status_code == 200


def test_a_token_signed_with_the_previous_secret_works_during_rotation(app_config, shopify, request):
    app_config["SHOPIFY_API_SECRET"] = APP_SECRET
    app_config["SHOPIFY_API_SECRET_PREVIOUS"] = PREVIOUS_APP_SECRET
    client = request.getfixturevalue("client")

    old = _fetch(client, token_for(ACME, secret=PREVIOUS_APP_SECRET))
    new = _fetch(client, token_for(ACME, secret=APP_SECRET))

    assert (old.status_code, new.status_code) == (200, 200)
    assert old.json["shop"] == new.json["shop"] == ACME


def test_the_previous_secret_is_refused_once_the_rotation_is_over(client, uow, shopify):
    response = _fetch(client, token_for(ACME, secret=PREVIOUS_APP_SECRET))

    assert response.status_code == 401
    assert _shop_count(uow) == 0
    assert shopify.calls == []


# --- refused tokens -------------------------------------------------------------------------------------


# Built inside each test: a token minted at collection time could expire before its test runs.
BAD_TOKENS = {
    "forged-signature": {"secret": FORGED_SECRET},
    "expired-beyond-leeway": {"exp_in": -15},
    "not-yet-valid": {"nbf_in": 30},
    "wrong-audience": {"aud": "another-app"},
}


@pytest.mark.parametrize("claims", [*BAD_TOKENS.values(), None], ids=[*BAD_TOKENS, "garbage"])
def test_a_bad_session_token_is_refused_and_nothing_is_stored(client, uow, shopify, claims):
    response = _fetch(client, token_for(ACME, **claims) if claims is not None else "not-a-jwt")

    assert response.status_code == 401
    assert response.headers["X-Shopify-Retry-Invalid-Session-Request"] == "1"
    assert _shop_count(uow) == 0
    assert shopify.calls == []


@pytest.mark.parametrize("name", ["forged-signature", "expired-beyond-leeway", "not-yet-valid", "missing"])
def test_a_page_load_without_a_valid_token_is_sent_for_a_fresh_one(client, uow, shopify, name):
    response = _document(client, token_for(ACME, **BAD_TOKENS[name]) if name != "missing" else None)

    # The SDK's refusal for page loads: App Bridge's token page fetches a fresh token and reloads.
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert (location.scheme, location.netloc, location.path) == (
        "https",
        "tradeline.test",
        "/auth/patch-id-token",
    )
    query = parse_qs(location.query)
    assert query["shop"] == [ACME]
    assert "id_token" not in query
    assert query["shopify-reload"][0].startswith("/_probe/whoami?")
    assert _shop_count(uow) == 0
    assert shopify.calls == []


def test_a_page_load_with_a_wrong_audience_is_refused(client, uow, shopify):
    response = _document(client, token_for(ACME, aud="another-app"))

    assert response.status_code == 401
    assert _shop_count(uow) == 0
    assert shopify.calls == []


def test_a_token_exchange_refused_by_shopify_stores_nothing(client, uow, shopify):
    shopify.fail[ACME] = (400, {"error": "invalid_subject_token"})

    response = _fetch(client, token_for(ACME))

    # The SDK's retry answer: App Bridge retries the fetch with a fresh session token.
    assert response.status_code == 401
    assert response.headers["X-Shopify-Retry-Invalid-Session-Request"] == "1"
    assert shopify.kinds() == ["offline-exchange"]
    assert _shop_count(uow) == 0


def test_shopify_unreachable_during_first_load_stores_nothing(client, uow, shopify):
    shopify.unreachable = True

    response = _fetch(client, token_for(ACME))

    assert response.status_code == 500
    assert _shop_count(uow) == 0


def test_a_parallel_first_load_that_loses_the_insert_race_is_retried_by_app_bridge(
    client, uow, shopify, monkeypatch
):
    # given: another request inserts the same shop between this one's check and its insert (the race
    # cannot happen on one test connection, so the losing insert is stood in for)
    def lose_the_race(*args, **kwargs):
        raise IntegrityError("INSERT INTO app_shop ...", {}, Exception("duplicate key value"))

    monkeypatch.setattr("app.auth.context.complete_install", lose_the_race)

    # when
    fetch = _fetch(client, token_for(ACME))
    page = _document(client, token_for(ACME))

    # then: the SDK's retry answers, so App Bridge repeats the request with a fresh token
    assert fetch.status_code == 401
    assert fetch.headers["X-Shopify-Retry-Invalid-Session-Request"] == "1"
    assert page.status_code == 302
    assert urlsplit(page.headers["Location"]).path == "/auth/patch-id-token"
    assert _shop_count(uow) == 0


# --- tenancy --------------------------------------------------------------------------------------------


def test_a_token_for_shop_a_never_reaches_shop_b(client, uow):
    # given: two installed shops, and a local sign-in to globex in the same browser
    acme, globex = _installed(uow, ACME), _installed(uow, GLOBEX)
    with client.session_transaction() as session:
        session["shop_id"], session["staff"] = globex.id, "Demo admin"

    # when: acme's token arrives on a URL that names globex
    response = client.get(
        "/_probe/whoami",
        base_url=BASE_URL,
        query_string={"shop": GLOBEX},
        headers={"Authorization": f"Bearer {token_for(ACME)}"},
    )

    # then: the verified token decides, nothing else
    assert response.status_code == 200
    assert (response.json["shop_id"], response.json["shop"]) == (acme.id, ACME)
    assert _fetch(client, token_for(GLOBEX)).json["shop_id"] == globex.id


def test_a_staff_members_online_profile_belongs_to_their_own_shop(client, uow, shopify):
    _installed(uow, ACME)
    _installed(uow, GLOBEX)

    _fetch(client, token_for(ACME, sub="42"))
    _fetch(client, token_for(GLOBEX, sub="42"))

    profiles = uow.session.execute(
        select(Shop.domain, ShopToken.user_id)
        .join(ShopToken)
        .where(ShopToken.access_mode == AccessMode.ONLINE)
    ).all()
    assert sorted(profiles) == [(ACME, 42), (GLOBEX, 42)]
    assert shopify.kinds() == ["online-exchange", "online-exchange"]


# --- lifecycle ------------------------------------------------------------------------------------------


def test_an_uninstalled_shop_opening_the_app_again_is_reinstalled_with_a_new_token(client, uow, shopify):
    shop = _installed(uow, ACME)
    uninstall_shop(uow, shop_id=shop.id)
    uow.commit()

    response = _fetch(client, token_for(ACME))

    assert response.status_code == 200
    uow.session.expire_all()
    assert uow.session.get(Shop, shop.id).is_installed
    assert load_token(uow, services().cipher, shop_id=shop.id).access_token == "shpat_offline_0001"


def test_an_offline_token_about_to_expire_is_refreshed_on_load(client, uow, shopify):
    shop = _installed(uow, ACME, expires_in=timedelta(minutes=2))

    response = _fetch(client, token_for(ACME))

    assert response.status_code == 200
    assert shopify.kinds() == ["refresh", "online-exchange"]
    assert load_token(uow, services().cipher, shop_id=shop.id).refresh_token == "shprt_refresh_0001"


def test_a_revoked_refresh_token_is_replaced_by_a_token_exchange(client, uow, shopify):
    shop = _installed(uow, ACME, expires_in=timedelta(minutes=2))
    shopify.fail_kind["refresh"] = (400, {"error": "invalid_grant"})

    response = _fetch(client, token_for(ACME))

    assert response.status_code == 200
    assert shopify.kinds() == ["refresh", "offline-exchange", "online-exchange"]
    assert load_token(uow, services().cipher, shop_id=shop.id).access_token == "shpat_offline_0001"


def test_a_dead_stored_token_is_replaced_by_a_token_exchange(client, uow, shopify):
    shop = _installed(uow, ACME, expires_in=timedelta(minutes=-1), refresh_expires_in=timedelta(seconds=-1))

    response = _fetch(client, token_for(ACME))

    assert response.status_code == 200
    assert shopify.kinds() == ["offline-exchange", "online-exchange"]
    assert load_token(uow, services().cipher, shop_id=shop.id).access_token == "shpat_offline_0001"


def test_when_the_online_exchange_fails_the_staff_member_is_named_by_id(client, uow, shopify):
    _installed(uow, ACME)
    shopify.fail[ACME] = (500, {"errors": "internal"})

    response = _fetch(client, token_for(ACME, sub="7"))

    assert response.status_code == 200
    assert (response.json["staff"], response.json["user_id"]) == ("Staff member 7", 7)


# --- the token refresh page and requests that are not embedded -----------------------------------------


def test_the_patch_id_token_page_loads_app_bridge_for_the_shop(client):
    response = client.get(
        "/auth/patch-id-token",
        base_url=BASE_URL,
        query_string={"shop": ACME, "shopify-reload": "/_probe/whoami?shop=acme.myshopify.com"},
    )

    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert f'data-api-key="{API_KEY}"' in response.text
    assert (
        response.headers["Content-Security-Policy"]
        == f"frame-ancestors https://{ACME} https://admin.shopify.com;"
    )


def test_the_patch_id_token_page_needs_the_shop(client):
    response = client.get("/auth/patch-id-token", base_url=BASE_URL, query_string={"shopify-reload": "/"})

    assert response.status_code == 400


def test_a_plain_request_is_sent_to_local_sign_in(client, uow):
    response = client.get("/_probe/whoami?tab=open", base_url=BASE_URL)

    assert response.status_code == 302
    assert response.headers["Location"] == "/signin?next=/_probe/whoami?tab%3Dopen"
