"""The price engine: pure functions over plain data (no database, no Flask).

`price_cart(data, buyer, lines)` decides each line's unit price from the price lists in `data`
(loaded by pricing.service.resolve), applies the winning list's quantity rules and order minimum,
and explains every list it considered (each line's candidates are built when first read).
docs/pricing.md states the rules; in short: a list applies when it is active now, in the buyer's
currency and assigned to the buyer; its price is its fixed entry, else its most specific adjustment
of the base price, lowered by volume tiers; the lowest price wins (or the highest priority, per
shop), ties by assignment specificity then list id; money is rounded once, at the end.
"""

from pricing.rules.engine import price_cart
from pricing.rules.types import (
    SPECIFICITY,
    AdjustmentInfo,
    AssignmentInfo,
    Buyer,
    Candidate,
    EntryInfo,
    LinePrice,
    LineRequest,
    ListInfo,
    PricedCart,
    PricingData,
    RuleInfo,
    TierInfo,
    VariantInfo,
    Violation,
)

__all__ = [
    "SPECIFICITY",
    "AdjustmentInfo",
    "AssignmentInfo",
    "Buyer",
    "Candidate",
    "EntryInfo",
    "LinePrice",
    "LineRequest",
    "ListInfo",
    "PricedCart",
    "PricingData",
    "RuleInfo",
    "TierInfo",
    "VariantInfo",
    "Violation",
    "price_cart",
]
