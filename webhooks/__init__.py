"""Webhook intake (verify, dedupe, store, enqueue), one handler per topic, bulk backfill,
reconciliation and compliance topics.
"""
