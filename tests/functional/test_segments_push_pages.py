"""A segment's Shopify tag push on its page: the latest push's result, "Push now" (run inline here,
against a fake Admin API), a push already under way, CSRF and another shop's segment."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape
from typing import Any

import pytest
from sqlalchemy import func, select

from app.admin.formatting import format_datetime
from app.db import utcnow
from segments.models import Subject
from segments.models_spend import SegmentTagPush, TagPushStatus
from tests.admin_support import CSRF, add_acme, card_html, sign_in_with_csrf
from tests.crm_support import make_shop
from tests.segments_metrics_support import FakeTags
from tests.segments_pages_support import connect, tagged_segment


@pytest.fixture(autouse=True)
def fake(app_config: dict[str, Any]) -> FakeTags:
    """Shopify's tag mutations answered by a fake at the HTTP boundary (set before the app is built)."""
    shopify = FakeTags()
    app_config["SHOPIFY_HTTP_TRANSPORT"] = shopify.transport
    return shopify


@pytest.fixture
def shop(uow):
    shop = add_acme(uow)
    connect(uow, shop.id)
    return shop


@pytest.fixture
def signed_in(client, shop):
    return sign_in_with_csrf(client, shop.id)


def _pushes(uow, segment_id: int) -> int:
    uow.session.expire_all()
    return uow.session.scalar(
        select(func.count()).select_from(SegmentTagPush).where(SegmentTagPush.segment_id == segment_id)
    )


def _card(client, segment_id: int) -> str:
    return card_html(client.get(f"/segments/{segment_id}").get_data(as_text=True), "tag-push")


def _text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def test_a_segment_without_a_tag_says_how_to_push_it_and_offers_no_button(signed_in, uow, shop):
    card = _card(signed_in, tagged_segment(uow, shop.id, tag=None))
    assert "Give the segment a Shopify tag (Edit segment) to tag its members." in _text(card)
    assert "Push now" not in card


def test_a_company_segment_cannot_be_pushed(signed_in, uow, shop):
    card = _card(signed_in, tagged_segment(uow, shop.id, tag="accounts", subject=Subject.COMPANY))
    assert "Only customer segments can be pushed" in _text(card) and "Push now" not in card


def test_push_now_runs_the_job_and_the_page_shows_what_it_did(signed_in, uow, shop, fake):
    segment_id = tagged_segment(uow, shop.id)
    assert "Never pushed" in _card(signed_in, segment_id)
    # when: without Redis the queued job runs at the commit
    response = signed_in.post(f"/segments/{segment_id}/push-tags", data={"csrf_token": CSRF})
    # then
    assert response.status_code == 303 and response.headers["Location"] == f"/segments/{segment_id}"
    assert fake.tags == {"gid://shopify/Customer/7001": {"vip"}, "gid://shopify/Customer/7002": {"vip"}}
    push = uow.session.scalars(select(SegmentTagPush).where(SegmentTagPush.segment_id == segment_id)).one()
    assert (push.status, push.added, push.removed) == (TagPushStatus.SUCCEEDED, 2, 0)
    html = signed_in.get(f"/segments/{segment_id}").get_data(as_text=True)
    assert "Tag “vip” pushed to Shopify: added to 2, removed from 0." in unescape(html)
    card = card_html(html, "tag-push")
    assert "Pushed" in card
    assert f"Last push {format_datetime(push.finished_at, shop.timezone)}" in _text(card)
    assert re.search(r'data-push="added">2 customers<', card)
    assert re.search(r'data-push="removed">0 customers<', card)
    assert 'data-push="errors"' not in card


def test_a_push_under_way_is_not_doubled(signed_in, uow, shop, fake):
    segment_id = tagged_segment(uow, shop.id)
    uow.session.add(
        SegmentTagPush(
            shop_id=shop.id, segment_id=segment_id, tag="vip", status=TagPushStatus.RUNNING, done=1, total=4
        )
    )
    uow.commit()
    card = _card(signed_in, segment_id)
    assert "Pushing" in card and 'aria-label="Tag push progress"' in card and "1 of 4 customers" in card
    assert re.search(r"<button[^>]*disabled[^>]*>.*?Push now</button>", card, re.S)
    response = signed_in.post(
        f"/segments/{segment_id}/push-tags", data={"csrf_token": CSRF}, follow_redirects=True
    )
    assert "already being pushed to Shopify" in response.get_data(as_text=True)
    assert _pushes(uow, segment_id) == 1 and fake.requests == []


def test_refused_changes_and_errors_of_the_last_push_are_shown(signed_in, uow, shop):
    segment_id = tagged_segment(uow, shop.id)
    finished = utcnow() - timedelta(hours=1)
    uow.session.add(
        SegmentTagPush(
            shop_id=shop.id,
            segment_id=segment_id,
            tag="vip",
            status=TagPushStatus.SUCCEEDED,
            done=3,
            total=3,
            added=1,
            removed=0,
            failed=2,
            error="Customer does not exist",
            finished_at=finished,
        )
    )
    uow.commit()
    card = _card(signed_in, segment_id)
    errors = re.search(r'data-push="errors"[^>]*>(.*?)</dd>', card, re.S).group(1)
    assert errors == "2 changes refused by Shopify: Customer does not exist"
    assert re.search(r'data-push="added">1 customer<', card)


def test_push_now_needs_the_csrf_token(signed_in, uow, shop, fake):
    segment_id = tagged_segment(uow, shop.id)
    assert (
        signed_in.post(f"/segments/{segment_id}/push-tags", data={"csrf_token": "forged"}).status_code == 400
    )
    assert _pushes(uow, segment_id) == 0 and fake.tags == {}


def test_another_shops_segment_cannot_be_pushed(signed_in, uow, shop, fake):
    other_id = make_shop(uow, "other-shop.myshopify.com")
    theirs = tagged_segment(uow, other_id)
    assert signed_in.post(f"/segments/{theirs}/push-tags", data={"csrf_token": CSRF}).status_code == 404
    assert _pushes(uow, theirs) == 0 and fake.tags == {}
