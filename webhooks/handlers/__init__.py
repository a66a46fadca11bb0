"""Webhook handlers, one small module per Shopify resource; webhooks.registry maps topics to them."""
