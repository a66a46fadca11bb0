"""customers/redact and the webhook inbox: the payloads that name the customer are erased, no others.

Zelda's deliveries name her in each way Shopify's payloads do (PLATFORM.md §6 and the fixtures): the
customer's own id, an order's `customer`, `customer_id`, a `customerId` GID, an email in another case,
an order the request lists. Bob's deliveries (one carries a number with her id's digits in it) and a
look-alike of hers in another shop must come out untouched.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from app.privacy import ComplianceRequest, RequestKind
from tests.crm_support import customer, make_shop, order, webhook
from tests.support import stored_delivery
from webhooks.compliance import handle_customers_redact
from webhooks.models import DeliveryStatus, WebhookDelivery
from webhooks.privacy import ERASED_NOTE

ZELDA = 191167
ZELDA_EMAIL = "zelda.quixote@example.net"
ZELDA_GID = f"gid://shopify/Customer/{ZELDA}"
BOB = 555000
# Bob's order number holds Zelda's id as digits: only a look at the payload tells them apart.
BOB_ORDER = 1911670
ZELDA_ORDER, GUEST_ORDER, NAMED_ORDER = 299938, 220458, 280263
RECEIVED_AT = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
P = DeliveryStatus


@dataclass(frozen=True)
class Inbox:
    acme: int
    other: int
    ids: dict[str, int]


def redact_payload(customer_id: int | None = ZELDA, email: str | None = ZELDA_EMAIL) -> dict[str, Any]:
    return {
        "shop_id": 954889,
        "shop_domain": "acme.myshopify.com",
        "customer": {"id": customer_id, "email": email, "phone": "+15125550177"},
        "orders_to_redact": [NAMED_ORDER],
    }


def store(
    uow: Any, shop_id: int, name: str, topic: str, payload: dict[str, Any], status: DeliveryStatus
) -> int:
    row = WebhookDelivery(
        shop_id=shop_id,
        webhook_id=f"wh-{name}",
        topic=topic,
        api_version="2026-04",
        payload=payload,
        status=status,
        attempts=0 if status is P.RECEIVED else 1,
        last_error="boom" if status is P.FAILED else None,
        received_at=RECEIVED_AT,
    )
    uow.session.add(row)
    uow.session.flush()
    return row.id


def zelda_deliveries() -> dict[str, tuple[str, dict[str, Any], DeliveryStatus]]:
    guest = order(GUEST_ORDER, customer_id=None)
    guest["email"] = guest["contact_email"] = "Zelda.Quixote@Example.NET"
    named = order(NAMED_ORDER, customer_id=None)
    named["email"] = named["contact_email"] = "gifts@example.org"
    consent = webhook("customers_email_marketing_consent_update")
    consent.update(customer_id=ZELDA, email_address=ZELDA_EMAIL)
    tags = webhook("customer_tags_added")
    tags["customerId"] = ZELDA_GID
    return {
        "profile": ("customers/update", customer(ZELDA, email=ZELDA_EMAIL, first_name="Zelda"), P.PROCESSED),
        "order": ("orders/create", order(ZELDA_ORDER, customer_id=ZELDA), P.PROCESSED),
        "consent": ("customers_email_marketing_consent/update", consent, P.FAILED),
        "tags": ("customer.tags_added", tags, P.RECEIVED),
        "guest_order": ("orders/create", guest, P.PROCESSED),
        "named_order": ("orders/updated", named, P.PROCESSED),
        # The redact's own delivery: its attempt holds it while the handler runs.
        "redact": ("customers/redact", redact_payload(), P.PROCESSING),
    }


def others() -> dict[str, tuple[str, dict[str, Any], DeliveryStatus]]:
    bob_order = order(BOB_ORDER, customer_id=BOB)
    bob_order["email"] = bob_order["contact_email"] = "bob@example.com"
    return {
        "bob": ("customers/update", customer(BOB, email="bob@example.com", first_name="Bob"), P.PROCESSED),
        "bob_order": ("orders/create", bob_order, P.RECEIVED),
    }


@pytest.fixture
def inbox(uow: Any) -> Inbox:
    acme = make_shop(uow, "acme.myshopify.com")
    other = make_shop(uow, "other.myshopify.com")
    ids = {}
    for name, (topic, payload, status) in {**zelda_deliveries(), **others()}.items():
        ids[name] = store(uow, acme, name, topic, payload, status)
    profile_topic, profile, _ = zelda_deliveries()["profile"]
    ids["other_shop"] = store(uow, other, "other_shop", profile_topic, profile, P.PROCESSED)
    uow.commit()
    return Inbox(acme, other, ids)


def rows(uow: Any) -> dict[int, tuple[DeliveryStatus, str | None, dict[str, Any] | None]]:
    uow.session.expire_all()
    found = uow.session.execute(
        select(
            WebhookDelivery.id, WebhookDelivery.status, WebhookDelivery.last_error, WebhookDelivery.payload
        )
    )
    return {r.id: (r.status, r.last_error, r.payload) for r in found}


def redact(uow: Any, shop_id: int, payload: dict[str, Any], delivery_id: int) -> ComplianceRequest:
    handle_customers_redact(
        uow,
        shop_id=shop_id,
        payload=payload,
        delivery=stored_delivery("customers/redact", delivery_id, received_at=RECEIVED_AT),
    )
    uow.commit()
    return uow.session.scalars(
        select(ComplianceRequest)
        .where(ComplianceRequest.shop_id == shop_id, ComplianceRequest.kind == RequestKind.CUSTOMER_REDACT)
        .order_by(ComplianceRequest.id.desc())
    ).first()


def test_redact_erases_every_payload_that_names_her_and_closes_the_pending_ones(uow, inbox):
    before = rows(uow)

    record = redact(uow, inbox.acme, redact_payload(), inbox.ids["redact"])

    after = rows(uow)
    ids = inbox.ids
    assert {name: after[ids[name]] for name in zelda_deliveries()} == {
        "profile": (P.PROCESSED, None, None),
        "order": (P.PROCESSED, None, None),
        "consent": (P.IGNORED, ERASED_NOTE, None),
        "tags": (P.IGNORED, ERASED_NOTE, None),
        "guest_order": (P.PROCESSED, None, None),
        "named_order": (P.PROCESSED, None, None),
        "redact": (P.PROCESSING, None, None),
    }
    untouched = [ids[name] for name in (*others(), "other_shop")]
    assert [after[i] for i in untouched] == [before[i] for i in untouched]
    assert [after[i][2] is not None for i in untouched] == [True, True, True]
    assert record.summary["webhooks"] == {"inbox_payloads": 7}


def test_a_second_redact_finds_nothing_left_and_changes_nothing(uow, inbox):
    redact(uow, inbox.acme, redact_payload(), inbox.ids["redact"])
    once = rows(uow)

    record = redact(uow, inbox.acme, redact_payload(), inbox.ids["redact"])

    assert rows(uow) == once
    assert record.summary["webhooks"] == {"inbox_payloads": 7}  # the first run's count, nothing added


def test_redact_by_email_only_finds_her_address_however_the_payload_spells_it(uow):
    # given a delivery under her address, with a letter JSON may escape (SQLite keeps \u00eb here),
    # and deliveries under other addresses that contain hers or that hers contains most of
    shop_id = make_shop(uow)
    email = "zoë.quixote@example.net"
    hers = order(ZELDA_ORDER, customer_id=None)
    hers["email"] = hers["contact_email"] = email.upper()
    others = ["zoe.quixote@example.net", "anzoë.quixote@example.net", "zoë.quixote@example.network"]
    mine = store(uow, shop_id, "hers", "orders/create", hers, P.PROCESSED)
    theirs = {}
    for n, address in enumerate(others):
        lookalike = order(GUEST_ORDER + n, customer_id=None)
        lookalike["email"] = lookalike["contact_email"] = address
        theirs[store(uow, shop_id, f"lookalike-{n}", "orders/create", lookalike, P.RECEIVED)] = lookalike
    uow.commit()

    # when Shopify names her by email only
    record = redact(uow, shop_id, redact_payload(customer_id=None, email=email), delivery_id=7)

    # then her delivery lost its payload; the others kept theirs and still wait to be processed
    after = rows(uow)
    assert after[mine][2] is None
    assert [after[i] for i in theirs] == [(P.RECEIVED, None, payload) for payload in theirs.values()]
    assert record.summary["webhooks"] == {"inbox_payloads": 1}
