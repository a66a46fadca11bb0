"""Price lists themselves: create, update, transitions, schedule, duplicate, delete, reads, precedence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.db import UnitOfWork, utcnow
from app.errors import Conflict, InvalidInput, NotFound
from pricing.models import (
    Precedence,
    PriceBase,
    PriceEntry,
    PriceList,
    PriceListStatus,
    QuantityRule,
    TierKind,
)
from pricing.service import lists
from pricing.service.lists import price_lists
from pricing.validation import PricingInputError
from tests.pricing_lists_support import Catalog, add_catalog, make_shop, snapshot


@pytest.fixture
def catalog(uow: UnitOfWork) -> Catalog:
    return add_catalog(uow, make_shop(uow))


@pytest.fixture
def other(uow: UnitOfWork, catalog: Catalog) -> Catalog:
    """A second shop with its own catalog and a list."""
    shop_id = make_shop(uow, domain="other.myshopify.com")
    data = add_catalog(uow, shop_id, base=2000)
    lists.create_price_list(uow, shop_id=shop_id, name="Theirs")
    return data


def _list(uow: UnitOfWork, catalog: Catalog, name: str = "Wholesale", **fields: object) -> PriceList:
    return lists.create_price_list(uow, shop_id=catalog.shop_id, name=name, **fields)


# -- create ---------------------------------------------------------------------------------------


def test_create_makes_a_draft_in_the_shops_currency(uow: UnitOfWork, catalog: Catalog) -> None:
    # when
    created = lists.create_price_list(
        uow,
        shop_id=catalog.shop_id,
        name="  Wholesale   default ",
        description=" For every buyer ",
        priority="5",
        base="compare_at",
        order_minimum="250.00",
    )
    # then
    row = uow.session.get(PriceList, created.id)
    assert row is not None
    assert (row.name, row.currency, row.status, row.priority, row.base) == (
        "Wholesale default",
        "USD",
        PriceListStatus.DRAFT,
        5,
        PriceBase.COMPARE_AT,
    )
    assert row.description == "For every buyer"
    assert row.order_minimum == Decimal("250.00")
    assert (row.starts_at, row.ends_at) == (None, None)


def test_create_takes_another_currency_and_a_window(uow: UnitOfWork, catalog: Catalog) -> None:
    start = datetime(2026, 12, 1, tzinfo=UTC)
    created = _list(uow, catalog, currency="eur", starts_at=start, ends_at=start + timedelta(days=31))
    assert created.currency == "EUR"
    assert created.starts_at == start
    assert created.ends_at == datetime(2027, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"name": "   "}, "name", "needs a name"),
        ({"name": "x" * 256}, "name", "longer than 255"),
        ({"currency": "dollars"}, "currency", "not a currency code"),
        ({"priority": 1.5}, "priority", "not a whole number"),
        ({"priority": 2_000_000}, "priority", "between"),
        ({"base": "cost"}, "base", "not one of retail, compare_at"),
        ({"order_minimum": "-5"}, "order_minimum", "negative"),
        ({"order_minimum": "0"}, "order_minimum", "greater than zero"),
        ({"order_minimum": "10.005"}, "order_minimum", "more decimals than USD allows"),
        ({"currency": "JPY", "order_minimum": "10.5"}, "order_minimum", "more decimals than JPY allows"),
        ({"starts_at": datetime(2026, 1, 1)}, "starts_at", "needs a timezone"),  # noqa: DTZ001
        ({"starts_at": "2026-01-01"}, "starts_at", "not a date and time"),
        (
            {"starts_at": datetime(2026, 2, 1, tzinfo=UTC), "ends_at": datetime(2026, 2, 1, tzinfo=UTC)},
            "ends_at",
            "end must come after the start",
        ),
        ({"description": 5}, "description", "must be text"),
    ],
)
def test_create_refuses_bad_fields_and_changes_nothing(
    uow: UnitOfWork, catalog: Catalog, fields: dict[str, object], field: str, message: str
) -> None:
    # given
    before = snapshot(uow)
    values: dict[str, object] = {"name": "Wholesale", **fields}
    # when
    with pytest.raises(PricingInputError) as caught:
        lists.create_price_list(uow, shop_id=catalog.shop_id, **values)  # type: ignore[arg-type]
    # then
    assert caught.value.field == field
    assert message in caught.value.detail
    assert caught.value.status == 422
    assert snapshot(uow) == before


def test_names_are_unique_per_shop_ignoring_case(uow: UnitOfWork, catalog: Catalog, other: Catalog) -> None:
    _list(uow, catalog, "Wholesale")
    before = snapshot(uow)
    with pytest.raises(Conflict, match="A price list named 'WHOLESALE' already exists"):
        _list(uow, catalog, "WHOLESALE")
    assert snapshot(uow) == before
    # Another shop's list of the same name is no conflict.
    assert lists.create_price_list(uow, shop_id=other.shop_id, name="Wholesale").name == "Wholesale"


def test_a_name_taken_between_check_and_insert_is_a_conflict(
    uow: UnitOfWork, catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: a concurrent request created the name after this one checked it (the check is skipped here)
    _list(uow, catalog, "Wholesale")
    monkeypatch.setattr(price_lists, "_check_name_free", lambda *args, **kwargs: None)
    before = snapshot(uow)
    # when / then: the unique constraint decides, as a Conflict
    with pytest.raises(Conflict, match="A price list named 'Wholesale' already exists"):
        _list(uow, catalog, "Wholesale")
    assert snapshot(uow) == before


# -- update ---------------------------------------------------------------------------------------


def test_update_changes_only_the_fields_given(uow: UnitOfWork, catalog: Catalog) -> None:
    created = _list(uow, catalog, description="Old", priority=3, order_minimum="100")
    updated = lists.update_price_list(
        uow, shop_id=catalog.shop_id, price_list_id=created.id, name="Renamed", order_minimum=None
    )
    assert (updated.name, updated.description, updated.priority, updated.order_minimum) == (
        "Renamed",
        "Old",
        3,
        None,
    )


def test_update_keeps_its_own_name_in_another_case(uow: UnitOfWork, catalog: Catalog) -> None:
    created = _list(uow, catalog, "Wholesale")
    updated = lists.update_price_list(
        uow, shop_id=catalog.shop_id, price_list_id=created.id, name="WholeSale"
    )
    assert updated.name == "WholeSale"


def test_update_refuses_a_taken_name(uow: UnitOfWork, catalog: Catalog) -> None:
    _list(uow, catalog, "A")
    second = _list(uow, catalog, "B")
    before = snapshot(uow)
    with pytest.raises(Conflict, match="named 'a' already exists"):
        lists.update_price_list(uow, shop_id=catalog.shop_id, price_list_id=second.id, name="a", priority=9)
    assert snapshot(uow) == before


def test_update_checks_the_window_against_the_stored_end(uow: UnitOfWork, catalog: Catalog) -> None:
    created = _list(uow, catalog, ends_at=datetime(2026, 6, 1, tzinfo=UTC))
    before = snapshot(uow)
    with pytest.raises(PricingInputError, match="end must come after the start") as caught:
        lists.update_price_list(
            uow,
            shop_id=catalog.shop_id,
            price_list_id=created.id,
            starts_at=datetime(2026, 7, 1, tzinfo=UTC),
            priority=4,
        )
    assert caught.value.field == "ends_at"
    assert snapshot(uow) == before


def test_currency_changes_only_while_the_list_is_empty(uow: UnitOfWork, catalog: Catalog) -> None:
    created = _list(uow, catalog, order_minimum="100.50")
    assert (
        lists.update_price_list(
            uow, shop_id=catalog.shop_id, price_list_id=created.id, currency="EUR"
        ).currency
        == "EUR"
    )
    # A minimum the new currency cannot hold is refused.
    before = snapshot(uow)
    with pytest.raises(PricingInputError, match="more decimals than JPY allows"):
        lists.update_price_list(uow, shop_id=catalog.shop_id, price_list_id=created.id, currency="JPY")
    assert snapshot(uow) == before
    lists.set_entry(
        uow, shop_id=catalog.shop_id, price_list_id=created.id, variant_id=catalog.variants[0].id, price="5"
    )
    before = snapshot(uow)
    with pytest.raises(Conflict, match="already holds prices in EUR"):
        lists.update_price_list(uow, shop_id=catalog.shop_id, price_list_id=created.id, currency="USD")
    assert snapshot(uow) == before


def test_archived_lists_cannot_be_edited(uow: UnitOfWork, catalog: Catalog) -> None:
    created = _list(uow, catalog)
    lists.archive_price_list(uow, shop_id=catalog.shop_id, price_list_id=created.id)
    before = snapshot(uow)
    with pytest.raises(Conflict, match="'Wholesale' is archived and cannot change"):
        lists.update_price_list(uow, shop_id=catalog.shop_id, price_list_id=created.id, name="New")
    with pytest.raises(Conflict, match="archived"):
        lists.set_entry(
            uow,
            shop_id=catalog.shop_id,
            price_list_id=created.id,
            variant_id=catalog.variants[0].id,
            price="1",
        )
    with pytest.raises(Conflict, match="archived"):
        lists.add_assignment(uow, shop_id=catalog.shop_id, price_list_id=created.id, target="default")
    with pytest.raises(Conflict, match="archived"):
        lists.set_quantity_rule(uow, shop_id=catalog.shop_id, price_list_id=created.id, variant_id=None)
    with pytest.raises(Conflict, match="archived"):
        lists.schedule_price_list(
            uow, shop_id=catalog.shop_id, price_list_id=created.id, starts_at=utcnow(), ends_at=None
        )
    assert snapshot(uow) == before


# -- transitions ----------------------------------------------------------------------------------


def test_activate_archive_and_their_repeats(uow: UnitOfWork, catalog: Catalog) -> None:
    created = _list(uow, catalog)
    shop_id = catalog.shop_id
    assert (
        lists.activate_price_list(uow, shop_id=shop_id, price_list_id=created.id).status
        is PriceListStatus.ACTIVE
    )
    assert (
        lists.activate_price_list(uow, shop_id=shop_id, price_list_id=created.id).status
        is PriceListStatus.ACTIVE
    )
    assert (
        lists.archive_price_list(uow, shop_id=shop_id, price_list_id=created.id).status
        is PriceListStatus.ARCHIVED
    )
    assert (
        lists.archive_price_list(uow, shop_id=shop_id, price_list_id=created.id).status
        is PriceListStatus.ARCHIVED
    )


def test_an_archived_list_cannot_be_activated(uow: UnitOfWork, catalog: Catalog) -> None:
    created = _list(uow, catalog)
    lists.archive_price_list(uow, shop_id=catalog.shop_id, price_list_id=created.id)
    before = snapshot(uow)
    with pytest.raises(Conflict, match="archived and cannot be activated again: duplicate it"):
        lists.activate_price_list(uow, shop_id=catalog.shop_id, price_list_id=created.id)
    assert snapshot(uow) == before


def test_a_list_whose_window_ended_cannot_be_activated(uow: UnitOfWork, catalog: Catalog) -> None:
    created = _list(uow, catalog, ends_at=utcnow() - timedelta(days=1))
    before = snapshot(uow)
    with pytest.raises(Conflict, match=r"ended on .* move its end date"):
        lists.activate_price_list(uow, shop_id=catalog.shop_id, price_list_id=created.id)
    assert snapshot(uow) == before


def test_schedule_sets_the_window_and_activates(uow: UnitOfWork, catalog: Catalog) -> None:
    created = _list(uow, catalog)
    start = utcnow() + timedelta(days=2)
    end = start + timedelta(days=30)
    scheduled = lists.schedule_price_list(
        uow, shop_id=catalog.shop_id, price_list_id=created.id, starts_at=start, ends_at=end
    )
    assert (scheduled.status, scheduled.starts_at, scheduled.ends_at) == (PriceListStatus.ACTIVE, start, end)


@pytest.mark.parametrize(
    ("start_days", "end_days", "field", "message"),
    [
        (None, None, "starts_at", "Give a start, an end or both"),
        (5, 1, "ends_at", "end must come after the start"),
        (None, -1, "ends_at", "end is in the past"),
    ],
)
def test_schedule_refuses_bad_windows(
    uow: UnitOfWork, catalog: Catalog, start_days: int | None, end_days: int | None, field: str, message: str
) -> None:
    created = _list(uow, catalog)
    now = utcnow()
    before = snapshot(uow)
    with pytest.raises(PricingInputError, match=message) as caught:
        lists.schedule_price_list(
            uow,
            shop_id=catalog.shop_id,
            price_list_id=created.id,
            starts_at=None if start_days is None else now + timedelta(days=start_days),
            ends_at=None if end_days is None else now + timedelta(days=end_days),
        )
    assert caught.value.field == field
    assert snapshot(uow) == before


def test_only_drafts_can_be_deleted(uow: UnitOfWork, catalog: Catalog) -> None:
    draft = _list(uow, catalog, "Draft")
    lists.set_entry(
        uow, shop_id=catalog.shop_id, price_list_id=draft.id, variant_id=catalog.variants[0].id, price="5"
    )
    lists.add_assignment(uow, shop_id=catalog.shop_id, price_list_id=draft.id, target="default")
    active = _list(uow, catalog, "Live")
    lists.activate_price_list(uow, shop_id=catalog.shop_id, price_list_id=active.id)
    # when
    lists.delete_price_list(uow, shop_id=catalog.shop_id, price_list_id=draft.id)
    # then: gone with its contents
    assert (
        uow.session.scalar(select(func.count()).select_from(PriceList).where(PriceList.id == draft.id)) == 0
    )
    assert uow.session.scalar(select(func.count()).select_from(PriceEntry)) == 0
    before = snapshot(uow)
    with pytest.raises(Conflict, match="'Live' is active: only drafts can be deleted, archive it instead"):
        lists.delete_price_list(uow, shop_id=catalog.shop_id, price_list_id=active.id)
    assert snapshot(uow) == before


# -- duplicate ------------------------------------------------------------------------------------


def test_duplicate_copies_everything_as_a_draft(uow: UnitOfWork, catalog: Catalog) -> None:
    # given an active list with one of everything
    shop_id = catalog.shop_id
    source = _list(uow, catalog, "Wholesale", priority=7, order_minimum="99.00")
    variant = catalog.variants[0]
    lists.set_entry(uow, shop_id=shop_id, price_list_id=source.id, variant_id=variant.id, price="8.00")
    lists.set_adjustment(uow, shop_id=shop_id, price_list_id=source.id, scope="all", percent="-30")
    lists.replace_tiers(
        uow,
        shop_id=shop_id,
        price_list_id=source.id,
        variant_id=variant.id,
        tiers=[lists.TierInput(10, TierKind.FIXED, Decimal("7.50"))],
    )
    lists.replace_tiers(
        uow,
        shop_id=shop_id,
        price_list_id=source.id,
        variant_id=None,
        tiers=[{"min_quantity": 50, "kind": "percent_off", "value": "5"}],
    )
    lists.set_quantity_rule(
        uow, shop_id=shop_id, price_list_id=source.id, variant_id=None, increment=2, minimum=2
    )
    lists.add_assignment(
        uow, shop_id=shop_id, price_list_id=source.id, target="company", company_id=catalog.company.id
    )
    lists.activate_price_list(uow, shop_id=shop_id, price_list_id=source.id)
    # when
    copy = lists.duplicate_price_list(uow, shop_id=shop_id, price_list_id=source.id)
    second = lists.duplicate_price_list(uow, shop_id=shop_id, price_list_id=source.id, with_assignments=False)
    # then
    assert (copy.name, copy.status, copy.priority, copy.order_minimum) == (
        "Wholesale (copy)",
        PriceListStatus.DRAFT,
        7,
        Decimal("99.00"),
    )
    summary = lists.get_price_list_summary(uow, shop_id=shop_id, price_list_id=copy.id)
    assert (
        summary.entries_count,
        summary.adjustments_count,
        summary.tiers_count,
        summary.rules_count,
        summary.assignments_count,
    ) == (1, 1, 2, 1, 1)
    assert second.name == "Wholesale (copy 2)"
    assert lists.get_price_list_summary(uow, shop_id=shop_id, price_list_id=second.id).assignments_count == 0
    copied_tiers = lists.list_tiers(uow, shop_id=shop_id, price_list_id=copy.id)
    assert [(t.variant_id, t.min_quantity, t.kind, t.value) for t in copied_tiers] == [
        (None, 50, TierKind.PERCENT_OFF, Decimal("5")),
        (variant.id, 10, TierKind.FIXED, Decimal("7.50")),
    ]
    entry = uow.session.scalars(select(PriceEntry).where(PriceEntry.price_list_id == copy.id)).one()
    assert (entry.variant_id, entry.price) == (variant.id, Decimal("8.00"))
    rule = uow.session.scalars(select(QuantityRule).where(QuantityRule.price_list_id == copy.id)).one()
    assert (rule.variant_id, rule.minimum, rule.maximum, rule.increment) == (None, 2, None, 2)
    # the source is untouched
    assert lists.get_price_list_summary(uow, shop_id=shop_id, price_list_id=source.id).tiers_count == 2


def test_duplicate_with_a_taken_name_is_a_conflict(uow: UnitOfWork, catalog: Catalog) -> None:
    source = _list(uow, catalog, "A")
    _list(uow, catalog, "B")
    before = snapshot(uow)
    with pytest.raises(Conflict):
        lists.duplicate_price_list(uow, shop_id=catalog.shop_id, price_list_id=source.id, name="b")
    assert snapshot(uow) == before


# -- reads ----------------------------------------------------------------------------------------


def test_list_price_lists_counts_filters_and_pages(uow: UnitOfWork, catalog: Catalog, other: Catalog) -> None:
    shop_id = catalog.shop_id
    first = _list(uow, catalog, "Alpha wholesale", priority=1)
    _list(uow, catalog, "Beta", priority=3)
    third = _list(uow, catalog, "Gamma wholesale", priority=2)
    for variant in catalog.variants[:3]:
        lists.set_entry(uow, shop_id=shop_id, price_list_id=first.id, variant_id=variant.id, price="1")
    lists.add_assignment(uow, shop_id=shop_id, price_list_id=first.id, target="default")
    lists.add_assignment(
        uow, shop_id=shop_id, price_list_id=first.id, target="customer_tag", customer_tag="vip"
    )
    lists.activate_price_list(uow, shop_id=shop_id, price_list_id=third.id)
    # when
    page = lists.list_price_lists(uow, shop_id=shop_id, limit=2)
    rest = lists.list_price_lists(uow, shop_id=shop_id, limit=2, cursor=page.next_cursor)
    # then
    assert [(s.price_list.name, s.entries_count, s.assignments_count) for s in page.items] == [
        ("Alpha wholesale", 3, 2),
        ("Beta", 0, 0),
    ]
    assert [s.price_list.name for s in rest.items] == ["Gamma wholesale"]
    assert rest.next_cursor is None
    by_priority = lists.list_price_lists(uow, shop_id=shop_id, sort="-priority")
    assert [s.price_list.name for s in by_priority.items] == ["Beta", "Gamma wholesale", "Alpha wholesale"]
    searched = lists.list_price_lists(uow, shop_id=shop_id, search="WHOLESALE", status="active")
    assert [s.price_list.name for s in searched.items] == ["Gamma wholesale"]


def test_list_price_lists_refuses_unknown_sort_and_status(uow: UnitOfWork, catalog: Catalog) -> None:
    with pytest.raises(InvalidInput, match="sort: expected one of"):
        lists.list_price_lists(uow, shop_id=catalog.shop_id, sort="price")
    with pytest.raises(PricingInputError, match="not one of draft, active, archived"):
        lists.list_price_lists(uow, shop_id=catalog.shop_id, status="live")


def test_another_shops_list_is_not_found_everywhere(
    uow: UnitOfWork, catalog: Catalog, other: Catalog
) -> None:
    theirs = uow.session.scalars(select(PriceList).where(PriceList.shop_id == other.shop_id)).one()
    shop_id = catalog.shop_id
    before = snapshot(uow)
    calls = [
        lambda: lists.get_price_list(uow, shop_id=shop_id, price_list_id=theirs.id),
        lambda: lists.get_price_list_summary(uow, shop_id=shop_id, price_list_id=theirs.id),
        lambda: lists.update_price_list(uow, shop_id=shop_id, price_list_id=theirs.id, name="Mine"),
        lambda: lists.activate_price_list(uow, shop_id=shop_id, price_list_id=theirs.id),
        lambda: lists.archive_price_list(uow, shop_id=shop_id, price_list_id=theirs.id),
        lambda: lists.delete_price_list(uow, shop_id=shop_id, price_list_id=theirs.id),
        lambda: lists.duplicate_price_list(uow, shop_id=shop_id, price_list_id=theirs.id),
        lambda: lists.schedule_price_list(
            uow, shop_id=shop_id, price_list_id=theirs.id, starts_at=utcnow(), ends_at=None
        ),
        lambda: lists.set_entry(
            uow, shop_id=shop_id, price_list_id=theirs.id, variant_id=catalog.variants[0].id, price="1"
        ),
        lambda: lists.bulk_upsert_entries(uow, shop_id=shop_id, price_list_id=theirs.id, rows=[]),
        lambda: lists.search_entries(uow, shop_id=shop_id, price_list_id=theirs.id),
        lambda: lists.list_tiers(uow, shop_id=shop_id, price_list_id=theirs.id),
        lambda: lists.list_assignments(uow, shop_id=shop_id, price_list_id=theirs.id),
        lambda: lists.add_assignment(uow, shop_id=shop_id, price_list_id=theirs.id, target="default"),
    ]
    for call in calls:
        with pytest.raises(NotFound, match=f"price list {theirs.id} not found"):
            call()
    assert snapshot(uow) == before


# -- precedence -----------------------------------------------------------------------------------


def test_precedence_defaults_to_lowest_price_and_can_be_set(
    uow: UnitOfWork, catalog: Catalog, other: Catalog
) -> None:
    assert lists.get_precedence(uow, shop_id=catalog.shop_id) is Precedence.LOWEST_PRICE
    assert lists.set_precedence(uow, shop_id=catalog.shop_id, precedence="priority") is Precedence.PRIORITY
    assert lists.get_precedence(uow, shop_id=catalog.shop_id) is Precedence.PRIORITY
    assert lists.get_precedence(uow, shop_id=other.shop_id) is Precedence.LOWEST_PRICE
    before = snapshot(uow)
    with pytest.raises(PricingInputError, match="not one of lowest_price, priority"):
        lists.set_precedence(uow, shop_id=catalog.shop_id, precedence="random")
    assert snapshot(uow) == before


def test_contents_move_the_lists_updated_at(uow: UnitOfWork, catalog: Catalog) -> None:
    created = _list(uow, catalog)
    created.updated_at = datetime(2026, 1, 1, tzinfo=UTC)
    uow.session.flush()
    lists.set_quantity_rule(
        uow, shop_id=catalog.shop_id, price_list_id=created.id, variant_id=None, maximum=10
    )
    uow.session.expire_all()
    assert uow.session.get(PriceList, created.id).updated_at > datetime(2026, 1, 1, tzinfo=UTC)  # type: ignore[union-attr]


def test_scheduling_an_active_list_moves_its_window_and_keeps_it_active(
    uow: UnitOfWork, catalog: Catalog
) -> None:
    created = _list(uow, catalog)
    lists.activate_price_list(uow, shop_id=catalog.shop_id, price_list_id=created.id)
    end = utcnow() + timedelta(days=7)
    scheduled = lists.schedule_price_list(
        uow, shop_id=catalog.shop_id, price_list_id=created.id, starts_at=None, ends_at=end
    )
    assert (scheduled.status, scheduled.starts_at, scheduled.ends_at) == (PriceListStatus.ACTIVE, None, end)
