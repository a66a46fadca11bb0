"""The one counted-order rule: its SQL fragment, its SQLAlchemy form and the index built on it agree."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select, text, update

from app.db import UnitOfWork
from crm.models import COUNTED_ORDER, CrmOrder
from segments.counted import counted_clauses, counted_where, shop_money
from tests.crm_support import make_shop
from tests.segments_support import AS_OF, generate_history


def _orders_with_every_exclusion(uow: UnitOfWork) -> int:
    shop_id = make_shop(uow)
    generate_history(uow, shop_id, customers=120, seed=17)
    ids = list(
        uow.session.scalars(select(CrmOrder.id).where(CrmOrder.shop_id == shop_id).order_by(CrmOrder.id))
    )
    uow.session.execute(update(CrmOrder).where(CrmOrder.id.in_(ids[0:5])).values(deleted_at=AS_OF))
    uow.session.execute(update(CrmOrder).where(CrmOrder.id.in_(ids[5:9])).values(processed_at=None))
    uow.session.execute(update(CrmOrder).where(CrmOrder.id.in_(ids[9:12])).values(current_total_price=None))
    uow.commit()
    return shop_id


def test_the_sql_fragment_and_the_orm_conditions_count_the_same_orders_and_money(uow: UnitOfWork) -> None:
    shop_id = _orders_with_every_exclusion(uow)
    by_fragment = uow.session.execute(
        text(
            f"SELECT COUNT(*), COALESCE(SUM({shop_money('o')}), 0) FROM crm_order o "
            f"WHERE o.shop_id = :shop_id AND {counted_where('o')}"
        ),
        {"shop_id": shop_id, "currency": "USD"},
    ).one()
    value = func.coalesce(CrmOrder.current_total_price, CrmOrder.total_price, 0)
    counted = uow.session.scalar(select(func.count()).where(*counted_clauses(CrmOrder, shop_id=shop_id)))
    money = uow.session.scalar(
        select(func.coalesce(func.sum(value), 0)).where(
            *counted_clauses(CrmOrder.__table__, shop_id=shop_id, currency="USD")
        )
    )
    everything = uow.session.scalar(select(func.count()).where(CrmOrder.shop_id == shop_id))
    # the history has cancelled, test, deleted, unprocessed and foreign-currency orders: some are left out
    assert 0 < by_fragment[0] == counted < everything
    assert Decimal(str(by_fragment[1])) == Decimal(str(money)) > 0


def test_the_partial_index_on_orders_is_built_on_the_same_rule() -> None:
    assert counted_where("") == COUNTED_ORDER
    index = next(i for i in CrmOrder.__table__.indexes if i.name == "ix_crm_order_counted_customer")
    for dialect in ("postgresql", "sqlite"):
        assert str(index.dialect_options[dialect]["where"]) == counted_where("")
