"""Bearer API keys on /api/v1: refusals are 401/403 problems that change nothing; a key sees its own shop."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from app import apikeys, services
from app.api import auth as api_auth
from app.apikeys import create_api_key, revoke_api_key
from app.models import ApiKey, Shop
from app.shops import install_shop, uninstall_shop

PUBLIC_API_PATHS = {"/api/v1/openapi.json"}


@pytest.fixture
def acme_key(uow):
    """acme.myshopify.com and a working key for it."""
    shop = install_shop(uow, domain="acme")
    key, plaintext = create_api_key(uow, shop_id=shop.id, name="ERP")
    uow.commit()
    return shop, key, plaintext


def snapshot(uow) -> list[tuple]:
    """The API key and shop rows as plain values."""
    uow.session.expire_all()
    keys = uow.session.execute(
        select(ApiKey.id, ApiKey.shop_id, ApiKey.digest, ApiKey.last_used_at, ApiKey.revoked_at).order_by(
            ApiKey.id
        )
    )
    shops = uow.session.execute(select(Shop.id, Shop.domain, Shop.uninstalled_at).order_by(Shop.id))
    return [tuple(r) for r in keys] + [tuple(r) for r in shops]


def assert_problem(response, status: int, detail: str) -> None:
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    # The request id the logs carry, when app.ops assigns one.
    assert body.pop("request_id", None) == response.headers.get("X-Request-Id")
    assert body == {
        "type": "about:blank",
        "title": {401: "Unauthorized", 403: "Forbidden"}[status],
        "status": status,
        "detail": detail,
        "instance": "/api/v1/shop",
    }


def test_no_key_is_a_401_problem_with_a_bearer_challenge(client, uow, acme_key):
    before = snapshot(uow)

    response = client.get("/api/v1/shop")

    assert_problem(
        response, 401, "Authentication required: send the shop's API key as `Authorization: Bearer <key>`."
    )
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="tradeline"'
    assert snapshot(uow) == before


@pytest.mark.parametrize(
    ("header", "detail"),
    [
        (
            "Basic dXNlcjpwYXNz",
            "Unsupported authorization scheme 'Basic': use `Authorization: Bearer <key>`.",
        ),
        ("Bearer", "The Authorization header must be `Bearer <key>`, with the key and nothing else."),
        ("Bearer a b", "The Authorization header must be `Bearer <key>`, with the key and nothing else."),
    ],
)
def test_a_malformed_authorization_header_is_a_401_problem(client, uow, acme_key, header, detail):
    before = snapshot(uow)

    response = client.get("/api/v1/shop", headers={"Authorization": header})

    assert_problem(response, 401, detail)
    assert response.headers["WWW-Authenticate"] == (
        f'Bearer realm="tradeline", error="invalid_request", error_description="{detail}"'
    )
    assert snapshot(uow) == before


def test_a_malformed_key_is_a_401_problem(client, uow, acme_key):
    before = snapshot(uow)

    response = client.get("/api/v1/shop", headers={"Authorization": "Bearer sk_live_123"})

    assert_problem(
        response,
        401,
        "The API key is malformed: expected tl_<prefix>_<secret>, as `tradeline api-keys create` prints.",
    )
    assert snapshot(uow) == before


def test_an_unknown_key_is_a_401_problem(client, uow, acme_key):
    _, key, _ = acme_key
    before = snapshot(uow)

    response = client.get("/api/v1/shop", headers={"Authorization": f"Bearer tl_{key.prefix}_{'x' * 43}"})

    assert_problem(response, 401, "The API key is not valid.")
    assert response.headers["WWW-Authenticate"] == (
        'Bearer realm="tradeline", error="invalid_token", error_description="The API key is not valid."'
    )
    assert snapshot(uow) == before


def test_a_revoked_key_is_a_401_problem(client, uow, acme_key):
    # given
    shop, key, plaintext = acme_key
    revoke_api_key(uow, shop_id=shop.id, prefix=key.prefix)
    uow.commit()
    before = snapshot(uow)
    # when
    response = client.get("/api/v1/shop", headers={"Authorization": f"Bearer {plaintext}"})
    # then
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["detail"].startswith(f"The API key {key.prefix} was revoked on ")
    assert snapshot(uow) == before


def test_the_key_of_an_uninstalled_shop_is_a_403_problem(client, uow, acme_key):
    shop, _, plaintext = acme_key
    uninstall_shop(uow, shop_id=shop.id)
    uow.commit()
    before = snapshot(uow)

    response = client.get("/api/v1/shop", headers={"Authorization": f"Bearer {plaintext}"})

    assert_problem(
        response,
        403,
        "The shop acme.myshopify.com has uninstalled Tradeline; its API keys work again once it reinstalls.",
    )
    assert snapshot(uow) == before


def test_each_key_reads_its_own_shop_only(client, uow, acme_key):
    # given: two shops, each with a key
    acme, _, acme_plaintext = acme_key
    globex = install_shop(uow, domain="globex")
    _, globex_plaintext = create_api_key(uow, shop_id=globex.id, name="ERP")
    uow.commit()
    # when
    as_acme = client.get("/api/v1/shop", headers={"Authorization": f"Bearer {acme_plaintext}"})
    as_globex = client.get("/api/v1/shop", headers={"Authorization": f"Bearer {globex_plaintext}"})
    # then
    assert (as_acme.status_code, as_globex.status_code) == (200, 200)
    assert (as_acme.get_json()["data"]["id"], as_acme.get_json()["data"]["domain"]) == (
        acme.id,
        "acme.myshopify.com",
    )
    assert (as_globex.get_json()["data"]["id"], as_globex.get_json()["data"]["domain"]) == (
        globex.id,
        "globex.myshopify.com",
    )


def test_an_authenticated_request_records_the_keys_use(client, uow, acme_key):
    _, key, plaintext = acme_key
    assert key.last_used_at is None

    response = client.get("/api/v1/shop", headers={"Authorization": f"Bearer {plaintext}"})

    assert response.status_code == 200
    uow.session.expire_all()
    assert uow.session.get(ApiKey, key.id).last_used_at is not None


def test_recording_use_survives_a_concurrent_writer(live_app, engine, monkeypatch):
    """On SQLite a transaction that has read cannot write once another connection has written since."""
    # given: a key due for recording its use, and another process that writes while the request runs
    with services().db.unit_of_work() as uow:
        shop = install_shop(uow, domain="acme")
        key, plaintext = create_api_key(uow, shop_id=shop.id, name="ERP")
        uow.commit()
        shop_id, key_id = shop.id, key.id
    read_key = apikeys.read_key

    def then_another_process_writes(connection, prefix):
        row = read_key(connection, prefix)
        with engine.begin() as conn:
            conn.execute(update(Shop).where(Shop.id == shop_id).values(name="renamed elsewhere"))
        return row

    monkeypatch.setattr(apikeys, "read_key", then_another_process_writes)
    # when
    response = live_app.test_client().get("/api/v1/shop", headers={"Authorization": f"Bearer {plaintext}"})
    # then
    assert response.status_code == 200
    with services().db.unit_of_work() as uow:
        assert uow.session.get(ApiKey, key_id).last_used_at is not None


def test_the_scheme_name_is_case_insensitive(client, acme_key):
    _, _, plaintext = acme_key
    response = client.get("/api/v1/shop", headers={"Authorization": f"bearer {plaintext}"})
    assert response.status_code == 200


def test_every_api_route_but_the_openapi_document_requires_a_key(app, client):
    adapter = app.url_map.bind("localhost")
    checked = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/") or rule.rule in PUBLIC_API_PATHS:
            continue
        path = adapter.build(rule.endpoint, dict.fromkeys(rule.arguments, 1))
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            response = client.open(path, method=method)
            assert (method, path, response.status_code) == (method, path, 401)
            assert response.mimetype == "application/problem+json"
            checked.append((method, path))
    assert ("GET", "/api/v1/shop") in checked


def test_the_request_unit_of_work_exists_only_behind_the_decorator(app):
    with app.test_request_context("/api/v1/shop"), pytest.raises(RuntimeError, match="@api_key_required"):
        api_auth.request_uow()


def test_the_authenticated_shop_exists_only_behind_the_decorator(app):
    with app.test_request_context("/api/v1/shop"), pytest.raises(RuntimeError, match="@api_key_required"):
        api_auth.current_api_shop()


def add_api_view(app, name: str, view) -> str:
    """Route `view` behind @api_key_required at /api/v1/_test/<name>, as an endpoint of the API blueprint."""
    app.add_url_rule(
        f"/api/v1/_test/{name}", endpoint=f"api.test_{name}", view_func=api_auth.api_key_required(view)
    )
    return f"/api/v1/_test/{name}"


def test_a_view_changes_data_only_by_committing_its_request_unit_of_work(app, client, uow, acme_key):
    # given: two views that rename the shop, one of them without committing
    shop, _, plaintext = acme_key

    def rename(name: str, *, commit: bool):
        def view():
            request_uow = api_auth.request_uow()
            request_uow.session.get(Shop, api_auth.current_api_shop().id).name = name
            if commit:
                request_uow.commit()
            return {"renamed": commit}

        return view

    committed = add_api_view(app, "committed", rename("Committed", commit=True))
    forgotten = add_api_view(app, "forgotten", rename("Forgotten", commit=False))
    auth = {"Authorization": f"Bearer {plaintext}"}
    # when / then
    assert client.get(forgotten, headers=auth).get_json() == {"renamed": False}
    uow.session.expire_all()
    assert uow.session.get(Shop, shop.id).name == "acme"
    assert client.get(committed, headers=auth).get_json() == {"renamed": True}
    uow.session.expire_all()
    assert uow.session.get(Shop, shop.id).name == "Committed"


def test_the_keys_use_is_recorded_even_when_the_view_fails(app, client, uow, acme_key):
    # given
    _, key, plaintext = acme_key

    def crash():
        api_auth.request_uow().session.get(ApiKey, key.id).name = "changed by a failing view"
        raise RuntimeError("the view failed")

    path = add_api_view(app, "crash", crash)
    # when
    response = client.get(path, headers={"Authorization": f"Bearer {plaintext}"})
    # then: a 500 problem; the use is recorded and the view's change is not
    assert response.status_code == 500
    assert response.mimetype == "application/problem+json"
    uow.session.expire_all()
    stored = uow.session.get(ApiKey, key.id)
    assert (stored.name, stored.last_used_at is not None) == ("ERP", True)


def test_a_key_revoked_after_a_request_is_refused_on_the_next(live_app):
    """No authentication result outlives its request: revocation takes effect at once."""
    # given: a key that has just worked
    db = services().db
    with db.unit_of_work() as uow:
        shop = install_shop(uow, domain="acme")
        key, plaintext = create_api_key(uow, shop_id=shop.id, name="ERP")
        uow.commit()
    client = live_app.test_client()
    auth = {"Authorization": f"Bearer {plaintext}"}
    assert client.get("/api/v1/shop", headers=auth).status_code == 200
    # when
    with db.unit_of_work() as uow:
        revoke_api_key(uow, shop_id=shop.id, prefix=key.prefix)
        uow.commit()
    response = client.get("/api/v1/shop", headers=auth)
    # then
    assert response.status_code == 401
    assert response.get_json()["detail"].startswith(f"The API key {key.prefix} was revoked on ")


def test_a_shop_uninstalled_after_a_request_is_forbidden_on_the_next(live_app):
    # given: a key that has just worked
    db = services().db
    with db.unit_of_work() as uow:
        shop = install_shop(uow, domain="acme")
        _, plaintext = create_api_key(uow, shop_id=shop.id, name="ERP")
        uow.commit()
    client = live_app.test_client()
    auth = {"Authorization": f"Bearer {plaintext}"}
    assert client.get("/api/v1/shop", headers=auth).status_code == 200
    # when
    with db.unit_of_work() as uow:
        uninstall_shop(uow, shop_id=shop.id)
        uow.commit()
    response = client.get("/api/v1/shop", headers=auth)
    # then
    assert response.status_code == 403
    assert response.get_json()["detail"] == (
        "The shop acme.myshopify.com has uninstalled Tradeline; its API keys work again once it reinstalls."
    )


def test_the_openapi_document_needs_no_key(client):
    assert client.get("/api/v1/openapi.json").status_code == 200
