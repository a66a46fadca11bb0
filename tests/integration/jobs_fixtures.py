"""Job functions for the job tests; importable by a worker subprocess run from the repository root."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select

from app import services
from app.jobs import redis_connection
from app.logging_setup import current_log_context
from app.models import Shop

# In-process calls (inline mode and SimpleWorker tests): name -> number of calls.
CALLS: Counter[str] = Counter()
SEEN_CONTEXT: list[dict[str, str]] = []


def set_shop_plan(shop_id: int, plan: str) -> None:
    """Write an observable change: the shop's plan."""
    with services().db.unit_of_work() as uow:
        shop = uow.session.execute(select(Shop).where(Shop.id == shop_id)).scalar_one()
        shop.plan = plan
        uow.commit()


def count_call(name: str) -> None:
    """Record one call in this process."""
    CALLS[name] += 1
    SEEN_CONTEXT.append(current_log_context())


def fail_always(name: str) -> None:
    """Record the attempt, then fail."""
    CALLS[name] += 1
    raise RuntimeError(f"{name} failed on purpose")


def fail_times(name: str, failures: int) -> str:
    """Fail the first `failures` attempts, then succeed."""
    CALLS[name] += 1
    if CALLS[name] <= failures:
        raise RuntimeError(f"{name} attempt {CALLS[name]} failed on purpose")
    return "done"


def count_attempt_in_redis_then_fail(name: str) -> None:
    """Count the attempt where every process sees it (Redis), then fail."""
    redis_connection().incr(f"test:attempts:{name}")
    raise RuntimeError(f"{name} failed on purpose")


def count_attempt_in_redis(name: str, ttl: int = 0) -> dict[str, str]:
    """Count the attempt in Redis; the keyword named like an RQ option must reach the job untouched."""
    redis_connection().incr(f"test:attempts:{name}")
    redis_connection().set(f"test:ttl:{name}", ttl)
    return current_log_context()
