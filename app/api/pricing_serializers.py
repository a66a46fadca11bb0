"""JSON views of pricing rows and priced carts for the REST API (money as decimal strings, UTC timestamps)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from app.api.crm_serializers import money
from app.api.responses import iso8601
from app.db import utcnow
from crm.models import CrmVariant
from pricing import rules
from pricing.models import (
    PriceAdjustment,
    PriceList,
    PriceListStatus,
    QuantityRule,
    VolumeTier,
)
from pricing.service import lists


def _decimal(value: Decimal | None) -> str | None:
    """A Decimal as plain digits, without trailing zeros beyond what it holds ("12.5", "7")."""
    if value is None:
        return None
    normalized = value.normalize()
    # normalize() writes 100 as 1E+2: format "f" keeps positional digits.
    return format(normalized, "f")


def _live(price_list: PriceList, now: datetime) -> bool:
    return (
        price_list.status is PriceListStatus.ACTIVE
        and (price_list.starts_at is None or price_list.starts_at <= now)
        and (price_list.ends_at is None or now < price_list.ends_at)
    )


def price_list_json(summary: lists.PriceListSummary) -> dict[str, Any]:
    """A price list with its counts."""
    row = summary.price_list
    return {
        "id": row.id,
        "name": row.name,
        "description": row.description,
        "currency": row.currency,
        "status": row.status.value,
        "live": _live(row, utcnow()),
        "starts_at": iso8601(row.starts_at),
        "ends_at": iso8601(row.ends_at),
        "priority": row.priority,
        "base": row.base.value,
        "order_minimum": money(row.order_minimum, row.currency),
        "counts": {
            "entries": summary.entries_count,
            "assignments": summary.assignments_count,
            "adjustments": summary.adjustments_count,
            "tiers": summary.tiers_count,
            "quantity_rules": summary.rules_count,
        },
        "created_at": iso8601(row.created_at),
        "updated_at": iso8601(row.updated_at),
    }


def entry_json(view: lists.EntryView, currency: str) -> dict[str, Any]:
    """A fixed price with its variant."""
    entry, variant = view.entry, view.variant
    return {
        "variant_id": variant.id,
        "shopify_variant_id": variant.shopify_id,
        "sku": variant.sku,
        "product_title": view.product_title,
        "variant_title": variant.title,
        "price": money(entry.price, currency),
        "compare_at_price": money(entry.compare_at_price, currency),
        "retail_price": money(variant.price, variant.currency),
        "variant_deleted": variant.deleted_at is not None,
        "updated_at": iso8601(entry.updated_at),
    }


def adjustment_json(row: PriceAdjustment) -> dict[str, Any]:
    return {
        "id": row.id,
        "scope": row.scope.value,
        "scope_shopify_id": row.scope_shopify_id,
        "percent": _decimal(row.percent),
    }


def tier_json(row: VolumeTier) -> dict[str, Any]:
    return {
        "id": row.id,
        "variant_id": row.variant_id,
        "min_quantity": row.min_quantity,
        "kind": row.kind.value,
        "value": _decimal(row.value),
    }


def rule_json(row: QuantityRule) -> dict[str, Any]:
    return {
        "id": row.id,
        "variant_id": row.variant_id,
        "minimum": row.minimum,
        "maximum": row.maximum,
        "increment": row.increment,
    }


def assignment_json(view: lists.AssignmentView) -> dict[str, Any]:
    row = view.assignment
    return {
        "id": row.id,
        "target": row.target.value,
        "company_location_id": row.company_location_id,
        "company_id": row.company_id,
        "customer_id": row.customer_id,
        "customer_tag": row.customer_tag,
        "segment_id": row.segment_id,
        "label": view.label,
        "created_at": iso8601(row.created_at),
    }


def violation_json(violation: rules.Violation) -> dict[str, Any]:
    return {"code": violation.code, "message": violation.message, "price_list_id": violation.price_list_id}


def candidate_json(candidate: rules.Candidate, currency: str) -> dict[str, Any]:
    return {
        "price_list_id": candidate.price_list_id,
        "price_list_name": candidate.price_list_name,
        "via": None if candidate.via is None else candidate.via.value,
        # Exact, unrounded: money() keeps every digit the amount holds.
        "unit_price": money(candidate.unit_price, currency),
        "source": candidate.source,
        "tier_min_quantity": candidate.tier_min_quantity,
        "outcome": candidate.outcome,
        "reason": candidate.reason,
    }


def line_json(line: rules.LinePrice, variant: CrmVariant | None, product_title: str | None) -> dict[str, Any]:
    """One priced line: the price that won, where it came from, the rules it breaks and every candidate."""
    currency = line.currency
    winner = next((c for c in line.candidates if c.outcome == "won"), None)
    return {
        "variant_id": line.variant_id,
        "shopify_variant_id": None if variant is None else variant.shopify_id,
        "sku": None if variant is None else variant.sku,
        "title": " - ".join(
            part for part in (product_title, None if variant is None else variant.title) if part
        )
        or None,
        "quantity": line.quantity,
        "currency": currency,
        "unit_price": money(line.unit_price, currency),
        "line_total": money(line.line_total, currency),
        "base_price": money(line.base_price, currency),
        "source": line.source,
        "price_list": None
        if line.price_list_id is None
        else {"id": line.price_list_id, "name": None if winner is None else winner.price_list_name},
        "tier_min_quantity": line.tier_min_quantity,
        "violations": [violation_json(v) for v in line.violations],
        "explanation": line.explanation,
        "candidates": [candidate_json(c, currency) for c in line.candidates],
    }


def cart_json(
    cart: rules.PricedCart, variants: Mapping[int, tuple[CrmVariant, str | None]]
) -> dict[str, Any]:
    """A priced cart: each line, the subtotal of the priced lines and the cart's violations."""
    return {
        "currency": cart.currency,
        "subtotal": money(cart.subtotal, cart.currency),
        "violations": [violation_json(v) for v in cart.violations],
        "lines": [line_json(line, *variants.get(line.variant_id, (None, None))) for line in cart.lines],
    }
