"""GIDs, money bags, tags and the small value readers every mapping shares."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

PARENT_KEY = "__parentId"
GID_PREFIX = "gid://shopify/"
_GID_RE = re.compile(r"^gid://shopify/(?P<kind>[A-Za-z]+)/(?P<id>\d+)(?:\?.*)?$")

# GraphQL's display fulfillment statuses that REST reports as null (nothing shipped yet).
_UNFULFILLED = frozenset(
    {"UNFULFILLED", "PENDING_FULFILLMENT", "OPEN", "IN_PROGRESS", "ON_HOLD", "SCHEDULED", "REQUEST_DECLINED"}
)
_FULFILLMENT = {"PARTIALLY_FULFILLED": "partial", "FULFILLED": "fulfilled", "RESTOCKED": "restocked"}


class MappingError(ValueError):
    """A GraphQL object lacks what its payload needs (an id of the expected kind)."""


def gid_kind(gid: Any) -> str | None:
    """`gid://shopify/LineItem/1` -> "LineItem"; None for anything that is not a Shopify GID."""
    match = _GID_RE.match(gid) if isinstance(gid, str) else None
    return match["kind"] if match else None


def gid_number(gid: Any, kind: str | None = None) -> int:
    """The numeric tail of a GID (`?model_name=...` suffixes ignored), checked against `kind`."""
    # Split by hand rather than with _GID_RE: an export holds millions of GIDs.
    rest = gid[len(GID_PREFIX) :] if isinstance(gid, str) and gid.startswith(GID_PREFIX) else ""
    found_kind, _, tail = rest.partition("/")
    digits = tail.partition("?")[0]
    if (
        not (found_kind.isascii() and found_kind.isalpha())
        or not (digits.isascii() and digits.isdigit())
        or (kind is not None and found_kind != kind)
    ):
        raise MappingError(f"{gid!r} is not a {kind or 'Shopify'} GID")
    number = int(digits)
    if not 0 < number < 2**63:
        raise MappingError(f"{gid!r} is out of range for a Shopify id")
    return number


def _lower(value: Any) -> str | None:
    """GraphQL enum -> REST string: "PARTIALLY_PAID" -> "partially_paid"."""
    return value.lower() if isinstance(value, str) else None


def _money(bag: Any) -> str | None:
    """The shop-currency amount of a MoneyBag (`{shopMoney {amount}}`), as REST's money string."""
    if not isinstance(bag, Mapping):
        return None
    shop_money = bag.get("shopMoney")
    if isinstance(shop_money, Mapping):
        amount = shop_money.get("amount")
        return str(amount) if amount is not None else None
    return None


def _tags(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return ", ".join(str(tag) for tag in value)


def _ref(gid: Any, kind: str) -> dict[str, Any]:
    """A REST reference: `{"id": 1, "admin_graphql_api_id": "gid://shopify/<kind>/1"}`."""
    return {"id": gid_number(gid, kind), "admin_graphql_api_id": gid}


def _object(node: Mapping[str, Any], key: str) -> Mapping[str, Any] | None:
    value = node.get(key)
    return value if isinstance(value, Mapping) else None


def _gid_of(node: Mapping[str, Any], key: str) -> Any:
    value = _object(node, key)
    return value.get("id") if value else None


def nested_nodes(node: Mapping[str, Any], connection: str) -> list[dict[str, Any]]:
    """The children of a nested connection in a regular query (`{nodes}` or `{edges {node}}`)."""
    value = _object(node, connection)
    if value is None:
        return []
    if isinstance(value.get("nodes"), list):
        return list(value["nodes"])
    return [edge["node"] for edge in value.get("edges") or [] if isinstance(edge, Mapping)]
