"""The price-list CSV format (docs/pricing-csv.md): columns, header checks, one row's values, formatting.

Pure functions over strings: no database. A row names a variant (`sku` and/or `variant_id`) and states
everything the list holds for it: fixed price, compare-at price, volume tiers and quantity rule.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

from app.errors import InvalidInput
from app.money import minor_units
from pricing.models import TierKind
from pricing.validation import (
    PricingInputError,
    TierInput,
    check_currency_matches,
    check_quantity_rule,
    check_tiers,
    parse_currency,
    parse_percent,
    parse_price,
    parse_quantity,
)

SKU = "sku"
VARIANT_ID = "variant_id"
PRODUCT = "product"  # informational (export writes it, import ignores it)
VARIANT = "variant"  # informational too: the variant's title
PRICE = "price"
COMPARE_AT = "compare_at_price"
CURRENCY = "currency"
MIN_QTY = "min_qty"
MAX_QTY = "max_qty"
INCREMENT = "increment"
FIXED_COLUMNS = (VARIANT_ID, SKU, PRODUCT, VARIANT, PRICE, COMPARE_AT, CURRENCY, MIN_QTY, MAX_QTY, INCREMENT)
TIER_RE = re.compile(r"^tier_([1-9][0-9]{0,2})_(min|price|percent_off)$")
TIER_PARTS = ("min", "price", "percent_off")
MAX_TIERS = 100
VARIANT_GID_PREFIX = "gid://shopify/ProductVariant/"
MAX_SKU_LENGTH = 255


class CsvFileError(InvalidInput):
    """The whole file is refused (encoding, header, size): nothing in it was looked at further."""


@dataclass(frozen=True, slots=True)
class RuleSpec:
    """A variant's quantity rule."""

    minimum: int
    maximum: int | None
    increment: int


@dataclass(frozen=True, slots=True)
class VariantPrices:
    """Everything one list holds for one variant; equal values compare equal (9.5 == 9.5000)."""

    price: Decimal | None = None
    compare_at_price: Decimal | None = None
    tiers: tuple[TierInput, ...] = ()
    rule: RuleSpec | None = None

    @property
    def is_empty(self) -> bool:
        return self.price is None and not self.tiers and self.rule is None


EMPTY = VariantPrices()


@dataclass(frozen=True)
class Header:
    """Where each known column sits; tier groups are (n, min index, price index, percent index)."""

    index: dict[str, int]
    tiers: tuple[tuple[int, int, int | None, int | None], ...]
    width: int

    @cached_property
    def values(self) -> tuple[int | None, ...]:
        """Positions of sku, variant_id, price, compare_at_price, currency (None = no such column)."""
        return tuple(self.index.get(name) for name in (SKU, VARIANT_ID, PRICE, COMPARE_AT, CURRENCY))

    @cached_property
    def rule(self) -> tuple[int | None, ...]:
        """Positions of min_qty, max_qty, increment."""
        return tuple(self.index.get(name) for name in (MIN_QTY, MAX_QTY, INCREMENT))


@dataclass(frozen=True, slots=True)
class RowError:
    """One reason a row was refused, with its line in the file (the header is line 1)."""

    line: int
    message: str
    column: str | None = None

    def __str__(self) -> str:
        where = f" ({self.column})" if self.column else ""
        return f"Line {self.line}{where}: {self.message}"


@dataclass
class ParsedRow:
    """A data row: how it names its variant, its values (None when a value was refused), its errors."""

    line: int
    sku: str | None
    shopify_variant_id: int | None
    prices: VariantPrices | None
    errors: list[RowError] = field(default_factory=list)
    variant_id: int | None = None  # the crm_variant it names, once resolved


def parse_header(cells: Sequence[str]) -> Header:
    """The header row's columns; unknown, repeated, incomplete or missing required ones refuse the file."""
    names = [cell.strip().lower() for cell in cells]
    if not any(names):
        raise CsvFileError("The first line must be the header row (sku, variant_id, price, ...); it is empty")
    index: dict[str, int] = {}
    unknown: list[str] = []
    repeated: list[str] = []
    groups: dict[int, dict[str, int]] = {}
    for position, name in enumerate(names):
        if not name:
            unknown.append(f"(empty, column {position + 1})")
            continue
        if name in index:
            repeated.append(name)
            continue
        match = TIER_RE.match(name)
        if name not in FIXED_COLUMNS and match is None:
            unknown.append(cells[position].strip())
            continue
        index[name] = position
        if match is not None:
            groups.setdefault(int(match.group(1)), {})[match.group(2)] = position
    problems: list[str] = []
    if unknown:
        problems.append(f"unknown columns: {', '.join(unknown)}")
    if repeated:
        problems.append(f"columns given twice: {', '.join(repeated)}")
    if SKU not in index and VARIANT_ID not in index:
        problems.append("a sku or a variant_id column is required")
    if PRICE not in index:
        problems.append("the price column is required (leave a cell empty for no fixed price)")
    tiers = []
    for n in sorted(groups):
        parts = groups[n]
        if "min" not in parts or ("price" not in parts and "percent_off" not in parts):
            problems.append(f"tier {n} needs tier_{n}_min and tier_{n}_price or tier_{n}_percent_off")
            continue
        tiers.append((n, parts["min"], parts.get("price"), parts.get("percent_off")))
    if len(tiers) > MAX_TIERS:
        problems.append(f"at most {MAX_TIERS} tiers per variant")
    if problems:
        raise CsvFileError(
            "The header row is not valid: " + "; ".join(problems) + ". See docs/pricing-csv.md"
        )
    return Header(index=index, tiers=tuple(tiers), width=len(names))


def parse_variant_ref(sku: str, variant_id: str) -> tuple[str | None, int | None, str | None]:
    """(sku, Shopify variant id, error): a numeric id or a ProductVariant GID, and/or a SKU."""
    if len(sku) > MAX_SKU_LENGTH:
        return None, None, f"The SKU is longer than {MAX_SKU_LENGTH} characters"
    text = variant_id.removeprefix(VARIANT_GID_PREFIX)
    number: int | None = None
    if text:
        if not (text.isascii() and text.isdigit()) or len(text) > 18 or int(text) == 0:
            return (
                sku or None,
                None,
                f"variant_id {variant_id!r} is not a Shopify variant id such as 40123456789",
            )
        number = int(text)
    if not sku and number is None:
        return None, None, "The row names no variant: give its sku or its variant_id"
    return sku or None, number, None


def _cells(cells: Sequence[str], positions: tuple[int | None, ...]) -> list[str]:
    return [cells[i].strip() if i is not None else "" for i in positions]


def parse_row(header: Header, cells: Sequence[str], line: int, currency: str) -> ParsedRow:
    """One data row checked on its own (the variant it names is resolved later, against the catalog)."""
    if len(cells) != header.width:
        message = f"The row has {len(cells)} cells but the header has {header.width}"
        return ParsedRow(line, None, None, None, [RowError(line, message)])
    raw_sku, raw_id, raw_price, raw_compare, raw_currency = _cells(cells, header.values)
    errors: list[RowError] = []
    sku, shopify_id, ref_error = parse_variant_ref(raw_sku, raw_id)
    if ref_error:
        errors.append(RowError(line, ref_error, VARIANT_ID if ref_error.startswith("variant_id") else SKU))
    price = compare = None
    try:
        if raw_currency:
            check_currency_matches(currency, parse_currency(raw_currency))
    except PricingInputError as exc:
        errors.append(RowError(line, exc.detail, CURRENCY))
    try:
        price = parse_price(raw_price, currency) if raw_price else None
    except PricingInputError as exc:
        errors.append(RowError(line, exc.detail, PRICE))
    try:
        compare = parse_price(raw_compare, currency, field=COMPARE_AT) if raw_compare else None
    except PricingInputError as exc:
        errors.append(RowError(line, exc.detail, COMPARE_AT))
    if raw_compare and not raw_price:
        errors.append(RowError(line, "A compare-at price needs a price", COMPARE_AT))
    tiers = _parse_tiers(header, cells, line, currency, price, errors) if header.tiers else ()
    rule = _parse_rule(_cells(cells, header.rule), line, errors)
    if errors:
        return ParsedRow(line, sku, shopify_id, None, errors)
    return ParsedRow(line, sku, shopify_id, VariantPrices(price, compare, tiers, rule))


def _parse_tiers(
    header: Header,
    cells: Sequence[str],
    line: int,
    currency: str,
    price: Decimal | None,
    errors: list[RowError],
) -> tuple[TierInput, ...]:
    tiers: list[TierInput] = []
    bad = False
    for n, at_min, at_price, at_percent in header.tiers:
        raw_min = cells[at_min].strip()
        raw_fixed = cells[at_price].strip() if at_price is not None else ""
        raw_percent = cells[at_percent].strip() if at_percent is not None else ""
        if not (raw_min or raw_fixed or raw_percent):
            continue
        column = f"tier_{n}"
        if raw_fixed and raw_percent:
            errors.append(RowError(line, f"Tier {n} has both a price and a percentage off: give one", column))
            bad = True
            continue
        if not raw_min or not (raw_fixed or raw_percent):
            errors.append(
                RowError(line, f"Tier {n} needs a minimum quantity and a price or a percentage off", column)
            )
            bad = True
            continue
        try:
            minimum = parse_quantity(raw_min, f"The tier {n} minimum", field=f"{column}_min")
            if raw_fixed:
                value = parse_price(raw_fixed, currency, field=f"{column}_price")
                tiers.append(TierInput(minimum, TierKind.FIXED, value))
            else:
                value = parse_percent(raw_percent, signed=False, field=f"{column}_percent_off")
                tiers.append(TierInput(minimum, TierKind.PERCENT_OFF, value))
        except PricingInputError as exc:
            errors.append(RowError(line, exc.detail, exc.field or column))
            bad = True
    if tiers and not bad:
        try:
            check_tiers(tiers, currency=currency, base_price=price)
        except PricingInputError as exc:
            errors.append(RowError(line, exc.detail, "tiers"))
    return tuple(tiers)


def _parse_rule(raw: list[str], line: int, errors: list[RowError]) -> RuleSpec | None:
    raw_min, raw_max, raw_increment = raw
    if not (raw_min or raw_max or raw_increment):
        return None
    try:
        minimum = parse_quantity(raw_min, "The minimum quantity", field=MIN_QTY) if raw_min else 1
        maximum = parse_quantity(raw_max, "The maximum quantity", field=MAX_QTY) if raw_max else None
        increment = parse_quantity(raw_increment, "The increment", field=INCREMENT) if raw_increment else 1
        check_quantity_rule(minimum, maximum, increment)
    except PricingInputError as exc:
        errors.append(RowError(line, exc.detail, exc.field))
        return None
    return RuleSpec(minimum, maximum, increment)


# -- writing ---------------------------------------------------------------------------------------


def format_money(value: Decimal | None, currency: str) -> str:
    """A stored amount as the file shows it: the currency's decimals (9.5000 → 9.50), more only if stored."""
    if value is None:
        return ""
    places = minor_units(currency)
    exact = (
        value.quantize(Decimal(1).scaleb(-places))
        if value == value.quantize(Decimal(1).scaleb(-places))
        else value.normalize()
    )
    return f"{exact:f}"


def format_number(value: Decimal | int | None) -> str:
    """A percentage or a count without trailing zeros and never in exponent form (10.0000 → 10)."""
    if value is None:
        return ""
    if isinstance(value, int):
        return str(value)
    return f"{value.normalize():f}"


def header_row(tier_count: int) -> list[str]:
    """The export's header: every fixed column, then `tier_count` tier groups."""
    row = list(FIXED_COLUMNS)
    for n in range(1, tier_count + 1):
        row.extend(f"tier_{n}_{part}" for part in TIER_PARTS)
    return row


def data_row(
    *,
    shopify_variant_id: int,
    sku: str | None,
    product: str | None,
    variant: str | None,
    currency: str,
    prices: VariantPrices,
    tier_count: int,
) -> list[str]:
    """One export row in `header_row(tier_count)`'s column order."""
    rule = prices.rule
    row = [
        str(shopify_variant_id),
        sku or "",
        product or "",
        variant or "",
        format_money(prices.price, currency),
        format_money(prices.compare_at_price, currency),
        currency,
        format_number(rule.minimum) if rule else "",
        format_number(rule.maximum) if rule else "",
        format_number(rule.increment) if rule else "",
    ]
    for tier in prices.tiers:
        fixed = tier.kind is TierKind.FIXED
        row.extend(
            [
                str(tier.min_quantity),
                format_money(tier.value, currency) if fixed else "",
                "" if fixed else format_number(tier.value),
            ]
        )
    row.extend([""] * (3 * (tier_count - len(prices.tiers))))
    return row


def describe_tiers(tiers: Sequence[TierInput], currency: str) -> str:
    """Tiers for a person: '10+ 9.50 · 50+ 5% off'."""
    parts = [
        f"{t.min_quantity}+ {format_money(t.value, currency)}"
        if t.kind is TierKind.FIXED
        else f"{t.min_quantity}+ {format_number(t.value)}% off"
        for t in tiers
    ]
    return " · ".join(parts)
