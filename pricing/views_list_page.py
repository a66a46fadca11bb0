"""One price list's page (status and actions, entries, adjustments, tiers, rules, assignments, the publish
card) and the buttons that activate, archive, duplicate or delete the list. `list_post` runs every form of
the page: CSRF, the service call, 303 back on success, the page again with the error by its field else.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import flash, redirect, render_template, request

from app.admin.home import ShopSummary
from app.admin.views import admin_url
from app.auth.context import admin_required
from app.auth.local import safe_next
from app.db import UnitOfWork, utcnow
from app.errors import Conflict, InvalidInput, NotFound
from pricing import list_pages, timeline, views_publish
from pricing.models import PriceListStatus
from pricing.service import lists
from pricing.views import bp
from pricing.views_lists import actor, check_csrf, failed, has_endpoint, load_shop, not_found, uow_

# -- one list -------------------------------------------------------------------------------------


def render_list(
    price_list_id: int,
    *,
    forms: dict[str, Any] | None = None,
    status: int = 200,
    uow: UnitOfWork | None = None,
) -> tuple[str, int]:
    """The list's page (with a failed form's error when given)."""
    if uow is None:
        with uow_() as own:
            return render_list(price_list_id, forms=forms, status=status, uow=own)
    shop = load_shop(uow)
    # A form sent from the page carries the page's search, entries page and account search, so the
    # page shown again with an error still shows the row the error is about.
    params = request.values
    state = {
        "q": params.get("q", "").strip(),
        "entries": params.get("entries", "").strip(),
        "who": params.get("who", "").strip(),
    }

    def url(anchor: str = "", **changes: str | None) -> str:
        values = {k: v for k, v in {**state, **changes}.items() if v}
        return admin_url("pricing.price_list", price_list_id=price_list_id, **values) + anchor

    try:
        view = list_pages.load_list_page(
            uow,
            shop_id=shop.id,
            price_list_id=price_list_id,
            entry_search=state["q"] or None,
            entry_cursor=state["entries"] or None,
            who=state["who"] or None,
        )
    except NotFound:
        not_found()
    # The publish card (pricing.views_publish) needs its own context; without it the card is left out.
    make_publish = getattr(views_publish, "publish_context", None)
    publish = make_publish(uow, shop_id=shop.id, price_list=view.summary.price_list) if make_publish else {}
    publish.pop("price_list", None)
    html = render_template(
        "admin/pricing/list.html",
        **publish,
        view=view,
        events=timeline.list_events(uow, shop_id=shop.id, price_list_id=price_list_id),
        price_list=view.summary.price_list,
        state=list_pages.display_state(view.summary.price_list, utcnow()),
        forms=forms or {},
        shop=shop,
        page_state=state,
        editable=view.summary.price_list.status is not PriceListStatus.ARCHIVED,
        cur=view.summary.price_list.currency,
        now_utc=utcnow(),
        entries_next=url("#entries", entries=view.entries.next_cursor) if view.entries.next_cursor else None,
        entries_first=url("#entries", entries=None) if state["entries"] else None,
        here=url(),
        list_url=admin_url("pricing.price_list", price_list_id=price_list_id),
        csv_upload_url=admin_url("pricing.csv_upload", price_list_id=price_list_id)
        if has_endpoint("pricing.csv_upload")
        else None,
        csv_export_url=admin_url("pricing.csv_export", price_list_id=price_list_id)
        if has_endpoint("pricing.csv_export")
        else None,
        explain_url=admin_url("pricing.explain") if has_endpoint("pricing.explain") else None,
        simulate_url=admin_url("pricing.simulate") if has_endpoint("pricing.simulate") else None,
    )
    return html, status


@bp.get("/<int:price_list_id>")
@admin_required
def price_list(price_list_id: int) -> Any:
    """Show one price list: status and actions, entries, adjustments, tiers, quantity rules, assignments."""
    return render_list(price_list_id)


def list_post(
    price_list_id: int,
    form: str,
    action: Callable[[UnitOfWork, ShopSummary], str],
    *,
    anchor: str = "",
    done: Callable[[], str] | None = None,
) -> Any:
    """Run one form of a list's page: flash and redirect (303) on success, re-render with the error else."""
    check_csrf()
    with uow_() as uow:
        shop = load_shop(uow)
        try:
            message = action(uow, shop)
        except NotFound:
            uow.rollback()
            not_found()
        except (InvalidInput, Conflict) as exc:
            uow.rollback()
            return render_list(price_list_id, forms=failed(exc, form), status=exc.status, uow=uow)
        uow.commit()
    flash(message, "success")
    page = admin_url("pricing.price_list", price_list_id=price_list_id)
    # `next` keeps the entries search and page the form was sent from.
    target = done() if done else safe_next(request.form.get("next"), default=page).split("#")[0] + anchor
    return redirect(target, code=303)


@bp.post("/<int:price_list_id>/activate")
@admin_required
def activate_price_list(price_list_id: int) -> Any:
    """Activate a draft: it prices its buyers (from its start, when it has one)."""

    def action(uow: UnitOfWork, shop: ShopSummary) -> str:
        activated = lists.activate_price_list(
            uow, shop_id=shop.id, price_list_id=price_list_id, actor=actor()
        )
        if activated.starts_at is not None and activated.starts_at > utcnow():
            return f"“{activated.name}” is scheduled: it starts pricing its buyers on its start date."
        return f"“{activated.name}” is active: it prices its buyers now."

    return list_post(price_list_id, "status", action)


@bp.post("/<int:price_list_id>/archive")
@admin_required
def archive_price_list(price_list_id: int) -> Any:
    """Archive a list: it prices nobody from now on, and its history stays."""

    def action(uow: UnitOfWork, shop: ShopSummary) -> str:
        archived = lists.archive_price_list(uow, shop_id=shop.id, price_list_id=price_list_id, actor=actor())
        return f"“{archived.name}” is archived: it no longer prices anyone."

    return list_post(price_list_id, "status", action)


@bp.post("/<int:price_list_id>/duplicate")
@admin_required
def duplicate_price_list(price_list_id: int) -> Any:
    """Copy a list, with its prices, tiers, rules and assignments, into a new draft and open the copy."""
    copied: dict[str, int] = {}

    def action(uow: UnitOfWork, shop: ShopSummary) -> str:
        copy = lists.duplicate_price_list(uow, shop_id=shop.id, price_list_id=price_list_id, actor=actor())
        copied["id"] = copy.id
        return f"Draft “{copy.name}” created from the list, with its prices and assignments."

    return list_post(
        price_list_id,
        "status",
        action,
        done=lambda: admin_url("pricing.price_list", price_list_id=copied["id"]),
    )


@bp.post("/<int:price_list_id>/delete")
@admin_required
def delete_price_list(price_list_id: int) -> Any:
    """Delete a draft and everything in it."""

    def action(uow: UnitOfWork, shop: ShopSummary) -> str:
        name = lists.get_price_list(uow, shop_id=shop.id, price_list_id=price_list_id).name
        lists.delete_price_list(uow, shop_id=shop.id, price_list_id=price_list_id)
        return f"Draft “{name}” deleted."

    return list_post(price_list_id, "status", action, done=lambda: admin_url("pricing.price_lists"))
