"""The CRM blueprint and what its pages share: the request context, paging, CSRF and form parsing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, NoReturn

from flask import Blueprint, abort, g, redirect, request
from werkzeug.wrappers import Response as BaseResponse

from app import services
from app.admin.home import ShopSummary, shop_summary
from app.admin.views import admin_url
from app.api.problems import InvalidParameter
from app.auth.context import current_shop_id, current_staff, is_embedded
from app.auth.local import csrf_valid, safe_next
from app.db import UnitOfWork, utcnow
from app.errors import DomainError, InvalidInput, NotFound
from crm import display, notes, queries
from crm.models_work import CrmStaffMember

bp = Blueprint("crm", __name__)

LIST_LIMIT = 50
MAX_LIST_LIMIT = 250
CSRF_REFUSAL = "The form expired or did not come from this page. Reload the page and try again."
CURSOR_RESET = "That page of results is no longer available; showing the first page."

# -- shared ---------------------------------------------------------------------------------------

bp.add_app_template_filter(display.format_money, "crm_money")
bp.add_app_template_filter(display.format_day, "crm_day")
bp.add_app_template_filter(display.address_lines, "crm_address_lines")


class _Request:
    """What every CRM page needs: the shop, the signed-in staff member, the shop's today."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.shop: ShopSummary = shop_summary(uow, shop_id=current_shop_id())
        # The layout reads the shop from g: one load per request.
        g.admin_shop = self.shop
        staff = current_staff()
        self.me: CrmStaffMember = notes.ensure_staff_member(
            uow, shop_id=self.shop.id, name=staff.name, shopify_user_id=staff.user_id, email=staff.email
        )
        uow.commit()
        self.today: date = queries.shop_today(self.shop.timezone, utcnow())

    @property
    def actor(self) -> notes.Actor:
        return notes.Actor.of(self.me)


def _uow() -> UnitOfWork:
    return services().db.unit_of_work()


def _not_found(exc: NotFound) -> NoReturn:
    # One message for a missing id and another shop's: the two must look the same.
    abort(404, description="This record does not exist in your store, or it was removed.")


def _int_arg(name: str) -> int | None:
    raw = request.args.get(name, "")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 19 else None


def _limit() -> int:
    value = _int_arg("limit")
    return LIST_LIMIT if value is None else max(1, min(value, MAX_LIST_LIMIT))


def _page_url(endpoint: str, anchor: str = "", **changes: Any) -> str:
    """This page's URL with some query parameters changed (None drops one)."""
    args = {k: v for k, v in request.args.items() if k not in changes}
    args.update({k: v for k, v in changes.items() if v is not None})
    return admin_url(endpoint, **request.view_args or {}, **args) + anchor


def _pager(
    endpoint: str,
    page: queries.CrmPage[Any],
    *,
    cursor: str = "cursor",
    before: str = "before",
    anchor: str = "",
) -> dict[str, str | None]:
    """Previous/Next URLs of a paged list (None where there is no such page)."""
    return {
        "previous": _page_url(endpoint, anchor, **{cursor: None, before: page.previous_cursor})
        if page.previous_cursor
        else None,
        "next": _page_url(endpoint, anchor, **{cursor: page.next_cursor, before: None})
        if page.next_cursor
        else None,
    }


def _paged(
    load: Callable[..., queries.CrmPage[Any]], **kwargs: Any
) -> tuple[queries.CrmPage[Any], str | None]:
    """Load a page; a cursor that no longer works falls back to the first page with a message."""
    try:
        return load(**kwargs), None
    except InvalidParameter:
        return load(**{**kwargs, "cursor": None, "before": None}), CURSOR_RESET


def _check_csrf() -> None:
    # Inside Shopify admin the form is sent by App Bridge's fetch with a session token, which no
    # other site can attach; everywhere else the session cookie authenticates, so the token must match.
    if is_embedded() and request.headers.get("Authorization", "").startswith("Bearer "):
        return
    if not csrf_valid(request.form.get("csrf_token")):
        abort(400, description=CSRF_REFUSAL)


def _back(default: str) -> BaseResponse:
    return redirect(safe_next(request.form.get("next"), default=default), code=303)


def _form_int(name: str) -> int | None:
    raw = request.form.get(name, "").strip()
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        raise InvalidInput(f"{name}: choose one of the listed staff members")
    return int(raw)


def _form_date(name: str) -> date | None:
    raw = request.form.get(name, "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(f"{name}: enter a date as YYYY-MM-DD") from None


def _field_error(exc: DomainError) -> tuple[str, str]:
    """('field', 'message') from a service's 'field: message' detail."""
    field, sep, message = exc.detail.partition(": ")
    return (field, message[:1].upper() + message[1:]) if sep else ("", exc.detail)
