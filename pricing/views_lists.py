"""Price list admin pages: the lists (with the shop's precedence setting) and the create/edit form, plus
what every price list page shares. One list's page and its status buttons are in pricing.views_list_page,
the forms that change its contents (entries, adjustments, tiers, rules, assignments) in
pricing.views_list_contents.

Every page is `admin_required` and calls pricing.service.lists; every form POSTs with the session's CSRF
token and redirects (303) on success. Bad input re-renders the page with the error by its field (422), a
refused transition (409) with the reason; nothing changes. An id of another shop is a 404 page.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, NoReturn

from flask import abort, current_app, flash, g, redirect, render_template, request

from app import services
from app.admin.formatting import shop_zone
from app.admin.home import ShopSummary, shop_summary
from app.admin.views import admin_url
from app.api.problems import InvalidParameter
from app.auth.context import admin_required, current_shop_id, current_staff, is_embedded
from app.auth.local import csrf_valid
from app.db import UnitOfWork, utcnow
from app.errors import Conflict, DomainError, InvalidInput, NotFound
from pricing import list_pages
from pricing.models import Precedence, PriceBase, PriceList, PriceListStatus
from pricing.service import lists
from pricing.views import bp

LIST_LIMIT = 50
# Scheduled, live and expired are all ACTIVE in the database: those tabs read up to this many active lists
# and keep the ones whose window matches (a shop has a handful of lists, far below it).
DERIVED_LIMIT = 250
CSRF_REFUSAL = "The form expired or did not come from this page. Reload the page and try again."
CURSOR_RESET = "That page of results is no longer available; showing the first page."
NOT_FOUND = "This price list does not exist in your store, or it was removed."
STATUS_TABS = (
    ("", "All"),
    ("active", "Active"),
    ("scheduled", "Scheduled"),
    ("draft", "Draft"),
    ("expired", "Expired"),
    ("archived", "Archived"),
)
SORT_LABELS = {
    "name": "Name A\N{EN DASH}Z",
    "-name": "Name Z\N{EN DASH}A",
    "-priority": "Priority (highest)",
    "-updated_at": "Updated (newest)",
}
PRECEDENCE_HELP = {
    Precedence.LOWEST_PRICE: (
        "Lowest price",
        "Among the lists that apply to a buyer, the lowest price wins (Shopify's own B2B rule).",
    ),
    Precedence.PRIORITY: (
        "Priority",
        "Among the lists that apply to a buyer, the list with the highest priority wins, even when "
        "another list is cheaper.",
    ),
}


# -- shared ---------------------------------------------------------------------------------------

bp.add_app_template_filter(list_pages.amount_text, "pl_amount")
bp.add_app_template_filter(list_pages.percent_text, "pl_percent")
bp.add_app_template_filter(list_pages.number_text, "pl_number")


def uow_() -> UnitOfWork:
    """A unit of work on the app's database."""
    return services().db.unit_of_work()


def load_shop(uow: UnitOfWork) -> ShopSummary:
    """The signed-in shop; the layout reads it from g (one load per request)."""
    shop = shop_summary(uow, shop_id=current_shop_id())
    g.admin_shop = shop
    return shop


def not_found() -> NoReturn:
    """The 404 page: a missing id and another shop's look the same."""
    abort(404, description=NOT_FOUND)


def check_csrf() -> None:
    """Refuse a form without this session's CSRF token (inside Shopify admin the session token stands in)."""
    if is_embedded() and request.headers.get("Authorization", "").startswith("Bearer "):
        return
    if not csrf_valid(request.form.get("csrf_token")):
        abort(400, description=CSRF_REFUSAL)


def actor() -> str:
    """Who made a change, for the timeline."""
    return current_staff().name


def form_values() -> dict[str, str]:
    """The submitted form minus the token, to fill the form again after an error."""
    return {k: v for k, v in request.form.items() if k != "csrf_token"}


def failed(exc: DomainError, form: str) -> dict[str, dict[str, Any]]:
    """A failed form for the template: the message, the field it belongs to and what was typed."""
    field = getattr(exc, "field", None) or ""
    message = exc.detail
    if not field:
        # Service messages without a field read "field: message" (see crm.views._shared._field_error).
        head, sep, rest = message.partition(": ")
        if sep and head.isidentifier():
            field, message = head, rest
    if isinstance(exc, Conflict) and "already exists" in message:
        field = "name"
    return {form: {"error": message[:1].upper() + message[1:], "field": field, "values": form_values()}}


def page_url(endpoint: str, anchor: str = "", **changes: Any) -> str:
    """This page's URL with some query parameters changed (None drops one)."""
    args = {k: v for k, v in request.args.items() if k not in changes}
    args.update({k: v for k, v in changes.items() if v is not None})
    return admin_url(endpoint, **(request.view_args or {}), **args) + anchor


def has_endpoint(endpoint: str) -> bool:
    """Whether another pricing page (CSV, explainer, simulator, publishing) is served yet."""
    return endpoint in current_app.view_functions


# -- the lists ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ListRow:
    """One line of the lists table."""

    summary: lists.PriceListSummary
    state: list_pages.DisplayState
    audience: str

    @property
    def price_list(self) -> PriceList:
        return self.summary.price_list


def _rows(uow: UnitOfWork, shop_id: int, summaries: Iterable[lists.PriceListSummary]) -> list[ListRow]:
    summaries = list(summaries)
    now = utcnow()
    audiences = list_pages.audience_summaries(
        uow, shop_id=shop_id, price_list_ids=[s.price_list.id for s in summaries]
    )
    return [
        ListRow(s, list_pages.display_state(s.price_list, now), audiences.get(s.price_list.id, "Nobody yet"))
        for s in summaries
    ]


def _load_lists(
    uow: UnitOfWork, shop_id: int, tab: str, search: str | None, sort: str, cursor: str | None
) -> tuple[list[ListRow], str | None, str | None]:
    """The rows of a tab, the next page's cursor and a notice (an unusable cursor)."""
    if tab in {"active", "scheduled", "expired"}:
        page = lists.list_price_lists(
            uow, shop_id=shop_id, status=PriceListStatus.ACTIVE, search=search, sort=sort, limit=DERIVED_LIMIT
        )
        rows = [row for row in _rows(uow, shop_id, page.items) if row.state.key == tab]
        return rows, None, None
    kwargs: dict[str, Any] = dict(
        shop_id=shop_id, status=tab or None, search=search, sort=sort, limit=LIST_LIMIT
    )
    try:
        page, notice = lists.list_price_lists(uow, cursor=cursor, **kwargs), None
    except (InvalidParameter, InvalidInput):
        page, notice = lists.list_price_lists(uow, cursor=None, **kwargs), CURSOR_RESET
    return _rows(uow, shop_id, page.items), page.next_cursor, notice


def _render_lists(*, forms: dict[str, Any] | None = None, status: int = 200) -> tuple[str, int]:
    args = request.args
    tab = args.get("status", "") if args.get("status", "") in dict(STATUS_TABS) else ""
    sort = args.get("sort") if args.get("sort") in SORT_LABELS else "name"
    search = args.get("q", "").strip() or None
    with uow_() as uow:
        shop = load_shop(uow)
        rows, next_cursor, notice = _load_lists(uow, shop.id, tab, search, sort, args.get("cursor") or None)
        precedence = lists.get_precedence(uow, shop_id=shop.id)
        html = render_template(
            "admin/pricing/lists.html",
            rows=rows,
            tab=tab,
            tab_label=dict(STATUS_TABS)[tab],
            tabs=[
                (key, label, page_url("pricing.price_lists", status=key or None, cursor=None))
                for key, label in STATUS_TABS
            ],
            sort=sort,
            sorts=list(SORT_LABELS.items()),
            search=search,
            next_url=page_url("pricing.price_lists", cursor=next_cursor) if next_cursor else None,
            first_url=page_url("pricing.price_lists", cursor=None) if args.get("cursor") else None,
            filtered=bool(tab or search),
            notice=notice,
            precedence=precedence,
            precedence_help=PRECEDENCE_HELP,
            forms=forms or {},
            explain_url=admin_url("pricing.explain") if has_endpoint("pricing.explain") else None,
            simulate_url=admin_url("pricing.simulate") if has_endpoint("pricing.simulate") else None,
            shop=shop,
        )
    return html, status


@bp.get("")
@admin_required
def price_lists() -> Any:
    """List the shop's price lists with their status, audience and size; the precedence setting."""
    return _render_lists()


@bp.post("/precedence")
@admin_required
def set_precedence() -> Any:
    """Choose how the price is picked when several lists apply to a buyer."""
    check_csrf()
    with uow_() as uow:
        shop = load_shop(uow)
        try:
            chosen = lists.set_precedence(uow, shop_id=shop.id, precedence=request.form.get("precedence", ""))
        except InvalidInput as exc:
            uow.rollback()
            return _render_lists(forms=failed(exc, "precedence"), status=422)
        uow.commit()
    flash(f"Precedence set to “{PRECEDENCE_HELP[chosen][0]}”.", "success")
    return redirect(admin_url("pricing.price_lists") + "#precedence", code=303)


# -- create and edit ------------------------------------------------------------------------------


def _list_form_values(shop: ShopSummary) -> dict[str, Any]:
    """The create/edit form as service keyword arguments; PricingInputError names a bad field."""
    form = request.form
    zone = shop_zone(shop.timezone)
    return {
        "name": form.get("name", ""),
        "currency": form.get("currency", "").strip() or shop.currency,
        "description": form.get("description", "").strip() or None,
        "base": form.get("base", PriceBase.RETAIL.value),
        "priority": form.get("priority", "").strip() or 0,
        "order_minimum": form.get("order_minimum", "").strip() or None,
        "starts_at": list_pages.parse_local_datetime(form.get("starts_at", ""), zone, field="starts_at"),
        "ends_at": list_pages.parse_local_datetime(form.get("ends_at", ""), zone, field="ends_at"),
    }


def _render_form(
    shop: ShopSummary, price_list: PriceList | None, *, forms: dict[str, Any] | None = None, status: int = 200
) -> tuple[str, int]:
    zone = shop_zone(shop.timezone)
    if price_list is None:
        values: dict[str, Any] = {"currency": shop.currency, "base": PriceBase.RETAIL.value, "priority": "0"}
    else:
        values = {
            "name": price_list.name,
            "currency": price_list.currency,
            "description": price_list.description or "",
            "base": price_list.base.value,
            "priority": str(price_list.priority),
            "order_minimum": ""
            if price_list.order_minimum is None
            else f"{price_list.order_minimum.normalize():f}",
            "starts_at": list_pages.local_input(price_list.starts_at, zone),
            "ends_at": list_pages.local_input(price_list.ends_at, zone),
        }
    form = (forms or {}).get("list", {})
    values.update(form.get("values", {}))
    html = render_template(
        "admin/pricing/form.html",
        price_list=price_list,
        values=values,
        form=form,
        forms=forms or {},
        archived=price_list is not None and price_list.status is PriceListStatus.ARCHIVED,
        shop=shop,
        bases=[(PriceBase.RETAIL.value, "Retail price"), (PriceBase.COMPARE_AT.value, "Compare-at price")],
    )
    return html, status


@bp.get("/new")
@admin_required
def new_price_list() -> Any:
    """The form to create a price list."""
    with uow_() as uow:
        return _render_form(load_shop(uow), None)


@bp.post("/new")
@admin_required
def create_price_list() -> Any:
    """Create a draft price list and open it."""
    check_csrf()
    with uow_() as uow:
        shop = load_shop(uow)
        try:
            created = lists.create_price_list(uow, shop_id=shop.id, actor=actor(), **_list_form_values(shop))
        except (InvalidInput, Conflict) as exc:
            uow.rollback()
            return _render_form(shop, None, forms=failed(exc, "list"), status=exc.status)
        uow.commit()
        target, name = created.id, created.name
    flash(f"Price list “{name}” created as a draft. Add prices, then activate it.", "success")
    return redirect(admin_url("pricing.price_list", price_list_id=target), code=303)


@bp.get("/<int:price_list_id>/edit")
@admin_required
def edit_price_list(price_list_id: int) -> Any:
    """The form to change a price list's settings."""
    with uow_() as uow:
        shop = load_shop(uow)
        try:
            price_list = lists.get_price_list(uow, shop_id=shop.id, price_list_id=price_list_id)
        except NotFound:
            not_found()
        return _render_form(shop, price_list)


@bp.post("/<int:price_list_id>/edit")
@admin_required
def update_price_list(price_list_id: int) -> Any:
    """Save a price list's settings."""
    check_csrf()
    with uow_() as uow:
        shop = load_shop(uow)
        try:
            price_list = lists.get_price_list(uow, shop_id=shop.id, price_list_id=price_list_id)
        except NotFound:
            not_found()
        try:
            lists.update_price_list(
                uow, shop_id=shop.id, price_list_id=price_list_id, actor=actor(), **_list_form_values(shop)
            )
        except (InvalidInput, Conflict) as exc:
            uow.rollback()
            price_list = lists.get_price_list(uow, shop_id=shop.id, price_list_id=price_list_id)
            return _render_form(shop, price_list, forms=failed(exc, "list"), status=exc.status)
        uow.commit()
    flash("Price list saved.", "success")
    return redirect(admin_url("pricing.price_list", price_list_id=price_list_id), code=303)


# Last: one list's page and its forms register their routes on `bp` too.
from pricing import views_list_contents, views_list_page  # noqa: E402, F401
