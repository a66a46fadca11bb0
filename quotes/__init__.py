"""Quote requests, revisions, the negotiation state machine, approvals and conversion to Shopify draft
orders and orders.
"""
