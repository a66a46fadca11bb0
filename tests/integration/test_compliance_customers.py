"""customers/redact and customers/data_request: the handlers called as the intake calls them.

One customer, Zelda Quixote, is spread over every place the CRM keeps personal data: her customer
row (with an address and a note), a change of email on her timeline, tags, a staff note and a task,
a company membership, her company's note and a location address in her name, two orders of hers,
a guest order under another address of hers, and a draft order. A second customer of the same shop
and a look-alike in another shop must come out untouched.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import JSON, String, Text, cast, func, select
from sqlalchemy.orm import Session

from app.errors import InvalidInput
from app.model_registry import metadata
from app.privacy import ComplianceRequest, RequestKind, RequestStatus
from crm import service
from crm.models import CrmCompany, CrmCustomer, CrmOrder, CrmTimelineEvent, MarketingState
from crm.notes import Actor, add_note, add_task
from crm.service.topics import add_customer_tags, upsert_draft_order
from tests.crm_support import at, company, customer, make_shop, order, webhook
from tests.support import stored_delivery
from webhooks.compliance import handle_customers_data_request, handle_customers_redact
from webhooks.registry import Delivery

# Sample values from Shopify's privacy compliance docs (PLATFORM.md §2.5).
ZELDA = 191167
DATA_REQUEST_ID = 9999
ZELDA_EMAIL = "zelda.quixote@example.net"
OLD_EMAIL = "zq@oldmail.example"
GUEST_EMAIL = "zq.guest@example.org"
ZELDA_PHONE = "+15125550177"
# Everything that identifies her; none may survive a redact anywhere in the shop's CRM.
NEEDLES = ("zelda", "quixote", ZELDA_EMAIL, OLD_EMAIL, GUEST_EMAIL, ZELDA_PHONE, "5125550177")
COMPANY_ID = 123456789
LOCATION_ID = 987654321
ORDER_1, ORDER_2, GUEST_ORDER, BOB_ORDER = 299938, 280263, 220458, 310001
BOB = 555000
DRAFT_ORDER = 994118539
RECEIVED_AT = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Shops:
    acme: int
    other: int


def delivery(topic: str, delivery_id: int = 1, triggered_at: datetime | None = None) -> Delivery:
    return stored_delivery(topic, delivery_id, received_at=RECEIVED_AT, triggered_at=triggered_at)


def redact_payload(
    customer_id: int | None = ZELDA, email: str | None = ZELDA_EMAIL, orders: list[int] | None = None
) -> dict[str, Any]:
    return {
        "shop_id": 954889,
        "shop_domain": "acme.myshopify.com",
        "customer": {"id": customer_id, "email": email, "phone": ZELDA_PHONE},
        "orders_to_redact": [GUEST_ORDER] if orders is None else orders,
    }


def data_request_payload(customer_id: int = ZELDA, email: str = ZELDA_EMAIL) -> dict[str, Any]:
    return {
        "shop_id": 954889,
        "shop_domain": "acme.myshopify.com",
        "orders_requested": [GUEST_ORDER],
        "customer": {"id": customer_id, "email": email, "phone": ZELDA_PHONE},
        "data_request": {"id": DATA_REQUEST_ID},
    }


def zelda(minute: float, email: str = ZELDA_EMAIL) -> dict[str, Any]:
    address = {
        "id": 1053317297,
        "customer_id": ZELDA,
        "first_name": "Zelda",
        "last_name": "Quixote",
        "phone": ZELDA_PHONE,
        "address1": "9 Quixote Lane",
        "city": "Austin",
        "province_code": "TX",
        "country_code": "US",
        "zip": "78701",
        "default": True,
    }
    return customer(
        ZELDA,
        minute=minute,
        email=email,
        first_name="Zelda",
        last_name="Quixote",
        phone=ZELDA_PHONE,
        note="Zelda prefers calls after 5pm",
        addresses=[address],
        default_address=address,
    )


def zelda_order(order_id: int, minute: float, total: str, **fields: Any) -> dict[str, Any]:
    payload = order(order_id, minute=minute, customer_id=ZELDA, total=total, **fields)
    payload["email"] = payload["contact_email"] = ZELDA_EMAIL
    payload["customer"].update(
        email=ZELDA_EMAIL, first_name="Zelda", last_name="Quixote", phone=ZELDA_PHONE, tags="vip, zelda-club"
    )
    return payload


def given_zelda_everywhere(uow: Any, shop_id: int, *, full: bool = True) -> None:
    """Zelda in every CRM table of the shop (with `full`, also her company, notes, tasks and drafts)."""
    service.upsert_customer(uow, shop_id=shop_id, payload=zelda(0, email=OLD_EMAIL))
    service.upsert_customer(uow, shop_id=shop_id, payload=zelda(5))
    if full:
        service.upsert_company(
            uow, shop_id=shop_id, payload=company(COMPANY_ID, note="Ask for Zelda Quixote")
        )
        location = webhook("company_locations_create")
        location["shipping_address"].update(first_name="Zelda", last_name="Quixote", phone=ZELDA_PHONE)
        service.upsert_company_location(uow, shop_id=shop_id, payload=location)
        contact = webhook("company_contacts_create")
        contact.update(customer_admin_graphql_api_id=f"gid://shopify/Customer/{ZELDA}", title="Head buyer")
        service.upsert_company_contact(uow, shop_id=shop_id, payload=contact)
    b2b = {"id": COMPANY_ID, "location_id": LOCATION_ID} if full else None
    service.upsert_order(
        uow,
        shop_id=shop_id,
        payload=zelda_order(
            ORDER_1,
            10,
            "298.77",
            company=b2b,
            note="Deliver to Zelda Quixote",
            landing_site=f"/wholesale?email={ZELDA_EMAIL}",
        ),
    )
    service.upsert_order(
        uow, shop_id=shop_id, payload=zelda_order(ORDER_2, 20, "120.00", po_number="PO-ZELDA-7")
    )
    guest = order(GUEST_ORDER, minute=30, customer_id=None, total="45.50", note="Gift for the Quixote family")
    guest["email"] = guest["contact_email"] = GUEST_EMAIL
    service.upsert_order(uow, shop_id=shop_id, payload=guest)
    add_customer_tags(
        uow,
        shop_id=shop_id,
        payload={
            "customerId": f"gid://shopify/Customer/{ZELDA}",
            "tags": ["zelda-club"],
            "occurredAt": at(40),
        },
    )
    if full:
        row_id = customer_row(uow.session, shop_id, ZELDA).id
        staff = Actor(label="Dana Reyes")
        add_note(
            uow,
            shop_id=shop_id,
            subject_type="customer",
            subject_id=row_id,
            body="Zelda asked about net terms",
            author=staff,
        )
        add_task(
            uow,
            shop_id=shop_id,
            subject_type="customer",
            subject_id=row_id,
            title="Call Zelda about reorder",
            author=staff,
        )
        upsert_draft_order(
            uow,
            shop_id=shop_id,
            payload={
                "id": DRAFT_ORDER,
                "admin_graphql_api_id": f"gid://shopify/DraftOrder/{DRAFT_ORDER}",
                "name": "#D1",
                "status": "open",
                "email": ZELDA_EMAIL,
                "note": "Quote for Zelda",
                "currency": "USD",
                "total_price": "45.00",
                "tags": "",
                "invoice_url": "https://acme.myshopify.com/123/invoices/abc",
                "customer": {"id": ZELDA, "admin_graphql_api_id": f"gid://shopify/Customer/{ZELDA}"},
                "created_at": at(45),
                "updated_at": at(45),
            },
        )


def given_bob(uow: Any, shop_id: int) -> None:
    service.upsert_customer(
        uow,
        shop_id=shop_id,
        payload=customer(
            BOB, email="bob@example.com", first_name="Bob", last_name="Other", phone="+15125550999"
        ),
    )
    bob_order = order(BOB_ORDER, minute=50, customer_id=BOB, total="50.00")
    bob_order["email"] = bob_order["contact_email"] = "bob@example.com"
    bob_order["customer"].update(email="bob@example.com", first_name="Bob", last_name="Other")
    service.upsert_order(uow, shop_id=shop_id, payload=bob_order)


@pytest.fixture
def shops(uow: Any) -> Shops:
    acme = make_shop(uow, "acme.myshopify.com")
    other = make_shop(uow, "other.myshopify.com")
    given_zelda_everywhere(uow, acme)
    given_bob(uow, acme)
    given_zelda_everywhere(uow, other, full=False)
    uow.commit()
    return Shops(acme=acme, other=other)


def customer_row(session: Session, shop_id: int, shopify_id: int) -> CrmCustomer:
    return session.scalars(
        select(CrmCustomer).where(CrmCustomer.shop_id == shop_id, CrmCustomer.shopify_id == shopify_id)
    ).one()


def snapshot(session: Session, shop_id: int) -> dict[str, list[dict[str, Any]]]:
    """Every row of the shop in every CRM and app table, in primary-key order."""
    session.expire_all()
    rows = {}
    for table in metadata.sorted_tables:
        if "shop_id" in table.c and table.name.startswith(("crm_", "app_")):
            query = select(table).where(table.c.shop_id == shop_id).order_by(*table.primary_key.columns)
            rows[table.name] = [dict(r._mapping) for r in session.execute(query)]
    return rows


def personal_data_found(session: Session, shop_id: int, needles: tuple[str, ...] = NEEDLES) -> list[str]:
    """'table.column: needle' for every text or JSON column of the shop's CRM rows that holds a needle."""
    found = []
    for table in metadata.sorted_tables:
        if not (table.name.startswith("crm_") or table.name == "app_compliance_request"):
            continue
        for column in table.c:
            if not isinstance(column.type, String | Text | JSON):
                continue
            for needle in needles:
                hits = session.scalar(
                    select(func.count())
                    .select_from(table)
                    .where(
                        table.c.shop_id == shop_id, func.lower(cast(column, Text)).contains(needle.lower())
                    )
                )
                if hits:
                    found.append(f"{table.name}.{column.name}: {needle}")
    return found


def compliance_requests(session: Session, shop_id: int) -> list[ComplianceRequest]:
    return list(
        session.scalars(
            select(ComplianceRequest)
            .where(ComplianceRequest.shop_id == shop_id)
            .order_by(ComplianceRequest.id)
        )
    )


# -- customers/redact --------------------------------------------------------------------------------


def test_redact_leaves_none_of_the_customers_personal_data_in_any_crm_table(uow, shops):
    # given Zelda everywhere in the CRM of both shops
    assert personal_data_found(uow.session, shops.acme) != []

    # when Shopify asks to redact her in the first shop
    handle_customers_redact(
        uow, shop_id=shops.acme, payload=redact_payload(), delivery=delivery("customers/redact")
    )
    uow.commit()

    # then no text or JSON column of any CRM row of that shop names, mails or calls her
    assert personal_data_found(uow.session, shops.acme) == []
    # and the other shop's look-alike is none of this request's business
    assert f"crm_customer.email: {ZELDA_EMAIL}" in personal_data_found(uow.session, shops.other)


def test_redact_keeps_row_ids_money_and_rollups_so_revenue_stays_exact(uow, shops):
    before = customer_row(uow.session, shops.acme, ZELDA)
    row_id, orders_count, spent = before.id, before.orders_count, before.total_spent
    company_before = uow.session.scalars(select(CrmCompany).where(CrmCompany.shop_id == shops.acme)).one()
    company_rollup = (company_before.orders_count, company_before.total_spent)
    order_totals = dict(
        uow.session.execute(
            select(CrmOrder.shopify_id, CrmOrder.current_total_price).where(CrmOrder.shop_id == shops.acme)
        ).all()
    )

    handle_customers_redact(
        uow, shop_id=shops.acme, payload=redact_payload(), delivery=delivery("customers/redact")
    )
    uow.commit()
    uow.session.expire_all()

    after = customer_row(uow.session, shops.acme, ZELDA)
    assert (after.id, after.orders_count, after.total_spent) == (row_id, 2, Decimal("418.77"))
    assert (orders_count, spent) == (2, Decimal("418.77"))
    assert (after.first_name, after.last_name, after.email, after.phone, after.note) == (None,) * 5
    assert (after.default_address, after.addresses, after.city, after.tags) == (None, None, None, [])
    assert after.email_marketing_state is MarketingState.REDACTED
    assert after.deleted_at is not None
    company_after = uow.session.scalars(select(CrmCompany).where(CrmCompany.shop_id == shops.acme)).one()
    assert (company_after.orders_count, company_after.total_spent) == company_rollup == (1, Decimal("298.77"))
    assert (
        dict(
            uow.session.execute(
                select(CrmOrder.shopify_id, CrmOrder.current_total_price).where(
                    CrmOrder.shop_id == shops.acme
                )
            ).all()
        )
        == order_totals
    )


def test_redact_leaves_the_shops_other_customers_alone(uow, shops):
    handle_customers_redact(
        uow, shop_id=shops.acme, payload=redact_payload(), delivery=delivery("customers/redact")
    )
    uow.commit()
    uow.session.expire_all()

    bob = customer_row(uow.session, shops.acme, BOB)
    assert (bob.first_name, bob.last_name, bob.email, bob.deleted_at) == (
        "Bob",
        "Other",
        "bob@example.com",
        None,
    )
    bob_order = uow.session.scalars(select(CrmOrder).where(CrmOrder.shopify_id == BOB_ORDER)).one()
    assert bob_order.email == "bob@example.com"


def test_redact_writes_one_timeline_event_and_records_the_request_without_personal_data(uow, shops):
    handle_customers_redact(
        uow, shop_id=shops.acme, payload=redact_payload(), delivery=delivery("customers/redact")
    )
    uow.commit()

    row_id = customer_row(uow.session, shops.acme, ZELDA).id
    redacted = uow.session.scalars(
        select(CrmTimelineEvent).where(
            CrmTimelineEvent.kind == "customer.redacted", CrmTimelineEvent.shop_id == shops.acme
        )
    ).all()
    assert [(e.customer_id, e.summary, e.data) for e in redacted] == [
        (row_id, f"Customer {ZELDA}: personal data erased at the customer's request", {"shopify_id": ZELDA})
    ]
    [record] = compliance_requests(uow.session, shops.acme)
    assert (record.kind, record.status, record.request_key, record.shopify_customer_id) == (
        RequestKind.CUSTOMER_REDACT,
        RequestStatus.COMPLETED,
        f"customer-{ZELDA}",
        ZELDA,
    )
    assert record.requested_at == RECEIVED_AT
    assert record.summary["crm"]["customers"] == 1
    assert record.summary["crm"]["orders"] == 3  # her two orders and the guest order named in the request
    assert record.summary["crm"]["notes"] == 1
    assert record.summary["crm"]["customer_tags"] == 3  # two tag rows, one tag change


def test_redact_twice_is_the_same_as_once(uow, shops):
    handle_customers_redact(
        uow, shop_id=shops.acme, payload=redact_payload(), delivery=delivery("customers/redact")
    )
    uow.commit()
    once = snapshot(uow.session, shops.acme)

    handle_customers_redact(
        uow, shop_id=shops.acme, payload=redact_payload(), delivery=delivery("customers/redact", 2)
    )
    uow.commit()

    assert snapshot(uow.session, shops.acme) == once


def test_a_late_customer_payload_after_a_redact_does_not_bring_the_data_back(uow, shops):
    handle_customers_redact(
        uow, shop_id=shops.acme, payload=redact_payload(), delivery=delivery("customers/redact")
    )
    uow.commit()

    # a customers/update that Shopify fired before the erasure, delivered late
    service.upsert_customer(uow, shop_id=shops.acme, payload=zelda(90))
    uow.commit()

    assert personal_data_found(uow.session, shops.acme) == []


def test_redact_by_email_only_finds_the_customer_by_that_address(uow, shops):
    handle_customers_redact(
        uow,
        shop_id=shops.acme,
        payload=redact_payload(customer_id=None, orders=[]),
        delivery=delivery("customers/redact", 7),
    )
    uow.commit()

    # her guest order under another address was not named, so only its other fields are left
    assert personal_data_found(uow.session, shops.acme) == [
        f"crm_order.email: {GUEST_EMAIL}",
        "crm_order.note: quixote",
    ]
    [record] = compliance_requests(uow.session, shops.acme)
    assert (record.request_key, record.shopify_customer_id) == ("delivery-7", None)


def test_redact_for_an_unknown_customer_is_acknowledged_and_changes_nothing(uow, shops, caplog):
    before = snapshot(uow.session, shops.acme)
    caplog.set_level(logging.INFO, logger="webhooks.compliance")

    handle_customers_redact(
        uow,
        shop_id=shops.acme,
        payload=redact_payload(customer_id=424242, email="nobody@example.com", orders=[]),
        delivery=delivery("customers/redact"),
    )
    uow.commit()

    after = snapshot(uow.session, shops.acme)
    [record] = after.pop("app_compliance_request")
    before.pop("app_compliance_request")
    assert after == before
    assert (record["status"], record["shopify_customer_id"], record["summary"]) == (
        RequestStatus.NO_DATA,
        424242,
        {"crm": dict.fromkeys(record["summary"]["crm"], 0), "webhooks": {"inbox_payloads": 0}},
    )
    assert "nothing held" in caplog.text


def test_redact_logs_counts_but_no_personal_data(uow, shops, caplog):
    caplog.set_level(logging.DEBUG)

    handle_customers_redact(
        uow, shop_id=shops.acme, payload=redact_payload(), delivery=delivery("customers/redact")
    )
    uow.commit()

    lines = [r.getMessage() for r in caplog.records if r.name == "webhooks.compliance"]
    assert len(lines) == 1
    assert lines[0].startswith(f"customers/redact for shop {shops.acme}: compliance request ")
    assert (
        "crm: 1 companies, 1 company contacts, 1 company locations, 3 customer tags, 1 customers" in lines[0]
    )
    assert [n for n in NEEDLES if n in caplog.text.lower()] == []


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"shop_id": 954889, "shop_domain": "acme.myshopify.com"}, "no `customer` object"),
        (redact_payload() | {"customer": {"id": "abc"}}, "`customer.id` must be a numeric id"),
        (redact_payload() | {"orders_to_redact": "299938"}, "must be a list of order ids"),
        (redact_payload() | {"orders_to_redact": [{"id": 1}]}, "must be a numeric id"),
    ],
)
def test_a_malformed_redact_is_refused_and_changes_nothing(uow, shops, payload, message):
    before = snapshot(uow.session, shops.acme)

    with pytest.raises(InvalidInput, match=message):
        handle_customers_redact(
            uow, shop_id=shops.acme, payload=payload, delivery=delivery("customers/redact")
        )
    uow.rollback()

    assert snapshot(uow.session, shops.acme) == before


# -- customers/data_request ----------------------------------------------------------------------


def test_data_request_stores_an_export_of_her_orders_timeline_and_profile(uow, shops):
    handle_customers_data_request(
        uow,
        shop_id=shops.acme,
        payload=data_request_payload(),
        delivery=delivery("customers/data_request", triggered_at=RECEIVED_AT - timedelta(seconds=3)),
    )
    uow.commit()

    [record] = compliance_requests(uow.session, shops.acme)
    assert (record.kind, record.status, record.shopify_request_id, record.request_key) == (
        RequestKind.DATA_REQUEST,
        RequestStatus.COMPLETED,
        DATA_REQUEST_ID,
        str(DATA_REQUEST_ID),
    )
    assert record.requested_at == RECEIVED_AT - timedelta(seconds=3)
    export = record.export
    assert export["shop"] == "acme.myshopify.com"
    assert export["request"] == {
        "data_request_id": DATA_REQUEST_ID,
        "customer": {"id": ZELDA, "email": ZELDA_EMAIL, "phone": ZELDA_PHONE},
        "orders_requested": [GUEST_ORDER],
        "requested_at": "2026-06-01T11:59:57+00:00",
    }
    crm = export["data"]["crm"]
    [profile] = crm["customers"]
    assert (
        profile["id"],
        profile["first_name"],
        profile["last_name"],
        profile["email"],
        profile["phone"],
    ) == (
        ZELDA,
        "Zelda",
        "Quixote",
        ZELDA_EMAIL,
        ZELDA_PHONE,
    )
    assert profile["tags"] == ["vip", "zelda-club"]
    assert profile["lifetime"]["orders_count"] == 2
    assert profile["lifetime"]["total_spent"] == "418.7700"
    assert [(o["id"], o["email"], o["current_total_price"]) for o in crm["orders"]] == [
        (ORDER_1, ZELDA_EMAIL, "298.7700"),
        (ORDER_2, ZELDA_EMAIL, "120.0000"),
        (GUEST_ORDER, GUEST_EMAIL, "45.5000"),
    ]
    assert [(line["sku"], line["quantity"]) for line in crm["orders"][0]["lines"]] == [("WIDGET-12", 24)]
    assert [(m["company_id"], m["title"]) for m in crm["company_memberships"]] == [(COMPANY_ID, "Head buyer")]
    assert [n["body"] for n in crm["notes"]] == ["Zelda asked about net terms"]
    assert [t["title"] for t in crm["tasks"]] == ["Call Zelda about reorder"]
    assert [d["id"] for d in crm["draft_orders"]] == [DRAFT_ORDER]
    kinds = [event["kind"] for event in crm["timeline"]]
    assert kinds.count("order.created") == 3
    assert "customer.updated" in kinds and "customer.note_added" in kinds
    assert record.summary["crm"]["orders"] == 3
    assert record.summary["crm"]["timeline"] == len(kinds)


def test_data_request_twice_stores_one_export(uow, shops):
    handle_customers_data_request(
        uow, shop_id=shops.acme, payload=data_request_payload(), delivery=delivery("customers/data_request")
    )
    uow.commit()
    once = snapshot(uow.session, shops.acme)

    handle_customers_data_request(
        uow,
        shop_id=shops.acme,
        payload=data_request_payload(),
        delivery=delivery("customers/data_request", 2),
    )
    uow.commit()

    assert snapshot(uow.session, shops.acme) == once


def test_data_request_for_an_unknown_customer_stores_an_empty_export(uow, shops):
    handle_customers_data_request(
        uow,
        shop_id=shops.acme,
        payload=data_request_payload(customer_id=424242, email="nobody@example.com")
        | {"orders_requested": []},
        delivery=delivery("customers/data_request"),
    )
    uow.commit()

    [record] = compliance_requests(uow.session, shops.acme)
    assert (record.status, record.summary, record.export["data"]) == (RequestStatus.NO_DATA, {}, {})


def test_data_request_logs_no_personal_data(uow, shops, caplog):
    caplog.set_level(logging.DEBUG)

    handle_customers_data_request(
        uow, shop_id=shops.acme, payload=data_request_payload(), delivery=delivery("customers/data_request")
    )
    uow.commit()

    assert f"customers/data_request {DATA_REQUEST_ID} for shop {shops.acme}" in caplog.text
    assert [n for n in NEEDLES if n in caplog.text.lower()] == []


def test_a_data_request_without_its_id_is_refused(uow, shops):
    payload = data_request_payload()
    del payload["data_request"]

    with pytest.raises(InvalidInput, match="`data_request` must be an object"):
        handle_customers_data_request(
            uow, shop_id=shops.acme, payload=payload, delivery=delivery("customers/data_request")
        )
    uow.rollback()

    assert compliance_requests(uow.session, shops.acme) == []


def test_a_redact_also_erases_the_export_of_her_earlier_data_request(uow, shops):
    # given the merchant was sent her data earlier
    handle_customers_data_request(
        uow, shop_id=shops.acme, payload=data_request_payload(), delivery=delivery("customers/data_request")
    )
    uow.commit()

    # when she asks for erasure
    handle_customers_redact(
        uow, shop_id=shops.acme, payload=redact_payload(), delivery=delivery("customers/redact", 2)
    )
    uow.commit()

    # then the copy of her data in the export goes too; the record of the request stays
    uow.session.expire_all()
    data_request, redact = compliance_requests(uow.session, shops.acme)
    assert (data_request.kind, data_request.status, data_request.export) == (
        RequestKind.DATA_REQUEST,
        RequestStatus.ERASED,
        None,
    )
    assert redact.summary["privacy"] == {"data_request_exports": 1}
    assert personal_data_found(uow.session, shops.acme) == []
