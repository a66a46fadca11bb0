"""Admin pages of privacy requests: the list of what Shopify asked, and the data-request exports."""

from __future__ import annotations

import json

from flask import Blueprint, Response, abort, render_template

from app import privacy, services
from app.auth.context import admin_required, current_shop_id
from app.errors import NotFound

bp = Blueprint("privacy", __name__, url_prefix="/privacy")


@bp.get("/")
@admin_required
def requests() -> str:
    """List the shop's customer privacy requests, newest first, with links to the exports."""
    with services().db.unit_of_work() as uow:
        rows = privacy.list_requests(uow, shop_id=current_shop_id())
    return render_template(
        "admin/privacy_requests.html",
        requests=rows,
        limit=privacy.REQUESTS_LISTED,
        counts_text=privacy.counts_text,
    )


@bp.get("/requests/<int:request_id>/export.json")
@admin_required
def export(request_id: int) -> Response:
    """Download the export of one customers/data_request as JSON (this shop's only)."""
    with services().db.unit_of_work() as uow:
        try:
            export = privacy.get_export(uow, shop_id=current_shop_id(), request_id=request_id)
        except NotFound:
            abort(404)
    body = json.dumps(export.document, indent=2, ensure_ascii=False) + "\n"
    response = Response(body, mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    # Personal data: never kept by a browser or proxy cache.
    response.headers["Cache-Control"] = "no-store"
    return response
