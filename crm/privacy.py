"""CRM's part of privacy requests: erase or export everything the CRM holds on one customer.

What the CRM holds on a customer: the customer row (names, email, phone, addresses, note, tags and
their history, marketing consent), staff notes and tasks about them, their company memberships
(title, locale), orders and draft orders placed by them, under their email or named in the request
(email, note, visit URLs), the timeline events about all of those (summaries and change payloads),
and mentions of them in their companies' notes and location addresses. A shop's CRM rows need no
hook of their own on shop/redact: `app.privacy.erase_shop` deletes every tenant table.

Erasure anonymises rather than deletes: the rows keep their ids, Shopify ids and money, so lifetime
rollups, company totals and revenue stay exact. The customer row is also soft-deleted (Shopify has
deleted the customer), which makes the sync engine ignore any late payload instead of writing the
personal data back. Each run changes only what still holds personal data, so a second run is a
no-op, and the counts it returns say what changed (never what the data was).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.orm import Session

from app.db import UnitOfWork, utcnow
from app.privacy import CustomerRequest, PrivacyHooks, PrivacyRegistry
from crm.models import (
    CrmCompany,
    CrmCompanyContact,
    CrmCompanyLocation,
    CrmCustomer,
    CrmCustomerTag,
    CrmOrder,
    CrmOrderLine,
    CrmTimelineEvent,
    MarketingState,
    SubjectType,
)
from crm.models_drafts import CrmCustomerTagChange, CrmDraftOrder
from crm.models_work import CrmNote, CrmTask

REDACTED = "[redacted]"
ACTOR = "privacy request"
# Keys whose values are the customer's personal data wherever they appear in a timeline event's data.
PERSONAL_KEYS = frozenset(
    {
        "email",
        "contact_email",
        "first_name",
        "last_name",
        "phone",
        "note",
        "addresses",
        "default_address",
        "city",
        "province_code",
        "title",
        "locale",
        "referring_site",
        "landing_site",
    }
)
# Customer tags are the merchant's labels about the person: personal data on the customer's own events.
CUSTOMER_EVENT_KEYS = PERSONAL_KEYS | {"tags"}
# Address fields that name or reach a person; cleared when the address is the customer's.
ADDRESS_PERSON_KEYS = ("first_name", "last_name", "name", "phone", "email")
# Shorter strings are not matched in free text: they would hit ordinary words.
MIN_NEEDLE_CHARS = 2
REDACTED_EVENT_KIND = "customer.redacted"


def register_privacy_hooks(registry: PrivacyRegistry) -> None:
    """Add the CRM to the privacy registry."""
    registry.register(
        PrivacyHooks(
            context="crm",
            erase_customer=erase_customer,
            export_customer=export_customer,
        )
    )


# -- finding what the CRM holds on a customer -------------------------------------------------------


class _Holdings:
    """The rows that hold a customer's personal data, loaded once per request."""

    def __init__(self, session: Session, request: CustomerRequest) -> None:
        shop_id = request.shop_id
        email = (request.email or "").strip().lower() or None
        match = []
        if request.shopify_customer_id is not None:
            match.append(CrmCustomer.shopify_id == request.shopify_customer_id)
        if email:
            # Emails are stored lower-cased. Shopify merges and re-creates customers: an older row
            # with the same address is the same person.
            match.append(CrmCustomer.email == email)
        self.customers = _rows(session, CrmCustomer, shop_id, match, CrmCustomer.id)
        self.customer_ids = [c.id for c in self.customers]
        self.emails = {e for e in [email, *(c.email for c in self.customers)] if e}
        order_match = (
            [CrmOrder.shopify_id.in_(request.shopify_order_ids)] if request.shopify_order_ids else []
        )
        draft_match = []
        if self.customer_ids:
            order_match.append(CrmOrder.customer_id.in_(self.customer_ids))
            draft_match.append(CrmDraftOrder.customer_id.in_(self.customer_ids))
        if self.emails:
            order_match.append(CrmOrder.email.in_(self.emails))
            draft_match.append(CrmDraftOrder.email.in_(self.emails))
        self.orders = _rows(session, CrmOrder, shop_id, order_match, CrmOrder.processed_at, CrmOrder.id)
        self.order_ids = [o.id for o in self.orders]
        self.draft_orders = _rows(session, CrmDraftOrder, shop_id, draft_match, CrmDraftOrder.id)
        mine = [CrmCompanyContact.customer_id.in_(self.customer_ids)] if self.customer_ids else []
        self.contacts = _rows(session, CrmCompanyContact, shop_id, mine, CrmCompanyContact.id)
        self.company_ids = sorted({c.company_id for c in self.contacts})
        about = [CrmNote.customer_id.in_(self.customer_ids)] if self.customer_ids else []
        self.notes = _rows(session, CrmNote, shop_id, about, CrmNote.created_at, CrmNote.id)
        about = [CrmTask.customer_id.in_(self.customer_ids)] if self.customer_ids else []
        self.tasks = _rows(session, CrmTask, shop_id, about, CrmTask.created_at, CrmTask.id)
        feeds = []
        if self.customer_ids:
            feeds.append(CrmTimelineEvent.customer_id.in_(self.customer_ids))
        if self.order_ids:
            feeds.append(
                and_(
                    CrmTimelineEvent.subject_type == SubjectType.ORDER,
                    CrmTimelineEvent.subject_id.in_(self.order_ids),
                )
            )
        if self.company_ids:
            feeds.append(CrmTimelineEvent.company_id.in_(self.company_ids))
        self.events = _rows(
            session, CrmTimelineEvent, shop_id, feeds, CrmTimelineEvent.occurred_at, CrmTimelineEvent.id
        )

    @property
    def empty(self) -> bool:
        return not self.customers and not self.orders and not self.draft_orders

    def owns(self, event: CrmTimelineEvent) -> bool:
        """Whether the event is about the customer or one of their orders (not only their company)."""
        return (event.customer_id is not None and event.customer_id in self.customer_ids) or (
            event.subject_type is SubjectType.ORDER and event.subject_id in self.order_ids
        )

    def is_profile(self, event: CrmTimelineEvent) -> bool:
        """Whether the event's subject is the customer themself (their profile, notes, tasks, tags)."""
        return event.subject_type is SubjectType.CUSTOMER and event.subject_id in self.customer_ids


def _rows(session: Session, model: Any, shop_id: int, match: Sequence[Any], *order_by: Any) -> list[Any]:
    """The shop's rows of `model` matching any of `match` (none when `match` is empty)."""
    if not match:
        return []
    return list(
        session.scalars(select(model).where(model.shop_id == shop_id, or_(*match)).order_by(*order_by))
    )


class _Needles:
    """The customer's personal strings, as regexes that find them in free text."""

    def __init__(self, holdings: _Holdings, request: CustomerRequest) -> None:
        strong: set[str] = set(holdings.emails)
        weak: set[str] = set()
        if request.phone:
            strong.add(request.phone)
        self.name_pairs: set[tuple[str, str]] = set()
        self.phones: set[str] = {request.phone.lower()} if request.phone else set()
        for customer in holdings.customers:
            first, last = customer.first_name, customer.last_name
            if first and last:
                strong.add(f"{first} {last}")
                self.name_pairs.add((first.lower(), last.lower()))
            weak |= {v for v in (first, last, customer.note) if v}
            if customer.phone:
                strong.add(customer.phone)
                self.phones.add(customer.phone.lower())
        weak |= {c.title for c in holdings.contacts if c.title}
        weak |= {o.note for o in [*holdings.orders, *holdings.draft_orders] if o.note}
        strong |= {o.email for o in [*holdings.orders, *holdings.draft_orders] if o.email}
        for event in holdings.events:
            if holdings.owns(event):
                # Values the customer had before (an old name or address) are in the change payloads.
                weak |= set(_personal_strings(event.data))
        self.strong = _pattern(strong)
        self.all = _pattern(strong | weak)


def _pattern(needles: Iterable[str]) -> re.Pattern[str] | None:
    words = sorted({n.strip() for n in needles if len(n.strip()) >= MIN_NEEDLE_CHARS}, key=len, reverse=True)
    if not words:
        return None
    # Whole words only, so "Li" does not eat "Limited"; longest first, so "Ana Ruiz" beats "Ana".
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(w) for w in words) + r")(?!\w)", re.IGNORECASE)


def _personal_strings(value: Any, personal: bool = False) -> Iterable[str]:
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from _personal_strings(item, personal or key in PERSONAL_KEYS)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _personal_strings(item, personal)
    elif personal and isinstance(value, str):
        yield value


def _sub(pattern: re.Pattern[str] | None, text: str | None) -> str | None:
    if pattern is None or not text:
        return text
    return pattern.sub(REDACTED, text)


def _scrub(
    value: Any, pattern: re.Pattern[str] | None, keys: frozenset[str], *, mask_text: bool = False
) -> Any:
    """A JSON value with personal keys' values masked and the needles replaced in every string.

    With `mask_text` every string is masked (numbers, booleans and nulls, e.g. ids, stay).
    """
    if isinstance(value, Mapping):
        return {k: _scrub(v, pattern, keys, mask_text=mask_text or k in keys) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v, pattern, keys, mask_text=mask_text) for v in value]
    if mask_text:
        return REDACTED if isinstance(value, str) else value
    if isinstance(value, str):
        return _sub(pattern, value)
    return value


# -- erase ----------------------------------------------------------------------------------------


def erase_customer(uow: UnitOfWork, request: CustomerRequest) -> dict[str, int]:
    """Anonymise the customer everywhere the CRM keeps them; counts of the rows changed."""
    session = uow.session
    session.flush()
    holdings = _Holdings(session, request)
    needles = _Needles(holdings, request)
    counts = dict.fromkeys(
        (
            "customers",
            "customer_tags",
            "notes",
            "tasks",
            "company_contacts",
            "companies",
            "company_locations",
            "orders",
            "draft_orders",
            "timeline_events",
        ),
        0,
    )
    now = utcnow()
    newly_redacted = []
    for customer in holdings.customers:
        if customer.email_marketing_state is not MarketingState.REDACTED:
            newly_redacted.append(customer)
        counts["customers"] += _set(
            customer,
            email=None,
            first_name=None,
            last_name=None,
            phone=None,
            note=None,
            default_address=None,
            addresses=None,
            city=None,
            province_code=None,
            email_marketing_state=MarketingState.REDACTED,
            email_marketing_opt_in_level=None,
            acquisition_source=_sub(needles.all, customer.acquisition_source),
            deleted_at=customer.deleted_at or now,
        )
    if holdings.customer_ids:
        # Tags (and the tag history) are the merchant's labels on the person; notes are about them.
        for model, key in (
            (CrmCustomerTag, "customer_tags"),
            (CrmCustomerTagChange, "customer_tags"),
            (CrmNote, "notes"),
        ):
            counts[key] += session.execute(
                delete(model).where(
                    model.shop_id == request.shop_id, model.customer_id.in_(holdings.customer_ids)
                )
            ).rowcount
    for task in holdings.tasks:
        # A task title is free text about the person; the task itself (who, when, done) stays.
        counts["tasks"] += _set(task, title=REDACTED)
    for contact in holdings.contacts:
        counts["company_contacts"] += _set(contact, title=None, locale=None)
    counts["companies"], counts["company_locations"] = _erase_company_mentions(
        session, request.shop_id, holdings, needles
    )
    for order in holdings.orders:
        counts["orders"] += _set(
            order,
            email=None,
            note=None,
            referring_site=None,
            landing_site=None,
            po_number=_sub(needles.all, order.po_number),
            tags=_sub(needles.all, order.tags),
        )
    for draft in holdings.draft_orders:
        counts["draft_orders"] += _set(
            draft, email=None, note=None, invoice_url=None, tags=_sub(needles.all, draft.tags)
        )
    for event in holdings.events:
        counts["timeline_events"] += _erase_event(event, holdings, needles)
    for customer in newly_redacted:
        session.add(
            CrmTimelineEvent(
                shop_id=request.shop_id,
                subject_type=SubjectType.CUSTOMER,
                subject_id=customer.id,
                customer_id=customer.id,
                company_id=customer.company_id,
                kind=REDACTED_EVENT_KIND,
                actor=ACTOR,
                summary=f"Customer {customer.shopify_id}: personal data erased at the customer's request",
                data={"shopify_id": customer.shopify_id},
                occurred_at=now,
            )
        )
    session.flush()
    return counts


def _erase_event(event: CrmTimelineEvent, holdings: _Holdings, needles: _Needles) -> int:
    if event.kind == REDACTED_EVENT_KIND:
        return 0  # written by the erasure itself: holds nothing personal
    if holdings.is_profile(event):
        # Events about the person themself (profile changes, notes, tasks, tags) are all personal:
        # keep that something happened and when, not what.
        return _set(
            event,
            summary=f"{event.kind}: details erased at the customer's request",
            data=_scrub(event.data, None, frozenset(), mask_text=True),
        )
    if holdings.owns(event):
        keys = CUSTOMER_EVENT_KEYS if event.subject_type is SubjectType.CUSTOMER else PERSONAL_KEYS
        return _set(
            event, summary=_sub(needles.all, event.summary), data=_scrub(event.data, needles.all, keys)
        )
    # Their company's feed: only unambiguous mentions (email, phone, full name) are the customer's.
    return _set(
        event,
        summary=_sub(needles.strong, event.summary),
        data=_scrub(event.data, needles.strong, frozenset()),
    )


def _erase_company_mentions(
    session: Session, shop_id: int, holdings: _Holdings, needles: _Needles
) -> tuple[int, int]:
    """Clear the customer from their companies' notes and locations (other people's data stays)."""
    if not holdings.company_ids:
        return 0, 0
    companies = session.scalars(
        select(CrmCompany).where(CrmCompany.shop_id == shop_id, CrmCompany.id.in_(holdings.company_ids))
    )
    changed_companies = sum(_set(c, note=_sub(needles.strong, c.note)) for c in companies)
    locations = session.scalars(
        select(CrmCompanyLocation).where(
            CrmCompanyLocation.shop_id == shop_id, CrmCompanyLocation.company_id.in_(holdings.company_ids)
        )
    )
    changed_locations = 0
    for location in locations:
        phone = None if (location.phone or "").lower() in needles.phones else location.phone
        changed_locations += _set(
            location,
            phone=_sub(needles.strong, phone),
            note=_sub(needles.strong, location.note),
            billing_address=_erase_address(location.billing_address, needles),
            shipping_address=_erase_address(location.shipping_address, needles),
        )
    return changed_companies, changed_locations


def _erase_address(address: Mapping[str, Any] | None, needles: _Needles) -> dict[str, Any] | None:
    if address is None:
        return None
    names = (str(address.get("first_name") or "").lower(), str(address.get("last_name") or "").lower())
    phone = str(address.get("phone") or "").lower()
    theirs = names in needles.name_pairs or (phone and phone in needles.phones)
    erased = {
        key: (None if theirs and key in ADDRESS_PERSON_KEYS else _scrub(value, needles.strong, frozenset()))
        for key, value in address.items()
    }
    return erased


def _set(row: Any, **values: Any) -> int:
    """Assign the values that differ; 1 if the row changed (so a second run changes nothing)."""
    changed = 0
    columns = type(row).__table__.c
    for name, value in values.items():
        limit = getattr(columns[name].type, "length", None)
        if isinstance(value, str) and limit:
            # "[redacted]" can be longer than the short name it replaces.
            value = value[:limit]
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = 1
    return changed


# -- export ---------------------------------------------------------------------------------------


def export_customer(uow: UnitOfWork, request: CustomerRequest) -> dict[str, Any] | None:
    """Everything the CRM holds on the customer, for the merchant; None when it holds nothing."""
    session = uow.session
    session.flush()
    holdings = _Holdings(session, request)
    if holdings.empty:
        return None
    tags = _tags(session, holdings.customer_ids)
    companies = {
        c.id: c for c in session.scalars(select(CrmCompany).where(CrmCompany.id.in_(holdings.company_ids)))
    }
    lines = _lines(session, holdings.order_ids)
    return {
        "customers": [_customer_doc(c, tags.get(c.id, [])) for c in holdings.customers],
        "company_memberships": [
            {
                "customer_id": next(c.shopify_id for c in holdings.customers if c.id == contact.customer_id),
                "company_id": companies[contact.company_id].shopify_id,
                "company_name": companies[contact.company_id].name,
                "title": contact.title,
                "locale": contact.locale,
                "since": contact.shopify_created_at,
                "removed_at": contact.deleted_at,
            }
            for contact in holdings.contacts
        ],
        "orders": [_order_doc(o, lines.get(o.id, [])) for o in holdings.orders],
        "draft_orders": [
            {
                "id": d.shopify_id,
                "name": d.name,
                "status": d.status,
                "email": d.email,
                "currency": d.currency,
                "total_price": d.total_price,
                "note": d.note,
                "tags": d.tags,
                "invoice_sent_at": d.invoice_sent_at,
                "completed_at": d.completed_at,
                "order_id": d.order_shopify_id,
            }
            for d in holdings.draft_orders
        ],
        "notes": [
            {"created_at": n.created_at, "author": n.author_name, "body": n.body} for n in holdings.notes
        ],
        "tasks": [
            {
                "title": t.title,
                "due_on": t.due_on,
                "created_at": t.created_at,
                "created_by": t.created_by_name,
                "completed_at": t.completed_at,
            }
            for t in holdings.tasks
        ],
        "timeline": [
            {
                "occurred_at": e.occurred_at,
                "kind": e.kind,
                "summary": e.summary,
                "actor": e.actor,
                "data": e.data,
            }
            for e in holdings.events
            if holdings.owns(e)
        ],
    }


def _tags(session: Session, customer_ids: Sequence[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    if customer_ids:
        rows = session.execute(
            select(CrmCustomerTag.customer_id, CrmCustomerTag.tag)
            .where(CrmCustomerTag.customer_id.in_(customer_ids))
            .order_by(CrmCustomerTag.tag)
        )
        for customer_id, tag in rows:
            found.setdefault(customer_id, []).append(tag)
    return found


def _lines(session: Session, order_ids: Sequence[int]) -> dict[int, list[CrmOrderLine]]:
    found: dict[int, list[CrmOrderLine]] = {}
    if order_ids:
        rows = session.scalars(
            select(CrmOrderLine).where(CrmOrderLine.order_id.in_(order_ids)).order_by(CrmOrderLine.id)
        )
        for line in rows:
            found.setdefault(line.order_id, []).append(line)
    return found


def _customer_doc(c: CrmCustomer, tags: list[str]) -> dict[str, Any]:
    return {
        "id": c.shopify_id,
        "email": c.email,
        "first_name": c.first_name,
        "last_name": c.last_name,
        "phone": c.phone,
        "state": c.state,
        "verified_email": c.verified_email,
        "tax_exempt": c.tax_exempt,
        "note": c.note,
        "tags": tags,
        "default_address": c.default_address,
        "addresses": c.addresses,
        "email_marketing": {
            "state": c.email_marketing_state,
            "opt_in_level": c.email_marketing_opt_in_level,
            "updated_at": c.email_marketing_updated_at,
        },
        "sales_rep": c.sales_rep_name,
        "acquisition_source": c.acquisition_source,
        "lifetime": {
            "orders_count": c.orders_count,
            "total_spent": c.total_spent,
            "currency": c.currency,
            "first_order_at": c.first_order_at,
            "last_order_at": c.last_order_at,
        },
        "created_at": c.shopify_created_at,
        "updated_at": c.shopify_updated_at,
        "deleted_at": c.deleted_at,
    }


def _order_doc(o: CrmOrder, lines: list[CrmOrderLine]) -> dict[str, Any]:
    return {
        "id": o.shopify_id,
        "name": o.name,
        "email": o.email,
        "processed_at": o.processed_at,
        "financial_status": o.financial_status,
        "fulfillment_status": o.fulfillment_status,
        "currency": o.currency,
        "subtotal_price": o.subtotal_price,
        "total_discounts": o.total_discounts,
        "total_tax": o.total_tax,
        "total_price": o.total_price,
        "current_total_price": o.current_total_price,
        "po_number": o.po_number,
        "note": o.note,
        "tags": o.tags,
        "source_name": o.source_name,
        "referring_site": o.referring_site,
        "landing_site": o.landing_site,
        "cancelled_at": o.cancelled_at,
        "cancel_reason": o.cancel_reason,
        "closed_at": o.closed_at,
        "deleted_at": o.deleted_at,
        "lines": [
            {
                "sku": line.sku,
                "title": line.title,
                "variant_title": line.variant_title,
                "quantity": line.quantity,
                "current_quantity": line.current_quantity,
                "price": line.price,
                "total_discount": line.total_discount,
                "currency": line.currency,
            }
            for line in lines
        ],
    }
