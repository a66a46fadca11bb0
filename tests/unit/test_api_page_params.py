"""`limit`/`cursor` parsing and the cursor encoding, without a database."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID

import pytest

from app.api.pagination import DEFAULT_LIMIT, PageArgs, decode_cursor, encode_cursor, page_args
from app.api.problems import InvalidParameter


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({}, PageArgs(limit=DEFAULT_LIMIT, cursor=None)),
        ({"limit": "1"}, PageArgs(limit=1, cursor=None)),
        ({"limit": "250", "cursor": "abc"}, PageArgs(limit=250, cursor="abc")),
        ({"limit": "0250"}, PageArgs(limit=250, cursor=None)),
        ({"cursor": ""}, PageArgs(limit=DEFAULT_LIMIT, cursor=None)),
    ],
)
def test_page_args_are_read_with_defaults(args, expected):
    assert page_args(args) == expected


@pytest.mark.parametrize(
    ("raw", "detail"),
    [
        ("251", "limit must be from 1 to 250; got '251'."),
        ("0", "limit must be from 1 to 250; got '0'."),
        ("9" * 5000, "limit must be from 1 to 250; got '99999999999999999999...'."),
        ("abc", "limit must be an integer from 1 to 250; got 'abc'."),
        ("-1", "limit must be an integer from 1 to 250; got '-1'."),
        (" 5", "limit must be an integer from 1 to 250; got ' 5'."),
        ("1_0", "limit must be an integer from 1 to 250; got '1_0'."),
        ("2.5", "limit must be an integer from 1 to 250; got '2.5'."),
        ("", "limit must be an integer from 1 to 250; got ''."),
        ("٣", "limit must be an integer from 1 to 250; got '٣'."),
    ],
)
def test_an_unusable_limit_is_refused_with_a_clear_detail(raw, detail):
    with pytest.raises(InvalidParameter) as refused:
        page_args({"limit": raw})
    assert refused.value.detail == detail
    assert refused.value.errors == [{"parameter": "limit", "detail": detail}]
    assert refused.value.status == 400


def test_cursors_round_trip_typed_values():
    values = [
        datetime(2026, 11, 22, 14, 36, 36, 206858, tzinfo=UTC),
        date(2026, 11, 22),
        Decimal("12.50"),
        UUID("12345678-1234-5678-1234-567812345678"),
        "Acme & Co",
        42,
    ]
    cursor = encode_cursor(values)

    assert decode_cursor(cursor, [datetime, date, Decimal, UUID, str, int]) == values
    assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_a_datetime_is_not_accepted_for_a_date_key():
    cursor = encode_cursor([datetime(2026, 1, 1, tzinfo=UTC)])
    with pytest.raises(InvalidParameter):
        decode_cursor(cursor, [date])


@pytest.mark.parametrize(
    "cursor", ["%%%", "bnVsbA", "W251bGxd", "W3siZGVjIjoiTmFOIn1d", "W3siZGVjIjoieHl6In1d"]
)
def test_garbage_cursors_are_refused(cursor):
    # "null", "[null]", [{"dec":"NaN"}], [{"dec":"xyz"}]
    with pytest.raises(InvalidParameter):
        decode_cursor(cursor, [Decimal])


def test_naive_datetimes_cannot_become_cursors():
    with pytest.raises(ValueError, match="naive datetime"):
        encode_cursor([datetime(2026, 1, 1)])  # noqa: DTZ001  (the naive value under test)
