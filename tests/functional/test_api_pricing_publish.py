"""Publishing a price list through the REST API: 202 with the publication, its status, 404s and 409s.

Shopify is faked at the HTTP boundary (FakeB2B); without Redis the publish job runs at the commit.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from app import services
from app.apikeys import create_api_key
from pricing.models import PricePublication, PublishStatus
from pricing.service import lists
from pricing.service.publish import ARCHIVED_MESSAGE, NO_B2B_MESSAGE
from tests.api_crm_support import ApiShop
from tests.backfill_support import connected_shop
from tests.functional.test_api_crm_openapi import conforms
from tests.pricing_publish_setup import publishable_list, use_fake_b2b
from tests.pricing_publish_support import FakeB2B
from tests.pricing_support import make_price_list

BASE = "/api/v1/price-lists"
ONE = "/api/v1/price-lists/{price_list_id}"


@pytest.fixture
def fake(app_config) -> FakeB2B:
    # First in every test's arguments: the app reads the transport when it is built.
    return use_fake_b2b(app_config)


@pytest.fixture
def shop(fake, app) -> ApiShop:
    with services().db.unit_of_work() as uow:
        shop_id = connected_shop(uow)
        _, key = create_api_key(uow, shop_id=shop_id, name="ERP sync")
        uow.commit()
    return ApiShop(shop_id, key)


@pytest.fixture
def list_id(shop) -> int:
    with services().db.unit_of_work() as uow:
        price_list = publishable_list(uow, shop.id, order_minimum="250.00")
        uow.commit()
        return price_list.id


@pytest.fixture
def document(client) -> dict[str, Any]:
    return client.get("/api/v1/openapi.json").get_json()


def _publications() -> int:
    with services().db.unit_of_work() as uow:
        return uow.session.scalar(select(func.count()).select_from(PricePublication))


def test_publishing_answers_202_with_the_publication_and_its_status_can_be_read(
    fake, client, shop, list_id, document
):
    response = client.post(f"{BASE}/{list_id}/publish", headers=shop.headers)

    assert response.status_code == 202
    conforms(document, f"{ONE}/publish", "post", response)
    published = response.get_json()["data"]
    # no worker in tests: the job ran at the commit, so the answer already shows its end
    assert (published["price_list_id"], published["status"], published["active"]) == (
        list_id,
        "succeeded",
        False,
    )
    assert (published["done"], published["total"], published["percent"]) == (1, 1, 100.0)
    assert published["shopify_price_list_id"] == fake.only_price_list().id
    assert [u["rule"] for u in published["unsupported"]] == ["order minimum"]
    status = client.get(f"{BASE}/{list_id}/publication", headers=shop.headers)
    assert status.status_code == 200
    conforms(document, f"{ONE}/publication", "get", status)
    assert status.get_json()["data"] == published


def test_a_list_never_published_has_no_status_yet(fake, client, shop, list_id, document):
    response = client.get(f"{BASE}/{list_id}/publication", headers=shop.headers)

    assert response.status_code == 200
    conforms(document, f"{ONE}/publication", "get", response)
    assert response.get_json()["data"] == {
        "price_list_id": list_id,
        "status": None,
        "status_label": "Not published",
        "active": False,
    }
    assert fake.names() == []


def test_a_shop_without_b2b_gets_the_publication_that_says_so(fake, client, shop, list_id):
    fake.b2b = False

    response = client.post(f"{BASE}/{list_id}/publish", headers=shop.headers)

    assert response.status_code == 202
    body = response.get_json()["data"]
    assert (body["status"], body["error"]) == ("unsupported", NO_B2B_MESSAGE)
    assert body["shopify_price_list_id"] is None


def test_another_shops_list_is_a_404_and_nothing_is_queued(fake, client, shop, list_id):
    with services().db.unit_of_work() as uow:
        other = connected_shop(uow, domain="other.myshopify.com")
        theirs = make_price_list(uow, other, "Theirs")
        uow.commit()
        their_id = theirs.id

    post = client.post(f"{BASE}/{their_id}/publish", headers=shop.headers)
    get = client.get(f"{BASE}/{their_id}/publication", headers=shop.headers)

    assert [post.status_code, get.status_code] == [404, 404]
    assert post.mimetype == "application/problem+json"
    assert _publications() == 0
    assert fake.names() == []


def test_a_list_being_published_is_a_409_and_nothing_more_is_queued(fake, client, shop, list_id, document):
    with services().db.unit_of_work() as uow:
        uow.session.add(
            PricePublication(shop_id=shop.id, price_list_id=list_id, status=PublishStatus.RUNNING)
        )
        uow.commit()

    response = client.post(f"{BASE}/{list_id}/publish", headers=shop.headers)

    assert response.status_code == 409
    conforms(document, f"{ONE}/publish", "post", response)
    assert (
        response.get_json()["detail"] == "This price list is already being published; wait for it to finish."
    )
    assert client.get(f"{BASE}/{list_id}/publication", headers=shop.headers).get_json()["data"]["status"] == (
        "running"
    )
    assert fake.names() == []


def test_an_archived_list_cannot_be_published(fake, client, shop, list_id):
    with services().db.unit_of_work() as uow:
        lists.archive_price_list(uow, shop_id=shop.id, price_list_id=list_id)
        uow.commit()

    response = client.post(f"{BASE}/{list_id}/publish", headers=shop.headers)

    assert response.status_code == 409
    assert response.get_json()["detail"] == ARCHIVED_MESSAGE
    assert _publications() == 0
    assert fake.names() == []


def test_publishing_needs_an_api_key(fake, client, list_id):
    response = client.post(f"{BASE}/{list_id}/publish")

    assert response.status_code == 401
    assert _publications() == 0
