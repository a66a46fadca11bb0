"""Fixed prices of a list: set or remove one, upsert many at once (all or nothing), search them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from app.api.pagination import Page, paginate
from app.db import UnitOfWork, utcnow
from app.errors import NotFound
from crm.models import CrmProduct, CrmVariant
from pricing.models import PriceEntry, PriceList, TierKind, VolumeTier
from pricing.service.lists._common import BulkInputError, RowError, live_variant, load_list, touch
from pricing.validation import PricingInputError, parse_price

DEFAULT_LIMIT = 50
# Ids per IN (...) list: well under SQLite's and PostgreSQL's bind-parameter limits.
CHUNK = 500
MAX_SHOPIFY_ID = 2**63 - 1
MAX_SEARCH_WORDS = 8


@dataclass(frozen=True)
class EntryInput:
    """One row of a bulk upsert, as given: the variant by exactly one of variant_id, shopify_variant_id
    or sku, and its price (a decimal string, int or Decimal) and optional compare-at price.
    """

    price: object
    compare_at_price: object = None
    variant_id: object = None
    shopify_variant_id: object = None
    sku: object = None


@dataclass(frozen=True)
class BulkResult:
    """What a bulk upsert did: entries created, changed, and given unchanged."""

    created: int
    updated: int
    unchanged: int


@dataclass(frozen=True)
class EntryView:
    """An entry with its variant and the variant's product title."""

    entry: PriceEntry
    variant: CrmVariant
    product_title: str | None


@dataclass(frozen=True)
class _Clean:
    variant_id: int
    price: Decimal
    compare_at_price: Decimal | None


def _prices(price: object, compare_at_price: object, currency: str) -> tuple[Decimal, Decimal | None]:
    clean = parse_price(price, currency, field="price")
    compare = None
    if compare_at_price is not None and compare_at_price != "":
        compare = parse_price(compare_at_price, currency, field="compare_at_price")
        if compare < clean:
            raise PricingInputError(
                f"The compare-at price {compare} is below the price {clean}: it is shown struck through "
                "as the higher, usual price",
                field="compare_at_price",
            )
    return clean, compare


def _fixed_tier_ceilings(
    session: Session, price_list_id: int, variant_ids: Iterable[int]
) -> dict[int, tuple[Decimal, int]]:
    """Per variant, its highest fixed tier price in the list and that tier's minimum quantity."""
    ceilings: dict[int, tuple[Decimal, int]] = {}
    ids = sorted(set(variant_ids))
    for start in range(0, len(ids), CHUNK):
        rows = session.execute(
            select(VolumeTier.variant_id, VolumeTier.value, VolumeTier.min_quantity).where(
                VolumeTier.price_list_id == price_list_id,
                VolumeTier.kind == TierKind.FIXED,
                VolumeTier.variant_id.in_(ids[start : start + CHUNK]),
            )
        )
        for variant_id, value, min_quantity in rows:
            if variant_id not in ceilings or value > ceilings[variant_id][0]:
                ceilings[variant_id] = (value, min_quantity)
    return ceilings


def _tier_problem(price: Decimal, ceiling: tuple[Decimal, int] | None) -> str | None:
    if ceiling is not None and price < ceiling[0]:
        return (
            f"The price {price} is below the variant's tier price {ceiling[0].normalize()} at {ceiling[1]} "
            "units: buying more must never cost more per unit (change the tiers first)"
        )
    return None


# -- one entry ------------------------------------------------------------------------------------


def set_entry(
    uow: UnitOfWork,
    *,
    shop_id: int,
    price_list_id: int,
    variant_id: int,
    price: object,
    compare_at_price: object = None,
) -> PriceEntry:
    """Set the fixed price of one variant in the list (created or replaced)."""
    session = uow.session
    price_list = load_list(session, shop_id, price_list_id, for_change=True)
    variant = live_variant(session, shop_id, variant_id)
    clean, compare = _prices(price, compare_at_price, price_list.currency)
    problem = _tier_problem(clean, _fixed_tier_ceilings(session, price_list.id, [variant.id]).get(variant.id))
    if problem:
        raise PricingInputError(problem, field="price")
    entry = session.scalar(
        select(PriceEntry).where(
            PriceEntry.price_list_id == price_list.id, PriceEntry.variant_id == variant.id
        )
    )
    if entry is None:
        entry = PriceEntry(shop_id=shop_id, price_list_id=price_list.id, variant_id=variant.id)
        session.add(entry)
    entry.price, entry.compare_at_price = clean, compare
    touch(price_list)
    session.flush()
    return entry


def remove_entry(uow: UnitOfWork, *, shop_id: int, price_list_id: int, variant_id: int) -> None:
    """Remove a variant's fixed price from the list (NotFound when it has none)."""
    session = uow.session
    price_list = load_list(session, shop_id, price_list_id, for_change=True)
    removed = session.execute(
        delete(PriceEntry).where(
            PriceEntry.shop_id == shop_id,
            PriceEntry.price_list_id == price_list.id,
            PriceEntry.variant_id == variant_id,
        )
    )
    if not removed.rowcount:  # type: ignore[attr-defined]
        raise NotFound(f"variant {variant_id} has no price in the list {price_list.name!r}")
    touch(price_list)
    session.flush()


# -- many entries ---------------------------------------------------------------------------------


def _identifier(row: VariantRef | EntryInput) -> tuple[str, Any] | str:
    """('variant_id' | 'shopify_variant_id' | 'sku', value), or a message saying what is wrong."""
    given = [
        (name, value)
        for name, value in (
            ("variant_id", row.variant_id),
            ("shopify_variant_id", row.shopify_variant_id),
            ("sku", row.sku),
        )
        if value is not None and value != ""
    ]
    if not given:
        return "Name the variant by variant_id, shopify_variant_id or sku"
    if len(given) > 1:
        return f"Name the variant once, not by {' and '.join(name for name, _ in given)}"
    name, value = given[0]
    if name == "sku":
        if not isinstance(value, str) or not value.strip():
            return "The SKU must be text"
        return name, value.strip()
    limit = MAX_SHOPIFY_ID if name == "shopify_variant_id" else 2**31 - 1
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= limit:
        return f"The {name} {value!r} is not an id (a positive integer)"
    return name, value


def _lookup(session: Session, shop_id: int, column: Any, values: set[Any]) -> dict[Any, list[int]]:
    """Live variant ids of the shop by the given column's values (a SKU may name several)."""
    found: dict[Any, list[int]] = defaultdict(list)
    ordered = sorted(values)
    for start in range(0, len(ordered), CHUNK):
        rows = session.execute(
            select(column, CrmVariant.id).where(
                CrmVariant.shop_id == shop_id,
                CrmVariant.deleted_at.is_(None),
                column.in_(ordered[start : start + CHUNK]),
            )
        )
        for value, variant_id in rows:
            found[value].append(variant_id)
    return found


def _resolve_variants(
    session: Session, shop_id: int, keyed: dict[int, tuple[str, Any]], errors: list[RowError]
) -> dict[int, int]:
    """Row index -> variant id for rows whose variant exists; the others get a RowError."""
    columns = {
        "variant_id": CrmVariant.id,
        "shopify_variant_id": CrmVariant.shopify_id,
        "sku": CrmVariant.sku,
    }
    by_kind: dict[str, set[Any]] = defaultdict(set)
    for kind, value in keyed.values():
        by_kind[kind].add(value)
    found = {kind: _lookup(session, shop_id, columns[kind], values) for kind, values in by_kind.items()}
    resolved: dict[int, int] = {}
    for index, (kind, value) in keyed.items():
        matches = found[kind].get(value, [])
        if not matches:
            label = {"variant_id": "variant", "shopify_variant_id": "Shopify variant", "sku": "SKU"}[kind]
            errors.append(RowError(index, kind, f"Unknown {label} {value!r} in this shop"))
        elif len(matches) > 1:
            errors.append(
                RowError(index, kind, f"The SKU {value!r} names {len(matches)} variants: use variant_id")
            )
        else:
            resolved[index] = matches[0]
    return resolved


@dataclass(frozen=True)
class VariantRef:
    """A variant named by exactly one of its Tradeline id, its Shopify id or its SKU (as given)."""

    variant_id: object = None
    shopify_variant_id: object = None
    sku: object = None


def find_variants(uow: UnitOfWork, *, shop_id: int, refs: Sequence[VariantRef | EntryInput]) -> list[int]:
    """The live variant id of each reference, in order; BulkInputError lists every bad one."""
    errors: list[RowError] = []
    keyed: dict[int, tuple[str, Any]] = {}
    for index, ref in enumerate(refs):
        identifier = _identifier(ref)
        if isinstance(identifier, str):
            errors.append(RowError(index, "variant_id", identifier))
        else:
            keyed[index] = identifier
    resolved = _resolve_variants(uow.session, shop_id, keyed, errors)
    if errors:
        raise BulkInputError(sorted(errors, key=lambda error: error.index))
    return [resolved[index] for index in range(len(refs))]


def bulk_upsert_entries(
    uow: UnitOfWork, *, shop_id: int, price_list_id: int, rows: Sequence[EntryInput]
) -> BulkResult:
    """Create or replace many fixed prices at once: every row is checked first, and one bad row refuses
    them all (BulkInputError lists every bad row with its 0-based index); the writes are set-based.
    """
    session = uow.session
    price_list = load_list(session, shop_id, price_list_id, for_change=True)
    errors: list[RowError] = []
    keyed: dict[int, tuple[str, Any]] = {}
    prices: dict[int, tuple[Decimal, Decimal | None]] = {}
    for index, row in enumerate(rows):
        identifier = _identifier(row)
        if isinstance(identifier, str):
            errors.append(RowError(index, "variant_id", identifier))
        else:
            keyed[index] = identifier
        try:
            prices[index] = _prices(row.price, row.compare_at_price, price_list.currency)
        except PricingInputError as exc:
            errors.append(RowError(index, exc.field, exc.detail))
    resolved = _resolve_variants(session, shop_id, keyed, errors)
    seen: dict[int, int] = {}
    clean: list[_Clean] = []
    ceilings = _fixed_tier_ceilings(session, price_list.id, resolved.values())
    for index in sorted(resolved):
        variant_id = resolved[index]
        if variant_id in seen:
            errors.append(
                RowError(index, keyed[index][0], f"The variant is already priced in row {seen[variant_id]}")
            )
            continue
        seen[variant_id] = index
        if index not in prices:
            continue
        problem = _tier_problem(prices[index][0], ceilings.get(variant_id))
        if problem:
            errors.append(RowError(index, "price", problem))
            continue
        clean.append(_Clean(variant_id, *prices[index]))
    if errors:
        raise BulkInputError(sorted(errors, key=lambda error: error.index))
    return _write(session, shop_id, price_list, clean)


def _write(session: Session, shop_id: int, price_list: PriceList, rows: list[_Clean]) -> BulkResult:
    table = PriceEntry.__table__
    existing: dict[int, tuple[int, Decimal, Decimal | None]] = {}
    ids = [row.variant_id for row in rows]
    for start in range(0, len(ids), CHUNK):
        for entry_id, variant_id, price, compare in session.execute(
            select(PriceEntry.id, PriceEntry.variant_id, PriceEntry.price, PriceEntry.compare_at_price).where(
                PriceEntry.price_list_id == price_list.id,
                PriceEntry.variant_id.in_(ids[start : start + CHUNK]),
            )
        ):
            existing[variant_id] = (entry_id, price, compare)
    now = utcnow()
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for row in rows:
        old = existing.get(row.variant_id)
        if old is None:
            inserts.append(
                {
                    "shop_id": shop_id,
                    "price_list_id": price_list.id,
                    "variant_id": row.variant_id,
                    "price": row.price,
                    "compare_at_price": row.compare_at_price,
                    "updated_at": now,
                }
            )
        elif old[1] != row.price or old[2] != row.compare_at_price:
            updates.append({"b_id": old[0], "price": row.price, "compare_at_price": row.compare_at_price})
    if inserts:
        session.execute(insert(table), inserts)
    if updates:
        session.execute(
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values(price=bindparam("price"), compare_at_price=bindparam("compare_at_price"), updated_at=now),
            updates,
        )
    if inserts or updates:
        touch(price_list)
        session.flush()
    # Rows changed under the session's feet: entry objects of this list it holds are stale now.
    for held in list(session.identity_map.values()):
        if isinstance(held, PriceEntry) and held.price_list_id == price_list.id:
            session.expire(held)
    return BulkResult(
        created=len(inserts), updated=len(updates), unchanged=len(rows) - len(inserts) - len(updates)
    )


# -- reading --------------------------------------------------------------------------------------


def search_entries(
    uow: UnitOfWork,
    *,
    shop_id: int,
    price_list_id: int,
    search: str | None = None,
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> Page[EntryView]:
    """A page of the list's entries in variant order; each word searched matches SKU, variant or product."""
    session = uow.session
    price_list = load_list(session, shop_id, price_list_id)
    stmt = (
        select(PriceEntry, CrmVariant, CrmProduct.title)
        .join(CrmVariant, CrmVariant.id == PriceEntry.variant_id)
        .join(CrmProduct, CrmProduct.id == CrmVariant.product_id)
        .where(PriceEntry.shop_id == shop_id, PriceEntry.price_list_id == price_list.id)
    )
    for word in (search or "").split()[:MAX_SEARCH_WORDS]:
        stmt = stmt.where(
            or_(
                *[
                    func.coalesce(column, "").icontains(word, autoescape=True)
                    for column in (CrmVariant.sku, CrmVariant.title, CrmProduct.title)
                ]
            )
        )
    page = paginate(session, stmt, key_columns=[PriceEntry.variant_id], limit=limit, cursor=cursor)
    return Page(
        items=[EntryView(entry, variant, title) for entry, variant, title in page.items],
        next_cursor=page.next_cursor,
    )
