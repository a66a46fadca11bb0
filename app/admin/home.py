"""Admin home use cases: what has been imported, how the job queues are doing, what to do next."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, Table, func, literal, select, union_all

from app.db import UnitOfWork
from app.jobs import queue_health
from app.model_registry import metadata
from app.models import AccessMode, ApiKey, ShopToken
from app.shops import get_shop

log = logging.getLogger(__name__)

# Tables of the CRM context are named crm_<thing> (CONVENTIONS.md, rule 8).
CRM_TABLE_PREFIX = "crm_"
PRIMARY_TABLES = ("crm_customer", "crm_company", "crm_order", "crm_product")


@dataclass(frozen=True)
class ShopSummary:
    """What admin pages show of a shop: plain values, usable after the unit of work has closed."""

    id: int
    name: str
    domain: str
    handle: str
    plan: str | None
    currency: str
    timezone: str
    installed_at: datetime | None
    scopes: tuple[str, ...]

    @property
    def display_name(self) -> str:
        return self.name or self.handle


def shop_summary(uow: UnitOfWork, *, shop_id: int) -> ShopSummary:
    """The shop as admin pages show it; NotFound when it does not exist."""
    shop = get_shop(uow, shop_id=shop_id)
    return ShopSummary(
        id=shop.id,
        name=shop.name,
        domain=shop.domain,
        handle=shop.handle,
        plan=shop.plan,
        currency=shop.currency,
        timezone=shop.timezone,
        installed_at=shop.installed_at,
        scopes=tuple(sorted({s.strip() for s in shop.scopes.split(",") if s.strip()})),
    )


@dataclass(frozen=True)
class RecordCount:
    """How many rows of one CRM table belong to the shop."""

    table: str
    label: str
    count: int


@dataclass(frozen=True)
class SyncStatus:
    """The shop's imported CRM records, one count per CRM table."""

    counts: tuple[RecordCount, ...] = ()

    @property
    def total(self) -> int:
        return sum(c.count for c in self.counts)

    @property
    def is_empty(self) -> bool:
        """Nothing imported yet (or no CRM tables exist in this version)."""
        return self.total == 0


def crm_tables() -> list[Table]:
    """The CRM tables that mirror Shopify records per shop (crm_*, with shop_id and shopify_id).

    Child and derived tables (tags, order lines, the timeline) have no `shopify_id` and are left
    out; a table opts out with `info={"sync_status": False}` and names itself with `info={"label": ...}`.
    """
    found = [
        t
        for t in metadata.tables.values()
        if t.name.startswith(CRM_TABLE_PREFIX)
        and "shop_id" in t.c
        and "shopify_id" in t.c
        and t.info.get("sync_status", True)
    ]
    return sorted(found, key=_display_order)


def _display_order(table: Table) -> tuple[int, str]:
    # The records a merchant thinks of first lead; the rest follow by name.
    rank = PRIMARY_TABLES.index(table.name) if table.name in PRIMARY_TABLES else len(PRIMARY_TABLES)
    return rank, table.name


def table_label(table: Table) -> str:
    """`crm_customer` → `Customers`, unless the table sets `info={"label": ...}`."""
    if "label" in table.info:
        return str(table.info["label"])
    words = table.name.removeprefix(CRM_TABLE_PREFIX).replace("_", " ")
    # Table names are singular (CONVENTIONS.md), so plain English plural rules suffice.
    if words.endswith("y") and not words.endswith(("ay", "ey", "oy", "uy")):
        words = words[:-1] + "ies"
    elif words.endswith(("s", "x", "z", "ch", "sh")):
        words += "es"
    else:
        words += "s"
    return words[:1].upper() + words[1:]


def sync_status(uow: UnitOfWork, shop_id: int, *, tables: list[Table] | None = None) -> SyncStatus:
    """Count the shop's live rows in each CRM table (`crm_tables()` unless given), in one query."""
    tables = crm_tables() if tables is None else tables
    if not tables:
        return SyncStatus()
    query = union_all(*(_count_live_rows(t, shop_id) for t in tables))
    found = {name: n for name, n in uow.session.execute(query)}
    return SyncStatus(
        counts=tuple(RecordCount(table=t.name, label=table_label(t), count=found[t.name]) for t in tables)
    )


def _count_live_rows(table: Table, shop_id: int) -> Select[tuple[str, int]]:
    query = select(literal(table.name).label("table_name"), func.count().label("n")).select_from(table)
    query = query.where(table.c.shop_id == shop_id)
    if "deleted_at" in table.c:
        # Soft-deleted mirrors (CRM tombstones) are not records the merchant has.
        query = query.where(table.c.deleted_at.is_(None))
    return query


@dataclass(frozen=True)
class QueueCounts:
    """One job queue's jobs by state."""

    name: str
    queued: int
    started: int
    scheduled: int
    failed: int


@dataclass(frozen=True)
class JobsHealth:
    """The background-job system as the home page shows it; `error` says why it is unavailable."""

    available: bool
    mode: str = ""
    queues: tuple[QueueCounts, ...] = ()
    workers: int = 0
    error: str | None = None

    @property
    def failed(self) -> int:
        return sum(q.failed for q in self.queues)

    @property
    def inline(self) -> bool:
        return self.mode == "inline"


def jobs_health() -> JobsHealth:
    """`app.jobs.queue_health()` shaped for display; unavailable when the queues cannot be read."""
    try:
        raw = queue_health()
    except Exception as exc:  # a broken queue backend must not take the admin home down with it
        log.warning("queue health unavailable: %s", exc.__class__.__name__)
        return JobsHealth(
            available=False, error=f"The job queues could not be read ({exc.__class__.__name__})"
        )
    if not raw.get("ok", False):
        return JobsHealth(
            available=False, mode=raw.get("mode", ""), error=raw.get("error") or "unknown error"
        )
    return JobsHealth(
        available=True,
        mode=raw["mode"],
        queues=tuple(
            QueueCounts(
                name=name,
                queued=counts.get("queued", 0),
                started=counts.get("started", 0),
                scheduled=counts.get("scheduled", 0),
                failed=counts.get("failed", 0),
            )
            for name, counts in raw.get("queues", {}).items()
        ),
        workers=raw.get("workers", 0),
    )


@dataclass(frozen=True)
class SetupStep:
    """One item of the home page's "Next steps" checklist; `endpoint` is linked only if it exists."""

    key: str
    title: str
    description: str
    done: bool | None
    endpoint: str | None = None
    action: str | None = None


def setup_steps(uow: UnitOfWork, *, shop_id: int, sync: SyncStatus) -> list[SetupStep]:
    """The getting-started checklist, each step marked done from what is stored for the shop."""
    has_offline_token = (
        uow.session.scalar(
            select(func.count())
            .select_from(ShopToken)
            .where(ShopToken.shop_id == shop_id, ShopToken.access_mode == AccessMode.OFFLINE)
        )
        > 0
    )
    live_api_keys = uow.session.scalar(
        select(func.count()).select_from(ApiKey).where(ApiKey.shop_id == shop_id, ApiKey.revoked_at.is_(None))
    )
    return [
        SetupStep(
            key="connect",
            title="Connect Shopify",
            description=(
                "Tradeline holds an access token for your store."
                if has_offline_token
                else "Open Tradeline once from your Shopify admin so it can get an access token."
            ),
            done=has_offline_token,
        ),
        SetupStep(
            key="backfill",
            title="Import your store data",
            description=(
                "Customers, companies, products and orders have been imported."
                if not sync.is_empty
                else "The initial import runs in the background after install; records appear as they land."
            ),
            done=not sync.is_empty,
            endpoint="sync.index",
            action="View import",
        ),
        SetupStep(
            key="api_key",
            title="Create an API key",
            description="Connect your ERP or accounting system to the Tradeline REST API with a shop key.",
            done=(live_api_keys or 0) > 0,
            endpoint="admin.api_keys",
            action="Create API key",
        ),
        SetupStep(
            key="staff",
            title="Invite your sales team",
            description=(
                "In Shopify admin, open Settings → Users and give staff access to Tradeline; "
                "they sign in through Shopify."
            ),
            done=None,
        ),
    ]
