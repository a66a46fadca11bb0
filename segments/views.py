"""Segments admin pages: the rule-based segments, their builder with a live count, one segment's page.

The analytics dashboard and "recompute now" are in segments.views_dashboard (same blueprint). Every page
is `admin_required`; forms POST with the session's CSRF token and redirect (303) on success. A bad
definition re-renders the builder (422) with the error at the condition it names; nothing is saved.
Another shop's segment id is a 404 page.
"""

from __future__ import annotations

import json
from typing import Any, NoReturn

from flask import Blueprint, abort, flash, g, jsonify, redirect, render_template, request
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from app import services
from app.admin.formatting import format_datetime
from app.admin.home import ShopSummary, shop_summary
from app.admin.views import admin_url
from app.auth.context import admin_required, current_shop_id, is_embedded
from app.auth.local import csrf_valid
from app.db import UnitOfWork
from app.errors import Conflict, DomainError, NotFound
from crm.models import CrmCompany
from pricing.models import PriceList
from segments import dashboard, definitions, membership
from segments import views_builder as builder
from segments import views_charts as charts
from segments.models import Segment, Subject
from segments.rules import DefinitionError

bp = Blueprint("segments", __name__, url_prefix="/segments")

CSRF_REFUSAL = "The form expired or did not come from this page. Reload the page and try again."
NOT_FOUND = "This segment does not exist in your store, or it was removed."
MEMBERS_PER_PAGE = 50
CHOICE_LIMIT = 500  # companies / price lists offered in a condition's list


def uow_() -> UnitOfWork:
    """A unit of work on the app's database."""
    return services().db.unit_of_work()


def load_shop(uow: UnitOfWork) -> ShopSummary:
    """The signed-in shop; the layout reads it from g (one load per request)."""
    shop = shop_summary(uow, shop_id=current_shop_id())
    g.admin_shop = shop
    return shop


def not_found() -> NoReturn:
    """The 404 page: a missing id and another shop's look the same."""
    abort(404, description=NOT_FOUND)


def check_csrf() -> None:
    """Refuse a form without this session's CSRF token (inside Shopify admin the session token stands in)."""
    if is_embedded() and request.headers.get("Authorization", "").startswith("Bearer "):
        return
    if not csrf_valid(request.form.get("csrf_token")):
        abort(400, description=CSRF_REFUSAL)


def _subject_arg(raw: str | None) -> Subject:
    return Subject.COMPANY if raw == Subject.COMPANY.value else Subject.CUSTOMER


# -- the list -------------------------------------------------------------------------------------


@bp.get("")
@admin_required
def segments() -> str:
    """List the shop's rule-based segments."""
    with uow_() as uow:
        shop = load_shop(uow)
        rows = definitions.list_segments(uow, shop_id=shop.id)
        return render_template("admin/segments/segments.html", rows=rows, shop=shop)


# -- the builder ----------------------------------------------------------------------------------


def _choices(uow: UnitOfWork, shop_id: int) -> dict[str, list[tuple[str, str]]]:
    """The options of the list-valued fields: RFM segments, the shop's companies and price lists."""
    companies = uow.session.execute(
        select(CrmCompany.id, CrmCompany.name)
        .where(CrmCompany.shop_id == shop_id, CrmCompany.deleted_at.is_(None))
        .order_by(CrmCompany.name, CrmCompany.id)
        .limit(CHOICE_LIMIT)
    ).all()
    lists = uow.session.execute(
        select(PriceList.id, PriceList.name)
        .where(PriceList.shop_id == shop_id)
        .order_by(PriceList.name)
        .limit(CHOICE_LIMIT)
    ).all()
    return {
        "rfm_segment": builder.SEGMENT_CHOICES,
        "company": [(str(i), n or f"Company {i}") for i, n in companies],
        "price_list": [(str(i), n) for i, n in lists],
    }


def _preview(uow: UnitOfWork, shop_id: int, subject: Subject, definition: Any) -> dict[str, Any]:
    """{"count", "sample"} or {"error", "path"} of a definition, for the page and the JSON endpoint."""
    try:
        found = definitions.preview(uow, shop_id=shop_id, subject=subject, definition=definition)
    except DefinitionError as exc:
        return {"error": exc.detail.partition(": ")[2] or exc.detail, "path": exc.path}
    except (NotFound, DomainError) as exc:
        return {"error": exc.detail, "path": ""}
    endpoint = "crm.customer" if subject is Subject.CUSTOMER else "crm.company"
    key = "customer_id" if subject is Subject.CUSTOMER else "company_id"
    return {
        "count": found.count,
        "sample": [
            {"name": row["name"] or f"#{row['id']}", "url": admin_url(endpoint, **{key: row["id"]})}
            for row in found.sample
        ],
    }


def _builder(
    uow: UnitOfWork,
    shop: ShopSummary,
    *,
    segment: Segment | None,
    subject: Subject,
    definition: Any,
    values: dict[str, str],
    error: dict[str, str] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    preview = _preview(uow, shop.id, subject, definition)
    error = error or ({"path": preview["path"], "message": preview["error"]} if "error" in preview else None)
    nodes = builder.node_views(definition)
    # An error about a condition shows at it; one about the whole tree or another field above the form.
    placed = bool(
        error and error.get("path") and builder.attach_error(nodes, error["path"], error["message"])
    )
    return render_template(
        "admin/segments/form.html",
        shop=shop,
        segment=segment,
        subject=subject,
        nodes=nodes,
        error_placed=placed,
        root_match=definition.get("match", "all") if isinstance(definition, dict) else "all",
        values=values,
        preview=preview,
        error=error,
        fields=builder.fields_for(subject),
        choices=_choices(uow, shop.id),
        spec_json=json.dumps(builder.field_spec(subject)),
    ), status


def _form_state() -> tuple[Subject, dict[str, Any], dict[str, str]]:
    definition = builder.definition_from_form(request.form)
    edit = request.form.get("edit", "")
    if edit:
        definition = builder.apply_edit(definition, edit)
    values = {k: request.form.get(k, "") for k in ("name", "description", "shopify_tag")}
    return _subject_arg(request.form.get("subject")), definition, values


def _save_error(exc: DomainError) -> dict[str, str]:
    if isinstance(exc, DefinitionError):
        return {"path": exc.path, "message": exc.detail.partition(": ")[2] or exc.detail}
    field = "name" if isinstance(exc, Conflict) or "name" in exc.detail else ""
    field = "shopify_tag" if "tag" in exc.detail.lower() and not field else field
    return {"path": "", "field": field, "message": exc.detail}


@bp.get("/new")
@admin_required
def new_segment() -> ResponseReturnValue:
    """The builder for a new segment."""
    subject = _subject_arg(request.args.get("subject"))
    with uow_() as uow:
        shop = load_shop(uow)
        return _builder(
            uow,
            shop,
            segment=None,
            subject=subject,
            definition=json.loads(json.dumps(builder.DEFAULT_DEFINITION)),
            values={},
        )


@bp.post("/new")
@admin_required
def create_segment() -> ResponseReturnValue:
    """Create and materialise a segment; or redraw the builder after a structural edit or a preview."""
    check_csrf()
    subject, definition, values = _form_state()
    with uow_() as uow:
        shop = load_shop(uow)
        if request.form.get("action") != "save":
            return _builder(uow, shop, segment=None, subject=subject, definition=definition, values=values)
        try:
            segment = definitions.create_segment(
                uow,
                shop_id=shop.id,
                name=values["name"],
                subject=subject,
                definition=definition,
                description=values["description"],
                shopify_tag=values["shopify_tag"] or None,
            )
            membership.materialise(uow, shop_id=shop.id, segment_id=segment.id)
        except DomainError as exc:
            uow.rollback()
            return _builder(
                uow,
                shop,
                segment=None,
                subject=subject,
                definition=definition,
                values=values,
                error=_save_error(exc),
                status=422,
            )
        segment_id, name, members = segment.id, segment.name, segment.member_count
        uow.commit()
    flash(f"Segment “{name}” saved with {members:,} {'member' if members == 1 else 'members'}.")
    return redirect(admin_url("segments.segment", segment_id=segment_id), code=303)


@bp.post("/preview")
@admin_required
def preview() -> ResponseReturnValue:
    """The live count and sample of the builder's form, as JSON (400 with the path of a bad part)."""
    check_csrf()
    subject, definition, _ = _form_state()
    with uow_() as uow:
        result = _preview(uow, current_shop_id(), subject, definition)
    return jsonify(result), (400 if "error" in result else 200)


def _segment_or_404(uow: UnitOfWork, shop_id: int, segment_id: int) -> Segment:
    try:
        return definitions.get_segment(uow, shop_id=shop_id, segment_id=segment_id)
    except NotFound:
        not_found()


@bp.get("/<int:segment_id>/edit")
@admin_required
def edit_segment(segment_id: int) -> ResponseReturnValue:
    """The builder for an existing segment."""
    with uow_() as uow:
        shop = load_shop(uow)
        segment = _segment_or_404(uow, shop.id, segment_id)
        values = {
            "name": segment.name,
            "description": segment.description or "",
            "shopify_tag": segment.shopify_tag or "",
        }
        return _builder(
            uow,
            shop,
            segment=segment,
            subject=segment.subject,
            definition=json.loads(json.dumps(segment.definition)),
            values=values,
        )


@bp.post("/<int:segment_id>/edit")
@admin_required
def update_segment(segment_id: int) -> ResponseReturnValue:
    """Save a changed segment and materialise it now."""
    check_csrf()
    _, definition, values = _form_state()
    with uow_() as uow:
        shop = load_shop(uow)
        segment = _segment_or_404(uow, shop.id, segment_id)
        subject = segment.subject
        if request.form.get("action") != "save":
            return _builder(uow, shop, segment=segment, subject=subject, definition=definition, values=values)
        try:
            definitions.update_segment(
                uow,
                shop_id=shop.id,
                segment_id=segment_id,
                name=values["name"],
                definition=definition,
                description=values["description"],
                shopify_tag=values["shopify_tag"] or None,
            )
            membership.materialise(uow, shop_id=shop.id, segment_id=segment_id)
        except DomainError as exc:
            uow.rollback()
            segment = _segment_or_404(uow, shop.id, segment_id)
            return _builder(
                uow,
                shop,
                segment=segment,
                subject=subject,
                definition=definition,
                values=values,
                error=_save_error(exc),
                status=422,
            )
        uow.commit()
    flash("Segment saved.")
    return redirect(admin_url("segments.segment", segment_id=segment_id), code=303)


@bp.post("/<int:segment_id>/delete")
@admin_required
def delete_segment(segment_id: int) -> ResponseReturnValue:
    """Delete a segment (its members and history go with it)."""
    check_csrf()
    with uow_() as uow:
        shop = load_shop(uow)
        name = _segment_or_404(uow, shop.id, segment_id).name
        definitions.delete_segment(uow, shop_id=shop.id, segment_id=segment_id)
        uow.commit()
    flash(f"Segment “{name}” deleted.")
    return redirect(admin_url("segments.segments"), code=303)


# -- one segment ----------------------------------------------------------------------------------


@bp.get("/<int:segment_id>")
@admin_required
def segment(segment_id: int) -> str:
    """One segment: its definition, members (paged), its size over time and its Shopify tag push."""
    raw = request.args.get("page", "1")
    page = int(raw) if raw.isascii() and raw.isdigit() and 0 < len(raw) < 7 and int(raw) > 0 else 1
    with uow_() as uow:
        shop = load_shop(uow)
        found = _segment_or_404(uow, shop.id, segment_id)
        members = dashboard.segment_members(uow, segment=found, page=page, per_page=MEMBERS_PER_PAGE)
        history = dashboard.segment_history(uow, segment_id=found.id)
        chart = charts.line(
            f"Members of {found.name} over time",
            [format_datetime(p.at, shop.timezone, with_time=False) for p in history],
            [float(p.size) for p in history],
        )
        pages = max(1, -(-found.member_count // MEMBERS_PER_PAGE))
        return render_template(
            "admin/segments/segment.html",
            shop=shop,
            segment=found,
            nodes=builder.node_views(found.definition),
            root_match=found.definition.get("match", "all"),
            members=members,
            history=history,
            chart=chart,
            page=page,
            pages=pages,
            previous_url=admin_url("segments.segment", segment_id=found.id, page=page - 1)
            if page > 1
            else None,
            next_url=admin_url("segments.segment", segment_id=found.id, page=page + 1)
            if page < pages
            else None,
            labels=dict(builder.OPERATOR_LABELS),
            field_labels={name: spec.label for name, spec in builder.FIELDS.items()},
            choices=_choices(uow, shop.id),
            push=views_push.push_view(uow, found),
        )


# Last: these modules register their routes on `bp` above.
from segments import views_dashboard, views_push, views_spend  # noqa: E402, F401
