"""Analytics rows go with their shop, run or segment, without foreign keys to them.

Scores, transitions, members and member events carry no foreign keys (migration 0016): these tests
prove that shop/redact, deleting a shop, a run or a segment still remove their rows (the parents'
delete triggers), and that a customers/redact leaves none pointing at a customer row that is gone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from app.db import UnitOfWork
from app.models import Shop
from app.shops import uninstall_shop
from crm.models import CrmCompany, CrmCustomer
from segments import definitions, service
from segments.definitions import delete_segment
from segments.models import (
    RunKind,
    Segment,
    SegmentMember,
    SegmentMemberEvent,
    SegmentRun,
    SegmentScore,
    SegmentTransition,
)
from tests.crm_support import make_shop
from tests.segments_support import AS_OF, generate_history
from tests.support import stored_delivery
from webhooks.compliance import handle_customers_redact, handle_shop_redact

RECEIVED_AT = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
ANALYTICS = (SegmentRun, SegmentScore, SegmentTransition, SegmentMember, SegmentMemberEvent)
CHAMPIONS = {"conditions": [{"field": "rfm_segment", "op": "in", "value": ["champions"]}]}


@dataclass(frozen=True)
class Shops:
    gone: int
    kept: int


def analytics_rows(uow: UnitOfWork, shop_id: int) -> dict[str, int]:
    """Rows of the shop in every analytics table, by table."""
    uow.session.expire_all()
    return {
        model.__tablename__: uow.session.scalar(
            select(func.count()).select_from(model).where(model.shop_id == shop_id)
        )
        for model in ANALYTICS
    }


def dangling(uow: UnitOfWork, shop_id: int) -> list[str]:
    """Score and transition rows naming a customer or company row that does not exist."""
    found = []
    for model in (SegmentScore, SegmentTransition):
        for column, parent in ((model.customer_id, CrmCustomer), (model.company_id, CrmCompany)):
            missing = uow.session.scalars(
                select(column).where(
                    model.shop_id == shop_id,
                    column.is_not(None),
                    ~select(parent.id).where(parent.id == column).exists(),
                )
            ).all()
            found += [f"{model.__tablename__}.{column.key} = {row_id}" for row_id in missing]
    return found


def analysed_shop(uow: UnitOfWork, domain: str, seed: int) -> int:
    """A shop with customers in companies, scored twice (so with moves) and a materialised segment."""
    shop_id = make_shop(uow, domain)
    generate_history(uow, shop_id, customers=120, companies=8, seed=seed)
    definitions.create_segment(
        uow, shop_id=shop_id, name="Champions", subject="customer", definition=CHAMPIONS
    )
    uow.commit()
    for as_of in (AS_OF, AS_OF + timedelta(days=200)):
        run = service.start_run(uow, shop_id=shop_id, kind=RunKind.FULL, as_of=as_of)
        uow.commit()
        service.execute_run(uow, shop_id=shop_id, run_id=run.id)
        uow.commit()
    return shop_id


@pytest.fixture
def shops(uow: UnitOfWork) -> Shops:
    return Shops(
        gone=analysed_shop(uow, "gone.myshopify.com", 11), kept=analysed_shop(uow, "kept.myshopify.com", 12)
    )


def test_shop_redact_removes_every_score_transition_and_member_of_the_shop(uow: UnitOfWork, shops: Shops):
    # given two analysed shops
    before = analytics_rows(uow, shops.gone)
    kept_before = analytics_rows(uow, shops.kept)
    assert all(before.values()), before

    # when the first is uninstalled and Shopify then sends shop/redact for it
    uninstall_shop(uow, shop_id=shops.gone)
    handle_shop_redact(
        uow, shop_id=shops.gone, payload={}, delivery=stored_delivery("shop/redact", received_at=RECEIVED_AT)
    )
    uow.commit()

    # then none of its analytics rows is left, and the other shop keeps all of its own
    assert analytics_rows(uow, shops.gone) == dict.fromkeys(before, 0)
    assert analytics_rows(uow, shops.kept) == kept_before


def test_deleting_the_shop_row_removes_its_scores_and_transitions(uow: UnitOfWork, shops: Shops):
    # given two analysed shops
    kept_before = analytics_rows(uow, shops.kept)

    # when the first shop's row is deleted as the demo reset does (the database's cascade, no redact)
    shop = uow.session.get(Shop, shops.gone)
    assert shop is not None
    uow.session.delete(shop)
    uow.commit()

    # then its analytics rows went with it, through their foreign key to the shop
    assert analytics_rows(uow, shops.gone) == dict.fromkeys(kept_before, 0)
    assert analytics_rows(uow, shops.kept) == kept_before


def test_customers_redact_leaves_no_score_or_transition_pointing_at_a_missing_customer(
    uow: UnitOfWork, shops: Shops
) -> None:
    # given a scored customer of an analysed shop
    customer: Any = uow.session.scalars(
        select(CrmCustomer)
        .join(SegmentScore, SegmentScore.customer_id == CrmCustomer.id)
        .where(CrmCustomer.shop_id == shops.gone)
        .order_by(CrmCustomer.id)
        .limit(1)
    ).one()
    rows_before = analytics_rows(uow, shops.gone)

    # when Shopify asks to erase that customer
    handle_customers_redact(
        uow,
        shop_id=shops.gone,
        payload={"customer": {"id": customer.shopify_id}, "orders_to_redact": []},
        delivery=stored_delivery("customers/redact", received_at=RECEIVED_AT),
    )
    uow.commit()

    # then the customer row is anonymised, not deleted, so every analytics row still names a real
    # customer (the scores hold no personal data: ids, figures and segments)
    uow.session.expire_all()
    erased = uow.session.get(CrmCustomer, customer.id)
    assert erased is not None and erased.email is None and erased.deleted_at is not None
    assert dangling(uow, shops.gone) == []
    assert analytics_rows(uow, shops.gone) == rows_before


def test_deleting_a_segment_removes_its_members_and_their_events(uow: UnitOfWork, shops: Shops):
    # given an analysed shop's materialised segment
    segment = uow.session.scalars(select(Segment).where(Segment.shop_id == shops.gone)).one()
    members = select(func.count()).select_from(SegmentMember).where(SegmentMember.segment_id == segment.id)
    events = (
        select(func.count())
        .select_from(SegmentMemberEvent)
        .where(SegmentMemberEvent.segment_id == segment.id)
    )
    assert uow.session.scalar(members) > 0 and uow.session.scalar(events) > 0
    kept_before = analytics_rows(uow, shops.kept)

    # when the merchant deletes it
    delete_segment(uow, shop_id=shops.gone, segment_id=segment.id)
    uow.commit()

    # then its members and events are gone, and nothing of the other shop
    assert (uow.session.scalar(members), uow.session.scalar(events)) == (0, 0)
    assert analytics_rows(uow, shops.kept) == kept_before


def test_deleting_a_run_removes_its_transitions_only(uow: UnitOfWork, shops: Shops):
    # given a shop analysed twice
    first, second = uow.session.scalars(
        select(SegmentRun).where(SegmentRun.shop_id == shops.gone).order_by(SegmentRun.id)
    ).all()
    transitions = select(func.count()).select_from(SegmentTransition)
    second_count = uow.session.scalar(transitions.where(SegmentTransition.run_id == second.id))
    assert uow.session.scalar(transitions.where(SegmentTransition.run_id == first.id)) > 0

    # when the first run is deleted
    uow.session.delete(first)
    uow.commit()

    # then its transitions went with it and the second run's stayed
    assert uow.session.scalar(transitions.where(SegmentTransition.run_id == first.id)) == 0
    assert uow.session.scalar(transitions.where(SegmentTransition.run_id == second.id)) == second_count
