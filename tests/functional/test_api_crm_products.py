"""GET /api/v1/products and /api/v1/products/{id}: the catalog mirror with its variants."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.api.responses import iso8601
from crm import service
from crm.models import CrmProduct, CrmVariant
from tests.api_crm_support import add_product, api_shop, get
from tests.crm_support import webhook

WIDGET = 632910392
GADGET = 632910393
GIZMO = 632910394


def ids(response) -> list[int]:
    return [item["shopify_id"] for item in response.get_json()["data"]]


def variant(shopify_id: int, sku: str, price: str, **fields):
    """A variant payload shaped like the fixture's first one."""
    payload = webhook("products_create")["variants"][0]
    payload.update(
        id=shopify_id, admin_graphql_api_id=f"gid://shopify/ProductVariant/{shopify_id}", sku=sku, price=price
    )
    payload.update(fields)
    return payload


@pytest.fixture
def acme(uow):
    """Widget (active, two variants), Gadget (draft, vendor Bolt) and Gizmo (archived)."""
    shop = api_shop(uow)
    add_product(uow, shop.id, WIDGET)
    add_product(
        uow,
        shop.id,
        GADGET,
        title="Gadget",
        handle="gadget",
        vendor="Bolt",
        status="draft",
        tags="",
        variants=[variant(49000001, "GADGET-1", "7.25", product_id=GADGET, option1="Default Title")],
    )
    add_product(
        uow,
        shop.id,
        GIZMO,
        title="Gizmo",
        handle="gizmo",
        status="archived",
        variants=[variant(49000002, "GIZMO-1", "1999.9", product_id=GIZMO, compare_at_price="2100")],
    )
    uow.commit()
    return shop


def product_row(uow, shop_id: int, shopify_id: int) -> CrmProduct:
    row = uow.session.scalars(
        select(CrmProduct).where(CrmProduct.shop_id == shop_id, CrmProduct.shopify_id == shopify_id)
    ).one()
    uow.session.refresh(row)
    return row


def test_a_product_is_shown_with_its_variants(client, uow, acme):
    # given
    widget = product_row(uow, acme.id, WIDGET)
    first, second = uow.session.scalars(
        select(CrmVariant).where(CrmVariant.product_id == widget.id).order_by(CrmVariant.position)
    ).all()
    # when
    response = get(client, acme, f"/api/v1/products/{widget.id}")
    # then
    assert response.status_code == 200
    assert response.get_json() == {
        "data": {
            "id": widget.id,
            "shopify_id": WIDGET,
            "admin_graphql_api_id": f"gid://shopify/Product/{WIDGET}",
            "shopify_created_at": "2026-04-01T13:00:00Z",
            "shopify_updated_at": "2026-05-01T15:00:00Z",
            "created_at": iso8601(widget.created_at),
            "updated_at": iso8601(widget.updated_at),
            "deleted_at": None,
            "title": "Widget",
            "handle": "widget",
            "vendor": "Acme",
            "product_type": "Hardware",
            "status": "active",
            "tags": ["wholesale", "hardware"],
            "published_at": "2026-04-01T13:00:00Z",
            "variants": [
                {
                    "id": first.id,
                    "shopify_id": 39072856,
                    "admin_graphql_api_id": "gid://shopify/ProductVariant/39072856",
                    "shopify_created_at": "2026-04-01T13:00:00Z",
                    "shopify_updated_at": "2026-04-01T13:00:00Z",
                    "created_at": iso8601(first.created_at),
                    "updated_at": iso8601(first.updated_at),
                    "deleted_at": None,
                    "title": "12-pack",
                    "sku": "WIDGET-12",
                    "barcode": None,
                    "position": 1,
                    "options": ["12-pack"],
                    "price": {"amount": "11.50", "currency_code": "USD"},
                    "compare_at_price": None,
                    "inventory_quantity": 75,
                    "taxable": True,
                },
                {
                    "id": second.id,
                    "shopify_id": 39072857,
                    "admin_graphql_api_id": "gid://shopify/ProductVariant/39072857",
                    "shopify_created_at": "2026-04-01T13:00:00Z",
                    "shopify_updated_at": "2026-04-01T13:00:00Z",
                    "created_at": iso8601(second.created_at),
                    "updated_at": iso8601(second.updated_at),
                    "deleted_at": None,
                    "title": "48-pack",
                    "sku": "WIDGET-48",
                    "barcode": None,
                    "position": 2,
                    "options": ["48-pack"],
                    "price": {"amount": "42.00", "currency_code": "USD"},
                    "compare_at_price": {"amount": "49.00", "currency_code": "USD"},
                    "inventory_quantity": 20,
                    "taxable": True,
                },
            ],
        }
    }


def test_the_list_shows_products_by_title_as_get_does(client, uow, acme):
    detail = {
        shopify_id: get(
            client, acme, f"/api/v1/products/{product_row(uow, acme.id, shopify_id).id}"
        ).get_json()["data"]
        for shopify_id in (WIDGET, GADGET, GIZMO)
    }

    response = get(client, acme, "/api/v1/products")

    assert response.status_code == 200
    assert response.get_json() == {
        "data": [detail[GADGET], detail[GIZMO], detail[WIDGET]],
        "next_cursor": None,
    }
    assert detail[GIZMO]["variants"][0]["price"] == {"amount": "1999.90", "currency_code": "USD"}
    assert detail[GIZMO]["variants"][0]["compare_at_price"] == {"amount": "2100.00", "currency_code": "USD"}
    assert (detail[GADGET]["status"], detail[GADGET]["tags"]) == ("draft", [])


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "active"}, [WIDGET]),
        ({"status": "archived"}, [GIZMO]),
        ({"sku": "WIDGET-48"}, [WIDGET]),
        ({"sku": "GADGET-1"}, [GADGET]),
        # sku is an exact match; search finds parts of SKUs, titles, handles and vendors
        ({"sku": "WIDGET"}, []),
        ({"search": "widget-4"}, [WIDGET]),
        ({"search": "bolt"}, [GADGET]),
        ({"vendor": "ACME"}, [GIZMO, WIDGET]),
        ({"sku": "GIZMO-1", "status": "active"}, []),
        ({"sort": "-title"}, [WIDGET, GIZMO, GADGET]),
    ],
)
def test_filters_narrow_the_list(client, acme, params, expected):
    response = get(client, acme, "/api/v1/products", **params)

    assert response.status_code == 200
    assert ids(response) == expected


def test_deleted_variants_are_left_out_and_deleted_products_are_not_listed(client, uow, acme):
    # given: Widget drops its 48-pack; Gizmo is deleted
    widget = product_row(uow, acme.id, WIDGET)
    gizmo = product_row(uow, acme.id, GIZMO)
    payload = webhook("products_create")
    payload.update(updated_at="2026-05-02T10:00:00-05:00", variants=payload["variants"][:1])
    service.upsert_product(uow, shop_id=acme.id, payload=payload)
    service.delete_product(uow, shop_id=acme.id, payload={"id": GIZMO})
    uow.commit()
    # when
    variants = get(client, acme, f"/api/v1/products/{widget.id}").get_json()["data"]["variants"]
    # then
    assert [v["sku"] for v in variants] == ["WIDGET-12"]
    assert ids(get(client, acme, "/api/v1/products")) == [GADGET, WIDGET]
    assert ids(get(client, acme, "/api/v1/products", sku="WIDGET-48")) == []
    assert get(client, acme, f"/api/v1/products/{gizmo.id}").get_json()["data"]["deleted_at"] is not None


def test_another_shops_product_is_not_found_and_never_listed(client, uow, acme):
    # given
    globex = api_shop(uow, "globex.myshopify.com")
    theirs = add_product(
        uow, globex.id, 5, title="Globex Gear", variants=[variant(6, "GLOBEX-1", "3.00", product_id=5)]
    )
    uow.commit()
    # when
    response = get(client, acme, f"/api/v1/products/{theirs.id}")
    # then
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["detail"] == f"product {theirs.id} not found"
    assert ids(get(client, acme, "/api/v1/products", sku="GLOBEX-1")) == []
    assert ids(get(client, acme, "/api/v1/products", search="globex")) == []
    assert ids(get(client, globex, "/api/v1/products", sku="GLOBEX-1")) == [5]


@pytest.mark.parametrize(
    ("params", "parameter"),
    [({"status": "live"}, "status"), ({"sort": "price"}, "sort"), ({"sku": "S" * 300}, "sku")],
)
def test_a_bad_filter_is_a_400_naming_the_parameter(client, acme, params, parameter):
    response = get(client, acme, "/api/v1/products", **params)

    assert response.status_code == 400
    assert [error["parameter"] for error in response.get_json()["errors"]] == [parameter]
