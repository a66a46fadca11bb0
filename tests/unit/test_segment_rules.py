"""Segment definitions: what parses, and errors that name the bad part."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from segments.models import RfmSegment, Subject
from segments.rules import DefinitionError, Group, parse_definition


def test_a_nested_definition_parses_into_typed_conditions() -> None:
    group = parse_definition(
        {
            "match": "all",
            "conditions": [
                {"field": "rfm_segment", "op": "in", "value": ["champions", "loyal"]},
                {
                    "match": "any",
                    "conditions": [
                        {"field": "churn_risk", "op": "gte", "value": 60},
                        {"field": "last_order_at", "op": "before", "value": "2026-06-01"},
                        {"field": "tag", "op": "has", "value": " VIP "},
                    ],
                },
            ],
        },
        Subject.CUSTOMER,
    )
    first, nested = group.items
    assert (first.field.name, first.op, first.value) == (
        "rfm_segment",
        "in",
        (RfmSegment.CHAMPIONS, RfmSegment.LOYAL),
    )
    assert isinstance(nested, Group) and nested.match == "any"
    assert [c.value for c in nested.items] == [Decimal(60), date(2026, 6, 1), "vip"]


@pytest.mark.parametrize(
    ("definition", "message"),
    [
        (
            {"match": "all", "conditions": [{"field": "shoe_size", "op": "eq", "value": 9}]},
            "conditions[0].field: unknown field 'shoe_size'",
        ),
        (
            {"conditions": [{"field": "orders_count", "op": "like", "value": 2}]},
            "conditions[0].op: 'like' is not an operator of 'orders_count'",
        ),
        (
            {"conditions": [{"field": "orders_count", "op": "gt", "value": "many"}]},
            "conditions[0].value: 'many' is not a number",
        ),
        (
            {"conditions": [{"field": "r_score", "op": "eq", "value": 6}]},
            "conditions[0].value: 6 is not a score from 1 to 5",
        ),
        (
            {"conditions": [{"field": "rfm_segment", "op": "in", "value": ["vips"]}]},
            "conditions[0].value[0]: 'vips' is not an RFM segment",
        ),
        (
            {"conditions": [{"field": "last_order_at", "op": "before", "value": "yesterday"}]},
            "conditions[0].value: 'yesterday' is not a date",
        ),
        (
            {"conditions": [{"field": "total_spent", "op": "between", "value": [500, 100]}]},
            "the low end 500 is above the high end 100",
        ),
        (
            {"match": "some", "conditions": [{"field": "orders_count", "op": "gt", "value": 1}]},
            "match: 'some' is not 'all' or 'any'",
        ),
        ({"match": "all", "conditions": []}, "conditions: must be a non-empty list"),
        (
            {"match": "all", "conditions": [{"match": "any", "conditions": [{"field": "tag", "op": "has"}]}]},
            "conditions[0].conditions[0].value",
        ),
        ("champions", "definition: must be an object"),
    ],
)
def test_bad_definitions_name_the_bad_part(definition: object, message: str) -> None:
    with pytest.raises(DefinitionError) as caught:
        parse_definition(definition, Subject.CUSTOMER)
    assert message in caught.value.detail
    assert caught.value.status == 400


def test_person_only_fields_are_refused_for_company_segments() -> None:
    with pytest.raises(DefinitionError, match="'tag' does not apply to company segments"):
        parse_definition({"conditions": [{"field": "tag", "op": "has", "value": "vip"}]}, Subject.COMPANY)
