"""The legacy authorization-code grant: /auth/install and /auth/callback."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from sqlalchemy import func, select

from app import services
from app.auth.oauth import oauth_hmac
from app.auth.service import shop_installed
from app.models import Shop, ShopToken
from app.shops import load_token
from tests.auth_support import APP_SECRET, GRANTED_SCOPES, PREVIOUS_APP_SECRET, FakeShopifyTokens
from tests.support import API_KEY

BASE_URL = "https://tradeline.test"
ACME = "acme.myshopify.com"
STATE_COOKIE = "tradeline_oauth_state"


@pytest.fixture
def shopify() -> FakeShopifyTokens:
    return FakeShopifyTokens()


@pytest.fixture
def app_config(app_config, shopify):
    return {**app_config, "SHOPIFY_HTTP_TRANSPORT": shopify.transport, "SHOPIFY_API_SECRET": APP_SECRET}


def signed(params: dict[str, str], *, secret: str = APP_SECRET, timestamp: int | None = None) -> str:
    """A query string signed as Shopify signs install and callback redirects."""
    params = {"timestamp": str(int(time.time()) if timestamp is None else timestamp), **params}
    query = urlencode(params)
    return f"{query}&hmac={oauth_hmac(query, secret)}"


def _install(client, shop: str = ACME, **kwargs):
    query = signed({"shop": shop, "host": "YWRtaW4uc2hvcGlmeS5jb20vc3RvcmUvYWNtZQ"}, **kwargs)
    return client.get(f"/auth/install?{query}", base_url=BASE_URL)


def _callback(
    client, *, state: str, shop: str = ACME, code: str = "0907a61c0c8d55e99db179b68161bc00", **kwargs
):
    query = signed({"code": code, "shop": shop, "state": state}, **kwargs)
    return client.get(f"/auth/callback?{query}", base_url=BASE_URL)


def _state_of(install_response) -> str:
    return parse_qs(urlsplit(install_response.headers["Location"]).query)["state"][0]


def _stored(uow) -> tuple[int, int]:
    """(shops, tokens) in the database."""
    shops = uow.session.scalar(select(func.count()).select_from(Shop))
    tokens = uow.session.scalar(select(func.count()).select_from(ShopToken))
    return shops, tokens


# --- /auth/install --------------------------------------------------------------------------------------


def test_install_sends_the_merchant_to_approve_the_scopes_with_a_state_in_a_signed_cookie(client):
    response = _install(client)

    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert (location.scheme, location.netloc, location.path) == ("https", ACME, "/admin/oauth/authorize")
    query = parse_qs(location.query)
    state = query.pop("state")[0]
    assert query == {
        "client_id": [API_KEY],
        "scope": [services().settings.SCOPES],
        "redirect_uri": [f"{BASE_URL}/auth/callback"],
    }
    assert len(state) >= 43  # 32 random bytes, url-safe base64
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith(f"{STATE_COOKIE}=")
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "secure", "samesite", "path", "max-age"} <= attributes
    assert "SameSite=None" in cookie
    assert "Path=/auth" in cookie


def test_every_install_gets_its_own_state(client):
    assert _state_of(_install(client)) != _state_of(_install(client))


def test_install_over_plain_http_in_development_uses_a_lax_cookie(app_config, request):
    app_config["APP_URL"] = "http://127.0.0.1:5000"
    client = request.getfixturevalue("client")

    response = _install(client)

    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie
    assert parse_qs(urlsplit(response.headers["Location"]).query)["redirect_uri"] == [
        "http://127.0.0.1:5000/auth/callback"
    ]


def test_install_signed_with_the_previous_secret_works_during_rotation(app_config, request):
    app_config["SHOPIFY_API_SECRET_PREVIOUS"] = PREVIOUS_APP_SECRET
    client = request.getfixturevalue("client")

    assert _install(client, secret=PREVIOUS_APP_SECRET).status_code == 302


@pytest.mark.parametrize(
    ("kwargs", "status"),
    [
        ({"secret": "shpss_not_the_app_secret_at_all_000"}, 401),
        ({"timestamp": int(time.time()) - 3600}, 401),
        ({"shop": "evil.example"}, 400),
        ({"shop": "acme.myshopify.com.evil.example"}, 400),
    ],
    ids=["bad-hmac", "stale-timestamp", "non-myshopify-shop", "myshopify-prefix"],
)
def test_install_refusals_set_no_cookie(client, kwargs, status):
    response = _install(client, **kwargs)

    assert response.status_code == status
    assert "Set-Cookie" not in response.headers
    assert response.mimetype == "text/html"


def test_install_without_hmac_is_refused(client):
    response = client.get(f"/auth/install?shop={ACME}&timestamp={int(time.time())}", base_url=BASE_URL)

    assert response.status_code == 401


# --- /auth/callback -------------------------------------------------------------------------------------


def test_callback_trades_the_code_stores_the_token_and_opens_the_app_in_shopify_admin(client, uow, shopify):
    # given
    state = _state_of(_install(client))
    installs = []

    # when
    with shop_installed.connected_to(lambda sender, **details: installs.append(details)):
        response = _callback(client, state=state)

    # then
    assert response.status_code == 302
    assert response.headers["Location"] == f"https://admin.shopify.com/store/acme/apps/{API_KEY}"
    assert f"{STATE_COOKIE}=;" in response.headers["Set-Cookie"]
    assert shopify.kinds() == ["authorization-code"]
    assert shopify.calls[0].shop == ACME
    assert shopify.calls[0].body == {
        "client_id": API_KEY,
        "client_secret": APP_SECRET,
        "code": "0907a61c0c8d55e99db179b68161bc00",
        "expiring": 1,
    }
    shop = uow.session.scalars(select(Shop)).one()
    assert (shop.domain, shop.is_installed, shop.scopes) == (ACME, True, GRANTED_SCOPES)
    assert installs == [{"shop_id": shop.id, "domain": ACME}]
    row = uow.session.scalars(select(ShopToken)).one()
    assert "shpat_offline_0001" not in row.access_token_enc
    stored = load_token(uow, services().cipher, shop_id=shop.id)
    assert (stored.access_token, stored.refresh_token) == ("shpat_offline_0001", "shprt_refresh_0001")
    assert stored.expires_at is not None and stored.refresh_token_expires_at is not None


def test_a_callback_cannot_be_replayed(client, uow, shopify):
    state = _state_of(_install(client))
    assert _callback(client, state=state).status_code == 302

    replay = _callback(client, state=state)

    assert replay.status_code == 403
    assert shopify.kinds() == ["authorization-code"]


@pytest.mark.parametrize(
    ("kwargs", "status"),
    [
        ({"secret": "shpss_not_the_app_secret_at_all_000"}, 401),
        ({"timestamp": int(time.time()) - 91 - 5}, 401),
        ({"timestamp": int(time.time()) + 3600}, 401),
        ({"shop": "evil.example"}, 400),
        ({"state": "a-state-this-browser-was-never-given"}, 403),
    ],
    ids=["bad-hmac", "stale-timestamp", "future-timestamp", "non-myshopify-shop", "wrong-state"],
)
def test_callback_refusals_store_nothing_and_call_no_one(client, uow, shopify, kwargs, status):
    # given
    state = _state_of(_install(client))
    kwargs = {"state": state, **kwargs}

    # when
    response = _callback(client, **kwargs)

    # then
    assert response.status_code == status
    assert response.mimetype == "text/html"
    assert _stored(uow) == (0, 0)
    assert shopify.calls == []


def test_a_callback_from_a_browser_that_never_started_the_install_is_refused(client, uow, shopify):
    response = _callback(client, state="0.6784241404160823")

    assert response.status_code == 403
    assert _stored(uow) == (0, 0)
    assert shopify.calls == []


def test_a_state_issued_for_another_shop_is_refused(client, uow, shopify):
    state = _state_of(_install(client, shop="globex.myshopify.com"))

    response = _callback(client, state=state, shop=ACME)

    assert response.status_code == 403
    assert _stored(uow) == (0, 0)
    assert shopify.calls == []


def test_a_tampered_state_cookie_is_refused(client, uow, shopify):
    state = _state_of(_install(client))
    client.set_cookie(
        STATE_COOKIE, f'{{"nonce": "{state}", "shop": "{ACME}"}}', domain="tradeline.test", path="/auth"
    )

    response = _callback(client, state=state)

    assert response.status_code == 403
    assert _stored(uow) == (0, 0)


def test_a_code_shopify_refuses_stores_nothing(client, uow, shopify):
    state = _state_of(_install(client))
    shopify.fail[ACME] = (
        400,
        {"error": "invalid_request", "error_description": "The authorization code was not found"},
    )

    response = _callback(client, state=state)

    assert response.status_code == 400
    assert "Start the installation again" in response.text
    assert _stored(uow) == (0, 0)


def test_shopify_failing_during_the_trade_stores_nothing(client, uow, shopify):
    state = _state_of(_install(client))
    shopify.fail[ACME] = (503, {"errors": "unavailable"})

    response = _callback(client, state=state)

    assert response.status_code == 502
    assert _stored(uow) == (0, 0)


def test_shopify_unreachable_during_the_trade_stores_nothing(client, uow, shopify):
    state = _state_of(_install(client))
    shopify.unreachable = True

    response = _callback(client, state=state)

    assert response.status_code == 502
    assert _stored(uow) == (0, 0)


def test_a_callback_without_a_code_is_refused(client, uow, shopify):
    state = _state_of(_install(client))
    query = signed({"shop": ACME, "state": state})

    response = client.get(f"/auth/callback?{query}", base_url=BASE_URL)

    assert response.status_code == 400
    assert _stored(uow) == (0, 0)
    assert shopify.calls == []
