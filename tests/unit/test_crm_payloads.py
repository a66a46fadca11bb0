"""Parsing Shopify REST payloads: offsets to UTC, money strings to Decimal, tags to lists, GIDs to ids."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from app.errors import InvalidInput
from crm import payloads, rules
from crm.models import CustomerState, FinancialStatus, FulfillmentStatus, MarketingState, ProductStatus
from tests.crm_support import webhook


def test_timestamps_with_offsets_become_utc() -> None:
    assert payloads.parse_datetime("2026-05-01T10:00:00-05:00") == datetime(2026, 5, 1, 15, 0, tzinfo=UTC)
    assert payloads.parse_datetime("2026-05-01T10:00:00Z") == datetime(2026, 5, 1, 10, 0, tzinfo=UTC)
    # X-Shopify-Triggered-At carries nanoseconds; microseconds are kept.
    assert payloads.parse_datetime("2023-03-29T18:00:27.877041743Z") == datetime(
        2023, 3, 29, 18, 0, 27, 877041, tzinfo=UTC
    )
    assert payloads.parse_datetime(None) is None


@pytest.mark.parametrize("bad", ["2026-05-01T10:00:00", "yesterday", 1714575600, "2026-13-01T00:00:00Z"])
def test_timestamps_without_offset_or_malformed_are_refused(bad: object) -> None:
    with pytest.raises(InvalidInput):
        payloads.parse_datetime(bad)


def test_tags_string_becomes_a_deduplicated_list() -> None:
    assert payloads.parse_tags("b2b, vip") == ["b2b", "vip"]
    assert payloads.parse_tags(" b2b ,VIP,, vip , net  30 ") == ["b2b", "VIP", "net 30"]
    assert payloads.parse_tags(["a", "b"]) == ["a", "b"]
    assert payloads.parse_tags("") == []
    assert payloads.parse_tags(None) == []
    assert payloads.format_tags(["b2b", "vip"]) == "b2b, vip"


def test_ids_come_from_numbers_digit_strings_or_gids_of_the_right_kind() -> None:
    assert payloads.parse_id(123, "Company") == 123
    assert payloads.parse_id("123", "Company") == 123
    assert payloads.parse_id("gid://shopify/Company/123", "Company") == 123
    for bad in ("gid://shopify/Customer/123", "abc", 0, -5, True, 2**63):
        with pytest.raises(InvalidInput):
            payloads.parse_id(bad, "Company")


def test_customer_payload_of_api_2025_01_has_no_tags_or_consent() -> None:
    record = payloads.parse_customer(webhook("customers_create"))
    assert record.shopify_id == 706405506930370084
    assert record.updated_at == datetime(2026, 5, 1, 15, 0, tzinfo=UTC)
    assert record.tags is None  # absent: the stored tags must stay as they are
    assert "email_marketing_state" not in record.values
    assert record.values["email"] == "ana@acme.example"
    assert record.values["state"] is CustomerState.DISABLED
    assert record.values["shopify_created_at"] == datetime(2026, 5, 1, 15, 0, tzinfo=UTC)
    assert (record.values["city"], record.values["province_code"], record.values["country_code"]) == (
        "Austin",
        "TX",
        "US",
    )
    assert record.values["note"] is None


def test_embedded_order_customer_carries_tags_and_consent() -> None:
    payload = webhook("orders_create_b2b")["customer"]
    payload["email_marketing_consent"] = {
        "state": "subscribed",
        "opt_in_level": "single_opt_in",
        "consent_updated_at": "2026-05-02T09:30:05-05:00",
    }
    record = payloads.parse_customer(payload)
    assert record.tags == ("b2b", "vip")
    assert record.values["email_marketing_state"] is MarketingState.SUBSCRIBED
    assert record.values["email_marketing_updated_at"] == datetime(2026, 5, 2, 14, 30, 5, tzinfo=UTC)
    assert "phone" not in record.values  # not in the embedded object: left alone, not blanked


def test_legacy_accepts_marketing_maps_to_a_consent_state() -> None:
    record = payloads.parse_customer({"id": 1, "accepts_marketing": False})
    assert record.values["email_marketing_state"] is MarketingState.NOT_SUBSCRIBED


def test_order_payload_money_is_exact_and_links_are_read() -> None:
    record = payloads.parse_order(webhook("orders_create_b2b"))
    values = record.values
    assert values["total_price"] == Decimal("298.77")
    assert values["current_total_price"] == Decimal("298.77")  # absent: equals the total
    assert values["subtotal_price"] == Decimal("276.00")
    assert values["total_tax"] == Decimal("22.77")
    assert values["currency"] == "USD"
    assert values["financial_status"] is FinancialStatus.PAID
    assert values["fulfillment_status"] is FulfillmentStatus.UNFULFILLED  # REST null
    assert values["tags"] == "crm, quote:Q-1042"
    assert values["po_number"] == "PO-7781"
    assert values["is_b2b"] is True
    assert values["acquisition_source"] == "draft_order"
    assert values["processed_at"] == datetime(2026, 5, 2, 14, 30, tzinfo=UTC)
    assert (record.company_shopify_id, record.location_shopify_id) == (123456789, 987654321)
    assert record.customer is not None and record.customer.shopify_id == 706405506930370084
    assert record.has_customer and record.has_company
    (line,) = record.lines or ()
    assert line.shopify_id == 466157049
    assert line.values == {
        "shopify_product_id": 632910392,
        "shopify_variant_id": 39072856,
        "sku": "WIDGET-12",
        "title": "Widget",
        "variant_title": "12-pack",
        "quantity": 24,
        "current_quantity": 24,
        "price": Decimal("11.50"),
        "total_discount": Decimal("0.00"),
        "currency": "USD",
    }


def test_guest_retail_order_has_no_customer_and_is_not_b2b() -> None:
    payload = webhook("orders_create_b2b")
    payload.update(customer=None, company=None)
    record = payloads.parse_order(payload)
    assert record.customer is None and record.has_customer
    assert record.values["is_b2b"] is False
    assert record.company_shopify_id is None


def test_unknown_statuses_map_to_unknown_rather_than_failing() -> None:
    payload = webhook("orders_create_b2b")
    payload["financial_status"] = "some_future_status"
    assert payloads.parse_order(payload).values["financial_status"] is FinancialStatus.UNKNOWN


def test_company_id_comes_from_its_gid() -> None:
    record = payloads.parse_company(webhook("companies_create"))
    assert record.shopify_id == 123456789
    assert record.values["main_contact_shopify_id"] == 555000111
    assert record.values["customer_since"] == datetime(2026, 4, 20, 16, 0, tzinfo=UTC)
    assert record.values["external_id"] == "ERP-1042"


def test_location_reads_payment_terms_and_its_company() -> None:
    record = payloads.parse_company_location(webhook("company_locations_create"))
    assert record.shopify_id == 987654321
    assert record.values["payment_terms_name"] == "Net 30"
    assert record.values["tax_registration_id"] == "12-3456789"
    assert record.company is not None and record.company.shopify_id == 123456789


def test_contact_names_its_customer_and_company() -> None:
    record = payloads.parse_company_contact(webhook("company_contacts_create"))
    assert (record.shopify_id, record.customer_shopify_id) == (555000111, 706405506930370084)
    assert record.company is not None and record.company.values["name"] == "Acme Corp"
    assert record.values["title"] == "Buyer"


def test_product_with_variants() -> None:
    record = payloads.parse_product(webhook("products_create"))
    assert record.values["status"] is ProductStatus.ACTIVE
    assert record.values["tags"] == "wholesale, hardware"
    assert [v.values["sku"] for v in record.variants or ()] == ["WIDGET-12", "WIDGET-48"]
    assert record.variants[1].values["compare_at_price"] == Decimal("49.00")  # type: ignore[index]
    assert record.variants[0].values["compare_at_price"] is None  # type: ignore[index]


def test_variant_without_updated_at_takes_the_products() -> None:
    payload = webhook("products_create")
    del payload["variants"][0]["updated_at"]
    record = payloads.parse_product(payload)
    assert record.variants[0].updated_at == record.updated_at  # type: ignore[index]


@pytest.mark.parametrize(
    "mutate",
    [
        lambda p: (p.pop("id"), p.pop("admin_graphql_api_id")),
        lambda p: p.update(total_price=12.5),
        lambda p: p.update(total_price="12,50"),
        lambda p: p.update(updated_at="2026-05-02T09:30:05"),
        lambda p: p.update(line_items={"id": 1}),
        lambda p: p.update(company={"location_id": 1}),
        lambda p: p.update(test="no"),
    ],
)
def test_malformed_order_payloads_are_refused(mutate) -> None:  # type: ignore[no-untyped-def]
    payload = webhook("orders_create_b2b")
    mutate(payload)
    with pytest.raises(InvalidInput):
        payloads.parse_order(payload)


def test_non_object_payload_is_refused() -> None:
    for parse in (
        payloads.parse_customer,
        payloads.parse_order,
        payloads.parse_product,
        payloads.parse_company,
    ):
        with pytest.raises(InvalidInput):
            parse(["not", "an", "object"])


def test_acquisition_source_prefers_utm_then_referrer_then_channel() -> None:
    assert (
        rules.acquisition_source(
            source_name="web",
            referring_site="https://www.google.com/search?q=x",
            landing_site="/products/widget?utm_source=Newsletter&utm_medium=email",
        )
        == "utm:newsletter/email"
    )
    assert (
        rules.acquisition_source(
            source_name="web", referring_site="https://www.google.com/", landing_site="/"
        )
        == "referrer:google.com"
    )
    assert rules.acquisition_source(source_name="web", referring_site=None, landing_site=None) == "direct"
    assert rules.acquisition_source(source_name="pos", referring_site="", landing_site="") == "pos"
    assert rules.acquisition_source(source_name=None, referring_site=None, landing_site=None) is None


def test_fold_applies_newer_payloads_in_order_and_keeps_missing_fields() -> None:
    def rec(minute: int | None, **values: object) -> payloads.Record:
        stamp = None if minute is None else datetime(2026, 5, 1, 10, minute, tzinfo=UTC)
        return payloads.Record(1, stamp, values)

    stored = datetime(2026, 5, 1, 10, 5, tzinfo=UTC)
    result = rules.fold(
        [rec(9, a=3), rec(1, a=0, b=0), rec(7, a=2, b=2)], exists=True, stored_updated_at=stored
    )
    assert result.freshness is rules.Freshness.NEWER
    assert result.values == {"a": 3, "b": 2}
    assert result.updated_at == datetime(2026, 5, 1, 10, 9, tzinfo=UTC)
    assert rules.fold([rec(5, a=9)], exists=True, stored_updated_at=stored).freshness is rules.Freshness.SAME
    assert rules.fold([rec(4, a=9)], exists=True, stored_updated_at=stored).freshness is rules.Freshness.OLDER
    assert (
        rules.fold([rec(None, a=9)], exists=True, stored_updated_at=stored).freshness is rules.Freshness.SAME
    )
    created = rules.fold([rec(None, a=1), rec(None, b=2)], exists=False, stored_updated_at=None)
    assert (created.freshness, created.values, created.updated_at) == (
        rules.Freshness.NEW,
        {"a": 1, "b": 2},
        None,
    )
