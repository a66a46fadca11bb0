"""Pricing admin routes: the price explainer and the simulator.

The explainer is a GET form (it changes nothing, so its result is a shareable URL); the simulator
runs on POST with the session's CSRF token and renders its result synchronously, bounded by
`simulate.MAX_ORDERS` orders per run. Bad input re-renders the form with the error by its field (422);
an id of another shop is a 404.
"""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any, NoReturn

from flask import abort, current_app, g, render_template, request

from app import services
from app.admin.home import ShopSummary, shop_summary
from app.admin.views import admin_url
from app.auth.context import admin_required, current_shop_id, is_embedded
from app.auth.local import csrf_valid
from app.db import UnitOfWork
from app.errors import InvalidInput, NotFound
from app.money import round_money
from crm.display import CURRENCY_SYMBOLS, format_money
from pricing.service import explain as explainer
from pricing.service import simulate as simulator
from pricing.tools_chart import change_chart
from pricing.validation import PricingInputError, parse_currency, parse_quantity
from pricing.views import bp

CSRF_REFUSAL = "The form expired or did not come from this page. Reload the page and try again."
NOT_FOUND = "This record does not exist in your store, or it was removed."
DEFAULT_MONTHS = 3
EXAMPLE_LINES = "SKU-123, 12\nSKU-456, 48"


def exact_money(amount: Decimal, currency: str) -> str:
    """A candidate's exact price: as money when it is a whole minor unit, else with every digit it has."""
    if round_money(amount, currency) == amount:
        return format_money(amount, currency)
    digits = f"{abs(amount).normalize():,f}"
    symbol = CURRENCY_SYMBOLS.get(currency.upper())
    sign = "-" if amount < 0 else ""
    return f"{sign}{symbol}{digits}" if symbol else f"{sign}{digits} {currency.upper()}"


bp.add_app_template_filter(exact_money, "tools_exact_money")


def _uow() -> UnitOfWork:
    return services().db.unit_of_work()


def _shop(uow: UnitOfWork) -> ShopSummary:
    shop = shop_summary(uow, shop_id=current_shop_id())
    g.admin_shop = shop  # the layout reads the shop from g: one load per request
    return shop


def _not_found() -> NoReturn:
    # One message for a missing id and another shop's: the two must look the same.
    abort(404, description=NOT_FOUND)


def _id(values: Any, name: str, what: str) -> int | None:
    """An optional id from a select; anything but digits is a field error."""
    raw = (values.get(name) or "").strip()
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        raise PricingInputError(f"Choose {what} from the list", field=name)
    return int(raw)


def _field_error(exc: InvalidInput) -> dict[str, str]:
    field = getattr(exc, "field", None) or "form"
    return {field: exc.detail[:1].upper() + exc.detail[1:]}


def _lists_url() -> str | None:
    return admin_url("pricing.price_lists") if "pricing.price_lists" in current_app.view_functions else None


def _list_url(price_list_id: int) -> str | None:
    if "pricing.price_list" not in current_app.view_functions:
        return None
    return admin_url("pricing.price_list", price_list_id=price_list_id)


# -- the explainer -------------------------------------------------------------------------------


@bp.get("/explain")
@admin_required
def explain() -> Any:
    """Price SKUs for a buyer and show, line by line, every list considered and why it won or lost."""
    args = request.args
    form = {
        "customer": args.get("customer", ""),
        "location": args.get("location", ""),
        "currency": args.get("currency", ""),
        "draft": args.get("draft", ""),
        "lines": args.get("lines", ""),
    }
    result = None
    errors: dict[str, str] = {}
    status = 200
    with _uow() as uow:
        shop = _shop(uow)
        if "lines" in args:
            try:
                currency = form["currency"].strip()
                result = explainer.explain(
                    uow,
                    shop_id=shop.id,
                    lines_text=form["lines"],
                    customer_id=_id(args, "customer", "a customer"),
                    company_location_id=_id(args, "location", "a company location"),
                    currency=parse_currency(currency) if currency else None,
                    draft_price_list_id=_id(args, "draft", "a draft list"),
                )
            except NotFound:
                _not_found()
            except InvalidInput as exc:
                uow.rollback()
                errors, status = _field_error(exc), 422
        lists = explainer.all_lists(uow, shop_id=shop.id)
        html = render_template(
            "admin/pricing/explain.html",
            shop=shop,
            form=form,
            errors=errors,
            result=result,
            options=explainer.buyer_options(uow, shop_id=shop.id),
            drafts=[row for row in lists if row.status.value == "draft"],
            currencies=sorted({shop.currency, *(row.currency for row in lists)}),
            example_lines=EXAMPLE_LINES,
            lists_url=_lists_url(),
            list_url=_list_url,
        )
    return html, status


# -- the simulator -------------------------------------------------------------------------------


def _render_simulate(
    *,
    form: dict[str, str],
    errors: dict[str, str] | None = None,
    result: simulator.SimulationResult | None = None,
    seconds: float | None = None,
    status: int = 200,
) -> Any:
    with _uow() as uow:
        shop = _shop(uow)
        lists = explainer.all_lists(uow, shop_id=shop.id)
        html = render_template(
            "admin/pricing/simulate.html",
            shop=shop,
            form=form,
            errors=errors or {},
            result=result,
            seconds=seconds,
            chart=change_chart(result) if result is not None and result.accounts else None,
            drafts=[row for row in lists if row.status.value == "draft"],
            lists=lists,
            months_choices=(1, 3, 6, 12, 24),
            min_months=simulator.MIN_MONTHS,
            max_months=simulator.MAX_MONTHS,
            max_orders=simulator.MAX_ORDERS,
            lists_url=_lists_url(),
            list_url=_list_url,
        )
    return html, status


@bp.get("/simulate")
@admin_required
def simulate() -> Any:
    """The simulator's form: pick a draft list, the list it replaces and a window of past orders."""
    draft = request.args.get("draft", "")
    if draft:
        # A link from a list's page preselects it; another shop's id must not be shown as chosen.
        try:
            draft_id = _id(request.args, "draft", "a draft list")
        except InvalidInput:
            draft_id = None
        if draft_id is None:
            draft = ""
        else:
            with _uow() as uow:
                try:
                    explainer.get_list(uow, shop_id=current_shop_id(), price_list_id=draft_id)
                except NotFound:
                    _not_found()
    return _render_simulate(form={"draft": draft, "replaces": "", "months": str(DEFAULT_MONTHS)})


@bp.post("/simulate")
@admin_required
def simulate_run() -> Any:
    """Re-price the window's orders with and without the draft and show the change per account."""
    _check_csrf()
    values = request.form
    form = {name: values.get(name, "") for name in ("draft", "replaces", "months")}
    started = time.perf_counter()
    with _uow() as uow:
        shop_id = current_shop_id()
        try:
            draft_id = _id(values, "draft", "a draft list")
            if draft_id is None:
                raise PricingInputError("Choose the draft list to simulate", field="draft")
            months = parse_quantity(form["months"], "The number of months", field="months")
            result = simulator.simulate(
                uow,
                shop_id=shop_id,
                draft_price_list_id=draft_id,
                replaces_price_list_id=_id(values, "replaces", "the list it replaces"),
                months=months,
            )
        except NotFound:
            _not_found()
        except InvalidInput as exc:
            uow.rollback()
            return _render_simulate(form=form, errors=_field_error(exc), status=422)
    return _render_simulate(form=form, result=result, seconds=time.perf_counter() - started)


def _check_csrf() -> None:
    # Inside Shopify admin App Bridge's fetch carries a session token no other site can attach;
    # everywhere else the session cookie authenticates, so the form's token must match.
    if is_embedded() and request.headers.get("Authorization", "").startswith("Bearer "):
        return
    if not csrf_valid(request.form.get("csrf_token")):
        abort(400, description=CSRF_REFUSAL)
