"""What the price engine reads and returns: plain frozen dataclasses (no database, no Flask).

The engine (pricing.rules.engine) reads PricingData and a Buyer and returns a PricedCart; the
service (pricing.service.resolve) builds PricingData from the database.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from decimal import Decimal
from functools import cached_property
from typing import Any

from pricing.models import (
    AdjustmentScope,
    AssignmentTarget,
    Precedence,
    PriceBase,
    PriceListStatus,
    TierKind,
)

# Assignment targets, most specific first: the index is the rank that breaks price ties.
SPECIFICITY: tuple[AssignmentTarget, ...] = tuple(AssignmentTarget)


# ---- the interface other modules code against ------------------------------------------------


@dataclass(frozen=True)
class Buyer:
    """Who is buying: the ids assignments match on, and the currency they pay in."""

    customer_id: int | None
    company_id: int | None
    company_location_id: int | None
    customer_tags: frozenset[str]  # lower-cased
    segment_ids: frozenset[int]
    currency: str


@dataclass(frozen=True)
class LineRequest:
    """A cart line to price: a crm_variant.id and a quantity."""

    variant_id: int
    quantity: int


@dataclass(frozen=True)
class Candidate:
    """One price list considered for a line, with what became of it and why."""

    price_list_id: int
    price_list_name: str
    via: AssignmentTarget | None
    unit_price: Decimal | None  # exact, unrounded
    source: str  # "fixed" | "adjustment" | "tier"; "none" when not applicable
    tier_min_quantity: int | None
    outcome: str  # "won" | "lost" | "not_applicable"
    reason: str


@dataclass(frozen=True)
class Violation:
    """A rule the cart breaks (quantity rules, order minimum, no price)."""

    code: str  # below_minimum | above_maximum | not_increment | below_order_minimum | no_price
    message: str
    price_list_id: int | None


@dataclass(frozen=True)
class LinePrice:
    """The decided price of one line, rounded, with every candidate and a one-sentence explanation.

    `candidates` is a tuple, or (from the engine) a sequence built on first read that equals, hashes,
    copies and pickles as that tuple: the winner, the losers in precedence order, then the lists
    that did not apply.
    """

    variant_id: int
    quantity: int
    currency: str
    unit_price: Decimal | None  # rounded; None = no price in this currency
    line_total: Decimal | None
    base_price: Decimal | None  # retail, rounded (None when not in the buyer's currency)
    price_list_id: int | None
    tier_min_quantity: int | None
    source: str  # "fixed" | "adjustment" | "tier" | "retail" | "none"
    violations: tuple[Violation, ...]
    candidates: Sequence[Candidate]
    explanation: str


@dataclass(frozen=True)
class PricedCart:
    """Every line priced, the subtotal of the priced lines, and cart-level violations."""

    currency: str
    lines: tuple[LinePrice, ...]
    subtotal: Decimal
    violations: tuple[Violation, ...]


# ---- the data the engine reads (rows as plain values) ----------------------------------------


@dataclass(frozen=True)
class AssignmentInfo:
    """Who a list is assigned to: exactly the target's field is set (none for DEFAULT)."""

    target: AssignmentTarget
    company_location_id: int | None = None
    company_id: int | None = None
    customer_id: int | None = None
    customer_tag: str | None = None
    segment_id: int | None = None


@dataclass(frozen=True)
class ListInfo:
    """A price list's header and assignments."""

    id: int
    name: str
    currency: str
    status: PriceListStatus = PriceListStatus.ACTIVE
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    priority: int = 0
    base: PriceBase = PriceBase.RETAIL
    order_minimum: Decimal | None = None
    assignments: tuple[AssignmentInfo, ...] = ()


@dataclass(frozen=True)
class VariantInfo:
    """A variant's retail prices, and the Shopify ids adjustments are scoped by."""

    id: int
    shopify_id: int
    product_shopify_id: int
    price: Decimal | None
    compare_at_price: Decimal | None = None
    currency: str = "USD"


@dataclass(frozen=True)
class EntryInfo:
    """A fixed price of a variant in a list."""

    price_list_id: int
    variant_id: int
    price: Decimal


@dataclass(frozen=True)
class AdjustmentInfo:
    """A signed percentage of the base price, list-wide or for a collection/product/variant (Shopify id)."""

    price_list_id: int
    scope: AdjustmentScope
    scope_shopify_id: int | None
    percent: Decimal


@dataclass(frozen=True)
class TierInfo:
    """A volume tier; variant_id None = list-wide."""

    price_list_id: int
    variant_id: int | None
    min_quantity: int
    kind: TierKind
    value: Decimal


@dataclass(frozen=True)
class RuleInfo:
    """A quantity rule; variant_id None = list-wide."""

    price_list_id: int
    variant_id: int | None
    minimum: int = 1
    maximum: int | None = None
    increment: int = 1


@dataclass(frozen=True)
class PricingData:
    """Everything the engine needs for some variants: lists, their rows, and the shop's precedence.

    `activate` names lists treated as ACTIVE and inside their window (drafts being explained or
    simulated). Indexes are built once per instance, so one load can price many buyers.
    """

    at: datetime
    precedence: Precedence
    lists: tuple[ListInfo, ...]
    variants: tuple[VariantInfo, ...]
    entries: tuple[EntryInfo, ...] = ()
    adjustments: tuple[AdjustmentInfo, ...] = ()
    tiers: tuple[TierInfo, ...] = ()
    rules: tuple[RuleInfo, ...] = ()
    collections: tuple[tuple[int, int], ...] = ()  # (collection_shopify_id, product_shopify_id)
    activate: frozenset[int] = field(default_factory=frozenset)

    @cached_property
    def index(self) -> _Index:
        """The rows keyed the way the engine looks them up."""
        return _Index(self)


class _Index:
    """Dict lookups by variant id and list id, so pricing a line costs no scan."""

    def __init__(self, data: PricingData) -> None:
        self.lists: dict[int, ListInfo] = {row.id: row for row in sorted(data.lists, key=lambda r: r.id)}
        self.variants: dict[int, VariantInfo] = {row.id: row for row in data.variants}
        self.entries: dict[int, dict[int, Decimal]] = {}
        for entry in data.entries:
            self.entries.setdefault(entry.variant_id, {})[entry.price_list_id] = entry.price
        # Per list: {scope: {shopify id or None: percent}}.
        self.adjustments: dict[int, dict[AdjustmentScope, dict[int | None, Decimal]]] = {}
        for adj in data.adjustments:
            scopes = self.adjustments.setdefault(adj.price_list_id, {})
            scopes.setdefault(adj.scope, {})[adj.scope_shopify_id] = adj.percent
        # Per list: {variant id or None (list-wide): its tiers by minimum quantity}.
        tiers: dict[int, dict[int | None, list[TierInfo]]] = {}
        for tier in data.tiers:
            tiers.setdefault(tier.price_list_id, {}).setdefault(tier.variant_id, []).append(tier)
        self.tiers: dict[int, dict[int | None, tuple[TierInfo, ...]]] = {
            list_id: {key: tuple(sorted(rows, key=lambda t: t.min_quantity)) for key, rows in by_key.items()}
            for list_id, by_key in tiers.items()
        }
        self.rules: dict[tuple[int, int | None], RuleInfo] = {
            (rule.price_list_id, rule.variant_id): rule for rule in data.rules
        }
        collections: dict[int, set[int]] = {}
        for collection_id, product_id in data.collections:
            collections.setdefault(product_id, set()).add(collection_id)
        self.collections: dict[int, frozenset[int]] = {k: frozenset(v) for k, v in collections.items()}
        # Per-list pricing plans, filled by the engine on first use (pricing.rules.engine._plan).
        self.plans: dict[int, Any] = {}


def builder(cls: type[Any]) -> Callable[..., Any]:
    """A positional constructor for a frozen dataclass of this module that sets its __dict__ at once.

    A frozen dataclass's __init__ sets each field through object.__setattr__; pricing a 1,000-line cart
    builds ~10,000 of these objects, and this costs a third of that. The result is an ordinary instance
    (equality, hashing, repr and replace() work as usual); the caller passes every field, in order.
    The function is generated, as dataclasses generates __init__, from the class's own field names.
    """
    names = [f.name for f in fields(cls)]
    args = ", ".join(f"v{n}" for n in range(len(names)))
    body = ", ".join(f"{name!r}: v{n}" for n, name in enumerate(names))
    source = (
        f"def make({args}):\n"
        f"    instance = new(cls)\n"
        f"    set_attr(instance, '__dict__', {{{body}}})\n"
        f"    return instance\n"
    )
    namespace: dict[str, Any] = {"new": object.__new__, "set_attr": object.__setattr__, "cls": cls}
    exec(source, namespace)  # the source is built from dataclass field names only
    return namespace["make"]
