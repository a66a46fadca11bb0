"""app/uninstalled and app/scopes_update: the handlers called as the intake calls them."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from rq import Queue
from rq.job import Job, JobStatus
from sqlalchemy import select

from app import services
from app.apikeys import authenticate, create_api_key
from app.errors import Forbidden, InvalidInput
from app.job_control import cancel_shop_jobs, is_shop_job, shop_job_id
from app.jobs import enqueue, job_id, redis_connection
from app.models import AccessMode, ApiKey, Shop, ShopToken
from app.shops import TokenSet, install_shop, load_token, store_token, uninstall_shop
from tests.crm_support import make_shop
from tests.support import stored_delivery
from webhooks.handlers.app_topics import handle_app_scopes_update, handle_app_uninstalled
from webhooks.registry import Delivery

FIXTURE_JOB = "tests.integration.jobs_fixtures.count_call"
INSTALLED_AT = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
# The shop object Shopify sends with app/uninstalled (REST shape, trimmed).
UNINSTALLED_PAYLOAD = {
    "id": 690933842,
    "name": "Acme Wholesale",
    "email": "owner@acme.example",
    "domain": "acme.example",
    "myshopify_domain": "acme.myshopify.com",
}
SCOPES_PAYLOAD = {
    "id": 1234,
    "previous": ["read_customers", "read_orders"],
    "current": ["read_customers", "read_orders", "read_discounts"],
    "updated_at": "2026-06-01T12:00:00.000Z",
    "shop_id": 690933842,
}


def delivery(topic: str, fired_at: datetime, delivery_id: int = 1) -> Delivery:
    return stored_delivery(
        topic, delivery_id, received_at=fired_at + timedelta(seconds=1), triggered_at=fired_at
    )


def given_installed_shop(uow: Any, domain: str = "acme.myshopify.com") -> int:
    shop_id = make_shop(uow, domain)
    shop = uow.session.get(Shop, shop_id)
    shop.installed_at = INSTALLED_AT
    shop.scopes = "read_customers,read_orders"
    cipher = services().cipher
    store_token(
        uow,
        cipher,
        shop_id=shop_id,
        tokens=TokenSet(access_token="shpat_1", scope="read_customers,read_orders"),
    )
    store_token(
        uow,
        cipher,
        shop_id=shop_id,
        tokens=TokenSet(access_token="shpua_1", scope="read_customers"),
        access_mode=AccessMode.ONLINE,
        user_id=42,
    )
    uow.session.flush()
    return shop_id


def shop_state(uow: Any, shop_id: int) -> tuple[Any, ...]:
    uow.session.expire_all()
    shop = uow.session.get(Shop, shop_id)
    tokens = uow.session.execute(
        select(ShopToken.access_mode, ShopToken.user_id, ShopToken.scope, ShopToken.updated_at)
        .where(ShopToken.shop_id == shop_id)
        .order_by(ShopToken.id)
    ).all()
    return (shop.installed_at, shop.uninstalled_at, shop.scopes, shop.updated_at, tokens)


# -- app/uninstalled ----------------------------------------------------------------------------


def test_uninstall_marks_the_shop_uninstalled_and_drops_every_token(uow):
    shop_id = given_installed_shop(uow)
    uow.commit()

    handle_app_uninstalled(
        uow,
        shop_id=shop_id,
        payload=UNINSTALLED_PAYLOAD,
        delivery=delivery("app/uninstalled", INSTALLED_AT + timedelta(days=3)),
    )
    uow.commit()

    uow.session.expire_all()
    shop = uow.session.get(Shop, shop_id)
    assert shop.is_installed is False
    assert shop.uninstalled_at is not None
    assert uow.session.scalars(select(ShopToken).where(ShopToken.shop_id == shop_id)).all() == []
    assert load_token(uow, services().cipher, shop_id=shop_id) is None


def test_uninstall_twice_is_the_same_as_once(uow):
    shop_id = given_installed_shop(uow)
    uow.commit()
    fired = INSTALLED_AT + timedelta(days=3)
    handle_app_uninstalled(
        uow, shop_id=shop_id, payload=UNINSTALLED_PAYLOAD, delivery=delivery("app/uninstalled", fired)
    )
    uow.commit()
    once = shop_state(uow, shop_id)

    handle_app_uninstalled(
        uow, shop_id=shop_id, payload=UNINSTALLED_PAYLOAD, delivery=delivery("app/uninstalled", fired, 2)
    )
    uow.commit()

    assert shop_state(uow, shop_id) == once


def test_uninstall_keeps_api_keys_which_answer_403_until_a_reinstall(uow):
    shop_id = given_installed_shop(uow)
    _key, plaintext = create_api_key(uow, shop_id=shop_id, name="ERP sync")
    uow.commit()

    handle_app_uninstalled(
        uow,
        shop_id=shop_id,
        payload=UNINSTALLED_PAYLOAD,
        delivery=delivery("app/uninstalled", INSTALLED_AT + timedelta(days=3)),
    )
    uow.commit()

    assert uow.session.scalars(select(ApiKey.revoked_at).where(ApiKey.shop_id == shop_id)).all() == [None]
    with pytest.raises(Forbidden, match="has uninstalled Tradeline"):
        authenticate(uow, plaintext)
    install_shop(uow, domain="acme.myshopify.com")
    uow.commit()
    assert authenticate(uow, plaintext).shop_id == shop_id


def test_an_uninstall_fired_before_a_reinstall_leaves_the_new_installation_alone(uow, caplog):
    # given the merchant uninstalled and reinstalled; the uninstall webhook is processed only now
    shop_id = given_installed_shop(uow)
    uow.commit()
    before = shop_state(uow, shop_id)
    caplog.set_level(logging.INFO, logger="webhooks.handlers.app_topics")

    handle_app_uninstalled(
        uow,
        shop_id=shop_id,
        payload=UNINSTALLED_PAYLOAD,
        delivery=delivery("app/uninstalled", INSTALLED_AT - timedelta(minutes=2)),
    )
    uow.commit()

    assert shop_state(uow, shop_id) == before
    assert (
        f"app/uninstalled for shop {shop_id} ignored: fired before the shop's current installation"
        in caplog.text
    )


def test_uninstall_in_inline_mode_has_no_jobs_to_cancel(uow):
    shop_id = given_installed_shop(uow)
    uow.commit()

    assert cancel_shop_jobs(shop_id) == []


# -- jobs (real Redis) ----------------------------------------------------------------------------


@pytest.fixture
def redis_app(app_config: dict[str, Any], redis_url: str, request: pytest.FixtureRequest) -> Iterator[Flask]:
    app_config["REDIS_URL"] = redis_url
    yield request.getfixturevalue("app")


def status_of(job: str) -> JobStatus:
    return Job.fetch(job, connection=redis_connection()).get_status()


def test_shop_job_ids_name_their_shop_and_only_it():
    assert shop_job_id(42, "backfill", "orders") == "shop-42_backfill_orders"
    assert shop_job_id(42) == "shop-42"
    assert is_shop_job("shop-42_backfill_orders", 42)
    assert is_shop_job("shop-42", 42)
    assert not is_shop_job("shop-421_backfill", 42)
    assert not is_shop_job("shop-4_backfill", 42)
    assert not is_shop_job(job_id("refresh", 42), 42)


def test_uninstall_cancels_the_shops_queued_and_scheduled_jobs_but_not_another_shops(redis_app, uow):
    # given two shops with work waiting on every kind of queue
    acme = given_installed_shop(uow)
    other = given_installed_shop(uow, "other.myshopify.com")
    uow.commit()
    acme_jobs = [
        enqueue(FIXTURE_JOB, "a1", job_id=shop_job_id(acme, "backfill", "orders"), queue="bulk").id,
        enqueue(FIXTURE_JOB, "a2", job_id=shop_job_id(acme, "reconcile"), queue="default").id,
        enqueue(FIXTURE_JOB, "a3", job_id=shop_job_id(acme, "reminder"), delay=timedelta(hours=1)).id,
    ]
    other_jobs = [
        enqueue(FIXTURE_JOB, "o1", job_id=shop_job_id(other, "backfill", "orders"), queue="bulk").id,
        enqueue(FIXTURE_JOB, "o2", job_id=shop_job_id(other, "reminder"), delay=timedelta(hours=1)).id,
    ]
    # a delivery's processing job is not the shop's work: it must survive (compliance topics come later)
    delivery_job = enqueue(FIXTURE_JOB, "d1", job_id=job_id("webhook", 77), queue="webhooks").id
    assert [status_of(j) for j in acme_jobs] == [JobStatus.QUEUED, JobStatus.QUEUED, JobStatus.SCHEDULED]

    # when the uninstall is processed and committed
    handle_app_uninstalled(
        uow,
        shop_id=acme,
        payload=UNINSTALLED_PAYLOAD,
        delivery=delivery("app/uninstalled", INSTALLED_AT + timedelta(days=3)),
    )
    uow.commit()

    # then the shop's pending jobs are cancelled, everyone else's are untouched
    assert [status_of(j) for j in acme_jobs] == [JobStatus.CANCELED] * 3
    assert [status_of(j) for j in other_jobs] == [JobStatus.QUEUED, JobStatus.SCHEDULED]
    assert status_of(delivery_job) == JobStatus.QUEUED
    queue_contents = {
        name: Queue(name, connection=redis_connection()).get_job_ids()
        for name in ("bulk", "default", "webhooks")
    }
    assert queue_contents == {"bulk": [other_jobs[0]], "default": [], "webhooks": [delivery_job]}


def test_cancelling_twice_cancels_nothing_more(redis_app, uow):
    acme = given_installed_shop(uow)
    uow.commit()
    queued = enqueue(FIXTURE_JOB, "a1", job_id=shop_job_id(acme, "backfill")).id
    assert cancel_shop_jobs(acme) == [queued]

    assert cancel_shop_jobs(acme) == []
    assert status_of(queued) == JobStatus.CANCELED


def test_a_cancelled_job_can_be_enqueued_again_after_a_reinstall(redis_app, uow):
    acme = given_installed_shop(uow)
    uow.commit()
    first = enqueue(FIXTURE_JOB, "a1", job_id=shop_job_id(acme, "backfill"))
    cancel_shop_jobs(acme)

    again = enqueue(FIXTURE_JOB, "a1", job_id=shop_job_id(acme, "backfill"))

    assert (again.id, again.created, status_of(again.id)) == (first.id, True, JobStatus.QUEUED)


def test_uninstall_commits_even_when_redis_is_unreachable(app_config, request, caplog):
    # given Redis on a port nothing listens on
    app_config["REDIS_URL"] = "redis://127.0.0.1:1/0"
    uow = request.getfixturevalue("uow")
    shop_id = given_installed_shop(uow)
    uow.commit()
    caplog.set_level(logging.WARNING, logger="webhooks.handlers.app_topics")

    handle_app_uninstalled(
        uow,
        shop_id=shop_id,
        payload=UNINSTALLED_PAYLOAD,
        delivery=delivery("app/uninstalled", INSTALLED_AT + timedelta(days=3)),
    )
    uow.commit()

    # then the uninstall stands (its jobs will find the shop uninstalled); the failed cancel is logged
    uow.session.expire_all()
    assert uow.session.get(Shop, shop_id).is_installed is False
    assert f"could not cancel the pending jobs of shop {shop_id}: ConnectionError" in caplog.text


# -- app/scopes_update ----------------------------------------------------------------------------


def test_scopes_update_stores_the_granted_scopes_on_the_shop_and_its_offline_token(uow):
    shop_id = given_installed_shop(uow)
    uow.commit()

    handle_app_scopes_update(
        uow,
        shop_id=shop_id,
        payload=SCOPES_PAYLOAD,
        delivery=delivery("app/scopes_update", INSTALLED_AT + timedelta(days=30)),
    )
    uow.commit()

    uow.session.expire_all()
    assert uow.session.get(Shop, shop_id).scopes == "read_customers,read_orders,read_discounts"
    assert (
        load_token(uow, services().cipher, shop_id=shop_id).scope
        == "read_customers,read_orders,read_discounts"
    )
    online = load_token(uow, services().cipher, shop_id=shop_id, access_mode=AccessMode.ONLINE, user_id=42)
    assert online.scope == "read_customers"  # a staff member's own grant is theirs


def test_scopes_update_twice_is_the_same_as_once(uow):
    shop_id = given_installed_shop(uow)
    uow.commit()
    fired = INSTALLED_AT + timedelta(days=30)
    handle_app_scopes_update(
        uow, shop_id=shop_id, payload=SCOPES_PAYLOAD, delivery=delivery("app/scopes_update", fired)
    )
    uow.commit()
    once = shop_state(uow, shop_id)

    handle_app_scopes_update(
        uow, shop_id=shop_id, payload=SCOPES_PAYLOAD, delivery=delivery("app/scopes_update", fired, 2)
    )
    uow.commit()

    assert shop_state(uow, shop_id) == once


def test_scopes_update_logs_what_was_added_and_removed(uow, caplog):
    shop_id = given_installed_shop(uow)
    uow.commit()
    caplog.set_level(logging.INFO, logger="webhooks.handlers.app_topics")

    handle_app_scopes_update(
        uow,
        shop_id=shop_id,
        payload={**SCOPES_PAYLOAD, "current": ["read_orders", "read_discounts"]},
        delivery=delivery("app/scopes_update", INSTALLED_AT + timedelta(days=30)),
    )
    uow.commit()

    expected = "2 scopes granted (added: read_discounts; removed: read_customers)"
    assert f"app/scopes_update for shop {shop_id}: {expected}" in caplog.text


def test_scopes_update_for_an_uninstalled_shop_changes_nothing(uow):
    shop_id = given_installed_shop(uow)
    uninstall_shop(uow, shop_id=shop_id)
    uow.commit()
    before = shop_state(uow, shop_id)

    handle_app_scopes_update(
        uow,
        shop_id=shop_id,
        payload=SCOPES_PAYLOAD,
        delivery=delivery("app/scopes_update", INSTALLED_AT + timedelta(days=30)),
    )
    uow.commit()

    assert shop_state(uow, shop_id) == before


def test_a_scopes_update_of_an_earlier_installation_changes_nothing(uow):
    shop_id = given_installed_shop(uow)
    uow.commit()
    before = shop_state(uow, shop_id)

    handle_app_scopes_update(
        uow,
        shop_id=shop_id,
        payload=SCOPES_PAYLOAD,
        delivery=delivery("app/scopes_update", INSTALLED_AT - timedelta(days=1)),
    )
    uow.commit()

    assert shop_state(uow, shop_id) == before


@pytest.mark.parametrize(
    "current",
    [None, "read_orders,read_customers", ["read_orders", 7], ["read_orders,write_orders"]],
)
def test_a_malformed_scopes_update_is_refused_and_changes_nothing(uow, current):
    shop_id = given_installed_shop(uow)
    uow.commit()
    before = shop_state(uow, shop_id)

    with pytest.raises(InvalidInput, match="app/scopes_update: `current`"):
        handle_app_scopes_update(
            uow,
            shop_id=shop_id,
            payload={**SCOPES_PAYLOAD, "current": current},
            delivery=delivery("app/scopes_update", INSTALLED_AT + timedelta(days=30)),
        )
    uow.rollback()

    assert shop_state(uow, shop_id) == before
