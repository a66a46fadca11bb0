"""Order sync: lines, links to customers and companies seen or not yet, exact rollups in any order."""

import random
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from app.db import UnitOfWork
from crm import service
from crm.models import (
    CrmCompany,
    CrmCompanyLocation,
    CrmCustomer,
    CrmOrder,
    CrmOrderLine,
    CrmTimelineEvent,
    FinancialStatus,
)
from crm.service import SyncAction
from tests.crm_support import at, company, customer, make_shop, order

CUSTOMER_ID = 706405506930370084


def _kinds(uow: UnitOfWork, shop_id: int) -> list[str]:
    return list(
        uow.session.scalars(
            select(CrmTimelineEvent.kind)
            .where(CrmTimelineEvent.shop_id == shop_id)
            .order_by(CrmTimelineEvent.id)
        )
    )


def _customer(uow: UnitOfWork, shop_id: int, shopify_id: int) -> CrmCustomer:
    return uow.session.scalars(
        select(CrmCustomer).where(CrmCustomer.shop_id == shop_id, CrmCustomer.shopify_id == shopify_id)
    ).one()


def test_an_order_is_stored_with_its_lines_and_rolled_up(uow: UnitOfWork) -> None:
    shop_id = make_shop(uow)
    outcome = service.upsert_order(uow, shop_id=shop_id, payload=order(po_number="PO-7781", company=None))
    row = uow.session.get(CrmOrder, outcome.id)
    assert row is not None
    assert (row.name, row.total_price, row.currency, row.financial_status, row.po_number, row.is_b2b) == (
        "#54508",
        Decimal("298.77"),
        "USD",
        FinancialStatus.PAID,
        "PO-7781",
        False,
    )
    (line,) = row.lines
    assert (line.sku, line.quantity, line.price, line.shopify_variant_id) == (
        "WIDGET-12",
        24,
        Decimal("11.50"),
        39072856,
    )
    buyer = _customer(uow, shop_id, CUSTOMER_ID)
    assert row.customer_id == buyer.id
    assert (buyer.orders_count, buyer.total_spent, buyer.first_order_at, buyer.last_order_at) == (
        1,
        Decimal("298.77"),
        datetime(2026, 5, 1, 15, 0, tzinfo=UTC),
        datetime(2026, 5, 1, 15, 0, tzinfo=UTC),
    )
    assert buyer.acquisition_source == "draft_order"
    assert _kinds(uow, shop_id) == ["customer.created", "order.created"]


def test_an_order_before_its_customer_creates_the_customer_and_links_it(uow: UnitOfWork) -> None:
    shop_id = make_shop(uow)
    service.upsert_order(uow, shop_id=shop_id, payload=order(minute=5, customer_id=CUSTOMER_ID))
    buyer = _customer(uow, shop_id, CUSTOMER_ID)
    assert (buyer.email, buyer.tags, buyer.orders_count) == (
        f"buyer{CUSTOMER_ID}@example.com",
        ["b2b", "vip"],
        1,
    )
    assert buyer.phone is None  # not in the embedded object
    # The customer's own (newer) payload arrives later and fills in the rest.
    service.upsert_customer(uow, shop_id=shop_id, payload=customer(minute=9))
    uow.session.refresh(buyer)
    assert (buyer.phone, buyer.tags, buyer.orders_count) == ("+15125550100", ["b2b", "vip"], 1)
    assert len(uow.session.scalars(select(CrmCustomer).where(CrmCustomer.shop_id == shop_id)).all()) == 1


def test_an_order_whose_embedded_customer_has_no_updated_at_only_links_it(uow: UnitOfWork) -> None:
    shop_id = make_shop(uow)
    service.upsert_customer(uow, shop_id=shop_id, payload=customer(minute=0))
    payload = order(minute=5)
    payload["customer"].update(updated_at=None, created_at=None, first_name="Stale")
    service.upsert_order(uow, shop_id=shop_id, payload=payload)
    buyer = _customer(uow, shop_id, CUSTOMER_ID)
    assert (buyer.first_name, buyer.orders_count) == ("Ana", 1)


def test_a_guest_order_has_no_customer(uow: UnitOfWork) -> None:
    shop_id = make_shop(uow)
    outcome = service.upsert_order(uow, shop_id=shop_id, payload=order(customer_id=None))
    row = uow.session.get(CrmOrder, outcome.id)
    assert row is not None and row.customer_id is None
    assert _kinds(uow, shop_id) == ["order.created"]


def test_a_b2b_order_before_its_company_links_placeholders_the_company_payload_fills(uow: UnitOfWork) -> None:
    shop_id = make_shop(uow)
    outcome = service.upsert_order(
        uow, shop_id=shop_id, payload=order(company={"id": 123456789, "location_id": 987654321})
    )
    row = uow.session.get(CrmOrder, outcome.id)
    assert row is not None
    acme = uow.session.get(CrmCompany, row.company_id)
    location = uow.session.get(CrmCompanyLocation, row.company_location_id)
    assert acme is not None and location is not None
    assert (row.is_b2b, acme.shopify_id, acme.name, acme.shopify_updated_at) == (True, 123456789, None, None)
    assert (location.shopify_id, location.company_id) == (987654321, acme.id)
    assert (acme.orders_count, acme.total_spent) == (1, Decimal("298.77"))
    service.upsert_company(uow, shop_id=shop_id, payload=company(minute=0))
    uow.session.refresh(acme)
    assert (acme.name, acme.external_id, acme.orders_count) == ("Acme Corp", "ERP-1042", 1)


def test_duplicate_order_deliveries_are_one_row_and_one_event(uow: UnitOfWork) -> None:
    shop_id = make_shop(uow)
    payload = order(minute=1)
    actions = [service.upsert_order(uow, shop_id=shop_id, payload=payload).action for _ in range(5)]
    assert actions == [SyncAction.CREATED] + [SyncAction.UNCHANGED] * 4
    assert _kinds(uow, shop_id) == ["customer.created", "order.created"]
    assert len(uow.session.scalars(select(CrmOrderLine)).all()) == 1
    assert _customer(uow, shop_id, CUSTOMER_ID).orders_count == 1


def test_cancellation_is_an_event_and_drops_the_order_from_spend(uow: UnitOfWork) -> None:
    shop_id = make_shop(uow)
    service.upsert_order(uow, shop_id=shop_id, payload=order(101, minute=0, total="100.00"))
    service.upsert_order(uow, shop_id=shop_id, payload=order(102, minute=1, total="50.00"))
    cancelled = order(101, minute=10, total="100.00", cancelled_at=at(10), financial_status="voided")
    outcome = service.upsert_order(uow, shop_id=shop_id, payload=cancelled)
    assert outcome.changes["financial_status"] == ["paid", "voided"]
    buyer = _customer(uow, shop_id, CUSTOMER_ID)
    assert (buyer.orders_count, buyer.total_spent) == (1, Decimal("50.00"))
    assert _kinds(uow, shop_id)[-1] == "order.cancelled"
    # The orders/create that was still in flight arrives last and changes nothing.
    assert service.upsert_order(uow, shop_id=shop_id, payload=order(101, minute=0)).action is SyncAction.STALE
    uow.session.refresh(buyer)
    assert (buyer.orders_count, buyer.total_spent) == (1, Decimal("50.00"))


def test_deleting_an_order_drops_it_from_the_rollup(uow: UnitOfWork) -> None:
    shop_id = make_shop(uow)
    service.upsert_order(uow, shop_id=shop_id, payload=order(101, total="100.00"))
    outcome = service.delete_order(uow, shop_id=shop_id, payload={"id": 101})
    buyer = _customer(uow, shop_id, CUSTOMER_ID)
    assert outcome.action is SyncAction.DELETED
    assert (buyer.orders_count, buyer.total_spent, buyer.last_order_at) == (0, Decimal(0), None)
    assert _kinds(uow, shop_id)[-1] == "order.deleted"


def test_an_edited_order_replaces_its_lines(uow: UnitOfWork) -> None:
    shop_id = make_shop(uow)
    service.upsert_order(uow, shop_id=shop_id, payload=order(101, minute=0))
    edited = order(101, minute=3)
    edited["line_items"][0]["quantity"] = 48
    edited["line_items"].append({**edited["line_items"][0], "id": 999, "sku": "WIDGET-48", "quantity": 2})
    outcome = service.upsert_order(uow, shop_id=shop_id, payload=edited)
    lines = uow.session.scalars(select(CrmOrderLine).order_by(CrmOrderLine.shopify_id)).all()
    assert [(line.shopify_id, line.quantity) for line in lines] == [(999, 2), (1011, 48)]
    assert outcome.changes["lines"] == ["1 lines, 24 units", "2 lines, 50 units"]


def test_moving_an_order_to_another_customer_updates_both_rollups(uow: UnitOfWork) -> None:
    shop_id = make_shop(uow)
    service.upsert_order(uow, shop_id=shop_id, payload=order(101, minute=0, customer_id=1, total="10.00"))
    service.upsert_order(uow, shop_id=shop_id, payload=order(101, minute=1, customer_id=2, total="10.00"))
    assert (_customer(uow, shop_id, 1).orders_count, _customer(uow, shop_id, 2).orders_count) == (0, 1)


def _history() -> tuple[list[dict[str, Any]], dict[int, tuple[int, Decimal]]]:
    """Order payloads (with duplicates and later versions) and the rollup they must give per customer."""
    rng = random.Random(7)
    deliveries: list[dict[str, Any]] = []
    final: dict[int, dict[str, Any]] = {}
    for n in range(40):
        order_id = 5000 + n
        buyer = 1 + n % 3
        total = f"{rng.randint(1000, 99999) / 100:.2f}"
        first = order(
            order_id, minute=n, customer_id=buyer, customer_minute=0, total=total, financial_status="pending"
        )
        deliveries.append(first)
        final[order_id] = first
        if n % 4 == 0:  # paid later
            paid = order(order_id, minute=n + 60, customer_id=buyer, customer_minute=0, total=total)
            deliveries.append(paid)
            final[order_id] = paid
        if n % 7 == 0:  # cancelled later still
            gone = order(
                order_id,
                minute=n + 120,
                customer_id=buyer,
                customer_minute=0,
                total=total,
                cancelled_at=at(n + 120),
            )
            deliveries.append(gone)
            final[order_id] = gone
        if n % 5 == 0:  # a refund lowers the current total
            refunded = dict(final[order_id], updated_at=at(n + 180), current_total_price="1.00")
            deliveries.append(refunded)
            final[order_id] = refunded
    deliveries.append(
        dict(order(9999, minute=1, customer_id=1, customer_minute=0, total="500.00"), test=True)
    )
    deliveries += deliveries[:10]  # duplicate deliveries
    expected: dict[int, tuple[int, Decimal]] = {1: (0, Decimal(0)), 2: (0, Decimal(0)), 3: (0, Decimal(0))}
    for payload in final.values():
        if payload["cancelled_at"] is None:
            buyer = payload["customer"]["id"]
            count, spent = expected[buyer]
            expected[buyer] = (count + 1, spent + Decimal(payload["current_total_price"]))
    return deliveries, expected


def _rollups(uow: UnitOfWork, shop_id: int) -> dict[int, tuple[int, Decimal]]:
    rows = uow.session.execute(
        select(CrmCustomer.shopify_id, CrmCustomer.orders_count, CrmCustomer.total_spent).where(
            CrmCustomer.shop_id == shop_id
        )
    )
    return {sid: (count, spent) for sid, count, spent in rows}


def test_rollups_are_exact_whatever_the_delivery_order(uow: UnitOfWork) -> None:
    deliveries, expected = _history()
    for seed in range(3):
        shop_id = make_shop(uow, f"shuffle-{seed}.myshopify.com")
        shuffled = list(deliveries)
        random.Random(seed).shuffle(shuffled)
        for payload in shuffled:
            service.upsert_order(uow, shop_id=shop_id, payload=payload)
        assert _rollups(uow, shop_id) == expected
    batch_shop = make_shop(uow, "batch.myshopify.com")
    service.import_batch(uow, shop_id=batch_shop, orders=list(reversed(deliveries)))
    assert _rollups(uow, batch_shop) == expected


def test_company_rollup_counts_its_orders_from_every_contact(uow: UnitOfWork) -> None:
    shop_id = make_shop(uow)
    link = {"id": 123456789, "location_id": 987654321}
    service.upsert_order(
        uow, shop_id=shop_id, payload=order(1, minute=0, customer_id=1, total="10.00", company=link)
    )
    service.upsert_order(
        uow, shop_id=shop_id, payload=order(2, minute=5, customer_id=2, total="15.50", company=link)
    )
    service.upsert_order(uow, shop_id=shop_id, payload=order(3, minute=9, customer_id=2, total="99.00"))
    acme = uow.session.scalars(select(CrmCompany).where(CrmCompany.shop_id == shop_id)).one()
    assert (acme.orders_count, acme.total_spent, acme.first_order_at, acme.last_order_at) == (
        2,
        Decimal("25.50"),
        datetime(2026, 5, 1, 15, 0, tzinfo=UTC),
        datetime(2026, 5, 1, 15, 5, tzinfo=UTC),
    )
    assert acme.average_order_value == Decimal("12.75")
