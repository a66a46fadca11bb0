"""Segments admin page test support: a connected shop, a tagged segment."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from app import services
from app.db import UnitOfWork
from app.shops import TokenSet, store_token
from segments.models import Segment, SegmentMember, Subject
from tests.segments_metrics_support import NOW, add_customer

EVERYONE = {"match": "all", "conditions": []}


def connect(uow: UnitOfWork, shop_id: int) -> None:
    """Give the shop an offline token that may write customers (tag pushes call the Admin API)."""
    store_token(
        uow,
        services().cipher,
        shop_id=shop_id,
        tokens=TokenSet(access_token="shpat_0123456789abcdef0123456789abcdef", scope="write_customers"),
    )
    uow.commit()


def tagged_segment(
    uow: UnitOfWork,
    shop_id: int,
    *,
    tag: str | None = "vip",
    subject: Subject = Subject.CUSTOMER,
    members: Iterable[int] = (1, 2),
    at: datetime = NOW,
) -> int:
    """A segment "VIP" of everyone with the customers `members` (keys of add_customer) in it; committed."""
    keys = list(members) if subject is Subject.CUSTOMER else []
    segment = Segment(
        shop_id=shop_id,
        name="VIP",
        subject=subject,
        definition=EVERYONE,
        shopify_tag=tag,
        member_count=len(keys),
        computed_at=at,
    )
    uow.session.add(segment)
    uow.session.flush()
    for key in keys:
        customer_id = add_customer(uow, shop_id, key)
        uow.session.add(
            SegmentMember(shop_id=shop_id, segment_id=segment.id, customer_id=customer_id, entered_at=at)
        )
    uow.commit()
    return segment.id
