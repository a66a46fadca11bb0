"""The Shopify catalog and price list of a published list: reuse the stored ones, recreate them when they
were deleted in Shopify, and bring their name, currency, adjustment, status and locations in line.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from app.shopify.client import AdminClient
from pricing.service.publish.plan import Plan

# Shopify caps every input array at 250 items (company location ids included).
MAX_IDS_PER_CALL = 250


def parent_adjustment(percent: Decimal) -> dict[str, Any]:
    """Tradeline's signed percentage (-15 = 15 % off) as Shopify's PriceListParentCreateInput."""
    kind = "PERCENTAGE_INCREASE" if percent > 0 else "PERCENTAGE_DECREASE"
    # Shopify's adjustment value is a Float; Numeric(7, 4) percentages are exact in a double.
    return {"adjustment": {"type": kind, "value": float(abs(percent))}}


def _same_adjustment(current: dict[str, Any] | None, percent: Decimal) -> bool:
    adjustment = (current or {}).get("adjustment") or {}
    value = Decimal(str(adjustment.get("value", 0)))
    if value == 0 and percent == 0:
        return True
    sign = Decimal(1) if adjustment.get("type") == "PERCENTAGE_INCREASE" else Decimal(-1)
    return sign * value == percent


def ensure_price_list(client: AdminClient, plan: Plan, stored_gid: str | None) -> str:
    """The price list's GID: the stored one brought up to date, or a new one when there is none."""
    if stored_gid:
        current = client.execute("PricingPriceList", {"id": stored_gid}).get("priceList")
        if current is not None:
            changes: dict[str, Any] = {}
            if current.get("name") != plan.price_list_name:
                changes["name"] = plan.price_list_name
            if current.get("currency") != plan.currency:
                # Shopify drops every fixed price when the currency changes; the diff re-sends them.
                changes["currency"] = plan.currency
            if not _same_adjustment(current.get("parent"), plan.adjustment_percent):
                changes["parent"] = parent_adjustment(plan.adjustment_percent)
            if changes:
                client.execute("PricingPriceListUpdate", {"id": stored_gid, "input": changes})
            return stored_gid
    created = client.execute(
        "PricingPriceListCreate",
        {
            "input": {
                "name": plan.price_list_name,
                "currency": plan.currency,
                "parent": parent_adjustment(plan.adjustment_percent),
            }
        },
    )
    return created["priceListCreate"]["priceList"]["id"]


def _catalog_locations(client: AdminClient, catalog_gid: str) -> tuple[dict[str, Any] | None, set[str]]:
    """The catalog (None when deleted in Shopify) and all its company location GIDs."""
    locations: set[str] = set()
    after: str | None = None
    catalog: dict[str, Any] | None = None
    while True:
        found = client.execute("PricingCatalog", {"id": catalog_gid, "after": after}).get("catalog")
        if found is None:
            return None, set()
        catalog = catalog or found
        connection = found.get("companyLocations") or {}
        locations.update(node["id"] for node in connection.get("nodes") or [])
        page = connection.get("pageInfo") or {}
        if not page.get("hasNextPage"):
            return catalog, locations
        after = page["endCursor"]


def _chunks(ids: Sequence[str]) -> list[list[str]]:
    return [list(ids[i : i + MAX_IDS_PER_CALL]) for i in range(0, len(ids), MAX_IDS_PER_CALL)]


def ensure_catalog(client: AdminClient, plan: Plan, stored_gid: str | None, price_list_gid: str) -> str:
    """The catalog's GID, for exactly the plan's company locations, carrying the price list."""
    wanted = list(plan.location_gids)
    if stored_gid:
        catalog, have = _catalog_locations(client, stored_gid)
        if catalog is not None:
            changes: dict[str, Any] = {}
            if catalog.get("title") != plan.title:
                changes["title"] = plan.title
            if catalog.get("status") != plan.catalog_status:
                changes["status"] = plan.catalog_status
            if (catalog.get("priceList") or {}).get("id") != price_list_gid:
                changes["priceListId"] = price_list_gid
            if changes:
                client.execute("PricingCatalogUpdate", {"id": stored_gid, "input": changes})
            # Add before removing: a catalog is never left without a context in between.
            for chunk in _chunks(sorted(set(wanted) - have)):
                client.execute(
                    "PricingCatalogContextUpdate",
                    {"catalogId": stored_gid, "contextsToAdd": {"companyLocationIds": chunk}},
                )
            for chunk in _chunks(sorted(have - set(wanted))):
                client.execute(
                    "PricingCatalogContextUpdate",
                    {"catalogId": stored_gid, "contextsToRemove": {"companyLocationIds": chunk}},
                )
            return stored_gid
    first, *rest = _chunks(wanted)
    created = client.execute(
        "PricingCatalogCreate",
        {
            "input": {
                "title": plan.title,
                "status": plan.catalog_status,
                "context": {"companyLocationIds": first},
                "priceListId": price_list_gid,
            }
        },
    )
    catalog_gid = created["catalogCreate"]["catalog"]["id"]
    for chunk in rest:
        client.execute(
            "PricingCatalogContextUpdate",
            {"catalogId": catalog_gid, "contextsToAdd": {"companyLocationIds": chunk}},
        )
    return catalog_gid
