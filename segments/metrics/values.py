"""A metric value with its definition: what the API and the dashboard show."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from segments.metrics.definitions import DEFINITIONS


@dataclass(frozen=True)
class Metric:
    """One number with its definition; `value` None comes with `missing` saying why."""

    key: str
    label: str
    value: Decimal | int | None
    unit: str  # "money", "count", "percent" or "days"
    definition: str
    currency: str | None = None
    missing: str | None = None


def metric(
    key: str,
    value: Decimal | int | None,
    unit: str,
    *,
    currency: str | None = None,
    missing: str | None = None,
) -> Metric:
    """A Metric with its label and definition from DEFINITIONS (`missing` only when there is no value)."""
    label, definition = DEFINITIONS[key]
    return Metric(key, label, value, unit, definition, currency, missing if value is None else None)
