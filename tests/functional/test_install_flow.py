"""Managed install end to end: first embedded load, token exchange, shop stored, details fetched by a job."""

from __future__ import annotations

import json

import httpx
import pytest
from graphql import parse
from sqlalchemy import select

from app import services
from app.models import Shop
from app.shopify.jobs import refresh_shop_details
from app.shops import uninstall_shop
from tests.auth_support import APP_SECRET, FakeShopifyTokens
from tests.support import session_token

ACME = "acme.myshopify.com"
SHOP_DETAILS = {
    "data": {
        "shop": {
            "id": "gid://shopify/Shop/548380009",
            "name": "Acme Wholesale",
            "email": "owner@acme.example",
            "myshopifyDomain": ACME,
            "currencyCode": "EUR",
            "ianaTimezone": "Europe/Berlin",
            "plan": {"publicDisplayName": "Shopify Plus", "partnerDevelopment": False, "shopifyPlus": True},
        }
    },
    "extensions": {
        "cost": {
            "requestedQueryCost": 2,
            "actualQueryCost": 2,
            "throttleStatus": {"maximumAvailable": 2000.0, "currentlyAvailable": 1998, "restoreRate": 100.0},
        }
    },
}


class FakeShopify:
    """Shopify at the HTTP boundary: the token endpoint plus the Admin GraphQL endpoint."""

    def __init__(self) -> None:
        self.tokens = FakeShopifyTokens()
        self.graphql_calls: list[tuple[str, str]] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/admin/api/2026-04/graphql.json":
            operation = parse(json.loads(request.content)["query"]).definitions[0]
            self.graphql_calls.append((request.headers["X-Shopify-Access-Token"], operation.name.value))
            return httpx.Response(200, json=SHOP_DETAILS)
        return self.tokens._handle(request)


@pytest.fixture
def shopify() -> FakeShopify:
    return FakeShopify()


@pytest.fixture
def app_config(app_config, shopify):
    return {
        **app_config,
        "SHOPIFY_HTTP_TRANSPORT": httpx.MockTransport(shopify.handle),
        "SHOPIFY_API_SECRET": APP_SECRET,
    }


def details_calls(shopify: FakeShopify) -> int:
    # The install also starts the backfill (other documents); only the details query is counted here.
    return sum(1 for _, operation in shopify.graphql_calls if operation == "ShopDetails")


def first_embedded_load(client):
    token = session_token(ACME, secret=APP_SECRET)
    return client.get(
        "/",
        base_url="https://tradeline.test",
        query_string={
            "embedded": "1",
            "shop": ACME,
            "host": "YWRtaW4uc2hvcGlmeS5jb20vc3RvcmUvYWNtZQ",
            "id_token": token,
        },
    )


def test_the_first_embedded_load_installs_the_shop_and_fetches_its_details(client, uow, shopify):
    answer = first_embedded_load(client)

    assert answer.status_code == 200
    shop = uow.session.scalar(select(Shop).where(Shop.domain == ACME))
    uow.session.refresh(shop)
    assert (shop.name, shop.currency, shop.timezone, shop.plan, shop.shopify_id) == (
        "Acme Wholesale",
        "EUR",
        "Europe/Berlin",
        "Shopify Plus",
        548380009,
    )
    # Jobs call Shopify with the offline token the exchange stored, never with the session token.
    assert {token for token, _ in shopify.graphql_calls} == {"shpat_offline_0001"}
    assert details_calls(shopify) == 1
    assert "Acme Wholesale" in answer.text


def test_a_second_load_does_not_fetch_the_details_again(client, shopify):
    first_embedded_load(client)
    first_embedded_load(client)

    assert details_calls(shopify) == 1


def test_the_details_job_does_nothing_for_a_shop_uninstalled_meanwhile(client, uow, shopify):
    first_embedded_load(client)
    shop = uow.session.scalar(select(Shop).where(Shop.domain == ACME))
    uninstall_shop(uow, shop_id=shop.id)
    uow.commit()

    with services().db.unit_of_work():
        assert refresh_shop_details(shop.id) is False

    assert details_calls(shopify) == 1
