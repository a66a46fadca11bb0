"""Analytics jobs: recompute now, the debounced refresh after orders, the nightly run, the CLI."""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from rq import Queue
from rq.registry import ScheduledJobRegistry

from app import services
from app.cli import main
from app.errors import Conflict
from app.jobs import QUEUES, redis_connection
from app.worker import TradelineSimpleWorker
from segments import jobs, service
from segments.models import RunStatus, SegmentRun
from tests.crm_support import make_shop
from tests.segments_support import generate_history


@pytest.fixture
def redis_app(app_config: dict[str, Any], redis_url: str, request: pytest.FixtureRequest) -> Flask:
    app_config["REDIS_URL"] = redis_url
    return request.getfixturevalue("app")


@pytest.fixture
def drain() -> Iterator[Any]:
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}

    def run(flask_app: Flask) -> None:
        TradelineSimpleWorker(QUEUES, app=flask_app, connection=redis_connection(flask_app)).work(burst=True)

    yield run
    for sig, handler in saved.items():
        signal.signal(sig, handler)


def _shop_with_orders(customers: int = 120) -> int:
    with services().db.unit_of_work() as uow:
        shop_id = make_shop(uow)
        generate_history(uow, shop_id, customers=customers, seed=2)
        uow.commit()
    return shop_id


def test_recompute_now_runs_inline_without_redis(app: Flask) -> None:
    shop_id = _shop_with_orders()
    with services().db.unit_of_work() as uow:
        run = jobs.request_run(uow, shop_id=shop_id)
        uow.commit()
        run_id = run.id
    with services().db.unit_of_work() as uow:
        done = service.get_run(uow, shop_id=shop_id, run_id=run_id)
        assert done.status is RunStatus.SUCCEEDED
        assert (done.done, done.total) == (6, 6)
        assert done.stats["rfm_customer"]["scored"] > 0


def test_recompute_now_is_one_job_per_run_and_a_second_request_waits(redis_app: Flask, drain: Any) -> None:
    shop_id = _shop_with_orders()
    with services().db.unit_of_work() as uow:
        run = jobs.request_run(uow, shop_id=shop_id)
        uow.commit()
        run_id = run.id
    assert Queue("default", connection=redis_connection()).get_job_ids() == [
        f"shop-{shop_id}_analytics_{run_id}"
    ]
    with services().db.unit_of_work() as uow, pytest.raises(Conflict):
        jobs.request_run(uow, shop_id=shop_id)
    drain(redis_app)
    with services().db.unit_of_work() as uow:
        assert service.get_run(uow, shop_id=shop_id, run_id=run_id).status is RunStatus.SUCCEEDED


def test_order_webhooks_schedule_one_debounced_refresh(redis_app: Flask) -> None:
    shop_id = _shop_with_orders(0)
    for _ in range(3):
        with services().db.unit_of_work() as uow:
            jobs.schedule_refresh(uow, shop_id=shop_id)
            uow.commit()
    registry = ScheduledJobRegistry("default", connection=redis_connection())
    assert registry.get_job_ids() == [f"shop-{shop_id}_analytics-refresh"]


def test_the_refresh_skips_when_a_run_is_under_way(app: Flask) -> None:
    shop_id = _shop_with_orders(0)
    with services().db.unit_of_work() as uow:
        service.start_run(uow, shop_id=shop_id)
        uow.commit()
    assert jobs.refresh_analytics(shop_id) == "skipped: a run is under way"


def test_nightly_queues_a_run_for_each_installed_shop(app: Flask) -> None:
    shop_id = _shop_with_orders(30)
    assert jobs.nightly_all_shops() == {"queued": 1, "busy": 0}
    with services().db.unit_of_work() as uow:
        runs = uow.session.query(SegmentRun).filter_by(shop_id=shop_id).all()
        assert [r.status for r in runs] == [RunStatus.SUCCEEDED]


def test_cli_analytics_run_prints_the_runs_figures(app_config: dict[str, Any], live_app: Flask) -> None:
    # given a committed shop (live_app: no SAVEPOINT, the CLI connects on its own)
    with live_app.app_context():
        _shop_with_orders(60)
    env = {
        name: "" if value is None else str(int(value) if isinstance(value, bool) else value)
        for name, value in app_config.items()
    }
    # when an operator runs the analytics from a shell
    result = CliRunner(env=env).invoke(main, ["analytics", "run", "acme.myshopify.com", "--kind", "rfm"])
    # then the run's figures are printed as JSON
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output[result.output.index("{") :])
    assert printed["status"] == "succeeded"
    assert printed["rfm_customer"]["scored"] > 0


def test_a_run_queues_the_tag_push_of_tagged_segments(redis_app: Flask) -> None:
    from segments import definitions

    shop_id = _shop_with_orders()
    with services().db.unit_of_work() as uow:
        tagged = definitions.create_segment(
            uow,
            shop_id=shop_id,
            name="Frequent",
            subject="customer",
            definition={"conditions": [{"field": "f_score", "op": "gte", "value": 4}]},
            shopify_tag="tl-frequent",
        )
        definitions.create_segment(
            uow,
            shop_id=shop_id,
            name="Untagged",
            subject="customer",
            definition={"conditions": [{"field": "f_score", "op": "gte", "value": 4}]},
        )
        run = service.start_run(uow, shop_id=shop_id)
        uow.commit()
        tagged_id, run_id = tagged.id, run.id
    assert jobs.run_analytics(shop_id, run_id) == "succeeded"
    queued = Queue("default", connection=redis_connection()).get_job_ids()
    assert queued == [f"shop-{shop_id}_segment-tags_{tagged_id}"]


def test_inline_mode_runs_analytics_without_pushing_tags(app: Flask) -> None:
    from segments import definitions
    from segments.models_spend import SegmentTagPush

    shop_id = _shop_with_orders()
    with services().db.unit_of_work() as uow:
        definitions.create_segment(
            uow,
            shop_id=shop_id,
            name="Frequent",
            subject="customer",
            definition={"conditions": [{"field": "f_score", "op": "gte", "value": 4}]},
            shopify_tag="tl-frequent",
        )
        jobs.request_run(uow, shop_id=shop_id)
        uow.commit()
    with services().db.unit_of_work() as uow:
        assert service.latest_run(uow, shop_id=shop_id).status is RunStatus.SUCCEEDED
        assert uow.session.query(SegmentTagPush).count() == 0
