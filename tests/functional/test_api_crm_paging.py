"""Cursor pagination of the CRM lists: every row once over many pages, bad limits and cursors, bounded SQL."""

from __future__ import annotations

import math

import pytest

from app.api.pagination import MAX_LIMIT
from crm import service
from tests import crm_support
from tests.api_crm_support import api_shop, counting_statements, get

ROWS = 57
# Few distinct names and totals, so the id tie-breaker decides most of the order.
DISTINCT_VALUES = 4
LISTS = ("/api/v1/customers", "/api/v1/companies", "/api/v1/orders", "/api/v1/products")
# A list request: authenticate (1), then in the request's unit of work its SELECT and one per loaded
# collection (tags or variants), and the transaction's begin and end; the same whatever the page size.
MAX_STATEMENTS_PER_LIST = 6


def products(count: int) -> list[dict]:
    """Products with two variants each, of unique Shopify ids."""
    payloads = []
    for i in range(count):
        product_id = 7000 + i
        variants = crm_support.webhook("products_create")["variants"]
        for n, variant in enumerate(variants):
            variant.update(id=product_id * 10 + n, product_id=product_id, sku=f"SKU-{i}-{n}")
        payloads.append(
            crm_support.product(
                product_id, title=f"Product {i % DISTINCT_VALUES}", variants=variants, minute=i
            )
        )
    return payloads


@pytest.fixture
def catalog(uow):
    """A shop with ROWS customers, companies, orders and products, full of ties in their sort keys."""
    shop = api_shop(uow)
    service.import_batch(
        uow,
        shop_id=shop.id,
        customers=[
            crm_support.customer(
                1000 + i,
                first_name="Sam",
                last_name=f"Lee {i % DISTINCT_VALUES}",
                email=f"sam{i}@example.com",
                tags="vip" if i % 2 else "retail",
            )
            for i in range(ROWS)
        ],
        companies=[crm_support.company(2000 + i, name=f"Company {i % DISTINCT_VALUES}") for i in range(ROWS)],
        products=products(ROWS),
        orders=[
            crm_support.order(
                3000 + i,
                minute=i % DISTINCT_VALUES,
                customer_id=1000 + i % 7,
                # older than the customers' own payloads, so the embedded customer changes nothing
                customer_minute=-1,
                total=f"{10 + i % DISTINCT_VALUES}.00",
            )
            for i in range(ROWS)
        ],
    )
    uow.commit()
    return shop


def walk(client, shop, path: str, *, limit: int, **params) -> tuple[list[int], int]:
    """The ids of every page from the first to the last, and the number of pages."""
    seen, pages, cursor = [], 0, None
    while True:
        response = get(client, shop, path, limit=limit, **({"cursor": cursor} if cursor else {}), **params)
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        assert len(body["data"]) <= limit
        seen += [item["id"] for item in body["data"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            return seen, pages
        assert pages <= ROWS, "paging does not end"


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize("limit", [1, 7, 50])
def test_pages_hold_every_row_exactly_once_in_the_order_of_one_big_page(client, catalog, path, limit):
    # given
    everything = [item["id"] for item in get(client, catalog, path, limit=MAX_LIMIT).get_json()["data"]]
    # when
    paged, pages = walk(client, catalog, path, limit=limit)
    # then
    assert len(everything) == ROWS
    assert paged == everything
    assert len(set(paged)) == ROWS
    assert pages == math.ceil(ROWS / limit)


@pytest.mark.parametrize(
    ("path", "params", "expected"),
    [
        ("/api/v1/customers", {"tag": "vip", "sort": "-name"}, ROWS // 2),
        ("/api/v1/customers", {"updated_since": "2026-01-01", "sort": "-total_spent"}, ROWS),
        ("/api/v1/companies", {"search": "company", "sort": "-created_at"}, ROWS),
        ("/api/v1/orders", {"processed_since": "2026-05-01T15:02:00Z", "sort": "total"}, 28),
        ("/api/v1/products", {"search": "product", "sort": "-updated_at"}, ROWS),
    ],
)
def test_filtered_and_sorted_lists_page_without_duplicates_or_gaps(client, catalog, path, params, expected):
    everything = [
        item["id"] for item in get(client, catalog, path, limit=MAX_LIMIT, **params).get_json()["data"]
    ]

    paged, _ = walk(client, catalog, path, limit=4, **params)

    assert len(everything) == expected
    assert paged == everything


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/v1/customers", {}),
        ("/api/v1/customers", {"updated_since": "2026-01-01", "tag": "vip"}),
        ("/api/v1/companies", {}),
        ("/api/v1/companies", {"updated_since": "2026-01-01"}),
        ("/api/v1/orders", {}),
        ("/api/v1/orders", {"processed_since": "2026-01-01", "processed_until": "2027-01-01"}),
        ("/api/v1/products", {}),
        ("/api/v1/products", {"sku": "SKU-3-1"}),
    ],
)
def test_a_list_request_runs_the_same_few_statements_whatever_the_page_size(
    client, engine, catalog, path, params
):
    # given: the key's first use is recorded once, by the first request
    get(client, catalog, path, limit=1)
    counts = {}
    for limit in (1, MAX_LIMIT):
        # when
        with counting_statements(engine) as statements:
            response = get(client, catalog, path, limit=limit, **params)
        assert response.status_code == 200
        counts[limit] = statements.count
    # then
    assert counts[1] == counts[MAX_LIMIT] <= MAX_STATEMENTS_PER_LIST, statements.sql


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize(
    ("limit", "detail"),
    [
        ("251", "limit must be from 1 to 250; got '251'."),
        ("0", "limit must be from 1 to 250; got '0'."),
        ("ten", "limit must be an integer from 1 to 250; got 'ten'."),
    ],
)
def test_a_limit_outside_1_to_250_is_a_400(client, catalog, path, limit, detail):
    response = get(client, catalog, path, limit=limit)

    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert (body["detail"], body["errors"]) == (detail, [{"parameter": "limit", "detail": detail}])


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize("cursor", ["garbled!", "bm90LWpzb24", "WzFd", "WyJ4IiwieSIsInoiLDEsMiwzXQ"])
def test_a_cursor_this_api_did_not_issue_is_a_400(client, catalog, path, cursor):
    response = get(client, catalog, path, cursor=cursor)

    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert [error["parameter"] for error in response.get_json()["errors"]] == ["cursor"]


def test_another_shops_rows_never_appear_on_any_page(client, uow, catalog):
    # given
    globex = api_shop(uow, "globex.myshopify.com")
    service.import_batch(
        uow,
        shop_id=globex.id,
        customers=[crm_support.customer(1000 + i) for i in range(3)],
        companies=[crm_support.company(2000 + i) for i in range(3)],
        products=products(3),
        orders=[crm_support.order(3000 + i, customer_id=1000) for i in range(3)],
    )
    uow.commit()
    for path in LISTS:
        theirs = {item["id"] for item in get(client, globex, path).get_json()["data"]}
        # when
        ours, _ = walk(client, catalog, path, limit=10)
        # then
        assert len(theirs) == 3
        assert len(ours) == ROWS
        assert theirs.isdisjoint(ours)
