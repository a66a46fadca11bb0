"""AdminClient against a faked Admin API: retries, throttling, typed errors, and no token in logs."""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Iterable
from typing import Any

import httpx
import pytest

from app.errors import InvalidInput
from app.shopify.client import AdminClient, CostTracker
from app.shopify.documents import UnknownDocument, load_document
from app.shopify.errors import (
    AccessDenied,
    GraphQLErrors,
    ShopifyHTTPError,
    ShopifyUnavailable,
    ThrottledError,
    UserError,
    UserErrors,
)

SHOP = "acme.myshopify.com"
TOKEN = "shpat_f00dfacecafe0123456789abcdef0123"
ENDPOINT = "https://acme.myshopify.com/admin/api/2026-04/graphql.json"
SHOP_DATA = {
    "shop": {
        "id": "gid://shopify/Shop/548380009",
        "name": "Acme Wholesale",
        "email": "owner@acme.example",
        "myshopifyDomain": SHOP,
        "currencyCode": "EUR",
        "ianaTimezone": "Europe/Berlin",
        "plan": {"publicDisplayName": "Advanced", "partnerDevelopment": False, "shopifyPlus": False},
    }
}


def cost(
    requested: float = 2,
    actual: float | None = 2,
    available: float = 1998,
    maximum: float = 2000,
    rate: float = 100,
) -> dict[str, Any]:
    """`extensions.cost` as Shopify reports it on every GraphQL answer."""
    return {
        "requestedQueryCost": requested,
        "actualQueryCost": actual,
        "throttleStatus": {"maximumAvailable": maximum, "currentlyAvailable": available, "restoreRate": rate},
    }


def ok(data: dict[str, Any], **cost_kw: Any) -> httpx.Response:
    return httpx.Response(200, json={"data": data, "extensions": {"cost": cost(**cost_kw)}})


def throttled(requested: float = 752, available: float = 666, maximum: float = 1000, rate: float = 50):
    """Shopify's THROTTLED answer: HTTP 200, no data, actualQueryCost null."""
    return httpx.Response(
        200,
        json={
            "errors": [
                {
                    "message": "Throttled",
                    "extensions": {
                        "code": "THROTTLED",
                        "documentation": "https://shopify.dev/api/usage/rate-limits",
                    },
                }
            ],
            "extensions": {"cost": cost(requested, None, available, maximum, rate)},
        },
    )


def too_many_requests(retry_after: str | None = "2.0") -> httpx.Response:
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    return httpx.Response(
        429,
        headers=headers,
        json={"errors": "Exceeded 2 calls per second for api client. Reduce request rates to resume."},
    )


def server_error(status: int = 503) -> httpx.Response:
    return httpx.Response(status, text="<html><body>Service Unavailable</body></html>")


class FakeAdminAPI:
    """Shopify's Admin GraphQL endpoint: answers from a script, records every request it gets."""

    def __init__(self, *answers: httpx.Response | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    @property
    def tokens(self) -> list[str]:
        return [r.headers["X-Shopify-Access-Token"] for r in self.requests]

    def body(self, index: int = 0) -> dict[str, Any]:
        return json.loads(self.requests[index].content)


class FakeTime:
    """A monotonic clock that only moves when the client sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class FixedJitter(random.Random):
    """Full jitter pinned to a fraction of its range, so backoff sleeps are exact."""

    def __init__(self, fraction: float) -> None:
        super().__init__(0)
        self.fraction = fraction

    def uniform(self, a: float, b: float) -> float:
        return a + (b - a) * self.fraction


def make_client(
    api: FakeAdminAPI,
    fake_time: FakeTime,
    *,
    tokens: Iterable[str] | None = None,
    max_attempts: int = 5,
    jitter: float = 0.0,
    tracker: CostTracker | None = None,
) -> AdminClient:
    token_iter = iter(tokens) if tokens is not None else None
    return AdminClient(
        SHOP,
        (lambda: next(token_iter)) if token_iter is not None else (lambda: TOKEN),
        api_version="2026-04",
        http_client=httpx.Client(transport=httpx.MockTransport(api)),
        max_attempts=max_attempts,
        sleep=fake_time.sleep,
        rng=FixedJitter(jitter),
        clock=fake_time.clock,
        cost_tracker=tracker if tracker is not None else CostTracker(),
    )


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


def test_request_uses_the_pinned_version_the_token_header_and_the_document(fake_time: FakeTime) -> None:
    api = FakeAdminAPI(ok(SHOP_DATA))

    data = make_client(api, fake_time).execute("ShopDetails")

    assert data == SHOP_DATA
    (request,) = api.requests
    assert request.method == "POST"
    assert str(request.url) == ENDPOINT
    assert request.headers["X-Shopify-Access-Token"] == TOKEN
    assert api.body() == {"query": load_document("ShopDetails")}
    assert fake_time.sleeps == []


def test_variables_and_raw_document_text_are_sent_as_given(fake_time: FakeTime) -> None:
    api = FakeAdminAPI(
        ok({"customers": {"pageInfo": {"hasNextPage": False, "endCursor": None}, "nodes": []}})
    )
    text = load_document("CustomersPage")

    make_client(api, fake_time).execute(text, {"first": 50, "after": "eyJsYXN0X2lkIjo0Mn0="})

    assert api.body() == {"query": text, "variables": {"first": 50, "after": "eyJsYXN0X2lkIjo0Mn0="}}


def test_unknown_document_name_is_refused_before_any_request(fake_time: FakeTime) -> None:
    api = FakeAdminAPI()

    with pytest.raises(UnknownDocument, match="NoSuchDocument"):
        make_client(api, fake_time).execute("NoSuchDocument")

    assert api.requests == []


def test_document_with_two_operations_is_refused(fake_time: FakeTime) -> None:
    api = FakeAdminAPI()

    with pytest.raises(ValueError, match="exactly one operation"):
        make_client(api, fake_time).execute("query A { shop { id } } query B { shop { name } }")

    assert api.requests == []


def test_throttled_then_ok_sleeps_for_the_missing_points(fake_time: FakeTime) -> None:
    # given Shopify's documented example: 752 requested, 666 available, restoring 50 points/s
    api = FakeAdminAPI(throttled(requested=752, available=666, rate=50), ok(SHOP_DATA))

    data = make_client(api, fake_time).execute("ShopDetails")

    assert data == SHOP_DATA
    assert len(api.requests) == 2
    # (752 - 666) / 50 = 1.72 s; the bucket is then full enough, so no second wait
    assert fake_time.sleeps == [pytest.approx(1.72)]


def test_throttled_sleeps_at_least_one_second(fake_time: FakeTime) -> None:
    api = FakeAdminAPI(throttled(requested=60, available=50, rate=100), ok(SHOP_DATA))

    make_client(api, fake_time).execute("ShopDetails")

    assert fake_time.sleeps == [1.0]


def test_throttled_sleep_is_the_larger_of_cost_wait_and_jittered_backoff(fake_time: FakeTime) -> None:
    api = FakeAdminAPI(
        throttled(requested=60, available=50, rate=100),
        throttled(requested=60, available=50, rate=100),
        throttled(requested=60, available=50, rate=100),
        ok(SHOP_DATA),
    )

    make_client(api, fake_time, jitter=1.0).execute("ShopDetails")

    # backoff caps 1, 2, 4 s at full jitter; the cost floor is 1 s
    assert fake_time.sleeps == [1.0, 2.0, 4.0]


def test_429_then_ok_honours_retry_after(fake_time: FakeTime) -> None:
    api = FakeAdminAPI(too_many_requests("2.5"), ok(SHOP_DATA))

    data = make_client(api, fake_time).execute("ShopDetails")

    assert data == SHOP_DATA
    assert len(api.requests) == 2
    assert fake_time.sleeps == [2.5]


def test_429_without_retry_after_waits_one_second(fake_time: FakeTime) -> None:
    api = FakeAdminAPI(too_many_requests(None), ok(SHOP_DATA))

    make_client(api, fake_time).execute("ShopDetails")

    assert fake_time.sleeps == [1.0]


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_then_ok_retries_with_jittered_backoff(fake_time: FakeTime, status: int) -> None:
    api = FakeAdminAPI(server_error(status), ok(SHOP_DATA))

    data = make_client(api, fake_time, jitter=0.5).execute("ShopDetails")

    assert data == SHOP_DATA
    assert len(api.requests) == 2
    assert fake_time.sleeps == [0.5]


def test_network_error_then_ok_retries(fake_time: FakeTime) -> None:
    api = FakeAdminAPI(httpx.ConnectError("[Errno 111] Connection refused"), ok(SHOP_DATA))

    data = make_client(api, fake_time, jitter=1.0).execute("ShopDetails")

    assert data == SHOP_DATA
    assert len(api.requests) == 2
    assert fake_time.sleeps == [1.0]


def test_shopify_internal_error_code_is_retried(fake_time: FakeTime) -> None:
    internal = httpx.Response(
        200,
        json={
            "errors": [
                {
                    "message": "Internal error. Looks like something went wrong on our end.",
                    "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": "5f3c1a"},
                }
            ]
        },
    )
    api = FakeAdminAPI(internal, ok(SHOP_DATA))

    assert make_client(api, fake_time).execute("ShopDetails") == SHOP_DATA
    assert len(api.requests) == 2


def test_5xx_on_every_attempt_raises_unavailable_after_exactly_max_attempts(fake_time: FakeTime) -> None:
    api = FakeAdminAPI(*[server_error(503) for _ in range(5)])

    with pytest.raises(ShopifyUnavailable) as caught:
        make_client(api, fake_time, max_attempts=5, jitter=1.0).execute("ShopDetails")

    assert len(api.requests) == 5
    assert caught.value.status == 503
    assert "Service Unavailable" in str(caught.value)
    # exponential caps at full jitter: 1, 2, 4, 8 s between the five attempts, none after the last
    assert fake_time.sleeps == [1.0, 2.0, 4.0, 8.0]


def test_network_errors_on_every_attempt_raise_unavailable(fake_time: FakeTime) -> None:
    api = FakeAdminAPI(*[httpx.ReadTimeout("timed out") for _ in range(3)])

    with pytest.raises(ShopifyUnavailable, match="could not be reached in 3 attempts"):
        make_client(api, fake_time, max_attempts=3).execute("ShopDetails")

    assert len(api.requests) == 3


def test_throttled_on_every_attempt_raises_throttled_error(fake_time: FakeTime) -> None:
    api = FakeAdminAPI(*[throttled() for _ in range(3)])

    with pytest.raises(ThrottledError) as caught:
        make_client(api, fake_time, max_attempts=3).execute("ShopDetails")

    assert len(api.requests) == 3
    assert caught.value.retry_after_s == pytest.approx(1.72)


def test_429_on_every_attempt_raises_throttled_error(fake_time: FakeTime) -> None:
    api = FakeAdminAPI(*[too_many_requests("3") for _ in range(2)])

    with pytest.raises(ThrottledError, match="HTTP 429") as caught:
        make_client(api, fake_time, max_attempts=2).execute("ShopDetails")

    assert len(api.requests) == 2
    assert caught.value.retry_after_s == 3.0
    assert fake_time.sleeps == [3.0]


def test_user_errors_are_raised_with_field_paths_messages_and_codes(fake_time: FakeTime) -> None:
    api = FakeAdminAPI(
        ok(
            {
                "bulkOperationRunQuery": {
                    "bulkOperation": None,
                    "userErrors": [
                        {
                            "field": ["query"],
                            "message": "Bulk queries must contain at least one connection.",
                            "code": "INVALID",
                        },
                        {
                            "field": None,
                            "message": "A bulk query operation is already in progress.",
                            "code": "OPERATION_IN_PROGRESS",
                        },
                    ],
                }
            },
            requested=10,
            actual=10,
        )
    )

    with pytest.raises(UserErrors) as caught:
        make_client(api, fake_time).execute(
            "BulkOperationRunQuery", {"query": "{ shop { id } }", "groupObjects": False}
        )

    error = caught.value
    assert error.mutation == "bulkOperationRunQuery"
    assert error.errors == [
        UserError(("query",), "Bulk queries must contain at least one connection.", "INVALID"),
        UserError(None, "A bulk query operation is already in progress.", "OPERATION_IN_PROGRESS"),
    ]
    assert error.errors[0].field_path == "query"
    assert str(error) == (
        "Shopify rejected bulkOperationRunQuery on acme.myshopify.com: "
        "query: Bulk queries must contain at least one connection. (INVALID); "
        "A bulk query operation is already in progress. (OPERATION_IN_PROGRESS)"
    )
    # a domain error a view answers with 422, and never retried
    assert isinstance(error, InvalidInput)
    assert error.status == 422
    assert len(api.requests) == 1


def test_mutation_without_user_errors_returns_its_data(fake_time: FakeTime) -> None:
    payload = {
        "bulkOperationRunQuery": {
            "bulkOperation": {
                "id": "gid://shopify/BulkOperation/720918",
                "status": "CREATED",
                "type": "QUERY",
                "createdAt": "2026-05-01T10:00:00Z",
            },
            "userErrors": [],
        }
    }
    api = FakeAdminAPI(ok(payload, requested=10, actual=10))

    data = make_client(api, fake_time).execute(
        "BulkOperationRunQuery", {"query": "{ customers { edges { node { id } } } }", "groupObjects": False}
    )

    assert data == payload


def test_graphql_errors_are_raised_with_the_error_list_and_not_retried(fake_time: FakeTime) -> None:
    errors = [
        {
            "message": "Field 'nickname' doesn't exist on type 'Shop'",
            "locations": [{"line": 1, "column": 10}],
            "path": ["query", "shop", "nickname"],
            "extensions": {"code": "undefinedField", "typeName": "Shop", "fieldName": "nickname"},
        }
    ]
    api = FakeAdminAPI(httpx.Response(200, json={"errors": errors}))

    with pytest.raises(GraphQLErrors) as caught:
        make_client(api, fake_time).execute("query Nick { shop { nickname } }")

    assert caught.value.errors == errors
    assert caught.value.codes == ["undefinedField"]
    assert caught.value.document == "Nick"
    assert str(caught.value) == (
        "Nick on acme.myshopify.com: GraphQL errors: Field 'nickname' doesn't exist on type 'Shop'"
    )
    assert len(api.requests) == 1
    assert fake_time.sleeps == []


def test_graphql_access_denied_keeps_partial_data(fake_time: FakeTime) -> None:
    body = {
        "data": {"shop": {"id": "gid://shopify/Shop/548380009"}, "orders": None},
        "errors": [
            {
                "message": "Access denied for orders field. Required access: `read_orders` access scope.",
                "path": ["orders"],
                "extensions": {"code": "ACCESS_DENIED"},
            }
        ],
        "extensions": {"cost": cost()},
    }
    api = FakeAdminAPI(httpx.Response(200, json=body))

    with pytest.raises(GraphQLErrors) as caught:
        make_client(api, fake_time).execute("query Both { shop { id } orders(first: 1) { nodes { id } } }")

    assert caught.value.codes == ["ACCESS_DENIED"]
    assert caught.value.data == body["data"]


def test_401_raises_access_denied_without_retry(fake_time: FakeTime) -> None:
    api = FakeAdminAPI(
        httpx.Response(
            401,
            json={"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"},
        )
    )

    with pytest.raises(AccessDenied) as caught:
        make_client(api, fake_time).execute("ShopDetails")

    assert caught.value.status == 401
    assert caught.value.shop == SHOP
    assert TOKEN not in str(caught.value)
    assert len(api.requests) == 1
    assert fake_time.sleeps == []


def test_403_raises_access_denied_with_shopifys_reason(fake_time: FakeTime) -> None:
    api = FakeAdminAPI(
        httpx.Response(403, json={"errors": "This action requires merchant approval for read_orders scope."})
    )

    with pytest.raises(AccessDenied, match="requires merchant approval for read_orders scope") as caught:
        make_client(api, fake_time).execute("ShopDetails")

    assert caught.value.status == 403
    assert len(api.requests) == 1


@pytest.mark.parametrize("status", [400, 402, 404, 423])
def test_other_http_errors_raise_shopify_http_error_without_retry(fake_time: FakeTime, status: int) -> None:
    api = FakeAdminAPI(httpx.Response(status, json={"errors": "Not Found"}))

    with pytest.raises(ShopifyHTTPError) as caught:
        make_client(api, fake_time).execute("ShopDetails")

    assert caught.value.status == status
    assert caught.value.body == '{"errors":"Not Found"}'
    assert len(api.requests) == 1


def test_ok_status_without_json_raises_http_error(fake_time: FakeTime) -> None:
    api = FakeAdminAPI(httpx.Response(200, text="<html>Shop unavailable</html>"))

    with pytest.raises(ShopifyHTTPError, match="without GraphQL data") as caught:
        make_client(api, fake_time).execute("ShopDetails")

    assert caught.value.status == 200


def test_token_provider_is_asked_on_every_attempt(fake_time: FakeTime) -> None:
    api = FakeAdminAPI(server_error(502), ok(SHOP_DATA))

    make_client(api, fake_time, tokens=["shpat_old", "shpat_refreshed"]).execute("ShopDetails")

    assert api.tokens == ["shpat_old", "shpat_refreshed"]


def test_client_waits_for_the_bucket_before_an_expensive_request(fake_time: FakeTime) -> None:
    # given the last answer left 10 of 1000 points, restoring 50 per second
    tracker = CostTracker()
    api = FakeAdminAPI(ok(SHOP_DATA, available=10, maximum=1000, rate=50), ok(SHOP_DATA))
    client = make_client(api, fake_time, tracker=tracker)
    client.execute("ShopDetails")

    # when the next query is expected to cost 110 points
    client.execute("query Big { shop { id } }", expected_cost=110)

    # then it waits (110 - 10) / 50 = 2 s first
    assert fake_time.sleeps == [2.0]
    assert len(api.requests) == 2


def test_bucket_estimate_refills_at_the_restore_rate(fake_time: FakeTime) -> None:
    api = FakeAdminAPI(ok(SHOP_DATA, available=10, maximum=1000, rate=50), ok(SHOP_DATA))
    client = make_client(api, fake_time)
    client.execute("ShopDetails")

    fake_time.now += 1.0  # 60 points by now
    client.execute("query Big { shop { id } }", expected_cost=110)

    assert fake_time.sleeps == [1.0]


def test_cheap_request_does_not_wait(fake_time: FakeTime) -> None:
    api = FakeAdminAPI(ok(SHOP_DATA, available=954, maximum=1000, rate=50), ok(SHOP_DATA))
    client = make_client(api, fake_time)
    client.execute("ShopDetails")

    client.execute("ShopDetails", expected_cost=100)

    assert fake_time.sleeps == []


def test_expected_cost_defaults_to_the_documents_last_requested_cost(fake_time: FakeTime) -> None:
    api = FakeAdminAPI(
        ok(SHOP_DATA, requested=300, actual=200, available=100, maximum=2000, rate=100), ok(SHOP_DATA)
    )
    client = make_client(api, fake_time)
    client.execute("ShopDetails")

    client.execute("ShopDetails")

    # (300 - 100) / 100 = 2 s
    assert fake_time.sleeps == [2.0]


def test_expected_cost_defaults_to_ten_for_a_mutation_and_fifty_for_a_query(fake_time: FakeTime) -> None:
    payload = {"bulkOperationRunQuery": {"bulkOperation": None, "userErrors": []}}
    api = FakeAdminAPI(
        ok(SHOP_DATA, available=0, maximum=1000, rate=100),
        ok(payload),
        ok(SHOP_DATA, available=0, maximum=1000, rate=100),
        ok(SHOP_DATA),
    )
    client = make_client(api, fake_time)
    client.execute("query First { shop { id } }")

    client.execute("BulkOperationRunQuery", {"query": "{ shop { id } }", "groupObjects": False})
    client.execute("query Second { shop { id } }")
    client.execute("query Third { shop { id } }")

    # 10 points at 100/s for the mutation; 50 points for the never-seen query after the bucket emptied
    assert fake_time.sleeps == [pytest.approx(0.1), pytest.approx(0.5)]


def test_buckets_are_kept_per_shop(fake_time: FakeTime) -> None:
    tracker = CostTracker()
    tracker.observe("other.myshopify.com", "doc", cost(available=0, maximum=1000, rate=50), fake_time.now)
    api = FakeAdminAPI(ok(SHOP_DATA))

    make_client(api, fake_time, tracker=tracker).execute("ShopDetails", expected_cost=500)

    assert fake_time.sleeps == []


def test_logs_name_shop_document_attempt_and_cost_but_never_the_token(
    fake_time: FakeTime, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    api = FakeAdminAPI(
        throttled(),
        server_error(503),
        httpx.ConnectError("[Errno 111] Connection refused"),
        ok(SHOP_DATA, requested=2, actual=1, available=999, maximum=1000, rate=50),
        httpx.Response(401, json={"errors": "[API] Invalid API key or access token"}),
    )
    client = make_client(api, fake_time)

    client.execute("ShopDetails")
    with pytest.raises(AccessDenied) as caught:
        client.execute("ShopDetails")

    ms = [str(r.duration_ms) for r in caplog.records if r.name == "tradeline.shopify"]
    shopify_lines = [r.getMessage() for r in caplog.records if r.name == "tradeline.shopify"]
    assert shopify_lines == [
        "shopify graphql retrying: THROTTLED: shop=acme.myshopify.com document=ShopDetails attempt=1 "
        f"cost=-/752 available=666/1000 duration_ms={ms[0]} wait_s=1.72",
        "shopify graphql retrying: HTTP 503: shop=acme.myshopify.com document=ShopDetails attempt=2 "
        f"duration_ms={ms[1]} wait_s=0.0",
        "shopify graphql retrying: network error: shop=acme.myshopify.com document=ShopDetails attempt=3 "
        f"duration_ms={ms[2]} wait_s=0.0",
        "shopify graphql ok: shop=acme.myshopify.com document=ShopDetails attempt=4 "
        f"cost=1/2 available=999/1000 duration_ms={ms[3]}",
        "shopify graphql failed: AccessDenied: shop=acme.myshopify.com document=ShopDetails attempt=1 "
        f"duration_ms={ms[4]}",
    ]
    shopify_records = [r for r in caplog.records if r.name == "tradeline.shopify"]
    assert [(r.shop, r.document, r.attempt) for r in shopify_records] == [  # type: ignore[attr-defined]
        (SHOP, "ShopDetails", 1),
        (SHOP, "ShopDetails", 2),
        (SHOP, "ShopDetails", 3),
        (SHOP, "ShopDetails", 4),
        (SHOP, "ShopDetails", 1),
    ]
    # the token appears nowhere: not in any line of any logger, nor in any record's fields, nor the error
    assert TOKEN not in caplog.text
    assert all(TOKEN not in repr(vars(record)) for record in caplog.records)
    assert TOKEN not in str(caught.value) and TOKEN not in repr(caught.value.args)
    assert api.tokens == [TOKEN] * 5


def test_client_needs_at_least_one_attempt() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        AdminClient(SHOP, lambda: TOKEN, api_version="2026-04", http_client=httpx.Client(), max_attempts=0)
