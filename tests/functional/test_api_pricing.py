"""REST API: price lists CRUD and transitions, auth, cross-shop 404s, 422s that change nothing."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from app.db import UnitOfWork
from pricing import timeline
from pricing.service import lists
from tests.api_crm_support import ApiShop, api_shop, get, post
from tests.pricing_lists_support import Catalog, add_catalog, snapshot

BASE = "/api/v1/price-lists"


@pytest.fixture
def shop(uow: UnitOfWork) -> ApiShop:
    return api_shop(uow)


@pytest.fixture
def catalog(uow: UnitOfWork, shop: ApiShop) -> Catalog:
    data = add_catalog(uow, shop.id)
    uow.commit()
    return data


@pytest.fixture
def theirs(uow: UnitOfWork, catalog: Catalog) -> tuple[ApiShop, Catalog, int]:
    """Another shop with its own key, catalog and list."""
    other = api_shop(uow, "other.myshopify.com")
    data = add_catalog(uow, other.id, base=2000)
    price_list = lists.create_price_list(uow, shop_id=other.id, name="Theirs")
    uow.commit()
    return other, data, price_list.id


def patch(client: FlaskClient, shop: ApiShop, path: str, body: Any) -> Any:
    return client.patch(path, headers=shop.headers, json=body)


def delete(client: FlaskClient, shop: ApiShop, path: str) -> Any:
    return client.delete(path, headers=shop.headers)


def _create(client: FlaskClient, shop: ApiShop, **body: Any) -> dict[str, Any]:
    response = post(client, shop, BASE, {"name": "Wholesale", **body})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["data"]


def test_create_get_and_list(client: FlaskClient, uow: UnitOfWork, catalog: Catalog, shop: ApiShop) -> None:
    # when
    created = _create(
        client,
        shop,
        description="Every buyer",
        priority=3,
        base="compare_at",
        order_minimum="250.00",
        starts_at="2026-12-01T00:00:00+01:00",
    )
    # then
    assert created == {
        "id": created["id"],
        "name": "Wholesale",
        "description": "Every buyer",
        "currency": "USD",
        "status": "draft",
        "live": False,
        "starts_at": "2026-11-30T23:00:00Z",
        "ends_at": None,
        "priority": 3,
        "base": "compare_at",
        "order_minimum": {"amount": "250.00", "currency_code": "USD"},
        "counts": {"entries": 0, "assignments": 0, "adjustments": 0, "tiers": 0, "quantity_rules": 0},
        "created_at": created["created_at"],
        "updated_at": created["updated_at"],
    }
    assert get(client, shop, f"{BASE}/{created['id']}").get_json()["data"] == created
    _create(client, shop, name="Another")
    page = get(client, shop, BASE, limit=1).get_json()
    assert [item["name"] for item in page["data"]] == ["Another"]
    rest = get(client, shop, BASE, limit=1, cursor=page["next_cursor"]).get_json()
    assert [item["name"] for item in rest["data"]] == ["Wholesale"]
    assert rest["next_cursor"] is None
    assert [
        i["name"] for i in get(client, shop, BASE, search="whole", status="draft").get_json()["data"]
    ] == ["Wholesale"]


def test_the_api_needs_a_key(client: FlaskClient, catalog: Catalog) -> None:
    for method, path in (("get", BASE), ("post", BASE), ("post", "/api/v1/prices/resolve")):
        response = getattr(client, method)(path, json={})
        assert response.status_code == 401
        assert response.mimetype == "application/problem+json"


def test_create_with_bad_fields_is_422_naming_each_and_saves_nothing(
    client: FlaskClient, uow: UnitOfWork, catalog: Catalog, shop: ApiShop
) -> None:
    before = snapshot(uow)
    cases = [
        ({"name": "X", "colour": "red"}, "/colour", "unknown field"),
        ({"description": "no name"}, "/name", "required"),
        ({"name": "X", "order_minimum": 12.5}, "/order_minimum", "decimal number such as 12.50"),
        ({"name": "X", "order_minimum": "-1"}, "/order_minimum", "The price -1 is negative"),
        ({"name": "X", "starts_at": "2026-01-01T00:00:00"}, "/starts_at", "with a UTC offset"),
        ({"name": "X", "currency": "EURO"}, "/currency", "not a currency code"),
        ({"name": "X", "base": "cost"}, "/base", "not one of retail, compare_at"),
        (
            {"name": "X", "starts_at": "2026-02-01T00:00:00Z", "ends_at": "2026-01-01T00:00:00Z"},
            "/ends_at",
            "end must come after the start",
        ),
    ]
    for body, pointer, detail in cases:
        response = post(client, shop, BASE, body)
        assert response.status_code == 422, body
        problem = response.get_json()
        assert problem["errors"][0]["pointer"] == pointer
        assert detail in problem["errors"][0]["detail"]
    assert snapshot(uow) == before


def test_a_taken_name_is_409(client: FlaskClient, uow: UnitOfWork, catalog: Catalog, shop: ApiShop) -> None:
    _create(client, shop)
    before = snapshot(uow)
    response = post(client, shop, BASE, {"name": "wholesale"})
    assert response.status_code == 409
    assert response.get_json()["detail"] == "A price list named 'wholesale' already exists"
    assert snapshot(uow) == before


def test_patch_changes_the_fields_sent(client: FlaskClient, catalog: Catalog, shop: ApiShop) -> None:
    created = _create(client, shop, priority=2, description="Old")
    response = patch(client, shop, f"{BASE}/{created['id']}", {"name": "Renamed", "ends_at": None})
    assert response.status_code == 200
    data = response.get_json()["data"]
    assert (data["name"], data["priority"], data["description"]) == ("Renamed", 2, "Old")


def test_transitions_and_their_conflicts(
    client: FlaskClient, uow: UnitOfWork, catalog: Catalog, shop: ApiShop
) -> None:
    created = _create(client, shop)
    path = f"{BASE}/{created['id']}"
    activated = post(client, shop, f"{path}/activate", None)
    assert (activated.status_code, activated.get_json()["data"]["status"]) == (200, "active")
    assert activated.get_json()["data"]["live"] is True
    refused = delete(client, shop, path)
    assert refused.status_code == 409
    assert "only drafts can be deleted, archive it instead" in refused.get_json()["detail"]
    archived = post(client, shop, f"{path}/archive", None)
    assert archived.get_json()["data"]["status"] == "archived"
    before = snapshot(uow)
    again = post(client, shop, f"{path}/activate", None)
    assert again.status_code == 409
    assert "archived and cannot be activated again" in again.get_json()["detail"]
    edit = patch(client, shop, path, {"name": "New"})
    assert edit.status_code == 409
    assert snapshot(uow) == before


def test_schedule_duplicate_and_delete_a_draft(
    client: FlaskClient, uow: UnitOfWork, catalog: Catalog, shop: ApiShop
) -> None:
    created = _create(client, shop)
    path = f"{BASE}/{created['id']}"
    scheduled = post(client, shop, f"{path}/schedule", {"starts_at": "2099-01-01T00:00:00Z", "ends_at": None})
    assert scheduled.status_code == 200
    assert (scheduled.get_json()["data"]["status"], scheduled.get_json()["data"]["live"]) == ("active", False)
    bad = post(client, shop, f"{path}/schedule", {"starts_at": None, "ends_at": "2000-01-01T00:00:00Z"})
    assert bad.status_code == 422
    assert bad.get_json()["errors"] == [
        {"pointer": "/ends_at", "detail": "The end is in the past: the list would never apply"}
    ]
    copy = post(client, shop, f"{path}/duplicate", {})
    assert copy.status_code == 201
    assert (copy.get_json()["data"]["name"], copy.get_json()["data"]["status"]) == (
        "Wholesale (copy)",
        "draft",
    )
    gone = delete(client, shop, f"{BASE}/{copy.get_json()['data']['id']}")
    assert gone.status_code == 204
    assert get(client, shop, f"{BASE}/{copy.get_json()['data']['id']}").status_code == 404


def test_another_shops_list_is_404_everywhere(
    client: FlaskClient,
    uow: UnitOfWork,
    catalog: Catalog,
    shop: ApiShop,
    theirs: tuple[ApiShop, Catalog, int],
) -> None:
    _, _, their_id = theirs
    path = f"{BASE}/{their_id}"
    before = snapshot(uow)
    calls = [
        ("get", path, None),
        ("patch", path, {"name": "Mine"}),
        ("delete", path, None),
        ("post", f"{path}/activate", None),
        ("post", f"{path}/archive", None),
        ("post", f"{path}/schedule", {"starts_at": "2099-01-01T00:00:00Z"}),
        ("post", f"{path}/duplicate", {}),
        ("get", f"{path}/entries", None),
        ("post", f"{path}/entries/bulk", {"entries": []}),
        ("put", f"{path}/entries/{catalog.variants[0].id}", {"price": "1"}),
        ("delete", f"{path}/entries/{catalog.variants[0].id}", None),
        ("get", f"{path}/tiers", None),
        ("put", f"{path}/tiers", {"tiers": []}),
        ("get", f"{path}/quantity-rules", None),
        ("put", f"{path}/quantity-rules", {}),
        ("get", f"{path}/adjustments", None),
        ("post", f"{path}/adjustments", {"scope": "all", "percent": "-5"}),
        ("get", f"{path}/assignments", None),
        ("post", f"{path}/assignments", {"target": "default"}),
        ("delete", f"{path}/assignments/1", None),
        ("get", f"{BASE}/99999999999", None),
    ]
    for method, url, body in calls:
        kwargs: dict[str, Any] = {"headers": shop.headers}
        if body is not None:
            kwargs["json"] = body
        response = getattr(client, method)(url, **kwargs)
        assert response.status_code == 404, (method, url, response.get_json())
        assert response.mimetype == "application/problem+json"
    assert snapshot(uow) == before
    # and their list is not in ours
    assert get(client, shop, BASE).get_json()["data"] == []


def test_settings_get_and_put(client: FlaskClient, uow: UnitOfWork, catalog: Catalog, shop: ApiShop) -> None:
    assert get(client, shop, "/api/v1/pricing/settings").get_json()["data"] == {"precedence": "lowest_price"}
    response = client.put("/api/v1/pricing/settings", headers=shop.headers, json={"precedence": "priority"})
    assert response.get_json()["data"] == {"precedence": "priority"}
    assert get(client, shop, "/api/v1/pricing/settings").get_json()["data"] == {"precedence": "priority"}
    before = snapshot(uow)
    bad = client.put("/api/v1/pricing/settings", headers=shop.headers, json={"precedence": "cheapest"})
    assert bad.status_code == 422
    assert bad.get_json()["errors"][0]["pointer"] == "/precedence"
    assert snapshot(uow) == before


def test_changes_made_through_the_api_are_on_the_lists_timeline_as_the_key(
    client: FlaskClient, uow: UnitOfWork, catalog: Catalog, shop: ApiShop
) -> None:
    # when
    created = _create(client, shop)
    assert post(client, shop, f"{BASE}/{created['id']}/activate", {}).status_code == 200
    # then
    uow.session.expire_all()
    events = timeline.list_events(uow, shop_id=shop.id, price_list_id=created["id"])
    assert [(e.kind, e.actor) for e in reversed(events)] == [
        ("price_list.created", "API: ERP sync"),
        ("price_list.activated", "API: ERP sync"),
    ]
