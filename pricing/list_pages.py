"""What the price list pages show, read through pricing.service.lists and crm.queries: a list's status as
merchants see it (scheduled and expired are active lists outside their window), who a list applies to, one
list's page; the look-ups its forms need (a variant by SKU, a product by handle) are in pricing.list_forms.

The few reads the lists service does not offer (the audience summary of many lists in one statement, names
of what adjustments, tiers and rules point at) are small queries here, scoped by shop.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from app.api.pagination import Page
from app.api.problems import InvalidParameter
from app.db import UnitOfWork
from app.errors import InvalidInput
from crm import queries
from crm.models import CrmCompanyLocation, CrmProduct, CrmVariant
from pricing.list_forms import (
    amount_text,
    find_scope_target,
    find_variant,
    local_input,
    number_text,
    parse_local_datetime,
    percent_text,
    rule_text,
)
from pricing.models import (
    AdjustmentScope,
    AssignmentTarget,
    Collection,
    PriceAdjustment,
    PriceList,
    PriceListAssignment,
    PriceListStatus,
    VolumeTier,
)
from pricing.service import lists

# The pages' views read the form helpers through this module too.
__all__ = [
    "AccountMatch",
    "DisplayState",
    "ListPage",
    "Named",
    "TierGroup",
    "amount_text",
    "audience_summaries",
    "collection_choices",
    "display_state",
    "find_scope_target",
    "find_variant",
    "load_list_page",
    "local_input",
    "number_text",
    "parse_local_datetime",
    "percent_text",
    "rule_text",
    "variant_label",
]

ENTRIES_PER_PAGE = 25
WHO_RESULTS = 8
COLLECTION_CHOICES = 250
# Words for each assignment target in the lists table: (one, many).
AUDIENCE_WORDS = {
    AssignmentTarget.COMPANY_LOCATION: ("location", "locations"),
    AssignmentTarget.COMPANY: ("company", "companies"),
    AssignmentTarget.CUSTOMER: ("customer", "customers"),
    AssignmentTarget.CUSTOMER_TAG: ("tag", "tags"),
    AssignmentTarget.SEGMENT: ("segment", "segments"),
}


# -- status ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DisplayState:
    """A list's status as the pages show it: key (a tab), label and badge tone."""

    key: str
    label: str
    tone: str | None


def display_state(price_list: PriceList, now: datetime) -> DisplayState:
    """Draft, Active, Scheduled (starts later), Expired (ended) or Archived."""
    if price_list.status is PriceListStatus.DRAFT:
        return DisplayState("draft", "Draft", "info")
    if price_list.status is PriceListStatus.ARCHIVED:
        return DisplayState("archived", "Archived", None)
    if price_list.ends_at is not None and price_list.ends_at <= now:
        return DisplayState("expired", "Expired", "warning")
    if price_list.starts_at is not None and price_list.starts_at > now:
        return DisplayState("scheduled", "Scheduled", "attention")
    return DisplayState("active", "Active", "success")


# -- the lists table ------------------------------------------------------------------------------


def audience_summaries(uow: UnitOfWork, *, shop_id: int, price_list_ids: Sequence[int]) -> dict[int, str]:
    """Who each list applies to, in words ("Everyone", "2 companies, 1 tag"), in one statement."""
    if not price_list_ids:
        return {}
    rows = uow.session.execute(
        select(PriceListAssignment.price_list_id, PriceListAssignment.target, func.count())
        .where(PriceListAssignment.shop_id == shop_id, PriceListAssignment.price_list_id.in_(price_list_ids))
        .group_by(PriceListAssignment.price_list_id, PriceListAssignment.target)
    ).all()
    counts: dict[int, dict[AssignmentTarget, int]] = defaultdict(dict)
    for price_list_id, target, number in rows:
        counts[price_list_id][target] = int(number)
    summaries = {}
    for price_list_id, by_target in counts.items():
        parts = ["Everyone"] if AssignmentTarget.DEFAULT in by_target else []
        for target, (one, many) in AUDIENCE_WORDS.items():
            if number := by_target.get(target, 0):
                parts.append(f"{number} {one if number == 1 else many}")
        summaries[price_list_id] = ", ".join(parts)
    return summaries


# -- one list's page ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Named:
    """A row and the words that name what it points at ("Blue mug / 1 kg (MUG-1)", "Every variant")."""

    row: Any
    label: str


@dataclass(frozen=True)
class TierGroup:
    """The tiers of one variant (or the list-wide ones, variant_id None), by minimum."""

    variant_id: int | None
    label: str
    sku: str | None
    tiers: list[VolumeTier]


@dataclass(frozen=True)
class AccountMatch:
    """A company (with its locations) or a customer found by the assignment search."""

    kind: str  # "company" | "customer"
    id: int
    label: str
    detail: str
    locations: list[tuple[int, str]] = field(default_factory=list)


@dataclass(frozen=True)
class ListPage:
    """Everything one price list's page shows."""

    summary: lists.PriceListSummary
    entries: Page[lists.EntryView]
    adjustments: list[Named]
    tier_groups: list[TierGroup]
    rules: list[Named]
    assignments: list[lists.AssignmentView]
    matches: list[AccountMatch] | None
    collections: list[tuple[int, str]]


def _variant_labels(
    uow: UnitOfWork, shop_id: int, variant_ids: set[int]
) -> dict[int, tuple[str, str | None]]:
    """{variant id: (label, sku)} in one statement."""
    if not variant_ids:
        return {}
    rows = uow.session.execute(
        select(CrmVariant.id, CrmVariant.title, CrmVariant.sku, CrmProduct.title)
        .join(CrmProduct, CrmProduct.id == CrmVariant.product_id)
        .where(CrmVariant.shop_id == shop_id, CrmVariant.id.in_(variant_ids))
    ).all()
    return {vid: (variant_label(product, title, sku), sku) for vid, title, sku, product in rows}


def variant_label(product: str | None, title: str | None, sku: str | None) -> str:
    """`Mug / Blue (MUG-B)`; Shopify's placeholder title "Default Title" is left out."""
    name = " / ".join(p for p in (product, None if title == "Default Title" else title) if p) or "Variant"
    return f"{name} ({sku})" if sku else name


def _adjustment_labels(uow: UnitOfWork, shop_id: int, adjustments: list[PriceAdjustment]) -> list[Named]:
    wanted: dict[AdjustmentScope, set[int]] = defaultdict(set)
    for adjustment in adjustments:
        if adjustment.scope_shopify_id is not None:
            wanted[adjustment.scope].add(adjustment.scope_shopify_id)
    names: dict[tuple[AdjustmentScope, int], str] = {}
    session = uow.session
    if ids := wanted.get(AdjustmentScope.PRODUCT):
        for sid, title in session.execute(
            select(CrmProduct.shopify_id, CrmProduct.title).where(
                CrmProduct.shop_id == shop_id, CrmProduct.shopify_id.in_(ids)
            )
        ):
            names[(AdjustmentScope.PRODUCT, sid)] = title or f"Product {sid}"
    if ids := wanted.get(AdjustmentScope.VARIANT):
        for sid, title, sku, product in session.execute(
            select(CrmVariant.shopify_id, CrmVariant.title, CrmVariant.sku, CrmProduct.title)
            .join(CrmProduct, CrmProduct.id == CrmVariant.product_id)
            .where(CrmVariant.shop_id == shop_id, CrmVariant.shopify_id.in_(ids))
        ):
            names[(AdjustmentScope.VARIANT, sid)] = variant_label(product, title, sku)
    if ids := wanted.get(AdjustmentScope.COLLECTION):
        for sid, title in session.execute(
            select(Collection.shopify_id, Collection.title).where(
                Collection.shop_id == shop_id, Collection.shopify_id.in_(ids)
            )
        ):
            names[(AdjustmentScope.COLLECTION, sid)] = title or f"Collection {sid}"
    named = []
    for adjustment in adjustments:
        scope, sid = adjustment.scope, adjustment.scope_shopify_id
        if scope is AdjustmentScope.ALL or sid is None:
            label = "Every variant"
        else:
            label = names.get((scope, sid), f"{scope.value.capitalize()} {sid}")
            label = f"{scope.value.capitalize()}: {label}"
        named.append(Named(adjustment, label))
    return named


def _matches(uow: UnitOfWork, shop_id: int, who: str) -> list[AccountMatch]:
    """Companies (with their locations) and customers matching the assignment search."""
    companies = queries.list_companies(uow, shop_id=shop_id, search=who, limit=WHO_RESULTS).items
    customers = queries.list_customers(uow, shop_id=shop_id, search=who, limit=WHO_RESULTS).items
    locations: dict[int, list[tuple[int, str]]] = defaultdict(list)
    if companies:
        for location in uow.session.scalars(
            select(CrmCompanyLocation)
            .where(
                CrmCompanyLocation.shop_id == shop_id,
                CrmCompanyLocation.company_id.in_([row.company.id for row in companies]),
                CrmCompanyLocation.deleted_at.is_(None),
            )
            .order_by(CrmCompanyLocation.name, CrmCompanyLocation.id)
        ):
            locations[location.company_id].append(
                (location.id, location.name or f"Location {location.shopify_id}")
            )
    found = [
        AccountMatch(
            "company",
            row.company.id,
            row.company.name or f"Company {row.company.shopify_id}",
            f"{row.locations_count} location{'s' if row.locations_count != 1 else ''}",
            locations.get(row.company.id, []),
        )
        for row in companies
    ]
    found += [
        AccountMatch(
            "customer",
            row.customer.id,
            row.customer.display_name,
            ", ".join(
                p
                for p in (row.customer.email, row.customer.company.name if row.customer.company else None)
                if p
            ),
        )
        for row in customers
    ]
    return found


def load_list_page(
    uow: UnitOfWork,
    *,
    shop_id: int,
    price_list_id: int,
    entry_search: str | None = None,
    entry_cursor: str | None = None,
    who: str | None = None,
) -> ListPage:
    """One list's page; NotFound for another shop's list. An unusable entries cursor shows the first page."""
    summary = lists.get_price_list_summary(uow, shop_id=shop_id, price_list_id=price_list_id)
    try:
        entries = lists.search_entries(
            uow,
            shop_id=shop_id,
            price_list_id=price_list_id,
            search=entry_search,
            limit=ENTRIES_PER_PAGE,
            cursor=entry_cursor,
        )
    except (InvalidParameter, InvalidInput):  # an edited or stale cursor: the first page, not an error
        entries = lists.search_entries(
            uow, shop_id=shop_id, price_list_id=price_list_id, search=entry_search, limit=ENTRIES_PER_PAGE
        )
    adjustments = lists.list_adjustments(uow, shop_id=shop_id, price_list_id=price_list_id)
    tiers = lists.list_tiers(uow, shop_id=shop_id, price_list_id=price_list_id)
    rules = lists.list_quantity_rules(uow, shop_id=shop_id, price_list_id=price_list_id)
    variant_ids = {t.variant_id for t in tiers if t.variant_id} | {
        r.variant_id for r in rules if r.variant_id
    }
    labels = _variant_labels(uow, shop_id, variant_ids)
    groups: dict[int | None, list[VolumeTier]] = defaultdict(list)
    for tier in tiers:
        groups[tier.variant_id].append(tier)
    tier_groups = [
        TierGroup(
            vid,
            "Every variant (list-wide)" if vid is None else labels.get(vid, (f"Variant {vid}", None))[0],
            None if vid is None else labels.get(vid, ("", None))[1],
            rows,
        )
        for vid, rows in groups.items()
    ]
    return ListPage(
        summary=summary,
        entries=entries,
        adjustments=_adjustment_labels(uow, shop_id, adjustments),
        tier_groups=tier_groups,
        rules=[
            Named(
                rule,
                "Every variant (list-wide)"
                if rule.variant_id is None
                else labels.get(rule.variant_id, (f"Variant {rule.variant_id}", None))[0],
            )
            for rule in rules
        ],
        assignments=lists.list_assignments(uow, shop_id=shop_id, price_list_id=price_list_id),
        matches=_matches(uow, shop_id, who) if who else None,
        collections=collection_choices(uow, shop_id),
    )


def collection_choices(uow: UnitOfWork, shop_id: int) -> list[tuple[int, str]]:
    """The shop's mirrored collections as (Shopify id, title), for the adjustment form."""
    rows = uow.session.execute(
        select(Collection.shopify_id, Collection.title)
        .where(Collection.shop_id == shop_id, Collection.deleted.is_(False))
        .order_by(Collection.title, Collection.id)
        .limit(COLLECTION_CHOICES)
    ).all()
    return [(sid, title or f"Collection {sid}") for sid, title in rows]
