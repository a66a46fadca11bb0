"""The home page's "Background jobs" card: inline mode, failures, Redis with and without workers."""

from __future__ import annotations

import pytest

from app.jobs import enqueue
from tests.admin_support import add_acme, card_html, sign_in

CRITICAL = '<span class="tl-badge tl-badge--critical"><span class="tl-visually-hidden">Critical: </span>'
ATTENTION = '<span class="tl-badge tl-badge--attention"><span class="tl-visually-hidden">Attention: </span>'
# A port nothing listens on: connecting is refused at once.
UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"


def _jobs_card(client, uow) -> str:
    shop = add_acme(uow)
    sign_in(client, shop.id)
    response = client.get("/")
    assert response.status_code == 200
    return card_html(response.get_data(as_text=True), "background-jobs")


def _row(queue: str, queued: str, running: str, scheduled: str, failed: str) -> str:
    cells = "".join(
        f'\n      <td class="tl-table__numeric">{value}</td>' for value in (queued, running, scheduled)
    )
    return (
        f'<tr>\n      <th scope="row">{queue}</th>{cells}\n'
        f'      <td class="tl-table__numeric">{failed}</td>\n    </tr>'
    )


def test_inline_mode_is_healthy_with_no_failures(client, uow):
    card = _jobs_card(client, uow)

    assert '<span class="tl-badge tl-badge--success">Healthy</span>' in card
    assert '<span class="tl-text-strong">Inline mode.</span>' in card
    for queue in ("webhooks", "default", "bulk"):
        assert _row(queue, "0", "0", "0", "0") in card
    assert "Checked " in card


def test_a_failed_job_shows_as_a_critical_badge(app, client, uow):
    # A real inline job that fails: json.loads on text that is not JSON.
    ref = enqueue("json.loads", "not json", queue="default", retries=0)
    assert ref.status == "failed"

    card = _jobs_card(client, uow)

    assert f"{CRITICAL}1 failed</span>" in card
    assert _row("default", "0", "0", "0", f"{CRITICAL}1</span>") in card
    assert _row("webhooks", "0", "0", "0", "0") in card
    assert "Healthy" not in card


@pytest.fixture
def redis_app_config(app_config, redis_url):
    app_config["REDIS_URL"] = redis_url
    return app_config


def test_redis_mode_counts_queued_jobs_and_warns_without_workers(redis_app_config, app, client, uow):
    enqueue("json.loads", "{}", queue="default")
    enqueue("json.loads", "[]", queue="bulk")

    card = _jobs_card(client, uow)

    assert '<span class="tl-text-strong">Redis (0 workers online).</span>' in card
    assert "run <code>tradeline worker</code>" in card
    assert f"{ATTENTION}No workers</span>" in card
    assert _row("default", "1", "0", "0", "0") in card
    assert _row("bulk", "1", "0", "0", "0") in card
    assert _row("webhooks", "0", "0", "0", "0") in card


@pytest.fixture
def unreachable_redis_config(app_config):
    app_config["REDIS_URL"] = UNREACHABLE_REDIS
    return app_config


def test_unreachable_redis_shows_the_card_as_unavailable(unreachable_redis_config, client, uow):
    card = _jobs_card(client, uow)

    assert f"{CRITICAL}Unavailable</span>" in card
    assert '<p class="tl-banner__title">Job queues unavailable</p>' in card
    assert "<p>cannot reach Redis (ConnectionError)</p>" in card
    assert "<table" not in card
