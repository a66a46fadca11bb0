"""The webhook inbox's part of privacy requests: a redacted customer's deliveries lose their payloads.

The inbox keeps every delivery's payload as Shopify sent it, so a customer's name, email, phone and
addresses stay there after the CRM has anonymised them. On customers/redact every delivery of the
shop whose payload names the customer (by id, `gid://shopify/Customer/<id>` or email), and every
orders/* delivery of an order the request names, loses its payload. The row stays, so the webhook
log still shows that the delivery came and what became of it.

A delivery still waiting to be processed (received) or parked as failed is closed as ignored, with
the reason: without its payload it cannot run, and running it would write the customer's data back
into the CRM. Deliveries an attempt holds (processing; the redact's own delivery among them) keep
their status: their attempt marks them. A data request exports nothing from here (the CRM's export
holds everything the payloads said), and shop/redact deletes the inbox with every tenant table.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Text, cast, func, null, or_, select, update

from app.db import UnitOfWork, utcnow
from app.privacy import CustomerRequest, PrivacyHooks, PrivacyRegistry
from webhooks.models import DeliveryStatus, WebhookDelivery

T = WebhookDelivery.__table__
ERASED_NOTE = "payload erased at the customer's request (customers/redact)"
CUSTOMER_GID = "gid://shopify/Customer/{}"
# Characters no JSON encoder escapes: the stored text holds a run of them exactly as the email does
# (Shopify may escape others, e.g. "&" as \u0026), which makes the run a safe SQL prefilter.
UNESCAPED_RUN_RE = re.compile(r"[a-z0-9.@_+-]+")
# Left waiting or parked: nothing will process them now, so they are closed as ignored.
CLOSED = (DeliveryStatus.RECEIVED, DeliveryStatus.FAILED)


def register_privacy_hooks(registry: PrivacyRegistry) -> None:
    """Add the webhook inbox to the privacy registry."""
    registry.register(PrivacyHooks(context="webhooks", erase_customer=erase_customer))


def erase_customer(uow: UnitOfWork, request: CustomerRequest) -> dict[str, int]:
    """Erase the payloads of the shop's deliveries that concern the customer; how many."""
    subject = _Subject(request)
    prefilter = subject.prefilter()
    if prefilter is None:
        return {"inbox_payloads": 0}
    candidates = uow.session.execute(
        select(T.c.id, T.c.topic, T.c.status, T.c.payload).where(
            T.c.shop_id == request.shop_id, T.c.payload.is_not(None), prefilter
        )
    )
    closed: list[int] = []
    kept: list[int] = []
    for row in candidates:
        if subject.named_in(row.topic, row.payload):
            (closed if row.status in CLOSED else kept).append(row.id)
    if closed:
        uow.session.execute(
            update(T)
            .where(T.c.id.in_(closed))
            .values(
                payload=null(),
                status=DeliveryStatus.IGNORED,
                last_error=ERASED_NOTE,
                processed_at=utcnow(),
            )
        )
    if kept:
        # null(), not None: the JSON type would store None as the JSON value null.
        uow.session.execute(update(T).where(T.c.id.in_(kept)).values(payload=null()))
    return {"inbox_payloads": len(closed) + len(kept)}


class _Subject:
    """The customer (and the orders) a request names, and how to find them in a payload."""

    def __init__(self, request: CustomerRequest) -> None:
        self.customer_id = request.shopify_customer_id
        self.gid = CUSTOMER_GID.format(self.customer_id) if self.customer_id is not None else None
        self.email = (request.email or "").strip().lower() or None
        # The whole address, not part of a longer one: "ana@acme.example" is not in "hana@acme.example".
        self.email_re = (
            re.compile(rf"(?<![\w.%+-]){re.escape(self.email)}(?![\w-]|\.\w)", re.IGNORECASE)
            if self.email
            else None
        )
        self.order_ids = frozenset(request.shopify_order_ids)

    def prefilter(self) -> Any:
        """A WHERE clause true for every payload naming the subject (and some others); None: no subject."""
        text = cast(T.c.payload, Text)
        # Ids are digits in any JSON text; the verdict is `named_in`'s.
        clauses = [text.contains(str(n)) for n in sorted({self.customer_id, *self.order_ids} - {None})]
        if self.email:
            runs = UNESCAPED_RUN_RE.findall(self.email)
            if runs:
                clauses.append(func.lower(text).contains(max(runs, key=len), autoescape=True))
        return or_(*clauses) if clauses else None

    def named_in(self, topic: str, payload: Any) -> bool:
        """Whether the delivery's payload names the customer, or is one of the named orders."""
        if not isinstance(payload, Mapping):
            return False
        if topic.startswith("customers/") and self._is_customer(payload.get("id")):
            return True
        if topic.startswith("orders/") and _as_id(payload.get("id")) in self.order_ids:
            return True
        return self._mentions(payload)

    def _mentions(self, value: Any) -> bool:
        if isinstance(value, Mapping):
            for key, item in value.items():
                if key == "customer_id" and self._is_customer(item):
                    return True
                if key == "customer" and isinstance(item, Mapping) and self._is_customer(item.get("id")):
                    return True
                if self._mentions(item):
                    return True
            return False
        if isinstance(value, Sequence) and not isinstance(value, str):
            return any(self._mentions(item) for item in value)
        if isinstance(value, str):
            return value == self.gid or (
                self.email_re is not None and self.email_re.search(value) is not None
            )
        return False

    def _is_customer(self, value: Any) -> bool:
        return self.customer_id is not None and (value == self.gid or _as_id(value) == self.customer_id)


def _as_id(value: Any) -> int | None:
    """A Shopify id given as a number or a string of digits; None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    return None
