"""A price list's own timeline: the service writes who did what, the list's page shows it."""

from __future__ import annotations

import io
from datetime import timedelta
from html import unescape

import pytest
from sqlalchemy import func, select

from app.db import utcnow
from crm.models import CrmTimelineEvent, SubjectType
from pricing import timeline
from pricing.service import csv_io, lists
from pricing.service.csv_io import ImportMode
from tests import pricing_support as ps
from tests.admin_support import CSRF, add_acme, card_html, sign_in_with_csrf
from tests.pricing_csv_support import csv_bytes


@pytest.fixture
def shop(uow):
    return add_acme(uow)


@pytest.fixture
def signed_in(client, shop):
    return sign_in_with_csrf(client, shop.id)


def events_of(uow, shop_id: int, price_list_id: int) -> list[tuple[str, str, str]]:
    """(kind, actor, summary) of the list's events, oldest first."""
    uow.session.expire_all()
    found = timeline.list_events(uow, shop_id=shop_id, price_list_id=price_list_id)
    return [(e.kind, e.actor, e.summary) for e in reversed(found)]


def test_every_change_to_a_list_lands_on_its_timeline_with_who_made_it(uow, shop):
    # given
    price_list = lists.create_price_list(uow, shop_id=shop.id, name="Wholesale", actor="Dana Reyes")
    # when
    lists.update_price_list(
        uow, shop_id=shop.id, price_list_id=price_list.id, name="Wholesale EU", priority=5, actor="Dana Reyes"
    )
    # the same name again: nothing changes, nothing is written
    lists.update_price_list(uow, shop_id=shop.id, price_list_id=price_list.id, name="Wholesale EU")
    lists.activate_price_list(uow, shop_id=shop.id, price_list_id=price_list.id, actor="API: ERP")
    start = (utcnow() + timedelta(days=2)).replace(microsecond=0)
    lists.schedule_price_list(
        uow, shop_id=shop.id, price_list_id=price_list.id, starts_at=start, ends_at=None, actor="Dana Reyes"
    )
    copy = lists.duplicate_price_list(uow, shop_id=shop.id, price_list_id=price_list.id, actor="Sam Ortiz")
    lists.archive_price_list(uow, shop_id=shop.id, price_list_id=price_list.id, actor="Dana Reyes")
    lists.archive_price_list(uow, shop_id=shop.id, price_list_id=price_list.id, actor="Dana Reyes")  # no-op
    # then
    assert events_of(uow, shop.id, price_list.id) == [
        ("price_list.created", "Dana Reyes", "Created as a draft in EUR"),
        ("price_list.updated", "Dana Reyes", "Changed name, priority"),
        ("price_list.activated", "API: ERP", "Activated"),
        ("price_list.scheduled", "Dana Reyes", f"Scheduled from {start:%Y-%m-%d %H:%M} UTC"),
        ("price_list.archived", "Dana Reyes", "Archived"),
    ]
    assert events_of(uow, shop.id, copy.id) == [
        ("price_list.duplicated", "Sam Ortiz", "Duplicated from 'Wholesale EU'"),
    ]
    kind = CrmTimelineEvent.kind
    updated = uow.session.scalar(select(CrmTimelineEvent).where(kind == "price_list.updated"))
    assert updated.data == {"name": ["Wholesale", "Wholesale EU"], "priority": ["0", "5"]}
    assert (updated.customer_id, updated.company_id) == (None, None)  # on no account's feed


def test_deleting_a_draft_takes_its_timeline_along(uow, shop):
    price_list = lists.create_price_list(uow, shop_id=shop.id, name="Scratch")
    lists.delete_price_list(uow, shop_id=shop.id, price_list_id=price_list.id)
    left = uow.session.scalar(
        select(func.count()).where(CrmTimelineEvent.subject_type == SubjectType.PRICE_LIST)
    )
    assert left == 0


def test_the_list_page_shows_the_timeline_with_the_signed_in_staff_member(signed_in, uow, shop):
    # given: a draft made on the page, then activated there
    created = signed_in.post("/pricing/new", data={"csrf_token": CSRF, "name": "Trade", "priority": "0"})
    assert created.status_code == 303
    price_list_id = int(created.headers["Location"].rstrip("/").split("/")[-1].split("?")[0])
    assert signed_in.post(f"/pricing/{price_list_id}/activate", data={"csrf_token": CSRF}).status_code == 303
    # when
    page = unescape(signed_in.get(f"/pricing/{price_list_id}").get_data(as_text=True))
    # then: newest first, with the staff member's name
    card = card_html(page, "timeline")
    assert card.index("Activated") < card.index("Created as a draft in EUR")
    assert card.count("Dana Reyes") == 2


def test_a_list_with_no_events_explains_what_the_timeline_will_show(signed_in, uow, shop):
    price_list = ps.make_price_list(uow, shop.id, "Imported", currency="EUR")  # written without the service
    uow.commit()
    page = unescape(signed_in.get(f"/pricing/{price_list.id}").get_data(as_text=True))
    assert "No changes recorded yet." in card_html(page, "timeline")


def test_an_applied_csv_import_lands_on_the_timeline_with_its_counts_and_a_dry_run_does_not(uow, shop):
    # given: a list holding one price, and a file that changes it and adds another
    price_list = ps.make_price_list(uow, shop.id, "Trade", currency="EUR")
    product = ps.make_product(uow, shop.id, title="Tea")
    first = ps.make_variant(uow, shop.id, product, sku="T-1")
    ps.make_variant(uow, shop.id, product, sku="T-2")
    ps.add_entry(uow, price_list, first, "4.00")
    data = csv_bytes([["T-1", "3.50", "", "", "", "", "", ""], ["T-2", "7.00", "", "", "", "", "", ""]])
    # when
    report = csv_io.dry_run(
        uow, shop_id=shop.id, price_list_id=price_list.id, stream=io.BytesIO(data), mode=ImportMode.MERGE
    )
    assert events_of(uow, shop.id, price_list.id) == []
    csv_io.apply_import(
        uow,
        shop_id=shop.id,
        price_list_id=price_list.id,
        stream=io.BytesIO(data),
        mode=ImportMode.MERGE,
        fingerprint=report.fingerprint,
        digest=report.digest,
        actor="Dana Reyes",
    )
    # then
    assert events_of(uow, shop.id, price_list.id) == [
        (
            "price_list.entries_imported",
            "Dana Reyes",
            "Imported prices from a CSV file (merge): 1 added, 1 changed, 0 removed, 0 unchanged",
        )
    ]
