"""Privacy requests (GDPR/CCPA): one registry every context adds its personal data to, and the records.

Shopify's three compliance topics reach every context through one `PrivacyRegistry`:

- erase a customer (`customers/redact`): each context erases or anonymises what it holds on the
  customer and returns counts of what it changed (never the data itself);
- export a customer (`customers/data_request`): each context returns a JSON-able section, or None
  when it holds nothing on the customer; the sections make up the export the merchant downloads;
- erase a shop (`shop/redact`): each context removes what it keeps outside the database (none does
  yet); then every tenant table is emptied of the shop's rows and the shop row goes.

Contexts register explicitly: each has a `register_privacy_hooks(registry)` function, and
`default_registry()` calls them (the CRM and the webhook inbox today; quotes and campaign sends add a
line here). Nothing is registered at import time.

Every request is recorded as a `ComplianceRequest` of its shop (the export included), so the
merchant can answer the customer and show what was erased; running a request twice records it once.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Enum,
    ForeignKey,
    Index,
    MetaData,
    String,
    UniqueConstraint,
    delete,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, deferred, mapped_column

from app.db import Base, UnitOfWork, UTCDateTime, utcnow
from app.errors import NotFound
from app.models import Shop
from app.tenancy import get_for_shop, scoped

# JSONB on PostgreSQL (compact, queryable); JSON text elsewhere.
JSON_DOC = JSON().with_variant(JSONB(), "postgresql")
REQUEST_KEY_CHARS = 64
EXPORT_FORMAT_VERSION = 1
REQUESTS_LISTED = 200


# -- the registry ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CustomerRequest:
    """Who a customers/redact or customers/data_request is about, as Shopify names them.

    `shopify_customer_id` can be missing (Shopify sometimes knows the customer by email only);
    `shopify_order_ids` are `orders_to_redact` or `orders_requested`.
    """

    shop_id: int
    shopify_customer_id: int | None
    email: str | None = None
    phone: str | None = None
    shopify_order_ids: tuple[int, ...] = ()


CustomerEraser = Callable[[UnitOfWork, CustomerRequest], Mapping[str, int]]
CustomerExporter = Callable[[UnitOfWork, CustomerRequest], Mapping[str, Any] | None]
ShopEraser = Callable[[UnitOfWork, int], Mapping[str, int]]


@dataclass(frozen=True)
class PrivacyHooks:
    """What one context does for each kind of privacy request (None: it holds nothing of that kind)."""

    context: str
    erase_customer: CustomerEraser | None = None
    export_customer: CustomerExporter | None = None
    erase_shop: ShopEraser | None = None


class PrivacyRegistry:
    """The contexts that hold personal data, in registration order; each request runs them all."""

    def __init__(self) -> None:
        self._hooks: dict[str, PrivacyHooks] = {}

    def register(self, hooks: PrivacyHooks) -> None:
        """Add a context's hooks; a context registers once."""
        if hooks.context in self._hooks:
            raise ValueError(f"privacy hooks for {hooks.context!r} are already registered")
        self._hooks[hooks.context] = hooks

    @property
    def contexts(self) -> tuple[str, ...]:
        return tuple(self._hooks)

    def erase_customer(self, uow: UnitOfWork, request: CustomerRequest) -> dict[str, dict[str, int]]:
        """Run every context's customer eraser in the caller's transaction; {context: counts}."""
        return {
            name: dict(hooks.erase_customer(uow, request))
            for name, hooks in self._hooks.items()
            if hooks.erase_customer is not None
        }

    def export_customer(self, uow: UnitOfWork, request: CustomerRequest) -> dict[str, Any]:
        """{context: section} of the contexts that hold something on the customer, JSON-ready."""
        sections: dict[str, Any] = {}
        for name, hooks in self._hooks.items():
            if hooks.export_customer is None:
                continue
            section = hooks.export_customer(uow, request)
            if section is not None:
                sections[name] = to_json(dict(section))
        return sections

    def erase_shop(self, uow: UnitOfWork, shop_id: int) -> dict[str, dict[str, int]]:
        """Run every context's shop eraser (before the shop's rows are deleted); {context: counts}."""
        return {
            name: dict(hooks.erase_shop(uow, shop_id))
            for name, hooks in self._hooks.items()
            if hooks.erase_shop is not None
        }


def default_registry() -> PrivacyRegistry:
    """The registry with every context that keeps personal data registered."""
    # Imported here, not at the top: contexts import this module for PrivacyHooks, and this is the
    # one place that composes them.
    from crm.privacy import register_privacy_hooks as register_crm
    from webhooks.privacy import register_privacy_hooks as register_webhooks

    registry = PrivacyRegistry()
    register_crm(registry)
    register_webhooks(registry)
    return registry


def to_json(value: Any) -> Any:
    """`value` with Decimals as strings, datetimes as ISO 8601 and enums as their values."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_json(v) for v in value]
    return value


# -- the records ----------------------------------------------------------------------------------


def _values(members: type[enum.Enum]) -> list[str]:
    return [m.value for m in members]


class RequestKind(enum.StrEnum):
    """Which compliance topic a request came from."""

    DATA_REQUEST = "data_request"  # customers/data_request: an export for the merchant
    CUSTOMER_REDACT = "customer_redact"  # customers/redact: the customer's personal data erased


class RequestStatus(enum.StrEnum):
    """How a compliance request ended."""

    COMPLETED = "completed"  # done: the export is stored, or the personal data is erased
    NO_DATA = "no_data"  # Tradeline held nothing on the customer: acknowledged, nothing to do
    ERASED = "erased"  # a data request whose export was deleted when the customer asked for erasure


class ComplianceRequest(Base):
    """A privacy request Shopify sent for a shop's customer, and its outcome (the export included)."""

    __tablename__ = "app_compliance_request"
    __table_args__ = (
        UniqueConstraint("shop_id", "kind", "request_key"),
        Index("ix_app_compliance_request_shop_id_requested_at", "shop_id", "requested_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("app_shop.id", ondelete="CASCADE"))
    kind: Mapped[RequestKind] = mapped_column(
        Enum(RequestKind, name="app_compliance_request_kind", values_callable=_values)
    )
    request_key: Mapped[str] = mapped_column(
        String(REQUEST_KEY_CHARS), comment="what makes a repeat the same request (e.g. the data_request id)"
    )
    shopify_request_id: Mapped[int | None] = mapped_column(BigInteger, comment="data_request.id")
    shopify_customer_id: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[RequestStatus] = mapped_column(
        Enum(RequestStatus, name="app_compliance_request_status", values_callable=_values)
    )
    requested_at: Mapped[datetime] = mapped_column(
        UTCDateTime, comment="when Shopify sent the request (X-Shopify-Triggered-At, else its arrival)"
    )
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    summary: Mapped[dict[str, Any]] = mapped_column(
        JSON_DOC, default=dict, comment="counts per context, never personal data"
    )
    # Deferred: the list page must not load every export it lists.
    export: Mapped[dict[str, Any] | None] = deferred(
        mapped_column(JSON_DOC, comment="customers/data_request: the export for the merchant")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# -- the use cases --------------------------------------------------------------------------------


@dataclass
class RequestOutcome:
    """What a compliance request did: its record, and whether this run created the record."""

    record: ComplianceRequest
    created: bool
    counts: dict[str, dict[str, int]] = field(default_factory=dict)


def erase_customer(
    uow: UnitOfWork,
    *,
    request: CustomerRequest,
    request_key: str,
    requested_at: datetime,
    registry: PrivacyRegistry,
) -> RequestOutcome:
    """customers/redact: erase the customer's personal data in every context and record the request.

    Idempotent: the erasers change only what still holds personal data, and the record is written
    once (a later run that still finds data, e.g. an order that arrived after, adds to its counts).
    """
    counts = registry.erase_customer(uow, request)
    exports = _erase_exports(uow, request)
    if exports:
        counts["privacy"] = {"data_request_exports": exports}
    changed = any(n for per_context in counts.values() for n in per_context.values())
    record = _find(uow, request.shop_id, RequestKind.CUSTOMER_REDACT, request_key)
    if record is None:
        record = ComplianceRequest(
            shop_id=request.shop_id,
            kind=RequestKind.CUSTOMER_REDACT,
            request_key=request_key,
            shopify_customer_id=request.shopify_customer_id,
            status=RequestStatus.COMPLETED if changed else RequestStatus.NO_DATA,
            requested_at=requested_at,
            completed_at=utcnow(),
            summary=counts,
        )
        uow.session.add(record)
        uow.session.flush()
        return RequestOutcome(record, True, counts)
    if changed:
        record.summary = _add_counts(record.summary, counts)
        record.status = RequestStatus.COMPLETED
        record.completed_at = utcnow()
        uow.session.flush()
    return RequestOutcome(record, False, counts)


def _erase_exports(uow: UnitOfWork, request: CustomerRequest) -> int:
    """Delete the stored exports of the customer's earlier data requests; how many there were.

    An export is a copy of the customer's personal data: it goes with the rest. The record stays
    (status `erased`), so the merchant sees the request was answered by the erasure.
    """
    if request.shopify_customer_id is None:
        return 0
    result = uow.session.execute(
        update(ComplianceRequest)
        .where(
            ComplianceRequest.shop_id == request.shop_id,
            ComplianceRequest.kind == RequestKind.DATA_REQUEST,
            ComplianceRequest.shopify_customer_id == request.shopify_customer_id,
            ComplianceRequest.status != RequestStatus.ERASED,
        )
        .values(export=None, status=RequestStatus.ERASED)
        .execution_options(synchronize_session="fetch")
    )
    return result.rowcount


def export_customer(
    uow: UnitOfWork,
    *,
    request: CustomerRequest,
    shopify_request_id: int,
    requested_at: datetime,
    registry: PrivacyRegistry,
) -> RequestOutcome:
    """customers/data_request: build the export of everything held on the customer and store it.

    The same data_request id again returns the stored request unchanged.
    """
    key = str(shopify_request_id)
    record = _find(uow, request.shop_id, RequestKind.DATA_REQUEST, key)
    if record is not None:
        return RequestOutcome(record, False)
    shop = uow.session.get(Shop, request.shop_id)
    if shop is None:
        raise NotFound(f"shop {request.shop_id} not found")
    sections = registry.export_customer(uow, request)
    now = utcnow()
    document = {
        "format_version": EXPORT_FORMAT_VERSION,
        "shop": shop.domain,
        "request": {
            "data_request_id": shopify_request_id,
            "customer": {
                "id": request.shopify_customer_id,
                "email": request.email,
                "phone": request.phone,
            },
            "orders_requested": list(request.shopify_order_ids),
            "requested_at": requested_at.isoformat(),
        },
        "generated_at": now.isoformat(),
        "data": sections,
    }
    record = ComplianceRequest(
        shop_id=request.shop_id,
        kind=RequestKind.DATA_REQUEST,
        request_key=key,
        shopify_request_id=shopify_request_id,
        shopify_customer_id=request.shopify_customer_id,
        status=RequestStatus.COMPLETED if sections else RequestStatus.NO_DATA,
        requested_at=requested_at,
        completed_at=now,
        summary={name: _section_counts(section) for name, section in sections.items()},
        export=document,
    )
    uow.session.add(record)
    uow.session.flush()
    return RequestOutcome(record, True)


def erase_shop(uow: UnitOfWork, *, shop_id: int, registry: PrivacyRegistry) -> dict[str, int] | None:
    """shop/redact: delete everything of an uninstalled shop; None (nothing done) when it reinstalled.

    The contexts' shop erasers run first (for data outside the database), then every tenant table is
    emptied of the shop's rows, children before parents, and the shop row goes last. Every tenant
    table also references `app_shop` ON DELETE CASCADE, or (the segments tables of derived rows, see
    migration 0016) is emptied by a delete trigger on `app_shop`, so nothing is missed either way; the
    table by table deletes give the per-table counts for the log. Returns rows deleted per table (empty
    for a shop that is gone already).
    """
    shop = uow.session.get(Shop, shop_id)
    if shop is None:
        return {}
    if shop.is_installed:
        return None
    registry.erase_shop(uow, shop_id)
    uow.session.flush()
    counts: dict[str, int] = {}
    for table in reversed(_metadata().sorted_tables):
        if table.name != Shop.__tablename__ and "shop_id" in table.c:
            deleted = uow.session.execute(delete(table).where(table.c.shop_id == shop_id)).rowcount
            if deleted:
                counts[table.name] = deleted
    # Core DELETE: the ORM would load every child row through the relationships to delete it itself.
    uow.session.execute(delete(Shop).where(Shop.id == shop_id))
    uow.session.expunge(shop)
    return counts


def _metadata() -> MetaData:
    # Imported when needed: the registry imports this module, and every context's tables must be known.
    from app.model_registry import metadata

    return metadata


@dataclass(frozen=True)
class RequestSummary:
    """A compliance request as the admin lists it: plain values, usable after the unit of work."""

    id: int
    kind: RequestKind
    status: RequestStatus
    shopify_request_id: int | None
    shopify_customer_id: int | None
    requested_at: datetime
    completed_at: datetime | None
    summary: dict[str, Any]

    @property
    def has_export(self) -> bool:
        return self.kind is RequestKind.DATA_REQUEST and self.status is not RequestStatus.ERASED


@dataclass(frozen=True)
class Export:
    """A data request's export, ready to download."""

    shopify_request_id: int | None
    document: dict[str, Any]

    @property
    def filename(self) -> str:
        return f"customer-data-request-{self.shopify_request_id}.json"


def list_requests(uow: UnitOfWork, *, shop_id: int, limit: int = REQUESTS_LISTED) -> list[RequestSummary]:
    """The shop's compliance requests, newest first (without their exports)."""
    rows = uow.session.scalars(
        scoped(ComplianceRequest, shop_id)
        .order_by(ComplianceRequest.requested_at.desc(), ComplianceRequest.id.desc())
        .limit(limit)
    )
    return [
        RequestSummary(
            id=r.id,
            kind=r.kind,
            status=r.status,
            shopify_request_id=r.shopify_request_id,
            shopify_customer_id=r.shopify_customer_id,
            requested_at=r.requested_at,
            completed_at=r.completed_at,
            summary=dict(r.summary or {}),
        )
        for r in rows
    ]


def get_export(uow: UnitOfWork, *, shop_id: int, request_id: int) -> Export:
    """A data request of this shop and its export; NotFound for another shop's id or a redaction."""
    record = get_for_shop(uow.session, ComplianceRequest, shop_id, request_id)
    if record.kind is not RequestKind.DATA_REQUEST or record.export is None:
        raise NotFound(f"compliance request {request_id} has no export")
    return Export(shopify_request_id=record.shopify_request_id, document=record.export)


def counts_text(counts: Mapping[str, Mapping[str, int]]) -> str:
    """'crm: 1 customers, 3 orders' for logs and the admin (counts only, never data); 'nothing held'.

    Sorted by name: PostgreSQL's JSONB does not keep the order the counts were written in.
    """
    parts = []
    for context, per in sorted(counts.items()):
        if isinstance(per, Mapping) and any(per.values()):
            named = (f"{per[what]} {what.replace('_', ' ')}" for what in sorted(per) if per[what])
            parts.append(f"{context}: " + ", ".join(named))
    return "; ".join(parts) or "nothing held"


def _find(uow: UnitOfWork, shop_id: int, kind: RequestKind, key: str) -> ComplianceRequest | None:
    return uow.session.scalar(
        select(ComplianceRequest).where(
            ComplianceRequest.shop_id == shop_id,
            ComplianceRequest.kind == kind,
            ComplianceRequest.request_key == key,
        )
    )


def _add_counts(
    before: Mapping[str, Mapping[str, int]], more: Mapping[str, Mapping[str, int]]
) -> dict[str, dict[str, int]]:
    total = {name: dict(counts) for name, counts in before.items()}
    for name, counts in more.items():
        into = total.setdefault(name, {})
        for what, n in counts.items():
            into[what] = into.get(what, 0) + n
    return total


def _section_counts(section: Any) -> dict[str, int]:
    """How many items each list of an export section holds (what the admin list shows)."""
    if not isinstance(section, Mapping):
        return {}
    return {name: len(value) for name, value in section.items() if isinstance(value, list)}
