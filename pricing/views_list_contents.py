"""The forms of one price list's page that change its contents: fixed prices (entries), adjustments,
volume tiers, quantity rules and assignments. Each POSTs to a pricing.service.lists call through
views_lists.list_post (CSRF, 303 on success, the page again with the error by its field on bad input).
"""

from __future__ import annotations

from typing import Any

from flask import request

from app.admin.home import ShopSummary
from app.auth.context import admin_required
from app.db import UnitOfWork
from pricing import list_pages
from pricing.models import AssignmentTarget
from pricing.service import lists
from pricing.validation import PricingInputError
from pricing.views import bp
from pricing.views_list_page import list_post
from pricing.views_lists import actor

# Blank rows the tier form offers below the saved ones, so tiers are added without JavaScript.
BLANK_TIER_ROWS = 2
MAX_TIER_ROWS = 100
TARGET_FIELDS = {
    AssignmentTarget.COMPANY_LOCATION: "company_location_id",
    AssignmentTarget.COMPANY: "company_id",
    AssignmentTarget.CUSTOMER: "customer_id",
    AssignmentTarget.CUSTOMER_TAG: "customer_tag",
    AssignmentTarget.SEGMENT: "segment_id",
}


def _text(name: str) -> str:
    return request.form.get(name, "").strip()


def _id(name: str) -> int | str | None:
    """A form id as an int; anything else goes to the service as typed, which names it in its error."""
    raw = _text(name)
    if not raw:
        return None
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else raw


def _variant_or_list(uow: UnitOfWork, shop: ShopSummary) -> int | None:
    """The variant a tier or rule form names (hidden variant_id, or a typed SKU); None = list-wide."""
    if _text("scope") == "list":
        return None
    variant_id = _id("variant_id")
    if isinstance(variant_id, int):
        return variant_id
    return list_pages.find_variant(uow, shop_id=shop.id, text=_text("sku"))


# -- entries --------------------------------------------------------------------------------------


@bp.post("/<int:price_list_id>/entries")
@admin_required
def add_entry(price_list_id: int) -> Any:
    """Give a variant (by SKU) a fixed price in the list."""

    def action(uow: UnitOfWork, shop: ShopSummary) -> str:
        variant_id = list_pages.find_variant(uow, shop_id=shop.id, text=_text("sku"))
        lists.set_entry(
            uow,
            shop_id=shop.id,
            price_list_id=price_list_id,
            variant_id=variant_id,
            price=_text("price"),
            compare_at_price=_text("compare_at_price") or None,
        )
        return f"Price for {_text('sku')} saved."

    return list_post(price_list_id, "entry", action, anchor="#entries")


@bp.post("/<int:price_list_id>/entries/<int:variant_id>")
@admin_required
def save_entry(price_list_id: int, variant_id: int) -> Any:
    """Change a variant's fixed price (and compare-at price) in the list."""

    def action(uow: UnitOfWork, shop: ShopSummary) -> str:
        lists.set_entry(
            uow,
            shop_id=shop.id,
            price_list_id=price_list_id,
            variant_id=variant_id,
            price=_text("price"),
            compare_at_price=_text("compare_at_price") or None,
        )
        return "Price saved."

    return list_post(price_list_id, f"entry-{variant_id}", action, anchor=f"#entry-{variant_id}")


@bp.post("/<int:price_list_id>/entries/<int:variant_id>/remove")
@admin_required
def remove_entry(price_list_id: int, variant_id: int) -> Any:
    """Remove a variant's fixed price from the list."""

    def action(uow: UnitOfWork, shop: ShopSummary) -> str:
        lists.remove_entry(uow, shop_id=shop.id, price_list_id=price_list_id, variant_id=variant_id)
        return "Price removed from the list."

    return list_post(price_list_id, f"entry-{variant_id}", action, anchor="#entries")


# -- adjustments ----------------------------------------------------------------------------------


@bp.post("/<int:price_list_id>/adjustments")
@admin_required
def add_adjustment(price_list_id: int) -> Any:
    """Set a percentage up or down, list-wide or for a collection, product or variant."""

    def action(uow: UnitOfWork, shop: ShopSummary) -> str:
        scope = _text("scope") or "all"
        target = list_pages.find_scope_target(uow, shop_id=shop.id, scope=scope, text=_text("target"))
        adjustment = lists.set_adjustment(
            uow,
            shop_id=shop.id,
            price_list_id=price_list_id,
            scope=scope,
            scope_shopify_id=target,
            percent=_text("percent"),
        )
        return f"Adjustment of {list_pages.percent_text(adjustment.percent)} saved."

    return list_post(price_list_id, "adjustment", action, anchor="#adjustments")


@bp.post("/<int:price_list_id>/adjustments/<int:adjustment_id>/remove")
@admin_required
def remove_adjustment(price_list_id: int, adjustment_id: int) -> Any:
    """Remove an adjustment from the list."""

    def action(uow: UnitOfWork, shop: ShopSummary) -> str:
        lists.remove_adjustment(
            uow, shop_id=shop.id, price_list_id=price_list_id, adjustment_id=adjustment_id
        )
        return "Adjustment removed."

    return list_post(price_list_id, "adjustment", action, anchor="#adjustments")


# -- volume tiers ---------------------------------------------------------------------------------


def _tier_rows() -> tuple[list[dict[str, str]], list[int]]:
    """The filled rows of a tier form (blank rows are skipped) and each one's row number in the form."""
    rows, numbers = [], []
    for number in range(MAX_TIER_ROWS):
        if f"min_quantity-{number}" not in request.form:
            break
        row = {
            "min_quantity": _text(f"min_quantity-{number}"),
            "kind": _text(f"kind-{number}") or "fixed",
            "value": _text(f"value-{number}"),
        }
        if row["min_quantity"] or row["value"]:
            rows.append(row)
            numbers.append(number)
    return rows, numbers


@bp.post("/<int:price_list_id>/tiers")
@admin_required
def save_tiers(price_list_id: int) -> Any:
    """Replace the tiers of a variant (or the list-wide tiers) with the rows of the form."""
    form = request.form.get("form", "tiers-new")

    def action(uow: UnitOfWork, shop: ShopSummary) -> str:
        variant_id = _variant_or_list(uow, shop)
        rows, numbers = _tier_rows()
        try:
            saved = lists.replace_tiers(
                uow, shop_id=shop.id, price_list_id=price_list_id, variant_id=variant_id, tiers=rows
            )
        except PricingInputError as exc:
            # The service names the tier by its place among the filled rows: point at the form's row.
            parts = (exc.field or "").split("/")
            if (
                len(parts) == 3
                and parts[0] == "tiers"
                and parts[1].isdigit()
                and int(parts[1]) < len(numbers)
            ):
                exc.field = f"{parts[2]}-{numbers[int(parts[1])]}"
            raise
        whose = "every variant" if variant_id is None else "the variant"
        plural = "s" if len(saved) != 1 else ""
        return f"{len(saved)} tier{plural} saved for {whose}." if saved else f"Tiers of {whose} removed."

    return list_post(price_list_id, form, action, anchor="#tiers")


# -- quantity rules -------------------------------------------------------------------------------


@bp.post("/<int:price_list_id>/rules")
@admin_required
def save_rule(price_list_id: int) -> Any:
    """Set the minimum, maximum and increment of a variant's lines (or every line's)."""
    form = request.form.get("form", "rule-new")

    def action(uow: UnitOfWork, shop: ShopSummary) -> str:
        variant_id = _variant_or_list(uow, shop)
        lists.set_quantity_rule(
            uow,
            shop_id=shop.id,
            price_list_id=price_list_id,
            variant_id=variant_id,
            minimum=_text("minimum") or 1,
            maximum=_text("maximum") or None,
            increment=_text("increment") or 1,
        )
        return "Quantity rule saved."

    return list_post(price_list_id, form, action, anchor="#rules")


@bp.post("/<int:price_list_id>/rules/remove")
@admin_required
def remove_rule(price_list_id: int) -> Any:
    """Remove a variant's quantity rule (or the list-wide one)."""

    def action(uow: UnitOfWork, shop: ShopSummary) -> str:
        variant_id = _variant_or_list(uow, shop)
        lists.remove_quantity_rule(uow, shop_id=shop.id, price_list_id=price_list_id, variant_id=variant_id)
        return "Quantity rule removed."

    return list_post(price_list_id, request.form.get("form", "rule-new"), action, anchor="#rules")


# -- assignments ----------------------------------------------------------------------------------


@bp.post("/<int:price_list_id>/assignments")
@admin_required
def add_assignment(price_list_id: int) -> Any:
    """Assign the list to a company, location, customer, tag, segment or everyone."""

    def action(uow: UnitOfWork, shop: ShopSummary) -> str:
        raw_target = _text("target")
        try:
            target = AssignmentTarget(raw_target)
        except ValueError:
            raise PricingInputError("Choose who the list applies to", field="target") from None
        name = TARGET_FIELDS.get(target)
        value: Any = None
        if name == "customer_tag":
            value = _text(name)
        elif name is not None:
            value = _id(name)
        if name is not None and value in (None, ""):
            what = {"customer_tag": "a tag", "segment_id": "a segment id"}.get(
                name, f"a {name[:-3].replace('_', ' ')}"
            )
            raise PricingInputError(f"Enter {what}", field=name)
        added = lists.add_assignment(
            uow,
            shop_id=shop.id,
            price_list_id=price_list_id,
            target=target,
            actor=actor(),
            **({name: value} if name else {}),
        )
        views = lists.list_assignments(uow, shop_id=shop.id, price_list_id=price_list_id)
        label = next(view.label for view in views if view.assignment.id == added.id)
        return f"The list now applies to {label[:1].lower() + label[1:]}."

    return list_post(price_list_id, "assignment", action, anchor="#assignments")


@bp.post("/<int:price_list_id>/assignments/<int:assignment_id>/remove")
@admin_required
def remove_assignment(price_list_id: int, assignment_id: int) -> Any:
    """Remove an assignment: the list no longer applies to that target."""

    def action(uow: UnitOfWork, shop: ShopSummary) -> str:
        lists.remove_assignment(
            uow, shop_id=shop.id, price_list_id=price_list_id, assignment_id=assignment_id, actor=actor()
        )
        return "Assignment removed."

    return list_post(price_list_id, "assignment", action, anchor="#assignments")
