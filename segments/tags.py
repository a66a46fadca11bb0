"""Push a segment to Shopify as a customer tag (opt-in: `Segment.shopify_tag`), idempotently.

A push adds the tag to every member not yet tagged (`SegmentMember.tag_pushed_at` IS NULL) and removes
it from the customers who left the segment since the last successful push (exit events after its
watermark `events_until`) and are not members again. Each change is one `tagsAdd` / `tagsRemove`
mutation through the AdminClient, which waits for the cost bucket, so a large segment stays within the
shop's rate limit. Progress is committed every `BATCH` customers: a push that stops half-way (a crash,
a retry) resumes where it was, and a second push right after the first finds nothing to do.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import and_, exists, func, select

from app.db import UnitOfWork, utcnow
from app.errors import Conflict, InvalidInput, NotFound
from app.shopify.client import AdminClient
from app.shopify.errors import UserErrors
from crm.models import CrmCustomer
from segments.models import MemberChange, Segment, SegmentMember, SegmentMemberEvent, Subject
from segments.models_spend import SegmentTagPush, TagPushStatus

log = logging.getLogger(__name__)

BATCH = 25  # customers between progress commits
ACTIVE = (TagPushStatus.QUEUED, TagPushStatus.RUNNING)


@dataclass(frozen=True)
class Pending:
    """What a push has to do: (member id, customer Shopify id) to tag, customer Shopify ids to untag."""

    adds: list[tuple[int, int]]
    removes: list[int]
    events_until: int | None


def customer_gid(shopify_id: int) -> str:
    return f"gid://shopify/Customer/{shopify_id}"


def _segment(uow: UnitOfWork, shop_id: int, segment_id: int) -> Segment:
    segment = uow.session.get(Segment, segment_id)
    if segment is None or segment.shop_id != shop_id:
        raise NotFound(f"segment {segment_id} not found")
    return segment


def start_push(uow: UnitOfWork, *, shop_id: int, segment_id: int) -> SegmentTagPush:
    """Record a queued push; refused without a tag or while another push of the segment is under way."""
    segment = _segment(uow, shop_id, segment_id)
    if not segment.shopify_tag or segment.subject is not Subject.CUSTOMER:
        raise InvalidInput("shopify_tag: set a Shopify tag on this customer segment before pushing it")
    busy = uow.session.scalar(
        select(SegmentTagPush.id).where(
            SegmentTagPush.segment_id == segment.id, SegmentTagPush.status.in_(ACTIVE)
        )
    )
    if busy is not None:
        raise Conflict("This segment is already being pushed to Shopify; wait for that push to finish.")
    push = SegmentTagPush(shop_id=shop_id, segment_id=segment.id, tag=segment.shopify_tag)
    uow.session.add(push)
    uow.session.flush()
    return push


def latest_push(uow: UnitOfWork, *, shop_id: int, segment_id: int) -> SegmentTagPush | None:
    """The segment's newest push (for its progress and result)."""
    return uow.session.scalar(
        select(SegmentTagPush)
        .where(SegmentTagPush.shop_id == shop_id, SegmentTagPush.segment_id == segment_id)
        .order_by(SegmentTagPush.id.desc())
        .limit(1)
    )


def pending(uow: UnitOfWork, *, shop_id: int, segment_id: int) -> Pending:
    """The tags to add and remove now (two set-based queries)."""
    session = uow.session
    adds = session.execute(
        select(SegmentMember.id, CrmCustomer.shopify_id)
        .join(CrmCustomer, CrmCustomer.id == SegmentMember.customer_id)
        .where(
            SegmentMember.shop_id == shop_id,
            SegmentMember.segment_id == segment_id,
            SegmentMember.tag_pushed_at.is_(None),
            CrmCustomer.deleted_at.is_(None),
        )
        .order_by(SegmentMember.id)
    ).all()
    last = session.scalar(
        select(func.max(SegmentTagPush.events_until)).where(
            SegmentTagPush.segment_id == segment_id, SegmentTagPush.status == TagPushStatus.SUCCEEDED
        )
    )
    newest = session.scalar(
        select(func.max(SegmentMemberEvent.id)).where(SegmentMemberEvent.segment_id == segment_id)
    )
    removes: list[int] = []
    # Before the first successful push nobody carries the tag from Tradeline: nothing to remove.
    if last is not None and newest is not None and newest > last:
        still_member = exists().where(
            and_(SegmentMember.segment_id == segment_id, SegmentMember.customer_id == CrmCustomer.id)
        )
        removes = list(
            session.scalars(
                select(CrmCustomer.shopify_id)
                .join(SegmentMemberEvent, SegmentMemberEvent.customer_id == CrmCustomer.id)
                .where(
                    SegmentMemberEvent.segment_id == segment_id,
                    SegmentMemberEvent.change == MemberChange.EXITED,
                    SegmentMemberEvent.id > last,
                    SegmentMemberEvent.id <= newest,
                    CrmCustomer.deleted_at.is_(None),
                    ~still_member,
                )
                .distinct()
                .order_by(CrmCustomer.shopify_id)
            )
        )
    # 0 = "pushed when the segment had no exit events yet": later exits are then removals.
    watermark = newest if newest is not None else (last or 0)
    return Pending([(row[0], row[1]) for row in adds], removes, watermark)


def _apply(client: AdminClient, document: str, shopify_id: int, tag: str, push: SegmentTagPush) -> bool:
    """One mutation; Shopify refusing it (userErrors) is counted, not fatal."""
    try:
        client.execute(document, {"id": customer_gid(shopify_id), "tags": [tag]})
    except UserErrors as exc:
        push.failed += 1
        push.error = str(exc)
        log.warning("segment tag push %s: %s", push.id, exc)
        return False
    return True


def push_tags(uow: UnitOfWork, client: AdminClient, *, shop_id: int, push_id: int) -> SegmentTagPush:
    """Run a queued push: add the tag to new members, remove it from leavers, record progress."""
    push = uow.session.get(SegmentTagPush, push_id)
    if push is None or push.shop_id != shop_id:
        raise NotFound(f"tag push {push_id} not found")
    if push.status is TagPushStatus.SUCCEEDED:
        return push  # a second delivery of the job: the work is done
    segment = _segment(uow, shop_id, push.segment_id)
    if not segment.shopify_tag:
        push.status, push.error, push.finished_at = (
            TagPushStatus.FAILED,
            "the segment has no Shopify tag",
            utcnow(),
        )
        uow.commit()
        return push
    tag = push.tag = segment.shopify_tag
    todo = pending(uow, shop_id=shop_id, segment_id=segment.id)
    push.status, push.started_at = TagPushStatus.RUNNING, push.started_at or utcnow()
    push.total = push.done + len(todo.adds) + len(todo.removes)
    uow.commit()
    try:
        for member_id, shopify_id in todo.adds:
            if _apply(client, "SegmentsTagsAdd", shopify_id, tag, push):
                member = uow.session.get(SegmentMember, member_id)
                if member is not None:
                    member.tag_pushed_at = utcnow()
                push.added += 1
            push.done += 1
            if push.done % BATCH == 0:
                uow.commit()
        for shopify_id in todo.removes:
            if _apply(client, "SegmentsTagsRemove", shopify_id, tag, push):
                push.removed += 1
            push.done += 1
            if push.done % BATCH == 0:
                uow.commit()
    except Exception as exc:
        # What was applied stays recorded (tag_pushed_at); the retry or the next push does the rest.
        uow.session.rollback()
        push = uow.session.get(SegmentTagPush, push_id)  # type: ignore[assignment]
        push.status, push.error, push.finished_at = TagPushStatus.FAILED, str(exc)[:2000], utcnow()
        uow.commit()
        raise
    push.events_until = todo.events_until
    push.status, push.finished_at = TagPushStatus.SUCCEEDED, utcnow()
    uow.commit()
    return push
