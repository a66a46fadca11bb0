"""The sync page in a real browser: progress that moves by itself, the two buttons, and a screenshot."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from app import services
from app.db import utcnow
from app.shops import TokenSet, store_token
from tests.admin_support import ACME_DOMAIN, add_acme
from tests.backfill_support import FakeShopify, ago, customer_node
from webhooks.sync_models import SyncKind, SyncResource, SyncRun, SyncStatus

pytestmark = pytest.mark.browser

PROGRESS_WAIT_MS = 15_000


@pytest.fixture
def fake(app_config) -> FakeShopify:
    shopify = FakeShopify()
    app_config["SHOPIFY_HTTP_TRANSPORT"] = shopify.transport
    return shopify


@pytest.fixture
def acme(fake, live_app):
    with services().db.unit_of_work() as uow:
        shop = add_acme(uow)
        store_token(
            uow,
            services().cipher,
            shop_id=shop.id,
            tokens=TokenSet(access_token="shpat_e2e", scope=shop.scopes),
        )
        uow.commit()
    return shop


def _run(shop_id: int, resource: SyncResource, status: SyncStatus, kind=SyncKind.BACKFILL, **fields) -> int:
    with services().db.unit_of_work() as uow:
        active = status not in (SyncStatus.COMPLETED, SyncStatus.FAILED)
        run = SyncRun(
            shop_id=shop_id,
            kind=kind,
            resource=resource,
            status=status,
            active_key=f"{kind.value}:{resource.value}" if active else None,
            requested_by=fields.pop("requested_by", "install"),
            counts=fields.pop("counts", {}),
            started_at=fields.pop("started_at", utcnow() - timedelta(minutes=12)),
            finished_at=None if active else utcnow() - timedelta(minutes=2),
            **fields,
        )
        uow.session.add(run)
        uow.commit()
        return run.id


def _seed_a_backfill_in_progress(shop_id: int) -> int:
    _run(
        shop_id,
        SyncResource.CUSTOMERS,
        SyncStatus.COMPLETED,
        object_count=18_432,
        objects_imported=18_432,
        counts={"created": 12_288, "updated": 0, "unchanged": 0},
    )
    _run(
        shop_id,
        SyncResource.COMPANIES,
        SyncStatus.COMPLETED,
        object_count=1_204,
        objects_imported=1_204,
        counts={"created": 301, "updated": 0, "unchanged": 0},
    )
    _run(
        shop_id,
        SyncResource.PRODUCTS,
        SyncStatus.FAILED,
        object_count=5_310,
        objects_imported=4_000,
        resumable=True,
        error="The downloaded file is cut off: line 4,213 is incomplete: the file ends after 96 bytes of it.",
    )
    for resource, checked, created, updated in (
        (SyncResource.CUSTOMERS, 42, 1, 2),
        (SyncResource.COMPANIES, 3, 0, 1),
        (SyncResource.PRODUCTS, 7, 0, 0),
        (SyncResource.ORDERS, 58, 2, 5),
    ):
        _run(
            shop_id,
            resource,
            SyncStatus.COMPLETED,
            kind=SyncKind.RECONCILE,
            requested_by="cron",
            counts={"checked": checked, "created": created, "updated": updated},
        )
    return _run(
        shop_id, SyncResource.ORDERS, SyncStatus.IMPORTING, object_count=480_000, objects_imported=192_000
    )


def _sign_in(page) -> None:
    page.goto("/signin")
    page.get_by_label("Shop").select_option(ACME_DOMAIN)
    page.get_by_label("Your name").fill("Dana Reyes")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", level=1, name="Acme Wholesale").wait_for()


def _bar_width(page, resource: str) -> str:
    return page.locator(f'[data-resource="{resource}"] .tl-progress__bar').evaluate("el => el.style.width")


def test_the_sync_page_shows_progress_and_follows_it_until_the_run_ends(fake, page, acme, screenshots_dir):
    orders = _seed_a_backfill_in_progress(acme.id)
    _sign_in(page)

    page.goto("/sync")

    page.get_by_role("heading", level=1, name="Data sync").wait_for()
    backfill = page.get_by_role("region", name="Backfill")
    orders_section = backfill.locator('[data-resource="orders"]')
    assert orders_section.get_by_text("Importing").is_visible()
    assert orders_section.get_by_role("progressbar").get_attribute("aria-valuenow") == "192000"
    assert orders_section.get_by_text("192,000 of 480,000 objects imported").is_visible()
    assert backfill.locator('[data-resource="products"]').get_by_text("Failed").is_visible()
    assert backfill.get_by_text("line 4,213 is incomplete").is_visible()
    assert page.get_by_role("status").filter(has_text="Sync in progress").is_visible()
    reconciliation = page.get_by_role("table", name="Last reconciliation per resource")
    assert reconciliation.get_by_role("row").nth(1).inner_text().split("\t")[2:5] == ["42", "1", "2"]
    page.screenshot(path=str(screenshots_dir / "sync.png"), full_page=True)

    # the import moves on: the bar follows without a reload
    with services().db.unit_of_work() as uow:
        uow.session.execute(update(SyncRun).where(SyncRun.id == orders).values(objects_imported=384_000))
        uow.commit()
    page.wait_for_function(
        "() => document.querySelector('[data-resource=\"orders\"] .tl-progress__bar').style.width === '80%'",
        timeout=PROGRESS_WAIT_MS,
    )
    assert orders_section.get_by_text("384,000 of 480,000 objects imported").is_visible()

    # the import ends: the page reloads itself and stops polling
    with services().db.unit_of_work() as uow:
        uow.session.execute(
            update(SyncRun)
            .where(SyncRun.id == orders)
            .values(
                status=SyncStatus.COMPLETED,
                active_key=None,
                objects_imported=480_000,
                finished_at=utcnow(),
                counts={"created": 120_000, "updated": 0, "unchanged": 0},
            )
        )
        uow.commit()
    page.locator('[data-resource="orders"][data-status="completed"]').wait_for(timeout=PROGRESS_WAIT_MS)
    assert _bar_width(page, "orders") == "100%"
    assert page.locator("#sync").get_attribute("data-active") == "false"
    assert page.get_by_text("120,000 new, 0 updated, 0 unchanged").is_visible()


def test_run_backfill_and_reconcile_now_from_the_page(fake, page, acme):
    fake.objects["customers"] = [customer_node(3, updatedAt=ago(10))]
    _sign_in(page)
    page.goto("/sync")

    page.get_by_role("button", name="Reconcile now").click()
    page.get_by_text("Reconciliation started").wait_for()
    row = page.get_by_role("table", name="Last reconciliation per resource").get_by_role("row").nth(1)
    assert row.inner_text().split("\t")[2:] == ["1", "1", "0", "Completed"]

    page.get_by_role("button", name="Run backfill").click()
    page.get_by_text("Backfill started for customers").wait_for()
    backfill = page.get_by_role("region", name="Backfill")
    assert backfill.get_by_text("Exporting", exact=True).count() == 4
    assert page.locator("#sync").get_attribute("data-active") == "true"
    assert fake.documents().count("BulkOperationRunQuery") == 4
