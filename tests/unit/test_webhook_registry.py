"""The webhook registry matches shopify.app.toml: one handler per subscribed topic, no more, no less."""

from __future__ import annotations

import importlib.util
import inspect
import tomllib
from pathlib import Path

import pytest

from crm import service as crm_service
from webhooks import registry

APP_TOML = Path(__file__).resolve().parents[2] / "shopify.app.toml"
# Handlers other parts of Tradeline provide, by the names agreed with them.
PROVIDED_ELSEWHERE = {
    "customers/redact": "webhooks.compliance.handle_customers_redact",
    "customers/data_request": "webhooks.compliance.handle_customers_data_request",
    "shop/redact": "webhooks.compliance.handle_shop_redact",
    "app/uninstalled": "webhooks.handlers.app_topics.handle_app_uninstalled",
    "app/scopes_update": "webhooks.handlers.app_topics.handle_app_scopes_update",
    "bulk_operations/finish": "webhooks.backfill.handle_bulk_operation_finish",
}
HANDLER_PARAMETERS = ["uow", "shop_id", "payload", "delivery"]


def _toml_topics() -> tuple[set[str], set[str]]:
    config = tomllib.loads(APP_TOML.read_text())
    subscriptions = config["webhooks"]["subscriptions"]
    assert {s["uri"] for s in subscriptions} == {"/webhooks"}
    topics = {t for s in subscriptions for t in s.get("topics", [])}
    compliance = {t for s in subscriptions for t in s.get("compliance_topics", [])}
    return topics, compliance


def test_the_registry_routes_exactly_the_topics_shopify_app_toml_subscribes_to() -> None:
    topics, compliance = _toml_topics()
    assert set(registry.REGISTRY) == topics | compliance
    assert len(registry.ROUTES) == len(registry.REGISTRY)  # no topic listed twice
    assert (
        registry.COMPLIANCE_TOPICS
        == compliance
        == {"customers/data_request", "customers/redact", "shop/redact"}
    )


def test_handlers_other_modules_provide_are_named_as_agreed() -> None:
    named = {route.topic: route.handler for route in registry.ROUTES if isinstance(route.handler, str)}
    assert named == PROVIDED_ELSEWHERE


@pytest.mark.parametrize("topic", sorted(registry.REGISTRY))
def test_every_handler_takes_the_agreed_arguments(topic: str) -> None:
    route = registry.REGISTRY[topic]
    if isinstance(route.handler, str):
        module = route.handler.rpartition(".")[0]
        if importlib.util.find_spec(module) is None:
            # Not written yet by the part of Tradeline that owns it; checked here as soon as it exists.
            assert route.handler == PROVIDED_ELSEWHERE[topic]
            return
    handler = registry.handler_of(route)
    parameters = inspect.signature(handler).parameters
    assert list(parameters) == HANDLER_PARAMETERS
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in list(parameters.values())[1:])


def test_batch_arguments_are_import_batch_parameters() -> None:
    accepted = set(inspect.signature(crm_service.import_batch).parameters)
    batches = {route.batch for route in registry.ROUTES if route.batch}
    assert batches == {
        "customers",
        "companies",
        "company_locations",
        "company_contacts",
        "products",
        "orders",
    }
    assert batches <= accepted
    assert registry.BATCHABLE_TOPICS == {
        "customers/create",
        "customers/update",
        "orders/create",
        "orders/updated",
        "orders/paid",
        "orders/cancelled",
        "products/create",
        "products/update",
        "companies/create",
        "companies/update",
        "company_contacts/create",
        "company_contacts/update",
        "company_locations/create",
        "company_locations/update",
    }


def test_only_compliance_topics_and_the_uninstall_are_taken_after_an_uninstall() -> None:
    accepted = {route.topic for route in registry.ROUTES if registry.accepted_after_uninstall(route)}
    assert accepted == {"customers/data_request", "customers/redact", "shop/redact", "app/uninstalled"}


def test_an_unknown_topic_has_no_route() -> None:
    assert registry.route_for("carts/update") is None
