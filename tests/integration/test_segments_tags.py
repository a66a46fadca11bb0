"""Pushing a segment to Shopify as a customer tag, against a fake Admin API at the HTTP boundary."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from rq import Queue
from sqlalchemy import func, select

from app import services
from app.db import UnitOfWork
from app.errors import Conflict, InvalidInput, NotFound
from app.jobs import redis_connection
from crm.models import CrmCustomer
from segments import jobs_tags, tags
from segments.models import MemberChange, Segment, SegmentMember, SegmentMemberEvent, Subject
from segments.models_spend import SegmentTagPush, TagPushStatus
from tests.backfill_support import connected_shop
from tests.segments_metrics_support import NOW, FakeTags, add_customer


@pytest.fixture
def fake(app_config: dict[str, Any]) -> FakeTags:
    shopify = FakeTags()
    app_config["SHOPIFY_HTTP_TRANSPORT"] = shopify.transport
    return shopify


def gid(key: int) -> str:
    return f"gid://shopify/Customer/{7_000 + key}"


def _tagged_segment(shop_id: int, members: list[int], tag: str | None = "vip") -> int:
    """A customer segment with `members` (customer keys) in it, committed; returns its id."""
    with services().db.unit_of_work() as uow:
        segment = Segment(
            shop_id=shop_id,
            name=f"Segment {tag}",
            subject=Subject.CUSTOMER,
            definition={"match": "all", "conditions": []},
            shopify_tag=tag,
        )
        uow.session.add(segment)
        uow.session.flush()
        for key in members:
            customer_id = add_customer(uow, shop_id, key)
            uow.session.add(
                SegmentMember(shop_id=shop_id, segment_id=segment.id, customer_id=customer_id, entered_at=NOW)
            )
        uow.commit()
        return segment.id


def _push(shop_id: int, segment_id: int) -> SegmentTagPush:
    """Request a push and commit: without Redis the job runs inline at the commit."""
    with services().db.unit_of_work() as uow:
        push = jobs_tags.request_push(uow, shop_id=shop_id, segment_id=segment_id)
        push_id = push.id
        uow.commit()
    with services().db.unit_of_work() as uow:
        found = uow.session.get(SegmentTagPush, push_id)
        assert found is not None
        uow.session.expunge(found)
        return found


def _customer_id(uow: UnitOfWork, shop_id: int, key: int) -> int:
    found = uow.session.scalar(
        select(CrmCustomer.id).where(CrmCustomer.shop_id == shop_id, CrmCustomer.shopify_id == 7_000 + key)
    )
    assert found is not None
    return found


def _leave(shop_id: int, segment_id: int, key: int) -> None:
    """The customer stops matching: membership deleted, exit event recorded (as materialise does)."""
    with services().db.unit_of_work() as uow:
        customer_id = _customer_id(uow, shop_id, key)
        member = uow.session.scalar(
            select(SegmentMember).where(
                SegmentMember.segment_id == segment_id, SegmentMember.customer_id == customer_id
            )
        )
        uow.session.delete(member)
        uow.session.add(
            SegmentMemberEvent(
                shop_id=shop_id,
                segment_id=segment_id,
                customer_id=customer_id,
                change=MemberChange.EXITED,
                occurred_at=NOW,
            )
        )
        uow.commit()


def test_members_get_the_tag_once_and_a_second_push_does_nothing(fake: FakeTags, app: Flask) -> None:
    # given
    with services().db.unit_of_work() as uow:
        shop_id = connected_shop(uow)
        uow.commit()
    segment_id = _tagged_segment(shop_id, [1, 2])
    # when
    first = _push(shop_id, segment_id)
    second = _push(shop_id, segment_id)
    # then
    assert fake.tags == {gid(1): {"vip"}, gid(2): {"vip"}}
    assert fake.requests == [
        ("SegmentsTagsAdd", {"id": gid(1), "tags": ["vip"]}),
        ("SegmentsTagsAdd", {"id": gid(2), "tags": ["vip"]}),
    ]
    assert (first.status, first.added, first.removed, first.failed, first.done, first.total) == (
        TagPushStatus.SUCCEEDED,
        2,
        0,
        0,
        2,
        2,
    )
    assert (second.status, second.added, second.removed, second.total) == (TagPushStatus.SUCCEEDED, 0, 0, 0)
    with services().db.unit_of_work() as uow:
        stamps = uow.session.scalars(
            select(SegmentMember.tag_pushed_at).where(SegmentMember.segment_id == segment_id)
        )
        assert all(stamp is not None for stamp in stamps)


def test_leavers_lose_the_tag_and_returning_members_keep_it(fake: FakeTags, app: Flask) -> None:
    with services().db.unit_of_work() as uow:
        shop_id = connected_shop(uow)
        uow.commit()
    segment_id = _tagged_segment(shop_id, [1, 2, 3])
    _push(shop_id, segment_id)
    fake.requests.clear()
    # given 2 leaves for good, 3 leaves and comes back (a new membership, not yet tagged)
    _leave(shop_id, segment_id, 2)
    _leave(shop_id, segment_id, 3)
    with services().db.unit_of_work() as uow:
        back = _customer_id(uow, shop_id, 3)
        uow.session.add(
            SegmentMember(shop_id=shop_id, segment_id=segment_id, customer_id=back, entered_at=NOW)
        )
        uow.commit()
    # when
    push = _push(shop_id, segment_id)
    again = _push(shop_id, segment_id)
    # then
    assert fake.requests == [
        ("SegmentsTagsAdd", {"id": gid(3), "tags": ["vip"]}),
        ("SegmentsTagsRemove", {"id": gid(2), "tags": ["vip"]}),
    ]
    assert fake.tags == {gid(1): {"vip"}, gid(2): set(), gid(3): {"vip"}}
    assert (push.added, push.removed, push.total) == (1, 1, 2)
    assert (again.added, again.removed, again.total) == (0, 0, 0)


def test_a_customer_shopify_refuses_is_counted_and_retried_next_time(fake: FakeTags, app: Flask) -> None:
    with services().db.unit_of_work() as uow:
        shop_id = connected_shop(uow)
        uow.commit()
    segment_id = _tagged_segment(shop_id, [1, 2])
    fake.missing.add(gid(1))
    push = _push(shop_id, segment_id)
    assert (push.status, push.added, push.failed) == (TagPushStatus.SUCCEEDED, 1, 1)
    assert push.error is not None and "Customer does not exist" in push.error
    fake.missing.clear()
    fake.requests.clear()
    retry = _push(shop_id, segment_id)
    assert fake.requests == [("SegmentsTagsAdd", {"id": gid(1), "tags": ["vip"]})]
    assert (retry.added, retry.failed) == (1, 0)


def test_a_push_needs_a_tag_the_shop_and_no_push_under_way(fake: FakeTags, app: Flask) -> None:
    with services().db.unit_of_work() as uow:
        shop_id = connected_shop(uow)
        other = connected_shop(uow, "other.myshopify.com")
        uow.commit()
    untagged = _tagged_segment(shop_id, [1], tag=None)
    tagged = _tagged_segment(other, [2])
    with services().db.unit_of_work() as uow:
        with pytest.raises(InvalidInput, match="shopify_tag: set a Shopify tag"):
            tags.start_push(uow, shop_id=shop_id, segment_id=untagged)
        with pytest.raises(NotFound, match=f"segment {tagged} not found"):
            tags.start_push(uow, shop_id=shop_id, segment_id=tagged)
        tags.start_push(uow, shop_id=other, segment_id=tagged)
        with pytest.raises(Conflict, match="already being pushed"):
            tags.start_push(uow, shop_id=other, segment_id=tagged)
        assert uow.session.scalar(select(func.count()).select_from(SegmentTagPush)) == 1
    assert fake.requests == []


@pytest.fixture
def redis_jobs(app_config: dict[str, Any], redis_url: str) -> str:
    app_config["REDIS_URL"] = redis_url
    return redis_url


def test_the_push_job_has_a_deterministic_id_and_is_queued_after_commit(
    fake: FakeTags, redis_jobs: str, app: Flask
) -> None:
    with services().db.unit_of_work() as uow:
        shop_id = connected_shop(uow)
        uow.commit()
    segment_id = _tagged_segment(shop_id, [1])
    queue = Queue("default", connection=redis_connection(app))
    with services().db.unit_of_work() as uow:
        assert jobs_tags.request_all_pushes(uow, shop_id=shop_id) == 1
        assert queue.count == 0
        uow.commit()
    assert queue.job_ids == [f"shop-{shop_id}_segment-tags_{segment_id}"]
    with services().db.unit_of_work() as uow:
        # The queued push makes a second request a no-op.
        assert jobs_tags.request_all_pushes(uow, shop_id=shop_id) == 0
    assert fake.requests == []


def test_a_push_shopify_refuses_fails_visibly_and_the_next_one_does_the_work(
    fake: FakeTags, app: Flask
) -> None:
    with services().db.unit_of_work() as uow:
        shop_id = connected_shop(uow)
        uow.commit()
    segment_id = _tagged_segment(shop_id, [1])
    # given Shopify refusing the token
    fake.http_status = 401
    # when
    failed = _push(shop_id, segment_id)
    # then the push says why, and nobody is marked as tagged
    assert failed.status is TagPushStatus.FAILED
    assert failed.error is not None and "HTTP 401" in failed.error
    assert (failed.added, failed.done) == (0, 0)
    with services().db.unit_of_work() as uow:
        assert (
            uow.session.scalar(
                select(SegmentMember.tag_pushed_at).where(SegmentMember.segment_id == segment_id)
            )
            is None
        )
    fake.http_status = None
    retried = _push(shop_id, segment_id)
    assert (retried.status, retried.added) == (TagPushStatus.SUCCEEDED, 1)
    assert fake.tags == {gid(1): {"vip"}}
