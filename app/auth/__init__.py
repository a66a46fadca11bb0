"""Shopify authentication: session tokens, token exchange and refresh, legacy OAuth, local sign-in."""
