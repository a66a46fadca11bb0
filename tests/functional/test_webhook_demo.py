"""The demo seed goes through the real intake: signed POST /webhooks, the inbox, the handlers."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from app import services
from app.demo.generator import DemoSize, generate
from app.demo.seed import deliver_demo, seed_demo
from crm.models import CrmCompany, CrmCustomer, CrmTimelineEvent
from webhooks.models import DeliveryStatus, WebhookDelivery
from webhooks.views import DEFER_PROCESSING

TODAY = date(2026, 11, 22)
SIZE = DemoSize(companies=12, retail_customers=6, history_days=240)


def rollups(shop_id: int) -> dict[str, Any]:
    with services().db.unit_of_work() as uow:
        companies = uow.session.execute(
            select(CrmCompany.shopify_id, CrmCompany.orders_count, CrmCompany.total_spent)
            .where(CrmCompany.shop_id == shop_id)
            .order_by(CrmCompany.shopify_id)
        ).all()
        customers = uow.session.execute(
            select(
                CrmCustomer.shopify_id, CrmCustomer.orders_count, CrmCustomer.total_spent, CrmCustomer.email
            )
            .where(CrmCustomer.shop_id == shop_id)
            .order_by(CrmCustomer.shopify_id)
        ).all()
    return {"companies": [tuple(r) for r in companies], "customers": [tuple(r) for r in customers]}


def inbox_of(shop_id: int) -> Counter[tuple[str, DeliveryStatus, int]]:
    with services().db.unit_of_work() as uow:
        rows = uow.session.execute(
            select(WebhookDelivery.topic, WebhookDelivery.status, WebhookDelivery.attempts).where(
                WebhookDelivery.shop_id == shop_id
            )
        )
        return Counter(tuple(r) for r in rows)  # type: ignore[misc]


def events_of(shop_id: int) -> int:
    with services().db.unit_of_work() as uow:
        return int(
            uow.session.scalar(
                select(func.count()).select_from(CrmTimelineEvent).where(CrmTimelineEvent.shop_id == shop_id)
            )
            or 0
        )


def test_the_demo_is_delivered_as_signed_webhooks_and_lands_like_a_direct_import(app: Flask) -> None:
    topics = Counter(w.topic for w in generate(today=TODAY, size=SIZE))

    result = deliver_demo(app, today=TODAY, size=SIZE)

    assert result.payloads == sum(topics.values())
    assert inbox_of(result.shop_id) == Counter(
        {(topic, DeliveryStatus.PROCESSED, 1): n for topic, n in topics.items()}
    )
    assert result.outcomes == {
        "deliveries": {"processed": result.payloads, "ignored": 0, "failed": 0, "retry": 0}
    }
    # The same data imported straight into another shop ends the same way.
    with services().db.unit_of_work() as uow:
        direct = seed_demo(uow, shop_domain="direct-demo.myshopify.com", today=TODAY, size=SIZE)
        uow.commit()
    assert result.counts == direct.counts
    assert rollups(result.shop_id) == rollups(direct.shop_id)


def test_delivering_the_demo_again_is_all_duplicates_and_changes_nothing(app: Flask) -> None:
    first = deliver_demo(app, today=TODAY, size=SIZE)
    events = events_of(first.shop_id)

    second = deliver_demo(app, today=TODAY, size=SIZE)

    assert (second.shop_id, second.payloads, second.counts) == (first.shop_id, first.payloads, first.counts)
    assert second.outcomes == {"deliveries": {"processed": 0, "ignored": 0, "failed": 0, "retry": 0}}
    assert sum(inbox_of(first.shop_id).values()) == first.payloads
    assert events_of(first.shop_id) == events
    assert app.config.get(DEFER_PROCESSING) is None  # the intake enqueues again after the demo


def test_the_demo_ends_with_analytics_and_example_segments(app: Flask) -> None:
    from segments.models import RunStatus, Segment, SegmentRun

    result = deliver_demo(app, today=TODAY, size=SIZE)

    with services().db.unit_of_work() as uow:
        runs = uow.session.scalars(select(SegmentRun).where(SegmentRun.shop_id == result.shop_id)).all()
        segments = uow.session.scalars(select(Segment).where(Segment.shop_id == result.shop_id)).all()
        assert [run.status for run in runs] == [RunStatus.SUCCEEDED]
        assert runs[0].stats["rfm_customer"]["scored"] > 0
        assert sorted(s.name for s in segments) == [
            "Big accounts at risk",
            "Champions and loyal buyers",
            "Lapsed 90 days",
        ]
        assert all(s.computed_at is not None for s in segments)
