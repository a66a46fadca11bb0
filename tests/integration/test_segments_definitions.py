"""Rule-based segments: live preview, materialised membership with entered/exited events, incremental runs."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from app.db import UnitOfWork
from app.errors import Conflict, NotFound
from crm.models import CrmCompany, CrmCustomer, CrmCustomerTag
from segments import definitions, membership, service
from segments.models import MemberChange, RunKind, SegmentMember, SegmentMemberEvent, SegmentScore
from segments.rules import DefinitionError
from tests.crm_support import make_shop
from tests.segments_support import AS_OF, generate_history

BIG_SPENDERS = {"match": "all", "conditions": [{"field": "total_spent", "op": "gte", "value": 1500}]}


def _scored_shop(uow: UnitOfWork, customers: int = 300) -> int:
    shop_id = make_shop(uow)
    generate_history(uow, shop_id, customers=customers, companies=20, seed=13)
    # lifetime rollups as the CRM keeps them (the generator writes orders directly)
    for customer in uow.session.scalars(select(CrmCustomer).where(CrmCustomer.shop_id == shop_id)):
        customer.total_spent = Decimal(customer.id * 7 % 3000)
        customer.orders_count = customer.id % 9
    uow.commit()
    run = service.start_run(uow, shop_id=shop_id, kind=RunKind.RFM, as_of=AS_OF)
    uow.commit()
    service.execute_run(uow, shop_id=shop_id, run_id=run.id)
    return shop_id


def _members(uow: UnitOfWork, segment_id: int) -> set[int]:
    return set(
        uow.session.scalars(select(SegmentMember.customer_id).where(SegmentMember.segment_id == segment_id))
    )


def test_preview_counts_exactly_who_matches(uow: UnitOfWork) -> None:
    shop_id = _scored_shop(uow)
    definition = {
        "match": "all",
        "conditions": [
            {"field": "total_spent", "op": "gte", "value": 1500},
            {
                "match": "any",
                "conditions": [
                    {"field": "rfm_segment", "op": "in", "value": ["champions", "loyal", "cant_lose_them"]},
                    {"field": "orders_count", "op": "lte", "value": 2},
                ],
            },
        ],
    }
    preview = definitions.preview(uow, shop_id=shop_id, subject="customer", definition=definition, now=AS_OF)
    scores = dict(uow.session.execute(select(SegmentScore.customer_id, SegmentScore.rfm_segment)).all())
    expected = {
        c.id
        for c in uow.session.scalars(select(CrmCustomer).where(CrmCustomer.shop_id == shop_id))
        if c.total_spent >= 1500
        and (
            (scores.get(c.id) is not None and scores[c.id].value in {"champions", "loyal", "cant_lose_them"})
            or c.orders_count <= 2
        )
    }
    assert preview.count == len(expected) > 0
    assert {row["id"] for row in preview.sample} <= expected
    assert len(preview.sample) == min(10, len(expected))


def test_materialising_records_who_entered_and_who_left(uow: UnitOfWork) -> None:
    shop_id = _scored_shop(uow)
    segment = definitions.create_segment(
        uow, shop_id=shop_id, name="Big spenders", subject="customer", definition=BIG_SPENDERS
    )
    uow.commit()
    first = membership.materialise(uow, shop_id=shop_id, segment_id=segment.id, now=AS_OF)
    uow.commit()
    before = _members(uow, segment.id)
    assert first.entered == len(before) == first.members > 0 and first.exited == 0
    # when one member's spend drops and one outsider's rises
    leaver = min(before)
    joiner = min(
        uow.session.scalars(
            select(CrmCustomer.id).where(CrmCustomer.shop_id == shop_id, CrmCustomer.id.not_in(before))
        )
    )
    uow.session.execute(update(CrmCustomer).where(CrmCustomer.id == leaver).values(total_spent=Decimal(10)))
    uow.session.execute(update(CrmCustomer).where(CrmCustomer.id == joiner).values(total_spent=Decimal(9000)))
    uow.commit()
    second = membership.materialise(
        uow, shop_id=shop_id, segment_id=segment.id, now=AS_OF + timedelta(hours=1)
    )
    uow.commit()
    # then exactly those two changed, each with one event
    assert _members(uow, segment.id) == (before - {leaver}) | {joiner}
    assert (second.entered, second.exited) == (1, 1)
    events = uow.session.execute(
        select(SegmentMemberEvent.customer_id, SegmentMemberEvent.change).where(
            SegmentMemberEvent.segment_id == segment.id,
            SegmentMemberEvent.occurred_at == AS_OF + timedelta(hours=1),
        )
    ).all()
    assert sorted(events) == sorted([(leaver, MemberChange.EXITED), (joiner, MemberChange.ENTERED)])


def test_an_incremental_run_ends_where_a_full_recompute_does(uow: UnitOfWork) -> None:
    shop_id = _scored_shop(uow, customers=400)
    definition = {
        "match": "any",
        "conditions": [
            {"field": "tag", "op": "has", "value": "vip"},
            {
                "match": "all",
                "conditions": [
                    {"field": "total_spent", "op": "between", "value": [800, 2000]},
                    {"field": "rfm_segment", "op": "not_in", "value": ["lost", "hibernating"]},
                ],
            },
        ],
    }
    incremental = definitions.create_segment(
        uow, shop_id=shop_id, name="inc", subject="customer", definition=definition
    )
    full = definitions.create_segment(
        uow, shop_id=shop_id, name="full", subject="customer", definition=definition
    )
    uow.commit()
    for segment in (incremental, full):
        membership.materialise(uow, shop_id=shop_id, segment_id=segment.id, now=AS_OF)
    uow.commit()
    # when customers change after the first materialisation: spend, a tag
    later = AS_OF + timedelta(minutes=5)
    ids = list(
        uow.session.scalars(
            select(CrmCustomer.id).where(CrmCustomer.shop_id == shop_id).order_by(CrmCustomer.id)
        )
    )
    for customer_id in ids[::7]:
        uow.session.execute(
            update(CrmCustomer)
            .where(CrmCustomer.id == customer_id)
            .values(total_spent=Decimal(1000), updated_at=later)
        )
    for customer_id in ids[1::11]:
        uow.session.add(CrmCustomerTag(shop_id=shop_id, customer_id=customer_id, tag="VIP"))
        uow.session.execute(update(CrmCustomer).where(CrmCustomer.id == customer_id).values(updated_at=later))
    uow.commit()
    inc = membership.materialise(uow, shop_id=shop_id, segment_id=incremental.id, now=later, incremental=True)
    membership.materialise(uow, shop_id=shop_id, segment_id=full.id, now=later)
    uow.commit()
    assert inc.incremental
    assert _members(uow, incremental.id) == _members(uow, full.id)


def test_a_company_of_another_shop_is_not_found_and_nothing_is_saved(uow: UnitOfWork) -> None:
    shop_id = make_shop(uow)
    other = make_shop(uow, domain="other.myshopify.com")
    theirs = CrmCompany(shop_id=other, shopify_id=1, name="Theirs")
    uow.session.add(theirs)
    uow.session.flush()
    with pytest.raises(NotFound):
        definitions.create_segment(
            uow,
            shop_id=shop_id,
            name="x",
            subject="customer",
            definition={"conditions": [{"field": "company", "op": "in", "value": [theirs.id]}]},
        )
    assert definitions.list_segments(uow, shop_id=shop_id) == []


def test_names_are_unique_per_shop_and_bad_definitions_are_refused(uow: UnitOfWork) -> None:
    shop_id = make_shop(uow)
    definitions.create_segment(uow, shop_id=shop_id, name="VIP", subject="customer", definition=BIG_SPENDERS)
    with pytest.raises(Conflict):
        definitions.create_segment(
            uow, shop_id=shop_id, name="vip", subject="customer", definition=BIG_SPENDERS
        )
    with pytest.raises(DefinitionError, match="unknown field 'mood'"):
        definitions.create_segment(
            uow,
            shop_id=shop_id,
            name="Moody",
            subject="customer",
            definition={"conditions": [{"field": "mood", "op": "eq", "value": "happy"}]},
        )
    assert [s.name for s in definitions.list_segments(uow, shop_id=shop_id)] == ["VIP"]


def test_an_analytics_run_brings_segments_up_to_date(uow: UnitOfWork) -> None:
    shop_id = _scored_shop(uow)
    segment = definitions.create_segment(
        uow,
        shop_id=shop_id,
        name="Champions",
        subject="customer",
        definition={"conditions": [{"field": "rfm_segment", "op": "in", "value": ["champions"]}]},
    )
    uow.commit()
    run = service.start_run(uow, shop_id=shop_id, kind=RunKind.RFM, as_of=AS_OF)
    uow.commit()
    done = service.execute_run(uow, shop_id=shop_id, run_id=run.id)
    champions = set(
        uow.session.scalars(
            select(SegmentScore.customer_id).where(
                SegmentScore.shop_id == shop_id,
                SegmentScore.rfm_segment == "champions",
                SegmentScore.customer_id.is_not(None),
            )
        )
    )
    assert _members(uow, segment.id) == champions and champions
    assert done.stats["segments"][str(segment.id)]["members"] == len(champions)
