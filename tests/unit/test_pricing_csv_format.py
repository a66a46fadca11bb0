"""The price-list CSV format without a database: reading, the header, one row, writing, the diff."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest

from pricing.models import TierKind
from pricing.service.csv_io.diff import Change, classify, field_changes
from pricing.service.csv_io.format import (
    EMPTY,
    CsvFileError,
    RuleSpec,
    VariantPrices,
    data_row,
    format_money,
    format_number,
    header_row,
    parse_header,
    parse_row,
)
from pricing.service.csv_io.reader import read_rows
from pricing.validation import TierInput

FULL = header_row(2)


def _row(header, **cells: str) -> list[str]:
    row = [""] * len(header)
    for name, value in cells.items():
        row[header.index(name)] = value
    return row


def _parse(list_currency: str = "USD", **cells: str):
    return parse_row(parse_header(FULL), _row(FULL, **cells), 7, list_currency)


def test_rows_come_with_the_line_they_start_on():
    data = b'\xef\xbb\xbfsku,price\r\nA,1.00\r\n\r\n,\r\n"B\r\nwith a newline",2.00\nC,3.00\n'

    assert list(read_rows(io.BytesIO(data))) == [
        (1, ["sku", "price"]),
        (2, ["A", "1.00"]),
        (5, ["B\r\nwith a newline", "2.00"]),
        (7, ["C", "3.00"]),
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("sku,price\n".encode("utf-16"), "The file is UTF-16 text, not UTF-8"),
        ("sku,price\n".encode("utf-16-be"), "Line 1 contains NUL bytes"),
        (b"sku,price\nA,1\nB\xe9,2\n", "Line 3 is not UTF-8 text (byte 0xE9 at character 2"),
        (b'sku,price\nA,"1"x\n', "Line 2 cannot be read as CSV"),
    ],
)
def test_a_file_that_cannot_be_read_names_its_line(data, message):
    with pytest.raises(CsvFileError) as refused:
        list(read_rows(io.BytesIO(data)))

    assert message in refused.value.detail


def test_the_header_is_matched_case_insensitively_in_any_order():
    header = parse_header(
        [" Price ", "SKU", "tier_2_min", "tier_2_percent_off", "tier_1_min", "tier_1_price"]
    )

    assert header.index["sku"] == 1 and header.index["price"] == 0
    assert header.tiers == ((1, 4, 5, None), (2, 2, None, 3))


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        (["sku", "price", "Colour", ""], "unknown columns: Colour, (empty, column 4)"),
        (["sku"], "the price column is required"),
        (["price"], "a sku or a variant_id column is required"),
        (["sku", "price", "SKU"], "columns given twice: sku"),
        (["sku", "price", "tier_1_price"], "tier 1 needs tier_1_min and tier_1_price or tier_1_percent_off"),
        (["", ""], "The first line must be the header row"),
    ],
)
def test_a_bad_header_names_what_is_wrong(cells, message):
    with pytest.raises(CsvFileError) as refused:
        parse_header(cells)

    assert message in refused.value.detail


def test_a_full_row_is_parsed_exactly():
    row = _parse(
        variant_id="gid://shopify/ProductVariant/40123",
        sku=" MUG-S ",
        price="14.50",
        compare_at_price="19",
        currency="usd",  # the list's, in any case
        min_qty="6",
        max_qty="600",
        increment="6",
        tier_1_min="12",
        tier_1_price="13.00",
        tier_2_min="48",
        tier_2_percent_off="12.5",
    )

    assert row.errors == []
    assert (row.line, row.sku, row.shopify_variant_id) == (7, "MUG-S", 40123)
    assert row.prices == VariantPrices(
        Decimal("14.50"),
        Decimal("19"),
        (
            TierInput(12, TierKind.FIXED, Decimal("13.00")),
            TierInput(48, TierKind.PERCENT_OFF, Decimal("12.5")),
        ),
        RuleSpec(6, 600, 6),
    )


def test_empty_cells_mean_nothing_and_rule_fields_default():
    assert _parse(sku="A").prices == EMPTY
    assert _parse(sku="A", max_qty="10").prices == VariantPrices(rule=RuleSpec(1, 10, 1))


@pytest.mark.parametrize(
    ("cells", "column", "message"),
    [
        ({"price": "-1"}, "price", "The price -1 is negative"),
        ({"price": "1,50"}, "price", "The price '1,50' is not a number"),
        ({"price": "1.505"}, "price", "The price 1.505 has more decimals than USD allows (2)"),
        ({"price": "NaN"}, "price", "The price 'NaN' is not a number"),
        ({"compare_at_price": "3"}, "compare_at_price", "A compare-at price needs a price"),
        ({"price": "3", "currency": "EUR"}, "currency", "the price is in EUR but the list is in USD"),
        ({"tier_1_min": "5"}, "tier_1", "Tier 1 needs a minimum quantity and a price or a percentage off"),
        ({"tier_1_min": "5", "tier_1_price": "2", "tier_1_percent_off": "5"}, "tier_1", "Tier 1 has both"),
        ({"tier_1_min": "1", "tier_1_price": "2"}, "tiers", "A tier starts at 2 units or more"),
        ({"tier_1_min": "1.5", "tier_1_price": "2"}, "tier_1_min", "The tier 1 minimum '1.5' is not a whole"),
        ({"tier_1_min": "5", "tier_1_percent_off": "120"}, "tier_1_percent_off", "at most 100, not 120"),
        (
            {"tier_1_min": "5", "tier_1_price": "2", "tier_2_min": "10", "tier_2_price": "3"},
            "tiers",
            "The tier at 10 units is worse for the buyer than the tier at 5",
        ),
        ({"min_qty": "0"}, "min_qty", "The minimum quantity must be at least 1, not 0"),
        ({"min_qty": "10", "max_qty": "5"}, "maximum", "The maximum 5 is below the minimum 10"),
        ({"min_qty": "5", "increment": "3"}, "increment", "With an increment of 3 the minimum of 5"),
        ({"variant_id": "12ab"}, "variant_id", "variant_id '12ab' is not a Shopify variant id"),
    ],
)
def test_each_bad_value_is_reported_by_its_column(cells, column, message):
    row = _parse(**{"sku": "A", **cells})

    assert row.prices is None
    assert [(e.line, e.column) for e in row.errors] == [(7, column)]
    assert message in row.errors[0].message


def test_a_row_with_the_wrong_number_of_cells_is_refused():
    header = parse_header(["sku", "price"])

    row = parse_row(header, ["A", "1.00", "extra"], 4, "USD")

    assert [str(e) for e in row.errors] == ["Line 4: The row has 3 cells but the header has 2"]


def test_a_zero_decimal_currency_refuses_cents():
    row = _parse("JPY", sku="A", price="1200.5")

    assert row.errors[0].message == "The price 1200.5 has more decimals than JPY allows (0)"


@pytest.mark.parametrize(
    ("value", "currency", "text"),
    [
        (Decimal("9.5000"), "USD", "9.50"),
        (Decimal("1200.0000"), "JPY", "1200"),
        (Decimal("9.1250"), "KWD", "9.125"),
        (Decimal("0E-4"), "USD", "0.00"),
        (Decimal("9.1234"), "USD", "9.1234"),
        (None, "USD", ""),
    ],
)
def test_money_is_written_with_the_currency_decimals(value, currency, text):
    assert format_money(value, currency) == text


def test_numbers_are_written_without_trailing_zeros_or_exponents():
    assert [format_number(v) for v in (Decimal("10.0000"), Decimal("12.5000"), 7, None)] == [
        "10",
        "12.5",
        "7",
        "",
    ]


def test_a_written_row_parses_back_to_the_same_values():
    prices = VariantPrices(
        Decimal("14.5000"),
        None,
        (
            TierInput(10, TierKind.PERCENT_OFF, Decimal("5.0000")),
            TierInput(20, TierKind.FIXED, Decimal("12.0000")),
        ),
        RuleSpec(2, None, 2),
    )
    cells = data_row(
        shopify_variant_id=401, sku="S", product="P", variant="V", currency="USD", prices=prices, tier_count=2
    )

    parsed = parse_row(parse_header(FULL), cells, 2, "USD")

    assert cells[4:10] == ["14.50", "", "USD", "2", "", "2"]
    assert parsed.errors == [] and parsed.prices == prices


def test_the_diff_classifies_and_names_the_changed_fields():
    old = VariantPrices(Decimal("10.0000"), None, (), RuleSpec(1, None, 1))
    new = VariantPrices(Decimal("10"), Decimal("12"), (TierInput(5, TierKind.FIXED, Decimal("9")),), None)

    assert classify(EMPTY, new) is Change.ADDED
    assert classify(old, EMPTY) is Change.REMOVED
    assert classify(old, VariantPrices(Decimal("10.00"), None, (), RuleSpec(1, None, 1))) is Change.UNCHANGED
    assert classify(EMPTY, EMPTY) is Change.UNCHANGED
    assert classify(old, new) is Change.CHANGED
    assert [(f.field, f.old, f.new) for f in field_changes(old, new, "USD")] == [
        ("compare_at_price", "", "12.00"),
        ("tiers", "", "5+ 9.00"),
        ("min_qty", "1", ""),
        ("increment", "1", ""),
    ]
