"""The privacy requests admin page: the shop's requests listed, its exports downloadable, no one else's."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from app.privacy import ComplianceRequest, RequestKind
from crm import service
from tests.admin_support import sign_in
from tests.crm_support import customer, make_shop, order
from tests.support import stored_delivery
from webhooks.compliance import handle_customers_data_request, handle_customers_redact
from webhooks.registry import Delivery

RECEIVED_AT = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
ANA = 706405506930370084


def delivery(topic: str, delivery_id: int) -> Delivery:
    return stored_delivery(topic, delivery_id, received_at=RECEIVED_AT)


def data_request(request_id: int, customer_id: int = ANA) -> dict[str, Any]:
    return {
        "shop_id": 954889,
        "shop_domain": "acme.myshopify.com",
        "orders_requested": [],
        "customer": {"id": customer_id, "email": "ana@acme.example", "phone": "+15125550100"},
        "data_request": {"id": request_id},
    }


@pytest.fixture
def shops(uow: Any) -> dict[str, int]:
    acme = make_shop(uow, "acme.myshopify.com")
    other = make_shop(uow, "other.myshopify.com")
    for shop_id in (acme, other):
        service.upsert_customer(uow, shop_id=shop_id, payload=customer())
        service.upsert_order(uow, shop_id=shop_id, payload=order(customer_minute=-1))
    handle_customers_data_request(
        uow, shop_id=acme, payload=data_request(9999), delivery=delivery("customers/data_request", 1)
    )
    handle_customers_redact(
        uow,
        shop_id=acme,
        payload={"customer": {"id": 424242, "email": None, "phone": None}, "orders_to_redact": []},
        delivery=delivery("customers/redact", 2),
    )
    handle_customers_data_request(
        uow, shop_id=other, payload=data_request(8888), delivery=delivery("customers/data_request", 3)
    )
    uow.commit()
    return {"acme": acme, "other": other}


def request_id(uow: Any, shop_id: int, kind: RequestKind) -> int:
    return uow.session.scalar(
        select(ComplianceRequest.id).where(
            ComplianceRequest.shop_id == shop_id, ComplianceRequest.kind == kind
        )
    )


def test_the_page_lists_the_shops_requests_with_a_download_for_data_requests(client, uow, shops):
    sign_in(client, shops["acme"])

    page = client.get("/privacy/")

    assert page.status_code == 200
    html = page.get_data(as_text=True)
    export_id = request_id(uow, shops["acme"], RequestKind.DATA_REQUEST)
    assert html.count("<tr data-request-id=") == 2
    assert "Data request" in html and "#9999" in html and "Export ready" in html
    assert "Erasure" in html and "Nothing held" in html
    assert f'href="/privacy/requests/{export_id}/export.json"' in html
    assert "#8888" not in html  # the other shop's request
    assert "crm: 1 customers, 1 orders" in html
    assert "ana@acme.example" not in html  # the list shows counts, never the data


def test_the_export_downloads_as_json_that_is_never_cached(client, uow, shops):
    sign_in(client, shops["acme"])
    export_id = request_id(uow, shops["acme"], RequestKind.DATA_REQUEST)

    response = client.get(f"/privacy/requests/{export_id}/export.json")

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"] == 'attachment; filename="customer-data-request-9999.json"'
    assert response.headers["Cache-Control"] == "no-store"
    document = json.loads(response.get_data(as_text=True))
    stored = uow.session.get(ComplianceRequest, export_id).export
    assert document == stored
    assert [o["id"] for o in document["data"]["crm"]["orders"]] == [820982911946154508]
    assert document["data"]["crm"]["customers"][0]["email"] == "ana@acme.example"


def test_another_shops_export_is_not_found(client, uow, shops):
    sign_in(client, shops["acme"])
    theirs = request_id(uow, shops["other"], RequestKind.DATA_REQUEST)

    response = client.get(f"/privacy/requests/{theirs}/export.json")

    assert response.status_code == 404
    assert "ana@acme.example" not in response.get_data(as_text=True)


@pytest.mark.parametrize("which", ["redaction", "missing"])
def test_a_request_without_an_export_is_not_found(client, uow, shops, which):
    sign_in(client, shops["acme"])
    target = request_id(uow, shops["acme"], RequestKind.CUSTOMER_REDACT) if which == "redaction" else 987654

    assert client.get(f"/privacy/requests/{target}/export.json").status_code == 404


def test_an_export_erased_by_a_later_redact_is_listed_but_no_longer_downloadable(client, uow, shops):
    export_id = request_id(uow, shops["acme"], RequestKind.DATA_REQUEST)
    handle_customers_redact(
        uow,
        shop_id=shops["acme"],
        payload={"customer": {"id": ANA, "email": "ana@acme.example"}, "orders_to_redact": []},
        delivery=delivery("customers/redact", 4),
    )
    uow.commit()
    sign_in(client, shops["acme"])

    html = client.get("/privacy/").get_data(as_text=True)

    assert "Export erased" in html
    assert f"/privacy/requests/{export_id}/export.json" not in html
    assert client.get(f"/privacy/requests/{export_id}/export.json").status_code == 404


def test_the_pages_need_a_signed_in_shop(client, uow, shops):
    export_id = request_id(uow, shops["acme"], RequestKind.DATA_REQUEST)

    for url in ("/privacy/", f"/privacy/requests/{export_id}/export.json"):
        response = client.get(url)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/signin")


def test_a_shop_without_requests_sees_an_empty_state(client, uow):
    shop_id = make_shop(uow, "quiet.myshopify.com")
    uow.commit()
    sign_in(client, shop_id)

    html = client.get("/privacy/").get_data(as_text=True)

    assert "No privacy requests yet" in html
    assert "<table" not in html
