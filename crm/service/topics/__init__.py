"""CRM use cases for the webhook topics beyond plain upserts and deletes.

customers/merge, customers/purchasing_summary, customer.tags_added / tags_removed,
customers_email_marketing_consent/update, draft_orders/update and shop/update. Like the rest of
crm.service, each takes the payload as Shopify sends it, is idempotent (the same payload twice
changes nothing the second time), lets the newest information win whatever the delivery order,
writes one timeline event per change in the caller's transaction and never commits.
"""

from crm.service.topics.customer_events import (
    add_customer_tags,
    record_purchasing_summary,
    remove_customer_tags,
    update_email_marketing_consent,
)
from crm.service.topics.draft_orders import upsert_draft_order
from crm.service.topics.merge import MergeResult, merge_customers
from crm.service.topics.shop import apply_shop_update

__all__ = [
    "MergeResult",
    "add_customer_tags",
    "apply_shop_update",
    "merge_customers",
    "record_purchasing_summary",
    "remove_customer_tags",
    "update_email_marketing_consent",
    "upsert_draft_order",
]
