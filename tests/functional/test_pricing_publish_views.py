"""Publishing from the admin: the POST (CSRF, cross-shop 404), the status page and the JSON it polls,
and refreshing the collection mirror."""

from __future__ import annotations

import re

import pytest
from flask import current_app, url_for
from sqlalchemy import func, select

from app import services
from pricing.models import AssignmentTarget, PricePublication, PublishStatus
from tests.admin_support import card_html, sign_in
from tests.backfill_support import connected_shop
from tests.pricing_publish_support import FakeB2B
from tests.pricing_support import (
    add_entry,
    assign,
    make_company,
    make_location,
    make_price_list,
    make_variant,
)

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def fake(app_config) -> FakeB2B:
    shopify = FakeB2B()
    app_config["SHOPIFY_HTTP_TRANSPORT"] = shopify.transport
    return shopify


@pytest.fixture
def shop_id(fake, app) -> int:
    with services().db.unit_of_work() as uow:
        shop = connected_shop(uow)
        uow.commit()
    return shop


@pytest.fixture
def list_id(shop_id) -> int:
    with services().db.unit_of_work() as uow:
        company = make_company(uow, shop_id)
        make_location(uow, shop_id, company)
        price_list = make_price_list(uow, shop_id, "Wholesale", order_minimum="250.00")
        assign(uow, price_list, AssignmentTarget.COMPANY, company)
        add_entry(uow, price_list, make_variant(uow, shop_id), "4.20")
        uow.commit()
        return price_list.id


@pytest.fixture
def signed_in(fake, client, shop_id):
    sign_in(client, shop_id)
    return client


def _csrf(client, list_id: int) -> str:
    match = CSRF_RE.search(client.get(f"/pricing/lists/{list_id}/publish").get_data(as_text=True))
    assert match is not None
    return match.group(1)


def _list_page(list_id: int) -> str:
    """Where a publish returns to: the list's page, or the publish page before the pages module exists."""
    endpoint = (
        "pricing.price_list"
        if "pricing.price_list" in current_app.view_functions
        else "pricing.publish_status"
    )
    with current_app.test_request_context():
        return url_for(endpoint, price_list_id=list_id)


def _publications() -> int:
    with services().db.unit_of_work() as uow:
        return uow.session.scalar(select(func.count()).select_from(PricePublication))


def test_the_page_shows_a_list_that_was_never_published(signed_in, list_id):
    response = signed_in.get(f"/pricing/lists/{list_id}/publish")

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    card = card_html(html, "publish")
    assert "Not published yet" in card
    assert 'data-active="false"' in card
    assert "Publish to Shopify" in card and "Refresh collections" in card


def test_publishing_from_the_page_runs_the_job_and_shows_the_result(signed_in, fake, list_id):
    token = _csrf(signed_in, list_id)

    response = signed_in.post(f"/pricing/lists/{list_id}/publish", data={"csrf_token": token})

    assert response.status_code == 303
    assert response.headers["Location"] == _list_page(list_id)
    body = signed_in.get(f"/pricing/lists/{list_id}/publish.json").get_json()
    assert body["status"] == "succeeded"
    assert (body["done"], body["total"], body["percent"]) == (1, 1, 100.0)
    assert body["shopify_price_list_id"] == fake.only_price_list().id
    assert body["unsupported"] == [
        {
            "rule": "order minimum",
            "detail": "Orders must reach 250.00 USD: Shopify price lists have no order minimum; Tradeline "
            "enforces it on quotes, the portal and draft orders only",
        }
    ]
    card = card_html(signed_in.get(f"/pricing/lists/{list_id}/publish").get_data(as_text=True), "publish")
    assert "Published" in card
    assert "1 of 1 changes sent" in card
    assert "Shopify cannot express 1 rule" in card and "Orders must reach 250.00 USD" in card


def test_a_publish_without_the_csrf_token_is_refused_and_nothing_is_queued(signed_in, fake, list_id):
    response = signed_in.post(f"/pricing/lists/{list_id}/publish", data={})

    assert response.status_code == 400
    assert _publications() == 0
    assert fake.names() == []


def test_another_shops_list_is_a_404_everywhere(signed_in, fake, list_id):
    token = _csrf(signed_in, list_id)
    with services().db.unit_of_work() as uow:
        other = connected_shop(uow, domain="other.myshopify.com")
        theirs = make_price_list(uow, other, "Theirs")
        uow.commit()
        their_id = theirs.id

    post = signed_in.post(f"/pricing/lists/{their_id}/publish", data={"csrf_token": token})
    page = signed_in.get(f"/pricing/lists/{their_id}/publish")
    status = signed_in.get(f"/pricing/lists/{their_id}/publish.json")
    collections = signed_in.post(
        "/pricing/collections/sync", data={"csrf_token": token, "price_list_id": their_id}
    )

    assert [post.status_code, page.status_code, status.status_code, collections.status_code] == [404] * 4
    assert _publications() == 0
    assert fake.names() == []


def test_a_publish_while_one_runs_says_so_and_queues_nothing(signed_in, fake, list_id, shop_id):
    with services().db.unit_of_work() as uow:
        uow.session.add(
            PricePublication(shop_id=shop_id, price_list_id=list_id, status=PublishStatus.RUNNING)
        )
        uow.commit()
    token = _csrf(signed_in, list_id)

    response = signed_in.post(
        f"/pricing/lists/{list_id}/publish", data={"csrf_token": token}, follow_redirects=True
    )

    assert "already being published" in response.get_data(as_text=True)
    assert signed_in.get(f"/pricing/lists/{list_id}/publish.json").get_json()["status"] == "running"
    assert fake.names() == []


def test_refresh_collections_runs_the_sync(signed_in, fake, list_id):
    fake.collections["gid://shopify/Collection/7"] = ("Summer", "summer", ["gid://shopify/Product/70"])
    token = _csrf(signed_in, list_id)

    response = signed_in.post(
        "/pricing/collections/sync", data={"csrf_token": token, "price_list_id": list_id}
    )

    assert response.status_code == 303
    assert fake.names() == ["PricingCollections"]


def test_the_list_page_includes_the_publish_card(signed_in, list_id):
    html = signed_in.get(_list_page(list_id)).get_data(as_text=True)

    card = card_html(html, "publish")
    assert 'id="pricing-publish"' in card
    assert f'action="/pricing/lists/{list_id}/publish"' in card
