"""refresh_shop_details against a faked Admin API, through client_for_shop and the real database."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from app import services
from app.db import UnitOfWork
from app.errors import NotFound
from app.models import Shop
from app.shopify.client import client_for_shop
from app.shopify.documents import load_document
from app.shopify.errors import GraphQLErrors
from app.shopify.shop_details import refresh_shop_details, shop_id_from_gid
from app.shops import install_shop

TOKEN = "shpat_0123456789abcdef0123456789abcdef"
SHOP_DETAILS = {
    "data": {
        "shop": {
            "id": "gid://shopify/Shop/548380009",
            "name": "Acme Wholesale GmbH",
            "email": "owner@acme.example",
            "myshopifyDomain": "acme.myshopify.com",
            "currencyCode": "EUR",
            "ianaTimezone": "Europe/Berlin",
            "plan": {"publicDisplayName": "Advanced", "partnerDevelopment": False, "shopifyPlus": False},
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


class FakeAdminAPI:
    """Shopify's Admin GraphQL endpoint answering one scripted body per request, recording requests."""

    def __init__(self) -> None:
        self.answers: list[httpx.Response] = []
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.answers.pop(0)


@pytest.fixture
def admin_api() -> FakeAdminAPI:
    return FakeAdminAPI()


@pytest.fixture
def app_config(app_config: dict[str, Any], admin_api: FakeAdminAPI) -> dict[str, Any]:
    """Every Shopify call the app makes goes to the fake Admin API."""
    return {**app_config, "SHOPIFY_HTTP_TRANSPORT": httpx.MockTransport(admin_api)}


def stored_details(shop_id: int) -> tuple[object, ...]:
    """(name, email, plan, currency, timezone, shopify_id) as a fresh session reads them back."""
    with services().db.unit_of_work() as check:
        shop = check.session.get(Shop, shop_id)
        assert shop is not None
        return (shop.name, shop.email, shop.plan, shop.currency, shop.timezone, shop.shopify_id)


def test_refresh_stores_name_email_plan_currency_timezone_and_shopify_id(
    uow: UnitOfWork, admin_api: FakeAdminAPI
) -> None:
    # given an installed shop and Shopify's answer to ShopDetails
    shop = install_shop(uow, domain="acme.myshopify.com")
    uow.commit()
    admin_api.answers.append(httpx.Response(200, json=SHOP_DETAILS))

    # when
    with client_for_shop(uow, shop_id=shop.id, token_provider=lambda: TOKEN) as client:
        refreshed = refresh_shop_details(uow, client, shop_id=shop.id)
    uow.commit()

    # then
    assert refreshed.id == shop.id
    assert stored_details(shop.id) == (
        "Acme Wholesale GmbH",
        "owner@acme.example",
        "Advanced",
        "EUR",
        "Europe/Berlin",
        548380009,
    )
    (request,) = admin_api.requests
    assert str(request.url) == "https://acme.myshopify.com/admin/api/2026-04/graphql.json"
    assert request.headers["X-Shopify-Access-Token"] == TOKEN
    assert json.loads(request.content) == {"query": load_document("ShopDetails")}


def test_failed_refresh_changes_nothing(uow: UnitOfWork, admin_api: FakeAdminAPI) -> None:
    shop = install_shop(uow, domain="acme.myshopify.com")
    uow.commit()
    admin_api.answers.append(
        httpx.Response(
            200,
            json={
                "errors": [
                    {
                        "message": "Access denied for shop field.",
                        "path": ["shop"],
                        "extensions": {"code": "ACCESS_DENIED"},
                    }
                ]
            },
        )
    )

    with (
        client_for_shop(uow, shop_id=shop.id, token_provider=lambda: TOKEN) as client,
        pytest.raises(GraphQLErrors, match="Access denied for shop field"),
    ):
        refresh_shop_details(uow, client, shop_id=shop.id)

    assert stored_details(shop.id) == (
        "acme",
        None,
        None,
        "USD",
        "UTC",
        None,
    )


def test_a_client_for_another_shop_is_refused_before_calling_shopify(
    uow: UnitOfWork, admin_api: FakeAdminAPI
) -> None:
    acme = install_shop(uow, domain="acme.myshopify.com")
    other = install_shop(uow, domain="other.myshopify.com")
    uow.commit()

    with (
        client_for_shop(uow, shop_id=other.id, token_provider=lambda: TOKEN) as client,
        pytest.raises(ValueError, match=r"client is for other\.myshopify\.com"),
    ):
        refresh_shop_details(uow, client, shop_id=acme.id)

    assert admin_api.requests == []
    assert stored_details(acme.id) == ("acme", None, None, "USD", "UTC", None)


def test_client_for_an_unknown_shop_is_not_found(uow: UnitOfWork, admin_api: FakeAdminAPI) -> None:
    with pytest.raises(NotFound):
        client_for_shop(uow, shop_id=987654, token_provider=lambda: TOKEN)

    assert admin_api.requests == []


def test_client_for_shop_uses_the_configured_api_version(
    app_config: dict[str, Any], uow: UnitOfWork, admin_api: FakeAdminAPI
) -> None:
    shop = install_shop(uow, domain="acme.myshopify.com")

    with client_for_shop(uow, shop_id=shop.id, token_provider=lambda: TOKEN) as client:
        assert (client.shop_domain, client.api_version) == ("acme.myshopify.com", "2026-04")


@pytest.mark.parametrize("gid", ["gid://shopify/Customer/1", "gid://shopify/Shop/", "548380009", ""])
def test_only_shop_gids_are_accepted(gid: str) -> None:
    with pytest.raises(ValueError, match="not a Shopify Shop GID"):
        shop_id_from_gid(gid)
