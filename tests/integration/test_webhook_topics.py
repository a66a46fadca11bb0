"""The CRM services behind the topics beyond plain upserts: merges, purchasing summaries, tag events,
email consent, draft orders and shop settings. Idempotent, newest wins, one event per change."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from app.db import UnitOfWork
from app.errors import InvalidInput
from app.models import Shop
from crm import service
from crm.models import (
    CrmCompanyContact,
    CrmCustomer,
    CrmCustomerTag,
    CrmOrder,
    CrmTimelineEvent,
    MarketingState,
)
from crm.models_drafts import CrmDraftOrder, CrmPurchasingSummary, DraftOrderStatus
from crm.service import SyncAction, topics
from tests.crm_support import customer, make_shop, order, webhook

KEPT = 706405506930370084
GONE = 706405506930370999


@pytest.fixture
def shop_id(uow: UnitOfWork) -> int:
    return make_shop(uow)


def row(uow: UnitOfWork, shop_id: int, shopify_id: int) -> CrmCustomer:
    uow.session.expire_all()
    found = uow.session.scalar(
        select(CrmCustomer).where(CrmCustomer.shop_id == shop_id, CrmCustomer.shopify_id == shopify_id)
    )
    assert found is not None
    return found


def tags(uow: UnitOfWork, customer_id: int) -> list[str]:
    return list(
        uow.session.scalars(
            select(CrmCustomerTag.tag)
            .where(CrmCustomerTag.customer_id == customer_id)
            .order_by(CrmCustomerTag.tag)
        )
    )


def events(uow: UnitOfWork, shop_id: int, kind_prefix: str = "") -> list[tuple[str, str]]:
    rows = uow.session.execute(
        select(CrmTimelineEvent.kind, CrmTimelineEvent.summary)
        .where(CrmTimelineEvent.shop_id == shop_id, CrmTimelineEvent.kind.startswith(kind_prefix))
        .order_by(CrmTimelineEvent.id)
    )
    return [(r.kind, r.summary) for r in rows]


def tag_event(name: str, tags_: list[str], at: str, customer_id: int = KEPT) -> dict[str, Any]:
    payload = webhook("customer_tags_added")
    payload.update(customerId=f"gid://shopify/Customer/{customer_id}", tags=tags_, occurredAt=at)
    return payload


# -- customers/merge ---------------------------------------------------------------------------


def merge(**fields: Any) -> dict[str, Any]:
    payload = webhook("customers_merge")
    payload.update(fields)
    return payload


def test_a_merge_moves_orders_memberships_tags_and_the_feed_to_the_kept_customer(
    uow: UnitOfWork, shop_id: int
) -> None:
    service.upsert_customer(uow, shop_id=shop_id, payload=customer(KEPT, first_name="Ana"))
    service.upsert_customer(uow, shop_id=shop_id, payload=customer(GONE, email="ana.ruiz@old.example"))
    # The embedded customer is newer than its create, so its tags (b2b, vip) apply.
    service.upsert_order(
        uow, shop_id=shop_id, payload=order(1, customer_id=GONE, customer_minute=1, total="100.00")
    )
    service.upsert_order(uow, shop_id=shop_id, payload=order(2, customer_id=KEPT, total="50.00"))
    contact = webhook("company_contacts_create")
    contact["customer_admin_graphql_api_id"] = f"gid://shopify/Customer/{GONE}"
    service.upsert_company_contact(uow, shop_id=shop_id, payload=contact)
    topics.add_customer_tags(
        uow, shop_id=shop_id, payload=tag_event("added", ["VIP"], "2026-05-05T00:00:00Z")
    )
    kept, gone = row(uow, shop_id, KEPT), row(uow, shop_id, GONE)
    gone_events = uow.session.scalar(
        select(func.count()).select_from(CrmTimelineEvent).where(CrmTimelineEvent.customer_id == gone.id)
    )

    result = topics.merge_customers(uow, shop_id=shop_id, payload=merge())

    assert (result.kept_id, result.merged, result.tags_added) == (kept.id, True, ("b2b",))
    assert result.moved == {
        "crm_company_contact.customer_id": 1,
        "crm_order.customer_id": 1,
        "crm_timeline_event.customer_id": gone_events,
    }
    kept, gone = row(uow, shop_id, KEPT), row(uow, shop_id, GONE)
    assert gone.deleted_at is not None
    assert (kept.orders_count, kept.total_spent, gone.orders_count) == (2, Decimal("150.00"), 0)
    assert kept.company_id is not None
    assert kept.company_id == uow.session.scalar(select(CrmCompanyContact.company_id))
    assert tags(uow, kept.id) == ["VIP", "b2b"]
    assert uow.session.scalar(select(CrmCompanyContact.customer_id)) == kept.id
    assert set(uow.session.scalars(select(CrmOrder.customer_id))) == {kept.id}
    assert events(uow, shop_id, "customer.merged") == [
        ("customer.merged", "Ana Ruiz merged into Ana Ruiz"),
    ]


def test_a_merge_delivered_twice_changes_nothing_the_second_time(uow: UnitOfWork, shop_id: int) -> None:
    service.upsert_customer(uow, shop_id=shop_id, payload=customer(KEPT))
    service.upsert_order(uow, shop_id=shop_id, payload=order(1, customer_id=GONE))
    topics.merge_customers(uow, shop_id=shop_id, payload=merge())
    before = events(uow, shop_id)

    again = topics.merge_customers(uow, shop_id=shop_id, payload=merge())

    assert (again.merged, again.moved, again.tags_added) == (False, {}, ())
    assert events(uow, shop_id) == before


def test_a_merge_shopify_did_not_complete_changes_nothing(uow: UnitOfWork, shop_id: int) -> None:
    service.upsert_customer(uow, shop_id=shop_id, payload=customer(GONE))
    before = events(uow, shop_id)

    result = topics.merge_customers(uow, shop_id=shop_id, payload=merge(status="failed"))

    assert (result.kept_id, result.merged) == (None, False)
    assert row(uow, shop_id, GONE).deleted_at is None
    assert events(uow, shop_id) == before


def test_merging_away_a_customer_never_seen_leaves_a_tombstone_a_late_create_cannot_revive(
    uow: UnitOfWork, shop_id: int
) -> None:
    result = topics.merge_customers(uow, shop_id=shop_id, payload=merge())
    late = service.upsert_customer(uow, shop_id=shop_id, payload=customer(GONE))

    assert result.merged is True
    assert late.action is SyncAction.STALE
    assert row(uow, shop_id, GONE).deleted_at is not None
    assert row(uow, shop_id, KEPT).shopify_updated_at is None  # known by reference until its payload comes


def test_a_merge_naming_one_customer_twice_is_refused(uow: UnitOfWork, shop_id: int) -> None:
    payload = merge(admin_graphql_api_customer_deleted_id=f"gid://shopify/Customer/{KEPT}")

    with pytest.raises(InvalidInput, match="keeps and deletes the same customer"):
        topics.merge_customers(uow, shop_id=shop_id, payload=payload)


# -- customers/purchasing_summary ------------------------------------------------------------------


def summary(**fields: Any) -> dict[str, Any]:
    payload = webhook("customers_purchasing_summary")
    payload.update(fields)
    return payload


def test_the_newest_purchasing_summary_is_kept_beside_the_crm_rollups(uow: UnitOfWork, shop_id: int) -> None:
    assert topics.record_purchasing_summary(uow, shop_id=shop_id, payload=summary()) is True
    older = summary(numberOfOrders=2, amountSpent={"amount": "500.00", "currencyCode": "USD"})
    older["occurredAt"] = "2026-05-01T00:00:00Z"
    assert topics.record_purchasing_summary(uow, shop_id=shop_id, payload=older) is False
    assert topics.record_purchasing_summary(uow, shop_id=shop_id, payload=summary()) is False

    kept = row(uow, shop_id, KEPT)
    stored = uow.session.scalars(select(CrmPurchasingSummary)).one()
    assert (stored.customer_id, stored.orders_count, stored.amount_spent, stored.currency) == (
        kept.id,
        3,
        Decimal("896.31"),
        "USD",
    )
    assert stored.last_order_shopify_id == 820982911946154508
    assert (kept.orders_count, kept.shopify_updated_at) == (0, None)  # a placeholder; rollups untouched


@pytest.mark.parametrize(
    "fields",
    [{"occurredAt": None}, {"numberOfOrders": "three"}, {"amountSpent": None}, {"customerId": None}],
)
def test_a_malformed_purchasing_summary_is_refused(
    uow: UnitOfWork, shop_id: int, fields: dict[str, Any]
) -> None:
    with pytest.raises(InvalidInput):
        topics.record_purchasing_summary(uow, shop_id=shop_id, payload=summary(**fields))
    assert uow.session.scalar(select(func.count()).select_from(CrmPurchasingSummary)) == 0


# -- customer.tags_added / customer.tags_removed ------------------------------------------------------


def test_tags_are_added_and_removed_with_one_event_each(uow: UnitOfWork, shop_id: int) -> None:
    service.upsert_customer(uow, shop_id=shop_id, payload=customer(KEPT))

    added = topics.add_customer_tags(
        uow, shop_id=shop_id, payload=tag_event("added", ["wholesale", "net-30"], "2026-05-03T09:00:00Z")
    )
    again = topics.add_customer_tags(
        uow, shop_id=shop_id, payload=tag_event("added", ["wholesale", "net-30"], "2026-05-03T09:00:00Z")
    )
    removed = topics.remove_customer_tags(
        uow, shop_id=shop_id, payload=tag_event("removed", ["NET-30"], "2026-05-03T10:00:00Z")
    )

    assert (added, again, removed) == (["wholesale", "net-30"], [], ["net-30"])
    assert tags(uow, row(uow, shop_id, KEPT).id) == ["wholesale"]
    assert events(uow, shop_id, "customer.tags") == [
        ("customer.tags_added", "Ana Ruiz: tags added: wholesale, net-30"),
        ("customer.tags_removed", "Ana Ruiz: tags removed: net-30"),
    ]


def test_an_older_tag_event_arriving_late_does_not_undo_a_newer_one(uow: UnitOfWork, shop_id: int) -> None:
    service.upsert_customer(uow, shop_id=shop_id, payload=customer(KEPT))
    # Shopify added "vip" at 09:00 and removed it at 10:00; the removal is delivered first.
    removed = topics.remove_customer_tags(
        uow, shop_id=shop_id, payload=tag_event("removed", ["vip"], "2026-05-03T10:00:00Z")
    )
    added = topics.add_customer_tags(
        uow, shop_id=shop_id, payload=tag_event("added", ["vip"], "2026-05-03T09:00:00Z")
    )

    assert (removed, added) == ([], [])
    assert tags(uow, row(uow, shop_id, KEPT).id) == []
    assert events(uow, shop_id, "customer.tags") == []


def test_tags_for_a_customer_not_seen_yet_create_it_by_reference(uow: UnitOfWork, shop_id: int) -> None:
    added = topics.add_customer_tags(
        uow, shop_id=shop_id, payload=tag_event("added", ["vip"], "2026-05-03T09:00:00Z")
    )
    service.upsert_customer(uow, shop_id=shop_id, payload=customer(KEPT))

    kept = row(uow, shop_id, KEPT)
    assert added == ["vip"]
    assert (kept.first_name, tags(uow, kept.id)) == ("Ana", ["vip"])


# -- customers_email_marketing_consent/update -----------------------------------------------------


def consent(state: str, at: str | None) -> dict[str, Any]:
    payload = webhook("customers_email_marketing_consent_update")
    payload["email_marketing_consent"].update(state=state, consent_updated_at=at)
    return payload


def test_email_consent_follows_its_newest_change(uow: UnitOfWork, shop_id: int) -> None:
    service.upsert_customer(uow, shop_id=shop_id, payload=customer(KEPT))

    results = [
        topics.update_email_marketing_consent(
            uow, shop_id=shop_id, payload=consent("subscribed", "2026-05-03T10:00:00Z")
        ),
        topics.update_email_marketing_consent(
            uow, shop_id=shop_id, payload=consent("subscribed", "2026-05-03T10:00:00Z")
        ),
        topics.update_email_marketing_consent(
            uow, shop_id=shop_id, payload=consent("not_subscribed", "2026-05-02T10:00:00Z")
        ),
        topics.update_email_marketing_consent(uow, shop_id=shop_id, payload=consent("unsubscribed", None)),
        topics.update_email_marketing_consent(
            uow, shop_id=shop_id, payload=consent("unsubscribed", "2026-05-04T10:00:00Z")
        ),
    ]

    assert results == [
        SyncAction.UPDATED,
        SyncAction.UNCHANGED,
        SyncAction.STALE,
        SyncAction.STALE,
        SyncAction.UPDATED,
    ]
    kept = row(uow, shop_id, KEPT)
    assert (kept.email_marketing_state, kept.email_marketing_opt_in_level) == (
        MarketingState.UNSUBSCRIBED,
        "confirmed_opt_in",
    )
    assert [kind for kind, _ in events(uow, shop_id, "customer.updated")] == ["customer.updated"] * 2


# -- draft_orders/update --------------------------------------------------------------------------


def test_a_draft_order_is_mirrored_linked_to_its_customer_and_follows_its_status(
    uow: UnitOfWork, shop_id: int
) -> None:
    draft = webhook("draft_orders_update")
    created = topics.upsert_draft_order(uow, shop_id=shop_id, payload=draft)
    completed = {
        **draft,
        "status": "completed",
        "completed_at": "2026-05-05T09:00:00-05:00",
        "order_id": 820982911946154508,
        "updated_at": "2026-05-05T09:00:00-05:00",
    }
    done = topics.upsert_draft_order(uow, shop_id=shop_id, payload=completed)
    stale = topics.upsert_draft_order(uow, shop_id=shop_id, payload=draft)

    assert (created.action, done.action, stale.action) == (
        SyncAction.CREATED,
        SyncAction.UPDATED,
        SyncAction.STALE,
    )
    mirror = uow.session.scalars(select(CrmDraftOrder)).one()
    customer_row = row(uow, shop_id, KEPT)
    assert (
        mirror.name,
        mirror.status,
        mirror.email,
        mirror.customer_id,
        mirror.is_b2b,
        mirror.total_price,
        mirror.line_count,
        mirror.order_shopify_id,
        mirror.payment_terms_name,
        mirror.tags,
    ) == (
        "#D174",
        DraftOrderStatus.COMPLETED,
        "ana@acme.example",
        customer_row.id,
        True,
        Decimal("298.77"),
        1,
        820982911946154508,
        "Net 30",
        "crm, quote:Q-1042",
    )
    assert [kind for kind, _ in events(uow, shop_id, "draft_order")] == [
        "draft_order.created",
        "draft_order.completed",
    ]


# -- shop/update ----------------------------------------------------------------------------------


def test_shop_update_keeps_the_shops_settings_in_step(uow: UnitOfWork, shop_id: int) -> None:
    changes = topics.apply_shop_update(uow, shop_id=shop_id, payload=webhook("shop_update"))
    again = topics.apply_shop_update(uow, shop_id=shop_id, payload=webhook("shop_update"))

    shop = uow.session.get(Shop, shop_id)
    assert shop is not None
    assert (shop.name, shop.email, shop.currency, shop.timezone, shop.plan, shop.shopify_id) == (
        "Acme Wholesale",
        "owner@acme.example",
        "EUR",
        "Europe/Berlin",
        "Shopify Plus",
        548380009,
    )
    assert sorted(changes) == ["currency", "email", "name", "plan", "shopify_id", "timezone"]
    assert again == {}


def test_a_shop_update_describing_another_shop_is_refused(uow: UnitOfWork, shop_id: int) -> None:
    payload = {**webhook("shop_update"), "myshopify_domain": "globex.myshopify.com"}

    with pytest.raises(InvalidInput, match=r"describes 'globex\.myshopify\.com'"):
        topics.apply_shop_update(uow, shop_id=shop_id, payload=payload)

    shop = uow.session.get(Shop, shop_id)
    assert shop is not None and (shop.name, shop.currency) == ("acme", "USD")
