"""The explainer's text box: "SKU, qty" per line, every error naming its line."""

from __future__ import annotations

import pytest

from pricing.service.explain import MAX_LINES, RequestedLine, parse_lines
from pricing.validation import PricingInputError


def test_lines_take_commas_tabs_spaces_or_no_quantity():
    text = "A-1, 12\n\nB 2\t48\nC-3 7\n  Gift card  \nD;3"

    assert parse_lines(text) == [
        RequestedLine(1, "A-1", 12),
        RequestedLine(3, "B 2", 48),
        RequestedLine(4, "C-3", 7),
        RequestedLine(5, "Gift card", 1),
        RequestedLine(6, "D", 3),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("A-1, 2\nB-2, two", "Line 2: the quantity 'two' is not a whole number"),
        ("A-1, -3", "Line 1: the quantity must be at least 1, not -3"),
        ("A-1, 2.5", "Line 1: the quantity '2.5' is not a whole number"),
        ("\n \n", "Enter at least one SKU, with a quantity: “SKU, 12”"),
        (
            "\n".join(f"S{i}, 1" for i in range(MAX_LINES + 1)),
            "101 lines is more than the 100 an explanation takes",
        ),
    ],
)
def test_bad_lines_are_refused_with_their_line_number(text, message):
    with pytest.raises(PricingInputError) as error:
        parse_lines(text)
    assert (error.value.field, error.value.detail) == ("lines", message)
