"""The one Shopify Admin GraphQL client, its documents and their schema checks."""
