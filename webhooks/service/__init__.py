"""Webhook use cases, one module per stage: `intake` (verify, dedupe, store, enqueue), `processing`
(claim deliveries and run their handlers, alone or in batches) and `inbox` (sweeper, retry, the
webhook log). Import the modules, not names from this package: handlers import `inbox` while the
registry they belong to is still loading.
"""
