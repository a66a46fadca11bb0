"""A realistic CRM book for page, query and notes tests: companies, buyers, retail customers and orders.

Everything goes in through `crm.service.import_batch` with Shopify-shaped payloads from
tests/crm_support.py, so the rows are exactly what the sync would store.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import event, select
from sqlalchemy.engine import Engine

from app.db import UnitOfWork
from app.models import Shop
from crm import service
from crm.models import CrmCompany, CrmCustomer, CrmOrder
from tests.crm_support import company, customer, order, webhook

# Shopify ids: far from the fixtures' own, so a test can add those too.
CUSTOMER_BASE = 7_100_000_000_000
COMPANY_BASE = 8_100_000_000
LOCATION_BASE = 8_200_000_000
CONTACT_BASE = 8_300_000_000
ORDER_BASE = 9_100_000_000_000
# Payload times are minutes after tests.crm_support.T0; embedded order customers are older, so
# the customers' own payloads win.
CUSTOMER_MINUTE = 10
EMBEDDED_CUSTOMER_MINUTE = -10_000


@dataclass(frozen=True)
class Person:
    key: str
    first: str
    last: str
    email: str
    tags: str = ""
    state: str = "enabled"
    marketing: str = "subscribed"
    city: str = "Austin"
    company: str | None = None
    title: str | None = None
    orders: tuple[tuple[int, str], ...] = ()  # (days before `now`, total)


COMPANIES = {
    "acme": ("Acme Corp", "ERP-1042", "Net 30", "Austin"),
    "globex": ("Globex Trading", "ERP-2210", "Net 60", "Denver"),
    "initech": ("Initech Supplies", "ERP-3307", None, "Portland"),
}

PEOPLE = (
    Person(
        "ana",
        "Ana",
        "Ruiz",
        "ana@acme.example",
        "VIP, Wholesale",
        company="acme",
        title="Head buyer",
        orders=((12, "1840.00"), (45, "920.50"), (110, "2310.00"), (400, "760.25")),
    ),
    Person(
        "ben",
        "Ben",
        "Okafor",
        "ben@globex.example",
        "Wholesale",
        company="globex",
        title="Purchasing",
        orders=((3, "4120.00"), (70, "3890.40")),
    ),
    Person(
        "chloe",
        "Chloé",
        "Martin",
        "chloe@initech.example",
        "Wholesale",
        state="invited",
        company="initech",
        title="Office manager",
        orders=((200, "515.00"),),
    ),
    Person(
        "dev",
        "Dev",
        "Patel",
        "dev.patel@example.com",
        "Retail",
        state="disabled",
        marketing="not_subscribed",
        city="Chicago",
        orders=((20, "89.90"), (380, "129.00")),
    ),
    Person(
        "emma",
        "Emma",
        "Schmidt",
        "emma@schmidt.example",
        "Retail, Newsletter",
        city="Boston",
        orders=((8, "54.00"),),
    ),
    Person(
        "farid",
        "Farid",
        "Haddad",
        "farid@acme.example",
        "Wholesale",
        company="acme",
        title="Buyer",
        orders=((30, "1210.00"),),
    ),
    Person("grace", "Grace", "Kim", "grace.kim@example.com", "", marketing="unsubscribed", city="Seattle"),
    Person("hugo", "Hugo", "Lambert", "hugo@globex.example", "VIP", company="globex", title="CFO"),
    Person(
        "ines",
        "Inès",
        "Moreau",
        "ines.moreau@example.com",
        "Retail",
        state="declined",
        city="Miami",
        orders=((600, "42.00"),),
    ),
    Person("jon", "Jon", "Baker", "jon.baker@example.com", "Retail", city="Denver", orders=((15, "310.00"),)),
)


@dataclass
class Book:
    """Row ids of the seeded CRM, by key."""

    customers: dict[str, int] = field(default_factory=dict)
    companies: dict[str, int] = field(default_factory=dict)


def _customer_payload(index: int, person: Person) -> dict:
    sid = CUSTOMER_BASE + index
    return customer(
        sid,
        minute=CUSTOMER_MINUTE,
        first_name=person.first,
        last_name=person.last,
        email=person.email,
        phone=f"+1512555{index:04d}",
        tags=person.tags,
        state=person.state,
        created_at=f"2024-0{1 + index % 9}-1{index % 9}T09:00:00-05:00",
        email_marketing_consent={
            "state": person.marketing,
            "opt_in_level": "single_opt_in",
            "consent_updated_at": "2025-01-02T10:00:00-05:00",
        },
        addresses=[
            {
                "id": sid + 1,
                "address1": f"{10 + index} Market St",
                "city": person.city,
                "province_code": "TX",
                "country_code": "US",
                "zip": "78701",
                "default": True,
            }
        ],
        default_address={
            "id": sid + 1,
            "address1": f"{10 + index} Market St",
            "city": person.city,
            "province_code": "TX",
            "country_code": "US",
            "zip": "78701",
            "default": True,
        },
    )


def _company_payload(index: int, key: str) -> dict:
    name, external_id, _terms, _city = COMPANIES[key]
    return company(
        COMPANY_BASE + index,
        minute=CUSTOMER_MINUTE,
        name=name,
        external_id=external_id,
        note=None,
        main_contact_admin_graphql_api_id=None,
    )


def _location_payload(index: int, key: str) -> dict:
    name, external_id, terms, city = COMPANIES[key]
    payload = webhook("company_locations_create")
    payload.update(
        admin_graphql_api_id=f"gid://shopify/CompanyLocation/{LOCATION_BASE + index}",
        name=f"{name} {city} warehouse",
        external_id=f"{external_id}-1",
        company=_company_payload(index, key),
    )
    payload["buyer_experience_configuration"]["payment_terms_template"] = (
        {"name": terms, "due_in_days": int(terms.split()[1]), "payment_terms_type": "net"} if terms else None
    )
    for kind in ("billing_address", "shipping_address"):
        payload[kind] = {**payload[kind], "city": city}
    return payload


def _contact_payload(index: int, person_index: int, person: Person, company_index: int) -> dict:
    payload = webhook("company_contacts_create")
    payload.update(
        admin_graphql_api_id=f"gid://shopify/CompanyContact/{CONTACT_BASE + index}",
        customer_admin_graphql_api_id=f"gid://shopify/Customer/{CUSTOMER_BASE + person_index}",
        title=person.title,
        company=_company_payload(company_index, person.company or ""),
    )
    return payload


def order_payloads(
    *,
    customer_sid: int,
    orders: tuple[tuple[int, str], ...],
    now: datetime,
    first_order_sid: int,
    company_sid: int | None = None,
    location_sid: int | None = None,
) -> list[dict]:
    """orders/create payloads for one customer, `days` before `now` each."""
    payloads = []
    for n, (days, total) in enumerate(orders):
        when = (now - timedelta(days=days, hours=n)).isoformat()
        payload = order(
            first_order_sid + n,
            customer_id=customer_sid,
            customer_minute=EMBEDDED_CUSTOMER_MINUTE,
            total=total,
            company={"id": company_sid, "location_id": location_sid} if company_sid else None,
        )
        payload.update(
            processed_at=when, created_at=when, financial_status="paid", fulfillment_status="fulfilled"
        )
        payloads.append(payload)
    return payloads


def seed_book(uow: UnitOfWork, shop_id: int, *, now: datetime) -> Book:
    """The companies, people and orders above in one import; returns their row ids."""
    company_index = {key: i for i, key in enumerate(COMPANIES)}
    customers = [_customer_payload(i, p) for i, p in enumerate(PEOPLE)]
    companies = [_company_payload(i, key) for key, i in company_index.items()]
    locations = [_location_payload(i, key) for key, i in company_index.items()]
    contacts = [
        _contact_payload(n, i, p, company_index[p.company])
        for n, (i, p) in enumerate((i, p) for i, p in enumerate(PEOPLE) if p.company)
    ]
    orders: list[dict] = []
    for i, person in enumerate(PEOPLE):
        ci = company_index.get(person.company or "")
        orders += order_payloads(
            customer_sid=CUSTOMER_BASE + i,
            orders=person.orders,
            now=now,
            first_order_sid=ORDER_BASE + i * 1000,
            company_sid=COMPANY_BASE + ci if ci is not None else None,
            location_sid=LOCATION_BASE + ci if ci is not None else None,
        )
    currency = uow.session.scalar(select(Shop.currency).where(Shop.id == shop_id))
    # Order numbers rise with time, as Shopify's do.
    for number, payload in enumerate(sorted(orders, key=lambda o: o["processed_at"]), start=1001):
        payload.update(name=f"#{number}", order_number=number, number=number - 1000, currency=currency)
    service.import_batch(
        uow,
        shop_id=shop_id,
        customers=customers,
        companies=companies,
        company_locations=locations,
        company_contacts=contacts,
        orders=orders,
    )
    uow.session.flush()
    by_sid = dict(
        uow.session.execute(
            select(CrmCustomer.shopify_id, CrmCustomer.id).where(CrmCustomer.shop_id == shop_id)
        ).all()
    )
    company_ids = dict(
        uow.session.execute(
            select(CrmCompany.shopify_id, CrmCompany.id).where(CrmCompany.shop_id == shop_id)
        ).all()
    )
    return Book(
        customers={p.key: by_sid[CUSTOMER_BASE + i] for i, p in enumerate(PEOPLE)},
        companies={key: company_ids[COMPANY_BASE + i] for key, i in company_index.items()},
    )


def add_orders(
    uow: UnitOfWork, shop_id: int, *, customer_key: str, count: int, now: datetime, total: str = "100.00"
) -> None:
    """`count` more orders for one seeded person, a few days apart."""
    index = next(i for i, p in enumerate(PEOPLE) if p.key == customer_key)
    orders = tuple((days * 5 + 1, total) for days in range(count))
    currency = uow.session.scalar(select(Shop.currency).where(Shop.id == shop_id))
    payloads = order_payloads(
        customer_sid=CUSTOMER_BASE + index, orders=orders, now=now, first_order_sid=ORDER_BASE + 500_000
    )
    for n, payload in enumerate(payloads):
        payload.update(name=f"#{5001 + n}", order_number=5001 + n, number=4001 + n, currency=currency)
    service.import_batch(uow, shop_id=shop_id, orders=payloads)


def plain_customers(uow: UnitOfWork, shop_id: int, count: int, *, prefix: str = "Zed") -> None:
    """`count` customers with no orders, named `<prefix> 000`…, for paging tests."""
    payloads = []
    for n in range(count):
        payload = customer(
            CUSTOMER_BASE + 10_000 + n,
            minute=CUSTOMER_MINUTE,
            first_name=prefix,
            last_name=f"{prefix}{n:03d}",
            email=f"{prefix.lower()}{n:03d}@example.com",
            tags="",
        )
        payloads.append(copy.deepcopy(payload))
    service.import_batch(uow, shop_id=shop_id, customers=payloads)


def counted_orders(uow: UnitOfWork, shop_id: int, customer_id: int) -> int:
    return len(
        uow.session.scalars(
            select(CrmOrder.id).where(CrmOrder.shop_id == shop_id, CrmOrder.customer_id == customer_id)
        ).all()
    )


def money(value: str) -> Decimal:
    return Decimal(value)


class StatementLog:
    """The SQL statements an engine ran inside a `with` block (SAVEPOINT bookkeeping left out)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.statements: list[str] = []

    def _record(self, _conn, _cursor, statement, _params, _context, _executemany) -> None:
        if statement.lstrip().split(None, 1)[0].upper() in {"SELECT", "INSERT", "UPDATE", "DELETE", "WITH"}:
            self.statements.append(statement)

    def __enter__(self) -> StatementLog:
        event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._record)

    @property
    def count(self) -> int:
        return len(self.statements)
