"""B2B sync: companies, their locations and their contacts (customer ↔ company membership)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import InvalidInput
from crm import rules
from crm.models import CrmCompany, CrmCompanyContact, CrmCompanyLocation, CrmCustomer, SubjectType
from crm.payloads import CompanyChildRecord, Record
from crm.service._engine import EventLog, SyncAction, SyncOutcome, chunks, soft_delete, sync
from crm.service.customers import customer_label, sync_customers

COMPANY_TRACKED = (
    "name",
    "external_id",
    "note",
    "customer_since",
    "main_contact_shopify_id",
    "shopify_created_at",
)
LOCATION_TRACKED = (
    "company_id",
    "name",
    "external_id",
    "phone",
    "note",
    "payment_terms_name",
    "tax_registration_id",
)
CONTACT_TRACKED = ("company_id", "customer_id", "title", "locale", "shopify_created_at")


def _company_label(values: Mapping[str, Any], shopify_id: int) -> str:
    return values.get("name") or f"Company {shopify_id}"


def sync_companies(
    session: Session, *, shop_id: int, currency: str, records: Sequence[Record], events: EventLog
) -> dict[int, SyncOutcome]:
    """Upsert companies from companies/* payloads, or placeholders from references in orders."""
    outcomes = sync(
        session,
        shop_id=shop_id,
        table=CrmCompany.__table__,  # type: ignore[arg-type]
        records=records,
        tracked=COMPANY_TRACKED,
        defaults={"currency": currency},
    )
    for outcome in outcomes.values():
        assert outcome.id is not None
        label = _company_label(outcome.new, outcome.shopify_id)
        if outcome.action is SyncAction.CREATED:
            events.add(
                subject_type=SubjectType.COMPANY,
                subject_id=outcome.id,
                company_id=outcome.id,
                kind="company.created",
                summary=(
                    f"Company {outcome.shopify_id} first seen on an order"
                    if outcome.reference_only
                    else f"{label} added"
                ),
                occurred_at=outcome.new.get("shopify_created_at") or outcome.updated_at,
                data={"shopify_id": outcome.shopify_id},
            )
        elif outcome.action is SyncAction.UPDATED and outcome.changes:
            events.add(
                subject_type=SubjectType.COMPANY,
                subject_id=outcome.id,
                company_id=outcome.id,
                kind="company.updated",
                summary=f"{label}: {rules.describe_changes(outcome.changes)}",
                occurred_at=outcome.updated_at,
                data={"changes": outcome.changes},
            )
    return outcomes


def _company_ids(
    session: Session, *, shop_id: int, currency: str, records: Sequence[CompanyChildRecord], events: EventLog
) -> dict[int, int]:
    """{company shopify id: row id} for the companies embedded in location/contact payloads."""
    missing = [r.shopify_id for r in records if r.company is None]
    if missing:
        raise InvalidInput(f"company location/contact payload(s) {missing[:5]} name no company")
    companies = sync_companies(
        session,
        shop_id=shop_id,
        currency=currency,
        records=[r.company for r in records if r.company],
        events=events,
    )
    return {shopify_id: outcome.id for shopify_id, outcome in companies.items() if outcome.id is not None}


def _names(session: Session, table: Any, ids: set[int], columns: Sequence[str]) -> dict[int, dict[str, Any]]:
    found: dict[int, dict[str, Any]] = {}
    for batch in chunks(sorted(ids)):
        stmt = select(table.c.id, *[table.c[c] for c in columns]).where(table.c.id.in_(batch))
        found.update({row["id"]: dict(row) for row in session.execute(stmt).mappings()})
    return found


def sync_locations(
    session: Session,
    *,
    shop_id: int,
    currency: str,
    records: Sequence[CompanyChildRecord],
    events: EventLog,
) -> dict[int, SyncOutcome]:
    """Upsert company locations (and the company each payload embeds)."""
    company_ids = _company_ids(session, shop_id=shop_id, currency=currency, records=records, events=events)
    prepared = [
        r if r.company is None else r.with_values(company_id=company_ids[r.company.shopify_id])
        for r in records
    ]
    return _sync_locations(session, shop_id=shop_id, records=prepared, events=events)


def _sync_locations(
    session: Session, *, shop_id: int, records: Sequence[Record], events: EventLog
) -> dict[int, SyncOutcome]:
    outcomes = sync(
        session,
        shop_id=shop_id,
        table=CrmCompanyLocation.__table__,  # type: ignore[arg-type]
        records=records,
        tracked=LOCATION_TRACKED,
    )
    for outcome in outcomes.values():
        assert outcome.id is not None
        name = outcome.new.get("name") or f"location {outcome.shopify_id}"
        company_id = outcome.new["company_id"]
        if outcome.action is SyncAction.CREATED and not outcome.reference_only:
            terms = outcome.new.get("payment_terms_name")
            events.add(
                subject_type=SubjectType.COMPANY,
                subject_id=company_id,
                company_id=company_id,
                kind="company.location_added",
                summary=f"Location {name} added" + (f" ({terms})" if terms else ""),
                occurred_at=outcome.updated_at,
                data={"location_id": outcome.id, "shopify_id": outcome.shopify_id},
            )
        elif outcome.action is SyncAction.CREATED:
            events.add(
                subject_type=SubjectType.COMPANY,
                subject_id=company_id,
                company_id=company_id,
                kind="company.location_added",
                summary=f"Location {outcome.shopify_id} first seen on an order",
                occurred_at=None,
                data={"location_id": outcome.id, "shopify_id": outcome.shopify_id},
            )
        elif outcome.action is SyncAction.UPDATED and outcome.changes:
            events.add(
                subject_type=SubjectType.COMPANY,
                subject_id=company_id,
                company_id=company_id,
                kind="company.location_updated",
                summary=f"Location {name}: {rules.describe_changes(outcome.changes)}",
                occurred_at=outcome.updated_at,
                data={"location_id": outcome.id, "changes": outcome.changes},
            )
    return outcomes


def ensure_locations(
    session: Session, *, shop_id: int, refs: Mapping[int, int], events: EventLog
) -> dict[int, SyncOutcome]:
    """Placeholder locations for {location shopify id: company row id} that orders refer to."""
    records = [
        Record(shopify_id=sid, updated_at=None, values={"company_id": cid}) for sid, cid in refs.items()
    ]
    return _sync_locations(session, shop_id=shop_id, records=records, events=events)


def sync_contacts(
    session: Session,
    *,
    shop_id: int,
    currency: str,
    records: Sequence[CompanyChildRecord],
    events: EventLog,
) -> dict[int, SyncOutcome]:
    """Upsert company contacts: the customer (placeholder if unseen) becomes a member of the company."""
    company_ids = _company_ids(session, shop_id=shop_id, currency=currency, records=records, events=events)
    no_customer = [r.shopify_id for r in records if r.customer_shopify_id is None]
    if no_customer:
        raise InvalidInput(f"company contact payload(s) {no_customer[:5]} name no customer")
    customers = sync_customers(
        session,
        shop_id=shop_id,
        currency=currency,
        records=[Record(shopify_id=r.customer_shopify_id, updated_at=None) for r in records],  # type: ignore[arg-type]
        events=events,
    )
    prepared = [
        r.with_values(
            company_id=company_ids[r.company.shopify_id],  # type: ignore[union-attr]
            customer_id=customers[r.customer_shopify_id].id,  # type: ignore[index]
        )
        for r in records
    ]
    outcomes = sync(
        session,
        shop_id=shop_id,
        table=CrmCompanyContact.__table__,  # type: ignore[arg-type]
        records=prepared,
        tracked=CONTACT_TRACKED,
    )
    _contact_events(session, outcomes, events)
    return outcomes


def _contact_events(session: Session, outcomes: Mapping[int, SyncOutcome], events: EventLog) -> None:
    people = _names(
        session,
        CrmCustomer.__table__,
        {o.new["customer_id"] for o in outcomes.values() if o.new.get("customer_id")},
        ("first_name", "last_name", "email", "shopify_id"),
    )
    for outcome in outcomes.values():
        assert outcome.id is not None
        customer_id = outcome.new.get("customer_id")
        person = people.get(customer_id) if customer_id else None
        who = customer_label(person, person["shopify_id"]) if person else "a customer"
        title = outcome.new.get("title")
        base = {
            "subject_type": SubjectType.COMPANY,
            "subject_id": outcome.new["company_id"],
            "company_id": outcome.new["company_id"],
            "customer_id": customer_id,
        }
        if outcome.action is SyncAction.CREATED:
            events.add(
                **base,
                kind="company.contact_added",
                summary=f"{who} added as a contact" + (f" ({title})" if title else ""),
                occurred_at=outcome.new.get("shopify_created_at") or outcome.updated_at,
                data={"contact_id": outcome.id, "shopify_id": outcome.shopify_id},
            )
        elif outcome.action is SyncAction.UPDATED and outcome.changes:
            events.add(
                **base,
                kind="company.contact_updated",
                summary=f"Contact {who}: {rules.describe_changes(outcome.changes)}",
                occurred_at=outcome.updated_at,
                data={"contact_id": outcome.id, "changes": outcome.changes},
            )
        elif outcome.action is SyncAction.DELETED:
            events.add(
                **base,
                kind="company.contact_removed",
                summary=f"{who} removed as a contact"
                + (" before it was synced" if outcome.reference_only else ""),
                occurred_at=None,
                data={"contact_id": outcome.id, "shopify_id": outcome.shopify_id},
            )


def delete_companies(
    session: Session, *, shop_id: int, currency: str, shopify_ids: Sequence[int], events: EventLog
) -> dict[int, SyncOutcome]:
    """Soft-delete companies (tombstones for ids never seen)."""
    outcomes = soft_delete(
        session,
        shop_id=shop_id,
        table=CrmCompany.__table__,  # type: ignore[arg-type]
        shopify_ids=shopify_ids,
        tracked=COMPANY_TRACKED,
        defaults={"currency": currency},
    )
    for outcome in outcomes.values():
        if outcome.action is SyncAction.DELETED:
            assert outcome.id is not None
            events.add(
                subject_type=SubjectType.COMPANY,
                subject_id=outcome.id,
                company_id=outcome.id,
                kind="company.deleted",
                summary=f"{_company_label(outcome.old, outcome.shopify_id)} deleted in Shopify",
                occurred_at=None,
                data={"shopify_id": outcome.shopify_id},
            )
    return outcomes


def delete_children(
    session: Session,
    *,
    shop_id: int,
    currency: str,
    model: type[CrmCompanyLocation] | type[CrmCompanyContact],
    records: Sequence[CompanyChildRecord],
    events: EventLog,
) -> dict[int, SyncOutcome]:
    """Soft-delete company locations or contacts; tombstones link what the payload names."""
    company_ids = (
        _company_ids(
            session,
            shop_id=shop_id,
            currency=currency,
            records=[r for r in records if r.company],
            events=events,
        )
        if any(r.company for r in records)
        else {}
    )
    is_contact = model is CrmCompanyContact
    customer_ids: dict[int, int] = {}
    if is_contact:
        refs = [
            Record(shopify_id=r.customer_shopify_id, updated_at=None)
            for r in records
            if r.customer_shopify_id
        ]
        customers = sync_customers(session, shop_id=shop_id, currency=currency, records=refs, events=events)
        customer_ids = {sid: o.id for sid, o in customers.items() if o.id is not None}
    tombstones: dict[int, dict[str, Any]] = {}
    for r in records:
        if r.company is None or (is_contact and r.customer_shopify_id not in customer_ids):
            continue
        values: dict[str, Any] = {"company_id": company_ids[r.company.shopify_id]}
        if is_contact:
            values["customer_id"] = customer_ids[r.customer_shopify_id]  # type: ignore[index]
        tombstones[r.shopify_id] = values
    outcomes = soft_delete(
        session,
        shop_id=shop_id,
        table=model.__table__,  # type: ignore[arg-type]
        shopify_ids=[r.shopify_id for r in records],
        tracked=CONTACT_TRACKED if is_contact else LOCATION_TRACKED,
        tombstone_values=tombstones,
    )
    if is_contact:
        _contact_events(session, outcomes, events)
        return outcomes
    for outcome in outcomes.values():
        if outcome.action is SyncAction.DELETED:
            company_id = outcome.new["company_id"]
            events.add(
                subject_type=SubjectType.COMPANY,
                subject_id=company_id,
                company_id=company_id,
                kind="company.location_removed",
                summary=f"Location {outcome.new.get('name') or outcome.shopify_id} removed"
                + (" before it was synced" if outcome.reference_only else ""),
                occurred_at=None,
                data={"location_id": outcome.id, "shopify_id": outcome.shopify_id},
            )
    return outcomes
