"""Business metrics on a hand-built history: exact values, empty states, scopes, time zones, query count."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import event, func, select

from app.db import UnitOfWork
from app.errors import InvalidInput, NotFound
from crm.models import CrmOrder
from segments import metrics
from segments.models_spend import MarketingSpend
from tests.crm_support import make_shop
from tests.segments_metrics_support import (
    NOW,
    add_customer,
    add_orders,
    add_predictions,
    at,
    hand_history,
    set_timezone,
)
from tests.segments_support import generate_history

Q1 = metrics.make_period(date(2026, 1, 1), date(2026, 3, 31), "UTC")


def _values(report: metrics.MetricsReport) -> dict[str, object]:
    return {key: m.value for key, m in report.metrics.items()}


def _spend(uow: UnitOfWork, shop_id: int) -> None:
    metrics.set_spend(uow, shop_id=shop_id, channel="utm:google", month="2026-01", amount="100.00")
    metrics.set_spend(uow, shop_id=shop_id, channel="utm:google", month="2026-02", amount="20.00")
    metrics.set_spend(uow, shop_id=shop_id, channel="referrer:facebook.com", month="2026-02", amount="50")
    metrics.set_spend(uow, shop_id=shop_id, channel="utm:bing", month="2026-03", amount="20", currency="EUR")
    # Outside the period's months: never counted.
    metrics.set_spend(uow, shop_id=shop_id, channel="utm:google", month="2026-04", amount="999.00")


def test_business_metrics_of_a_hand_built_quarter(uow: UnitOfWork) -> None:
    # given
    shop_id = make_shop(uow)
    hand = hand_history(uow, shop_id)
    add_predictions(
        uow, shop_id, {hand.customers["A"]: Decimal("120.00"), hand.customers["B"]: Decimal("80.00")}
    )
    _spend(uow, shop_id)
    # when
    report = metrics.business_metrics(uow, shop_id=shop_id, period=Q1, now=NOW)
    # then
    assert _values(report) == {
        "revenue": Decimal("540.00"),
        "orders": 8,
        "average_order_value": Decimal("77.14"),
        "customers": 5,
        "new_customers": 4,
        "repeat_purchase_rate": Decimal("60.0"),
        "churn_rate": Decimal("66.7"),
        "historic_clv": Decimal("116.00"),
        "predicted_clv": Decimal("100.00"),
        "marketing_share": Decimal("50.0"),
        "cac": Decimal("42.50"),
        "sales_cycle_median_days": Decimal("11.0"),
        "sales_cycle_mean_days": Decimal("11.7"),
    }
    assert all(m.definition and m.missing is None for m in report.metrics.values())
    assert report.other_currencies == [metrics.CurrencyTotal("EUR", 1, Decimal("70.00"))]
    assert report.monthly_churn == [
        metrics.MonthChurn("2026-01", 1, 1, Decimal("100.0")),
        metrics.MonthChurn("2026-02", 2, 1, Decimal("50.0")),
        metrics.MonthChurn("2026-03", 3, 2, Decimal("66.7")),
    ]
    assert report.predicted_clv_computed_at == NOW
    channels = {c.channel: c for c in report.channels}
    assert sorted(channels) == ["referrer:facebook.com", "utm:bing", "utm:google"]
    google = channels["utm:google"]
    assert (google.spend, google.new_customers, google.cac, google.payback_months) == (
        Decimal("120.00"),
        1,
        Decimal("120.00"),
        2,
    )
    facebook = channels["referrer:facebook.com"]
    assert (facebook.spend, facebook.new_customers, facebook.cac, facebook.payback_months) == (
        Decimal("50.00"),
        1,
        Decimal("50.00"),
        1,
    )
    bing = channels["utm:bing"]
    assert (bing.spend, bing.other_currency_spend, bing.cac, bing.missing) == (
        Decimal("0.00"),
        {"EUR": Decimal("20.00")},
        None,
        "no new customer came through this channel in the period",
    )


def test_cac_payback_not_reached_says_so(uow: UnitOfWork) -> None:
    shop_id = make_shop(uow)
    hand_history(uow, shop_id)
    metrics.set_spend(uow, shop_id=shop_id, channel="utm:google", month="2026-01", amount="400.00")
    report = metrics.business_metrics(uow, shop_id=shop_id, period=Q1, now=NOW)
    (google,) = report.channels
    assert (google.cac, google.payback_months, google.missing) == (
        Decimal("400.00"),
        None,
        "not paid back yet",
    )


def test_longest_matching_channel_wins(uow: UnitOfWork) -> None:
    shop_id = make_shop(uow)
    hand_history(uow, shop_id)
    metrics.set_spend(uow, shop_id=shop_id, channel="utm:google", month="2026-01", amount="10")
    metrics.set_spend(uow, shop_id=shop_id, channel="utm:google/cpc", month="2026-01", amount="30")
    report = metrics.business_metrics(uow, shop_id=shop_id, period=Q1, now=NOW)
    assert [(c.channel, c.new_customers, c.cac) for c in report.channels] == [
        ("utm:google", 0, None),
        ("utm:google/cpc", 1, Decimal("30.00")),
    ]


def test_cohort_retention_matrix(uow: UnitOfWork) -> None:
    shop_id = make_shop(uow)
    hand_history(uow, shop_id)
    matrix = metrics.cohort_retention(uow, shop_id=shop_id, currency="USD", period=Q1)
    assert [(c.month, c.customers, c.retention, c.active) for c in matrix.cohorts] == [
        (date(2026, 1, 1), 2, [Decimal("100.0"), Decimal("50.0"), Decimal("50.0")], [2, 1, 1]),
        (date(2026, 2, 1), 2, [Decimal("100.0"), Decimal("0.0")], [2, 0]),
    ]
    assert "first counted order" in matrix.definition


def test_a_company_and_a_sales_rep_see_their_own_orders(uow: UnitOfWork) -> None:
    shop_id = make_shop(uow)
    hand = hand_history(uow, shop_id)
    company = metrics.business_metrics(
        uow, shop_id=shop_id, period=Q1, scope=metrics.Scope(company_id=hand.company_id), now=NOW
    )
    assert (company.metrics["revenue"].value, company.metrics["orders"].value) == (Decimal("180.00"), 3)
    assert company.metrics["repeat_purchase_rate"].value == Decimal("100.0")
    assert company.metrics["cac"].value is None
    assert (
        company.metrics["cac"].missing == "marketing spend is entered per shop, not per company or sales rep"
    )
    assert company.channels == []
    # Company X's rep (A's orders) and C's own rep, written in another case.
    rep = metrics.business_metrics(
        uow, shop_id=shop_id, period=Q1, scope=metrics.Scope(sales_rep_email="REP@x.com"), now=NOW
    )
    assert (rep.metrics["revenue"].value, rep.metrics["orders"].value) == (Decimal("280.00"), 5)
    assert rep.metrics["new_customers"].value == 2


def test_another_shops_company_is_not_found(uow: UnitOfWork) -> None:
    shop_id = make_shop(uow)
    other = make_shop(uow, "other.myshopify.com")
    hand = hand_history(uow, other)
    with pytest.raises(NotFound, match=f"company {hand.company_id} not found"):
        metrics.business_metrics(
            uow, shop_id=shop_id, period=Q1, scope=metrics.Scope(company_id=hand.company_id)
        )


def test_a_shop_without_orders_reports_no_data_not_nan(uow: UnitOfWork) -> None:
    shop_id = make_shop(uow)
    report = metrics.business_metrics(uow, shop_id=shop_id, period=Q1, now=NOW)
    assert _values(report) == {
        "revenue": Decimal("0.00"),
        "orders": 0,
        "average_order_value": None,
        "customers": 0,
        "new_customers": 0,
        "repeat_purchase_rate": None,
        "churn_rate": None,
        "historic_clv": None,
        "predicted_clv": None,
        "marketing_share": None,
        "cac": None,
        "sales_cycle_median_days": None,
        "sales_cycle_mean_days": None,
    }
    missing = {key: m.missing for key, m in report.metrics.items() if m.value is None}
    assert all(reason and reason.startswith("not enough data") for reason in missing.values())
    assert metrics.cohort_retention(uow, shop_id=shop_id, currency="USD", period=Q1).empty


def test_one_order_and_only_one_time_buyers(uow: UnitOfWork) -> None:
    shop_id = make_shop(uow)
    one = metrics.make_period(date(2026, 1, 1), date(2026, 1, 31), "UTC")
    first = add_customer(uow, shop_id, 1, shopify_created_at=at("2026-01-03"))
    add_orders(
        uow,
        shop_id,
        [
            {
                "customer_id": first,
                "processed_at": at("2026-01-03", 6),
                "current_total_price": Decimal("12.34"),
            }
        ],
    )
    report = metrics.business_metrics(uow, shop_id=shop_id, period=one, now=NOW)
    values = _values(report)
    assert (values["revenue"], values["orders"], values["average_order_value"]) == (
        Decimal("12.34"),
        1,
        Decimal("12.34"),
    )
    assert (values["repeat_purchase_rate"], values["churn_rate"]) == (Decimal("0.0"), None)
    assert report.metrics["churn_rate"].missing == "not enough data: no customer ordered in the months before"
    assert (values["sales_cycle_median_days"], values["sales_cycle_mean_days"]) == (
        Decimal("0.3"),
        Decimal("0.3"),
    )
    second = add_customer(uow, shop_id, 2)
    add_orders(
        uow,
        shop_id,
        [{"customer_id": second, "processed_at": at("2026-01-20"), "current_total_price": Decimal("7.00")}],
    )
    report = metrics.business_metrics(uow, shop_id=shop_id, period=one, now=NOW)
    assert report.metrics["repeat_purchase_rate"].value == Decimal("0.0")
    assert report.metrics["historic_clv"].value == Decimal("9.67")
    assert report.metrics["marketing_share"].value == Decimal("0.0")


def test_days_are_the_shops_days(uow: UnitOfWork) -> None:
    # given an order on 1 February 03:00 UTC: 31 January 22:00 in New York
    shop_id = make_shop(uow)
    set_timezone(uow, shop_id, "America/New_York")
    buyer = add_customer(uow, shop_id, 1)
    add_orders(
        uow,
        shop_id,
        [
            {
                "customer_id": buyer,
                "processed_at": at("2026-02-01", 3),
                "current_total_price": Decimal("10.00"),
            }
        ],
    )
    january_ny = metrics.make_period(date(2026, 1, 1), date(2026, 1, 31), "America/New_York")
    january_utc = metrics.make_period(date(2026, 1, 1), date(2026, 1, 31), "UTC")
    # when / then
    assert metrics.business_metrics(uow, shop_id=shop_id, period=january_ny).metrics["orders"].value == 1
    assert metrics.business_metrics(uow, shop_id=shop_id, period=january_utc).metrics["orders"].value == 0
    cohorts = metrics.cohort_retention(uow, shop_id=shop_id, currency="USD", period=january_ny).cohorts
    assert [(c.month, c.customers) for c in cohorts] == [(date(2026, 1, 1), 1)]


def _statements(uow: UnitOfWork, shop_id: int, period: metrics.Period) -> int:
    """How many SQL statements the metrics and the cohorts of a shop take."""
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    uow.session.flush()
    engine = uow.session.get_bind()
    event.listen(engine, "before_cursor_execute", record)
    try:
        metrics.business_metrics(uow, shop_id=shop_id, period=period, now=NOW)
        metrics.cohort_retention(uow, shop_id=shop_id, currency="USD", period=period)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return len(statements)


def test_metrics_do_not_query_per_customer(uow: UnitOfWork) -> None:
    # given two shops, one with 5 customers and one with 60
    small = make_shop(uow)
    hand_history(uow, small)
    _spend(uow, small)
    large = make_shop(uow, "large.myshopify.com")
    generate_history(uow, large, customers=60, companies=4)
    for shop_id in (small, large):
        metrics.set_spend(uow, shop_id=shop_id, channel="direct", month="2026-01", amount="5")
    period = metrics.make_period(date(2025, 1, 1), date(2026, 10, 31), "UTC")
    counts = [_statements(uow, shop_id, period) for shop_id in (small, large)]
    assert (
        uow.session.scalar(select(func.count()).select_from(CrmOrder).where(CrmOrder.shop_id == large)) > 100
    )
    # Shop, orders, customers, predictions, churn, new customers, spend, channel cohorts, cohorts.
    assert counts == [9, 9]


def test_negative_spend_is_refused_and_nothing_changes(uow: UnitOfWork) -> None:
    shop_id = make_shop(uow)
    metrics.set_spend(uow, shop_id=shop_id, channel="utm:google", month="2026-01", amount="10.00")
    with pytest.raises(InvalidInput, match=r"amount: marketing spend cannot be negative \(got -5.00\)"):
        metrics.set_spend(uow, shop_id=shop_id, channel="utm:google", month="2026-01", amount="-5.00")
    rows = metrics.list_spend(uow, shop_id=shop_id)
    assert [(r.channel, r.month, r.amount, r.currency) for r in rows] == [
        ("utm:google", date(2026, 1, 1), Decimal("10.00"), "USD")
    ]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("amount", "abc", "amount: 'abc' is not a number"),
        ("amount", 1.5, 'amount: give the amount as a decimal string, e.g. "1250.00"'),
        ("amount", "NaN", "amount: 'NaN' is not a number"),
        ("month", "2026-13", "month: give a month as YYYY-MM, not '2026-13'"),
        ("channel", " ", "channel: name the channel"),
    ],
)
def test_bad_spend_input_is_refused(uow: UnitOfWork, field: str, value: object, message: str) -> None:
    shop_id = make_shop(uow)
    wanted: dict[str, object] = {"channel": "utm:google", "month": "2026-01", "amount": "1", field: value}
    with pytest.raises(InvalidInput, match=message.replace("(", r"\(").replace(")", r"\)")):
        metrics.set_spend(uow, shop_id=shop_id, **wanted)  # type: ignore[arg-type]
    assert uow.session.scalar(select(func.count()).select_from(MarketingSpend)) == 0


def test_spend_is_replaced_per_channel_and_month_and_deleted_per_shop(uow: UnitOfWork) -> None:
    shop_id = make_shop(uow)
    other = make_shop(uow, "other.myshopify.com")
    first = metrics.set_spend(uow, shop_id=shop_id, channel="UTM:Google", month="2026-01-15", amount="10")
    again = metrics.set_spend(uow, shop_id=shop_id, channel="utm:google", month="2026-01", amount="25.5")
    assert (again.id, again.channel, again.amount) == (first.id, "utm:google", Decimal("25.50"))
    with pytest.raises(NotFound, match=f"marketing spend {first.id} not found"):
        metrics.delete_spend(uow, shop_id=other, spend_id=first.id)
    assert len(metrics.list_spend(uow, shop_id=shop_id)) == 1
    metrics.delete_spend(uow, shop_id=shop_id, spend_id=first.id)
    assert metrics.list_spend(uow, shop_id=shop_id) == []


def test_periods_refuse_nonsense() -> None:
    with pytest.raises(InvalidInput, match="The period ends"):
        metrics.make_period(date(2026, 2, 1), date(2026, 1, 1), "UTC")
    with pytest.raises(InvalidInput, match="at most 120 months"):
        metrics.make_period(date(2010, 1, 1), date(2026, 1, 1), "UTC")
    last = metrics.preset_period("last_3_months", timezone="UTC", now=NOW)
    assert (last.start, last.end, len(last.full_months)) == (date(2026, 3, 1), date(2026, 5, 31), 3)
    with pytest.raises(InvalidInput, match="period must be one of"):
        metrics.preset_period("forever", timezone="UTC", now=NOW)


def test_totals_per_sales_rep_in_one_query(uow: UnitOfWork) -> None:
    shop_id = make_shop(uow)
    hand_history(uow, shop_id)
    rows = metrics.by_sales_rep(uow, shop_id=shop_id, currency="USD", period=Q1)
    assert [(r.sales_rep_email, r.orders, r.revenue, r.customers, r.average_order_value) for r in rows] == [
        ("rep@x.com", 5, Decimal("280.00"), 2, Decimal("56.00")),
        (None, 3, Decimal("260.00"), 3, Decimal("130.00")),
    ]
    assert (
        metrics.by_sales_rep(uow, shop_id=make_shop(uow, "empty.myshopify.com"), currency="USD", period=Q1)
        == []
    )
