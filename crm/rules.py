"""Pure CRM rules: which payload wins, what changed, where a customer came from, how events read."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Generic, Protocol, TypeVar
from urllib.parse import parse_qs, urlsplit

from app.money import round_money

SOURCE_CHARS = 255
# Shopify `source_name` values and the channel they stand for.
SOURCE_CHANNELS = {
    "web": "direct",
    "pos": "pos",
    "shopify_draft_order": "draft_order",
    "iphone": "mobile_app",
    "android": "mobile_app",
}


class Versioned(Protocol):
    @property
    def updated_at(self) -> datetime | None: ...

    @property
    def values(self) -> Mapping[str, Any]: ...


R = TypeVar("R", bound=Versioned)


class Freshness(enum.StrEnum):
    """What the incoming payloads mean for the stored row."""

    NEW = "new"  # no row yet: create it
    NEWER = "newer"  # at least one payload is newer than the row: apply
    SAME = "same"  # the newest payload is the stored one (a duplicate delivery): no-op
    OLDER = "older"  # every payload is older than the row (out-of-order delivery): ignore


@dataclass
class Fold(Generic[R]):
    """The payloads that win, applied in order, and the values they leave."""

    freshness: Freshness
    applied: list[R] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)
    updated_at: datetime | None = None


def fold(records: Sequence[R], *, exists: bool, stored_updated_at: datetime | None) -> Fold[R]:
    """Apply the records newer than the stored row, oldest first, as sequential deliveries would.

    A record's values overlay the previous ones, so fields a payload lacks keep their value. Of
    several records with the same `updated_at` only the first applies (equal = no-op), and a
    record without `updated_at` (a reference from another payload) only ever creates a row.
    """
    full = sorted((r for r in records if r.updated_at is not None), key=lambda r: r.updated_at)  # type: ignore[arg-type, return-value]
    if not exists:
        result: Fold[R] = Fold(Freshness.NEW)
        if not full:
            for ref in records:
                result.values.update(ref.values)
                result.applied.append(ref)
            return result
        watermark = None
    else:
        result = Fold(Freshness.NEWER)
        watermark = stored_updated_at
    for record in full:
        assert record.updated_at is not None
        if watermark is None or record.updated_at > watermark:
            result.values.update(record.values)
            result.applied.append(record)
            watermark = record.updated_at
    result.updated_at = watermark
    if exists and not result.applied:
        older = full and all(r.updated_at < stored_updated_at for r in full)  # type: ignore[operator]
        result.freshness = Freshness.OLDER if older else Freshness.SAME
    return result


def json_safe(value: Any) -> Any:
    """A value as it is written into a timeline event's JSON."""
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    return value


def decimal_text(value: Decimal) -> str:
    """'11.5000' → '11.50', '3.1250' → '3.125': trailing zeros dropped, at least two decimals kept."""
    text = format(value, "f")
    whole, _, fraction = text.partition(".")
    return f"{whole}.{fraction.rstrip('0').ljust(2, '0')}"


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, enum.Enum):
        old = old.value
    if isinstance(new, enum.Enum):
        new = new.value
    return old == new


def changes(old: Mapping[str, Any], new: Mapping[str, Any], fields: Iterable[str]) -> dict[str, list[Any]]:
    """{field: [old, new]} for each field `new` carries whose value differs, JSON-safe."""
    return {
        name: [json_safe(old.get(name)), json_safe(new[name])]
        for name in fields
        if name in new and not _same(old.get(name), new[name])
    }


def acquisition_source(
    *, source_name: str | None, referring_site: str | None, landing_site: str | None
) -> str | None:
    """The channel an order came through: UTM tags first, then the referrer, then Shopify's source."""
    if landing_site:
        query = parse_qs(urlsplit(landing_site if "://" in landing_site else f"//x{landing_site}").query)
        utm_source = (query.get("utm_source") or [""])[0].strip().lower()
        utm_medium = (query.get("utm_medium") or [""])[0].strip().lower()
        if utm_source:
            channel = f"utm:{utm_source}" + (f"/{utm_medium}" if utm_medium else "")
            return channel[:SOURCE_CHARS]
    if referring_site:
        host = urlsplit(referring_site if "://" in referring_site else f"//{referring_site}").hostname
        if host:
            return f"referrer:{host.removeprefix('www.')}"[:SOURCE_CHARS]
    if source_name:
        return SOURCE_CHANNELS.get(source_name, source_name)[:SOURCE_CHARS]
    return None


def money_text(amount: Decimal | None, currency: str) -> str:
    """'298.77 USD', rounded half-up to the currency's minor unit."""
    if amount is None:
        return f"? {currency}"
    return f"{round_money(amount, currency)} {currency}"


def order_event_kind(created: bool, diff: Mapping[str, list[Any]]) -> str:
    """The timeline kind of an order change, naming the transition staff care about."""
    if created:
        return "order.created"
    if diff.get("cancelled_at", [None, None])[1] is not None:
        return "order.cancelled"
    if diff.get("financial_status", [None, None])[1] == "paid":
        return "order.paid"
    if diff.get("fulfillment_status", [None, None])[1] == "fulfilled":
        return "order.fulfilled"
    return "order.updated"


def describe_changes(diff: Mapping[str, list[Any]], limit: int = 4) -> str:
    """'financial_status pending → paid, tags' for a summary line (first `limit` fields)."""
    parts = []
    for name, (old, new) in list(diff.items())[:limit]:
        if isinstance(old, str | int | None) and isinstance(new, str | int | None) and len(str(new)) <= 40:
            parts.append(f"{name} {old if old is not None else '—'} → {new if new is not None else '—'}")
        else:
            parts.append(name)
    if len(diff) > limit:
        parts.append(f"{len(diff) - limit} more")
    return ", ".join(parts)
