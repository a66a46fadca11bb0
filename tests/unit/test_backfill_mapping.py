"""GraphQL objects (bulk JSONL lines, query nodes) become the REST payloads the CRM parses as webhooks."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from crm.models import FinancialStatus, FulfillmentStatus, MarketingState
from crm.payloads import (
    parse_company_contact,
    parse_company_location,
    parse_customer,
    parse_order,
    parse_product,
)
from tests.backfill_support import (
    address_node,
    company_node,
    contact_node,
    customer_node,
    line_node,
    location_node,
    order_node,
    product_node,
    variant_node,
)
from webhooks import bulk_mapping
from webhooks.bulk_mapping import MappingError, Payloads, add_object, children_of


def test_an_order_and_its_lines_become_the_orders_updated_payload():
    node = order_node(
        7,
        customer=500,
        total="99.00",
        tags=["crm", "quote:Q-1"],
        displayFulfillmentStatus="PARTIALLY_FULFILLED",
        cancelReason="CUSTOMER",
        customerJourneySummary={
            "firstVisit": {"landingPage": "/?utm_source=news&utm_medium=email", "referrerUrl": None}
        },
        purchasingEntity={
            "company": {"id": "gid://shopify/Company/3"},
            "location": {"id": "gid://shopify/CompanyLocation/4"},
        },
    )

    payload = bulk_mapping.order_payload(node, [line_node(71, 7, quantity=2, price="49.50")])

    assert payload == {
        "id": 7,
        "admin_graphql_api_id": "gid://shopify/Order/7",
        "name": "#1007",
        "order_number": 1007,
        "email": "buyer500@example.com",
        "created_at": "2026-05-01T15:00:00Z",
        "updated_at": "2026-05-01T15:00:00Z",
        "processed_at": "2026-05-01T15:00:00Z",
        "cancelled_at": None,
        "cancel_reason": "customer",
        "closed_at": None,
        "currency": "USD",
        "presentment_currency": "USD",
        "financial_status": "paid",
        "fulfillment_status": "partial",
        "subtotal_price": "99.00",
        "total_discounts": "0.00",
        "total_tax": "0.00",
        "total_price": "99.00",
        "current_total_price": "99.00",
        "source_name": "web",
        "referring_site": None,
        "landing_site": "/?utm_source=news&utm_medium=email",
        "po_number": None,
        "note": None,
        "tags": "crm, quote:Q-1",
        "test": False,
        "customer": {"id": 500, "admin_graphql_api_id": "gid://shopify/Customer/500"},
        "company": {"id": 3, "location_id": 4},
        "line_items": [
            {
                "id": 71,
                "admin_graphql_api_id": "gid://shopify/LineItem/71",
                "variant_id": 39072856,
                "product_id": 632910392,
                "sku": "SKU-71",
                "title": "Widget",
                "variant_title": "12-pack",
                "quantity": 2,
                "current_quantity": 2,
                "price": "49.50",
                "total_discount": "0.00",
            }
        ],
    }


def test_the_crm_reads_a_mapped_order_as_it_reads_the_webhook():
    node = order_node(
        8,
        customerJourneySummary={"firstVisit": {"landingPage": "/?utm_source=news", "referrerUrl": None}},
        purchasingEntity={
            "company": {"id": "gid://shopify/Company/3"},
            "location": {"id": "gid://shopify/CompanyLocation/4"},
        },
    )

    record = parse_order(bulk_mapping.order_payload(node, [line_node(81, 8), line_node(82, 8)]))

    assert record.updated_at == datetime(2026, 5, 1, 15, 0, tzinfo=UTC)
    assert record.values["financial_status"] is FinancialStatus.PAID
    assert record.values["fulfillment_status"] is FulfillmentStatus.UNFULFILLED
    assert record.values["total_price"] == Decimal("30.00")
    assert record.values["acquisition_source"] == "utm:news"
    assert record.values["is_b2b"] is True
    assert (record.company_shopify_id, record.location_shopify_id) == (3, 4)
    assert record.customer is not None and (record.customer.shopify_id, record.customer.updated_at) == (
        500,
        None,
    )
    assert [(line.shopify_id, line.values["quantity"]) for line in record.lines or ()] == [(81, 1), (82, 1)]


def test_a_retail_order_has_a_null_company_and_a_guest_order_a_null_customer():
    payload = bulk_mapping.order_payload(order_node(9, customer=None), [])

    assert (payload["company"], payload["customer"], payload["line_items"]) == (None, None, [])
    assert parse_order(payload).values["is_b2b"] is False


@pytest.mark.parametrize(
    ("graphql", "rest"),
    [
        ("UNFULFILLED", None),
        ("IN_PROGRESS", None),
        ("ON_HOLD", None),
        ("PARTIALLY_FULFILLED", "partial"),
        ("FULFILLED", "fulfilled"),
        ("RESTOCKED", "restocked"),
        (None, None),
    ],
)
def test_fulfillment_statuses_map_to_rest(graphql, rest):
    assert bulk_mapping.fulfillment_status(graphql) == rest


def test_a_customer_with_its_addresses_becomes_the_customer_payload_with_tags_and_consent():
    node = customer_node(5, note="Prefers email")
    addresses = [address_node(50, city="Austin"), address_node(51, city="Dallas")]

    payload = bulk_mapping.customer_payload(node, addresses)
    record = parse_customer(payload)

    assert payload["email"] == "buyer5@example.com"
    assert payload["tags"] == "b2b, vip"
    assert payload["email_marketing_consent"] == {
        "state": "subscribed",
        "opt_in_level": "single_opt_in",
        "consent_updated_at": "2026-05-01T06:40:00Z",
    }
    assert [(a["id"], a["city"], a["default"]) for a in payload["addresses"]] == [
        (50, "Austin", True),
        (51, "Dallas", False),
    ]
    assert record.tags == ("b2b", "vip")
    assert record.values["email_marketing_state"] is MarketingState.SUBSCRIBED
    assert (record.values["city"], record.values["province_code"], record.values["country_code"]) == (
        "Austin",
        "TX",
        "US",
    )
    assert record.values["note"] == "Prefers email"


def test_a_company_splits_into_company_location_and_contact_payloads_naming_the_company():
    payloads = Payloads()

    add_object(payloads, "companies", company_node(3), [contact_node(35, 3, 500), location_node(31, 3)])

    assert [p["admin_graphql_api_id"] for p in payloads.companies] == ["gid://shopify/Company/3"]
    location = parse_company_location(payloads.company_locations[0])
    contact = parse_company_contact(payloads.company_contacts[0])
    assert (location.shopify_id, location.company.shopify_id, location.values["payment_terms_name"]) == (
        31,
        3,
        "Net 30",
    )
    assert (contact.shopify_id, contact.company.shopify_id, contact.customer_shopify_id) == (35, 3, 500)
    assert location.company.updated_at is None  # a reference: it never overwrites the company


def test_variants_written_in_any_order_come_back_in_position_order_with_their_options():
    payloads = Payloads()
    variants = [variant_node(92, 9, position=2, price="42.00"), variant_node(91, 9, position=1)]

    add_object(payloads, "products", product_node(9), variants)
    record = parse_product(payloads.products[0])

    assert [(v.shopify_id, v.values["position"], v.values["option1"]) for v in record.variants or ()] == [
        (91, 1, "1-pack"),
        (92, 2, "2-pack"),
    ]
    assert record.values["tags"] == "wholesale"
    assert record.values["status"].value == "active"


def test_a_child_of_another_kind_or_a_wrong_parent_is_refused():
    with pytest.raises(MappingError, match="unexpected child"):
        add_object(Payloads(), "orders", order_node(1), [variant_node(5, 1)])
    with pytest.raises(MappingError, match="is not a Order GID"):
        add_object(Payloads(), "orders", product_node(1), [])


def test_gids_parse_with_or_without_a_model_name_suffix():
    assert bulk_mapping.gid_number("gid://shopify/MailingAddress/9?model_name=CustomerAddress") == 9
    assert bulk_mapping.gid_kind("gid://shopify/LineItem/1") == "LineItem"
    with pytest.raises(MappingError):
        bulk_mapping.gid_number("gid://shopify/Order/1", "Customer")


def test_reconciliation_nodes_give_their_nested_children_flat():
    node = {
        "id": "gid://shopify/Company/3",
        "locations": {
            "pageInfo": {"hasNextPage": False},
            "nodes": [{"id": "gid://shopify/CompanyLocation/1"}],
        },
        "contacts": {"edges": [{"node": {"id": "gid://shopify/CompanyContact/2"}}]},
    }

    assert children_of(node, "companies") == [
        {"id": "gid://shopify/CompanyLocation/1"},
        {"id": "gid://shopify/CompanyContact/2"},
    ]


def _shapes() -> list[tuple[dict, list[dict]]]:
    """Orders in every shape an export holds: retail, B2B, guest, cancelled, tagged, noted, odd money."""
    shapes = [
        (order_node(1), [line_node(11, 1), line_node(12, 1, quantity=3, price="0.00")]),
        (order_node(2, customer=None, email=None, tags=None), []),
        (
            order_node(
                3,
                cancelledAt="2026-05-02T10:00:00Z",
                cancelReason="FRAUD",
                closedAt="2026-05-03T10:00:00Z",
                displayFinancialStatus="VOIDED",
                displayFulfillmentStatus="RESTOCKED",
                tags=["b2b", " VIP ", "vip", "quote:Q-9"],
                note="  Deliver to dock 3  ",
                poNumber="PO-77",
                email="Ana@Acme.Example",
                test=True,
            ),
            [line_node(31, 3, price="1234567.8912")],
        ),
        (
            order_node(
                4,
                purchasingEntity={
                    "company": {"id": "gid://shopify/Company/3"},
                    "location": {"id": "gid://shopify/CompanyLocation/4"},
                },
                customerJourneySummary={
                    "firstVisit": {"landingPage": "/p?utm_source=Google&utm_medium=cpc", "referrerUrl": None}
                },
                sourceName="shopify_draft_order",
                presentmentCurrencyCode="eur",
            ),
            [{**line_node(41, 4), "variant": None, "product": None, "sku": None, "variantTitle": "  "}],
        ),
        (
            order_node(
                5,
                customerJourneySummary={
                    "firstVisit": {"landingPage": None, "referrerUrl": "https://www.bing.com/x"}
                },
                displayFinancialStatus="SOME_NEW_STATUS",
                displayFulfillmentStatus="ON_HOLD",
                totalDiscountsSet=None,
                totalTaxSet={"shopMoney": {"amount": "2.5"}},
                purchasingEntity={"id": "gid://shopify/Customer/500"},
            ),
            [{**line_node(51, 5), "totalDiscountSet": None}],
        ),
        (order_node(6, sourceName=None, displayFinancialStatus=None, name="#" + "9" * 80), []),
    ]
    return shapes


@pytest.mark.parametrize("index", range(6))
def test_the_fast_order_record_equals_the_crm_parse_of_the_rest_payload(index):
    node, lines = _shapes()[index]

    fast = bulk_mapping.order_record(node, lines)

    assert fast == parse_order(bulk_mapping.order_payload(node, lines))
