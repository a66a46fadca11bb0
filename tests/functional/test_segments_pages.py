"""Segments admin pages through the Flask client: the list, the builder and its live count, one segment's
page, the analytics dashboard, "recompute now" and its progress."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal
from html import unescape

import pytest
from sqlalchemy import func, select

from app.admin.formatting import format_datetime
from app.auth.local import CSRF_SESSION_KEY
from app.db import utcnow
from crm.models import CrmCustomer, CrmOrder
from segments import definitions, service
from segments.metrics.cohorts import cohort_retention
from segments.metrics.period import preset_period
from segments.models import RunStatus, Segment, SegmentMember, SegmentRun, SegmentScore, Subject
from tests.admin_support import add_acme, sign_in
from tests.crm_support import make_shop
from tests.segments_support import AS_OF, generate_history

CSRF = "test-csrf-token"
REPEAT_BUYERS = {"match": "all", "conditions": [{"field": "f_score", "op": "gte", "value": 3}]}


@pytest.fixture
def shop(uow):
    return add_acme(uow)  # EUR, Europe/Berlin


@pytest.fixture
def signed_in(client, shop):
    sign_in(client, shop.id, staff="Dana Reyes")
    with client.session_transaction() as session:
        session[CSRF_SESSION_KEY] = CSRF
    return client


@pytest.fixture
def history(uow, shop):
    """300 customers, 8 companies, two years of orders in USD (the shop's currency), one finished run."""
    shop.currency = "USD"
    generated = generate_history(uow, shop.id, customers=300, companies=8, seed=5)
    uow.commit()
    run = service.start_run(uow, shop_id=shop.id, as_of=AS_OF)
    uow.commit()
    service.execute_run(uow, shop_id=shop.id, run_id=run.id)
    return generated


def _text(html: str) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", html))


def _segments(uow, shop_id: int) -> int:
    return uow.session.scalar(select(func.count()).select_from(Segment).where(Segment.shop_id == shop_id))


def _form(**extra: str) -> dict[str, str]:
    """The builder's form for "customers with a frequency score of 3 or more"."""
    return {
        "csrf_token": CSRF,
        "subject": "customer",
        "match": "all",
        "n-0-field": "f_score",
        "n-0-prev": "f_score",
        "n-0-op": "gte",
        "n-0-value": "3",
        **extra,
    }


# -- the list -------------------------------------------------------------------------------------


def test_empty_list_explains_segments_and_links_the_builder_and_dashboard(signed_in):
    html = signed_in.get("/segments").get_data(as_text=True)
    assert "Group your buyers by what they do" in html
    assert 'href="/segments/new"' in html
    assert 'href="/segments/dashboard"' in html


def test_list_shows_each_segment_with_its_members_and_tag(signed_in, uow, shop, history):
    segment = definitions.create_segment(
        uow,
        shop_id=shop.id,
        name="Repeat buyers",
        subject="customer",
        definition=REPEAT_BUYERS,
        shopify_tag="repeat",
    )
    uow.commit()
    html = signed_in.get("/segments").get_data(as_text=True)
    row = re.search(rf'<tr data-segment-id="{segment.id}">.*?</tr>', html, re.S).group(0)
    assert "Repeat buyers" in row and "Customers" in row and "repeat" in row and "Not yet" in row


# -- the builder ----------------------------------------------------------------------------------


def test_builder_offers_only_each_fields_operators(signed_in, shop):
    html = signed_in.get("/segments/new").get_data(as_text=True)
    ops = re.search(r'<select[^>]*id="c0-op".*?</select>', html, re.S).group(0)
    assert re.findall(r'value="(\w+)"', ops) == [
        "eq",
        "ne",
        "gt",
        "gte",
        "lt",
        "lte",
        "between",
        "is_set",
        "is_not_set",
    ]
    assert "Who matches now" in html


def test_preview_counts_like_the_service_and_links_the_sample(signed_in, uow, shop, history):
    expected = definitions.preview(uow, shop_id=shop.id, subject="customer", definition=REPEAT_BUYERS)
    response = signed_in.post("/segments/preview", data=_form())
    assert response.status_code == 200
    body = response.get_json()
    assert body["count"] == expected.count > 0
    assert [row["url"] for row in body["sample"]] == [f"/customers/{row['id']}" for row in expected.sample]


def test_preview_of_a_bad_value_is_400_naming_the_condition(signed_in, shop):
    response = signed_in.post("/segments/preview", data=_form(**{"n-0-value": "lots"}))
    assert response.status_code == 400
    assert response.get_json() == {
        "error": "'lots' is not a score from 1 to 5",
        "path": "conditions[0].value",
    }


def test_preview_refuses_a_form_without_the_csrf_token(signed_in, shop):
    response = signed_in.post("/segments/preview", data={**_form(), "csrf_token": "forged"})
    assert response.status_code == 400


def test_structural_edits_add_a_group_and_remove_a_condition_without_saving(signed_in, uow, shop):
    html = signed_in.post("/segments/new", data=_form(edit="group:")).get_data(as_text=True)
    assert 'name="n-1-match"' in html and 'name="n-1.0-field"' in html
    html = signed_in.post(
        "/segments/new",
        data=_form(
            **{
                "n-1-match": "any",
                "n-1.0-field": "churn_risk",
                "n-1.0-prev": "churn_risk",
                "n-1.0-op": "gte",
                "n-1.0-value": "60",
                "edit": "remove:0",
            }
        ),
    ).get_data(as_text=True)
    assert 'name="n-0-match"' in html and 'value="60"' in html and 'name="n-1-field"' not in html
    assert _segments(uow, shop.id) == 0


def test_without_javascript_the_update_button_redraws_the_count(signed_in, uow, shop, history):
    expected = definitions.preview(uow, shop_id=shop.id, subject="customer", definition=REPEAT_BUYERS).count
    response = signed_in.post("/segments/new", data=_form(name="Draft", action="preview"))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'<span data-preview="count">{expected:,}</span>' in html and 'value="Draft"' in html
    assert _segments(uow, shop.id) == 0


def test_changing_a_field_resets_its_operator_to_one_it_accepts(signed_in, shop):
    html = signed_in.post(
        "/segments/new", data=_form(**{"n-0-field": "rfm_segment", "n-0-op": "gte"})
    ).get_data(as_text=True)
    ops = re.search(r'<select[^>]*id="c0-op".*?</select>', html, re.S).group(0)
    assert re.search(r'<option value="in" selected>', ops)
    assert 'name="n-0-value" multiple' in html and "Champions" in html


def test_saving_materialises_and_shows_the_members(signed_in, uow, shop, history):
    response = signed_in.post("/segments/new", data=_form(name="Repeat buyers", action="save"))
    assert response.status_code == 303
    segment = uow.session.scalars(select(Segment).where(Segment.shop_id == shop.id)).one()
    assert response.headers["Location"] == f"/segments/{segment.id}"
    expected = definitions.preview(uow, shop_id=shop.id, subject="customer", definition=REPEAT_BUYERS).count
    assert segment.member_count == expected > 0
    assert segment.definition == REPEAT_BUYERS
    html = signed_in.get(f"/segments/{segment.id}").get_data(as_text=True)
    assert f"Segment “Repeat buyers” saved with {expected:,} members." in unescape(html)
    links = re.findall(r'href="/customers/(\d+)"', html)
    members = set(
        uow.session.scalars(select(SegmentMember.customer_id).where(SegmentMember.segment_id == segment.id))
    )
    assert len(links) == min(expected, 50) and {int(i) for i in links} <= members
    assert "Frequency score is at least 3" in " ".join(_text(html).split())


def test_a_bad_definition_is_422_at_its_condition_and_saves_nothing(signed_in, uow, shop):
    response = signed_in.post(
        "/segments/new", data=_form(name="Broken", action="save", **{"n-0-op": "between", "n-0-value2": "1"})
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    condition = re.search(
        r'<div class="tl-seg-cond tl-seg-cond--error" data-path="conditions\[0\]".*?</p>', html, re.S
    )
    assert condition and "the low end 3 is above the high end 1" in condition.group(0)
    assert _segments(uow, shop.id) == 0


def test_an_unknown_field_is_named_and_nothing_is_saved(signed_in, uow, shop):
    response = signed_in.post(
        "/segments/new",
        data=_form(name="Broken", action="save", **{"n-0-field": "shoe_size", "n-0-prev": "shoe_size"}),
    )
    assert response.status_code == 422
    assert "unknown field &#39;shoe_size&#39;" in response.get_data(as_text=True)
    assert _segments(uow, shop.id) == 0


def test_a_duplicate_name_is_shown_at_the_name(signed_in, uow, shop):
    definitions.create_segment(
        uow, shop_id=shop.id, name="Repeat buyers", subject="customer", definition=REPEAT_BUYERS
    )
    uow.commit()
    response = signed_in.post("/segments/new", data=_form(name="repeat buyers", action="save"))
    assert response.status_code == 422
    assert re.search(
        r'id="segment-name-error"[^>]*>.*already exists', unescape(response.get_data(as_text=True))
    )
    assert _segments(uow, shop.id) == 1


def test_create_without_csrf_token_is_refused(signed_in, uow, shop):
    response = signed_in.post("/segments/new", data={**_form(name="X", action="save"), "csrf_token": ""})
    assert response.status_code == 400
    assert _segments(uow, shop.id) == 0


def test_edit_changes_the_definition_and_rematerialises(signed_in, uow, shop, history):
    segment = definitions.create_segment(
        uow, shop_id=shop.id, name="Repeat", subject="customer", definition=REPEAT_BUYERS
    )
    uow.commit()
    assert "Edit Repeat" in signed_in.get(f"/segments/{segment.id}/edit").get_data(as_text=True)
    response = signed_in.post(
        f"/segments/{segment.id}/edit", data=_form(name="Frequent", action="save", **{"n-0-value": "5"})
    )
    assert response.status_code == 303
    uow.session.expire_all()
    changed = uow.session.get(Segment, segment.id)
    five = {"match": "all", "conditions": [{"field": "f_score", "op": "gte", "value": 5}]}
    assert (changed.name, changed.definition) == ("Frequent", five)
    assert (
        changed.member_count
        == definitions.preview(uow, shop_id=shop.id, subject="customer", definition=five).count
    )


def test_delete_needs_the_token_then_removes_the_segment(signed_in, uow, shop):
    segment = definitions.create_segment(
        uow, shop_id=shop.id, name="Repeat", subject="customer", definition=REPEAT_BUYERS
    )
    uow.commit()
    assert signed_in.post(f"/segments/{segment.id}/delete", data={"csrf_token": "no"}).status_code == 400
    assert _segments(uow, shop.id) == 1
    response = signed_in.post(f"/segments/{segment.id}/delete", data={"csrf_token": CSRF})
    assert response.status_code == 303 and response.headers["Location"] == "/segments"
    assert _segments(uow, shop.id) == 0


def test_another_shops_segment_is_404_everywhere(signed_in, uow, shop):
    other_id = make_shop(uow, "other-shop.myshopify.com")
    theirs = definitions.create_segment(
        uow, shop_id=other_id, name="Theirs", subject="customer", definition=REPEAT_BUYERS
    )
    uow.commit()
    assert signed_in.get(f"/segments/{theirs.id}").status_code == 404
    assert signed_in.get(f"/segments/{theirs.id}/edit").status_code == 404
    assert (
        signed_in.post(f"/segments/{theirs.id}/edit", data=_form(name="Mine", action="save")).status_code
        == 404
    )
    assert signed_in.post(f"/segments/{theirs.id}/delete", data={"csrf_token": CSRF}).status_code == 404
    uow.session.expire_all()
    assert uow.session.get(Segment, theirs.id).name == "Theirs"


def test_company_segment_lists_companies(signed_in, uow, shop, history):
    response = signed_in.post(
        "/segments/new", data=_form(name="Accounts", action="save", subject="company", **{"n-0-value": "1"})
    )
    assert response.status_code == 303
    html = signed_in.get(response.headers["Location"]).get_data(as_text=True)
    assert re.search(r'href="/companies/\d+"', html)


# -- the dashboard --------------------------------------------------------------------------------


def test_empty_shop_dashboard_says_not_enough_data_without_nan_or_none(signed_in, uow, shop):
    run = service.start_run(uow, shop_id=shop.id)
    uow.commit()
    service.execute_run(uow, shop_id=shop.id, run_id=run.id)
    for url in ("/segments/dashboard", "/segments/dashboard?subject=company"):
        html = signed_in.get(url).get_data(as_text=True)
        text = _text(html)
        assert "Not enough data" in text
        assert url.endswith("company") or "no customer placed a first order" in text
        assert not re.search(r"\b(nan|NaN|None|inf)\b", text)


def _buyers(uow, shop_id: int, orders_each: list[int], until: datetime = AS_OF) -> None:
    """One customer per entry, with that many orders of 100.00 in the shop's currency, spread over a year
    before `until`."""
    for i, count in enumerate(orders_each):
        customer = CrmCustomer(shop_id=shop_id, shopify_id=70_000 + i, email=f"once{i}@example.com")
        uow.session.add(customer)
        uow.session.flush()
        for n in range(count):
            moment = until - timedelta(days=10 + 30 * n + i)
            uow.session.add(
                CrmOrder(
                    shop_id=shop_id,
                    shopify_id=80_000 + i * 10 + n,
                    customer_id=customer.id,
                    currency="EUR",
                    current_total_price=Decimal("100.00"),
                    total_price=Decimal("100.00"),
                    processed_at=moment,
                    shopify_created_at=moment,
                )
            )
    uow.commit()


@pytest.mark.parametrize("orders_each", [[1], [1] * 30], ids=["one order", "only one-time buyers"])
def test_thin_history_says_not_enough_data_without_nan_or_none(signed_in, uow, shop, orders_each):
    # given one-time buyers whose orders fall in the dashboard's last 30 days
    now = utcnow()
    _buyers(uow, shop.id, orders_each, until=now)
    run = service.start_run(uow, shop_id=shop.id, as_of=now)
    uow.commit()
    service.execute_run(uow, shop_id=shop.id, run_id=run.id)
    text = " ".join(_text(signed_in.get("/segments/dashboard").get_data(as_text=True)).split())
    assert f"Customers scored {len(orders_each)}" in text
    assert "Repeat purchase rate 0.0%" in text
    assert "Not enough data: predicting needs at least 20 customers of whom 10 bought again" in text
    assert not re.search(r"\b(nan|NaN|None|inf)\b", text)


def test_dashboard_draws_the_grid_charts_and_churn_list(signed_in, uow, shop, history):
    html = signed_in.get("/segments/dashboard").get_data(as_text=True)
    scored = uow.session.scalar(
        select(func.count())
        .select_from(SegmentScore)
        .where(SegmentScore.shop_id == shop.id, SegmentScore.subject == Subject.CUSTOMER)
    )
    assert f"{scored:,}" in _text(re.search(r'id="kpis".*?</section>', html, re.S).group(0))
    cells = re.findall(r'<span class="tl-seg-grid__count">([\d,]+)</span>', html)
    assert len(cells) == 25 and sum(int(c.replace(",", "")) for c in cells) == scored
    for card in ("clv-distribution", "segment-sizes", "backtest"):
        assert "<svg" in re.search(rf'id="{card}".*?</section>', html, re.S).group(0)
    run = service.latest_run(uow, shop_id=shop.id)
    assert f"Computed {format_datetime(run.finished_at, 'Europe/Berlin')}" in _text(html)
    assert not re.search(r"\b(nan|NaN|None)\b", _text(html))


def test_cohort_heat_map_has_a_row_per_first_order_month(signed_in, uow, shop, history):
    period = preset_period("last_12_months", timezone=shop.timezone, now=utcnow())
    matrix = cohort_retention(uow, shop_id=shop.id, currency=shop.currency, period=period)
    html = signed_in.get("/segments/dashboard").get_data(as_text=True)
    card = re.search(r'id="cohorts".*?</section>', html, re.S).group(0)
    rows = re.findall(
        r'<tr><th scope="row">(\w{3} \d{4})</th><td class="tl-table__numeric">([\d,]+)</td>', card
    )
    assert rows == [(c.month.strftime("%b %Y"), f"{c.customers:,}") for c in matrix.cohorts] != []
    assert card.count("tl-seg-cohorts__cell--first") == len(matrix.cohorts)
    assert 'id="cohorts"' not in signed_in.get("/segments/dashboard?subject=company").get_data(as_text=True)


def test_company_tab_scores_companies(signed_in, uow, shop, history):
    companies = uow.session.scalar(
        select(func.count())
        .select_from(SegmentScore)
        .where(SegmentScore.shop_id == shop.id, SegmentScore.subject == Subject.COMPANY)
    )
    html = signed_in.get("/segments/dashboard?subject=company").get_data(as_text=True)
    kpis = " ".join(_text(re.search(r'id="kpis".*?</section>', html, re.S).group(0)).split())
    assert f"Companies scored {companies:,}" in kpis
    cells = re.findall(r'<span class="tl-seg-grid__count">([\d,]+)</span>', html)
    assert sum(int(c.replace(",", "")) for c in cells) == companies > 0


def test_churn_list_orders_by_predicted_spend_times_churn_risk(signed_in, uow, shop, history):
    # given three scored customers with predictions (the generated history keeps everyone alive)
    scores = uow.session.scalars(
        select(SegmentScore)
        .where(SegmentScore.shop_id == shop.id, SegmentScore.subject == Subject.CUSTOMER)
        .order_by(SegmentScore.id)
        .limit(3)
    ).all()
    for score, (alive, spend) in zip(scores, [("0.9", "1000"), ("0.2", "500"), ("0.5", "900")], strict=True):
        score.p_alive, score.predicted_spend_365 = Decimal(alive), Decimal(spend)
    uow.commit()
    # when
    html = signed_in.get("/segments/dashboard").get_data(as_text=True)
    # then: 500 x 0.8 = 400, 900 x 0.5 = 450, 1000 x 0.1 = 100
    card = re.search(r'id="churn-risk".*?</section>', html, re.S).group(0)
    linked = [int(i) for i in re.findall(r'href="/customers/(\d+)"', card)]
    assert linked == [scores[2].customer_id, scores[1].customer_id, scores[0].customer_id]
    assert "80.0%" in card and "$500.00" in card


def test_recompute_runs_and_a_second_request_while_busy_says_already_computing(signed_in, uow, shop):
    assert signed_in.post("/segments/recompute", data={"csrf_token": "bad"}).status_code == 400
    response = signed_in.post("/segments/recompute", data={"csrf_token": CSRF})
    assert response.status_code == 303
    run = service.latest_run(uow, shop_id=shop.id)
    assert response.headers["Location"] == f"/segments/dashboard?run={run.id}"
    busy = service.start_run(uow, shop_id=shop.id)
    uow.commit()
    html = signed_in.get("/segments/dashboard").get_data(as_text=True)
    assert 'id="progress"' in html and f'data-run-url="/segments/runs/{busy.id}"' in html
    status = signed_in.get(f"/segments/runs/{busy.id}").get_json()
    assert status == {
        "id": busy.id,
        "status": "queued",
        "step": None,
        "step_label": "Waiting to start",
        "done": 0,
        "total": 0,
        "finished": False,
        "error": None,
        "finished_at": None,
    }
    response = signed_in.post("/segments/recompute", data={"csrf_token": CSRF}, follow_redirects=True)
    assert "already computing" in response.get_data(as_text=True)
    assert (
        uow.session.scalar(select(func.count()).select_from(SegmentRun).where(SegmentRun.shop_id == shop.id))
        == 2
    )


def test_run_status_of_another_shop_is_404(signed_in, uow, shop):
    other_id = make_shop(uow, "other-shop.myshopify.com")
    run = service.start_run(uow, shop_id=other_id)
    uow.commit()
    assert signed_in.get(f"/segments/runs/{run.id}").status_code == 404
    assert run.status is RunStatus.QUEUED
