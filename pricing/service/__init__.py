"""Pricing use cases, one module per area; import the module you need (`from pricing.service import resolve`).

- `resolve`: load what the engine needs for a buyer and a cart, and price it (`price_lines`).
- `lists`: create and change price lists, entries, adjustments, tiers, quantity rules, assignments.
- `csv_io`: stream a CSV of entries in, validate it all, show the diff, apply it all or nothing; export.
- `publish`: publish a list to Shopify as a catalog + price list (an RQ job with progress).
- `simulate`: apply a draft change to past orders and report the revenue change per company.
"""
