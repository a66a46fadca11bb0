"""A stateful fake of Shopify's B2B catalog and price list API at the HTTP boundary, for publish tests.

`FakeB2B.transport` is an httpx.MockTransport that tests put in settings (SHOPIFY_HTTP_TRANSPORT), so the
real AdminClient runs against it. It answers the Pricing* documents the way the 2026-04 Admin API
documents them: GIDs, MoneyV2 amounts as decimal strings (Shopify drops trailing zeros), connections
with pageInfo, `userErrors` with codes, and the input rules the schema's docstrings state (at most 250
items per input array, a price break needs a fixed price and must fit the quantity rule, a rule's
minimum and maximum are multiples of its increment). quantityPricingByVariantUpdate is all or nothing.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx

from app.shopify.client import parse_operation

COST = {
    "requestedQueryCost": 10,
    "actualQueryCost": 5,
    "throttleStatus": {"maximumAvailable": 2000.0, "currentlyAvailable": 1995, "restoreRate": 100.0},
}
MAX_INPUT_ITEMS = 250


def amount(value: Decimal | str) -> str:
    """A MoneyV2 amount as Shopify writes it: "12.5", "10"."""
    text = f"{Decimal(value).normalize():f}"
    return text


@dataclass
class FakePriceList:
    id: str
    name: str
    currency: str
    parent: dict[str, Any]
    catalog_id: str | None = None
    # variant GID -> {"price": Decimal, "compare_at": Decimal | None, "breaks": {min: Decimal}}
    prices: dict[str, dict[str, Any]] = field(default_factory=dict)
    # variant GID -> (minimum, maximum, increment)
    rules: dict[str, tuple[int, int | None, int]] = field(default_factory=dict)


@dataclass
class FakeCatalog:
    id: str
    title: str
    status: str
    locations: list[str]
    price_list_id: str | None = None


@dataclass
class FakeB2B:
    """One shop's B2B catalogs and price lists, recording every request it answers."""

    b2b: bool = True
    currency: str = "USD"
    price_lists: dict[str, FakePriceList] = field(default_factory=dict)
    catalogs: dict[str, FakeCatalog] = field(default_factory=dict)
    # collection GID -> (title, handle, [product GIDs])
    collections: dict[str, tuple[str, str, list[str]]] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    # Answer quantityPricingByVariantUpdate with this user error (code, message) instead of applying it.
    reject_pricing: tuple[str, str] | None = None
    reject_after: int = 0
    _next: int = 1000

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self._handle)

    def names(self) -> list[str]:
        """The documents received, in order."""
        return [name for name, _ in self.requests]

    def sent(self, name: str) -> list[dict[str, Any]]:
        """The variables of every request of that document."""
        return [variables for n, variables in self.requests if n == name]

    def only_price_list(self) -> FakePriceList:
        (found,) = self.price_lists.values()
        return found

    def _gid(self, kind: str) -> str:
        self._next += 1
        return f"gid://shopify/{kind}/{self._next}"

    # -- HTTP ------------------------------------------------------------------------------------

    def _handle(self, request: httpx.Request) -> httpx.Response:
        assert request.method == "POST" and request.url.path == "/admin/api/2026-04/graphql.json", request.url
        body = json.loads(request.content)
        name = parse_operation(body["query"]).name
        variables = body.get("variables") or {}
        self.requests.append((name, copy.deepcopy(variables)))
        handler = getattr(self, "_" + name, None)
        assert handler is not None, f"the fake does not answer {name}"
        return httpx.Response(200, json={"data": handler(variables), "extensions": {"cost": COST}})

    @staticmethod
    def _errors(mutation: str, errors: list[dict[str, Any]], **payload: Any) -> dict[str, Any]:
        return {mutation: {**payload, "userErrors": errors}}

    # -- shop ------------------------------------------------------------------------------------

    def _PricingB2BCapability(self, _: dict[str, Any]) -> dict[str, Any]:
        entitlement = {"enabled": self.b2b, "catalogs": {"enabled": self.b2b}}
        return {"shop": {"currencyCode": self.currency, "entitlements": {"markets": {"b2b": entitlement}}}}

    # -- price lists -----------------------------------------------------------------------------

    def _price_list_json(self, pl: FakePriceList) -> dict[str, Any]:
        return {
            "id": pl.id,
            "name": pl.name,
            "currency": pl.currency,
            "catalog": {"id": pl.catalog_id} if pl.catalog_id else None,
            "parent": pl.parent,
        }

    def _PricingPriceListCreate(self, v: dict[str, Any]) -> dict[str, Any]:
        data = v["input"]
        if any(pl.name == data["name"] for pl in self.price_lists.values()):
            error = {"field": ["input", "name"], "message": "Name has already been taken", "code": "TAKEN"}
            return self._errors("priceListCreate", [error], priceList=None)
        pl = FakePriceList(self._gid("PriceList"), data["name"], data["currency"], data["parent"])
        self.price_lists[pl.id] = pl
        return {"priceListCreate": {"priceList": self._price_list_json(pl), "userErrors": []}}

    def _PricingPriceList(self, v: dict[str, Any]) -> dict[str, Any]:
        pl = self.price_lists.get(v["id"])
        return {"priceList": self._price_list_json(pl) if pl else None}

    def _PricingPriceListUpdate(self, v: dict[str, Any]) -> dict[str, Any]:
        pl = self.price_lists[v["id"]]
        data = v["input"]
        if "currency" in data and data["currency"] != pl.currency:
            pl.prices.clear()  # as documented: changing the currency removes every fixed price
            pl.currency = data["currency"]
        pl.name = data.get("name", pl.name)
        pl.parent = data.get("parent", pl.parent)
        return {"priceListUpdate": {"priceList": {"id": pl.id}, "userErrors": []}}

    def _PricingPriceListPrices(self, v: dict[str, Any]) -> dict[str, Any]:
        pl = self.price_lists.get(v["id"])
        if pl is None:
            return {"priceList": None}
        keys, info = _page_keys(sorted(pl.prices), v.get("after"), 25)
        nodes = []
        for gid in keys:
            p = pl.prices[gid]
            breaks = [
                {"minimumQuantity": q, "price": {"amount": amount(price)}}
                for q, price in sorted(p["breaks"].items())
            ]
            nodes.append(
                {
                    "variant": {"id": gid},
                    "price": {"amount": amount(p["price"]), "currencyCode": pl.currency},
                    "compareAtPrice": {"amount": amount(p["compare_at"])}
                    if p["compare_at"] is not None
                    else None,
                    "quantityPriceBreaks": {"nodes": breaks[:12]},
                }
            )
        return {"priceList": {"prices": {"pageInfo": info, "nodes": nodes}}}

    def _PricingPriceListRules(self, v: dict[str, Any]) -> dict[str, Any]:
        pl = self.price_lists.get(v["id"])
        if pl is None:
            return {"priceList": None}
        keys, info = _page_keys(sorted(pl.rules), v.get("after"), 250)
        nodes = [
            {"minimum": r[0], "maximum": r[1], "increment": r[2], "productVariant": {"id": gid}}
            for gid, r in ((g, pl.rules[g]) for g in keys)
        ]
        return {"priceList": {"quantityRules": {"pageInfo": info, "nodes": nodes}}}

    def _PricingQuantityPricingUpdate(self, v: dict[str, Any]) -> dict[str, Any]:
        mutation = "quantityPricingByVariantUpdate"
        pl = self.price_lists.get(v["priceListId"])
        if pl is None:
            error = {
                "field": ["priceListId"],
                "message": "Price list does not exist.",
                "code": "PRICE_LIST_NOT_FOUND",
            }
            return self._errors(mutation, [error], productVariants=None)
        data = v["input"]
        for key in (
            "pricesToAdd",
            "pricesToDeleteByVariantId",
            "quantityRulesToAdd",
            "quantityRulesToDeleteByVariantId",
            "quantityPriceBreaksToAdd",
            "quantityPriceBreaksToDelete",
        ):
            assert key in data, f"{key} is required"
            assert len(data[key]) <= MAX_INPUT_ITEMS, f"{key} holds {len(data[key])} items"
        if self.reject_pricing and len(self.sent("PricingQuantityPricingUpdate")) > self.reject_after:
            code, message = self.reject_pricing
            return self._errors(
                mutation, [{"field": ["input"], "message": message, "code": code}], productVariants=None
            )
        prices = copy.deepcopy(pl.prices)
        rules = dict(pl.rules)
        # Deletes first, then adds, as Shopify documents.
        for gid in data["pricesToDeleteByVariantId"]:
            prices.pop(gid, None)
        for gid in data.get("quantityPriceBreaksToDeleteByVariantId") or []:
            if gid in prices:
                prices[gid]["breaks"] = {}
        for gid in data["quantityRulesToDeleteByVariantId"]:
            rules.pop(gid, None)
        for item in data["pricesToAdd"]:
            assert item["price"]["currencyCode"] == pl.currency
            compare = item.get("compareAtPrice")
            # Replacing a fixed price keeps nothing of the old one.
            prices[item["variantId"]] = {
                "price": Decimal(item["price"]["amount"]),
                "compare_at": Decimal(compare["amount"]) if compare else None,
                "breaks": {},
            }
        errors: list[dict[str, Any]] = []
        for i, item in enumerate(data["quantityRulesToAdd"]):
            minimum, maximum, increment = item["minimum"], item.get("maximum"), item["increment"]
            if minimum % increment or (maximum is not None and (maximum % increment or maximum < minimum)):
                errors.append(
                    {
                        "field": ["input", "quantityRulesToAdd", str(i)],
                        "message": "Quantity rule minimum is not a multiple of increment.",
                        "code": "QUANTITY_RULE_ADD_MINIMUM_NOT_A_MULTIPLE_OF_INCREMENT",
                    }
                )
            rules[item["variantId"]] = (minimum, maximum, increment)
        for i, item in enumerate(data["quantityPriceBreaksToAdd"]):
            gid, minimum = item["variantId"], item["minimumQuantity"]
            if gid not in prices:
                errors.append(
                    {
                        "field": ["input", "quantityPriceBreaksToAdd", str(i)],
                        "message": "Quantity price break's fixed price not found.",
                        "code": "QUANTITY_PRICE_BREAK_ADD_PRICE_LIST_PRICE_NOT_FOUND",
                    }
                )
                continue
            rule = rules.get(gid, (1, None, 1))
            if minimum < rule[0] or (rule[1] is not None and minimum > rule[1]) or minimum % rule[2]:
                errors.append(
                    {
                        "field": ["input", "quantityPriceBreaksToAdd", str(i)],
                        "message": "Invalid quantity price break.",
                        "code": "QUANTITY_PRICE_BREAK_ADD_INVALID",
                    }
                )
            prices[gid]["breaks"][minimum] = Decimal(item["price"]["amount"])
        if errors:
            return self._errors(mutation, errors, productVariants=None)
        pl.prices, pl.rules = prices, rules
        touched = {i["variantId"] for key in ("pricesToAdd", "quantityRulesToAdd") for i in data[key]}
        return {mutation: {"productVariants": [{"id": g} for g in sorted(touched)], "userErrors": []}}

    # -- catalogs --------------------------------------------------------------------------------

    def _PricingCatalogCreate(self, v: dict[str, Any]) -> dict[str, Any]:
        data = v["input"]
        locations = data["context"].get("companyLocationIds") or []
        assert 0 < len(locations) <= MAX_INPUT_ITEMS
        catalog = FakeCatalog(
            self._gid("CompanyLocationCatalog"), data["title"], data["status"], list(locations)
        )
        if data.get("priceListId"):
            self._link(catalog, data["priceListId"])
        self.catalogs[catalog.id] = catalog
        payload = {"id": catalog.id, "title": catalog.title, "status": catalog.status}
        payload["priceList"] = {"id": catalog.price_list_id} if catalog.price_list_id else None
        return {"catalogCreate": {"catalog": payload, "userErrors": []}}

    def _link(self, catalog: FakeCatalog, price_list_id: str) -> None:
        catalog.price_list_id = price_list_id
        self.price_lists[price_list_id].catalog_id = catalog.id

    def _PricingCatalog(self, v: dict[str, Any]) -> dict[str, Any]:
        catalog = self.catalogs.get(v["id"])
        if catalog is None:
            return {"catalog": None}
        nodes = [{"id": gid} for gid in catalog.locations]
        return {
            "catalog": {
                "id": catalog.id,
                "title": catalog.title,
                "status": catalog.status,
                "priceList": {"id": catalog.price_list_id} if catalog.price_list_id else None,
                "companyLocations": _page(nodes, v.get("after"), 250),
            }
        }

    def _PricingCatalogUpdate(self, v: dict[str, Any]) -> dict[str, Any]:
        catalog = self.catalogs[v["id"]]
        data = v["input"]
        catalog.title = data.get("title", catalog.title)
        catalog.status = data.get("status", catalog.status)
        if data.get("priceListId"):
            self._link(catalog, data["priceListId"])
        payload = {"id": catalog.id, "title": catalog.title, "status": catalog.status}
        return {"catalogUpdate": {"catalog": payload, "userErrors": []}}

    def _PricingCatalogContextUpdate(self, v: dict[str, Any]) -> dict[str, Any]:
        catalog = self.catalogs[v["catalogId"]]
        add = (v.get("contextsToAdd") or {}).get("companyLocationIds") or []
        remove = (v.get("contextsToRemove") or {}).get("companyLocationIds") or []
        assert len(add) <= MAX_INPUT_ITEMS and len(remove) <= MAX_INPUT_ITEMS
        catalog.locations = [gid for gid in catalog.locations if gid not in remove]
        catalog.locations += [gid for gid in add if gid not in catalog.locations]
        return {"catalogContextUpdate": {"catalog": {"id": catalog.id}, "userErrors": []}}

    # -- collections -----------------------------------------------------------------------------

    def _PricingCollections(self, v: dict[str, Any]) -> dict[str, Any]:
        nodes = [
            {
                "id": gid,
                "title": title,
                "handle": handle,
                "products": _page([{"id": p} for p in products], None, 100),
            }
            for gid, (title, handle, products) in sorted(
                self.collections.items(), key=lambda kv: _tail(kv[0])
            )
        ]
        return {"collections": _page(nodes, v.get("after"), 8)}

    def _PricingCollectionProducts(self, v: dict[str, Any]) -> dict[str, Any]:
        found = self.collections.get(v["id"])
        if found is None:
            return {"collection": None}
        # The first page held 100 products; later pages hold 250 (the document's `first`).
        after = int(v["after"])
        products = found[2]
        nodes = [{"id": p} for p in products[after : after + 250]]
        end = after + len(nodes)
        info = {"hasNextPage": end < len(products), "endCursor": str(end)}
        return {"collection": {"products": {"pageInfo": info, "nodes": nodes}}}


def _tail(gid: str) -> int:
    return int(gid.rsplit("/", 1)[1])


def _page_keys(keys: list[str], after: str | None, size: int) -> tuple[list[str], dict[str, Any]]:
    """One page of keys and its pageInfo; the cursor is the index of the next key."""
    start = int(after) if after else 0
    chunk = keys[start : start + size]
    end = start + len(chunk)
    return chunk, {"hasNextPage": end < len(keys), "endCursor": str(end)}


def _page(nodes: list[dict[str, Any]], after: str | None, size: int) -> dict[str, Any]:
    """A connection page; the cursor is the index of the next node."""
    start = int(after) if after else 0
    chunk = nodes[start : start + size]
    end = start + len(chunk)
    return {"pageInfo": {"hasNextPage": end < len(nodes), "endCursor": str(end)}, "nodes": chunk}
