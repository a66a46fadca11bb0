"""The demo shop's analytics: example segments, then one computation, so the dashboard has pictures."""

from __future__ import annotations

from app.db import UnitOfWork
from segments import definitions, service
from segments.models import RunKind, SegmentRun

EXAMPLE_SEGMENTS = (
    (
        "Champions and loyal buyers",
        "customer",
        {
            "match": "all",
            "conditions": [{"field": "rfm_segment", "op": "in", "value": ["champions", "loyal"]}],
        },
    ),
    (
        "Big accounts at risk",
        "company",
        {
            "match": "all",
            "conditions": [
                {"field": "rfm_segment", "op": "in", "value": ["at_risk", "cant_lose_them", "hibernating"]},
                {"field": "total_spent", "op": "gte", "value": 5000},
            ],
        },
    ),
    (
        "Lapsed 90 days",
        "customer",
        {
            "match": "all",
            "conditions": [{"field": "last_order_at", "op": "not_within_last_days", "value": 90}],
        },
    ),
)


def seed_analytics(uow: UnitOfWork, *, shop_id: int) -> SegmentRun | None:
    """Add the example segments to a shop that has none, then compute RFM, CLV, churn and members.

    Commits (each analytics step does); a shop that already has a run is left alone.
    """
    if service.latest_run(uow, shop_id=shop_id) is not None:
        return None
    if not definitions.list_segments(uow, shop_id=shop_id):
        for name, subject, definition in EXAMPLE_SEGMENTS:
            definitions.create_segment(
                uow, shop_id=shop_id, name=name, subject=subject, definition=definition
            )
    run = service.start_run(uow, shop_id=shop_id, kind=RunKind.FULL)
    uow.commit()
    return service.execute_run(uow, shop_id=shop_id, run_id=run.id)
