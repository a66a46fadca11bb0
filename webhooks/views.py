"""Webhook routes: Shopify's intake (`POST /webhooks`) and the admin's webhook log with its retry action."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request
from werkzeug.wrappers import Response as BaseResponse

from app import services
from app.admin.views import admin_url
from app.auth.context import admin_required, current_shop_id, is_embedded
from app.auth.local import csrf_valid
from app.errors import Conflict
from app.shops import get_shop
from webhooks import rules
from webhooks.models import DeliveryStatus
from webhooks.service import inbox, intake

log = logging.getLogger(__name__)

bp = Blueprint("webhooks", __name__)

# Set on an app (`app.config[...] = True`) to store deliveries without enqueueing their processing;
# `webhooks.service.processing.drain` (or the sweeper) processes them later. The demo seeds this way.
DEFER_PROCESSING = "WEBHOOKS_DEFER_PROCESSING"
CSRF_REFUSAL = "The form expired. Reload the page and try again."
# Header values are not verified when the signature fails: log only this much of them.
LOGGED_HEADER_CHARS = 80
# How WSGI names the X-Shopify-* and Shopify-* request headers (rules.read_headers takes either form).
_SHOPIFY_ENVIRON_PREFIXES = ("HTTP_X_SHOPIFY_", "HTTP_SHOPIFY_")


def _answer(status: int, detail: str) -> Response:
    return Response(detail, status=status, mimetype="text/plain")


def _shopify_headers(environ: dict[str, Any]) -> dict[str, str]:
    """The request's Shopify headers (X-Shopify-*, Shopify-*) by name, read straight from the WSGI environ:
    werkzeug's header view decodes every header of the request for the few the intake reads."""
    return {
        key[5:].replace("_", "-"): value
        for key, value in environ.items()
        if key.startswith(_SHOPIFY_ENVIRON_PREFIXES)
    }


@bp.post("/webhooks")
def receive() -> Response:
    """Take a Shopify delivery: check its signature, store it once, enqueue its processing, answer."""
    settings = services().settings
    request.max_content_length = intake.MAX_BODY_BYTES
    body = request.get_data(cache=False)
    headers = rules.read_headers(_shopify_headers(request.environ))
    if not headers.hmac:
        return _answer(400, "Missing header: X-Shopify-Hmac-Sha256")
    if not rules.verify_hmac(body, headers.hmac, settings.shopify_secrets):
        log.warning(
            "webhook refused: invalid HMAC (topic %r, shop %r)",
            (headers.topic or "")[:LOGGED_HEADER_CHARS],
            (headers.shop_domain or "")[:LOGGED_HEADER_CHARS],
        )
        return _answer(401, "Invalid HMAC")
    missing = headers.missing()
    if missing:
        return _answer(400, "Missing header(s): " + ", ".join(missing))
    too_long = headers.too_long()
    if too_long:
        return _answer(400, "Header(s) too long: " + ", ".join(too_long))
    receipt = intake.receive(
        services().db, headers=headers, body=body, enqueue=not current_app.config.get(DEFER_PROCESSING)
    )
    return _answer(receipt.status, receipt.detail)


def _status_arg() -> DeliveryStatus | None:
    value = request.args.get("status", "")
    try:
        return DeliveryStatus(value) if value else None
    except ValueError:
        return None


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() else None


@bp.get("/webhooks/log")
@admin_required
def log_page() -> str:
    """List the shop's webhook deliveries, newest first, by status and topic; failed ones can be retried."""
    shop_id = current_shop_id()
    status = _status_arg()
    topic = request.args.get("topic", "").strip() or None
    before = _int_arg("before")
    with services().db.unit_of_work() as uow:
        shop = get_shop(uow, shop_id=shop_id)
        timezone = shop.timezone
        rows = inbox.list_deliveries(
            uow, shop_id=shop_id, status=status, topic=topic, before_id=before, limit=inbox.LOG_PAGE_SIZE + 1
        )
        counts = inbox.status_counts(uow, shop_id=shop_id)
        topics = inbox.shop_topics(uow, shop_id=shop_id)
    deliveries = rows[: inbox.LOG_PAGE_SIZE]
    filters = {"status": status.value if status else None, "topic": topic}
    older_url = (
        admin_url("webhooks.log_page", **filters, before=deliveries[-1].id)
        if len(rows) > inbox.LOG_PAGE_SIZE
        else None
    )
    return render_template(
        "admin/webhooks.html",
        deliveries=deliveries,
        counts=counts,
        total=sum(counts.values()),
        statuses=list(DeliveryStatus),
        status=status,
        topic=topic,
        topics=topics,
        timezone=timezone,
        filters=filters,
        older_url=older_url,
        newest_url=admin_url("webhooks.log_page", **filters) if before else None,
    )


@bp.post("/webhooks/log/<int:delivery_id>/retry")
@admin_required
def retry(delivery_id: int) -> BaseResponse:
    """Queue a failed delivery again."""
    # Inside Shopify admin the form comes through App Bridge's fetch with a session token no other
    # site can attach; with local sign-in the session cookie authenticates, so the token must match.
    by_app_bridge = is_embedded() and request.headers.get("Authorization", "").startswith("Bearer ")
    if not by_app_bridge and not csrf_valid(request.form.get("csrf_token")):
        abort(400, description=CSRF_REFUSAL)
    shop_id = current_shop_id()
    try:
        with services().db.unit_of_work() as uow:
            inbox.retry_delivery(uow, shop_id=shop_id, delivery_id=delivery_id)
            uow.commit()
    except Conflict as exc:
        flash(exc.detail, "warning")
    else:
        flash(f"Delivery {delivery_id} is queued again.", "success")
    filters = {k: request.form.get(k) or None for k in ("status", "topic")}
    return redirect(admin_url("webhooks.log_page", **filters), code=303)
