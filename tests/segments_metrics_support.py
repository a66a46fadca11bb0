"""A hand-built order history for the business metrics tests, and a fake of Shopify's tag mutations."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import insert, select

from app.db import UnitOfWork
from app.models import Shop
from app.shopify.client import parse_operation
from crm.models import CrmCompany, CrmCustomer, CrmOrder
from segments.models import RfmSegment, SegmentScore, Subject

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def at(day: str, hour: int = 0) -> datetime:
    """Midnight (or `hour`) UTC of an ISO day."""
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


@dataclass(frozen=True)
class Hand:
    """Ids of the hand-built history (see `hand_history`)."""

    shop_id: int
    company_id: int
    customers: dict[str, int]


def add_customer(uow: UnitOfWork, shop_id: int, key: int, **fields: object) -> int:
    """A customer row; returns its id."""
    row = {"shop_id": shop_id, "shopify_id": 7_000 + key, "email": f"c{key}@example.com", **fields}
    uow.session.execute(insert(CrmCustomer), [row])
    return uow.session.scalar(
        select(CrmCustomer.id).where(CrmCustomer.shop_id == shop_id, CrmCustomer.shopify_id == 7_000 + key)
    )


def add_orders(uow: UnitOfWork, shop_id: int, rows: list[dict[str, object]]) -> None:
    """Orders with defaults: counted, USD, processed at `processed_at`, worth `current_total_price`."""
    base = uow.session.scalar(select(CrmOrder.id).order_by(CrmOrder.id.desc()).limit(1)) or 0
    payload = []
    for number, row in enumerate(rows, start=1):
        payload.append(
            {
                "shop_id": shop_id,
                "shopify_id": 80_000 + base + number,
                "currency": "USD",
                "test": False,
                "shopify_created_at": row["processed_at"],
                **row,
            }
        )
    uow.session.execute(insert(CrmOrder), payload)
    uow.session.flush()


def hand_history(uow: UnitOfWork, shop_id: int) -> Hand:
    """Customers A-E and their orders around January-March 2026 (worked examples in the metrics tests).

    A: utm:google/cpc, created 01-01, company X's buyer: 01-10 100.00, 02-15 50.00, 03-20 30.00
    B: direct, created 01-05: 01-20 200.00
    C: referrer:facebook.com, created 01-25, rep Rep@X.com: 02-05 80.00, 02-25 20.00, cancelled 03-01
       999.00, test 03-02 500.00
    D: no source, created 2025-12-01: 2025-12-10 40.00, 03-05 60.00
    E: no source, no creation date: 02-10 70.00 EUR
    """
    session = uow.session
    session.execute(
        insert(CrmCompany),
        [{"shop_id": shop_id, "shopify_id": 6_001, "name": "X", "sales_rep_email": "rep@x.com"}],
    )
    company_id = session.scalar(select(CrmCompany.id).where(CrmCompany.shop_id == shop_id))
    ids = {
        "A": add_customer(
            uow,
            shop_id,
            1,
            acquisition_source="utm:google/cpc",
            shopify_created_at=at("2026-01-01"),
            company_id=company_id,
        ),
        "B": add_customer(uow, shop_id, 2, acquisition_source="direct", shopify_created_at=at("2026-01-05")),
        "C": add_customer(
            uow,
            shop_id,
            3,
            acquisition_source="referrer:facebook.com",
            shopify_created_at=at("2026-01-25"),
            sales_rep_email="Rep@X.com",
        ),
        "D": add_customer(uow, shop_id, 4, shopify_created_at=at("2025-12-01")),
        "E": add_customer(uow, shop_id, 5),
    }
    a, b, c, d, e = (ids[k] for k in "ABCDE")
    money = Decimal
    add_orders(
        uow,
        shop_id,
        [
            {
                "customer_id": a,
                "company_id": company_id,
                "processed_at": at("2026-01-10"),
                "current_total_price": money("100.00"),
            },
            {
                "customer_id": a,
                "company_id": company_id,
                "processed_at": at("2026-02-15"),
                "current_total_price": money("50.00"),
            },
            {
                "customer_id": a,
                "company_id": company_id,
                "processed_at": at("2026-03-20"),
                "current_total_price": money("30.00"),
            },
            {"customer_id": b, "processed_at": at("2026-01-20"), "current_total_price": money("200.00")},
            {"customer_id": c, "processed_at": at("2026-02-05"), "current_total_price": money("80.00")},
            {"customer_id": c, "processed_at": at("2026-02-25"), "current_total_price": money("20.00")},
            {
                "customer_id": c,
                "processed_at": at("2026-03-01"),
                "current_total_price": money("999.00"),
                "cancelled_at": at("2026-03-01", 5),
            },
            {
                "customer_id": c,
                "processed_at": at("2026-03-02"),
                "current_total_price": money("500.00"),
                "test": True,
            },
            {"customer_id": d, "processed_at": at("2025-12-10"), "current_total_price": money("40.00")},
            {"customer_id": d, "processed_at": at("2026-03-05"), "current_total_price": money("60.00")},
            {
                "customer_id": e,
                "processed_at": at("2026-02-10"),
                "current_total_price": money("70.00"),
                "currency": "EUR",
            },
        ],
    )
    return Hand(shop_id=shop_id, company_id=company_id, customers=ids)


def add_predictions(uow: UnitOfWork, shop_id: int, spend: dict[int, Decimal]) -> None:
    """Score rows with a predicted 365-day spend (as a fitted analytics run would leave them)."""
    for customer_id, predicted in spend.items():
        uow.session.add(
            SegmentScore(
                shop_id=shop_id,
                subject=Subject.CUSTOMER,
                customer_id=customer_id,
                recency_days=1,
                frequency=1,
                monetary=Decimal(0),
                currency="USD",
                first_order_at=NOW,
                last_order_at=NOW,
                r_score=3,
                f_score=3,
                m_score=3,
                rfm_segment=RfmSegment.NEED_ATTENTION,
                rfm_computed_at=NOW,
                predicted_spend_365=predicted,
                clv_computed_at=NOW,
            )
        )
    uow.session.flush()


def set_timezone(uow: UnitOfWork, shop_id: int, timezone: str) -> None:
    uow.session.get(Shop, shop_id).timezone = timezone  # type: ignore[union-attr]
    uow.session.flush()


COST = {
    "requestedQueryCost": 10,
    "actualQueryCost": 10,
    "throttleStatus": {"maximumAvailable": 2000.0, "currentlyAvailable": 1990, "restoreRate": 100.0},
}


@dataclass
class FakeTags:
    """Customers' tags in a fake shop; answers SegmentsTagsAdd/Remove as the 2026-04 Admin API does."""

    tags: dict[str, set[str]] = field(default_factory=dict)
    missing: set[str] = field(default_factory=set)  # customer GIDs Shopify does not know
    http_status: int | None = None  # answer every request with this HTTP status instead
    requests: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self._handle)

    def _handle(self, request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/admin/api/2026-04/graphql.json"
        body = json.loads(request.content)
        name = parse_operation(body["query"]).name
        variables = body["variables"]
        self.requests.append((name, copy.deepcopy(variables)))
        if self.http_status is not None:
            return httpx.Response(self.http_status, json={"errors": "[API] Invalid API key or access token"})
        mutation = {"SegmentsTagsAdd": "tagsAdd", "SegmentsTagsRemove": "tagsRemove"}[name]
        gid = variables["id"]
        if gid in self.missing:
            payload = {"node": None, "userErrors": [{"field": ["id"], "message": "Customer does not exist"}]}
        else:
            held = self.tags.setdefault(gid, set())
            if mutation == "tagsAdd":
                held.update(variables["tags"])
            else:
                held.difference_update(variables["tags"])
            payload = {"node": {"id": gid}, "userErrors": []}
        return httpx.Response(200, json={"data": {mutation: payload}, "extensions": {"cost": COST}})
