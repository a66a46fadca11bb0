"""The one registry of webhook topics: which handler processes each, and how.

Every topic `shopify.app.toml` subscribes to (and the three compliance topics) has exactly one
route here; a test holds the two lists equal. A handler is a small function
`(uow, *, shop_id, payload, delivery) -> None` that calls a service and is idempotent: running it
twice, or after a newer payload, changes nothing more.

Handlers that other parts of Tradeline own are named by dotted path and imported when first
used, so this module does not depend on their import order: the compliance topics
(`webhooks.compliance`), app/uninstalled and app/scopes_update (`webhooks.handlers.app_topics`)
and bulk_operations/finish (`webhooks.backfill`).

`batch` names the `crm.service.import_batch` argument that applies many payloads of the topic
in one transaction with the same result as one by one (newest wins per Shopify id). The
processing job uses it to drain a burst of deliveries at database speed instead of paying a
job per delivery.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, Protocol

from app.db import UnitOfWork
from webhooks.handlers import companies, customers, draft_orders, orders, products, shop


@dataclass(frozen=True)
class Delivery:
    """What a handler may know about the delivery it processes (an inbox row, without the payload)."""

    id: int
    shop_id: int
    topic: str
    webhook_id: str
    event_id: str | None
    triggered_at: datetime | None
    api_version: str
    received_at: datetime
    attempts: int


class Handler(Protocol):
    def __call__(
        self, uow: UnitOfWork, *, shop_id: int, payload: Mapping[str, Any], delivery: Delivery
    ) -> None: ...


@dataclass(frozen=True)
class Route:
    """How one topic is processed."""

    topic: str
    handler: Handler | str  # a function, or the dotted path of one another module provides
    batch: str | None = None  # the crm.service.import_batch argument that takes this topic's payloads
    compliance: bool = False  # a mandatory privacy topic: accepted even after the shop uninstalled
    after_uninstall: bool = False  # also accepted after the shop uninstalled (retries of the uninstall)


COMPLIANCE = "webhooks.compliance"
APP_TOPICS = "webhooks.handlers.app_topics"
BACKFILL = "webhooks.backfill"

ROUTES: tuple[Route, ...] = (
    Route("customers/create", customers.handle_customer_upsert, batch="customers"),
    Route("customers/update", customers.handle_customer_upsert, batch="customers"),
    Route("customers/delete", customers.handle_customer_delete),
    Route("customers/merge", customers.handle_customers_merge),
    Route("customers/purchasing_summary", customers.handle_purchasing_summary),
    Route("customer.tags_added", customers.handle_tags_added),
    Route("customer.tags_removed", customers.handle_tags_removed),
    Route("customers_email_marketing_consent/update", customers.handle_email_marketing_consent),
    Route("orders/create", orders.handle_order_upsert, batch="orders"),
    Route("orders/updated", orders.handle_order_upsert, batch="orders"),
    Route("orders/paid", orders.handle_order_upsert, batch="orders"),
    Route("orders/cancelled", orders.handle_order_upsert, batch="orders"),
    Route("orders/delete", orders.handle_order_delete),
    Route("draft_orders/update", draft_orders.handle_draft_order_update),
    Route("products/create", products.handle_product_upsert, batch="products"),
    Route("products/update", products.handle_product_upsert, batch="products"),
    Route("products/delete", products.handle_product_delete),
    Route("companies/create", companies.handle_company_upsert, batch="companies"),
    Route("companies/update", companies.handle_company_upsert, batch="companies"),
    Route("companies/delete", companies.handle_company_delete),
    Route("company_contacts/create", companies.handle_contact_upsert, batch="company_contacts"),
    Route("company_contacts/update", companies.handle_contact_upsert, batch="company_contacts"),
    Route("company_contacts/delete", companies.handle_contact_delete),
    Route("company_locations/create", companies.handle_location_upsert, batch="company_locations"),
    Route("company_locations/update", companies.handle_location_upsert, batch="company_locations"),
    Route("company_locations/delete", companies.handle_location_delete),
    Route("shop/update", shop.handle_shop_update),
    Route("bulk_operations/finish", f"{BACKFILL}.handle_bulk_operation_finish"),
    Route("app/uninstalled", f"{APP_TOPICS}.handle_app_uninstalled", after_uninstall=True),
    Route("app/scopes_update", f"{APP_TOPICS}.handle_app_scopes_update"),
    Route("customers/data_request", f"{COMPLIANCE}.handle_customers_data_request", compliance=True),
    Route("customers/redact", f"{COMPLIANCE}.handle_customers_redact", compliance=True),
    Route("shop/redact", f"{COMPLIANCE}.handle_shop_redact", compliance=True),
)

REGISTRY: Mapping[str, Route] = {route.topic: route for route in ROUTES}
COMPLIANCE_TOPICS = frozenset(route.topic for route in ROUTES if route.compliance)
BATCHABLE_TOPICS = frozenset(route.topic for route in ROUTES if route.batch)


def route_for(topic: str) -> Route | None:
    """The route of a topic, or None for a topic Tradeline does not process."""
    return REGISTRY.get(topic)


def accepted_after_uninstall(route: Route) -> bool:
    """Whether deliveries of this route are taken for a shop that has uninstalled the app."""
    return route.compliance or route.after_uninstall


def handler_of(route: Route) -> Handler:
    """The route's handler function, importing it on first use when it is named by path."""
    if isinstance(route.handler, str):
        return _import_handler(route.handler)
    return route.handler


@cache
def _import_handler(path: str) -> Handler:
    module_name, _, name = path.rpartition(".")
    handler = getattr(importlib.import_module(module_name), name)
    if not callable(handler):
        raise TypeError(f"webhook handler {path} is not callable")
    return handler  # type: ignore[no-any-return]
