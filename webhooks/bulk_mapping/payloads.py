"""GraphQL objects turned into the REST-shaped payloads the matching webhooks carry."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from webhooks.bulk_mapping.values import (
    _FULFILLMENT,
    _UNFULFILLED,
    _gid_of,
    _lower,
    _money,
    _object,
    _ref,
    _tags,
    gid_number,
)

# -- customers ----------------------------------------------------------------------------------


def mailing_address(address: Mapping[str, Any] | None, *, default_id: Any = None) -> dict[str, Any] | None:
    """A MailingAddress as REST's customer address."""
    if address is None:
        return None
    gid = address.get("id")
    payload: dict[str, Any] = {
        "first_name": address.get("firstName"),
        "last_name": address.get("lastName"),
        "company": address.get("company"),
        "address1": address.get("address1"),
        "address2": address.get("address2"),
        "city": address.get("city"),
        "province": address.get("province"),
        "province_code": address.get("provinceCode"),
        "country": address.get("country"),
        "country_code": address.get("countryCodeV2"),
        "zip": address.get("zip"),
        "phone": address.get("phone"),
    }
    if gid is not None:
        payload = {"id": gid_number(gid), **payload, "default": default_id is not None and gid == default_id}
    return payload


def customer_payload(
    node: Mapping[str, Any], addresses: Iterable[Mapping[str, Any]] | None = None
) -> dict[str, Any]:
    """A Customer and its addresses as the customers/update payload (plus tags and consent)."""
    gid = node.get("id")
    email = _object(node, "defaultEmailAddress")
    phone = _object(node, "defaultPhoneNumber")
    default = _object(node, "defaultAddress")
    default_id = default.get("id") if default else None
    payload: dict[str, Any] = {
        **_ref(gid, "Customer"),
        "email": email.get("emailAddress") if email else None,
        "first_name": node.get("firstName"),
        "last_name": node.get("lastName"),
        "phone": phone.get("phoneNumber") if phone else None,
        "state": _lower(node.get("state")),
        "verified_email": node.get("verifiedEmail"),
        "tax_exempt": node.get("taxExempt"),
        "note": node.get("note"),
        "created_at": node.get("createdAt"),
        "updated_at": node.get("updatedAt"),
    }
    if "tags" in node:
        payload["tags"] = _tags(node["tags"])
    if "defaultAddress" in node:
        payload["default_address"] = mailing_address(default, default_id=default_id)
    if addresses is not None:
        payload["addresses"] = [mailing_address(a, default_id=default_id) for a in addresses]
    if email is not None:
        payload["email_marketing_consent"] = {
            "state": _lower(email.get("marketingState")),
            "opt_in_level": _lower(email.get("marketingOptInLevel")),
            "consent_updated_at": email.get("marketingUpdatedAt"),
        }
    return payload


# -- companies ----------------------------------------------------------------------------------


def company_payload(node: Mapping[str, Any]) -> dict[str, Any]:
    """A Company as the companies/update payload (B2B payloads carry only the GID)."""
    gid_number(node.get("id"), "Company")
    main_contact = _gid_of(node, "mainContact")
    return {
        "admin_graphql_api_id": node["id"],
        "name": node.get("name"),
        "external_id": node.get("externalId"),
        "note": node.get("note"),
        "customer_since": node.get("customerSince"),
        "main_contact_admin_graphql_api_id": main_contact,
        "created_at": node.get("createdAt"),
        "updated_at": node.get("updatedAt"),
    }


def company_address(address: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A CompanyAddress as REST's company location address."""
    if address is None:
        return None
    return {
        "address1": address.get("address1"),
        "address2": address.get("address2"),
        "city": address.get("city"),
        "province": address.get("province"),
        "zone_code": address.get("zoneCode"),
        "country": address.get("country"),
        "country_code": address.get("countryCode"),
        "zip": address.get("zip"),
        "recipient": address.get("recipient"),
        "first_name": address.get("firstName"),
        "last_name": address.get("lastName"),
        "phone": address.get("phone"),
    }


def _company_ref(company_gid: Any) -> dict[str, Any]:
    # No updated_at: the CRM treats it as a reference that can create a placeholder, never update.
    gid_number(company_gid, "Company")
    return {"admin_graphql_api_id": company_gid}


def company_location_payload(node: Mapping[str, Any], company_gid: Any) -> dict[str, Any]:
    """A CompanyLocation as the company_locations/update payload, naming its company."""
    gid_number(node.get("id"), "CompanyLocation")
    payload: dict[str, Any] = {
        "admin_graphql_api_id": node["id"],
        "name": node.get("name"),
        "external_id": node.get("externalId"),
        "phone": node.get("phone"),
        "locale": node.get("locale"),
        "note": node.get("note"),
        "created_at": node.get("createdAt"),
        "updated_at": node.get("updatedAt"),
        "company": _company_ref(company_gid),
    }
    if "billingAddress" in node:
        payload["billing_address"] = company_address(_object(node, "billingAddress"))
    if "shippingAddress" in node:
        payload["shipping_address"] = company_address(_object(node, "shippingAddress"))
    if "buyerExperienceConfiguration" in node:
        config = _object(node, "buyerExperienceConfiguration")
        template = _object(config, "paymentTermsTemplate") if config else None
        payload["buyer_experience_configuration"] = (
            None
            if config is None
            else {
                "checkout_to_draft": config.get("checkoutToDraft"),
                "editable_shipping_address": config.get("editableShippingAddress"),
                "payment_terms_template": (
                    None
                    if template is None
                    else {
                        "name": template.get("name"),
                        "due_in_days": template.get("dueInDays"),
                        "payment_terms_type": _lower(template.get("paymentTermsType")),
                    }
                ),
            }
        )
    if "taxSettings" in node:
        settings = _object(node, "taxSettings") or {}
        payload["tax_settings"] = {
            "tax_registration_id": settings.get("taxRegistrationId"),
            "tax_exempt": settings.get("taxExempt"),
        }
    return payload


def company_contact_payload(node: Mapping[str, Any], company_gid: Any) -> dict[str, Any]:
    """A CompanyContact as the company_contacts/update payload, naming its company and customer."""
    gid_number(node.get("id"), "CompanyContact")
    customer = _gid_of(node, "customer")
    if customer is not None:
        gid_number(customer, "Customer")
    return {
        "admin_graphql_api_id": node["id"],
        "customer_admin_graphql_api_id": customer,
        "title": node.get("title"),
        "locale": node.get("locale"),
        "created_at": node.get("createdAt"),
        "updated_at": node.get("updatedAt"),
        "company": _company_ref(company_gid),
    }


# -- products -----------------------------------------------------------------------------------


def variant_payload(node: Mapping[str, Any], product_gid: Any = None) -> dict[str, Any]:
    """A ProductVariant as an entry of a product payload's `variants`."""
    options = [o.get("value") for o in node.get("selectedOptions") or [] if isinstance(o, Mapping)]
    payload: dict[str, Any] = {
        **_ref(node.get("id"), "ProductVariant"),
        "title": node.get("title"),
        "sku": node.get("sku"),
        "barcode": node.get("barcode"),
        "position": node.get("position"),
        "price": node.get("price"),
        "compare_at_price": node.get("compareAtPrice"),
        "inventory_quantity": node.get("inventoryQuantity"),
        "taxable": node.get("taxable"),
        "created_at": node.get("createdAt"),
        "updated_at": node.get("updatedAt"),
        "option1": options[0] if len(options) > 0 else None,
        "option2": options[1] if len(options) > 1 else None,
        "option3": options[2] if len(options) > 2 else None,
    }
    if product_gid is not None:
        payload["product_id"] = gid_number(product_gid, "Product")
    return payload


def product_payload(node: Mapping[str, Any], variants: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """A Product and its variants as the products/update payload."""
    gid = node.get("id")
    return {
        **_ref(gid, "Product"),
        "title": node.get("title"),
        "handle": node.get("handle"),
        "vendor": node.get("vendor"),
        "product_type": node.get("productType"),
        "status": _lower(node.get("status")),
        "tags": _tags(node.get("tags")),
        "published_at": node.get("publishedAt"),
        "created_at": node.get("createdAt"),
        "updated_at": node.get("updatedAt"),
        "variants": [variant_payload(v, gid) for v in variants],
    }


# -- orders -------------------------------------------------------------------------------------


def line_item_payload(node: Mapping[str, Any]) -> dict[str, Any]:
    """A LineItem as an entry of an order payload's `line_items`."""
    variant = _gid_of(node, "variant")
    product = _gid_of(node, "product")
    return {
        **_ref(node.get("id"), "LineItem"),
        "variant_id": gid_number(variant, "ProductVariant") if variant else None,
        "product_id": gid_number(product, "Product") if product else None,
        "sku": node.get("sku"),
        "title": node.get("title"),
        "variant_title": node.get("variantTitle"),
        "quantity": node.get("quantity"),
        "current_quantity": node.get("currentQuantity"),
        "price": _money(node.get("originalUnitPriceSet")),
        "total_discount": _money(node.get("totalDiscountSet")),
    }


def fulfillment_status(value: Any) -> str | None:
    """GraphQL's displayFulfillmentStatus as REST's fulfillment_status (null while unfulfilled)."""
    if not isinstance(value, str) or value in _UNFULFILLED:
        return None
    return _FULFILLMENT.get(value, value.lower())


def order_payload(node: Mapping[str, Any], line_items: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """An Order and its line items as the orders/updated payload."""
    journey = _object(node, "customerJourneySummary")
    first_visit = _object(journey, "firstVisit") if journey else None
    customer = _gid_of(node, "customer")
    entity = _object(node, "purchasingEntity")
    company = _gid_of(entity, "company") if entity else None
    location = _gid_of(entity, "location") if entity else None
    payload: dict[str, Any] = {
        **_ref(node.get("id"), "Order"),
        "name": node.get("name"),
        "order_number": node.get("number"),
        "email": node.get("email"),
        "created_at": node.get("createdAt"),
        "updated_at": node.get("updatedAt"),
        "processed_at": node.get("processedAt"),
        "cancelled_at": node.get("cancelledAt"),
        "cancel_reason": _lower(node.get("cancelReason")),
        "closed_at": node.get("closedAt"),
        "currency": node.get("currencyCode"),
        "presentment_currency": node.get("presentmentCurrencyCode"),
        "financial_status": _lower(node.get("displayFinancialStatus")),
        "fulfillment_status": fulfillment_status(node.get("displayFulfillmentStatus")),
        "subtotal_price": _money(node.get("subtotalPriceSet")),
        "total_discounts": _money(node.get("totalDiscountsSet")),
        "total_tax": _money(node.get("totalTaxSet")),
        "total_price": _money(node.get("totalPriceSet")),
        "current_total_price": _money(node.get("currentTotalPriceSet")),
        "source_name": node.get("sourceName"),
        "referring_site": first_visit.get("referrerUrl") if first_visit else None,
        "landing_site": first_visit.get("landingPage") if first_visit else None,
        "po_number": node.get("poNumber"),
        "note": node.get("note"),
        "tags": _tags(node.get("tags")),
        "test": bool(node.get("test")),
        "customer": _ref(customer, "Customer") if customer else None,
        # Present on every 2025-04+ order payload: null for a retail order, ids for a B2B one.
        "company": (
            {
                "id": gid_number(company, "Company"),
                "location_id": gid_number(location, "CompanyLocation") if location else None,
            }
            if company
            else None
        ),
        "line_items": [line_item_payload(line) for line in line_items],
    }
    return payload
