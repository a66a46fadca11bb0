"""Auth routes: App Bridge's token-refresh page, the legacy OAuth install, local sign-in."""

from __future__ import annotations

import hmac
import secrets
import time

from flask import Blueprint, Response, abort, redirect, render_template, request, session, url_for
from itsdangerous import BadSignature, URLSafeTimedSerializer
from markupsafe import escape
from werkzeug.wrappers import Response as BaseResponse

from app import services
from app.auth.context import (
    SESSION_SHOP_ID,
    SESSION_STAFF,
    sdk_response,
    shopify_request,
    with_frame_ancestors,
)
from app.auth.local import csrf_token, csrf_valid, local_signin_enabled, safe_next
from app.auth.oauth import app_admin_url, authorize_url, is_shop_domain, timestamp_is_fresh, valid_oauth_hmac
from app.auth.service import complete_install, exchange_authorization_code, installed_shops
from app.config import Settings
from app.errors import DomainError
from app.shopify.sdk import shopify_sdk

bp = Blueprint("auth", __name__)
# Forms in any template (the layout's sign-out button among them) embed `{{ csrf_token() }}`.
bp.add_app_template_global(csrf_token, "csrf_token")

STATE_COOKIE = "tradeline_oauth_state"
STATE_COOKIE_PATH = "/auth"
STATE_SALT = "tradeline.oauth-state"
# The merchant approves within minutes; a state older than this is refused.
STATE_MAX_AGE_S = 600
DEFAULT_STAFF_NAME = "Demo admin"
STAFF_NAME_MAX_CHARS = 255


@bp.get("/auth/patch-id-token")
def patch_id_token() -> BaseResponse:
    """Serve App Bridge's page that fetches a fresh session token and reloads the original URL."""
    return sdk_response(shopify_sdk(services().settings).app_home_patch_id_token(shopify_request()))


@bp.get("/auth/install")
def install() -> BaseResponse:
    """Start the legacy authorization-code grant: check Shopify's signature, then ask the merchant."""
    settings = services().settings
    shop = request.args.get("shop", "")
    refusal = _check_signed_query(settings, shop)
    if refusal is not None:
        return refusal
    nonce = secrets.token_urlsafe(32)
    response = redirect(
        authorize_url(
            shop=shop,
            client_id=settings.SHOPIFY_API_KEY,
            scopes=settings.SCOPES,
            redirect_uri=settings.APP_URL.rstrip("/") + url_for("auth.callback"),
            state=nonce,
        )
    )
    secure = _secure_cookies(settings)
    response.set_cookie(
        STATE_COOKIE,
        _state_serializer(settings).dumps({"nonce": nonce, "shop": shop}),
        max_age=STATE_MAX_AGE_S,
        path=STATE_COOKIE_PATH,
        httponly=True,
        secure=secure,
        # The approval round trip may start inside Shopify admin's iframe; browsers drop a
        # SameSite=None cookie unless it is Secure, so plain-http development falls back to Lax.
        samesite="None" if secure else "Lax",
    )
    return response


@bp.get("/auth/callback")
def callback() -> BaseResponse:
    """Finish the legacy grant: check signature, timestamp, shop and state; trade the code; store it."""
    settings = services().settings
    shop = request.args.get("shop", "")
    refusal = _check_signed_query(settings, shop)
    if refusal is None:
        refusal = _check_state(settings, shop)
    if refusal is None and not request.args.get("code"):
        refusal = _refusal(400, "The callback carries no authorization code.")
    if refusal is not None:
        _clear_state_cookie(refusal)
        return refusal
    try:
        tokens = exchange_authorization_code(settings, shop=shop, code=request.args["code"])
        svc = services()
        with svc.db.unit_of_work() as uow:
            complete_install(uow, svc.cipher, domain=shop, tokens=tokens)
            uow.commit()
    except DomainError as exc:
        refusal = _refusal(exc.status, exc.detail)
        _clear_state_cookie(refusal)
        return refusal
    response = redirect(app_admin_url(shop=shop.lower(), client_id=settings.SHOPIFY_API_KEY))
    _clear_state_cookie(response)
    return response


@bp.route("/signin", methods=["GET", "POST"])
def signin() -> BaseResponse:
    """Sign in locally as a staff member of a registered shop (development and demos only)."""
    if not local_signin_enabled(services().settings):
        abort(404)
    with services().db.unit_of_work() as uow:
        registered = installed_shops(uow)
        shops = [(s.domain, s.name) for s in registered]
        shop_ids = {s.domain: s.id for s in registered}
    next_url = safe_next(request.values.get("next"), default="")
    selected, staff, error, status = (shops[0][0] if shops else ""), DEFAULT_STAFF_NAME, None, 200
    if request.method == "POST":
        selected = request.form.get("shop", "").strip().lower()
        staff = " ".join(request.form.get("staff", "").split())
        if not csrf_valid(request.form.get("csrf_token")):
            error, status = "The form expired. Sign in again.", 400
        elif selected not in shop_ids:
            error, status = "Choose one of the registered shops.", 422
        elif not staff or len(staff) > STAFF_NAME_MAX_CHARS:
            error, status = f"Enter a display name of 1 to {STAFF_NAME_MAX_CHARS} characters.", 422
        else:
            # A new identity gets a fresh session (and CSRF token).
            session.clear()
            session[SESSION_SHOP_ID] = shop_ids[selected]
            session[SESSION_STAFF] = staff
            return redirect(next_url or "/")
    html = render_template(
        "admin/signin.html",
        shops=shops,
        selected_shop=selected,
        staff=staff,
        error=error,
        next_url=next_url,
    )
    response = Response(html, status=status, mimetype="text/html")
    response.headers["Content-Security-Policy"] = with_frame_ancestors(None, "'self'")
    return response


@bp.route("/signout", methods=["GET", "POST"])
def signout() -> BaseResponse:
    """Forget the local sign-in."""
    # No CSRF check: a forged request can only sign someone out, and a plain link must work too.
    if not local_signin_enabled(services().settings):
        abort(404)
    session.clear()
    return redirect(url_for("auth.signin"))


def _check_signed_query(settings: Settings, shop: str) -> Response | None:
    """Refuse unless the query names a myshopify shop, is signed by Shopify and is recent."""
    if not is_shop_domain(shop):
        return _refusal(400, "The shop parameter must be a store's myshopify.com domain.")
    if not valid_oauth_hmac(request.query_string, settings.shopify_secrets):
        return _refusal(401, "The request's signature (hmac) is not valid for this app.")
    if not timestamp_is_fresh(request.args.get("timestamp"), now=time.time()):
        return _refusal(401, "The request is too old (or its clock is off); start again from Shopify admin.")
    return None


def _check_state(settings: Settings, shop: str) -> Response | None:
    raw = request.cookies.get(STATE_COOKIE, "")
    try:
        issued = _state_serializer(settings).loads(raw, max_age=STATE_MAX_AGE_S) if raw else None
    except BadSignature:
        issued = None
    state = request.args.get("state", "")
    if (
        not isinstance(issued, dict)
        or not state
        or issued.get("shop") != shop
        or not hmac.compare_digest(str(issued.get("nonce", "")).encode(), state.encode())
    ):
        return _refusal(
            403, "The installation's state does not match this browser; start again from Shopify admin."
        )
    return None


def _state_serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.SECRET_KEY, salt=STATE_SALT)


def _secure_cookies(settings: Settings) -> bool:
    return settings.APP_URL.startswith("https://")


def _clear_state_cookie(response: BaseResponse) -> None:
    secure = _secure_cookies(services().settings)
    response.delete_cookie(
        STATE_COOKIE,
        path=STATE_COOKIE_PATH,
        secure=secure,
        httponly=True,
        samesite="None" if secure else "Lax",
    )


def _refusal(status: int, message: str) -> Response:
    body = (
        "<!doctype html><html lang=en><meta charset=utf-8><title>Installation refused</title>"
        f"<h1>Installation refused</h1><p>{escape(message)}</p></html>"
    )
    return Response(body, status=status, mimetype="text/html")
