"""Admin pages: the layout's shared context, the home page and the HTML error pages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, Response, current_app, g, has_request_context, render_template, request, url_for
from werkzeug.exceptions import HTTPException

from app import services
from app.admin.formatting import format_count, format_datetime
from app.admin.home import ShopSummary, jobs_health, setup_steps, shop_summary, sync_status
from app.admin.icons import icon_svg
from app.admin.navigation import NavLink, navigation
from app.auth.context import admin_required, current_shop_id, is_embedded
from app.db import utcnow
from app.errors import NotFound

bp = Blueprint("admin", __name__)

API_PREFIX = "/api/"
# Query parameters Shopify adds to an embedded app's URL that identify the shop and admin host.
EMBEDDED_PARAMS = ("embedded", "shop", "host", "locale")


@bp.get("/")
@admin_required
def home() -> str:
    """Show the shop, its import status, the job queues and the next steps."""
    with services().db.unit_of_work() as uow:
        shop = shop_summary(uow, shop_id=current_shop_id())
        sync = sync_status(uow, shop.id)
        steps = setup_steps(uow, shop_id=shop.id, sync=sync)
    g.admin_shop = shop
    jobs = jobs_health()
    return render_template(
        "admin/home.html",
        shop=shop,
        sync=sync,
        jobs=jobs,
        steps=[(step, _endpoint_url(step.endpoint)) for step in steps],
        now=utcnow(),
    )


def _endpoint_url(endpoint: str | None) -> str | None:
    """The URL of an endpoint the app serves, or None for features not built yet."""
    if endpoint is None or endpoint not in current_app.view_functions:
        return None
    return admin_url(endpoint)


@bp.app_context_processor
def layout_context() -> dict[str, Any]:
    """What templates/admin/base.html needs on every page: the embedded flag, the shop, App Bridge's key."""
    in_request = has_request_context()
    return {
        "embedded": is_embedded() if in_request else False,
        "admin_shop": _signed_in_shop() if in_request else None,
        "admin_signout_url": _endpoint_url("auth.signout") if in_request else None,
        "admin_staff": g.get("staff") if in_request else None,
        "shopify_api_key": services().settings.SHOPIFY_API_KEY,
    }


def _signed_in_shop() -> ShopSummary | None:
    """The shop of this admin request (loaded once per request), or None before sign-in."""
    if "admin_shop" not in g:
        shop = None
        if g.get("shop_id") is not None:
            with services().db.unit_of_work() as uow:
                try:
                    shop = shop_summary(uow, shop_id=g.shop_id)
                except NotFound:
                    shop = None
        g.admin_shop = shop
    return g.admin_shop


@bp.app_template_global("admin_url")
def admin_url(endpoint: str, **values: Any) -> str:
    """`url_for`, keeping Shopify's embedded-app parameters so the next page can re-authenticate.

    Inside Shopify admin a plain link would lose `shop`/`host`/`embedded`; with them, the next page
    bounces through App Bridge for a fresh session token instead of falling back to local sign-in.
    """
    if is_embedded():
        for name in EMBEDDED_PARAMS:
            if name in request.args and name not in values:
                values[name] = request.args[name]
    return url_for(endpoint, **values)


@bp.app_template_global("admin_navigation")
def admin_navigation() -> list[NavLink]:
    """The left navigation for this request."""
    return navigation(
        endpoints=current_app.view_functions.keys(),
        current_endpoint=request.endpoint,
        url_for=admin_url,
    )


bp.add_app_template_global(icon_svg, "icon_svg")


@bp.app_template_filter("shop_datetime")
def shop_datetime(value: datetime | None, tz_name: str | None, with_time: bool = True) -> str:
    """`{{ shop.installed_at | shop_datetime(shop.timezone) }}`: the datetime in the shop's zone."""
    return format_datetime(value, tz_name, with_time=with_time)


@bp.app_template_filter("count_format")
def count_format(value: int) -> str:
    """`{{ n | count_format }}`: 12,345."""
    return format_count(value)


@bp.app_errorhandler(HTTPException)
def http_error_page(exc: HTTPException) -> Response | HTTPException:
    """Answer HTTP errors outside /api/ with the admin error page (the API answers problem+json itself)."""
    if request.path.startswith(API_PREFIX) or exc.code is None or exc.code < 400:
        return exc
    if exc.response is not None:
        # A view that built its own response (abort(response)) keeps it, headers and all.
        return exc.response
    body = render_template(
        "admin/error.html",
        status=exc.code,
        title=exc.name,
        detail=exc.description,
    )
    response = Response(body, status=exc.code, mimetype="text/html")
    for name, value in exc.get_headers():
        # Keep what the status needs (Allow on 405, WWW-Authenticate on 401), not the text/html type.
        if name.lower() != "content-type":
            response.headers[name] = value
    return response
