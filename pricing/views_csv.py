"""Pricing admin: a list's CSV upload (dry run, the diff, apply all or nothing) and its CSV export.

The upload is kept under the instance directory between the dry run and the apply (pricing.service.
csv_io.uploads); the apply form carries its token. An id of another shop is a 404; a bad file or bad
rows show the upload page or the diff with every error (422); a list changed since the dry run is 409.
"""

from __future__ import annotations

from typing import Any, NoReturn

from flask import (
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    stream_with_context,
)

from app import services
from app.admin.home import ShopSummary, shop_summary
from app.admin.views import admin_url
from app.auth.context import admin_required, current_shop_id, current_staff, is_embedded
from app.auth.local import csrf_valid
from app.db import UnitOfWork
from app.errors import Conflict, NotFound
from app.tenancy import get_for_shop
from pricing.models import PriceList
from pricing.service import csv_io
from pricing.service.csv_io import ImportMode
from pricing.views import bp

CSRF_REFUSAL = "The form expired or did not come from this page. Reload the page and try again."
NOT_FOUND = "This price list does not exist in your store, or it was removed."
ERRORS_SHOWN = 500  # a file with more bad rows shows the first ones and the count
MODE_LABELS = {
    ImportMode.MERGE: "Add and update: variants not in the file keep their prices",
    ImportMode.REPLACE: "Replace: variants not in the file are removed from the list",
}


def _uow() -> UnitOfWork:
    return services().db.unit_of_work()


def _shop(uow: UnitOfWork) -> ShopSummary:
    shop = shop_summary(uow, shop_id=current_shop_id())
    g.admin_shop = shop  # the layout reads it: one load per request
    return shop


def _not_found() -> NoReturn:
    abort(404, description=NOT_FOUND)


def _price_list(uow: UnitOfWork, shop_id: int, price_list_id: int) -> PriceList:
    try:
        return get_for_shop(uow.session, PriceList, shop_id, price_list_id)
    except NotFound:
        _not_found()


def _check_csrf() -> None:
    # Inside Shopify admin the form is sent by fetch with a session token no other site can attach;
    # after local sign-in the session cookie authenticates, so the form's token must match.
    if is_embedded() and request.headers.get("Authorization", "").startswith("Bearer "):
        return
    if not csrf_valid(request.form.get("csrf_token")):
        abort(400, description=CSRF_REFUSAL)


def _list_url(price_list_id: int) -> str | None:
    # The list page belongs to the pages module; link to it only once it is served.
    if "pricing.price_list" not in current_app.view_functions:
        return None
    return admin_url("pricing.price_list", price_list_id=price_list_id)


def _mode() -> ImportMode:
    value = request.form.get("mode", "")
    return ImportMode(value) if value in {m.value for m in ImportMode} else ImportMode.MERGE


def _render_upload(
    price_list: PriceList, shop: ShopSummary, *, error: str | None = None, mode: ImportMode, status: int = 200
) -> tuple[str, int]:
    html = render_template(
        "admin/pricing/csv_upload.html",
        price_list=price_list,
        shop=shop,
        error=error,
        mode=mode,
        modes=list(MODE_LABELS.items()),
        list_url=_list_url(price_list.id),
        export_url=admin_url("pricing.csv_export", price_list_id=price_list.id),
        max_mb=csv_io.MAX_UPLOAD_BYTES // (1024 * 1024),
    )
    return html, status


def _render_diff(
    price_list: PriceList, shop: ShopSummary, report: csv_io.ImportReport, *, token: str | None, filename: str
) -> tuple[str, int]:
    html = render_template(
        "admin/pricing/csv_diff.html",
        price_list=price_list,
        shop=shop,
        report=report,
        token=token,
        filename=filename,
        errors=report.errors[:ERRORS_SHOWN],
        mode_label=MODE_LABELS[report.mode],
        list_url=_list_url(price_list.id),
        upload_url=admin_url("pricing.csv_upload", price_list_id=price_list.id),
    )
    return html, 200 if report.ok else 422


@bp.route("/<int:price_list_id>/csv", methods=["GET", "POST"])
@admin_required
def csv_upload(price_list_id: int) -> Any:
    """Show the CSV upload form; on POST, check the file and show what applying it would change."""
    with _uow() as uow:
        shop = _shop(uow)
        price_list = _price_list(uow, shop.id, price_list_id)
        if request.method == "GET":
            return _render_upload(price_list, shop, mode=ImportMode.MERGE)
        _check_csrf()
        mode = _mode()
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            return _render_upload(
                price_list, shop, error="Choose a CSV file to upload.", mode=mode, status=422
            )
        instance = services().settings.INSTANCE_PATH
        try:
            stored, path = csv_io.save_upload(
                instance,
                shop_id=shop.id,
                price_list_id=price_list.id,
                mode=mode.value,
                filename=upload.filename,
                source=upload.stream,
            )
        except csv_io.CsvFileError as exc:
            return _render_upload(price_list, shop, error=exc.detail, mode=mode, status=422)
        try:
            with path.open("rb") as stream:
                report = csv_io.dry_run(
                    uow,
                    shop_id=shop.id,
                    price_list_id=price_list.id,
                    stream=stream,
                    mode=mode,
                    stage=csv_io.stage_path(instance, stored.token),
                )
        except csv_io.CsvFileError as exc:
            csv_io.discard_upload(instance, stored.token)
            return _render_upload(price_list, shop, error=exc.detail, mode=mode, status=422)
        except Conflict as exc:
            csv_io.discard_upload(instance, stored.token)
            return _render_upload(price_list, shop, error=exc.detail, mode=mode, status=409)
        token = None
        if report.ok and report.has_changes:
            stored.fingerprint, stored.digest, stored.staged = (
                report.fingerprint,
                report.digest,
                report.staged,
            )
            csv_io.record_upload(instance, stored)
            token = stored.token
        else:
            csv_io.discard_upload(instance, stored.token)
        return _render_diff(price_list, shop, report, token=token, filename=stored.filename)


@bp.post("/<int:price_list_id>/csv/apply")
@admin_required
def csv_apply(price_list_id: int) -> Any:
    """Apply a checked upload to the list, all or nothing."""
    _check_csrf()
    instance = services().settings.INSTANCE_PATH
    token = request.form.get("token", "")
    with _uow() as uow:
        shop = _shop(uow)
        price_list = _price_list(uow, shop.id, price_list_id)
        try:
            stored, path = csv_io.open_upload(instance, token, shop_id=shop.id, price_list_id=price_list.id)
        except NotFound as exc:
            return _render_upload(price_list, shop, error=exc.detail, mode=ImportMode.MERGE, status=409)
        mode = ImportMode(stored.mode)
        try:
            with path.open("rb") as stream:
                report = csv_io.apply_import(
                    uow,
                    shop_id=shop.id,
                    price_list_id=price_list.id,
                    stream=stream,
                    mode=mode,
                    fingerprint=stored.fingerprint,
                    digest=stored.digest,
                    stage=csv_io.stage_path(instance, token),
                    staged=stored.staged,
                    actor=current_staff().name,
                )
        except csv_io.ImportRejected as exc:
            uow.rollback()
            csv_io.discard_upload(instance, token)
            return _render_diff(price_list, shop, exc.report, token=None, filename=stored.filename)
        except (csv_io.StaleDryRun, csv_io.CsvFileError, Conflict) as exc:
            uow.rollback()
            csv_io.discard_upload(instance, token)
            status = 422 if isinstance(exc, csv_io.CsvFileError) else 409
            return _render_upload(price_list, shop, error=exc.detail, mode=mode, status=status)
        uow.commit()
    csv_io.discard_upload(instance, token)
    flash(
        f"Applied {stored.filename}: {report.added:,} added, {report.changed:,} changed, "
        f"{report.removed:,} removed.",
        "success",
    )
    return redirect(
        _list_url(price_list_id) or admin_url("pricing.csv_upload", price_list_id=price_list_id), 303
    )


@bp.get("/<int:price_list_id>/export.csv")
@admin_required
def csv_export(price_list_id: int) -> Any:
    """Download the list's per-variant prices, tiers and quantity rules as CSV (the import format)."""
    with _uow() as uow:
        shop = _shop(uow)
        price_list = _price_list(uow, shop.id, price_list_id)
        filename = csv_io.export_filename(price_list)
    shop_id = shop.id

    def generate() -> Any:
        with _uow() as export_uow:
            yield from csv_io.export_csv(export_uow, shop_id=shop_id, price_list_id=price_list_id)

    response = Response(stream_with_context(generate()), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response
