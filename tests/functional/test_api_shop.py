"""GET /api/v1/shop: the authenticated shop, timestamps in ISO 8601 UTC."""

from __future__ import annotations

from datetime import UTC, datetime

from app.apikeys import create_api_key
from app.shops import install_shop


def test_the_shop_of_the_key_is_returned_in_full(client, uow):
    # given
    shop = install_shop(uow, domain="acme", scopes="read_customers, write_customers,read_orders")
    shop.name = "Acme Wholesale"
    shop.email = "ops@acme.example"
    shop.plan = "shopify_plus"
    shop.currency = "EUR"
    shop.timezone = "Europe/Berlin"
    shop.installed_at = datetime(2026, 11, 22, 14, 36, 36, 206858, tzinfo=UTC)
    _, plaintext = create_api_key(uow, shop_id=shop.id, name="ERP")
    uow.commit()
    # when
    response = client.get("/api/v1/shop", headers={"Authorization": f"Bearer {plaintext}"})
    # then
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.get_json() == {
        "data": {
            "id": shop.id,
            "domain": "acme.myshopify.com",
            "name": "Acme Wholesale",
            "email": "ops@acme.example",
            "plan": "shopify_plus",
            "currency": "EUR",
            "timezone": "Europe/Berlin",
            "scopes": ["read_customers", "write_customers", "read_orders"],
            "installed_at": "2026-11-22T14:36:36.206858Z",
            "uninstalled_at": None,
        }
    }
