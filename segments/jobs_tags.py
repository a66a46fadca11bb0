"""RQ entry points of the Shopify tag push: queue a push of one segment, or of every tagged segment."""

from __future__ import annotations

from sqlalchemy import select

from app import services
from app.auth.tokens import offline_token_provider
from app.db import UnitOfWork
from app.errors import Conflict
from app.job_control import shop_job_id
from app.jobs import enqueue_after_commit
from app.shopify.client import client_for_shop
from app.shops import get_shop
from segments import tags
from segments.models import Segment, Subject
from segments.models_spend import SegmentTagPush

JOB_TIMEOUT_S = 60 * 60  # a segment of tens of thousands of customers, one mutation each


def request_push(uow: UnitOfWork, *, shop_id: int, segment_id: int) -> SegmentTagPush:
    """Queue a push of the segment's tag (after commit); Conflict while one is queued or running."""
    push = tags.start_push(uow, shop_id=shop_id, segment_id=segment_id)
    enqueue_after_commit(
        uow,
        push_segment_tags,
        shop_id,
        push.id,
        queue="default",
        job_id=shop_job_id(shop_id, "segment-tags", segment_id),
        timeout=JOB_TIMEOUT_S,
    )
    return push


def request_all_pushes(uow: UnitOfWork, *, shop_id: int) -> int:
    """After membership changed: queue a push for every tagged customer segment not already pushing."""
    segment_ids = list(
        uow.session.scalars(
            select(Segment.id).where(
                Segment.shop_id == shop_id,
                Segment.shopify_tag.is_not(None),
                Segment.subject == Subject.CUSTOMER,
            )
        )
    )
    queued = 0
    for segment_id in segment_ids:
        try:
            with uow.session.begin_nested():
                request_push(uow, shop_id=shop_id, segment_id=segment_id)
        except Conflict:
            continue
        queued += 1
    return queued


def push_segment_tags(shop_id: int, push_id: int) -> dict[str, int | str]:
    """Execute a queued push; the result counts what changed (a redelivery finds it done)."""
    with services().db.unit_of_work() as uow:
        if not get_shop(uow, shop_id=shop_id).is_installed:
            return {"status": "skipped: shop uninstalled"}
        with client_for_shop(uow, shop_id=shop_id, token_provider=offline_token_provider(shop_id)) as client:
            push = tags.push_tags(uow, client, shop_id=shop_id, push_id=push_id)
        return {
            "status": push.status.value,
            "added": push.added,
            "removed": push.removed,
            "failed": push.failed,
            "total": push.total,
        }
