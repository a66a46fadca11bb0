"""The customer and company list pages: search, filters, sort and pages."""

from __future__ import annotations

from flask import render_template, request

from app.auth.context import admin_required
from crm import notes, queries
from crm.models import CustomerState
from crm.views._shared import _int_arg, _limit, _paged, _pager, _Request, _uow, bp

SORT_LABELS = {
    "name": "Name A\N{EN DASH}Z",
    "-name": "Name Z\N{EN DASH}A",
    "-last_order_at": "Last order (newest)",
    "last_order_at": "Last order (oldest)",
    "-total_spent": "Total spent (highest)",
    "total_spent": "Total spent (lowest)",
    "-orders_count": "Orders (most)",
    "orders_count": "Orders (fewest)",
    "-created_at": "Customer since (newest)",
    "created_at": "Customer since (oldest)",
}

# -- customers ------------------------------------------------------------------------------------


@bp.get("/customers")
@admin_required
def customers() -> str:
    """List customers with search, filters, sort and pages."""
    args = request.args
    rep = args.get("rep", "")
    filters = {
        "search": args.get("q", "").strip() or None,
        "tag": args.get("tag", "").strip() or None,
        "company_id": _int_arg("company"),
        "state": args.get("state") if args.get("state") in {s.value for s in CustomerState} else None,
        "sales_rep_id": _int_arg("rep"),
        "unassigned": rep == "none",
    }
    sort = args.get("sort") if args.get("sort") in queries.CUSTOMER_SORTS else "name"
    with _uow() as uow:
        ctx = _Request(uow)
        page, notice = _paged(
            queries.list_customers,
            uow=uow,
            shop_id=ctx.shop.id,
            sort=sort,
            limit=_limit(),
            cursor=args.get("cursor") or None,
            before=args.get("before") or None,
            **filters,
        )
        options = queries.customer_filter_options(uow, shop_id=ctx.shop.id)
        return render_template(
            "admin/customers.html",
            page=page,
            pager=_pager("crm.customers", page),
            options=options,
            filters=filters,
            rep=rep,
            sort=sort,
            sorts=[(key, SORT_LABELS[key]) for key in queries.CUSTOMER_SORTS],
            states=[s for s in CustomerState if s is not CustomerState.UNKNOWN],
            filtered=any(v for v in filters.values()),
            notice=notice,
            shop=ctx.shop,
        )


# -- companies ------------------------------------------------------------------------------------


@bp.get("/companies")
@admin_required
def companies() -> str:
    """List companies with search, sales-rep filter, sort and pages."""
    args = request.args
    rep = args.get("rep", "")
    filters = {
        "search": args.get("q", "").strip() or None,
        "sales_rep_id": _int_arg("rep"),
        "unassigned": rep == "none",
    }
    sort = args.get("sort") if args.get("sort") in queries.COMPANY_SORTS else "name"
    with _uow() as uow:
        ctx = _Request(uow)
        page, notice = _paged(
            queries.list_companies,
            uow=uow,
            shop_id=ctx.shop.id,
            sort=sort,
            limit=_limit(),
            cursor=args.get("cursor") or None,
            before=args.get("before") or None,
            **filters,
        )
        staff = notes.list_staff_members(uow, shop_id=ctx.shop.id)
        return render_template(
            "admin/companies.html",
            page=page,
            pager=_pager("crm.companies", page),
            staff=staff,
            filters=filters,
            rep=rep,
            sort=sort,
            sorts=[
                (key, SORT_LABELS[key].replace("Customer since", "Company since"))
                for key in queries.COMPANY_SORTS
            ],
            filtered=any(v for v in filters.values()),
            notice=notice,
            shop=ctx.shop,
        )
