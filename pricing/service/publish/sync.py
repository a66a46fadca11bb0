"""What a Shopify price list holds now, the changes that bring it to a Plan, and those changes in batches.

Reading Shopify's state first (rather than remembering what was sent) makes a publish idempotent and a
retry resume: whatever an earlier, interrupted run already applied reads back as equal and is not sent
again, and prices changed or removed in Shopify's admin are put back.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from app.shopify.client import AdminClient
from pricing.service.publish.plan import DEFAULT_RULE, Plan, Rule, VariantPlan

# Shopify caps every input array at 250 items; a batch holds at most this many items in all its arrays.
MAX_BATCH_ITEMS = 250


@dataclass(frozen=True)
class VariantChange:
    """One variant's part of a quantityPricingByVariantUpdate input."""

    variant_gid: str
    price: dict[str, Any] | None = None
    delete_price: bool = False
    rule: dict[str, Any] | None = None
    delete_rule: bool = False
    breaks: tuple[dict[str, Any], ...] = ()
    delete_breaks: bool = False

    @property
    def items(self) -> int:
        """How many input items this change adds to a batch."""
        flags = (self.price is not None, self.delete_price, self.rule is not None, self.delete_rule)
        return sum(flags) + len(self.breaks) + int(self.delete_breaks)


@dataclass
class Batch:
    """One quantityPricingByVariantUpdate call."""

    changes: list[VariantChange] = field(default_factory=list)

    @property
    def items(self) -> int:
        return sum(c.items for c in self.changes)

    def input(self) -> dict[str, Any]:
        """The QuantityPricingByVariantUpdateInput (every required list present, empty when unused)."""
        return {
            "pricesToAdd": [c.price for c in self.changes if c.price is not None],
            "pricesToDeleteByVariantId": [c.variant_gid for c in self.changes if c.delete_price],
            "quantityRulesToAdd": [c.rule for c in self.changes if c.rule is not None],
            "quantityRulesToDeleteByVariantId": [c.variant_gid for c in self.changes if c.delete_rule],
            "quantityPriceBreaksToAdd": [b for c in self.changes for b in c.breaks],
            "quantityPriceBreaksToDelete": [],
            "quantityPriceBreaksToDeleteByVariantId": [
                c.variant_gid for c in self.changes if c.delete_breaks
            ],
        }


def _amount(money: dict[str, Any] | None) -> Decimal | None:
    return None if not money else Decimal(str(money["amount"]))


def read_state(client: AdminClient, price_list_gid: str) -> dict[str, VariantPlan]:
    """Every fixed price (with its breaks) and fixed quantity rule on the price list, by variant GID."""
    prices: dict[str, tuple[Decimal, Decimal | None, tuple[tuple[int, Decimal], ...]]] = {}
    after: str | None = None
    while True:
        data = client.execute("PricingPriceListPrices", {"id": price_list_gid, "after": after})
        connection = (data.get("priceList") or {}).get("prices") or {}
        for node in connection.get("nodes") or []:
            breaks = tuple(
                sorted(
                    (int(b["minimumQuantity"]), Decimal(str(b["price"]["amount"])))
                    for b in (node.get("quantityPriceBreaks") or {}).get("nodes") or []
                )
            )
            prices[node["variant"]["id"]] = (
                Decimal(str(node["price"]["amount"])),
                _amount(node.get("compareAtPrice")),
                breaks,
            )
        page = connection.get("pageInfo") or {}
        if not page.get("hasNextPage"):
            break
        after = page["endCursor"]
    rules: dict[str, Rule] = {}
    after = None
    while True:
        data = client.execute("PricingPriceListRules", {"id": price_list_gid, "after": after})
        connection = (data.get("priceList") or {}).get("quantityRules") or {}
        for node in connection.get("nodes") or []:
            rule = (int(node["minimum"]), node.get("maximum"), int(node["increment"]))
            if rule != DEFAULT_RULE:
                rules[node["productVariant"]["id"]] = rule
        page = connection.get("pageInfo") or {}
        if not page.get("hasNextPage"):
            break
        after = page["endCursor"]
    state: dict[str, VariantPlan] = {}
    for variant_gid in set(prices) | set(rules):
        price, compare_at, breaks = prices.get(variant_gid, (None, None, ()))
        state[variant_gid] = VariantPlan(
            price=price, compare_at=compare_at, rule=rules.get(variant_gid), breaks=breaks
        )
    return state


def _money(amount: Decimal, currency: str) -> dict[str, str]:
    return {"amount": f"{amount:f}", "currencyCode": currency}


def _gid_key(variant_gid: str) -> tuple[int, str]:
    tail = variant_gid.rsplit("/", 1)[-1]
    return (int(tail), variant_gid) if tail.isdigit() else (0, variant_gid)


def diff(plan: Plan, state: dict[str, VariantPlan]) -> list[VariantChange]:
    """The changes that turn Shopify's `state` into the plan, one per variant that differs, by variant id."""
    changes: list[VariantChange] = []
    for variant_gid in sorted(set(plan.variants) | set(state), key=_gid_key):
        want = plan.variants.get(variant_gid, VariantPlan())
        have = state.get(variant_gid, VariantPlan())
        price: dict[str, Any] | None = None
        delete_price = False
        if want.price is not None and (want.price != have.price or want.compare_at != have.compare_at):
            price = {"variantId": variant_gid, "price": _money(want.price, plan.currency)}
            if want.compare_at is not None:
                price["compareAtPrice"] = _money(want.compare_at, plan.currency)
        elif want.price is None and have.price is not None:
            # Breaks hang off the fixed price: removing the price removes them with it.
            delete_price = True
        rule: dict[str, Any] | None = None
        delete_rule = False
        if want.rule != have.rule:
            # Deletes run before adds: dropping the old rule first never trips over the new one.
            delete_rule = have.rule is not None
            if want.rule is not None:
                minimum, maximum, increment = want.rule
                rule = {
                    "variantId": variant_gid,
                    "minimum": minimum,
                    "maximum": maximum,
                    "increment": increment,
                }
        breaks: tuple[dict[str, Any], ...] = ()
        delete_breaks = False
        if want.price is not None and (want.breaks != have.breaks or (price is not None and want.breaks)):
            # Re-sent whole with a changed price, whose replacement may not keep the old breaks.
            delete_breaks = bool(have.breaks)
            breaks = tuple(
                {"variantId": variant_gid, "minimumQuantity": q, "price": _money(p, plan.currency)}
                for q, p in want.breaks
            )
        change = VariantChange(
            variant_gid,
            price=price,
            delete_price=delete_price,
            rule=rule,
            delete_rule=delete_rule,
            breaks=breaks,
            delete_breaks=delete_breaks,
        )
        if change.items:
            changes.append(change)
    return changes


def batches(changes: list[VariantChange], limit: int = MAX_BATCH_ITEMS) -> Iterator[Batch]:
    """The changes in batches of at most `limit` items, never splitting one variant's changes.

    A variant's price, rule and breaks travel together because Shopify checks them against each other
    (a break needs its fixed price; its minimum must fit the rule).
    """
    batch = Batch()
    for change in changes:
        if batch.changes and batch.items + change.items > limit:
            yield batch
            batch = Batch()
        batch.changes.append(change)
    if batch.changes:
        yield batch
