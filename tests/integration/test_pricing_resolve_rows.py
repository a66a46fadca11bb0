"""The four pricing statements read the same rows on psycopg's own cursor as through SQLAlchemy."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import exc

from app.db import UnitOfWork, utcnow
from pricing.models import AdjustmentScope, AssignmentTarget, PriceBase, PriceListStatus, TierKind
from pricing.service.resolve.queries import (
    _rows,
    details_statement,
    entries_statement,
    ids_value,
    lists_statement,
    variants_statement,
)
from tests import pricing_support as support


def test_each_statement_reads_the_rows_and_types_sqlalchemy_reads(uow: UnitOfWork) -> None:
    # given: every kind of row, with enums, a time window, NULLs and NUMERIC values
    shop_id = support.make_shop(uow)
    product = support.make_product(uow, shop_id)
    variant = support.make_variant(uow, shop_id, product=product, price="19.99")
    company = support.make_company(uow, shop_id)
    now = utcnow().replace(microsecond=0)
    windowed = support.make_price_list(
        uow,
        shop_id,
        "Window",
        status=PriceListStatus.DRAFT,
        base=PriceBase.COMPARE_AT,
        starts_at=now - timedelta(days=1),
        ends_at=now + timedelta(days=1),
        order_minimum="250.5",
    )
    support.assign(uow, windowed, AssignmentTarget.COMPANY, company)
    default = support.make_price_list(uow, shop_id, "Default", default=True)
    support.add_entry(uow, default, variant, "12.3456")
    support.add_adjustment(uow, default, "-7.5", scope=AdjustmentScope.COLLECTION, scope_shopify_id=42)
    support.add_collection_product(uow, shop_id, 42, product)
    support.add_tier(uow, default, 10, "5", kind=TierKind.PERCENT_OFF)
    support.add_rule(uow, default, minimum=2)
    conn = uow.session.connection()
    dialect = conn.dialect.name
    ids = ids_value(dialect, [variant.id])
    lists = ids_value(dialect, [windowed.id, default.id])
    cases = [
        (variants_statement(dialect), {"shop_id": shop_id, "variant_ids": ids}),
        (
            lists_statement(dialect, True),
            {
                "shop_id": shop_id,
                "exclude": ids_value(dialect, []),
                "location_id": None,
                "company_id": company.id,
                "customer_id": None,
                "customer_tags": ["vip"] if dialect == "postgresql" else '["vip"]',
                "segment_ids": ids_value(dialect, []),
                "activate": ids_value(dialect, []),
            },
        ),
        (entries_statement(dialect), {"list_ids": lists, "variant_ids": ids}),
        (
            details_statement(dialect),
            {
                "shop_id": shop_id,
                "list_ids": lists,
                "variant_ids": ids,
                "product_ids": ids_value(dialect, [product.shopify_id]),
            },
        ),
    ]
    for statement, params in cases:
        # when
        read = _rows(conn, statement, params)
        expected = [tuple(row) for row in conn.execute(statement, params).all()]
        # then: the same values of the same types (an enum member, a UTC datetime, a Decimal's digits)
        assert [tuple(row) for row in read] == expected
        assert [[(type(v), str(v)) for v in row] for row in read] == [
            [(type(v), str(v)) for v in row] for row in expected
        ]
    lists_rows = _rows(conn, cases[1][0], cases[1][1])
    assert [(row[0], row[3], row[4], row[7], row[8], row[9]) for row in lists_rows] == [
        (
            windowed.id,
            PriceListStatus.DRAFT,
            now - timedelta(days=1),
            PriceBase.COMPARE_AT,
            Decimal("250.5000"),
            AssignmentTarget.COMPANY,
        ),
        (default.id, PriceListStatus.ACTIVE, None, PriceBase.RETAIL, None, AssignmentTarget.DEFAULT),
    ]
    assert len(_rows(conn, cases[3][0], cases[3][1])) == 4  # a tier, a rule, an adjustment, a member


def test_a_driver_error_is_raised_as_sqlalchemy_raises_it_and_reads_nothing(uow: UnitOfWork) -> None:
    # given: an id list the database cannot read
    conn = uow.session.connection()
    dialect = conn.dialect.name
    # when / then
    with pytest.raises(exc.DBAPIError) as raised:
        _rows(conn, entries_statement(dialect), {"list_ids": ids_value(dialect, [1]), "variant_ids": "{x"})
    assert raised.value.statement is not None and "pricing_entry" in raised.value.statement
    assert not conn.invalidated
