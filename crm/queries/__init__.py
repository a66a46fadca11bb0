"""Read-side CRM queries for the admin pages and the REST API: lists, filters, sorts, the 360 pages.

Contract (plain functions; keyword arguments after the unit of work; read only):

    list_customers(uow, *, shop_id, search=None, tag=None, company_id=None, state=None,
                   sales_rep_id=None, unassigned=False, updated_since=None, sort="name", limit=50,
                   cursor=None, before=None) -> CrmPage[CustomerRow]
    list_companies(uow, *, shop_id, search=None, sales_rep_id=None, unassigned=False,
                   updated_since=None, sort="name", limit=50, cursor=None, before=None)
                   -> CrmPage[CompanyRow]
    list_orders(uow, *, shop_id, customer_id=None, company_id=None, search=None,
                financial_status=None, fulfillment_status=None, processed_since=None,
                processed_until=None, updated_since=None, sort="-processed_at", limit=50,
                cursor=None, before=None, with_lines=False) -> CrmPage[CrmOrder]
    list_products(uow, *, shop_id, search=None, status=None, vendor=None, sku=None,
                  updated_since=None, sort="title", limit=50, cursor=None, before=None)
                  -> CrmPage[CrmProduct]                                    (variants loaded)
    list_timeline(uow, *, shop_id, customer_id=None | company_id=None, limit=25, cursor=None,
                  before=None) -> CrmPage[CrmTimelineEvent]                 (newest first)
    list_notes(uow, *, shop_id, customer_id=None | company_id=None, limit=20, cursor=None,
               before=None) -> CrmPage[CrmNote]                              (newest first)
    list_tasks(uow, *, shop_id, status="open", assignee_id=None, unassigned=False, due=None,
               today=None, customer_id=None, company_id=None, search=None, sort=None, limit=50,
               cursor=None, before=None) -> CrmPage[CrmTask]   (task.assignee/customer/company loaded)
    get_customer(uow, *, shop_id, customer_id) -> CrmCustomer   (tags, company loaded; NotFound)
    get_company(uow, *, shop_id, company_id) -> CrmCompany      (NotFound)
    get_order(uow, *, shop_id, order_id) -> CrmOrder            (lines, customer, company; NotFound)
    get_product(uow, *, shop_id, product_id) -> CrmProduct      (variants; NotFound)
    customer_360(uow, *, shop_id, customer_id, today, tz_name, ...) -> Customer360
    company_360(uow, *, shop_id, company_id, today, tz_name, ...) -> Company360
    customer_filter_options(uow, *, shop_id) -> FilterOptions   (tags, companies, staff)
    monthly_spend(uow, *, shop_id, customer_id=None | company_id=None, tz_name, today,
                  months=24) -> list[MonthSpend]

Paging: every list pages by keyset through `app.api.pagination.paginate`, so the admin and the API
page the same way and their cursors are interchangeable. `cursor` continues after a row (the
`next_cursor` of the previous page); `before` goes back to the rows before a row (the
`previous_cursor` of the current page). A cursor that is not one of ours raises
`app.api.problems.InvalidParameter` (400). `sort` is a field name, prefixed with "-" for
descending (see CUSTOMER_SORTS, COMPANY_SORTS, ORDER_SORTS, PRODUCT_SORTS, TASK_SORTS); an
unknown sort, state or status is InvalidInput (422). Deleted (soft) rows are left out of lists;
`get_*` return them, so old links still open. `updated_since` (aware datetime) keeps rows Tradeline
changed at or after it (their `updated_at`); `processed_since`/`processed_until` bound an order's
`processed_at` (inclusive).

Statements: each list is one SELECT (plus one per eager-loaded collection: tags, lines,
variants), whatever the page size; the 360 bundles run a fixed number of statements however
many orders, notes or events the account has.
"""

from __future__ import annotations

from crm.queries._paging import (
    COMPANY_SORTS,
    CUSTOMER_SORTS,
    DEFAULT_LIMIT,
    ORDER_SORTS,
    PAGE_NOTES,
    PAGE_ORDERS,
    PAGE_TASKS,
    PAGE_TIMELINE,
    PRODUCT_SORTS,
    SPEND_MONTHS,
    TASK_DUE,
    TASK_SORTS,
    TASK_STATUSES,
    CrmPage,
)
from crm.queries.accounts import (
    CompanyRow,
    CustomerRow,
    FilterOptions,
    company_contacts,
    company_locations,
    customer_filter_options,
    customer_memberships,
    get_company,
    get_customer,
    list_companies,
    list_customers,
)
from crm.queries.activity import count_open_tasks, list_notes, list_tasks, list_timeline
from crm.queries.catalog import get_order, get_product, list_orders, list_products
from crm.queries.pages import (
    Company360,
    Customer360,
    MonthSpend,
    SectionCursors,
    company_360,
    customer_360,
    month_start,
    monthly_spend,
    shop_today,
)

__all__ = [
    "COMPANY_SORTS",
    "CUSTOMER_SORTS",
    "DEFAULT_LIMIT",
    "ORDER_SORTS",
    "PAGE_NOTES",
    "PAGE_ORDERS",
    "PAGE_TASKS",
    "PAGE_TIMELINE",
    "PRODUCT_SORTS",
    "SPEND_MONTHS",
    "TASK_DUE",
    "TASK_SORTS",
    "TASK_STATUSES",
    "Company360",
    "CompanyRow",
    "CrmPage",
    "Customer360",
    "CustomerRow",
    "FilterOptions",
    "MonthSpend",
    "SectionCursors",
    "company_360",
    "company_contacts",
    "company_locations",
    "count_open_tasks",
    "customer_360",
    "customer_filter_options",
    "customer_memberships",
    "get_company",
    "get_customer",
    "get_order",
    "get_product",
    "list_companies",
    "list_customers",
    "list_notes",
    "list_orders",
    "list_products",
    "list_tasks",
    "list_timeline",
    "month_start",
    "monthly_spend",
    "shop_today",
]
