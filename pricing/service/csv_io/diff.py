"""The dry run's result: what a file would add, change and remove in a list, with counts and samples."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from pricing.service.csv_io.format import (
    COMPARE_AT,
    INCREMENT,
    MAX_QTY,
    MIN_QTY,
    PRICE,
    RowError,
    VariantPrices,
    describe_tiers,
    format_money,
    format_number,
)

SAMPLE_SIZE = 50  # rows of each kind the diff page shows


class ImportMode(enum.StrEnum):
    """What happens to the list's variants that the file does not mention."""

    MERGE = "merge"  # they are kept: the file adds and changes only
    REPLACE = "replace"  # they are removed: the list becomes exactly the file


class Change(enum.StrEnum):
    ADDED = "added"  # the list held nothing for the variant; the row gives it a price, tiers or a rule
    CHANGED = "changed"  # some of the variant's values differ
    REMOVED = "removed"  # the list's values for the variant go (an empty row, or absent in replace mode)
    UNCHANGED = "unchanged"  # the row states what the list already holds


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One value of a variant, before and after ('' = none)."""

    field: str
    old: str
    new: str


@dataclass(slots=True)
class DiffRow:
    """One variant's change, for display; names are filled in once per report, set-based."""

    change: Change
    variant_id: int
    line: int | None
    fields: tuple[FieldChange, ...]
    shopify_variant_id: int | None = None
    sku: str | None = None
    product: str | None = None
    title: str | None = None


@dataclass
class ImportReport:
    """Counts, samples and every bad row of one pass over a file; `fingerprint` and `digest` tie an
    apply to its dry run (the list's contents, and the changes the file makes)."""

    price_list_id: int
    price_list_name: str
    currency: str
    mode: ImportMode
    rows: int = 0
    counts: dict[Change, int] = field(default_factory=lambda: dict.fromkeys(Change, 0))
    samples: dict[Change, list[DiffRow]] = field(
        default_factory=lambda: {Change.ADDED: [], Change.CHANGED: [], Change.REMOVED: []}
    )
    errors: list[RowError] = field(default_factory=list)
    fingerprint: str = ""
    digest: str = ""
    staged: str = ""  # the SHA-256 of the dry run's staging file, when it left one (staged.py)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def bad_lines(self) -> int:
        """How many rows were refused (a row may have several reasons)."""
        return len({error.line for error in self.errors})

    @property
    def added(self) -> int:
        return self.counts[Change.ADDED]

    @property
    def changed(self) -> int:
        return self.counts[Change.CHANGED]

    @property
    def removed(self) -> int:
        return self.counts[Change.REMOVED]

    @property
    def unchanged(self) -> int:
        return self.counts[Change.UNCHANGED]

    def samples_for(self, change: str) -> list[DiffRow]:
        """The sample rows of one kind of change ('added', 'changed', 'removed')."""
        return self.samples.get(Change(change), [])

    @property
    def has_changes(self) -> bool:
        return bool(self.added or self.changed or self.removed)


def classify(old: VariantPrices, new: VariantPrices) -> Change:
    """How a row's values relate to what the list holds for its variant."""
    if old.is_empty:
        return Change.UNCHANGED if new.is_empty else Change.ADDED
    if new.is_empty:
        return Change.REMOVED
    return Change.UNCHANGED if old == new else Change.CHANGED


def field_changes(old: VariantPrices, new: VariantPrices, currency: str) -> tuple[FieldChange, ...]:
    """The values that differ, formatted as the file writes them."""
    old_rule, new_rule = old.rule, new.rule
    pairs = (
        (PRICE, old.price != new.price, format_money(old.price, currency), format_money(new.price, currency)),
        (
            COMPARE_AT,
            old.compare_at_price != new.compare_at_price,
            format_money(old.compare_at_price, currency),
            format_money(new.compare_at_price, currency),
        ),
        (
            "tiers",
            old.tiers != new.tiers,
            describe_tiers(old.tiers, currency),
            describe_tiers(new.tiers, currency),
        ),
        (
            MIN_QTY,
            (old_rule and old_rule.minimum) != (new_rule and new_rule.minimum),
            format_number(old_rule.minimum) if old_rule else "",
            format_number(new_rule.minimum) if new_rule else "",
        ),
        (
            MAX_QTY,
            (old_rule and old_rule.maximum) != (new_rule and new_rule.maximum),
            format_number(old_rule.maximum) if old_rule else "",
            format_number(new_rule.maximum) if new_rule else "",
        ),
        (
            INCREMENT,
            (old_rule and old_rule.increment) != (new_rule and new_rule.increment),
            format_number(old_rule.increment) if old_rule else "",
            format_number(new_rule.increment) if new_rule else "",
        ),
    )
    return tuple(FieldChange(name, before, after) for name, differs, before, after in pairs if differs)


def state_key(prices: VariantPrices) -> str:
    """A canonical text of a variant's values (equal values, equal text), for fingerprints and digests."""
    rule = prices.rule
    tiers = ",".join(f"{t.min_quantity}:{t.kind.value}:{format_number(t.value)}" for t in prices.tiers)
    rule_text = f"{rule.minimum}/{rule.maximum}/{rule.increment}" if rule else ""
    return f"{format_number(prices.price)}|{format_number(prices.compare_at_price)}|{tiers}|{rule_text}"
