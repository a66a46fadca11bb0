"""A segment's Shopify tag push on its page: what the latest push did, and "Push now".

"Push now" queues the same job as the REST API and the analytics runs (segments.jobs_tags); inline mode
(no Redis) runs it at the commit. Routes on the segments blueprint (segments.views imports this module).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import flash, redirect
from flask.typing import ResponseReturnValue

from app.admin.views import admin_url
from app.auth.context import admin_required
from app.db import UnitOfWork
from app.errors import Conflict, InvalidInput, NotFound
from segments import jobs_tags, tags
from segments.models import Segment, Subject
from segments.models_spend import SegmentTagPush, TagPushStatus
from segments.views import bp, check_csrf, load_shop, not_found, uow_

STATUS_LABELS = {
    TagPushStatus.QUEUED: ("Queued", "attention"),
    TagPushStatus.RUNNING: ("Pushing", "info"),
    TagPushStatus.SUCCEEDED: ("Pushed", "success"),
    TagPushStatus.FAILED: ("Failed", "critical"),
}


@dataclass(frozen=True)
class PushView:
    """What the segment page shows of its tag push."""

    can_push: bool  # a customer segment with a tag
    reason: str | None  # why it cannot be pushed
    latest: SegmentTagPush | None
    label: str
    tone: str | None
    busy: bool  # queued or running: "Push now" waits
    at: datetime | None  # when the latest push finished (or was queued, while under way)


def push_view(uow: UnitOfWork, segment: Segment) -> PushView:
    """The tag-push card of a segment, from what segments_tag_push keeps."""
    latest = tags.latest_push(uow, shop_id=segment.shop_id, segment_id=segment.id)
    if segment.subject is not Subject.CUSTOMER:
        reason: str | None = "Only customer segments can be pushed: Shopify tags customers, not companies."
    elif not segment.shopify_tag:
        reason = "Not pushed to Shopify. Give the segment a Shopify tag (Edit segment) to tag its members."
    else:
        reason = None
    if latest is None:
        label, tone = "Never pushed", None
    else:
        label, tone = STATUS_LABELS[latest.status]
    busy = latest is not None and latest.status in tags.ACTIVE
    at = None if latest is None else (latest.created_at if busy else latest.finished_at)
    return PushView(reason is None, reason, latest, label, tone, busy, at)


def _pushed_message(push: SegmentTagPush) -> str:
    """The flash after "Push now": the result when it already ran (inline mode), else that it is queued."""
    if push.status is TagPushStatus.SUCCEEDED:
        failed = f", {push.failed:,} refused by Shopify" if push.failed else ""
        return (
            f"Tag “{push.tag}” pushed to Shopify: added to {push.added:,}, "
            f"removed from {push.removed:,}{failed}."
        )
    if push.status is TagPushStatus.FAILED:
        return f"The push of the tag “{push.tag}” failed: {push.error or 'no reason given'}."
    return f"Push of the tag “{push.tag}” to Shopify queued; this page shows its result when it finishes."


@bp.post("/<int:segment_id>/push-tags", endpoint="push_tags")
@admin_required
def push_tags(segment_id: int) -> ResponseReturnValue:
    """Queue a push of the segment's Shopify tag now; one already under way is reported, not doubled."""
    check_csrf()
    back = admin_url("segments.segment", segment_id=segment_id)
    with uow_() as uow:
        shop = load_shop(uow)
        try:
            push = jobs_tags.request_push(uow, shop_id=shop.id, segment_id=segment_id)
        except NotFound:
            not_found()
        except (Conflict, InvalidInput) as exc:
            reason = exc.detail.partition("shopify_tag: ")[2] or exc.detail
            flash(reason[:1].upper() + reason[1:])
            return redirect(back, code=303)
        uow.commit()
        # Inline mode (no Redis) ran the job at the commit, in another session: show what it left.
        uow.session.refresh(push)
        message = _pushed_message(push)
    flash(message)
    return redirect(back, code=303)
