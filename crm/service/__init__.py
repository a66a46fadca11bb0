"""CRM use cases: upsert and delete Shopify resources from their REST payloads, import in bulk, count.

Every upsert is keyed on (shop, Shopify id) and takes the payload dict exactly as the webhook
carries it. A payload whose `updated_at` is older than the stored row changes nothing and writes
no timeline event; an equal one is a no-op, so the same delivery five times leaves one row and
one event. Every state change writes one timeline event in the caller's transaction, and the
lifetime rollups of the customers and companies an order touches are recomputed from the orders
table before the call returns. Services never commit: the caller's unit of work does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db import UnitOfWork
from crm import payloads
from crm.models import (
    CrmCompany,
    CrmCompanyContact,
    CrmCompanyLocation,
    CrmCustomer,
    CrmOrder,
    CrmProduct,
    CrmVariant,
)
from crm.service._engine import EventLog, SyncAction, SyncOutcome, shop_currency
from crm.service.companies import (
    delete_children,
    delete_companies,
    sync_companies,
    sync_contacts,
    sync_locations,
)
from crm.service.customers import delete_customers, sync_customers
from crm.service.orders import OrderSync, delete_orders, sync_orders
from crm.service.products import delete_products, sync_products
from crm.service.rollups import recompute_company_rollups, recompute_customer_rollups

__all__ = [
    "BatchResult",
    "SyncAction",
    "SyncOutcome",
    "crm_counts",
    "delete_company",
    "delete_company_contact",
    "delete_company_location",
    "delete_customer",
    "delete_order",
    "delete_product",
    "import_batch",
    "recompute_rollups",
    "upsert_company",
    "upsert_company_contact",
    "upsert_company_location",
    "upsert_customer",
    "upsert_order",
    "upsert_product",
]

DEFAULT_ACTOR = "shopify"
T = TypeVar("T")


class _Call:
    """One service call: the session flushed first and expired after, and the events written last.

    The engine writes with Core statements, so ORM objects a caller loaded earlier in the same
    session would otherwise show the values from before the call.
    """

    def __init__(self, uow: UnitOfWork, shop_id: int, actor: str) -> None:
        self.session: Session = uow.session
        self.shop_id = shop_id
        self.session.flush()
        self.currency = shop_currency(self.session, shop_id)
        self.events = EventLog(shop_id=shop_id, actor=actor)
        self.customer_ids: set[int] = set()
        self.company_ids: set[int] = set()

    def absorb(self, orders: OrderSync) -> None:
        self.customer_ids |= orders.customer_ids
        self.company_ids |= orders.company_ids

    def finish(self) -> None:
        if self.customer_ids:
            recompute_customer_rollups(self.session, shop_id=self.shop_id, customer_ids=self.customer_ids)
        if self.company_ids:
            recompute_company_rollups(self.session, shop_id=self.shop_id, company_ids=self.company_ids)
        self.events.write(self.session)
        self.session.expire_all()


def _single(outcomes: Mapping[int, SyncOutcome], shopify_id: int) -> SyncOutcome:
    return outcomes[shopify_id]


def _affected(outcomes: Mapping[int, SyncOutcome], key: str) -> set[int]:
    """Rows named by `key` before or after the written outcomes (e.g. the customers of contacts)."""
    ids: set[int] = set()
    for outcome in outcomes.values():
        if outcome.written or outcome.action is SyncAction.DELETED:
            ids |= {v[key] for v in (outcome.old, outcome.new) if v.get(key)}
    return ids


# -- single payloads (webhook handlers) -----------------------------------------------------------


def upsert_customer(
    uow: UnitOfWork, *, shop_id: int, payload: Mapping[str, Any], actor: str = DEFAULT_ACTOR
) -> SyncOutcome:
    """customers/create|update: create or update the customer unless the payload is older than the row."""
    record = payloads.parse_customer(payload)
    call = _Call(uow, shop_id, actor)
    outcomes = sync_customers(
        call.session, shop_id=shop_id, currency=call.currency, records=[record], events=call.events
    )
    call.finish()
    return _single(outcomes, record.shopify_id)


def upsert_company(
    uow: UnitOfWork, *, shop_id: int, payload: Mapping[str, Any], actor: str = DEFAULT_ACTOR
) -> SyncOutcome:
    """companies/create|update."""
    record = payloads.parse_company(payload)
    call = _Call(uow, shop_id, actor)
    outcomes = sync_companies(
        call.session, shop_id=shop_id, currency=call.currency, records=[record], events=call.events
    )
    call.finish()
    return _single(outcomes, record.shopify_id)


def upsert_company_location(
    uow: UnitOfWork, *, shop_id: int, payload: Mapping[str, Any], actor: str = DEFAULT_ACTOR
) -> SyncOutcome:
    """company_locations/create|update (the embedded company is upserted too)."""
    record = payloads.parse_company_location(payload)
    call = _Call(uow, shop_id, actor)
    outcomes = sync_locations(
        call.session, shop_id=shop_id, currency=call.currency, records=[record], events=call.events
    )
    call.company_ids |= _affected(outcomes, "company_id")
    call.finish()
    return _single(outcomes, record.shopify_id)


def upsert_company_contact(
    uow: UnitOfWork, *, shop_id: int, payload: Mapping[str, Any], actor: str = DEFAULT_ACTOR
) -> SyncOutcome:
    """company_contacts/create|update: the customer becomes a member of the company."""
    record = payloads.parse_company_contact(payload)
    call = _Call(uow, shop_id, actor)
    outcomes = sync_contacts(
        call.session, shop_id=shop_id, currency=call.currency, records=[record], events=call.events
    )
    call.customer_ids |= _affected(outcomes, "customer_id")
    call.finish()
    return _single(outcomes, record.shopify_id)


def upsert_product(
    uow: UnitOfWork, *, shop_id: int, payload: Mapping[str, Any], actor: str = DEFAULT_ACTOR
) -> SyncOutcome:
    """products/create|update with its variants."""
    record = payloads.parse_product(payload)
    call = _Call(uow, shop_id, actor)
    outcomes = sync_products(
        call.session, shop_id=shop_id, currency=call.currency, records=[record], events=call.events
    )
    call.finish()
    return _single(outcomes, record.shopify_id)


def upsert_order(
    uow: UnitOfWork, *, shop_id: int, payload: Mapping[str, Any], actor: str = DEFAULT_ACTOR
) -> SyncOutcome:
    """orders/create|updated|paid|cancelled: the order, its lines, its customer and company links."""
    record = payloads.parse_order(payload)
    call = _Call(uow, shop_id, actor)
    result = sync_orders(
        call.session, shop_id=shop_id, currency=call.currency, records=[record], events=call.events
    )
    call.absorb(result)
    call.finish()
    return _single(result.outcomes, record.shopify_id)


def _delete(
    uow: UnitOfWork,
    shop_id: int,
    actor: str,
    shopify_id: int,
    run: Callable[[_Call], Mapping[int, SyncOutcome]],
) -> SyncOutcome:
    call = _Call(uow, shop_id, actor)
    outcomes = run(call)
    call.finish()
    return outcomes[shopify_id]


def delete_customer(
    uow: UnitOfWork, *, shop_id: int, payload: Mapping[str, Any], actor: str = DEFAULT_ACTOR
) -> SyncOutcome:
    """customers/delete: soft delete (the orders keep their link)."""
    sid = payloads.parse_deleted_id(payload, "Customer")
    return _delete(
        uow,
        shop_id,
        actor,
        sid,
        lambda c: delete_customers(
            c.session, shop_id=shop_id, currency=c.currency, shopify_ids=[sid], events=c.events
        ),
    )


def delete_company(
    uow: UnitOfWork, *, shop_id: int, payload: Mapping[str, Any], actor: str = DEFAULT_ACTOR
) -> SyncOutcome:
    """companies/delete: soft delete."""
    sid = payloads.parse_deleted_id(payload, "Company")
    return _delete(
        uow,
        shop_id,
        actor,
        sid,
        lambda c: delete_companies(
            c.session, shop_id=shop_id, currency=c.currency, shopify_ids=[sid], events=c.events
        ),
    )


def delete_company_location(
    uow: UnitOfWork, *, shop_id: int, payload: Mapping[str, Any], actor: str = DEFAULT_ACTOR
) -> SyncOutcome:
    """company_locations/delete: soft delete; the company's payment terms are recomputed."""
    record = payloads.parse_company_location(payload)
    call = _Call(uow, shop_id, actor)
    outcomes = delete_children(
        call.session,
        shop_id=shop_id,
        currency=call.currency,
        model=CrmCompanyLocation,
        records=[record],
        events=call.events,
    )
    call.company_ids |= _affected(outcomes, "company_id")
    call.finish()
    return outcomes[record.shopify_id]


def delete_company_contact(
    uow: UnitOfWork, *, shop_id: int, payload: Mapping[str, Any], actor: str = DEFAULT_ACTOR
) -> SyncOutcome:
    """company_contacts/delete: soft delete; the customer's primary company is recomputed."""
    record = payloads.parse_company_contact(payload)
    call = _Call(uow, shop_id, actor)
    outcomes = delete_children(
        call.session,
        shop_id=shop_id,
        currency=call.currency,
        model=CrmCompanyContact,
        records=[record],
        events=call.events,
    )
    call.customer_ids |= _affected(outcomes, "customer_id")
    call.finish()
    return outcomes[record.shopify_id]


def delete_product(
    uow: UnitOfWork, *, shop_id: int, payload: Mapping[str, Any], actor: str = DEFAULT_ACTOR
) -> SyncOutcome:
    """products/delete: soft delete with its variants."""
    sid = payloads.parse_deleted_id(payload, "Product")
    return _delete(
        uow,
        shop_id,
        actor,
        sid,
        lambda c: delete_products(c.session, shop_id=shop_id, shopify_ids=[sid], events=c.events),
    )


def delete_order(
    uow: UnitOfWork, *, shop_id: int, payload: Mapping[str, Any], actor: str = DEFAULT_ACTOR
) -> SyncOutcome:
    """orders/delete: soft delete; the customer's and company's rollups stop counting it."""
    sid = payloads.parse_deleted_id(payload, "Order")
    call = _Call(uow, shop_id, actor)
    result = delete_orders(
        call.session, shop_id=shop_id, currency=call.currency, shopify_ids=[sid], events=call.events
    )
    call.absorb(result)
    call.finish()
    return result.outcomes[sid]


# -- batches (demo seed, backfill) ---------------------------------------------------------------


@dataclass
class BatchResult:
    """How many rows of each resource an import created, updated, left alone or ignored as stale."""

    counts: dict[str, dict[str, int]] = field(default_factory=dict)

    def add(self, resource: str, outcomes: Iterable[SyncOutcome]) -> None:
        tally = self.counts.setdefault(resource, {a.value: 0 for a in SyncAction})
        for outcome in outcomes:
            tally[outcome.action.value] += 1


def _parse_all(parse: Callable[[Any], T], items: Sequence[Mapping[str, Any]]) -> list[T]:
    return [parse(item) for item in items]


def import_batch(
    uow: UnitOfWork,
    *,
    shop_id: int,
    customers: Sequence[Mapping[str, Any]] = (),
    companies: Sequence[Mapping[str, Any]] = (),
    company_locations: Sequence[Mapping[str, Any]] = (),
    company_contacts: Sequence[Mapping[str, Any]] = (),
    products: Sequence[Mapping[str, Any]] = (),
    orders: Sequence[Mapping[str, Any]] = (),
    actor: str = DEFAULT_ACTOR,
) -> BatchResult:
    """Upsert many payloads with a bounded number of statements, then recompute the touched rollups once.

    The result is the same as delivering each payload as a webhook, in any order: the newest
    payload per Shopify id wins. Every payload is parsed before anything is written, so one
    malformed payload fails the whole batch and changes nothing.
    """
    parsed_customers = _parse_all(payloads.parse_customer, customers)
    parsed_companies = _parse_all(payloads.parse_company, companies)
    parsed_locations = _parse_all(payloads.parse_company_location, company_locations)
    parsed_contacts = _parse_all(payloads.parse_company_contact, company_contacts)
    parsed_products = _parse_all(payloads.parse_product, products)
    parsed_orders = _parse_all(payloads.parse_order, orders)
    call = _Call(uow, shop_id, actor)
    common = {"shop_id": shop_id, "currency": call.currency, "events": call.events}
    result = BatchResult()
    result.add("companies", sync_companies(call.session, records=parsed_companies, **common).values())
    result.add("customers", sync_customers(call.session, records=parsed_customers, **common).values())
    locations = sync_locations(call.session, records=parsed_locations, **common)
    result.add("company_locations", locations.values())
    call.company_ids |= _affected(locations, "company_id")
    contacts = sync_contacts(call.session, records=parsed_contacts, **common)
    result.add("company_contacts", contacts.values())
    call.customer_ids |= _affected(contacts, "customer_id")
    result.add("products", sync_products(call.session, records=parsed_products, **common).values())
    order_sync = sync_orders(call.session, records=parsed_orders, **common)
    result.add("orders", order_sync.outcomes.values())
    call.absorb(order_sync)
    call.finish()
    return result


def recompute_rollups(
    uow: UnitOfWork,
    *,
    shop_id: int,
    customer_ids: Iterable[int] | None = None,
    company_ids: Iterable[int] | None = None,
) -> None:
    """Recompute lifetime rollups from the orders table (None: every customer and company of the shop)."""
    uow.session.flush()
    recompute_customer_rollups(uow.session, shop_id=shop_id, customer_ids=customer_ids)
    recompute_company_rollups(uow.session, shop_id=shop_id, company_ids=company_ids)
    uow.session.expire_all()


def crm_counts(uow: UnitOfWork, *, shop_id: int) -> dict[str, int]:
    """Live (not deleted) customers, companies, products, variants and orders, for the admin home."""
    models = {
        "customers": CrmCustomer,
        "companies": CrmCompany,
        "products": CrmProduct,
        "variants": CrmVariant,
        "orders": CrmOrder,
    }
    columns = [
        select(func.count())
        .select_from(model)
        .where(model.shop_id == shop_id, model.deleted_at.is_(None))
        .scalar_subquery()
        .label(name)
        for name, model in models.items()
    ]
    row = uow.session.execute(select(*columns)).one()
    return {name: int(row._mapping[name]) for name in models}
