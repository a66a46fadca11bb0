"""The sync page: runs and their progress, "Run backfill" and "Reconcile now" (CSRF), the JSON it polls."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app import services
from app.db import utcnow
from tests.admin_support import card_html, sign_in
from tests.backfill_support import FakeShopify, ago, connected_shop, customer_node
from webhooks.sync_models import SyncKind, SyncResource, SyncRun, SyncStatus

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


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


@pytest.fixture
def signed_in(fake, client, shop_id):
    sign_in(client, shop_id)
    return client


def _add_run(shop_id: int, resource: SyncResource, status: SyncStatus, **fields) -> int:
    with services().db.unit_of_work() as uow:
        run = SyncRun(
            shop_id=shop_id,
            kind=fields.pop("kind", SyncKind.BACKFILL),
            resource=resource,
            status=status,
            requested_by="install",
            counts=fields.pop("counts", {}),
            started_at=utcnow() - timedelta(minutes=5),
            active_key=f"backfill:{resource.value}"
            if status not in (SyncStatus.COMPLETED, SyncStatus.FAILED)
            else None,
            **fields,
        )
        uow.session.add(run)
        uow.commit()
        return run.id


def _csrf(client) -> str:
    match = CSRF_RE.search(client.get("/sync").get_data(as_text=True))
    assert match is not None
    return match.group(1)


def _runs() -> int:
    with services().db.unit_of_work() as uow:
        return uow.session.scalar(select(func.count()).select_from(SyncRun))


def test_a_shop_that_never_synced_sees_each_resource_not_run_yet(signed_in):
    html = signed_in.get("/sync").get_data(as_text=True)

    backfill = card_html(html, "backfill")
    assert backfill.count("Not run yet") == 4
    for label in ("Customers", "Companies", "Products and variants", "Orders and line items"):
        assert label in backfill
    assert 'data-active="false"' in html
    assert "Run backfill" in html and "Reconcile now" in html


def test_progress_counts_and_errors_are_shown_per_resource(signed_in, shop_id):
    _add_run(shop_id, SyncResource.ORDERS, SyncStatus.IMPORTING, object_count=50_000, objects_imported=20_000)
    _add_run(
        shop_id,
        SyncResource.CUSTOMERS,
        SyncStatus.COMPLETED,
        object_count=1200,
        objects_imported=1200,
        counts={"created": 1000, "updated": 5, "unchanged": 0},
        finished_at=utcnow(),
    )
    _add_run(
        shop_id,
        SyncResource.PRODUCTS,
        SyncStatus.FAILED,
        error="The downloaded file is cut off: line 5 is incomplete",
        resumable=True,
    )

    html = signed_in.get("/sync").get_data(as_text=True)

    orders = re.search(r'data-resource="orders".*?</div>\s*</div>', html, re.S).group(0)  # type: ignore[union-attr]
    assert 'aria-valuenow="20000"' in orders and 'aria-valuemax="50000"' in orders
    assert "width: 40.0%" in orders
    assert "20,000 of 50,000 objects imported" in html
    assert "1,000 new, 5 updated, 0 unchanged" in html
    assert "The downloaded file is cut off: line 5 is incomplete" in html
    assert "Run backfill again to continue from the last imported batch." in html
    assert 'data-active="true"' in html and "Sync in progress" in html


def test_run_backfill_without_the_form_token_is_refused_and_starts_nothing(signed_in, fake):
    response = signed_in.post("/sync/backfill", data={})

    assert response.status_code == 400
    assert _runs() == 0
    assert fake.documents() == []


def test_run_backfill_starts_every_export_and_comes_back_to_the_page(signed_in, fake, shop_id):
    token = _csrf(signed_in)

    response = signed_in.post("/sync/backfill", data={"csrf_token": token})

    assert response.status_code == 303
    assert response.headers["Location"] == "/sync"
    page = signed_in.get("/sync").get_data(as_text=True)
    assert "Backfill started for customers, companies, products and variants, orders and line items." in page
    assert fake.documents() == ["BulkOperationRunQuery"] * 4
    assert page.count("Exporting") == 4


def test_reconcile_now_checks_shopify_and_shows_what_it_fixed(signed_in, fake, shop_id):
    fake.objects["customers"] = [customer_node(3, updatedAt=ago(10))]
    token = _csrf(signed_in)

    response = signed_in.post("/sync/reconcile", data={"csrf_token": token})

    assert response.status_code == 303
    table = card_html(signed_in.get("/sync").get_data(as_text=True), "reconciliation")
    customers_row = re.search(r"<th scope=\"row\">Customers</th>(.*?)</tr>", table, re.S).group(1)  # type: ignore[union-attr]
    cells = re.findall(r'<td class="tl-table__numeric">([^<]*)</td>', customers_row)
    assert cells == ["1", "1", "0"]
    assert "Completed" in customers_row


def test_the_status_json_reports_the_runs_the_page_polls(signed_in, shop_id):
    run_id = _add_run(shop_id, SyncResource.ORDERS, SyncStatus.IMPORTING, object_count=8, objects_imported=2)

    body = signed_in.get("/sync/status.json").get_json()

    assert body["active"] is True
    assert list(body["runs"]) == ["backfill:orders"]
    run = body["runs"]["backfill:orders"]
    assert (run["id"], run["status"], run["status_label"], run["active"]) == (
        run_id,
        "importing",
        "Importing",
        True,
    )
    assert run["progress"] == {"value": 2, "max": 8, "percent": 25.0, "text": "2 of 8 objects imported"}


def test_a_run_of_another_shop_is_not_found(signed_in, shop_id):
    with services().db.unit_of_work() as uow:
        other = connected_shop(uow, domain="other.myshopify.com")
        uow.commit()
    mine = _add_run(shop_id, SyncResource.ORDERS, SyncStatus.COMPLETED)
    theirs = _add_run(other, SyncResource.ORDERS, SyncStatus.COMPLETED)

    assert signed_in.get(f"/sync/runs/{mine}.json").status_code == 200
    assert signed_in.get(f"/sync/runs/{theirs}.json").status_code == 404
    assert signed_in.get("/sync/runs/999999.json").status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(client, shop_id):
    response = client.get("/sync")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/signin")
