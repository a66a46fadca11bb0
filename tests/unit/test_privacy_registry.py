"""The privacy registry: contexts register explicitly, each request runs every context in order."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

import pytest

from app.privacy import (
    CustomerRequest,
    PrivacyHooks,
    PrivacyRegistry,
    counts_text,
    default_registry,
    to_json,
)

REQUEST = CustomerRequest(
    shop_id=1, shopify_customer_id=191167, email="john@example.com", phone="555-625-1199"
)


class Colour(StrEnum):
    RED = "red"


class RecordingContext:
    """A context's hooks that record each call (in a log shared by contexts) and answer fixed counts."""

    def __init__(self, name: str, counts: dict[str, int], log: list[tuple[str, Any, Any]]) -> None:
        self.name = name
        self.counts = counts
        self.log = log

    def erase(self, uow: Any, subject: Any) -> dict[str, int]:
        self.log.append((self.name, uow, subject))
        return self.counts


def test_default_registry_registers_the_crm_and_the_inbox_and_nothing_at_import():
    # given two registries built independently
    first, second = default_registry(), default_registry()

    # then each has the CRM and the webhook inbox, once, and they share no state
    assert first.contexts == ("crm", "webhooks")
    assert second.contexts == ("crm", "webhooks")
    assert PrivacyRegistry().contexts == ()


def test_a_context_registers_once():
    registry = PrivacyRegistry()
    registry.register(PrivacyHooks(context="quotes"))

    with pytest.raises(ValueError, match="'quotes' are already registered"):
        registry.register(PrivacyHooks(context="quotes"))

    assert registry.contexts == ("quotes",)


def test_erase_customer_runs_every_eraser_in_registration_order_with_the_same_request():
    log: list[tuple[str, Any, Any]] = []
    crm = RecordingContext("crm", {"rows": 2}, log)
    quotes = RecordingContext("quotes", {}, log)
    registry = PrivacyRegistry()
    registry.register(PrivacyHooks(context="crm", erase_customer=crm.erase))
    registry.register(PrivacyHooks(context="catalog"))  # holds no personal data
    registry.register(PrivacyHooks(context="quotes", erase_customer=quotes.erase))

    counts = registry.erase_customer("the-uow", REQUEST)  # type: ignore[arg-type]

    assert log == [("crm", "the-uow", REQUEST), ("quotes", "the-uow", REQUEST)]
    assert counts == {"crm": {"rows": 2}, "quotes": {}}


def test_export_keeps_only_the_sections_of_contexts_that_hold_something_as_json():
    def crm_section(uow: Any, request: CustomerRequest) -> dict[str, Any]:
        return {
            "orders": [{"total": Decimal("298.7700"), "at": datetime(2026, 5, 2, 14, 30, tzinfo=UTC)}],
            "state": Colour.RED,
            "ids": (1, 2),
        }

    registry = PrivacyRegistry()
    registry.register(PrivacyHooks(context="crm", export_customer=crm_section))
    registry.register(PrivacyHooks(context="campaigns", export_customer=lambda uow, request: None))

    sections = registry.export_customer(None, REQUEST)  # type: ignore[arg-type]

    assert sections == {
        "crm": {
            "orders": [{"total": "298.7700", "at": "2026-05-02T14:30:00+00:00"}],
            "state": "red",
            "ids": [1, 2],
        }
    }


def test_erase_shop_runs_the_shop_erasers_with_the_shop_id():
    log: list[tuple[str, Any, Any]] = []
    campaigns = RecordingContext("campaigns", {"lists": 1}, log)
    registry = PrivacyRegistry()
    registry.register(PrivacyHooks(context="campaigns", erase_shop=campaigns.erase))
    registry.register(PrivacyHooks(context="crm"))

    counts = registry.erase_shop("the-uow", 7)  # type: ignore[arg-type]

    assert counts == {"campaigns": {"lists": 1}}
    assert log == [("campaigns", "the-uow", 7)]


def test_to_json_turns_nested_values_into_json_types():
    assert to_json({"a": (Decimal("1.50"),), 3: [Colour.RED]}) == {"a": ["1.50"], "3": ["red"]}


def test_counts_text_names_counts_only_and_says_when_nothing_was_held():
    assert counts_text({"crm": {"customers": 1, "timeline_events": 3, "notes": 0}}) == (
        "crm: 1 customers, 3 timeline events"
    )
    assert counts_text({"crm": {"customers": 0}}) == "nothing held"
    assert counts_text({}) == "nothing held"
