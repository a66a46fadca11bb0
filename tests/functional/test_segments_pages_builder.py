"""The segment builder's form encoding (segments.views_builder): pure functions, no database or client."""

from __future__ import annotations

from werkzeug.datastructures import MultiDict

from segments import rules
from segments.models import Subject
from segments.views_builder import (
    apply_edit,
    attach_error,
    definition_from_form,
    node_views,
    operators,
)

NESTED = {
    "match": "any",
    "conditions": [
        {"field": "rfm_segment", "op": "in", "value": ["champions", "loyal"]},
        {
            "match": "all",
            "conditions": [
                {"field": "total_spent", "op": "between", "value": ["100", "500.50"]},
                {"field": "last_order_at", "op": "within_last_days", "value": 90},
                {"field": "email_subscribed", "op": "eq", "value": True},
            ],
        },
        {"field": "country", "op": "in", "value": ["de", "at"]},
        {"field": "churn_risk", "op": "is_set", "value": None},
    ],
}


def _form_of(definition: dict) -> MultiDict:
    """What the builder page posts for a definition: one field per input, lists repeated."""
    form = MultiDict({"match": definition["match"]})

    def walk(nodes) -> None:
        for node in nodes:
            key = f"n-{node.path}"
            if node.is_group:
                form.add(f"{key}-match", node.match)
                walk(node.children)
                continue
            form.add(f"{key}-field", node.field)
            form.add(f"{key}-prev", node.field)
            form.add(f"{key}-op", node.op)
            for value in node.chosen or [node.text]:
                form.add(f"{key}-value", value)
            if node.op == "between":
                form.add(f"{key}-value2", node.high)

    walk(node_views(definition))
    return form


def test_a_definition_survives_the_round_trip_through_the_form():
    parsed = definition_from_form(_form_of(NESTED))
    assert parsed == NESTED
    assert rules.parse_definition(parsed, Subject.CUSTOMER) == rules.parse_definition(
        NESTED, Subject.CUSTOMER
    )


def test_typed_values_are_passed_on_for_the_rules_to_judge():
    form = MultiDict(
        {"match": "all", "n-0-field": "r_score", "n-0-prev": "r_score", "n-0-op": "gte", "n-0-value": "five"}
    )
    assert definition_from_form(form)["conditions"] == [{"field": "r_score", "op": "gte", "value": "five"}]


def test_a_changed_field_gets_an_operator_it_accepts_and_an_empty_value():
    form = MultiDict(
        {
            "match": "all",
            "n-0-field": "rfm_segment",
            "n-0-prev": "total_spent",
            "n-0-op": "gte",
            "n-0-value": "5",
        }
    )
    assert definition_from_form(form)["conditions"] == [{"field": "rfm_segment", "op": "in", "value": []}]


def test_edits_add_group_and_remove_by_position():
    definition = {"match": "all", "conditions": [{"field": "orders_count", "op": "gte", "value": "2"}]}
    grouped = apply_edit(definition, "group:")
    assert grouped["conditions"][1] == {
        "match": "any",
        "conditions": [{"field": "orders_count", "op": "gte", "value": "2"}],
    }
    apply_edit(grouped, "add:1")
    assert len(grouped["conditions"][1]["conditions"]) == 2
    apply_edit(grouped, "remove:0")
    assert [set(c) for c in grouped["conditions"]] == [{"match", "conditions"}]
    assert apply_edit(grouped, "remove:7.3") == grouped
    assert apply_edit(grouped, "add:x; drop") == grouped


def test_an_error_lands_on_the_deepest_node_its_path_names():
    nodes = node_views(NESTED)
    assert attach_error(nodes, "conditions[1].conditions[0].value[1]", "bad")
    assert nodes[1].error == "" and nodes[1].children[0].error == "bad"
    assert not attach_error(nodes, "conditions", "must be a non-empty list")
    assert not attach_error(nodes, "conditions[10].field", "unknown")


def test_each_field_offers_its_own_operators_in_reading_order():
    assert [op for op, _ in operators("tag")] == ["has", "has_not"]
    assert [op for op, _ in operators("rfm_segment")] == ["in", "not_in", "is_set", "is_not_set"]
    assert operators("shoe_size") == []
