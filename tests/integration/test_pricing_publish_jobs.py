"""Publishing through the real RQ path: the job is queued in Redis after the commit under its
deterministic id, a worker runs it, and a second request while it waits is refused."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from rq import Queue
from rq.job import Job
from sqlalchemy import update

from app import services
from app.db import utcnow
from app.jobs import QUEUES, redis_connection
from app.shops import uninstall_shop
from app.worker import TradelineSimpleWorker
from pricing import jobs
from pricing.models import AssignmentTarget, PricePublication, PublishStatus
from pricing.service import publish as publishing
from tests.backfill_support import connected_shop
from tests.pricing_publish_support import FakeB2B
from tests.pricing_support import (
    add_entry,
    assign,
    make_company,
    make_location,
    make_price_list,
    make_variant,
)


@pytest.fixture
def fake(app_config) -> FakeB2B:
    shopify = FakeB2B()
    app_config["SHOPIFY_HTTP_TRANSPORT"] = shopify.transport
    return shopify


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


def test_a_publish_is_queued_after_commit_and_a_worker_runs_it(fake, redis_jobs, app, drain):
    with services().db.unit_of_work() as uow:
        shop_id = connected_shop(uow)
        company = make_company(uow, shop_id)
        make_location(uow, shop_id, company)
        price_list = make_price_list(uow, shop_id, "Wholesale")
        assign(uow, price_list, AssignmentTarget.COMPANY, company)
        add_entry(uow, price_list, make_variant(uow, shop_id), "7.25")
        uow.commit()
        list_id = price_list.id

    with services().db.unit_of_work() as uow:
        publishing.request_publish(uow, shop_id=shop_id, price_list_id=list_id)
        # Nothing reaches Redis before the commit.
        assert Queue("default", connection=redis_connection(app)).count == 0
        uow.commit()

    job_id = f"shop-{shop_id}_pricing-publish_{list_id}"
    assert Queue("default", connection=redis_connection(app)).job_ids == [
        job_id,
        f"shop-{shop_id}_pricing-collections",
    ]
    with services().db.unit_of_work() as uow:
        queued = publishing.get_publication(uow, shop_id=shop_id, price_list_id=list_id)
        assert queued is not None and queued.status is PublishStatus.QUEUED
        with pytest.raises(publishing.PublishRunning):
            publishing.request_publish(uow, shop_id=shop_id, price_list_id=list_id)

    drain(app)

    assert Job.fetch(job_id, connection=redis_connection(app)).return_value() == "succeeded"
    with services().db.unit_of_work() as uow:
        done = publishing.get_publication(uow, shop_id=shop_id, price_list_id=list_id)
        assert done is not None
        assert (done.status, done.done, done.total) == (PublishStatus.SUCCEEDED, 1, 1)
        assert done.shopify_price_list_id == fake.only_price_list().id
    assert fake.names()[-1] == "PricingCollections"


def _list_for(shop_id: int) -> int:
    with services().db.unit_of_work() as uow:
        company = make_company(uow, shop_id)
        make_location(uow, shop_id, company)
        price_list = make_price_list(uow, shop_id, "Wholesale")
        assign(uow, price_list, AssignmentTarget.COMPANY, company)
        add_entry(uow, price_list, make_variant(uow, shop_id), "3.00")
        uow.commit()
        return price_list.id


def test_a_publish_abandoned_by_a_dead_worker_can_be_started_again(fake, app):
    with services().db.unit_of_work() as uow:
        shop_id = connected_shop(uow)
        uow.commit()
    list_id = _list_for(shop_id)
    with services().db.unit_of_work() as uow:
        uow.session.add(
            PricePublication(shop_id=shop_id, price_list_id=list_id, status=PublishStatus.RUNNING)
        )
        uow.commit()
        # The row last moved 16 minutes ago: no worker is renewing it.
        uow.session.execute(
            update(PricePublication).values(
                updated_at=utcnow() - publishing.STALE_AFTER - timedelta(minutes=1)
            )
        )
        uow.commit()

    with services().db.unit_of_work() as uow:
        publishing.request_publish(uow, shop_id=shop_id, price_list_id=list_id)
        uow.commit()

    with services().db.unit_of_work() as uow:
        found = publishing.get_publication(uow, shop_id=shop_id, price_list_id=list_id)
        assert found is not None and found.status is PublishStatus.SUCCEEDED


def test_the_job_of_a_shop_uninstalled_since_it_was_queued_fails_without_calling_shopify(fake, app):
    with services().db.unit_of_work() as uow:
        shop_id = connected_shop(uow)
        uow.commit()
    list_id = _list_for(shop_id)
    with services().db.unit_of_work() as uow:
        uow.session.add(PricePublication(shop_id=shop_id, price_list_id=list_id, status=PublishStatus.QUEUED))
        uninstall_shop(uow, shop_id=shop_id)
        uow.commit()

    assert jobs.publish_price_list(shop_id, list_id) is None

    with services().db.unit_of_work() as uow:
        found = publishing.get_publication(uow, shop_id=shop_id, price_list_id=list_id)
        assert found is not None
        assert (found.status, found.error) == (
            PublishStatus.FAILED,
            "The shop uninstalled Tradeline before the list could be published.",
        )
    assert fake.names() == []
