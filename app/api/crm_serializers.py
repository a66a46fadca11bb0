"""JSON views of CRM rows for the REST API: Tradeline ids plus Shopify's, money as strings, UTC timestamps."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from app.api.responses import iso8601
from app.money import minor_units, round_money
from crm.models import (
    CrmCompany,
    CrmCompanyContact,
    CrmCompanyLocation,
    CrmCustomer,
    CrmOrder,
    CrmOrderLine,
    CrmProduct,
    CrmVariant,
    LifetimeRollup,
)
from crm.models_work import CrmNote, CrmStaffMember, CrmTask
from crm.payloads import parse_tags


def money(amount: Decimal | None, currency: str) -> dict[str, str] | None:
    """An amount as a decimal string and its currency: the minor unit's digits, more only if held."""
    if amount is None:
        return None
    value = Decimal(amount)
    # Stored amounts carry 4 decimals ("11.5000"): show at least the currency's, and any that are not zero.
    exponent = value.normalize().as_tuple().exponent
    places = max(minor_units(currency), -exponent if isinstance(exponent, int) else 0)
    return {"amount": format(value.quantize(Decimal(1).scaleb(-places)), "f"), "currency_code": currency}


def _gid(resource: str, shopify_id: int) -> str:
    return f"gid://shopify/{resource}/{shopify_id}"


def _mirror(row: Any, resource: str) -> dict[str, Any]:
    return {
        "id": row.id,
        "shopify_id": row.shopify_id,
        "admin_graphql_api_id": _gid(resource, row.shopify_id),
        "shopify_created_at": iso8601(row.shopify_created_at),
        "shopify_updated_at": iso8601(row.shopify_updated_at),
        "created_at": iso8601(row.created_at),
        "updated_at": iso8601(row.updated_at),
        "deleted_at": iso8601(row.deleted_at),
    }


def _enum(value: Any) -> str | None:
    return None if value is None else str(value.value)


def staff_json(member: CrmStaffMember | None) -> dict[str, Any] | None:
    if member is None:
        return None
    return {"id": member.id, "name": member.name, "email": member.email}


def company_reference(company: CrmCompany | None) -> dict[str, Any] | None:
    if company is None:
        return None
    return {
        "id": company.id,
        "shopify_id": company.shopify_id,
        "admin_graphql_api_id": _gid("Company", company.shopify_id),
        "name": company.name,
    }


def customer_reference(customer: CrmCustomer | None) -> dict[str, Any] | None:
    if customer is None:
        return None
    return {
        "id": customer.id,
        "shopify_id": customer.shopify_id,
        "admin_graphql_api_id": _gid("Customer", customer.shopify_id),
        "display_name": customer.display_name,
        "email": customer.email,
    }


def lifetime_json(row: LifetimeRollup) -> dict[str, Any]:
    spent = Decimal(row.total_spent or 0)
    average = round_money(spent / row.orders_count, row.currency) if row.orders_count else None
    return {
        "orders_count": row.orders_count or 0,
        "total_spent": money(spent, row.currency),
        "average_order_value": money(average, row.currency),
        "first_order_at": iso8601(row.first_order_at),
        "last_order_at": iso8601(row.last_order_at),
    }


def customer_json(customer: CrmCustomer, sales_rep: CrmStaffMember | None) -> dict[str, Any]:
    """The API's view of a customer."""
    return {
        **_mirror(customer, "Customer"),
        "email": customer.email,
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "display_name": customer.display_name,
        "phone": customer.phone,
        "state": _enum(customer.state),
        "verified_email": customer.verified_email,
        "tax_exempt": customer.tax_exempt,
        "note": customer.note,
        "email_marketing": {
            "state": _enum(customer.email_marketing_state),
            "opt_in_level": customer.email_marketing_opt_in_level,
            "consent_updated_at": iso8601(customer.email_marketing_updated_at),
        },
        "default_address": customer.default_address,
        "tags": customer.tags,
        "company": company_reference(customer.company),
        "sales_rep": staff_json(sales_rep),
        "acquisition_source": customer.acquisition_source,
        "lifetime": lifetime_json(customer),
    }


def company_json(
    company: CrmCompany, sales_rep: CrmStaffMember | None, locations_count: int, contacts_count: int
) -> dict[str, Any]:
    """The API's view of a company (without its locations and contacts)."""
    return {
        **_mirror(company, "Company"),
        "name": company.name,
        "external_id": company.external_id,
        "note": company.note,
        "customer_since": iso8601(company.customer_since),
        "payment_terms_name": company.payment_terms_name,
        "sales_rep": staff_json(sales_rep),
        "locations_count": locations_count,
        "contacts_count": contacts_count,
        "lifetime": lifetime_json(company),
    }


def location_json(location: CrmCompanyLocation) -> dict[str, Any]:
    return {
        **_mirror(location, "CompanyLocation"),
        "name": location.name,
        "external_id": location.external_id,
        "phone": location.phone,
        "locale": location.locale,
        "note": location.note,
        "billing_address": location.billing_address,
        "shipping_address": location.shipping_address,
        "payment_terms_name": location.payment_terms_name,
        "tax_registration_id": location.tax_registration_id,
    }


def contact_json(contact: CrmCompanyContact) -> dict[str, Any]:
    return {
        **_mirror(contact, "CompanyContact"),
        "title": contact.title,
        "locale": contact.locale,
        "customer": customer_reference(contact.customer),
    }


def order_json(order: CrmOrder) -> dict[str, Any]:
    """The API's view of an order (without its lines)."""
    currency = order.currency
    return {
        **_mirror(order, "Order"),
        "name": order.name,
        "number": order.number,
        "email": order.email,
        "customer": customer_reference(order.customer),
        "company": company_reference(order.company),
        "company_location_id": order.company_location_id,
        "is_b2b": order.is_b2b,
        "financial_status": _enum(order.financial_status),
        "fulfillment_status": _enum(order.fulfillment_status),
        "presentment_currency": order.presentment_currency,
        "subtotal_price": money(order.subtotal_price, currency),
        "total_discounts": money(order.total_discounts, currency),
        "total_tax": money(order.total_tax, currency),
        "total_price": money(order.total_price, currency),
        "current_total_price": money(order.current_total_price, currency),
        "source_name": order.source_name,
        "po_number": order.po_number,
        "note": order.note,
        "tags": parse_tags(order.tags or ""),
        "test": order.test,
        "processed_at": iso8601(order.processed_at),
        "cancelled_at": iso8601(order.cancelled_at),
        "cancel_reason": order.cancel_reason,
        "closed_at": iso8601(order.closed_at),
    }


def line_json(line: CrmOrderLine) -> dict[str, Any]:
    return {
        "id": line.id,
        "shopify_id": line.shopify_id,
        "admin_graphql_api_id": _gid("LineItem", line.shopify_id),
        "shopify_product_id": line.shopify_product_id,
        "shopify_variant_id": line.shopify_variant_id,
        "sku": line.sku,
        "title": line.title,
        "variant_title": line.variant_title,
        "quantity": line.quantity,
        "current_quantity": line.current_quantity,
        "price": money(line.price, line.currency),
        "total_discount": money(line.total_discount, line.currency),
    }


def order_detail_json(order: CrmOrder) -> dict[str, Any]:
    return {**order_json(order), "lines": [line_json(line) for line in order.lines]}


def variant_json(variant: CrmVariant) -> dict[str, Any]:
    return {
        **_mirror(variant, "ProductVariant"),
        "title": variant.title,
        "sku": variant.sku,
        "barcode": variant.barcode,
        "position": variant.position,
        "options": [o for o in (variant.option1, variant.option2, variant.option3) if o is not None],
        "price": money(variant.price, variant.currency),
        "compare_at_price": money(variant.compare_at_price, variant.currency),
        "inventory_quantity": variant.inventory_quantity,
        "taxable": variant.taxable,
    }


def product_json(product: CrmProduct) -> dict[str, Any]:
    """The API's view of a product and its live variants."""
    return {
        **_mirror(product, "Product"),
        "title": product.title,
        "handle": product.handle,
        "vendor": product.vendor,
        "product_type": product.product_type,
        "status": _enum(product.status),
        "tags": parse_tags(product.tags or ""),
        "published_at": iso8601(product.published_at),
        "variants": [variant_json(v) for v in product.variants if v.deleted_at is None],
    }


def note_json(note: CrmNote) -> dict[str, Any]:
    return {
        "id": note.id,
        "customer_id": note.customer_id,
        "company_id": note.company_id,
        "body": note.body,
        "author_name": note.author_name,
        "author_id": note.author_id,
        "created_at": iso8601(note.created_at),
    }


def task_json(task: CrmTask) -> dict[str, Any]:
    return {
        "id": task.id,
        "title": task.title,
        "status": "open" if task.completed_at is None else "done",
        "due_on": task.due_on.isoformat() if task.due_on else None,
        "customer_id": task.customer_id,
        "company_id": task.company_id,
        "assignee": staff_json(task.assignee),
        "created_by_name": task.created_by_name,
        "completed_at": iso8601(task.completed_at),
        "completed_by_name": task.completed_by_name,
        "created_at": iso8601(task.created_at),
        "updated_at": iso8601(task.updated_at),
    }
