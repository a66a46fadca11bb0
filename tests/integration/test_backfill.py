"""Backfill against a faked Admin API and bulk storage: start, finish webhook or polling, download, import."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from flask import Flask
from sqlalchemy import func, select, update

from app import services
from app.auth.service import complete_install
from app.db import utcnow
from app.jobs import QUEUES, redis_connection
from app.shops import TokenSet
from app.worker import TradelineSimpleWorker
from crm.models import (
    CrmCompany,
    CrmCompanyContact,
    CrmCompanyLocation,
    CrmCustomer,
    CrmCustomerTag,
    CrmOrder,
    CrmOrderLine,
    CrmProduct,
    CrmTimelineEvent,
    CrmVariant,
)
from crm.service import upsert_order
from tests.backfill_support import (
    FakeShopify,
    address_node,
    company_node,
    connected_shop,
    contact_node,
    customer_node,
    jsonl,
    line_node,
    location_node,
    order_node,
    order_with_lines,
    product_node,
    variant_node,
)
from tests.crm_support import order as order_webhook
from webhooks.backfill import handle_bulk_operation_finish, importer, jobs, request_backfill
from webhooks.backfill.commands import run_backfill
from webhooks.backfill.service import latest_run
from webhooks.sync_models import SyncKind, SyncResource, SyncRun, SyncStatus

ORDERS = SyncResource.ORDERS


class Crash(BaseException):
    """A worker killed mid-file: not an Exception, so nothing gets to mark the run failed."""


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
def redis_jobs(app_config, redis_url) -> str:
    """Jobs go to the real Redis instead of running inline (request it before `app`)."""
    app_config["REDIS_URL"] = redis_url
    return redis_url


@pytest.fixture
def drain() -> Iterator[Any]:
    """Play the worker: run every queued job in this process, keeping pytest's signal handlers."""
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}

    def run(flask_app: Flask) -> None:
        worker = TradelineSimpleWorker(QUEUES, app=flask_app, connection=redis_connection(flask_app))
        worker.work(burst=True, with_scheduler=False)

    yield run
    for sig, handler in saved.items():
        signal.signal(sig, handler)


def _request(shop_id: int, resources=(ORDERS,), **options: Any) -> dict:
    with services().db.unit_of_work() as uow:
        result = request_backfill(uow, shop_id=shop_id, resources=resources, requested_by="test", **options)
        uow.commit()
    return dict(result.outcome)


def _run(shop_id: int, resource: SyncResource = ORDERS) -> SyncRun:
    with services().db.unit_of_work() as uow:
        run = latest_run(uow, shop_id=shop_id, kind=SyncKind.BACKFILL, resource=resource)
        assert run is not None
        uow.session.expunge(run)  # a detached snapshot the test can read after the unit of work
        return run


def _finish(shop_id: int, payload: dict) -> None:
    with services().db.unit_of_work() as uow:
        handle_bulk_operation_finish(uow, shop_id=shop_id, payload=payload, delivery=None)
        uow.commit()


def _count(model, shop_id: int) -> int:
    with services().db.unit_of_work() as uow:
        return uow.session.scalar(select(func.count()).select_from(model).where(model.shop_id == shop_id))


def _order_lines(shop_id: int) -> dict[int, list[int]]:
    with services().db.unit_of_work() as uow:
        rows = uow.session.execute(
            select(CrmOrder.shopify_id, CrmOrderLine.shopify_id)
            .join(CrmOrderLine, CrmOrderLine.order_id == CrmOrder.id)
            .where(CrmOrder.shop_id == shop_id)
            .order_by(CrmOrder.shopify_id, CrmOrderLine.shopify_id)
        )
        found: dict[int, list[int]] = {}
        for order_id, line_id in rows:
            found.setdefault(order_id, []).append(line_id)
        return found


def _imported_events(shop_id: int) -> int:
    with services().db.unit_of_work() as uow:
        return uow.session.scalar(
            select(func.count())
            .select_from(CrmTimelineEvent)
            .where(CrmTimelineEvent.shop_id == shop_id, CrmTimelineEvent.kind == "order.imported")
        )


# -- the happy paths ---------------------------------------------------------------------------------


def test_finish_webhook_downloads_and_imports_the_orders_export(fake, shop_id):
    # given: Shopify's export of two orders with three lines each
    fake.exports["orders"] = jsonl([*order_with_lines(1, total="30.00"), *order_with_lines(2, total="45.50")])

    # when: a backfill is requested (the start job runs inline) and Shopify reports the export finished
    outcome = _request(shop_id)
    started = _run(shop_id)
    _finish(shop_id, fake.finish(started.bulk_operation_id))

    # then
    run = _run(shop_id)
    assert outcome == {ORDERS: "queued"}
    assert (started.status, started.bulk_operation_id) == (
        SyncStatus.EXPORTING,
        "gid://shopify/BulkOperation/1000",
    )
    assert fake.documents() == ["BulkOperationRunQuery", "BulkOperationStatus"]
    assert (run.status, run.objects_imported, run.object_count, run.error) == (
        SyncStatus.COMPLETED,
        8,
        8,
        None,
    )
    assert run.counts == {"created": 2, "updated": 0, "unchanged": 0, "batches": 1}
    assert (run.active_key, run.lease_owner, run.bytes_downloaded) == (
        None,
        None,
        len(fake.exports["orders"]),
    )
    assert _order_lines(shop_id) == {1: [11, 12, 13], 2: [21, 22, 23]}
    assert _imported_events(shop_id) == 1
    with services().db.unit_of_work() as uow:
        order = uow.session.scalar(
            select(CrmOrder).where(CrmOrder.shop_id == shop_id, CrmOrder.shopify_id == 2)
        )
        customer = uow.session.scalar(select(CrmCustomer).where(CrmCustomer.shop_id == shop_id))
        assert (order.name, order.total_price, order.financial_status.value) == (
            "#1002",
            Decimal("45.5"),
            "paid",
        )
        assert (customer.shopify_id, customer.orders_count, customer.total_spent) == (500, 2, Decimal("75.5"))


def test_without_the_webhook_the_poller_finds_the_finished_export_and_imports_it(fake, shop_id):
    fake.exports["orders"] = jsonl(order_with_lines(1))
    _request(shop_id)
    first = jobs.poll_bulk_operations()  # polled at start: not due yet (30 s)
    with services().db.unit_of_work() as uow:
        uow.session.execute(update(SyncRun).values(polled_at=utcnow() - timedelta(seconds=31)))
        uow.commit()

    running = jobs.poll_bulk_operations()  # Shopify: RUNNING, half the objects so far
    progress = _run(shop_id)
    fake.complete_on_poll = True
    with services().db.unit_of_work() as uow:
        uow.session.execute(update(SyncRun).values(polled_at=utcnow() - timedelta(seconds=31)))
        uow.commit()
    finished = jobs.poll_bulk_operations()

    assert (first["polled"], running["polled"], finished["finished"]) == (0, 1, 1)
    assert (progress.status, progress.bulk_status, progress.object_count) == (
        SyncStatus.EXPORTING,
        "RUNNING",
        2,
    )
    assert _run(shop_id).status is SyncStatus.COMPLETED
    assert _order_lines(shop_id) == {1: [11, 12, 13]}


def test_children_before_and_far_from_their_parents_are_joined_to_them(fake, shop_id):
    # given: every kind of child written before its parent, or after other parents
    fake.exports["orders"] = jsonl(
        [
            line_node(12, 1),
            line_node(21, 2),
            order_node(2),
            line_node(11, 1),
            order_node(3),
            order_node(1),
            line_node(13, 1),
        ]
    )
    fake.exports["products"] = jsonl(
        [variant_node(92, 9, position=2), product_node(9), product_node(8), variant_node(91, 9, position=1)]
    )
    fake.exports["companies"] = jsonl(
        [contact_node(35, 3, 500), location_node(31, 3), company_node(3), location_node(32, 3, terms=None)]
    )
    fake.exports["customers"] = jsonl(
        [address_node(5002, city="Dallas", parent="gid://shopify/Customer/500"), customer_node(500)]
    )

    # when
    _request(shop_id, resources=tuple(SyncResource))
    for resource in SyncResource:
        _finish(shop_id, fake.finish(_run(shop_id, resource).bulk_operation_id))

    # then: each parent got all its children, whatever their place in the file
    assert [_run(shop_id, r).status for r in SyncResource] == [SyncStatus.COMPLETED] * 4
    assert _order_lines(shop_id) == {1: [11, 12, 13], 2: [21]}
    assert _count(CrmOrder, shop_id) == 3
    with services().db.unit_of_work() as uow:
        variants = uow.session.execute(
            select(CrmProduct.shopify_id, CrmVariant.shopify_id, CrmVariant.position)
            .join(CrmVariant, CrmVariant.product_id == CrmProduct.id)
            .order_by(CrmVariant.shopify_id)
        ).all()
        company = uow.session.scalar(select(CrmCompany).where(CrmCompany.shopify_id == 3))
        locations = uow.session.scalars(
            select(CrmCompanyLocation.shopify_id).order_by(CrmCompanyLocation.id)
        ).all()
        contact = uow.session.scalar(select(CrmCompanyContact))
        customer = uow.session.scalar(select(CrmCustomer).where(CrmCustomer.shopify_id == 500))
        tags = uow.session.scalars(select(CrmCustomerTag.tag).order_by(CrmCustomerTag.tag)).all()
        assert [tuple(v) for v in variants] == [(9, 91, 1), (9, 92, 2)]
        assert (company.name, company.payment_terms_name) == ("Company 3", "Net 30")
        assert sorted(locations) == [31, 32]
        assert (contact.shopify_id, contact.company_id, contact.customer_id) == (35, company.id, customer.id)
        assert [a["city"] for a in customer.addresses] == ["Dallas"]
        assert (customer.email, customer.company_id, tags) == (
            "buyer500@example.com",
            company.id,
            ["b2b", "vip"],
        )


# -- cut-off files, crashes and resuming -----------------------------------------------------------


def test_a_file_cut_off_mid_line_fails_naming_the_line_and_resumes_from_the_last_complete_line(fake, shop_id):
    body = jsonl([*order_with_lines(1), *order_with_lines(2)])
    fake.exports["orders"] = body
    second_order = body.index(b'{"id":"gid://shopify/Order/2"')
    cut = second_order + 20
    fake.truncate_downloads, fake.truncate_at = 1, cut
    _request(shop_id)
    _finish(shop_id, fake.finish(_run(shop_id).bulk_operation_id))
    failed = _run(shop_id)
    nothing_yet = _count(CrmOrder, shop_id)

    outcome = _request(shop_id)  # "Run backfill" again

    assert failed.status is SyncStatus.FAILED
    assert failed.resumable is True
    assert failed.error.startswith("The downloaded file is cut off: line 5 is incomplete")
    assert (failed.lines_downloaded, nothing_yet) == (4, 0)
    assert outcome == {ORDERS: "resumed"}
    assert fake.ranges == [None, f"bytes={second_order}-"]
    assert _run(shop_id).status is SyncStatus.COMPLETED
    assert _order_lines(shop_id) == {1: [11, 12, 13], 2: [21, 22, 23]}


def test_a_download_that_breaks_off_is_resumed_with_a_range_request(fake, shop_id, monkeypatch):
    monkeypatch.setattr(importer, "DOWNLOAD_RETRY_WAITS_S", (0.0,))
    body = jsonl([*order_with_lines(1), *order_with_lines(2)])
    fake.exports["orders"] = body
    original = fake._download

    def breaks_once(request):
        if len(fake.ranges) == 0:
            fake.ranges.append(request.headers.get("Range"))
            raise httpx.ReadError("connection reset by peer", request=request)
        return original(request)

    fake._download = breaks_once  # type: ignore[method-assign]
    _request(shop_id)

    _finish(shop_id, fake.finish(_run(shop_id).bulk_operation_id))

    assert _run(shop_id).status is SyncStatus.COMPLETED
    assert _count(CrmOrder, shop_id) == 2


def test_a_worker_dying_mid_file_is_resumed_by_the_poller_without_duplicates(
    fake, redis_jobs, app, shop_id, drain, monkeypatch
):
    # given: five orders, imported two per batch, by a worker that dies after the second batch
    monkeypatch.setattr(importer, "BATCH_PARENTS", 2)
    fake.exports["orders"] = jsonl([obj for n in range(1, 6) for obj in order_with_lines(n)])
    _request(shop_id)
    drain(app)  # the start job
    _finish(shop_id, fake.finish(_run(shop_id).bulk_operation_id))
    run_id = _run(shop_id).id
    batches: list[int] = []

    def dies_after_two(progress: importer.Progress) -> None:
        batches.append(progress.batch)
        if progress.batch == 2:
            raise Crash()

    with pytest.raises(Crash):
        importer.import_run(run_id, on_batch=dies_after_two)
    stalled = _run(shop_id)
    imported_before = _count(CrmOrder, shop_id)

    # when: the lease lapses and the poller notices, and a worker takes the job
    with services().db.unit_of_work() as uow:
        uow.session.execute(
            update(SyncRun)
            .where(SyncRun.id == run_id)
            .values(
                lease_expires_at=utcnow() - timedelta(seconds=1), updated_at=utcnow() - timedelta(minutes=6)
            )
        )
        uow.commit()
    report = jobs.poll_bulk_operations()
    drain(app)

    # then: the rest was imported once, in the remaining batch
    run = _run(shop_id)
    assert (stalled.status, stalled.import_cursor, stalled.counts["batches"], imported_before) == (
        SyncStatus.IMPORTING,
        13,  # the file line of order 4, the last parent of batch 2
        2,
        4,
    )
    assert report["resumed"] == 1
    assert (run.status, run.counts["batches"], run.objects_imported) == (SyncStatus.COMPLETED, 3, 20)
    assert _order_lines(shop_id) == {n: [n * 10 + 1, n * 10 + 2, n * 10 + 3] for n in range(1, 6)}
    assert _imported_events(shop_id) == 3


def test_an_error_mid_file_fails_the_run_and_the_next_request_continues_after_the_last_batch(
    fake, redis_jobs, app, shop_id, drain, monkeypatch, tmp_path
):
    monkeypatch.setattr(importer, "BATCH_PARENTS", 2)
    fake.exports["orders"] = jsonl([obj for n in range(1, 6) for obj in order_with_lines(n)])
    _request(shop_id)
    drain(app)
    _finish(shop_id, fake.finish(_run(shop_id).bulk_operation_id))
    run_id = _run(shop_id).id

    def breaks_after_one(progress: importer.Progress) -> None:
        if progress.batch == 1:
            raise RuntimeError("database went away")

    with pytest.raises(RuntimeError):
        importer.import_run(run_id, on_batch=breaks_after_one)
    failed = _run(shop_id)
    spool = importer.spool_path(failed)
    spool.unlink()  # and the worker that resumes runs on another machine: no spool there

    outcome = _request(shop_id)
    drain(app)

    run = _run(shop_id)
    assert (failed.status, failed.resumable, failed.counts["batches"]) == (SyncStatus.FAILED, True, 1)
    assert failed.error == "Import stopped by an internal error: RuntimeError('database went away')"
    assert outcome == {ORDERS: "resumed"}
    assert (run.status, run.counts["batches"], run.counts["created"], run.error) == (
        SyncStatus.COMPLETED,
        3,
        5,
        None,
    )
    assert _order_lines(shop_id) == {n: [n * 10 + 1, n * 10 + 2, n * 10 + 3] for n in range(1, 6)}
    assert _imported_events(shop_id) == 3


# -- newest wins, duplicates, odd answers ----------------------------------------------------------


def test_an_order_a_webhook_brought_newer_keeps_its_values_and_lines(fake, shop_id):
    # given: orders/updated for order 1 arrived (with one line) after Shopify took the export
    with services().db.unit_of_work() as uow:
        payload = order_webhook(1, minute=600, total="12.00")
        payload["line_items"][0].update(id=99, admin_graphql_api_id="gid://shopify/LineItem/99")
        upsert_order(uow, shop_id=shop_id, payload=payload)
        uow.commit()
    fake.exports["orders"] = jsonl([*order_with_lines(1, total="30.00"), *order_with_lines(2)])

    _request(shop_id)
    _finish(shop_id, fake.finish(_run(shop_id).bulk_operation_id))

    with services().db.unit_of_work() as uow:
        kept = uow.session.scalar(
            select(CrmOrder).where(CrmOrder.shop_id == shop_id, CrmOrder.shopify_id == 1)
        )
        assert kept.total_price == Decimal("12.00")
    assert _run(shop_id).counts == {"created": 1, "updated": 0, "unchanged": 1, "batches": 1}
    assert _order_lines(shop_id) == {1: [99], 2: [21, 22, 23]}


def test_the_webhook_and_the_poller_reporting_the_same_finish_import_once(fake, shop_id):
    fake.exports["orders"] = jsonl(order_with_lines(1))
    _request(shop_id)
    payload = fake.finish(_run(shop_id).bulk_operation_id)

    _finish(shop_id, payload)
    _finish(shop_id, payload)  # a duplicate delivery
    with services().db.unit_of_work() as uow:
        uow.session.execute(update(SyncRun).values(polled_at=utcnow() - timedelta(minutes=1)))
        uow.commit()
    jobs.poll_bulk_operations()

    assert fake.documents().count("BulkOperationStatus") == 1
    assert (_count(CrmOrder, shop_id), _imported_events(shop_id)) == (1, 1)


def test_a_finish_for_an_operation_tradeline_did_not_start_changes_nothing(fake, shop_id):
    _finish(shop_id, {"admin_graphql_api_id": "gid://shopify/BulkOperation/999", "status": "completed"})

    with services().db.unit_of_work() as uow:
        assert uow.session.scalar(select(func.count()).select_from(SyncRun)) == 0


def test_a_failed_export_fails_the_run_for_good(fake, shop_id):
    fake.exports["orders"] = jsonl(order_with_lines(1))
    _request(shop_id)

    _finish(shop_id, fake.finish(_run(shop_id).bulk_operation_id, status="FAILED", error_code="TIMEOUT"))

    run = _run(shop_id)
    assert (run.status, run.error, run.resumable) == (
        SyncStatus.FAILED,
        "Shopify's bulk export ended failed (timeout).",
        False,
    )
    assert _count(CrmOrder, shop_id) == 0


def test_while_shopify_runs_another_bulk_operation_the_run_waits_in_the_queue(fake, shop_id):
    fake.busy = True
    _request(shop_id)
    waiting = _run(shop_id)
    fake.busy = False

    jobs.poll_bulk_operations()  # the poller starts queued runs

    assert (waiting.status, waiting.error) == (
        SyncStatus.QUEUED,
        "Waiting for Shopify: another bulk operation is running for this shop.",
    )
    assert _run(shop_id).status is SyncStatus.EXPORTING


def test_a_second_request_while_a_backfill_runs_starts_nothing(fake, shop_id):
    _request(shop_id)

    outcome = _request(shop_id)

    assert outcome == {ORDERS: "already running"}
    assert fake.documents() == ["BulkOperationRunQuery"]


def test_an_expired_result_fails_without_resuming(fake, shop_id):
    fake.exports["orders"] = jsonl(order_with_lines(1))
    _request(shop_id)
    payload = fake.finish(_run(shop_id).bulk_operation_id)
    payload["completed_at"] = (utcnow() - timedelta(days=8)).isoformat()

    _finish(shop_id, payload)

    run = _run(shop_id)
    assert (run.status, run.resumable) == (SyncStatus.FAILED, False)
    assert (
        run.error == "Shopify deleted the export's result (results are kept 7 days). Run the backfill again."
    )


def test_installing_a_shop_queues_and_starts_a_backfill_of_every_resource(fake, app):
    with services().db.unit_of_work() as uow:
        shop = complete_install(
            uow,
            services().cipher,
            domain="newshop.myshopify.com",
            tokens=TokenSet(access_token="shpat_new", scope="read_orders"),
        )
        uow.commit()

    runs = [_run(shop.id, r) for r in SyncResource]
    assert [(r.status, r.requested_by) for r in runs] == [(SyncStatus.EXPORTING, "install")] * 4
    assert [op.resource for op in fake.operations.values()] == [
        "customers",
        "companies",
        "products",
        "orders",
    ]


def test_the_backfill_command_waits_for_the_export_and_reports_each_stage(fake, shop_id):
    fake.exports["orders"] = jsonl(order_with_lines(1))
    fake.complete_on_poll = True
    lines: list[str] = []

    def time_passes(seconds: float) -> None:
        # Each wait lets the poller's 30 s interval go by.
        with services().db.unit_of_work() as uow:
            uow.session.execute(update(SyncRun).values(polled_at=utcnow() - timedelta(seconds=31)))
            uow.commit()

    code = run_backfill(
        "acme.myshopify.com",
        resources=(ORDERS,),
        fresh=False,
        wait=True,
        echo=lines.append,
        sleep=time_passes,
    )

    assert code == 0
    assert lines == [
        "orders: queued",
        "orders: exporting, 0 objects imported",
        "orders: completed, 4 of 4 objects imported",
    ]
