"""The sync's per-shop jobs carry shop-scoped ids, so an uninstall cancels them (real Redis).

Each job is queued the way the app queues it (the services enqueue after the commit, the install
signal's receiver enqueues at once), then `cancel_shop_jobs` runs as the uninstall handler runs it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from rq import Queue
from rq.job import Job, JobStatus

from app import services
from app.job_control import cancel_shop_jobs, shop_job_id
from app.jobs import QUEUES, redis_connection
from app.shopify.jobs import on_shop_installed
from tests.crm_support import make_shop
from webhooks.backfill.service import enqueue_import, request_backfill
from webhooks.reconcile import request_reconcile
from webhooks.sync_models import SyncResource


@pytest.fixture
def redis_app(app_config: dict[str, Any], redis_url: str, request: pytest.FixtureRequest) -> Iterator[Flask]:
    app_config["REDIS_URL"] = redis_url
    yield request.getfixturevalue("app")


def queue_sync_work(app: Flask, shop_id: int) -> None:
    """A backfill (start and import jobs), a reconciliation and the shop-details refresh, all queued."""
    with services().db.unit_of_work() as uow:
        [run] = request_backfill(
            uow, shop_id=shop_id, resources=(SyncResource.CUSTOMERS,), requested_by="test"
        ).runs
        uow.session.flush()
        enqueue_import(uow, run)
        request_reconcile(uow, shop_id=shop_id, resources=(SyncResource.ORDERS,), requested_by="test")
        uow.commit()
    on_shop_installed(app, shop_id=shop_id)


def waiting(shop_id: int) -> dict[str, JobStatus]:
    """The shop's jobs on every queue, by id, with their status."""
    conn = redis_connection()
    ids = [i for name in QUEUES for i in Queue(name, connection=conn).get_job_ids()]
    mine = [i for i in ids if i.startswith(shop_job_id(shop_id) + "_")]
    return {job.id: job.get_status() for job in Job.fetch_many(mine, connection=conn) if job is not None}


def test_uninstall_cancels_the_shops_backfill_reconcile_and_details_jobs_but_not_another_shops(
    redis_app, uow
):
    # given two shops, each with its sync work queued in Redis
    acme = make_shop(uow, "acme.myshopify.com")
    other = make_shop(uow, "other.myshopify.com")
    uow.commit()
    for shop_id in (acme, other):
        queue_sync_work(redis_app, shop_id)
    acme_jobs = waiting(acme)
    other_jobs = waiting(other)
    import_id = next(i for i in acme_jobs if "backfill-import" in i)
    assert sorted(acme_jobs) == sorted(
        [
            shop_job_id(acme, "backfill-start"),
            import_id,
            shop_job_id(acme, "reconcile"),
            shop_job_id(acme, "shop-details"),
        ]
    )
    assert set(acme_jobs.values()) == set(other_jobs.values()) == {JobStatus.QUEUED}

    # when acme's jobs are cancelled, as its uninstall does
    cancelled = cancel_shop_jobs(acme)

    # then every one of them is cancelled and off its queue; the other shop's wait as before
    assert sorted(cancelled) == sorted(acme_jobs)
    conn = redis_connection()
    assert [Job.fetch(i, connection=conn).get_status() for i in sorted(acme_jobs)] == [JobStatus.CANCELED] * 4
    assert waiting(acme) == {}
    assert waiting(other) == other_jobs
    assert len(other_jobs) == 4
