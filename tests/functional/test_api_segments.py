"""The segments and analytics REST API: CRUD, members, preview, RFM/CLV, metrics, spend, recompute."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from app import services
from app.db import UnitOfWork, utcnow
from app.shops import TokenSet, store_token
from segments.models import RunKind, RunStatus, Segment, SegmentMember, SegmentRun
from segments.models_spend import MarketingSpend
from tests.api_crm_support import ApiShop, api_shop, get, post
from tests.segments_metrics_support import NOW, FakeTags, add_customer, add_predictions, hand_history

BIG = {"match": "all", "conditions": [{"field": "total_spent", "op": "gte", "value": 100}]}


def problem(response: Any) -> dict[str, Any]:
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    body.pop("request_id", None)
    return body


FAKE = FakeTags()


@pytest.fixture(autouse=True)
def fake_shopify(app_config: dict[str, Any]) -> None:
    """Shopify's tag mutations answered by a fake at the HTTP boundary (reset per test)."""
    FAKE.tags.clear()
    FAKE.requests.clear()
    app_config["SHOPIFY_HTTP_TRANSPORT"] = FAKE.transport


@pytest.fixture
def acme(uow: UnitOfWork) -> ApiShop:
    return api_shop(uow)


@pytest.fixture
def other(uow: UnitOfWork) -> ApiShop:
    return api_shop(uow, "other.myshopify.com", key_name="Other ERP")


def _segment(client: Any, shop: ApiShop, name: str = "Big", **fields: Any) -> dict[str, Any]:
    response = post(
        client, shop, "/api/v1/segments", {"name": name, "subject": "customer", "definition": BIG, **fields}
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["data"]


def _count(uow: UnitOfWork, model: Any) -> int:
    return int(uow.session.scalar(select(func.count()).select_from(model)) or 0)


# -- segments -------------------------------------------------------------------------------------


def test_segment_crud(client: Any, acme: ApiShop) -> None:
    created = _segment(client, acme, shopify_tag="vip")
    assert (created["name"], created["subject"], created["definition"], created["shopify_tag"]) == (
        "Big",
        "customer",
        BIG,
        "vip",
    )
    assert (created["member_count"], created["computed_at"]) == (0, None)
    one = f"/api/v1/segments/{created['id']}"
    assert get(client, acme, one).get_json()["data"] == created
    changed = client.patch(one, headers=acme.headers, json={"name": "Bigger", "shopify_tag": None})
    assert changed.status_code == 200
    assert (changed.get_json()["data"]["name"], changed.get_json()["data"]["shopify_tag"]) == ("Bigger", None)
    second = _segment(client, acme, name="Second")
    first_page = get(client, acme, "/api/v1/segments", limit=1).get_json()
    assert [s["id"] for s in first_page["data"]] == [created["id"]]
    next_page = get(client, acme, "/api/v1/segments", limit=1, cursor=first_page["next_cursor"]).get_json()
    assert ([s["id"] for s in next_page["data"]], next_page["next_cursor"]) == ([second["id"]], None)
    assert client.delete(one, headers=acme.headers).status_code == 204
    assert get(client, acme, one).status_code == 404


def test_a_definition_with_an_unknown_field_or_operator_is_a_400_naming_it(
    client: Any, acme: ApiShop, uow: UnitOfWork
) -> None:
    unknown = {"match": "all", "conditions": [{"field": "shoe_size", "op": "gt", "value": 3}]}
    response = post(
        client, acme, "/api/v1/segments", {"name": "X", "subject": "customer", "definition": unknown}
    )
    body = problem(response)
    assert response.status_code == 400
    assert body["detail"].startswith("conditions[0].field: unknown field 'shoe_size'")
    assert body["errors"][0]["pointer"] == "/definition/conditions/0/field"
    bad_op = {"match": "all", "conditions": [{"field": "total_spent", "op": "like", "value": 3}]}
    response = post(client, acme, "/api/v1/segments/preview", {"subject": "customer", "definition": bad_op})
    assert response.status_code == 400
    assert problem(response)["errors"][0]["pointer"] == "/definition/conditions/0/op"
    unknown_key = post(
        client, acme, "/api/v1/segments", {"name": "X", "subject": "customer", "definition": BIG, "colour": 1}
    )
    assert unknown_key.status_code == 422
    assert problem(unknown_key)["errors"][0]["pointer"] == "/colour"
    assert _count(uow, Segment) == 0


def test_another_shops_segment_is_not_found(client: Any, acme: ApiShop, other: ApiShop) -> None:
    theirs = _segment(client, other)
    one = f"/api/v1/segments/{theirs['id']}"
    assert get(client, acme, one).status_code == 404
    assert get(client, acme, f"{one}/members").status_code == 404
    assert client.patch(one, headers=acme.headers, json={"name": "Mine"}).status_code == 404
    assert client.delete(one, headers=acme.headers).status_code == 404
    assert post(client, acme, f"{one}/tag-pushes", {}).status_code == 404
    assert get(client, other, one).get_json()["data"]["name"] == "Big"


def test_members_come_a_page_at_a_time_and_preview_counts(
    client: Any, acme: ApiShop, uow: UnitOfWork
) -> None:
    created = _segment(client, acme)
    ids = [
        add_customer(uow, acme.id, key, first_name=f"Buyer{key}", total_spent=Decimal(50 * key))
        for key in (1, 2, 3)
    ]
    for customer_id in ids:
        uow.session.add(
            SegmentMember(shop_id=acme.id, segment_id=created["id"], customer_id=customer_id, entered_at=NOW)
        )
    uow.commit()
    path = f"/api/v1/segments/{created['id']}/members"
    first = get(client, acme, path, limit=2).get_json()
    rest = get(client, acme, path, limit=2, cursor=first["next_cursor"]).get_json()
    members = first["data"] + rest["data"]
    assert [(m["customer_id"], m["shopify_id"], m["name"]) for m in members] == [
        (ids[0], 7_001, "Buyer1"),
        (ids[1], 7_002, "Buyer2"),
        (ids[2], 7_003, "Buyer3"),
    ]
    assert rest["next_cursor"] is None
    preview = post(client, acme, "/api/v1/segments/preview", {"subject": "customer", "definition": BIG})
    assert preview.status_code == 200
    data = preview.get_json()["data"]
    assert (data["count"], [s["id"] for s in data["sample"]]) == (2, [ids[2], ids[1]])


def test_pushing_a_segment_without_a_tag_is_refused(client: Any, acme: ApiShop) -> None:
    created = _segment(client, acme)
    response = post(client, acme, f"/api/v1/segments/{created['id']}/tag-pushes", {})
    assert response.status_code == 422
    assert "set a Shopify tag" in problem(response)["detail"]
    assert get(client, acme, f"/api/v1/segments/{created['id']}/tag-pushes/latest").status_code == 404


# -- RFM and CLV ----------------------------------------------------------------------------------


def test_rfm_and_clv_of_a_customer_and_a_company(
    client: Any, acme: ApiShop, other: ApiShop, uow: UnitOfWork
) -> None:
    hand = hand_history(uow, acme.id)
    add_predictions(uow, acme.id, {hand.customers["A"]: Decimal("120.00")})
    uow.commit()
    scored = get(client, acme, f"/api/v1/customers/{hand.customers['A']}/analytics").get_json()["data"]
    assert (scored["scored"], scored["rfm_segment"], scored["rfm_segment_label"]) == (
        True,
        "need_attention",
        "Need Attention",
    )
    assert scored["predicted_spend_365"] == {"amount": "120.00", "currency_code": "USD"}
    unscored = get(client, acme, f"/api/v1/customers/{hand.customers['B']}/analytics").get_json()["data"]
    assert unscored["scored"] is False and unscored["predicted_spend_365"] is None
    company = get(client, acme, f"/api/v1/companies/{hand.company_id}/analytics").get_json()["data"]
    assert company["scored"] is False
    assert get(client, other, f"/api/v1/customers/{hand.customers['A']}/analytics").status_code == 404
    assert get(client, other, f"/api/v1/companies/{hand.company_id}/analytics").status_code == 404


# -- metrics --------------------------------------------------------------------------------------


def test_metrics_of_a_period_with_definitions(
    client: Any, acme: ApiShop, other: ApiShop, uow: UnitOfWork
) -> None:
    hand = hand_history(uow, acme.id)
    uow.commit()
    response = get(client, acme, "/api/v1/metrics", start="2026-01-01", end="2026-03-31")
    assert response.status_code == 200
    data = response.get_json()["data"]
    values = {key: m["value"] for key, m in data["metrics"].items()}
    assert values["revenue"] == "540.00"
    assert values["orders"] == 8
    assert values["average_order_value"] == "77.14"
    assert values["repeat_purchase_rate"] == "60.0"
    assert values["churn_rate"] == "66.7"
    assert values["cac"] is None
    assert data["metrics"]["cac"]["missing"] == "not enough data: no marketing spend entered for these months"
    assert all(m["definition"] for m in data["metrics"].values())
    assert data["other_currencies"] == [{"orders": 1, "revenue": {"amount": "70.00", "currency_code": "EUR"}}]
    assert data["period"] == {"start": "2026-01-01", "end": "2026-03-31", "timezone": "UTC"}
    company = get(
        client, acme, "/api/v1/metrics", start="2026-01-01", end="2026-03-31", company_id=hand.company_id
    )
    assert company.get_json()["data"]["metrics"]["revenue"]["value"] == "180.00"
    assert (
        get(
            client, other, "/api/v1/metrics", start="2026-01-01", end="2026-03-31", company_id=hand.company_id
        ).status_code
        == 404
    )
    cohorts = get(client, acme, "/api/v1/metrics/cohorts", start="2026-01-01", end="2026-03-31").get_json()[
        "data"
    ]
    assert [(c["month"], c["customers"], c["retention"]) for c in cohorts["cohorts"]] == [
        ("2026-01-01", 2, ["100.0", "50.0", "50.0"]),
        ("2026-02-01", 2, ["100.0", "0.0"]),
    ]
    reps = get(client, acme, "/api/v1/metrics/sales-reps", start="2026-01-01", end="2026-03-31").get_json()[
        "data"
    ]
    assert [(r["sales_rep_email"], r["orders"], r["revenue"]["amount"]) for r in reps] == [
        ("rep@x.com", 5, "280.00"),
        (None, 3, "260.00"),
    ]
    preset = get(client, acme, "/api/v1/metrics", period="last_3_months")
    assert preset.status_code == 200


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"start": "2026-13-01", "end": "2026-03-31"}, "start"),
        ({"start": "2026-01-01"}, "end"),
        ({"start": "2026-03-01", "end": "2026-01-01"}, "end"),
        ({"period": "forever"}, "period"),
        ({"company_id": "x"}, "company_id"),
        ({"company_id": "1", "sales_rep_email": "rep@x.com"}, "sales_rep_email"),
    ],
)
def test_bad_periods_are_400s_naming_the_parameter(
    client: Any, acme: ApiShop, params: dict[str, str], parameter: str
) -> None:
    response = get(client, acme, "/api/v1/metrics", **params)
    assert response.status_code == 400
    assert problem(response)["errors"][0]["parameter"] == parameter


# -- marketing spend ------------------------------------------------------------------------------


def test_spend_is_set_listed_and_deleted(client: Any, acme: ApiShop, other: ApiShop, uow: UnitOfWork) -> None:
    response = post(
        client,
        acme,
        "/api/v1/marketing-spend",
        {"channel": "utm:google", "month": "2026-01", "amount": "300"},
    )
    assert response.status_code == 200
    row = response.get_json()["data"]
    assert (row["channel"], row["month"], row["amount"]) == (
        "utm:google",
        "2026-01",
        {"amount": "300.00", "currency_code": "USD"},
    )
    again = post(
        client,
        acme,
        "/api/v1/marketing-spend",
        {"channel": "utm:google", "month": "2026-01", "amount": "120.5"},
    )
    assert again.get_json()["data"]["id"] == row["id"]
    listed = get(client, acme, "/api/v1/marketing-spend").get_json()
    assert [(r["id"], r["amount"]["amount"]) for r in listed["data"]] == [(row["id"], "120.50")]
    assert client.delete(f"/api/v1/marketing-spend/{row['id']}", headers=other.headers).status_code == 404
    assert client.delete(f"/api/v1/marketing-spend/{row['id']}", headers=acme.headers).status_code == 204
    assert _count(uow, MarketingSpend) == 0


def test_negative_spend_is_refused_and_nothing_is_stored(client: Any, acme: ApiShop, uow: UnitOfWork) -> None:
    response = post(
        client, acme, "/api/v1/marketing-spend", {"channel": "utm:google", "month": "2026-01", "amount": "-1"}
    )
    assert response.status_code == 422
    assert problem(response)["errors"] == [
        {"pointer": "/amount", "detail": "marketing spend cannot be negative (got -1)"}
    ]
    assert _count(uow, MarketingSpend) == 0


# -- recompute ------------------------------------------------------------------------------------


def test_recompute_queues_a_run_and_a_busy_shop_is_a_409(client: Any, acme: ApiShop, uow: UnitOfWork) -> None:
    response = post(client, acme, "/api/v1/analytics/runs", {})
    assert response.status_code == 202
    run = response.get_json()["data"]
    # Without Redis the job runs inline at the commit.
    assert (run["kind"], run["status"]) == ("full", "succeeded")
    assert (
        get(client, acme, f"/api/v1/analytics/runs/{run['id']}").get_json()["data"]["status"] == "succeeded"
    )
    uow.session.add(SegmentRun(shop_id=acme.id, kind=RunKind.FULL, status=RunStatus.RUNNING, as_of=utcnow()))
    uow.commit()
    busy = post(client, acme, "/api/v1/analytics/runs", {})
    assert busy.status_code == 409
    assert "already being computed" in problem(busy)["detail"]
    assert _count(uow, SegmentRun) == 2


def test_a_tagged_segment_is_pushed_to_shopify(uow: UnitOfWork, client: Any, acme: ApiShop) -> None:
    # given a connected shop (the fake Shopify is set up for every test) with one member
    store_token(
        uow,
        services().cipher,
        shop_id=acme.id,
        tokens=TokenSet(access_token="shpat_0123456789abcdef0123456789abcdef", scope="write_customers"),
    )
    created = _segment(client, acme, shopify_tag="vip")
    customer_id = add_customer(uow, acme.id, 1)
    uow.session.add(
        SegmentMember(shop_id=acme.id, segment_id=created["id"], customer_id=customer_id, entered_at=NOW)
    )
    uow.commit()
    # when
    response = post(client, acme, f"/api/v1/segments/{created['id']}/tag-pushes", {})
    # then
    assert response.status_code == 202
    push = response.get_json()["data"]
    assert (push["tag"], push["status"], push["added"], push["removed"], push["total"]) == (
        "vip",
        "succeeded",
        1,
        0,
        1,
    )
    assert FAKE.tags == {"gid://shopify/Customer/7001": {"vip"}}
    latest = get(client, acme, f"/api/v1/segments/{created['id']}/tag-pushes/latest").get_json()["data"]
    assert latest["id"] == push["id"]
