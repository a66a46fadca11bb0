"""Publishing a price list to Shopify B2B against a faked Admin API: catalog + price list, batches,
idempotent reruns, Shopify's refusals, shops without B2B, and the rules Shopify cannot express."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app import services
from app.db import utcnow
from app.errors import NotFound
from app.tenancy import get_for_shop
from crm.models import CrmVariant
from pricing import timeline
from pricing.models import (
    AdjustmentScope,
    AssignmentTarget,
    PriceEntry,
    PriceList,
    PriceListAssignment,
    PriceListStatus,
    PricePublication,
    PublishStatus,
    TierKind,
)
from pricing.service import publish as publishing
from pricing.service.publish import NO_B2B_MESSAGE, NO_LOCATIONS_MESSAGE, NotPublishable, PublishRunning
from tests.backfill_support import connected_shop
from tests.pricing_publish_support import FakeB2B
from tests.pricing_support import (
    add_adjustment,
    add_entry,
    add_rule,
    add_tier,
    assign,
    make_company,
    make_location,
    make_price_list,
    make_product,
    make_variant,
)

VARIANT = "gid://shopify/ProductVariant/{}"
LOCATION = "gid://shopify/CompanyLocation/{}"


@pytest.fixture
def fake(app_config) -> FakeB2B:
    shopify = FakeB2B()
    app_config["SHOPIFY_HTTP_TRANSPORT"] = shopify.transport
    return shopify


@pytest.fixture
def shop_id(fake, app) -> int:
    with services().db.unit_of_work() as uow:
        shop = connected_shop(uow)
        uow.commit()
    return shop


def _publish(shop_id: int, list_id: int) -> PricePublication:
    """Request a publish; with jobs inline it runs once the request commits."""
    with services().db.unit_of_work() as uow:
        publishing.request_publish(uow, shop_id=shop_id, price_list_id=list_id)
        uow.commit()
    return _publication(shop_id, list_id)


def _publication(shop_id: int, list_id: int) -> PricePublication:
    with services().db.unit_of_work() as uow:
        found = publishing.get_publication(uow, shop_id=shop_id, price_list_id=list_id)
        assert found is not None
        uow.session.expunge(found)
        return found


def _wholesale(shop_id: int, variants: int = 3) -> dict:
    """A list for one company (two locations) and one location of another, with fixed prices."""
    with services().db.unit_of_work() as uow:
        acme = make_company(uow, shop_id, "Acme")
        hq, depot = make_location(uow, shop_id, acme, "HQ"), make_location(uow, shop_id, acme, "Depot")
        other = make_location(uow, shop_id, make_company(uow, shop_id, "Other"), "Store")
        price_list = make_price_list(uow, shop_id, "Wholesale")
        assign(uow, price_list, AssignmentTarget.COMPANY, acme)
        assign(uow, price_list, AssignmentTarget.COMPANY_LOCATION, other)
        product = make_product(uow, shop_id)
        rows = [make_variant(uow, shop_id, product, price="20.00") for _ in range(variants)]
        for i, variant in enumerate(rows):
            add_entry(uow, price_list, variant, Decimal("10.00") + i)
        uow.commit()
        return {
            "list": price_list.id,
            "variants": [v.shopify_id for v in rows],
            "variant_ids": [v.id for v in rows],
            "locations": sorted(LOCATION.format(loc.shopify_id) for loc in (hq, depot, other)),
        }


def test_publish_creates_the_catalog_and_price_list_and_sends_prices_in_batches_of_250(fake, shop_id):
    data = _wholesale(shop_id, variants=300)

    publication = _publish(shop_id, data["list"])

    assert publication.status is PublishStatus.SUCCEEDED
    assert (publication.done, publication.total) == (300, 300)
    assert publication.unsupported == []
    assert publication.error is None
    price_list = fake.only_price_list()
    (catalog,) = fake.catalogs.values()
    assert publication.shopify_price_list_id == price_list.id
    assert publication.shopify_catalog_id == catalog.id
    assert (price_list.name, price_list.currency) == ("Wholesale (Tradeline)", "USD")
    assert price_list.parent == {"adjustment": {"type": "PERCENTAGE_DECREASE", "value": 0.0}}
    assert (catalog.title, catalog.status, catalog.price_list_id) == ("Wholesale", "ACTIVE", price_list.id)
    assert sorted(catalog.locations) == data["locations"]
    batches = fake.sent("PricingQuantityPricingUpdate")
    assert [len(b["input"]["pricesToAdd"]) for b in batches] == [250, 50]
    assert all(b["priceListId"] == price_list.id for b in batches)
    first = batches[0]["input"]["pricesToAdd"][0]
    assert first == {
        "variantId": VARIANT.format(data["variants"][0]),
        "price": {"amount": "10.00", "currencyCode": "USD"},
    }
    assert price_list.prices[VARIANT.format(data["variants"][299])]["price"] == Decimal("309.00")
    with services().db.unit_of_work() as uow:
        (event,) = timeline.list_events(uow, shop_id=shop_id, price_list_id=data["list"])
        assert (event.kind, event.actor) == ("price_list.published", "Tradeline")
        assert event.summary == "Published to Shopify: 300 price changes sent"
    assert fake.names()[:6] == [
        "PricingB2BCapability",
        "PricingPriceListCreate",
        "PricingCatalogCreate",
        "PricingPriceListPrices",
        "PricingPriceListRules",
        "PricingQuantityPricingUpdate",
    ]


def test_publishing_again_sends_nothing_and_leaves_shopify_as_it_was(fake, shop_id):
    data = _wholesale(shop_id, variants=40)
    with services().db.unit_of_work() as uow:
        price_list = get_for_shop(uow.session, PriceList, shop_id, data["list"])
        add_rule(uow, price_list, minimum=6, maximum=60, increment=6, variant=None)
        add_tier(uow, price_list, 12, "10", kind=TierKind.PERCENT_OFF)
        uow.commit()
    _publish(shop_id, data["list"])
    before = {gid: dict(p, breaks=dict(p["breaks"])) for gid, p in fake.only_price_list().prices.items()}
    rules_before = dict(fake.only_price_list().rules)
    sent_before = len(fake.requests)

    publication = _publish(shop_id, data["list"])

    again = [name for name, _ in fake.requests[sent_before:]]
    assert again == [
        "PricingB2BCapability",
        "PricingPriceList",
        "PricingCatalog",
        "PricingPriceListPrices",
        "PricingPriceListPrices",
        "PricingPriceListRules",
        "PricingCollections",
    ]
    assert publication.status is PublishStatus.SUCCEEDED
    assert (publication.done, publication.total) == (0, 0)
    assert fake.only_price_list().prices == before
    assert fake.only_price_list().rules == rules_before
    assert len(fake.price_lists) == 1 and len(fake.catalogs) == 1


def test_tiers_and_rules_become_price_breaks_that_charge_what_the_engine_charges(fake, shop_id):
    with services().db.unit_of_work() as uow:
        company = make_company(uow, shop_id)
        make_location(uow, shop_id, company)
        price_list = make_price_list(uow, shop_id, "Tiers")
        assign(uow, price_list, AssignmentTarget.COMPANY, company)
        case, single = make_variant(uow, shop_id), make_variant(uow, shop_id)
        add_entry(uow, price_list, case, "10.00")
        add_entry(uow, price_list, single, "8.00")
        # The case sells by 4 from 4; its own tiers: 10 % off from 10 (reached at 12), 8.50 from 20.
        add_rule(uow, price_list, minimum=4, increment=4, variant=case)
        add_tier(uow, price_list, 10, "10", kind=TierKind.PERCENT_OFF, variant=case)
        add_tier(uow, price_list, 20, "8.50", variant=case)
        # List-wide: 5 % off from 50 units, applied to `single` (no tiers of its own).
        add_tier(uow, price_list, 50, "5", kind=TierKind.PERCENT_OFF)
        uow.commit()
        list_id, case_gid, single_gid = (
            price_list.id,
            VARIANT.format(case.shopify_id),
            VARIANT.format(single.shopify_id),
        )

    publication = _publish(shop_id, list_id)

    assert publication.status is PublishStatus.SUCCEEDED, publication.error
    prices = fake.only_price_list().prices
    assert prices[case_gid]["breaks"] == {12: Decimal("9"), 20: Decimal("8.5")}
    assert prices[single_gid]["breaks"] == {50: Decimal("7.6")}
    assert fake.only_price_list().rules == {case_gid: (4, None, 4)}
    (batch,) = fake.sent("PricingQuantityPricingUpdate")
    assert batch["input"]["quantityRulesToAdd"] == [
        {"variantId": case_gid, "minimum": 4, "maximum": None, "increment": 4}
    ]
    assert {
        "variantId": case_gid,
        "minimumQuantity": 12,
        "price": {"amount": "9.00", "currencyCode": "USD"},
    } in batch["input"]["quantityPriceBreaksToAdd"]
    assert publication.total == 2 + 1 + 3


def test_changed_and_removed_prices_are_updated_and_deleted_and_nothing_else_is_sent(fake, shop_id):
    data = _wholesale(shop_id, variants=5)
    _publish(shop_id, data["list"])
    with services().db.unit_of_work() as uow:
        entries = {
            e.variant_id: e
            for e in uow.session.scalars(select(PriceEntry).where(PriceEntry.price_list_id == data["list"]))
        }
        entries[data["variant_ids"][0]].price = Decimal("9.50")
        uow.session.delete(entries[data["variant_ids"][4]])
        uow.commit()
    sent_before = len(fake.sent("PricingQuantityPricingUpdate"))

    publication = _publish(shop_id, data["list"])

    (batch,) = fake.sent("PricingQuantityPricingUpdate")[sent_before:]
    first, last = (VARIANT.format(data["variants"][i]) for i in (0, 4))
    assert batch["input"]["pricesToAdd"] == [
        {"variantId": first, "price": {"amount": "9.50", "currencyCode": "USD"}}
    ]
    assert batch["input"]["pricesToDeleteByVariantId"] == [last]
    assert (publication.done, publication.total) == (2, 2)
    assert last not in fake.only_price_list().prices
    assert fake.only_price_list().prices[first]["price"] == Decimal("9.5")


def test_a_catalog_and_price_list_deleted_in_shopify_are_recreated(fake, shop_id):
    data = _wholesale(shop_id)
    first = _publish(shop_id, data["list"])
    fake.price_lists.clear()
    fake.catalogs.clear()

    again = _publish(shop_id, data["list"])

    assert again.status is PublishStatus.SUCCEEDED
    assert again.shopify_price_list_id != first.shopify_price_list_id
    assert again.shopify_catalog_id != first.shopify_catalog_id
    assert again.shopify_price_list_id == fake.only_price_list().id
    assert len(fake.only_price_list().prices) == 3


def test_locations_added_and_removed_from_the_assignments_follow_the_catalog(fake, shop_id):
    data = _wholesale(shop_id)
    _publish(shop_id, data["list"])
    with services().db.unit_of_work() as uow:
        (company_assignment,) = uow.session.scalars(
            select(PriceListAssignment).where(
                PriceListAssignment.price_list_id == data["list"],
                PriceListAssignment.target == AssignmentTarget.COMPANY,
            )
        )
        uow.session.delete(company_assignment)
        new = make_location(uow, shop_id, make_company(uow, shop_id, "Newco"), "Shop")
        assign(uow, uow.session.get(PriceList, data["list"]), AssignmentTarget.COMPANY_LOCATION, new)
        uow.commit()
        new_gid = LOCATION.format(new.shopify_id)

    _publish(shop_id, data["list"])

    (catalog,) = fake.catalogs.values()
    kept = [g for g in data["locations"] if g in catalog.locations]
    assert sorted(catalog.locations) == sorted([*kept, new_gid])
    assert len(kept) == 1
    updates = fake.sent("PricingCatalogContextUpdate")
    assert [sorted(u) for u in updates] == [["catalogId", "contextsToAdd"], ["catalogId", "contextsToRemove"]]
    assert updates[0]["contextsToAdd"] == {"companyLocationIds": [new_gid]}
    assert len(updates[1]["contextsToRemove"]["companyLocationIds"]) == 2


def test_shopify_user_errors_fail_the_publish_with_their_message_and_a_retry_resumes(fake, shop_id):
    data = _wholesale(shop_id, variants=300)
    fake.reject_pricing = ("GENERIC_ERROR", "Something went wrong when trying to update quantity pricing.")
    fake.reject_after = 1

    failed = _publish(shop_id, data["list"])

    assert failed.status is PublishStatus.FAILED
    assert failed.error == (
        "Shopify rejected quantityPricingByVariantUpdate on acme.myshopify.com: input: Something went wrong "
        "when trying to update quantity pricing. (GENERIC_ERROR)"
    )
    assert (failed.done, failed.total) == (250, 300)
    assert failed.finished_at is not None
    assert len(fake.only_price_list().prices) == 250
    fake.reject_pricing = None
    sent_before = len(fake.sent("PricingQuantityPricingUpdate"))

    resumed = _publish(shop_id, data["list"])

    (batch,) = fake.sent("PricingQuantityPricingUpdate")[sent_before:]
    assert len(batch["input"]["pricesToAdd"]) == 50
    assert resumed.status is PublishStatus.SUCCEEDED
    assert (resumed.done, resumed.total) == (50, 50)
    assert len(fake.only_price_list().prices) == 300


def test_a_shop_without_b2b_is_unsupported_and_nothing_is_created(fake, shop_id):
    data = _wholesale(shop_id)
    fake.b2b = False

    publication = _publish(shop_id, data["list"])

    assert publication.status is PublishStatus.UNSUPPORTED
    assert publication.error == NO_B2B_MESSAGE
    assert "priceOverride" in publication.error
    # The collection mirror is refreshed anyway: Tradeline's own engine prices collection adjustments.
    assert fake.names() == ["PricingB2BCapability", "PricingCollections"]
    assert publication.shopify_catalog_id is None and publication.shopify_price_list_id is None


def test_a_list_with_no_company_or_location_fails_before_sending_anything(fake, shop_id):
    with services().db.unit_of_work() as uow:
        price_list = make_price_list(uow, shop_id, "Tagged")
        assign(uow, price_list, AssignmentTarget.CUSTOMER_TAG, "vip")
        add_entry(uow, price_list, make_variant(uow, shop_id), "5.00")
        uow.commit()
        list_id = price_list.id

    publication = _publish(shop_id, list_id)

    assert publication.status is PublishStatus.FAILED
    assert publication.error == NO_LOCATIONS_MESSAGE
    assert [u["rule"] for u in publication.unsupported] == ["assignment"]
    assert fake.names() == ["PricingB2BCapability", "PricingCollections"]


def test_rules_shopify_cannot_express_are_reported_not_dropped(fake, shop_id):
    with services().db.unit_of_work() as uow:
        company = make_company(uow, shop_id)
        make_location(uow, shop_id, company)
        price_list = make_price_list(uow, shop_id, "Mixed", order_minimum="500.00")
        assign(uow, price_list, AssignmentTarget.COMPANY, company)
        assign(uow, price_list, AssignmentTarget.CUSTOMER_TAG, "VIP")
        add_adjustment(uow, price_list, "-15")
        product = make_product(uow, shop_id)
        add_adjustment(
            uow, price_list, "-20", scope=AdjustmentScope.PRODUCT, scope_shopify_id=product.shopify_id
        )
        add_adjustment(uow, price_list, "-5", scope=AdjustmentScope.COLLECTION, scope_shopify_id=77)
        fixed = make_variant(uow, shop_id, product, sku="FIX-1")
        tiered = make_variant(uow, shop_id, product, sku="TIER-1")
        add_entry(uow, price_list, fixed, "12.00")
        add_tier(uow, price_list, 10, "5", kind=TierKind.PERCENT_OFF)
        add_tier(uow, price_list, 5, "9.00", variant=tiered)
        add_rule(uow, price_list, minimum=1, maximum=10, increment=1, variant=fixed)
        add_tier(uow, price_list, 20, "11.00", variant=fixed)
        uow.commit()
        list_id = price_list.id

    publication = _publish(shop_id, list_id)

    assert publication.status is PublishStatus.SUCCEEDED, publication.error
    assert publication.unsupported == [
        {
            "rule": "assignment",
            "detail": "Assigned to customers tagged “VIP”: a Shopify catalog applies to company locations "
            "only; these buyers get the list's prices through Tradeline's draft orders, not at Shopify "
            "checkout",
        },
        {
            "rule": "order minimum",
            "detail": "Orders must reach 500.00 USD: Shopify price lists have no order minimum; Tradeline "
            "enforces it on quotes, the portal and draft orders only",
        },
        {
            "rule": "product adjustment",
            "detail": f"-20 % on product {product.shopify_id}: Shopify price lists have only one list-wide "
            "percentage; add fixed prices for these variants to publish them",
        },
        {
            "rule": "collection adjustment",
            "detail": "-5 % on collection 77: Shopify price lists have only one list-wide percentage; add "
            "fixed prices for these variants to publish them",
        },
        {
            "rule": "volume tier",
            "detail": "SKU FIX-1: the tier from 20 units can never be reached under the quantity rule "
            "(maximum 10); not published",
        },
        {
            "rule": "volume tier",
            "detail": "SKU TIER-1 has tiers but no fixed price in this list: Shopify attaches price breaks "
            "to a fixed price only",
        },
        {
            "rule": "list-wide tiers",
            "detail": "Published as price breaks on the variants with a fixed price only: Shopify cannot "
            "apply volume tiers to variants priced by the list-wide adjustment",
        },
    ]
    price_list = fake.only_price_list()
    assert price_list.parent == {"adjustment": {"type": "PERCENTAGE_DECREASE", "value": 15.0}}
    fixed_gid = VARIANT.format(fixed.shopify_id)
    assert price_list.prices == {fixed_gid: {"price": Decimal("12"), "compare_at": None, "breaks": {}}}
    assert price_list.rules == {fixed_gid: (1, 10, 1)}


def test_a_second_publish_request_while_one_runs_is_a_conflict(fake, shop_id, app_config):
    data = _wholesale(shop_id)
    with services().db.unit_of_work() as uow:
        uow.session.add(
            PricePublication(shop_id=shop_id, price_list_id=data["list"], status=PublishStatus.RUNNING)
        )
        uow.commit()

    with services().db.unit_of_work() as uow, pytest.raises(PublishRunning):
        publishing.request_publish(uow, shop_id=shop_id, price_list_id=data["list"])

    assert _publication(shop_id, data["list"]).status is PublishStatus.RUNNING
    assert fake.names() == []


def test_an_archived_list_is_not_published_and_nothing_is_recorded(fake, shop_id):
    data = _wholesale(shop_id)
    with services().db.unit_of_work() as uow:
        get_for_shop(uow.session, PriceList, shop_id, data["list"]).status = PriceListStatus.ARCHIVED
        uow.commit()

    with services().db.unit_of_work() as uow, pytest.raises(NotPublishable, match="archived"):
        publishing.request_publish(uow, shop_id=shop_id, price_list_id=data["list"])

    with services().db.unit_of_work() as uow:
        assert uow.session.scalar(select(func.count()).select_from(PricePublication)) == 0
    assert fake.names() == []


def test_another_shops_list_is_not_found_and_nothing_is_recorded(fake, shop_id):
    data = _wholesale(shop_id)
    with services().db.unit_of_work() as uow:
        other = connected_shop(uow, domain="other.myshopify.com")
        uow.commit()

    with services().db.unit_of_work() as uow, pytest.raises(NotFound):
        publishing.request_publish(uow, shop_id=other, price_list_id=data["list"])

    with services().db.unit_of_work() as uow:
        assert uow.session.scalar(select(func.count()).select_from(PricePublication)) == 0
    assert fake.names() == []


def test_a_variant_deleted_in_shopify_is_reported_once_and_not_sent(fake, shop_id):
    data = _wholesale(shop_id, variants=2)
    with services().db.unit_of_work() as uow:
        price_list = get_for_shop(uow.session, PriceList, shop_id, data["list"])
        gone = uow.session.get(CrmVariant, data["variant_ids"][1])
        gone.deleted_at = utcnow()
        add_rule(uow, price_list, minimum=3, increment=3, variant=gone)
        uow.commit()
        sku = gone.sku

    publication = _publish(shop_id, data["list"])

    assert publication.unsupported == [
        {"rule": "fixed price", "detail": f"SKU {sku} was deleted in Shopify; nothing of it is published"}
    ]
    assert list(fake.only_price_list().prices) == [VARIANT.format(data["variants"][0])]
    assert fake.only_price_list().rules == {}
