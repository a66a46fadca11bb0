"""Whole resources of a bulk export: parents gathered with their `__parentId` children."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from webhooks.bulk_mapping.payloads import (
    company_contact_payload,
    company_location_payload,
    company_payload,
    customer_payload,
    order_payload,
    product_payload,
)
from webhooks.bulk_mapping.values import (
    MappingError,
    gid_kind,
    nested_nodes,
)

# -- whole resources ----------------------------------------------------------------------------


@dataclass
class Payloads:
    """REST payloads by `crm.service.import_batch` keyword, built from some GraphQL objects."""

    customers: list[dict[str, Any]] = field(default_factory=list)
    companies: list[dict[str, Any]] = field(default_factory=list)
    company_locations: list[dict[str, Any]] = field(default_factory=list)
    company_contacts: list[dict[str, Any]] = field(default_factory=list)
    products: list[dict[str, Any]] = field(default_factory=list)
    orders: list[dict[str, Any]] = field(default_factory=list)

    def as_kwargs(self) -> dict[str, list[dict[str, Any]]]:
        return {
            "customers": self.customers,
            "companies": self.companies,
            "company_locations": self.company_locations,
            "company_contacts": self.company_contacts,
            "products": self.products,
            "orders": self.orders,
        }

    def __len__(self) -> int:
        return sum(len(v) for v in self.as_kwargs().values())


# The GID kind of each resource's top-level objects, and of the children each may have.
PARENT_KIND = {"customers": "Customer", "companies": "Company", "products": "Product", "orders": "Order"}
CHILD_KINDS = {
    "customers": frozenset({"MailingAddress"}),
    "companies": frozenset({"CompanyLocation", "CompanyContact"}),
    "products": frozenset({"ProductVariant"}),
    "orders": frozenset({"LineItem"}),
}


def add_object(
    payloads: Payloads, resource: str, parent: Mapping[str, Any], children: Sequence[Mapping[str, Any]]
) -> None:
    """Append the payloads of one top-level object and its children (any order) to `payloads`."""
    kind = gid_kind(parent.get("id"))
    if kind != PARENT_KIND[resource]:
        raise MappingError(f"{parent.get('id')!r} is not a {PARENT_KIND[resource]} GID ({resource} export)")
    unexpected = [c.get("id") for c in children if gid_kind(c.get("id")) not in CHILD_KINDS[resource]]
    if unexpected:
        raise MappingError(f"{resource} export: unexpected child object(s) {unexpected[:3]}")
    if resource == "customers":
        payloads.customers.append(customer_payload(parent, children))
    elif resource == "companies":
        payloads.companies.append(company_payload(parent))
        for child in children:
            if gid_kind(child["id"]) == "CompanyLocation":
                payloads.company_locations.append(company_location_payload(child, parent["id"]))
            else:
                payloads.company_contacts.append(company_contact_payload(child, parent["id"]))
    elif resource == "products":
        payloads.products.append(product_payload(parent, _by_position(children)))
    else:
        payloads.orders.append(order_payload(parent, children))


def _by_position(variants: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    # Unordered JSONL loses the variants' order; their position restores it.
    return sorted(variants, key=lambda v: (v.get("position") is None, v.get("position") or 0))


def children_of(node: Mapping[str, Any], resource: str) -> list[dict[str, Any]]:
    """The nested children of a reconciliation node, as flat objects like bulk JSONL lines."""
    connections = {
        "customers": ("addressesV2",),
        "companies": ("locations", "contacts"),
        "products": ("variants",),
        "orders": ("lineItems",),
    }[resource]
    return [child for name in connections for child in nested_nodes(node, name)]
