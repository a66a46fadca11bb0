"""Keyset pagination on a real table: every row exactly once, in a stable order, whatever the page size."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.api.pagination import MAX_LIMIT, encode_cursor, paginate
from app.api.problems import InvalidParameter
from app.models import ApiKey
from app.shops import install_shop

ROWS = 137
# Few distinct timestamps for many rows, so most of the order is decided by the id tie-breaker.
DISTINCT_TIMES = 5
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def shops(uow):
    """Two shops: acme with ROWS keys (created_at full of ties), globex with a few of its own."""
    acme = install_shop(uow, domain="acme")
    globex = install_shop(uow, domain="globex")
    for i in range(ROWS):
        uow.session.add(
            ApiKey(
                shop_id=acme.id,
                name=f"acme {i}",
                prefix=f"a{i:011d}",
                digest="0" * 64,
                # Interleaved, so insertion order (id) and created_at order differ.
                created_at=EPOCH + timedelta(minutes=(i * 3) % DISTINCT_TIMES),
            )
        )
    for i in range(4):
        uow.session.add(
            ApiKey(
                shop_id=globex.id, name=f"globex {i}", prefix=f"g{i:011d}", digest="0" * 64, created_at=EPOCH
            )
        )
    uow.commit()
    return acme, globex


def raw_cursor(payload) -> str:
    """A cursor with any payload, as a client forging one would build it."""
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()


def all_pages(
    session, stmt, *, limit, descending=False, key_columns=(ApiKey.created_at, ApiKey.id), cursor=None
):
    """Walk every page from `cursor`, returning the items in order and the number of pages."""
    items, pages = [], 0
    while True:
        page = paginate(
            session, stmt, key_columns=key_columns, limit=limit, cursor=cursor, descending=descending
        )
        pages += 1
        items.extend(page.items)
        assert len(page.items) <= limit
        if page.next_cursor is None:
            return items, pages
        assert len(page.items) == limit
        cursor = page.next_cursor


@pytest.mark.parametrize("limit", [1, 7, 50, ROWS, MAX_LIMIT])
def test_pages_cover_every_row_once_in_key_order(uow, shops, limit):
    # given
    acme, _ = shops
    stmt = select(ApiKey).where(ApiKey.shop_id == acme.id)
    expected = uow.session.scalars(stmt.order_by(ApiKey.created_at, ApiKey.id)).all()
    # when
    items, pages = all_pages(uow.session, stmt, limit=limit)
    # then
    assert [k.id for k in items] == [k.id for k in expected]
    assert len(expected) == ROWS
    assert pages == -(-ROWS // limit)
    assert {k.shop_id for k in items} == {acme.id}


def test_descending_pages_are_the_exact_reverse(uow, shops):
    acme, _ = shops
    stmt = select(ApiKey).where(ApiKey.shop_id == acme.id)

    ascending, _ = all_pages(uow.session, stmt, limit=10)
    descending, _ = all_pages(uow.session, stmt, limit=10, descending=True)

    assert [k.id for k in descending] == [k.id for k in reversed(ascending)]


def test_a_page_exactly_as_long_as_the_rest_has_no_next_cursor(uow, shops):
    acme, _ = shops
    stmt = select(ApiKey).where(ApiKey.shop_id == acme.id)

    page = paginate(uow.session, stmt, key_columns=(ApiKey.id,), limit=ROWS, cursor=None)

    assert len(page.items) == ROWS
    assert page.next_cursor is None


def test_column_selects_page_as_tuples_and_the_statements_own_order_is_replaced(uow, shops):
    acme, _ = shops
    stmt = select(ApiKey.id, ApiKey.name).where(ApiKey.shop_id == acme.id).order_by(ApiKey.name.desc())

    first = paginate(uow.session, stmt, key_columns=(ApiKey.id,), limit=3, cursor=None)
    second = paginate(uow.session, stmt, key_columns=(ApiKey.id,), limit=3, cursor=first.next_cursor)

    ids = uow.session.scalars(select(ApiKey.id).where(ApiKey.shop_id == acme.id).order_by(ApiKey.id)).all()
    assert first.items == [(ids[i], f"acme {i}") for i in range(3)]
    assert second.items == [(ids[i], f"acme {i}") for i in range(3, 6)]


def test_rows_inserted_between_pages_neither_repeat_nor_shift_the_walk(uow, shops):
    # given: the first page has been read
    acme, _ = shops
    stmt = select(ApiKey).where(ApiKey.shop_id == acme.id)
    first = paginate(uow.session, stmt, key_columns=(ApiKey.id,), limit=10, cursor=None)
    # when: a row lands after the cursor's position, then the walk goes on
    uow.session.add(ApiKey(shop_id=acme.id, name="late", prefix="late00000000", digest="0" * 64))
    uow.commit()
    rest, _ = all_pages(uow.session, stmt, limit=10, key_columns=(ApiKey.id,), cursor=first.next_cursor)
    # then
    seen = [k.id for k in first.items] + [k.id for k in rest]
    assert len(seen) == len(set(seen)) == ROWS + 1
    assert rest[-1].name == "late"


def test_the_scope_of_the_statement_holds_on_every_page(uow, shops):
    _, globex = shops
    stmt = select(ApiKey).where(ApiKey.shop_id == globex.id)

    items, pages = all_pages(uow.session, stmt, limit=3)

    assert [k.name for k in items] == ["globex 0", "globex 1", "globex 2", "globex 3"]
    assert pages == 2


@pytest.mark.parametrize(
    "cursor",
    [
        "not base64 !!",
        "e30",  # {} : not a list
        raw_cursor([1]),  # one value for two key columns
        raw_cursor(["2026-01-01", 5]),  # a string where the datetime goes
        raw_cursor([{"dt": "2026-01-01T00:00:00"}, 5]),  # naive datetime
        raw_cursor([{"dt": "2026-01-01T00:00:00+00:00"}, "5"]),  # a string where the id goes
        raw_cursor([{"dt": "2026-01-01T00:00:00+00:00"}, True]),  # a boolean where the id goes
        raw_cursor([{"dt": "x"}, 5]),
        raw_cursor([{"dt": "2026-01-01T00:00:00+00:00", "x": 1}, 5]),
        encode_cursor([datetime(2026, 1, 1, tzinfo=UTC), 5])[:-3],  # truncated
    ],
)
def test_a_garbled_or_tampered_cursor_is_refused(uow, shops, cursor):
    acme, _ = shops
    stmt = select(ApiKey).where(ApiKey.shop_id == acme.id)

    with pytest.raises(InvalidParameter) as refused:
        paginate(uow.session, stmt, key_columns=(ApiKey.created_at, ApiKey.id), limit=5, cursor=cursor)

    assert refused.value.errors == [{"parameter": "cursor", "detail": refused.value.detail}]
