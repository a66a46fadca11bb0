"""The admin's sync page: each resource's backfill and its progress, the reconciliations, their buttons."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request
from werkzeug.wrappers import Response as BaseResponse

from app import services
from app.admin.home import shop_summary
from app.admin.views import admin_url
from app.auth.context import admin_required, current_shop_id, current_staff, is_embedded
from app.auth.local import csrf_valid
from app.errors import DomainError
from webhooks.backfill.service import get_run as get_sync_run
from webhooks.backfill.service import latest_runs, parse_resources, request_backfill
from webhooks.reconcile import request_reconcile
from webhooks.sync_models import SyncKind, SyncResource, SyncRun, SyncStatus

bp = Blueprint("sync", __name__, url_prefix="/sync")

CSRF_REFUSAL = "The form expired. Reload the page and try again."
# How often the page asks for fresh figures while a run is active (the script reads it).
POLL_INTERVAL_MS = 2500
LABELS = {
    SyncResource.CUSTOMERS: "Customers",
    SyncResource.COMPANIES: "Companies",
    SyncResource.PRODUCTS: "Products and variants",
    SyncResource.ORDERS: "Orders and line items",
}
STATUS_LABELS = {
    SyncStatus.QUEUED: "Queued",
    SyncStatus.EXPORTING: "Exporting",
    SyncStatus.DOWNLOADING: "Downloading",
    SyncStatus.IMPORTING: "Importing",
    SyncStatus.RUNNING: "Running",
    SyncStatus.COMPLETED: "Completed",
    SyncStatus.FAILED: "Failed",
}
# Work under way is news, not a warning: info (with the progress dot), never "attention".
STATUS_TONES = {
    SyncStatus.QUEUED: None,
    SyncStatus.EXPORTING: "info",
    SyncStatus.DOWNLOADING: "info",
    SyncStatus.IMPORTING: "info",
    SyncStatus.RUNNING: "info",
    SyncStatus.COMPLETED: "success",
    SyncStatus.FAILED: "critical",
}


@dataclass(frozen=True)
class Progress:
    """A progress bar: `value` of `maximum` (None: not known yet), and what it means in words."""

    value: int
    maximum: int | None
    text: str

    @property
    def percent(self) -> float | None:
        if not self.maximum:
            return None
        return max(0.0, min(100.0, self.value / self.maximum * 100))


def _megabytes(value: int) -> str:
    return f"{value / 1_000_000:,.1f} MB"


def progress(run: SyncRun) -> Progress:
    """What a backfill run's progress bar shows at its stage."""
    total = run.object_count
    if run.status is SyncStatus.QUEUED:
        return Progress(0, None, "Waiting to start")
    if run.status is SyncStatus.EXPORTING:
        so_far = run.object_count or 0
        return Progress(0, None, f"Shopify is exporting: {so_far:,} objects so far")
    if run.status is SyncStatus.DOWNLOADING:
        if run.file_size:
            return Progress(
                run.bytes_downloaded,
                run.file_size,
                f"Downloading: {_megabytes(run.bytes_downloaded)} of {_megabytes(run.file_size)}",
            )
        return Progress(0, None, "Downloading the export")
    done = run.objects_imported
    if total:
        return Progress(done, total, f"{done:,} of {total:,} objects imported")
    if run.status is SyncStatus.COMPLETED:
        return Progress(done, done or None, f"{done:,} objects imported")
    return Progress(done, None, f"{done:,} objects imported")


def run_json(run: SyncRun) -> dict[str, Any]:
    """A run as the page's script (and any API client) reads it."""
    bar = progress(run)
    return {
        "id": run.id,
        "kind": run.kind.value,
        "resource": run.resource.value,
        "status": run.status.value,
        "status_label": STATUS_LABELS[run.status],
        "active": run.is_active,
        "progress": {
            "value": bar.value,
            "max": bar.maximum,
            "percent": None if bar.percent is None else round(bar.percent, 1),
            "text": bar.text,
        },
        "objects_imported": run.objects_imported,
        "object_count": run.object_count,
        "counts": dict(run.counts or {}),
        "error": run.error,
        "resumable": run.resumable,
        "requested_by": run.requested_by,
        "started_at": _iso(run.started_at),
        "finished_at": _iso(run.finished_at),
        "updated_at": _iso(run.updated_at),
    }


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


@dataclass(frozen=True)
class ResourceRow:
    """One resource on the page: its latest backfill and latest reconciliation."""

    resource: SyncResource
    label: str
    backfill: SyncRun | None
    reconcile: SyncRun | None

    @property
    def progress(self) -> Progress | None:
        return progress(self.backfill) if self.backfill is not None else None


def _rows(runs: Mapping[tuple[SyncKind, SyncResource], SyncRun]) -> list[ResourceRow]:
    return [
        ResourceRow(
            resource,
            LABELS[resource],
            runs.get((SyncKind.BACKFILL, resource)),
            runs.get((SyncKind.RECONCILE, resource)),
        )
        for resource in SyncResource
    ]


def _form_allowed() -> bool:
    # Inside Shopify admin the form comes through App Bridge's fetch with a session token no other
    # site can attach; with local sign-in the session cookie authenticates, so the token must match.
    by_app_bridge = is_embedded() and request.headers.get("Authorization", "").startswith("Bearer ")
    return by_app_bridge or csrf_valid(request.form.get("csrf_token"))


@bp.get("")
@admin_required
def index() -> str:
    """Show each resource's backfill progress and last reconciliation, with the buttons to run them."""
    shop_id = current_shop_id()
    with services().db.unit_of_work() as uow:
        shop = shop_summary(uow, shop_id=shop_id)
        rows = _rows(latest_runs(uow, shop_id=shop_id))
        active = any(run.is_active for row in rows for run in (row.backfill, row.reconcile) if run)
        return render_template(
            "admin/sync.html",
            shop=shop,
            rows=rows,
            active=active,
            labels=STATUS_LABELS,
            tones=STATUS_TONES,
            poll_interval_ms=POLL_INTERVAL_MS,
        )


@bp.get("/status.json")
@admin_required
def status() -> Response:
    """The latest runs as JSON, for the page's self-refresh."""
    with services().db.unit_of_work() as uow:
        runs = latest_runs(uow, shop_id=current_shop_id())
        body = {
            "active": any(run.is_active for run in runs.values()),
            "runs": {
                f"{kind.value}:{resource.value}": run_json(run) for (kind, resource), run in runs.items()
            },
        }
    return jsonify(body)


@bp.get("/runs/<int:run_id>.json")
@admin_required
def run(run_id: int) -> Response:
    """One run of this shop as JSON (another shop's run is a 404)."""
    with services().db.unit_of_work() as uow:
        try:
            found = get_sync_run(uow, shop_id=current_shop_id(), run_id=run_id)
        except DomainError as exc:
            abort(exc.status, description=exc.detail)
        return jsonify(run_json(found))


@bp.post("/backfill")
@admin_required
def backfill() -> BaseResponse:
    """Start (or resume) a backfill of the chosen resources (all of them by default)."""
    if not _form_allowed():
        abort(400, description=CSRF_REFUSAL)
    try:
        resources = parse_resources(request.form.get("resources"))
        with services().db.unit_of_work() as uow:
            result = request_backfill(
                uow, shop_id=current_shop_id(), resources=resources, requested_by=current_staff().name
            )
            uow.commit()
    except DomainError as exc:
        flash(exc.detail, "critical")
        return redirect(admin_url("sync.index"), code=303)
    started = [LABELS[r].lower() for r, what in result.outcome.items() if what == "queued"]
    resumed = [LABELS[r].lower() for r, what in result.outcome.items() if what == "resumed"]
    running = [LABELS[r].lower() for r, what in result.outcome.items() if what == "already running"]
    parts = []
    if started:
        parts.append(f"Backfill started for {', '.join(started)}.")
    if resumed:
        parts.append(f"Resumed where it stopped: {', '.join(resumed)}.")
    if running:
        parts.append(f"Already running: {', '.join(running)}.")
    flash(" ".join(parts), "success" if started or resumed else "info")
    return redirect(admin_url("sync.index"), code=303)


@bp.post("/reconcile")
@admin_required
def reconcile() -> BaseResponse:
    """Check Shopify now for changes Tradeline missed, and repair them."""
    if not _form_allowed():
        abort(400, description=CSRF_REFUSAL)
    with services().db.unit_of_work() as uow:
        runs = request_reconcile(uow, shop_id=current_shop_id(), requested_by=current_staff().name)
        uow.commit()
    if runs:
        flash("Reconciliation started: Tradeline is checking Shopify for missed changes.", "success")
    else:
        flash("Nothing to reconcile right now: a backfill or reconciliation is already running.", "info")
    return redirect(admin_url("sync.index"), code=303)
