"""How long to wait before asking Shopify again: each shop's cost bucket, THROTTLED answers, Retry-After."""

import email.utils
import math
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from shopify_app.types import Res

# Shopify's docs recommend at least a second between throttled attempts.
MIN_THROTTLE_WAIT_S = 1.0
# Shorter bucket waits are rounding noise, not worth a sleep.
MIN_BUCKET_WAIT_S = 0.01
# A broken or hostile Retry-After must not park a worker for hours.
MAX_RETRY_AFTER_S = 120.0


@dataclass
class _Bucket:
    """Shopify's leaky bucket for one shop, as last reported, refilling at `restore_rate`."""

    available: float
    maximum: float
    restore_rate: float  # points per second
    observed_at: float  # clock seconds

    def available_at(self, now: float) -> float:
        return min(self.maximum, self.available + self.restore_rate * max(0.0, now - self.observed_at))


class CostTracker:
    """Per-shop estimates of the cost bucket, and the last requested cost of each document.

    One tracker lives per process: clients are cheap and short-lived, the bucket is per shop.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buckets: dict[str, _Bucket] = {}
        self._requested_cost: dict[str, float] = {}

    def observe(self, shop: str, document: str, cost: Mapping[str, Any] | None, now: float) -> None:
        """Record `extensions.cost` of a response (success or THROTTLED)."""
        if not cost:
            return
        with self._lock:
            requested = cost.get("requestedQueryCost")
            if isinstance(requested, int | float):
                self._requested_cost[document] = float(requested)
            status = cost.get("throttleStatus") or {}
            try:
                bucket = _Bucket(
                    available=float(status["currentlyAvailable"]),
                    maximum=float(status["maximumAvailable"]),
                    restore_rate=float(status["restoreRate"]),
                    observed_at=now,
                )
            except (KeyError, TypeError, ValueError):
                return
            if bucket.restore_rate > 0 and bucket.maximum > 0:
                self._buckets[shop] = bucket

    def last_requested_cost(self, document: str) -> float | None:
        with self._lock:
            return self._requested_cost.get(document)

    def available(self, shop: str, now: float) -> float | None:
        """The estimated points available now, or None before the shop's first answer."""
        with self._lock:
            bucket = self._buckets.get(shop)
            return None if bucket is None else bucket.available_at(now)

    def wait_before(self, shop: str, cost: float, now: float) -> float:
        """Seconds until the shop's bucket holds `cost` points (0 when it does, or is unknown)."""
        with self._lock:
            bucket = self._buckets.get(shop)
            if bucket is None:
                return 0.0
            # A cost above the bucket's size can never be met; a full bucket is the best there is.
            needed = min(cost, bucket.maximum)
            wait = (needed - bucket.available_at(now)) / bucket.restore_rate
            return wait if wait >= MIN_BUCKET_WAIT_S else 0.0


# The process-wide tracker that clients share unless given their own (tests give their own).
COST_TRACKER = CostTracker()


def _points(value: object) -> str:
    return f"{value:g}" if isinstance(value, int | float) else "-"


def _cost_fields(cost: Mapping[str, Any] | None) -> dict[str, str]:
    """Log fields from `extensions.cost`: cost=actual/requested, available=current/maximum."""
    if not cost:
        return {}
    status = cost.get("throttleStatus") or {}
    return {
        "cost": f"{_points(cost.get('actualQueryCost'))}/{_points(cost.get('requestedQueryCost'))}",
        "available": f"{_points(status.get('currentlyAvailable'))}/{_points(status.get('maximumAvailable'))}",
    }


def _throttle_wait_s(cost: Mapping[str, Any] | None) -> float:
    """max(1, (requested - available) / restoreRate), as Shopify's rate-limit guide advises."""
    cost = cost or {}
    status = cost.get("throttleStatus") or {}
    try:
        deficit = float(cost["requestedQueryCost"]) - float(status["currentlyAvailable"])
        wait = deficit / float(status["restoreRate"])
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return MIN_THROTTLE_WAIT_S
    return max(MIN_THROTTLE_WAIT_S, wait) if math.isfinite(wait) else MIN_THROTTLE_WAIT_S


def _retry_after_s(res: Res) -> float:
    """Retry-After in seconds (delta-seconds or an HTTP date); 1 s when absent or unreadable."""
    headers = {k.lower(): v for k, v in (res.headers or {}).items()}
    value = (headers.get("retry-after") or "").strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return MIN_THROTTLE_WAIT_S
        if when.tzinfo is None:
            return MIN_THROTTLE_WAIT_S
        seconds = (when - datetime.now(UTC)).total_seconds()
    if not math.isfinite(seconds):
        return MIN_THROTTLE_WAIT_S
    return min(MAX_RETRY_AFTER_S, max(0.0, seconds))
