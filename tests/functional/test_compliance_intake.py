"""The compliance and app lifecycle topics end to end: signed deliveries through POST /webhooks.

Jobs run inline (no Redis), so each delivery is stored, answered and processed within the request.
Payloads follow PLATFORM.md §2.5 and Shopify's sample values.
"""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import func, select

from app import services
from app.db import utcnow
from app.model_registry import metadata
from app.models import Shop, ShopToken
from app.privacy import ComplianceRequest, RequestKind, RequestStatus
from app.shops import TokenSet, install_shop, store_token
from crm import service
from crm.models import CrmCustomer, MarketingState
from tests.admin_support import sign_in
from tests.crm_support import customer, order
from tests.support import signed_webhook
from webhooks.models import DeliveryStatus, WebhookDelivery

SHOP = "acme.myshopify.com"
CUSTOMER_ID = 191167
ORDERS = [299938, 280263, 220458]


def post(client: FlaskClient, topic: str, payload: dict[str, Any], **options: Any) -> Any:
    # Shopify stamps each delivery with the time it fired; the handlers compare it to the install.
    options.setdefault("triggered_at", utcnow().isoformat().replace("+00:00", "Z"))
    body, headers = signed_webhook(topic, payload, shop=SHOP, **options)
    return client.post("/webhooks", data=body, headers=headers)


def given_installed_shop_with_a_customer(uow: Any) -> int:
    shop = install_shop(uow, domain=SHOP, scopes="read_customers,read_orders")
    store_token(
        uow, services().cipher, shop_id=shop.id, tokens=TokenSet(access_token="shpat_1", scope=shop.scopes)
    )
    service.upsert_customer(
        uow,
        shop_id=shop.id,
        payload=customer(CUSTOMER_ID, email="john@example.com", phone="555-625-1199", first_name="John"),
    )
    service.upsert_order(
        uow, shop_id=shop.id, payload=order(ORDERS[0], customer_id=CUSTOMER_ID, customer_minute=-1)
    )
    uow.commit()
    return shop.id


def statuses(uow: Any, shop_id: int) -> dict[str, DeliveryStatus]:
    uow.session.expire_all()
    rows = uow.session.execute(
        select(WebhookDelivery.topic, WebhookDelivery.status).where(WebhookDelivery.shop_id == shop_id)
    )
    return dict(rows.all())


def post_redact(client: FlaskClient, orders: list[int]) -> Any:
    """Shopify's customers/redact for the customer (PLATFORM.md §2.5), through the intake."""
    payload = {
        "shop_id": 954889,
        "shop_domain": SHOP,
        "customer": {"id": CUSTOMER_ID, "email": "john@example.com", "phone": "555-625-1199"},
        "orders_to_redact": orders,
    }
    return post(client, "customers/redact", payload)


def test_customers_redact_through_the_intake_erases_the_customer(client, uow):
    shop_id = given_installed_shop_with_a_customer(uow)

    response = post_redact(client, ORDERS)

    assert response.status_code == 200
    assert statuses(uow, shop_id) == {"customers/redact": DeliveryStatus.PROCESSED}
    row = uow.session.scalars(select(CrmCustomer).where(CrmCustomer.shop_id == shop_id)).one()
    assert (row.email, row.first_name, row.phone, row.email_marketing_state) == (
        None,
        None,
        None,
        MarketingState.REDACTED,
    )
    [record] = uow.session.scalars(
        select(ComplianceRequest).where(ComplianceRequest.shop_id == shop_id)
    ).all()
    assert (record.kind, record.status) == (RequestKind.CUSTOMER_REDACT, RequestStatus.COMPLETED)


def test_customers_redact_through_the_intake_erases_her_delivery_payloads_and_its_own(client, uow):
    shop_id = given_installed_shop_with_a_customer(uow)
    hers = customer(CUSTOMER_ID, minute=5, email="john@example.com", first_name="John")
    someone_else = customer(424242, minute=5, email="ann@example.com", first_name="Ann")
    for payload in (hers, someone_else):
        assert post(client, "customers/update", payload).status_code == 200

    response = post_redact(client, [])

    assert response.status_code == 200
    uow.session.expire_all()
    rows = uow.session.execute(
        select(WebhookDelivery.topic, WebhookDelivery.status, WebhookDelivery.payload)
        .where(WebhookDelivery.shop_id == shop_id)
        .order_by(WebhookDelivery.id)
    )
    assert [tuple(r) for r in rows] == [
        ("customers/update", DeliveryStatus.PROCESSED, None),
        ("customers/update", DeliveryStatus.PROCESSED, someone_else),
        ("customers/redact", DeliveryStatus.PROCESSED, None),
    ]


def test_customers_data_request_through_the_intake_is_downloadable_by_the_merchant(client, uow):
    shop_id = given_installed_shop_with_a_customer(uow)

    response = post(
        client,
        "customers/data_request",
        {
            "shop_id": 954889,
            "shop_domain": SHOP,
            "orders_requested": ORDERS,
            "customer": {"id": CUSTOMER_ID, "email": "john@example.com", "phone": "555-625-1199"},
            "data_request": {"id": 9999},
        },
    )

    assert response.status_code == 200
    assert statuses(uow, shop_id) == {"customers/data_request": DeliveryStatus.PROCESSED}
    record_id = uow.session.scalar(select(ComplianceRequest.id).where(ComplianceRequest.shop_id == shop_id))
    sign_in(client, shop_id)
    download = client.get(f"/privacy/requests/{record_id}/export.json")
    assert download.status_code == 200
    document = download.get_json()
    assert document["request"]["data_request_id"] == 9999
    assert [o["id"] for o in document["data"]["crm"]["orders"]] == [ORDERS[0]]
    assert document["data"]["crm"]["customers"][0]["email"] == "john@example.com"


def test_uninstall_then_shop_redact_through_the_intake_leaves_nothing_of_the_shop(client, uow):
    shop_id = given_installed_shop_with_a_customer(uow)

    uninstalled = post(client, "app/uninstalled", {"id": 954889, "myshopify_domain": SHOP, "name": "Acme"})

    assert uninstalled.status_code == 200
    uow.session.expire_all()
    assert uow.session.get(Shop, shop_id).is_installed is False
    assert (
        uow.session.scalar(select(func.count()).select_from(ShopToken).where(ShopToken.shop_id == shop_id))
        == 0
    )
    # 48 hours later
    redacted = post(client, "shop/redact", {"shop_id": 954889, "shop_domain": SHOP})

    assert redacted.status_code == 200
    uow.session.expire_all()
    leftovers = {
        table.name: n
        for table in metadata.sorted_tables
        if "shop_id" in table.c
        and (
            n := uow.session.scalar(select(func.count()).select_from(table).where(table.c.shop_id == shop_id))
        )
    }
    assert leftovers == {}
    assert uow.session.get(Shop, shop_id) is None
    # the shop is gone: Shopify's next delivery for it is refused
    assert post(client, "customers/update", customer(CUSTOMER_ID)).status_code == 404


def test_scopes_update_through_the_intake_stores_the_granted_scopes(client, uow):
    shop_id = given_installed_shop_with_a_customer(uow)

    response = post(
        client,
        "app/scopes_update",
        {
            "id": 1234,
            "previous": ["read_customers", "read_orders"],
            "current": ["read_customers", "read_orders", "read_discounts"],
            "updated_at": "2026-06-01T12:00:00.000Z",
            "shop_id": 954889,
        },
    )

    assert response.status_code == 200
    assert statuses(uow, shop_id) == {"app/scopes_update": DeliveryStatus.PROCESSED}
    uow.session.expire_all()
    assert uow.session.get(Shop, shop_id).scopes == "read_customers,read_orders,read_discounts"


def test_a_compliance_delivery_with_a_bad_signature_is_refused_and_not_stored(client, uow):
    shop_id = given_installed_shop_with_a_customer(uow)

    response = post(client, "shop/redact", {"shop_id": 954889, "shop_domain": SHOP}, secret="shpss_wrong")

    assert response.status_code == 401
    assert statuses(uow, shop_id) == {}
    uow.session.expire_all()
    assert uow.session.get(Shop, shop_id) is not None
