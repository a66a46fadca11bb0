"""Pricing admin routes: publishing a list to Shopify, its status (page and JSON), the collection mirror."""

from __future__ import annotations

from flask import Response, abort, current_app, flash, jsonify, redirect, render_template, request
from werkzeug.wrappers import Response as BaseResponse

from app import services
from app.admin.views import admin_url
from app.auth.context import admin_required, current_shop_id, is_embedded
from app.auth.local import csrf_valid
from app.db import UnitOfWork
from app.errors import DomainError
from app.tenancy import get_for_shop
from pricing.models import PriceList
from pricing.service import publish as publishing
from pricing.views import bp

CSRF_REFUSAL = "The form expired. Reload the page and try again."
# How often the publish partial asks for fresh figures while a publish runs (its script reads it).
POLL_INTERVAL_MS = 2500


def _form_allowed() -> bool:
    # Inside Shopify admin the form comes through App Bridge's fetch with a session token no other
    # site can attach; with local sign-in the session cookie authenticates, so the token must match.
    by_app_bridge = is_embedded() and request.headers.get("Authorization", "").startswith("Bearer ")
    return by_app_bridge or csrf_valid(request.form.get("csrf_token"))


def _back_to(price_list_id: int) -> str:
    # The list's own page embeds the publish partial once the pages module provides it.
    if "pricing.price_list" in current_app.view_functions:
        return admin_url("pricing.price_list", price_list_id=price_list_id)
    return admin_url("pricing.publish_status", price_list_id=price_list_id)


def publish_context(uow: UnitOfWork, *, shop_id: int, price_list: PriceList) -> dict[str, object]:
    """What templates/admin/pricing/_publish.html needs: `price_list`, `publication`, `poll_interval_ms`."""
    publication = publishing.get_publication(uow, shop_id=shop_id, price_list_id=price_list.id)
    return {
        "price_list": price_list,
        "publication": publishing.publication_json(publication, price_list_id=price_list.id),
        "poll_interval_ms": POLL_INTERVAL_MS,
    }


@bp.post("/lists/<int:price_list_id>/publish")
@admin_required
def publish(price_list_id: int) -> BaseResponse:
    """Publish the list to Shopify B2B in the background (a catalog + price list)."""
    if not _form_allowed():
        abort(400, description=CSRF_REFUSAL)
    try:
        with services().db.unit_of_work() as uow:
            publishing.request_publish(uow, shop_id=current_shop_id(), price_list_id=price_list_id)
            uow.commit()
    except DomainError as exc:
        if exc.status == 404:
            abort(404, description=exc.detail)
        flash(exc.detail, "info" if exc.status == 409 else "critical")
        return redirect(_back_to(price_list_id), code=303)
    flash("Publishing to Shopify started. This page shows its progress.", "success")
    return redirect(_back_to(price_list_id), code=303)


@bp.get("/lists/<int:price_list_id>/publish")
@admin_required
def publish_status(price_list_id: int) -> str:
    """Show the list's last publish to Shopify: status, progress, what Shopify cannot express."""
    shop_id = current_shop_id()
    with services().db.unit_of_work() as uow:
        try:
            price_list = get_for_shop(uow.session, PriceList, shop_id, price_list_id)
        except DomainError as exc:
            abort(exc.status, description=exc.detail)
        return render_template(
            "admin/pricing/publish_status.html",
            **publish_context(uow, shop_id=shop_id, price_list=price_list),
        )


@bp.get("/lists/<int:price_list_id>/publish.json")
@admin_required
def publish_status_json(price_list_id: int) -> Response:
    """The list's last publish as JSON, for the page's polling (another shop's list is a 404)."""
    with services().db.unit_of_work() as uow:
        try:
            found = publishing.get_publication(uow, shop_id=current_shop_id(), price_list_id=price_list_id)
        except DomainError as exc:
            abort(exc.status, description=exc.detail)
        return jsonify(publishing.publication_json(found, price_list_id=price_list_id))


@bp.post("/collections/sync")
@admin_required
def sync_collections() -> BaseResponse:
    """Refresh the collection mirror from Shopify in the background."""
    if not _form_allowed():
        abort(400, description=CSRF_REFUSAL)
    shop_id = current_shop_id()
    back = request.form.get("price_list_id", type=int)
    with services().db.unit_of_work() as uow:
        if back is not None:
            try:
                get_for_shop(uow.session, PriceList, shop_id, back)
            except DomainError as exc:
                abort(exc.status, description=exc.detail)
        publishing.request_collections_sync(uow, shop_id=shop_id)
        uow.commit()
    flash("Collections are being refreshed from Shopify.", "success")
    if back is not None:
        return redirect(_back_to(back), code=303)
    if "pricing.price_lists" in current_app.view_functions:
        return redirect(admin_url("pricing.price_lists"), code=303)
    return redirect(admin_url("admin.home"), code=303)
