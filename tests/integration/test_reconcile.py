"""Reconciliation against a faked Admin API: it lists recent changes, repairs missed and stale rows."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from app import services
from app.db import utcnow
from crm.models import (
    CrmCompanyContact,
    CrmCompanyLocation,
    CrmCustomer,
    CrmOrder,
    CrmOrderLine,
    CrmTimelineEvent,
)
from crm.payloads import parse_datetime
from crm.service import upsert_customer, upsert_order
from tests.backfill_support import (
    FakeShopify,
    ago,
    company_node,
    connected_shop,
    contact_node,
    customer_node,
    line_node,
    location_node,
    order_node,
)
from tests.crm_support import customer as customer_webhook
from tests.crm_support import order as order_webhook
from webhooks.backfill import request_backfill
from webhooks.backfill.commands import run_reconcile
from webhooks.reconcile import OVERLAP, latest_reconcile, reconcile_all_shops, request_reconcile
from webhooks.sync_models import SyncResource, SyncRun, SyncStatus

CUSTOMERS, COMPANIES, ORDERS = SyncResource.CUSTOMERS, SyncResource.COMPANIES, SyncResource.ORDERS


@pytest.fixture
def fake(app_config) -> FakeShopify:
    shopify = FakeShopify()
    app_config["SHOPIFY_HTTP_TRANSPORT"] = shopify.transport
    return shopify


@pytest.fixture
def shop_id(fake, app) -> int:
    with services().db.unit_of_work() as uow:
        shop = connected_shop(uow)
        uow.commit()
    return shop


def _reconcile(shop_id: int, resources=(CUSTOMERS,)) -> None:
    with services().db.unit_of_work() as uow:
        request_reconcile(uow, shop_id=shop_id, resources=resources, requested_by="test")
        uow.commit()  # the job runs inline once this commits


def _latest(shop_id: int, resource: SyncResource = CUSTOMERS) -> SyncRun:
    with services().db.unit_of_work() as uow:
        run = latest_reconcile(uow, shop_id=shop_id, resource=resource)
        assert run is not None
        uow.session.expunge(run)
        return run


def _customers(shop_id: int) -> dict[int, tuple[str | None, str | None]]:
    with services().db.unit_of_work() as uow:
        rows = uow.session.execute(
            select(CrmCustomer.shopify_id, CrmCustomer.first_name, CrmCustomer.email).where(
                CrmCustomer.shop_id == shop_id
            )
        )
        return {sid: (first, email) for sid, first, email in rows}


def _store_customer(shop_id: int, customer_id: int, updated_at: str, **fields) -> None:
    with services().db.unit_of_work() as uow:
        upsert_customer(
            uow, shop_id=shop_id, payload=customer_webhook(customer_id, updated_at=updated_at, **fields)
        )
        uow.commit()


def test_reconcile_repairs_a_missed_and_a_stale_customer_and_reports_them(fake, shop_id):
    # given: Shopify's three recently changed customers; Tradeline missed #3 and holds an older #2
    fake.objects["customers"] = [
        customer_node(1, updatedAt=ago(30), firstName="Ana"),
        customer_node(2, updatedAt=ago(20), firstName="Bea"),
        customer_node(3, updatedAt=ago(10), firstName="Cai"),
    ]
    _store_customer(shop_id, 1, ago(30), first_name="Ana", email="buyer1@example.com")
    _store_customer(shop_id, 2, ago(50), first_name="Old", email="old@example.com")

    # when
    _reconcile(shop_id)

    # then
    run = _latest(shop_id)
    assert (run.status, run.counts, run.error) == (
        SyncStatus.COMPLETED,
        {"checked": 3, "created": 1, "updated": 1},
        None,
    )
    assert _customers(shop_id) == {
        1: ("Ana", "buyer1@example.com"),
        2: ("Bea", "buyer2@example.com"),
        3: ("Cai", "buyer3@example.com"),
    }
    assert fake.documents() == ["ReconcileCustomers", "ReconcileCustomerNodes", "ReconcileCustomerNodes"]
    assert [v["ids"] for name, v in fake.variables if name == "ReconcileCustomerNodes"] == [
        ["gid://shopify/Customer/3"],
        ["gid://shopify/Customer/2"],
    ]


def test_reconcile_repairs_orders_with_their_lines_through_the_crm_upserts(fake, shop_id):
    fake.objects["orders"] = [
        {**order_node(1, updatedAt=ago(15), total="20.00"), "_lineItems": [line_node(11, 1, parent=False)]},
        {
            **order_node(2, updatedAt=ago(5), total="50.00", displayFinancialStatus="REFUNDED"),
            "_lineItems": [line_node(21, 2, parent=False), line_node(22, 2, parent=False)],
        },
    ]
    with services().db.unit_of_work() as uow:
        stale = order_webhook(2, customer_id=500, total="50.00", financial_status="paid")
        stale.update(updated_at=ago(60), processed_at=ago(60), created_at=ago(60))
        upsert_order(uow, shop_id=shop_id, payload=stale)
        uow.commit()

    _reconcile(shop_id, resources=(ORDERS,))

    assert _latest(shop_id, ORDERS).counts == {"checked": 2, "created": 1, "updated": 1}
    with services().db.unit_of_work() as uow:
        orders = {
            o.shopify_id: o for o in uow.session.scalars(select(CrmOrder).where(CrmOrder.shop_id == shop_id))
        }
        lines = uow.session.execute(
            select(CrmOrder.shopify_id, CrmOrderLine.shopify_id)
            .join(CrmOrderLine, CrmOrderLine.order_id == CrmOrder.id)
            .order_by(CrmOrderLine.shopify_id)
        ).all()
        events = uow.session.scalars(
            select(CrmTimelineEvent.kind)
            .where(CrmTimelineEvent.shop_id == shop_id)
            .order_by(CrmTimelineEvent.id)
        ).all()
        assert (orders[1].total_price, orders[2].financial_status.value) == (Decimal("20.00"), "refunded")
        assert [tuple(row) for row in lines] == [(1, 11), (2, 21), (2, 22)]
        assert events[-2:] == ["order.created", "order.updated"]  # the repairs land on the timeline


def test_the_next_run_starts_an_hour_before_the_previous_one_started(fake, shop_id):
    fake.objects["customers"] = []
    _reconcile(shop_id)
    first = _latest(shop_id)

    _reconcile(shop_id)

    second = _latest(shop_id)
    queries = [v["query"] for name, v in fake.variables if name == "ReconcileCustomers"]
    assert second.window_start == first.high_water_mark - OVERLAP
    assert queries[1] == f"updated_at:>='{second.window_start:%Y-%m-%dT%H:%M:%SZ}'"
    assert first.window_start is not None
    assert utcnow() - timedelta(days=1, minutes=1) < first.window_start < utcnow() - timedelta(hours=23)


def test_the_first_run_after_a_backfill_starts_an_hour_before_the_backfill(fake, shop_id):
    with services().db.unit_of_work() as uow:
        request_backfill(uow, shop_id=shop_id, resources=(CUSTOMERS,), requested_by="test")
        uow.commit()
    with services().db.unit_of_work() as uow:
        backfill = uow.session.scalar(select(SyncRun))
        backfill.status = SyncStatus.COMPLETED
        backfill.active_key = None
        started = backfill.started_at
        uow.commit()
    fake.objects["customers"] = []

    _reconcile(shop_id)

    assert _latest(shop_id).window_start == started - OVERLAP


def test_a_resource_being_backfilled_is_not_reconciled(fake, shop_id):
    with services().db.unit_of_work() as uow:
        request_backfill(uow, shop_id=shop_id, resources=(CUSTOMERS,), requested_by="test")
        uow.commit()

    with services().db.unit_of_work() as uow:
        queued = request_reconcile(uow, shop_id=shop_id, resources=(CUSTOMERS, ORDERS), requested_by="test")
        resources = [run.resource for run in queued]
        uow.rollback()

    assert resources == [ORDERS]


def test_a_refused_query_fails_that_resource_and_changes_nothing(fake, shop_id):
    fake.deny.add("ReconcileOrders")
    fake.objects["customers"] = [customer_node(3, updatedAt=ago(10))]

    _reconcile(shop_id, resources=(CUSTOMERS, ORDERS))

    failed = _latest(shop_id, ORDERS)
    assert (failed.status, failed.active_key) == (SyncStatus.FAILED, None)
    assert failed.error == (
        "Reconciliation stopped: ReconcileOrders on acme.myshopify.com: GraphQL errors: "
        "Access denied for ReconcileOrders."
    )
    assert _latest(shop_id).counts == {"checked": 1, "created": 1, "updated": 0}
    with services().db.unit_of_work() as uow:
        assert uow.session.scalar(select(func.count()).select_from(CrmOrder)) == 0


def test_a_page_of_250_is_followed_by_the_next_page(fake, shop_id):
    fake.objects["customers"] = [customer_node(n, updatedAt=ago(300 - n)) for n in range(1, 252)]

    _reconcile(shop_id)

    pages = [v for name, v in fake.variables if name == "ReconcileCustomers"]
    assert [(p["first"], p["after"]) for p in pages] == [(250, None), (250, "250")]
    assert _latest(shop_id).counts == {"checked": 251, "created": 251, "updated": 0}
    assert len(_customers(shop_id)) == 251


def _shopify_ids(shop_id: int, model) -> list[int]:
    with services().db.unit_of_work() as uow:
        return list(
            uow.session.scalars(
                select(model.shopify_id).where(model.shop_id == shop_id).order_by(model.shopify_id)
            )
        )


def test_a_companys_locations_and_contacts_are_paged_past_the_first_page(fake, shop_id):
    # given a company with more locations (first page 10, then 50 a call) and contacts (first 20) than fit
    company = {
        **company_node(7, updatedAt=ago(5)),
        "_locations": [location_node(700 + k, 7, parent=False) for k in range(65)],
        "_contacts": [contact_node(800 + k, 7, 500 + k, parent=False) for k in range(45)],
    }
    fake.objects["companies"] = [company]

    _reconcile(shop_id, resources=(COMPANIES,))

    # then every child arrived, each connection paged on from its own cursor until Shopify said no more
    children = [
        (v["locations"], v["locationsAfter"], v["contacts"], v["contactsAfter"])
        for name, v in fake.variables
        if name == "ReconcileCompanyChildren"
    ]
    assert children == [(True, "10", False, None), (True, "60", False, None), (False, None, True, "20")]
    assert _latest(shop_id, COMPANIES).counts == {"checked": 1, "created": 1, "updated": 0}
    assert _shopify_ids(shop_id, CrmCompanyLocation) == list(range(700, 765))
    assert _shopify_ids(shop_id, CrmCompanyContact) == list(range(800, 845))


def test_an_orders_lines_are_paged_past_the_first_page(fake, shop_id):
    # given an order with more lines than the first page (25) and the next one (50) hold
    lines = [line_node(3000 + k, 3, quantity=k + 1, parent=False) for k in range(80)]
    fake.objects["orders"] = [{**order_node(3, updatedAt=ago(5), total="800.00"), "_lineItems": lines}]

    _reconcile(shop_id, resources=(ORDERS,))

    after = [v["lineItemsAfter"] for name, v in fake.variables if name == "ReconcileOrderChildren"]
    assert after == ["25", "75"]
    assert _latest(shop_id, ORDERS).counts == {"checked": 1, "created": 1, "updated": 0}
    assert _shopify_ids(shop_id, CrmOrderLine) == list(range(3000, 3080))
    with services().db.unit_of_work() as uow:
        assert uow.session.scalar(select(func.sum(CrmOrderLine.quantity))) == sum(range(1, 81))


def test_the_hourly_job_reconciles_every_installed_shop(fake, shop_id):
    fake.objects["customers"] = [customer_node(7, updatedAt=ago(5))]

    shops = reconcile_all_shops()

    assert shops == 1
    assert [_latest(shop_id, r).status for r in SyncResource] == [SyncStatus.COMPLETED] * 4
    assert _customers(shop_id) == {7: ("First7", "buyer7@example.com")}


def test_the_reconcile_command_prints_what_it_fixed(fake, shop_id):
    fake.objects["customers"] = [customer_node(3, updatedAt=ago(10))]
    lines: list[str] = []

    code = run_reconcile("acme.myshopify.com", resources=(CUSTOMERS, ORDERS), echo=lines.append)

    assert code == 0
    assert lines == ["customers: checked 1, created 1, updated 0", "orders: checked 0, created 0, updated 0"]


def test_stored_timestamps_compare_with_shopifys_at_second_precision(fake, shop_id):
    # Shopify writes updatedAt in whole seconds; the stored value came from a webhook's offset form.
    moment = ago(10)
    fake.objects["customers"] = [customer_node(4, updatedAt=moment)]
    local = parse_datetime(moment).astimezone(ZoneInfo("America/Chicago")).isoformat()
    _store_customer(shop_id, 4, local)

    _reconcile(shop_id)

    assert _latest(shop_id).counts == {"checked": 1, "created": 0, "updated": 0}
