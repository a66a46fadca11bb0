"""What each business metric means, in words shown next to the number (API and dashboard)."""

from __future__ import annotations

COUNTED = (
    "Counted orders are neither cancelled, deleted nor test orders, and have a processed date; an order's "
    "value is its current total (after refunds and edits)."
)

DEFINITIONS: dict[str, tuple[str, str]] = {
    "revenue": (
        "Revenue",
        "Sum of the current totals of counted orders processed in the period, in the shop's currency. "
        "Orders recorded in another currency are listed separately, never added in.",
    ),
    "orders": ("Orders", "Number of counted orders processed in the period, in any currency."),
    "average_order_value": (
        "Average order value",
        "Revenue divided by the number of counted orders of the period in the shop's currency.",
    ),
    "customers": ("Customers", "Customers with at least one counted order in the period."),
    "new_customers": (
        "New customers",
        "Customers whose first counted order ever was processed in the period.",
    ),
    "repeat_purchase_rate": (
        "Repeat purchase rate",
        "Of the customers with a counted order in the period, the percentage who had placed at least two "
        "counted orders by the end of the period (orders before the period count).",
    ),
    "churn_rate": (
        "Customer churn rate (monthly)",
        "For each calendar month m (shop timezone) lying entirely inside the period: the customers with a "
        "counted order in month m-1 who placed none in month m, divided by the customers with a counted "
        "order in month m-1. The period's rate pools its months: total churned / total active in the "
        "months before.",
    ),
    "historic_clv": (
        "Historic CLV",
        "Mean spend per customer: the current totals of all counted orders up to the end of the period "
        "(shop currency), divided by the customers with at least one counted order by then.",
    ),
    "predicted_clv": (
        "Predicted CLV (365 days)",
        "Mean predicted spend over the next 365 days (BG/NBD x Gamma-Gamma, see docs/segments.md) of the "
        "customers with a counted order by the end of the period, as of the latest analytics run.",
    ),
    "marketing_share": (
        "Customers acquired through marketing",
        "Of the new customers, the percentage whose acquisition source (the channel of their first order: "
        "UTM tags, then referrer) is a marketing channel ('utm:...' or 'referrer:...'); direct, POS, draft "
        "orders, apps and unknown sources are not marketing.",
    ),
    "cac": (
        "Customer acquisition cost (blended)",
        "Marketing spend of the calendar months the period touches (all channels, shop currency) divided "
        "by the new customers of the period. Spend is entered per shop, so it has no value per company or "
        "sales rep.",
    ),
    "sales_cycle_median_days": (
        "Sales cycle (median days)",
        "For new customers of the period: days from first touch (the customer's creation in Shopify; a "
        "quote request will count once quotes exist, whichever is first) to their first counted order; "
        "the median (mean of the two middle values for an even count). Customers whose first touch is "
        "unknown or after the order are left out.",
    ),
    "sales_cycle_mean_days": (
        "Sales cycle (mean days)",
        "The same durations as the median sales cycle, averaged.",
    ),
}

CHANNEL_CAC = (
    "Per channel: the spend entered for the channel in the calendar months the period touches, divided by "
    "the new customers of the period whose acquisition source is the channel or starts with the channel "
    "followed by '/' (channel 'utm:google' takes 'utm:google/cpc'; the longest matching channel wins)."
)
PAYBACK = (
    "CAC payback: the smallest number n of 30-day months such that the cohort's counted spend (shop "
    "currency, orders up to now) in the first n x 30 days after each customer's first order, divided by "
    "the cohort size, reaches the channel's CAC. The first order counts. Gross spend, not margin."
)
COHORTS = (
    "Customers grouped by the calendar month (shop timezone) of their first counted order; each cell is "
    "the percentage of the cohort with a counted order in the month that many months after (month 0 is "
    "100% by definition). Orders up to the end of the period count."
)
