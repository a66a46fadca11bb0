"""Pure mapping of Admin GraphQL objects (bulk JSONL lines, query nodes) into REST-shaped webhook payloads.

The CRM services take the payloads Shopify's webhooks carry (snake_case, numeric ids next to
`admin_graphql_api_id`, money as strings, tags as "a, b"). A backfill or a reconciliation reads the
same resources through GraphQL (camelCase, GIDs, MoneyBag objects, enums in capitals), so each
object is turned into the payload the matching webhook would have carried, and the CRM applies it
with exactly the rules it applies to webhooks. Only fields the GraphQL documents in
app/shopify/graphql/Backfill*.graphql and Reconcile*.graphql select are mapped.
"""

from __future__ import annotations

from webhooks.bulk_mapping.payloads import (
    company_address,
    company_contact_payload,
    company_location_payload,
    company_payload,
    customer_payload,
    fulfillment_status,
    line_item_payload,
    mailing_address,
    order_payload,
    product_payload,
    variant_payload,
)
from webhooks.bulk_mapping.records import (
    EMAIL_CHARS,
    NAME_CHARS,
    SHORT_TEXT_CHARS,
    order_record,
)
from webhooks.bulk_mapping.resources import (
    CHILD_KINDS,
    PARENT_KIND,
    Payloads,
    add_object,
    children_of,
)
from webhooks.bulk_mapping.values import (
    GID_PREFIX,
    PARENT_KEY,
    MappingError,
    gid_kind,
    gid_number,
    nested_nodes,
)

__all__ = [
    "CHILD_KINDS",
    "EMAIL_CHARS",
    "GID_PREFIX",
    "NAME_CHARS",
    "PARENT_KEY",
    "PARENT_KIND",
    "SHORT_TEXT_CHARS",
    "MappingError",
    "Payloads",
    "add_object",
    "children_of",
    "company_address",
    "company_contact_payload",
    "company_location_payload",
    "company_payload",
    "customer_payload",
    "fulfillment_status",
    "gid_kind",
    "gid_number",
    "line_item_payload",
    "mailing_address",
    "nested_nodes",
    "order_payload",
    "order_record",
    "product_payload",
    "variant_payload",
]
