"""Marketing spend in the admin: what each acquisition channel cost per month, the cost side of CAC.

The page lists the shop's entries, adds one (or replaces a channel's month), edits an amount and deletes
an entry, through the same service functions as the REST API (segments.metrics): their validation is the
only one. A refused value re-renders the page (422) with the error at its field and nothing changed.
Another shop's entry is a 404 page. Routes on the segments blueprint (segments.views imports this module).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NoReturn

from flask import abort, flash, redirect, render_template, request
from flask.typing import ResponseReturnValue

from app.admin.home import ShopSummary
from app.admin.views import admin_url
from app.auth.context import admin_required
from app.db import UnitOfWork, utcnow
from app.errors import InvalidInput, NotFound
from app.money import round_money
from crm.display import format_money
from segments import metrics
from segments.metrics.acquisition import channel_cac
from segments.models_spend import MarketingSpend
from segments.views import bp, check_csrf, load_shop, uow_

SPEND_NOT_FOUND = "This spend entry does not exist in your store, or it was removed."
SPEND_FIELDS = ("channel", "month", "amount")
CAC_PERIOD = "last_12_months"
# Suggested in the channel field: the acquisition sources Tradeline reads from first orders.
EXAMPLE_CHANNELS = ("utm:google", "utm:facebook", "utm:newsletter", "referrer:instagram.com")


@dataclass(frozen=True)
class FormError:
    """A refused value: the field it names ("" for the form as a whole) and the message."""

    field: str
    message: str


def form_error(exc: InvalidInput) -> FormError:
    """Place the service's "field: message" at its field."""
    field, sep, message = exc.detail.partition(": ")
    if sep and field in (*SPEND_FIELDS, "currency"):
        return FormError("amount" if field == "currency" else field, message[:1].upper() + message[1:])
    return FormError("", exc.detail)


def month_label(row: MarketingSpend) -> str:
    """`November 2026`."""
    return f"{row.month:%B %Y}"


def _row_or_404(uow: UnitOfWork, shop_id: int, spend_id: int) -> MarketingSpend:
    try:
        return metrics.get_spend(uow, shop_id=shop_id, spend_id=spend_id)
    except NotFound:
        _not_found()


def _not_found() -> NoReturn:
    abort(404, description=SPEND_NOT_FOUND)


def _page(
    uow: UnitOfWork,
    shop: ShopSummary,
    *,
    values: dict[str, str] | None = None,
    error: FormError | None = None,
    editing: int | None = None,
    edit_values: dict[str, str] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    rows = metrics.list_spend(uow, shop_id=shop.id)
    period = metrics.preset_period(CAC_PERIOD, timezone=shop.timezone, now=utcnow())
    channels = (
        channel_cac(uow, shop_id=shop.id, currency=shop.currency, period=period, now=utcnow()) if rows else []
    )
    known = sorted({row.channel for row in rows} | set(EXAMPLE_CHANNELS))
    return render_template(
        "admin/segments/marketing_spend.html",
        shop=shop,
        rows=rows,
        channels=channels,
        period=period,
        known_channels=known,
        values=values or {},
        error=error if editing is None else None,
        editing=editing,
        edit_values=edit_values or {},
        edit_error=error if editing is not None else None,
        month_label=month_label,
    ), status


@bp.get("/marketing-spend", endpoint="marketing_spend")
@admin_required
def marketing_spend() -> ResponseReturnValue:
    """List the spend entered per channel and month, with the form to add one and CAC per channel."""
    with uow_() as uow:
        return _page(uow, load_shop(uow))


def _form_values() -> dict[str, str]:
    return {name: request.form.get(name, "").strip() for name in SPEND_FIELDS}


@bp.post("/marketing-spend", endpoint="add_spend")
@admin_required
def add_spend() -> ResponseReturnValue:
    """Record a channel's spend for a month in the shop's currency (a month already entered is replaced)."""
    check_csrf()
    values = _form_values()
    started = utcnow()
    with uow_() as uow:
        shop = load_shop(uow)
        try:
            row = metrics.set_spend(uow, shop_id=shop.id, **values)
        except InvalidInput as exc:
            uow.rollback()
            return _page(uow, shop, values=values, error=form_error(exc), status=422)
        replaced = row.created_at < started
        what = f"{row.channel}, {month_label(row)}"
        amount = format_money(row.amount, row.currency)
        uow.commit()
    if replaced:
        flash(f"{what} was already entered: its spend is now {amount}.")
    else:
        flash(f"Spend added: {what}, {amount}.")
    return redirect(admin_url("segments.marketing_spend"), code=303)


@bp.get("/marketing-spend/<int:spend_id>/edit", endpoint="edit_spend")
@admin_required
def edit_spend(spend_id: int) -> ResponseReturnValue:
    """The list with one entry's amount open for editing."""
    with uow_() as uow:
        shop = load_shop(uow)
        row = _row_or_404(uow, shop.id, spend_id)
        return _page(
            uow, shop, editing=row.id, edit_values={"amount": str(round_money(row.amount, row.currency))}
        )


@bp.post("/marketing-spend/<int:spend_id>/edit", endpoint="update_spend")
@admin_required
def update_spend(spend_id: int) -> ResponseReturnValue:
    """Change the amount of one entry (its channel and month stay; delete and add to move it)."""
    check_csrf()
    amount = request.form.get("amount", "").strip()
    with uow_() as uow:
        shop = load_shop(uow)
        row = _row_or_404(uow, shop.id, spend_id)
        fields: dict[str, Any] = {"channel": row.channel, "month": row.month, "currency": row.currency}
        try:
            metrics.set_spend(uow, shop_id=shop.id, amount=amount, **fields)
        except InvalidInput as exc:
            uow.rollback()
            return _page(
                uow, shop, editing=spend_id, edit_values={"amount": amount}, error=form_error(exc), status=422
            )
        message = f"Spend saved: {row.channel}, {month_label(row)}, {format_money(row.amount, row.currency)}."
        uow.commit()
    flash(message)
    return redirect(admin_url("segments.marketing_spend"), code=303)


@bp.post("/marketing-spend/<int:spend_id>/delete", endpoint="delete_spend")
@admin_required
def delete_spend(spend_id: int) -> ResponseReturnValue:
    """Delete one entry."""
    check_csrf()
    with uow_() as uow:
        shop = load_shop(uow)
        row = _row_or_404(uow, shop.id, spend_id)
        what = f"{row.channel}, {month_label(row)}"
        metrics.delete_spend(uow, shop_id=shop.id, spend_id=row.id)
        uow.commit()
    flash(f"Spend deleted: {what}.")
    return redirect(admin_url("segments.marketing_spend"), code=303)
