"""Publish a price list to Shopify B2B as a catalog (its company locations) + a price list (fixed prices,
quantity rules, quantity price breaks), as an RQ job with progress.

    request_publish   -> QUEUED       (the publication row; the job is enqueued after commit);
                                       NotPublishable (409) for an archived list
    publish_price_list-> RUNNING      (catalog + price list ensured, Shopify's state read, batches sent;
                                       done/total committed after every batch)
                      -> SUCCEEDED, FAILED (`error`; publishing again resumes: only what still differs
                                       is sent) or UNSUPPORTED (the shop has no B2B catalogs)

Rules Shopify cannot express are stored in `unsupported` ([{rule, detail}]) on every run.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from app.db import UnitOfWork, utcnow
from app.errors import Conflict, DomainError, InvalidInput
from app.job_control import shop_job_id
from app.jobs import enqueue_after_commit
from app.shopify.client import AdminClient
from app.shopify.errors import ShopifyError
from app.tenancy import get_for_shop
from pricing.models import PriceList, PriceListStatus, PricePublication, PublishStatus
from pricing.service.publish.plan import Plan, build_plan
from pricing.service.publish.remote import ensure_catalog, ensure_price_list
from pricing.service.publish.sync import batches, diff, read_state
from pricing.timeline import record_list_event

log = logging.getLogger(__name__)

PUBLISH_JOB = "pricing.jobs.publish_price_list"
COLLECTIONS_JOB = "pricing.jobs.sync_collections"
ACTIVE = frozenset({PublishStatus.QUEUED, PublishStatus.RUNNING})
# A run whose row has not moved for this long lost its worker: another publish may take over.
STALE_AFTER = timedelta(minutes=15)
ERROR_CHARS = 2000
NO_B2B_MESSAGE = (
    "This shop has no B2B catalogs (Shopify Plus with B2B), so the list cannot be published to Shopify. "
    "Its prices still reach checkout: Tradeline's quotes, portal and draft orders set each line's price "
    "with priceOverride."
)
ARCHIVED_MESSAGE = (
    "This price list is archived: it prices nobody, so it cannot be published to Shopify. Duplicate it "
    "and publish the copy, or publish the list that replaced it."
)
NO_LOCATIONS_MESSAGE = (
    "The list is not assigned to any company or company location. A Shopify catalog applies to company "
    "locations: assign the list to a company (all its locations) or a location, then publish again."
)


class PublishRunning(Conflict):
    """The list is already being published."""

    title = "Publish in progress"


class NotPublishable(Conflict):
    """The list's state does not allow publishing it (archived)."""

    title = "Price list cannot be published"


def job_id_for(shop_id: int, price_list_id: int) -> str:
    """The publish job's deterministic id."""
    return shop_job_id(shop_id, "pricing-publish", price_list_id)


def get_publication(uow: UnitOfWork, *, shop_id: int, price_list_id: int) -> PricePublication | None:
    """The list's publication (None before its first publish); another shop's list is a 404."""
    get_for_shop(uow.session, PriceList, shop_id, price_list_id)
    return uow.session.scalar(
        select(PricePublication).where(
            PricePublication.shop_id == shop_id, PricePublication.price_list_id == price_list_id
        )
    )


def is_active(publication: PricePublication | None) -> bool:
    """Whether a publish of the list is queued or running (and not abandoned by a dead worker)."""
    if publication is None or publication.status not in ACTIVE:
        return False
    return publication.updated_at is None or publication.updated_at > utcnow() - STALE_AFTER


def request_publish(uow: UnitOfWork, *, shop_id: int, price_list_id: int) -> PricePublication:
    """Queue a publish of the list (and a refresh of the collection mirror); 409 while one is under way
    or when the list is archived."""
    price_list = get_for_shop(uow.session, PriceList, shop_id, price_list_id)
    if price_list.status is PriceListStatus.ARCHIVED:
        raise NotPublishable(ARCHIVED_MESSAGE)
    publication = get_publication(uow, shop_id=shop_id, price_list_id=price_list_id)
    if is_active(publication):
        raise PublishRunning("This price list is already being published; wait for it to finish.")
    if publication is None:
        publication = PricePublication(shop_id=shop_id, price_list_id=price_list_id, unsupported=[])
        uow.session.add(publication)
    publication.status = PublishStatus.QUEUED
    publication.error = None
    publication.done = 0
    publication.total = 0
    publication.started_at = None
    publication.finished_at = None
    publication.updated_at = utcnow()
    uow.session.flush()
    enqueue_after_commit(
        uow, PUBLISH_JOB, shop_id, price_list_id, job_id=job_id_for(shop_id, price_list_id), retries=0
    )
    request_collections_sync(uow, shop_id=shop_id)
    return publication


def request_collections_sync(uow: UnitOfWork, *, shop_id: int) -> None:
    """Queue a refresh of the shop's collection mirror once `uow` commits."""
    enqueue_after_commit(uow, COLLECTIONS_JOB, shop_id, job_id=shop_job_id(shop_id, "pricing-collections"))


def _finish(publication: PricePublication, status: PublishStatus, error: str | None = None) -> None:
    publication.status = status
    publication.error = None if error is None else error[:ERROR_CHARS]
    publication.finished_at = utcnow()


def fail(uow: UnitOfWork, *, shop_id: int, price_list_id: int, error: str) -> None:
    """Mark the list's publication failed (a job that cannot start, e.g. the shop uninstalled)."""
    publication = get_publication(uow, shop_id=shop_id, price_list_id=price_list_id)
    if publication is not None:
        _finish(publication, PublishStatus.FAILED, error)


def has_b2b(client: AdminClient) -> tuple[bool, str]:
    """Whether the shop's B2B markets may hold catalogs, and the shop's currency."""
    shop = client.execute("PricingB2BCapability")["shop"]
    b2b = ((shop.get("entitlements") or {}).get("markets") or {}).get("b2b") or {}
    return bool(b2b.get("enabled") and (b2b.get("catalogs") or {}).get("enabled")), shop["currencyCode"]


def publish(uow: UnitOfWork, client: AdminClient, *, shop_id: int, price_list_id: int) -> PricePublication:
    """Run a queued publish to the end, committing progress as it goes; never raises for Shopify's no."""
    publication = get_publication(uow, shop_id=shop_id, price_list_id=price_list_id)
    if publication is None:
        raise InvalidInput(f"price list {price_list_id} has no publish request")
    price_list = get_for_shop(uow.session, PriceList, shop_id, price_list_id)
    publication.status = PublishStatus.RUNNING
    publication.started_at = utcnow()
    publication.finished_at = None
    publication.error = None
    publication.done = publication.total = 0
    uow.commit()
    try:
        _run(uow, client, publication, price_list)
    except (ShopifyError, DomainError) as exc:
        uow.rollback()
        publication = get_publication(uow, shop_id=shop_id, price_list_id=price_list_id)
        assert publication is not None
        message = getattr(exc, "detail", None) or str(exc)
        log.warning("publishing price list %s of shop %s failed: %s", price_list_id, shop_id, message)
        _finish(publication, PublishStatus.FAILED, message)
    uow.commit()
    return publication


def _run(uow: UnitOfWork, client: AdminClient, publication: PricePublication, price_list: PriceList) -> None:
    supported, shop_currency = has_b2b(client)
    plan: Plan = build_plan(uow, price_list=price_list, shop_currency=shop_currency)
    publication.unsupported = list(plan.unsupported)
    if not supported:
        _finish(publication, PublishStatus.UNSUPPORTED, NO_B2B_MESSAGE)
        return
    if not plan.location_gids:
        _finish(publication, PublishStatus.FAILED, NO_LOCATIONS_MESSAGE)
        return
    uow.commit()
    # Each GID is committed as soon as Shopify answers, so a retry reuses it instead of duplicating it.
    publication.shopify_price_list_id = ensure_price_list(client, plan, publication.shopify_price_list_id)
    uow.commit()
    publication.shopify_catalog_id = ensure_catalog(
        client, plan, publication.shopify_catalog_id, publication.shopify_price_list_id
    )
    uow.commit()
    changes = diff(plan, read_state(client, publication.shopify_price_list_id))
    publication.total = sum(c.items for c in changes)
    uow.commit()
    for batch in batches(changes):
        client.execute(
            "PricingQuantityPricingUpdate",
            {"priceListId": publication.shopify_price_list_id, "input": batch.input()},
        )
        publication.done += batch.items
        uow.commit()
    _finish(publication, PublishStatus.SUCCEEDED)
    record_list_event(
        uow.session,
        price_list,
        "published",
        actor="Tradeline",
        summary=f"Published to Shopify: {publication.total:,} price changes sent"
        + (f", {len(plan.unsupported)} rules Shopify cannot express" if plan.unsupported else ""),
        data={"sent": publication.total, "unsupported": len(plan.unsupported)},
    )


STATUS_LABELS = {
    PublishStatus.QUEUED: "Queued",
    PublishStatus.RUNNING: "Publishing",
    PublishStatus.SUCCEEDED: "Published",
    PublishStatus.FAILED: "Failed",
    PublishStatus.UNSUPPORTED: "Not available",
}


def publication_json(publication: PricePublication | None, *, price_list_id: int) -> dict[str, Any]:
    """A publication as the page's script (and any API client) reads it."""
    if publication is None:
        return {
            "price_list_id": price_list_id,
            "status": None,
            "status_label": "Not published",
            "active": False,
        }
    percent = None
    if publication.total:
        percent = round(min(100.0, publication.done / publication.total * 100), 1)
    return {
        "price_list_id": price_list_id,
        "status": publication.status.value,
        "status_label": STATUS_LABELS[publication.status],
        "active": is_active(publication),
        "done": publication.done,
        "total": publication.total,
        "percent": percent,
        "unsupported": list(publication.unsupported or []),
        "error": publication.error,
        "shopify_catalog_id": publication.shopify_catalog_id,
        "shopify_price_list_id": publication.shopify_price_list_id,
        "started_at": _iso(publication.started_at),
        "finished_at": _iso(publication.finished_at),
    }


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None
