"""The CRM model: Shopify customers, companies, catalog and orders mirrored per shop, and the timeline.

Conventions shared by every mirrored table:
- `shopify_id` is Shopify's numeric id (the tail of the GID), unique per shop: the same id in two
  shops is two rows.
- `shopify_updated_at` is the `updated_at` of the payload last applied; a payload older than it
  changes nothing. NULL means the row is known only by reference (an order named the customer or
  company before its own payload arrived).
- Deletes are soft (`deleted_at`): history and order links survive, and a delete that arrives
  before the create leaves a tombstone so the late create does not resurrect the row.
- Money is `Numeric(18, 4)` plus a currency column. Scale 4 is the largest ISO 4217 minor unit
  (CLF, UYW), so any currency's exact amount fits, and 14 integer digits hold a lifetime total
  even in VND. Rounding happens in `app.money.round_money`, never in the column. On SQLite (the
  demo backend) the value is stored as a double, exact to 4 places below 10^11.

The tables are defined in the modules of this package; importing it registers all of them.
"""

from crm.models.accounts import CrmCompany, CrmCompanyContact, CrmCompanyLocation, CrmCustomer, CrmCustomerTag
from crm.models.catalog import CrmProduct, CrmVariant
from crm.models.columns import (
    COUNTED_ORDER,
    JSON_DOC,
    MONEY,
    CustomerState,
    FinancialStatus,
    FulfillmentStatus,
    LifetimeRollup,
    MarketingState,
    ProductStatus,
    ShopifyMirror,
    SubjectType,
)
from crm.models.columns import _enum as _enum
from crm.models.orders import CrmOrder, CrmOrderLine
from crm.models.timeline import CrmTimelineEvent

__all__ = [
    "COUNTED_ORDER",
    "JSON_DOC",
    "MONEY",
    "CrmCompany",
    "CrmCompanyContact",
    "CrmCompanyLocation",
    "CrmCustomer",
    "CrmCustomerTag",
    "CrmOrder",
    "CrmOrderLine",
    "CrmProduct",
    "CrmTimelineEvent",
    "CrmVariant",
    "CustomerState",
    "FinancialStatus",
    "FulfillmentStatus",
    "LifetimeRollup",
    "MarketingState",
    "ProductStatus",
    "ShopifyMirror",
    "SubjectType",
]
