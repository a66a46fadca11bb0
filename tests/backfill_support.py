"""A fake of Shopify's Admin GraphQL API and bulk storage at the HTTP boundary, and GraphQL-shaped data.

`FakeShopify.transport` is an httpx.MockTransport: tests put it in settings (SHOPIFY_HTTP_TRANSPORT)
so the real client code runs against it. It answers the documents Tradeline sends the way Shopify
documents them (BulkOperationRunQuery, BulkOperationStatus, the Reconcile* queries), and serves a
bulk export's JSONL from a storage host, honouring HTTP Range. Objects are GraphQL-shaped (camelCase,
GIDs, MoneyBag), as the bulk JSONL and query answers are.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from app import services
from app.db import UnitOfWork
from app.shopify.client import parse_operation
from app.shops import TokenSet, store_token
from tests.crm_support import make_shop

STORAGE_HOST = "storage.googleapis.test"
T0 = datetime(2026, 5, 1, 15, 0, tzinfo=UTC)
COST = {
    "requestedQueryCost": 10,
    "actualQueryCost": 5,
    "throttleStatus": {"maximumAvailable": 2000.0, "currentlyAvailable": 1995, "restoreRate": 100.0},
}
_BACKFILL_RE = re.compile(r"query Backfill(?P<name>[A-Za-z]+)")
RESOURCE_OF = {"Customers": "customers", "Companies": "companies", "Products": "products", "Orders": "orders"}
TYPE_OF = {"customers": "Customer", "companies": "Company", "products": "Product", "orders": "Order"}
CONNECTIONS = {
    "customers": {"addressesV2": "MailingAddress"},
    "companies": {"locations": "CompanyLocation", "contacts": "CompanyContact"},
    "products": {"variants": "ProductVariant"},
    "orders": {"lineItems": "LineItem"},
}


def ts(minutes: float = 0) -> str:
    """A GraphQL DateTime `minutes` after T0 (UTC, as the Admin API writes it)."""
    return (T0 + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def ago(minutes: float) -> str:
    """A GraphQL DateTime `minutes` before now (reconciliation windows are relative to now)."""
    return (datetime.now(UTC) - timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _now() -> str:
    # Bulk operations happen now: their results expire 7 days after they complete.
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def connected_shop(uow: UnitOfWork, domain: str = "acme.myshopify.com") -> int:
    """An installed shop with a (non-expiring) offline token, so jobs can call the Admin API."""
    shop_id = make_shop(uow, domain=domain)
    store_token(
        uow,
        services().cipher,
        shop_id=shop_id,
        tokens=TokenSet(access_token="shpat_0123456789abcdef0123456789abcdef", scope="read_orders"),
    )
    uow.session.flush()
    return shop_id


# -- GraphQL-shaped objects ----------------------------------------------------------------------


def money(amount: str) -> dict[str, Any]:
    return {"shopMoney": {"amount": amount}}


def customer_node(n: int, *, minute: float = 0, **fields: Any) -> dict[str, Any]:
    node = {
        "id": f"gid://shopify/Customer/{n}",
        "firstName": f"First{n}",
        "lastName": f"Last{n}",
        "note": None,
        "state": "ENABLED",
        "verifiedEmail": True,
        "taxExempt": False,
        "tags": ["b2b", "vip"],
        "createdAt": ts(-1000),
        "updatedAt": ts(minute),
        "defaultEmailAddress": {
            "emailAddress": f"buyer{n}@example.com",
            "marketingState": "SUBSCRIBED",
            "marketingOptInLevel": "SINGLE_OPT_IN",
            "marketingUpdatedAt": ts(-500),
        },
        "defaultPhoneNumber": {"phoneNumber": "+15125550100"},
        "defaultAddress": address_node(n * 10, city="Austin"),
    }
    node.update(fields)
    return node


def address_node(n: int, *, city: str = "Austin", parent: str | None = None) -> dict[str, Any]:
    node = {
        "id": f"gid://shopify/MailingAddress/{n}?model_name=CustomerAddress",
        "firstName": "Ana",
        "lastName": "Ruiz",
        "company": "Acme Corp",
        "address1": "1 Main St",
        "address2": None,
        "city": city,
        "province": "Texas",
        "provinceCode": "TX",
        "country": "United States",
        "countryCodeV2": "US",
        "zip": "78701",
        "phone": None,
    }
    if parent:
        node["__parentId"] = parent
    return node


def order_node(
    n: int, *, minute: float = 0, customer: int | None = 500, total: str = "30.00", **fields: Any
) -> dict[str, Any]:
    node = {
        "id": f"gid://shopify/Order/{n}",
        "name": f"#{1000 + n}",
        "number": 1000 + n,
        "email": f"buyer{customer}@example.com" if customer else None,
        "createdAt": ts(minute),
        "updatedAt": ts(minute),
        "processedAt": ts(minute),
        "cancelledAt": None,
        "cancelReason": None,
        "closedAt": None,
        "currencyCode": "USD",
        "presentmentCurrencyCode": "USD",
        "displayFinancialStatus": "PAID",
        "displayFulfillmentStatus": "UNFULFILLED",
        "subtotalPriceSet": money(total),
        "totalDiscountsSet": money("0.00"),
        "totalTaxSet": money("0.00"),
        "totalPriceSet": money(total),
        "currentTotalPriceSet": money(total),
        "sourceName": "web",
        "poNumber": None,
        "note": None,
        "tags": [],
        "test": False,
        "customerJourneySummary": None,
        "customer": {"id": f"gid://shopify/Customer/{customer}"} if customer else None,
        "purchasingEntity": {},
    }
    node.update(fields)
    return node


def line_node(
    n: int, order: int, *, quantity: int = 1, price: str = "10.00", parent: bool = True
) -> dict[str, Any]:
    node: dict[str, Any] = {
        "id": f"gid://shopify/LineItem/{n}",
        "title": "Widget",
        "variantTitle": "12-pack",
        "sku": f"SKU-{n}",
        "quantity": quantity,
        "currentQuantity": quantity,
        "variant": {"id": "gid://shopify/ProductVariant/39072856"},
        "product": {"id": "gid://shopify/Product/632910392"},
        "originalUnitPriceSet": money(price),
        "totalDiscountSet": money("0.00"),
    }
    if parent:
        node["__parentId"] = f"gid://shopify/Order/{order}"
    return node


def order_with_lines(n: int, lines: int = 3, **fields: Any) -> list[dict[str, Any]]:
    """An order line and its line-item lines (ids n*10+1 ...), as a bulk export writes them."""
    return [order_node(n, **fields), *[line_node(n * 10 + k, n) for k in range(1, lines + 1)]]


def product_node(n: int, *, minute: float = 0, **fields: Any) -> dict[str, Any]:
    node = {
        "id": f"gid://shopify/Product/{n}",
        "title": f"Product {n}",
        "handle": f"product-{n}",
        "vendor": "Acme",
        "productType": "Hardware",
        "status": "ACTIVE",
        "tags": ["wholesale"],
        "publishedAt": ts(-100),
        "createdAt": ts(-100),
        "updatedAt": ts(minute),
    }
    node.update(fields)
    return node


def variant_node(n: int, product: int, *, position: int = 1, price: str = "11.50", parent: bool = True):
    node: dict[str, Any] = {
        "id": f"gid://shopify/ProductVariant/{n}",
        "title": f"Variant {position}",
        "sku": f"V-{n}",
        "barcode": None,
        "position": position,
        "price": price,
        "compareAtPrice": None,
        "inventoryQuantity": 5,
        "taxable": True,
        "createdAt": ts(-100),
        "updatedAt": ts(0),
        "selectedOptions": [{"name": "Pack", "value": f"{position}-pack"}],
    }
    if parent:
        node["__parentId"] = f"gid://shopify/Product/{product}"
    return node


def company_node(n: int, *, minute: float = 0, **fields: Any) -> dict[str, Any]:
    node = {
        "id": f"gid://shopify/Company/{n}",
        "name": f"Company {n}",
        "externalId": f"ERP-{n}",
        "note": None,
        "customerSince": ts(-1000),
        "createdAt": ts(-1000),
        "updatedAt": ts(minute),
        "mainContact": {"id": f"gid://shopify/CompanyContact/{n * 10 + 5}"},
    }
    node.update(fields)
    return node


def location_node(
    n: int, company: int, *, terms: str | None = "Net 30", parent: bool = True
) -> dict[str, Any]:
    node: dict[str, Any] = {
        "id": f"gid://shopify/CompanyLocation/{n}",
        "name": f"Location {n}",
        "externalId": None,
        "phone": None,
        "locale": "en",
        "note": None,
        "createdAt": ts(-900),
        "updatedAt": ts(0),
        "billingAddress": None,
        "shippingAddress": {
            "address1": "1 Main St",
            "address2": None,
            "city": "Austin",
            "province": "Texas",
            "zoneCode": "TX",
            "country": "United States",
            "countryCode": "US",
            "zip": "78701",
            "recipient": "Receiving",
            "firstName": None,
            "lastName": None,
            "phone": None,
        },
        "buyerExperienceConfiguration": {
            "checkoutToDraft": False,
            "editableShippingAddress": False,
            "paymentTermsTemplate": {"name": terms, "dueInDays": 30, "paymentTermsType": "NET"}
            if terms
            else None,
        },
        "taxSettings": {"taxRegistrationId": None, "taxExempt": False},
    }
    if parent:
        node["__parentId"] = f"gid://shopify/Company/{company}"
    return node


def contact_node(n: int, company: int, customer: int, *, parent: bool = True) -> dict[str, Any]:
    node: dict[str, Any] = {
        "id": f"gid://shopify/CompanyContact/{n}",
        "title": "Buyer",
        "locale": "en",
        "createdAt": ts(-900),
        "updatedAt": ts(0),
        "customer": {"id": f"gid://shopify/Customer/{customer}"},
    }
    if parent:
        node["__parentId"] = f"gid://shopify/Company/{company}"
    return node


def jsonl(objects: Iterable[Mapping[str, Any]]) -> bytes:
    """Objects as a bulk result file: one compact JSON object per line, each ending in a newline."""
    return b"".join(json.dumps(obj, separators=(",", ":")).encode() + b"\n" for obj in objects)


# -- the fake ------------------------------------------------------------------------------------


@dataclass
class BulkOperation:
    id: str
    resource: str
    query: str
    status: str = "CREATED"
    error_code: str | None = None
    polls: int = 0


@dataclass
class FakeShopify:
    """Shopify's Admin API and bulk storage for one shop, recording every request it answers.

    `exports[resource]` is the JSONL a bulk export of that resource produces. `truncate_downloads`
    serves the next N downloads cut off after `truncate_at` bytes (a file cut off mid-line).
    `busy` answers bulkOperationRunQuery with OPERATION_IN_PROGRESS. `objects[resource]` are the
    GraphQL nodes the Reconcile* queries list and fetch.
    """

    exports: dict[str, bytes] = field(default_factory=dict)
    operations: dict[str, BulkOperation] = field(default_factory=dict)
    objects: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)
    ranges: list[str | None] = field(default_factory=list)
    variables: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    deny: set[str] = field(default_factory=set)
    busy: bool = False
    truncate_downloads: int = 0
    truncate_at: int = 0
    ignore_range: bool = False
    complete_on_poll: bool = False

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self._handle)

    def documents(self) -> list[str]:
        """Names of the GraphQL documents received, in order."""
        return [name for kind, name in self.requests if kind == "graphql"]

    def finish(self, operation_id: str, *, status: str = "COMPLETED", error_code: str | None = None) -> dict:
        """Finish an export; the bulk_operations/finish payload Shopify would send (2026-04 shape)."""
        op = self.operations[operation_id]
        op.status = status
        op.error_code = error_code
        return {
            "admin_graphql_api_id": operation_id,
            "completed_at": _now(),
            "created_at": _now(),
            "error_code": error_code.lower() if error_code else None,
            "status": status.lower(),
            "type": "query",
        }

    # -- HTTP ------------------------------------------------------------------------------------

    def _handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == STORAGE_HOST:
            return self._download(request)
        assert request.method == "POST" and request.url.path.endswith("/graphql.json"), request.url
        body = json.loads(request.content)
        name = parse_operation(body["query"]).name
        self.requests.append(("graphql", name))
        variables = body.get("variables") or {}
        self.variables.append((name, variables))
        if name in self.deny:
            # How Shopify answers a query for data the token's scopes do not cover.
            error = {"message": f"Access denied for {name}.", "extensions": {"code": "ACCESS_DENIED"}}
            return httpx.Response(200, json={"errors": [error], "data": None, "extensions": {"cost": COST}})
        data = self._answer(name, variables, body["query"])
        return httpx.Response(200, json={"data": data, "extensions": {"cost": COST}})

    def _answer(self, name: str, variables: dict[str, Any], query: str) -> dict[str, Any]:
        if name == "BulkOperationRunQuery":
            assert variables["groupObjects"] is False
            if self.busy:
                return {
                    "bulkOperationRunQuery": {
                        "bulkOperation": None,
                        "userErrors": [
                            {
                                "field": None,
                                "message": "A bulk query operation for this app and shop is already "
                                "in progress",
                                "code": "OPERATION_IN_PROGRESS",
                            }
                        ],
                    }
                }
            match = _BACKFILL_RE.search(variables["query"])
            assert match is not None, variables["query"][:80]
            op = BulkOperation(
                id=f"gid://shopify/BulkOperation/{len(self.operations) + 1000}",
                resource=RESOURCE_OF[match["name"]],
                query=variables["query"],
            )
            self.operations[op.id] = op
            return {
                "bulkOperationRunQuery": {
                    "bulkOperation": {"id": op.id, "status": "CREATED", "type": "QUERY", "createdAt": ts(0)},
                    "userErrors": [],
                }
            }
        if name == "BulkOperationStatus":
            op = self.operations.get(variables["id"])
            if op is None:
                return {"bulkOperation": None}
            op.polls += 1
            if self.complete_on_poll and op.status in ("CREATED", "RUNNING"):
                op.status = "COMPLETED"
            elif op.status == "CREATED":
                op.status = "RUNNING"
            return {"bulkOperation": self._operation(op)}
        if name.startswith("Reconcile"):
            return self._reconcile(name, variables, query)
        raise AssertionError(f"the fake does not answer {name}")

    def _operation(self, op: BulkOperation) -> dict[str, Any]:
        body = self.exports.get(op.resource, b"")
        done = op.status == "COMPLETED"
        lines = body.count(b"\n")
        roots = sum(1 for line in body.splitlines() if b'"__parentId"' not in line)
        return {
            "id": op.id,
            "status": op.status,
            "errorCode": op.error_code,
            "type": "QUERY",
            "objectCount": str(lines if done else lines // 2),
            "rootObjectCount": str(roots if done else roots // 2),
            "fileSize": str(len(body)) if done and body else None,
            "url": f"https://{STORAGE_HOST}/bulk/{op.id.rsplit('/', 1)[1]}.jsonl?X-Goog-Signature=abc"
            if done and body
            else None,
            "partialDataUrl": None,
            "createdAt": _now(),
            "completedAt": _now() if done else None,
        }

    def _download(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(("download", request.url.path))
        number = request.url.path.rsplit("/", 1)[1].removesuffix(".jsonl")
        op = self.operations[f"gid://shopify/BulkOperation/{number}"]
        body = self.exports[op.resource]
        header = request.headers.get("Range")
        self.ranges.append(header)
        status, start = 200, 0
        if header and not self.ignore_range:
            start = int(header.removeprefix("bytes=").split("-")[0])
            if start >= len(body):
                return httpx.Response(416, headers={"Content-Range": f"bytes */{len(body)}"})
            status = 206
        if self.truncate_downloads:
            self.truncate_downloads -= 1
            return httpx.Response(status, content=body[start : self.truncate_at])
        return httpx.Response(status, content=body[start:])

    # -- reconciliation queries -------------------------------------------------------------------

    def _reconcile(self, name: str, variables: dict[str, Any], query: str) -> dict[str, Any]:
        for resource, type_name in TYPE_OF.items():
            if name == f"Reconcile{resource.capitalize()}":
                since = re.search(r">='([^']+)'", variables["query"])
                assert since is not None, variables["query"]
                nodes = sorted(
                    (n for n in self.objects.get(resource, []) if n["updatedAt"] >= since.group(1)),
                    key=lambda n: (n["updatedAt"], n["id"]),
                )
                start = int(variables.get("after") or 0)
                page = nodes[start : start + variables["first"]]
                more = start + len(page) < len(nodes)
                return {
                    resource: {
                        "pageInfo": {"hasNextPage": more, "endCursor": str(start + len(page))},
                        "nodes": [{"id": n["id"], "updatedAt": n["updatedAt"]} for n in page],
                    }
                }
            by_id = {n["id"]: n for n in self.objects.get(resource, [])}
            if name == f"Reconcile{type_name}Nodes":
                return {"nodes": [self._full(resource, by_id.get(i), query) for i in variables["ids"]]}
            if name == f"Reconcile{type_name}Children":
                node = by_id[variables["id"]]
                pages = {
                    connection: _child_page(node, connection, query, variables[f"{connection}After"])
                    for connection in CONNECTIONS[resource]
                    if variables[connection]  # the @include flag of each connection
                }
                return {type_name.lower(): pages}
        raise AssertionError(f"the fake does not answer {name}")

    def _full(self, resource: str, node: dict[str, Any] | None, query: str) -> dict[str, Any] | None:
        """A stored object with the first page of each child connection, as the Nodes documents ask."""
        if node is None:
            return None
        full = {k: v for k, v in node.items() if not k.startswith("_")}
        for connection in CONNECTIONS[resource]:
            full[connection] = _child_page(node, connection, query, None)
        return full


def _child_page(node: dict[str, Any], connection: str, query: str, after: str | None) -> dict[str, Any]:
    """One page of a stored object's children, as big as the document's `first:` for that connection.

    Cursors are offsets: Shopify's are opaque, and Tradeline only hands back the ones it was given.
    """
    match = re.search(rf"\b{connection}\(first: (\d+)", query)
    assert match is not None, f"the document does not page {connection}"
    children = node.get(f"_{connection}", [])
    start = int(after or 0)
    page = children[start : start + int(match.group(1))]
    end = start + len(page)
    return {"pageInfo": {"hasNextPage": end < len(children), "endCursor": str(end)}, "nodes": page}
