"""Who is asking: the embedded admin's App Bridge session token, or local sign-in in development."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from flask import Response, g, make_response, redirect, request, session, url_for
from markupsafe import escape
from sqlalchemy.exc import IntegrityError

from app import services
from app.auth.local import local_signin_enabled
from app.auth.service import complete_install, remember_staff, staff_profile
from app.auth.tokens import (
    REFRESH_MARGIN,
    TokenRefreshFailed,
    expires_within,
    fresh_offline_token,
    is_usable,
    token_set_from_sdk,
)
from app.config import Settings
from app.db import UnitOfWork, utcnow
from app.errors import InvalidInput, NotFound, Unauthorized
from app.shopify.sdk import shopify_http_client, shopify_sdk
from app.shops import find_shop_by_domain, get_shop, load_token, normalize_shop_domain

log = logging.getLogger(__name__)

PATCH_ID_TOKEN_PATH = "/auth/patch-id-token"
SHOPIFY_ADMIN_ORIGIN = "https://admin.shopify.com"
CSP_HEADER = "Content-Security-Policy"
# Session keys of local sign-in.
SESSION_SHOP_ID = "shop_id"
SESSION_STAFF = "staff"

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Staff:
    """The person using the admin."""

    name: str
    user_id: int | None = None  # the Shopify staff (user) id; None after local sign-in
    email: str | None = None


def current_shop_id() -> int:
    """The authenticated shop's id (only inside an `admin_required` view)."""
    shop_id = g.get("shop_id")
    if shop_id is None:
        raise Unauthorized("no authenticated shop: the view is not behind admin_required")
    return cast(int, shop_id)


def current_shop_domain() -> str:
    """The authenticated shop's myshopify domain."""
    current_shop_id()
    return cast(str, g.shop_domain)


def current_staff() -> Staff:
    """The authenticated staff member."""
    current_shop_id()
    return cast(Staff, g.staff)


def is_embedded() -> bool:
    """True when the request came through Shopify admin (App Bridge), False after local sign-in."""
    return bool(g.get("embedded", False))


def admin_required(view: F) -> F:
    """Authenticate an admin view: App Bridge session token first, then local sign-in, else refuse."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        settings = services().settings
        if _looks_embedded():
            outcome = _authenticate_embedded(settings)
            if isinstance(outcome, Response):
                return outcome
            response = make_response(view(*args, **kwargs))
            for name, value in outcome.items():
                if name.lower() != CSP_HEADER.lower():
                    response.headers[name] = value
            _ensure_frame_ancestors(
                response,
                f"https://{g.shop_domain} {SHOPIFY_ADMIN_ORIGIN}",
                inherited=outcome.get(CSP_HEADER),
            )
            return response
        if local_signin_enabled(settings) and _authenticate_local():
            response = make_response(view(*args, **kwargs))
            _ensure_frame_ancestors(response, "'self'")
            return response
        return _refuse(settings)

    return cast(F, wrapped)


def shopify_request() -> dict[str, Any]:
    """The Flask request in the SDK's shape: method, every header, the full URL and the raw body."""
    return {
        "method": request.method,
        "headers": dict(request.headers),
        "url": request.url,
        "body": request.get_data(as_text=True),
    }


def sdk_response(result: Any) -> Response:
    """The SDK's response, verbatim (status, body, headers); its log code goes to our log."""
    log.info("shopify: %s - %s", result.log.code, result.log.detail)
    return _response(result.response)


def _response(res: Any) -> Response:
    return Response(response=res.body, status=res.status, headers=dict(res.headers))


def with_frame_ancestors(policy: str | None, sources: str) -> str:
    """`policy` with its frame-ancestors directive set to `sources`, other directives kept."""
    wanted = f"frame-ancestors {sources}"
    directives = [d.strip() for d in (policy or "").split(";") if d.strip()]
    if wanted in directives:
        return cast(str, policy)
    kept = [d for d in directives if d.split(None, 1)[0].lower() != "frame-ancestors"]
    return "; ".join([*kept, wanted])


def _ensure_frame_ancestors(response: Response, sources: str, *, inherited: str | None = None) -> None:
    # A policy the view set wins over the SDK's; either way the frame-ancestors directive is ours.
    policy = response.headers.get(CSP_HEADER) or inherited
    response.headers[CSP_HEADER] = with_frame_ancestors(policy, sources)


def _looks_embedded() -> bool:
    if request.headers.get("Authorization", "").startswith("Bearer "):
        return True
    args = request.args
    return bool(args.get("id_token")) or args.get("embedded") == "1" or "host" in args or "shop" in args


def _authenticate_embedded(settings: Settings) -> Response | dict[str, str]:
    """Verify the session token, make sure the shop is installed with an offline token; SDK headers."""
    sdk = shopify_sdk(settings)
    result = sdk.verify_app_home_req(shopify_request(), app_home_patch_id_token_path=PATCH_ID_TOKEN_PATH)
    if not result.ok:
        return sdk_response(result)
    try:
        domain = normalize_shop_domain(f"{result.shop}.myshopify.com")
    except InvalidInput:
        log.warning("session token names an invalid shop %r", result.shop)
        return _unauthorized_page("The session token does not name a Shopify store.")
    user_id = _staff_id(result.user_id)
    try:
        with services().db.unit_of_work() as uow:
            connected = _connect_shop(uow, settings, sdk, result, domain=domain, user_id=user_id)
            if isinstance(connected, Response):
                return connected
            uow.commit()
    except IntegrityError:
        # A parallel request installed the shop (or stored this staff member) at the same moment.
        # The SDK's retry answer makes App Bridge repeat the request, which then finds both.
        log.warning("concurrent first load of %s; asking App Bridge to retry", domain)
        return _response(result.invalid_token_response)
    g.shop_id, g.shop_domain, g.staff = connected
    g.embedded = True
    return dict(result.response.headers)


def _connect_shop(
    uow: UnitOfWork, settings: Settings, sdk: Any, result: Any, *, domain: str, user_id: int | None
) -> Response | tuple[int, str, Staff]:
    """Make sure the shop is installed with a usable offline token; (shop id, domain, staff)."""
    cipher = services().cipher
    shop = find_shop_by_domain(uow, domain=domain)
    token = load_token(uow, cipher, shop_id=shop.id) if shop is not None and shop.is_installed else None
    needs_exchange = token is None or not is_usable(token)
    if (
        shop is not None
        and token is not None
        and not needs_exchange
        and expires_within(token, REFRESH_MARGIN)
    ):
        try:
            fresh_offline_token(uow, shop_id=shop.id)
        except TokenRefreshFailed:
            # The session token in hand can mint a new offline token: recover instead of failing.
            uow.rollback()
            needs_exchange = True
    if needs_exchange:
        with shopify_http_client(settings) as client:
            exchange = sdk.exchange_using_token_exchange(
                access_mode="offline",
                id_token=result.id_token,
                invalid_token_response=result.invalid_token_response,
                expiring=True,
                http_client=client,
            )
        if not exchange.ok or exchange.access_token is None:
            return sdk_response(exchange)
        # Managed installation: the first embedded load is the install.
        shop = complete_install(uow, cipher, domain=domain, tokens=token_set_from_sdk(exchange.access_token))
    if shop is None:  # unreachable: no shop means no token, which means an exchange above
        raise RuntimeError(f"shop {domain} neither found nor installed")
    staff = _staff(uow, settings, sdk, result, shop_id=shop.id, user_id=user_id)
    return shop.id, shop.domain, staff


def _staff(
    uow: UnitOfWork, settings: Settings, sdk: Any, result: Any, *, shop_id: int, user_id: int | None
) -> Staff:
    """The staff member behind the token; an online token exchange (about daily) learns their name."""
    if user_id is None:
        return Staff(name="Shopify staff")
    profile = staff_profile(uow, shop_id=shop_id, user_id=user_id)
    if profile is None or (profile.expires_at is not None and profile.expires_at <= utcnow()):
        with shopify_http_client(settings) as client:
            online = sdk.exchange_using_token_exchange(
                access_mode="online",
                id_token=result.id_token,
                invalid_token_response=None,
                http_client=client,
            )
        if online.ok and online.access_token is not None:
            profile = remember_staff(
                uow, services().cipher, shop_id=shop_id, user_id=user_id, token=online.access_token
            )
        else:
            # Only the display name depends on it: carry on with what is known.
            log.warning("online token exchange failed for shop %s: %s", shop_id, online.log.code)
    name = (profile.user_name if profile is not None else None) or f"Staff member {user_id}"
    return Staff(name=name, user_id=user_id, email=profile.user_email if profile is not None else None)


def _staff_id(raw: Any) -> int | None:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


def _authenticate_local() -> bool:
    """Load the locally signed-in shop and staff name from the session; False when there is none."""
    shop_id, staff_name = session.get(SESSION_SHOP_ID), session.get(SESSION_STAFF)
    if not isinstance(shop_id, int) or not isinstance(staff_name, str) or not staff_name:
        return False
    with services().db.unit_of_work() as uow:
        try:
            shop = get_shop(uow, shop_id=shop_id)
        except NotFound:  # deleted since sign-in
            shop = None
        if shop is None or not shop.is_installed:
            session.pop(SESSION_SHOP_ID, None)
            session.pop(SESSION_STAFF, None)
            return False
        g.shop_id = shop.id
        g.shop_domain = shop.domain
    g.staff = Staff(name=staff_name)
    g.embedded = False
    return True


def _refuse(settings: Settings) -> Response:
    if local_signin_enabled(settings):
        target = request.full_path if request.query_string else request.path
        return cast(Response, redirect(url_for("auth.signin", next=target)))
    return _unauthorized_page(
        "Tradeline runs inside Shopify admin. Open it from your store's Apps menu to sign in."
    )


def _unauthorized_page(message: str) -> Response:
    body = (
        "<!doctype html><html lang=en><meta charset=utf-8><title>Sign-in required</title>"
        f"<h1>Sign-in required</h1><p>{escape(message)}</p></html>"
    )
    response = Response(body, status=401, mimetype="text/html")
    response.headers["WWW-Authenticate"] = 'Bearer realm="Tradeline"'
    return response
