"""The REST API shell at /api/v1: API keys, problem+json errors, cursor pagination, OpenAPI."""
