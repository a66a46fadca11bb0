"""Managing price lists: the lists themselves, their fixed prices, adjustments, volume tiers, quantity
rules and assignments, and the shop's precedence setting. Every surface (admin pages, REST API, demo,
simulator) changes pricing data through these functions.

Contract (plain functions; keyword arguments after the unit of work; they never commit):

    Price lists (price_lists.py; each write but delete takes actor="staff", who its timeline names)
    create_price_list(uow, *, shop_id, name, currency=None (the shop's), description=None, priority=0,
                      base="retail", order_minimum=None, starts_at=None, ends_at=None) -> PriceList (DRAFT)
    update_price_list(uow, *, shop_id, price_list_id, name=UNSET, description=UNSET, currency=UNSET,
                      priority=UNSET, base=UNSET, order_minimum=UNSET, starts_at=UNSET, ends_at=UNSET)
                      -> PriceList           (only the fields given change; UNSET = leave as is)
    activate_price_list(uow, *, shop_id, price_list_id) -> PriceList    DRAFT -> ACTIVE (ACTIVE: no change)
    archive_price_list(uow, *, shop_id, price_list_id) -> PriceList     DRAFT/ACTIVE -> ARCHIVED
    schedule_price_list(uow, *, shop_id, price_list_id, starts_at, ends_at) -> PriceList
                      sets the window and activates a draft: it prices its buyers from starts_at to ends_at
    duplicate_price_list(uow, *, shop_id, price_list_id, name=None, with_assignments=True) -> PriceList
                      a DRAFT copy with the entries, adjustments, tiers, rules (and assignments), set-based
    delete_price_list(uow, *, shop_id, price_list_id) -> None           DRAFT only (its timeline goes too)
    Reads (price_list_reads.py)
    get_price_list(uow, *, shop_id, price_list_id) -> PriceList
    get_price_list_summary(uow, *, shop_id, price_list_id) -> PriceListSummary
    list_price_lists(uow, *, shop_id, status=None, search=None, sort="name", limit=50, cursor=None)
                      -> Page[PriceListSummary]                          (counts in the same query)
    get_precedence(uow, *, shop_id) -> Precedence; set_precedence(uow, *, shop_id, precedence) -> Precedence

    Entries (entries.py)
    set_entry(uow, *, shop_id, price_list_id, variant_id, price, compare_at_price=None) -> PriceEntry
    remove_entry(uow, *, shop_id, price_list_id, variant_id) -> None
    bulk_upsert_entries(uow, *, shop_id, price_list_id, rows: Sequence[EntryInput]) -> BulkResult
                      every row checked first; any bad row: BulkInputError listing them all, nothing written
    search_entries(uow, *, shop_id, price_list_id, search=None, limit=50, cursor=None) -> Page[EntryView]
    find_variants(uow, *, shop_id, refs: Sequence[VariantRef]) -> list[int]
                      variant ids of references by variant_id, shopify_variant_id or sku (BulkInputError)

    Adjustments, tiers, quantity rules (contents.py)
    set_adjustment(uow, *, shop_id, price_list_id, scope, scope_shopify_id=None, percent) -> PriceAdjustment
    remove_adjustment(uow, *, shop_id, price_list_id, adjustment_id) -> None
    list_adjustments(uow, *, shop_id, price_list_id) -> list[PriceAdjustment]
    replace_tiers(uow, *, shop_id, price_list_id, variant_id: int | None, tiers: Sequence[TierInput])
                      -> list[VolumeTier]    (variant_id None = list-wide; [] removes them)
    list_tiers(uow, *, shop_id, price_list_id, variant_id=ALL_VARIANTS) -> list[VolumeTier]
    set_quantity_rule(uow, *, shop_id, price_list_id, variant_id: int | None, minimum=1, maximum=None,
                      increment=1) -> QuantityRule
    remove_quantity_rule(uow, *, shop_id, price_list_id, variant_id: int | None) -> None
    list_quantity_rules(uow, *, shop_id, price_list_id) -> list[QuantityRule]

    Assignments (assignments.py)
    add_assignment(uow, *, shop_id, price_list_id, target, company_location_id=None, company_id=None,
                   customer_id=None, customer_tag=None, segment_id=None, actor="staff") -> PriceListAssignment
    remove_assignment(uow, *, shop_id, price_list_id, assignment_id, actor="staff") -> None
    list_assignments(uow, *, shop_id, price_list_id) -> list[AssignmentView]

Returns: a single row written or read is the model row itself (PriceList, PriceEntry, ...), attached to
the session; composed reads are frozen dataclasses (PriceListSummary, EntryView, AssignmentView,
BulkResult) holding rows and computed values. Ids are Tradeline's (`crm_variant.id`, `crm_company.id`...).

Errors: bad values are `PricingInputError` (InvalidInput, 422; `.field` names the input), a bulk upsert's
`BulkInputError` carries `.errors` (every bad row); an id unknown or of another shop is NotFound (404);
a duplicate name or assignment, or an illegal transition (activating an archived list, editing an
archived list, deleting a list that is not a draft), is Conflict (409). Every check runs before the
first write, so a refused call changes nothing. A call that changes a list's contents also moves the
list's `updated_at` (what publishing compares with). Assigning a list to a company, location or customer
writes one event on that account's timeline; creating, changing, activating, archiving, scheduling and
duplicating a list write one on the list's own timeline (pricing/timeline.py).
"""

from __future__ import annotations

from pricing.service.lists._common import UNSET, BulkInputError, RowError, Unset
from pricing.service.lists.assignments import (
    AssignmentView,
    add_assignment,
    list_assignments,
    remove_assignment,
)
from pricing.service.lists.contents import (
    ALL_VARIANTS,
    list_adjustments,
    list_quantity_rules,
    list_tiers,
    remove_adjustment,
    remove_quantity_rule,
    replace_tiers,
    set_adjustment,
    set_quantity_rule,
)
from pricing.service.lists.entries import (
    BulkResult,
    EntryInput,
    EntryView,
    VariantRef,
    bulk_upsert_entries,
    find_variants,
    remove_entry,
    search_entries,
    set_entry,
)
from pricing.service.lists.price_list_reads import (
    PRICE_LIST_SORTS,
    PriceListSummary,
    get_precedence,
    get_price_list,
    get_price_list_summary,
    list_price_lists,
    set_precedence,
)
from pricing.service.lists.price_lists import (
    activate_price_list,
    archive_price_list,
    create_price_list,
    delete_price_list,
    duplicate_price_list,
    schedule_price_list,
    update_price_list,
)
from pricing.validation import TierInput

__all__ = [
    "ALL_VARIANTS",
    "PRICE_LIST_SORTS",
    "UNSET",
    "AssignmentView",
    "BulkInputError",
    "BulkResult",
    "EntryInput",
    "EntryView",
    "PriceListSummary",
    "RowError",
    "TierInput",
    "Unset",
    "VariantRef",
    "activate_price_list",
    "add_assignment",
    "archive_price_list",
    "bulk_upsert_entries",
    "create_price_list",
    "delete_price_list",
    "duplicate_price_list",
    "find_variants",
    "get_precedence",
    "get_price_list",
    "get_price_list_summary",
    "list_adjustments",
    "list_assignments",
    "list_price_lists",
    "list_quantity_rules",
    "list_tiers",
    "remove_adjustment",
    "remove_assignment",
    "remove_entry",
    "remove_quantity_rule",
    "replace_tiers",
    "schedule_price_list",
    "search_entries",
    "set_adjustment",
    "set_entry",
    "set_precedence",
    "set_quantity_rule",
    "update_price_list",
]
