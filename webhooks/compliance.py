"""Handlers of Shopify's mandatory compliance topics: customers/redact, customers/data_request, shop/redact.

Each parses the payload (shapes: PLATFORM.md §2.5), hands the work to `app.privacy` with the
registry of every context that keeps personal data, and logs one line without personal data.
All three run for uninstalled shops too (shop/redact only ever does), and are idempotent.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol

from app import privacy
from app.db import UnitOfWork
from app.errors import InvalidInput

log = logging.getLogger(__name__)


class DeliveryInfo(Protocol):
    """What these handlers read of the delivery (webhooks.registry.Delivery)."""

    id: int
    topic: str
    received_at: datetime
    triggered_at: datetime | None


def handle_customers_redact(
    uow: UnitOfWork, *, shop_id: int, payload: Mapping[str, Any], delivery: DeliveryInfo
) -> None:
    """customers/redact: erase the customer's personal data everywhere (an unknown one is acknowledged)."""
    request = _customer_request(shop_id, payload, orders_key="orders_to_redact")
    # Shopify names the customer by id, but sometimes by email only: then the delivery is the request.
    key = (
        f"customer-{request.shopify_customer_id}"
        if request.shopify_customer_id is not None
        else f"delivery-{delivery.id}"
    )
    outcome = privacy.erase_customer(
        uow,
        request=request,
        request_key=key,
        requested_at=_requested_at(delivery),
        registry=privacy.default_registry(),
    )
    log.info(
        "customers/redact for shop %s: compliance request %s %s (%s)%s",
        shop_id,
        outcome.record.id,
        outcome.record.status.value,
        privacy.counts_text(outcome.counts),
        "" if outcome.created else "; a repeat of an earlier request",
    )


def handle_customers_data_request(
    uow: UnitOfWork, *, shop_id: int, payload: Mapping[str, Any], delivery: DeliveryInfo
) -> None:
    """customers/data_request: store an export of everything held on the customer for the merchant."""
    request = _customer_request(shop_id, payload, orders_key="orders_requested")
    data_request = payload.get("data_request")
    if not isinstance(data_request, Mapping):
        raise InvalidInput("customers/data_request: `data_request` must be an object with an id")
    request_id = _id(data_request.get("id"), "data_request.id")
    if request_id is None:
        raise InvalidInput("customers/data_request: `data_request.id` is missing")
    outcome = privacy.export_customer(
        uow,
        request=request,
        shopify_request_id=request_id,
        requested_at=_requested_at(delivery),
        registry=privacy.default_registry(),
    )
    log.info(
        "customers/data_request %s for shop %s: compliance request %s %s (%s)%s",
        request_id,
        shop_id,
        outcome.record.id,
        outcome.record.status.value,
        privacy.counts_text(outcome.record.summary),
        "" if outcome.created else "; already answered",
    )


def handle_shop_redact(
    uow: UnitOfWork, *, shop_id: int, payload: Mapping[str, Any], delivery: DeliveryInfo
) -> None:
    """shop/redact: delete all of the shop's data, unless it reinstalled since it uninstalled."""
    counts = privacy.erase_shop(uow, shop_id=shop_id, registry=privacy.default_registry())
    if counts is None:
        log.warning("shop/redact for shop %s ignored: the shop has reinstalled Tradeline", shop_id)
    elif not counts:
        log.info("shop/redact for shop %s: nothing left to delete", shop_id)
    else:
        log.info(
            "shop/redact for shop %s: deleted the shop and %d rows (%s)",
            shop_id,
            sum(counts.values()),
            privacy.counts_text({"tables": counts}),
        )


def _customer_request(
    shop_id: int, payload: Mapping[str, Any], *, orders_key: str
) -> privacy.CustomerRequest:
    customer = payload.get("customer")
    if not isinstance(customer, Mapping):
        raise InvalidInput("the payload has no `customer` object")
    orders = payload.get(orders_key) or []
    if not isinstance(orders, list):
        raise InvalidInput(f"`{orders_key}` must be a list of order ids")
    return privacy.CustomerRequest(
        shop_id=shop_id,
        shopify_customer_id=_id(customer.get("id"), "customer.id"),
        email=_text(customer.get("email"), "customer.email"),
        phone=_text(customer.get("phone"), "customer.phone"),
        shopify_order_ids=tuple(
            dict.fromkeys(i for i in (_id(o, orders_key) for o in orders) if i is not None)
        ),
    )


def _id(value: Any, name: str) -> int | None:
    """A Shopify numeric id (JSON number, or a numeric string); None when absent."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InvalidInput(f"`{name}` must be a numeric id")
    try:
        number = int(value)
    except ValueError:
        raise InvalidInput(f"`{name}` must be a numeric id") from None
    if number <= 0:
        raise InvalidInput(f"`{name}` must be a positive id")
    return number


def _text(value: Any, name: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"`{name}` must be a string")
    return value.strip() or None


def _requested_at(delivery: DeliveryInfo) -> datetime:
    return delivery.triggered_at or delivery.received_at
