"""Webhook routes: Shopify's intake (`POST /webhooks`) and the admin's webhook log with its retry action."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request
from werkzeug.wrappers import Response as BaseResponse

from app import services
from app.admin.views import admin_url
from app.auth.context import admin_required, current_shop_id, is_embedded
from app.auth.local import csrf_valid
from app.errors import Conflict
from app.shops import get_shop
from webhooks import wsgi
from webhooks.models import DeliveryStatus
from webhooks.service import inbox

# Where the demo and tests have long found it.
from webhooks.wsgi import DEFER_PROCESSING as DEFER_PROCESSING

log = logging.getLogger(__name__)

bp = Blueprint("webhooks", __name__)

CSRF_REFUSAL = "The form expired. Reload the page and try again."


def _answer(status: int, detail: str) -> Response:
    return Response(detail, status=status, mimetype="text/plain")


@bp.post("/webhooks")
def receive() -> Response:
    """Take a Shopify delivery (answered by `webhooks.wsgi.IntakeDispatcher` before Flask routes it)."""
    status, detail = wsgi.receive(current_app._get_current_object(), request.environ)  # type: ignore[attr-defined]
    return _answer(status, detail)


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
