"""Retention campaigns: audiences from segments, holdout groups, idempotent sends, attribution and uplift."""
