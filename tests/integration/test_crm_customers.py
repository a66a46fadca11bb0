"""Customer sync: newest payload wins, duplicates are no-ops, deletes are soft, shops are isolated."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from app.db import UnitOfWork
from app.errors import InvalidInput, NotFound
from crm import service
from crm.models import CrmCustomer, CrmCustomerTag, CrmTimelineEvent, CustomerState
from crm.service import SyncAction
from tests.crm_support import customer, make_shop, order

CUSTOMER_ID = 706405506930370084


def _customers(uow: UnitOfWork, shop_id: int) -> list[CrmCustomer]:
    return list(uow.session.scalars(select(CrmCustomer).where(CrmCustomer.shop_id == shop_id)))


def _events(uow: UnitOfWork, shop_id: int) -> list[tuple[str, str]]:
    rows = uow.session.execute(
        select(CrmTimelineEvent.kind, CrmTimelineEvent.summary)
        .where(CrmTimelineEvent.shop_id == shop_id)
        .order_by(CrmTimelineEvent.id)
    )
    return [tuple(r) for r in rows]  # type: ignore[misc]


def test_customers_create_stores_the_customer_and_one_event(uow: UnitOfWork) -> None:
    shop_id = make_shop(uow)
    outcome = service.upsert_customer(uow, shop_id=shop_id, payload=customer())
    (row,) = _customers(uow, shop_id)
    assert outcome.action is SyncAction.CREATED and outcome.id == row.id
    assert (row.shopify_id, row.email, row.first_name, row.last_name, row.phone) == (
        CUSTOMER_ID,
        "ana@acme.example",
        "Ana",
        "Ruiz",
        "+15125550100",
    )
    assert row.state is CustomerState.DISABLED
    assert row.shopify_updated_at == datetime(2026, 5, 1, 15, 0, tzinfo=UTC)
    assert (row.orders_count, row.total_spent, row.currency) == (0, 0, "USD")
    assert row.tags == []
    assert _events(uow, shop_id) == [("customer.created", "Ana Ruiz added")]


def test_the_same_delivery_five_times_is_one_row_and_one_event(uow: UnitOfWork) -> None:
    shop_id = make_shop(uow)
    payload = customer(minute=3)
    actions = [service.upsert_customer(uow, shop_id=shop_id, payload=payload).action for _ in range(5)]
    assert actions == [SyncAction.CREATED] + [SyncAction.UNCHANGED] * 4
    assert len(_customers(uow, shop_id)) == 1
    assert len(_events(uow, shop_id)) == 1


def test_updates_in_reverse_order_keep_the_newest(uow: UnitOfWork) -> None:
    shop_id = make_shop(uow)
    service.upsert_customer(uow, shop_id=shop_id, payload=customer(minute=10, first_name="Newest"))
    stale = service.upsert_customer(uow, shop_id=shop_id, payload=customer(minute=5, first_name="Older"))
    oldest = service.upsert_customer(uow, shop_id=shop_id, payload=customer(minute=0, first_name="Oldest"))
    (row,) = _customers(uow, shop_id)
    assert (stale.action, oldest.action) == (SyncAction.STALE, SyncAction.STALE)
    assert row.first_name == "Newest"
    assert [kind for kind, _ in _events(uow, shop_id)] == ["customer.created"]


def test_a_newer_update_writes_the_change_as_old_and_new(uow: UnitOfWork) -> None:
    shop_id = make_shop(uow)
    service.upsert_customer(uow, shop_id=shop_id, payload=customer(minute=0))
    outcome = service.upsert_customer(
        uow, shop_id=shop_id, payload=customer(minute=1, state="enabled", note="Prefers email")
    )
    assert outcome.action is SyncAction.UPDATED
    assert outcome.changes == {"state": ["disabled", "enabled"], "note": [None, "Prefers email"]}
    event = uow.session.scalars(select(CrmTimelineEvent).order_by(CrmTimelineEvent.id.desc())).first()
    assert event is not None
    assert (event.kind, event.actor, event.subject_id, event.customer_id) == (
        "customer.updated",
        "shopify",
        outcome.id,
        outcome.id,
    )
    assert event.data == {"changes": {"state": ["disabled", "enabled"], "note": [None, "Prefers email"]}}
    assert event.occurred_at == datetime(2026, 5, 1, 15, 1, tzinfo=UTC)


def test_a_newer_payload_that_changes_nothing_writes_no_event(uow: UnitOfWork) -> None:
    shop_id = make_shop(uow)
    service.upsert_customer(uow, shop_id=shop_id, payload=customer(minute=0))
    outcome = service.upsert_customer(uow, shop_id=shop_id, payload=customer(minute=1))
    assert (outcome.action, outcome.changes) == (SyncAction.UPDATED, {})
    assert len(_events(uow, shop_id)) == 1
    (row,) = _customers(uow, shop_id)
    assert row.shopify_updated_at == datetime(2026, 5, 1, 15, 1, tzinfo=UTC)


def test_tags_arrive_with_orders_and_survive_customer_payloads_without_tags(uow: UnitOfWork) -> None:
    shop_id = make_shop(uow)
    service.upsert_customer(uow, shop_id=shop_id, payload=customer(minute=0))
    service.upsert_order(uow, shop_id=shop_id, payload=order(minute=5, customer_id=CUSTOMER_ID))
    # customers/update since API 2025-01 carries no tags: the stored ones stay.
    service.upsert_customer(uow, shop_id=shop_id, payload=customer(minute=9, phone="+15125550111"))
    (row,) = _customers(uow, shop_id)
    assert (row.tags, row.phone) == (["b2b", "vip"], "+15125550111")
    retag = order(minute=12, customer_id=CUSTOMER_ID)
    retag["customer"]["tags"] = "VIP, net30"
    service.upsert_order(uow, shop_id=shop_id, payload=retag)
    tags = uow.session.scalars(
        select(CrmCustomerTag.tag).where(CrmCustomerTag.customer_id == row.id).order_by(CrmCustomerTag.tag)
    ).all()
    assert tags == ["VIP", "net30"]
    last = uow.session.scalars(
        select(CrmTimelineEvent)
        .where(CrmTimelineEvent.subject_type == "customer")
        .order_by(CrmTimelineEvent.id.desc())
    ).first()
    assert last is not None and last.kind == "customer.updated"
    assert last.data["changes"]["tags"] == [["b2b", "vip"], ["VIP", "net30"]]


def test_delete_is_soft_and_idempotent(uow: UnitOfWork) -> None:
    shop_id = make_shop(uow)
    service.upsert_customer(uow, shop_id=shop_id, payload=customer())
    payload = {
        "id": CUSTOMER_ID,
        "admin_graphql_api_id": f"gid://shopify/Customer/{CUSTOMER_ID}",
        "tax_exemptions": [],
    }
    first = service.delete_customer(uow, shop_id=shop_id, payload=payload)
    again = service.delete_customer(uow, shop_id=shop_id, payload=payload)
    (row,) = _customers(uow, shop_id)
    assert (first.action, again.action) == (SyncAction.DELETED, SyncAction.UNCHANGED)
    assert row.deleted_at is not None and row.email == "ana@acme.example"  # history kept
    assert [k for k, _ in _events(uow, shop_id)] == ["customer.created", "customer.deleted"]
    assert service.crm_counts(uow, shop_id=shop_id)["customers"] == 0


def test_a_delete_that_arrives_first_keeps_the_late_create_out(uow: UnitOfWork) -> None:
    shop_id = make_shop(uow)
    service.delete_customer(uow, shop_id=shop_id, payload={"id": CUSTOMER_ID})
    late = service.upsert_customer(uow, shop_id=shop_id, payload=customer(minute=0))
    (row,) = _customers(uow, shop_id)
    assert late.action is SyncAction.STALE
    assert (row.deleted_at is not None, row.email) == (True, None)
    assert [k for k, _ in _events(uow, shop_id)] == ["customer.deleted"]


def test_the_same_shopify_id_in_two_shops_is_two_rows_and_calls_stay_in_their_shop(uow: UnitOfWork) -> None:
    shop_a = make_shop(uow, "shop-a.myshopify.com")
    shop_b = make_shop(uow, "shop-b.myshopify.com")
    service.upsert_customer(uow, shop_id=shop_a, payload=customer(minute=0, first_name="Ana A"))
    service.upsert_customer(uow, shop_id=shop_b, payload=customer(minute=0, first_name="Ana B"))
    service.upsert_customer(uow, shop_id=shop_a, payload=customer(minute=5, first_name="Ana A2"))
    service.delete_customer(uow, shop_id=shop_a, payload={"id": CUSTOMER_ID})
    (a,) = _customers(uow, shop_a)
    (b,) = _customers(uow, shop_b)
    assert a.id != b.id
    assert (a.first_name, a.deleted_at is not None) == ("Ana A2", True)
    assert (b.first_name, b.deleted_at, b.shopify_updated_at) == (
        "Ana B",
        None,
        datetime(2026, 5, 1, 15, 0, tzinfo=UTC),
    )
    assert [k for k, _ in _events(uow, shop_b)] == ["customer.created"]


def test_unknown_shop_is_not_found_and_nothing_is_written(uow: UnitOfWork) -> None:
    with pytest.raises(NotFound):
        service.upsert_customer(uow, shop_id=999999, payload=customer())
    assert uow.session.scalar(select(func.count()).select_from(CrmCustomer)) == 0


def test_a_malformed_payload_changes_nothing(uow: UnitOfWork) -> None:
    shop_id = make_shop(uow)
    service.upsert_customer(uow, shop_id=shop_id, payload=customer(minute=0))
    with pytest.raises(InvalidInput):
        service.upsert_customer(uow, shop_id=shop_id, payload=customer(minute=5, updated_at="last tuesday"))
    (row,) = _customers(uow, shop_id)
    assert row.shopify_updated_at == datetime(2026, 5, 1, 15, 0, tzinfo=UTC)
    assert len(_events(uow, shop_id)) == 1
