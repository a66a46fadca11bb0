"""Segments in a real browser: build a segment while the live count changes, save it and see its members;
the analytics dashboard with its charts; marketing spend; a segment's Shopify tag push; photographed at
each step."""

from __future__ import annotations

import random
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from app import services
from app.admin.formatting import format_datetime
from crm.models import CrmCustomer, CrmOrder
from segments import definitions, metrics, service
from segments.models import Segment
from tests.admin_support import ACME_DOMAIN, add_acme
from tests.segments_metrics_support import FakeTags
from tests.segments_pages_support import connect, tagged_segment
from tests.segments_support import AS_OF, generate_history

pytestmark = pytest.mark.browser


@pytest.fixture
def analysed(live_app):
    """The acme shop with 300 generated customers, 8 companies and one finished analytics run; committed."""
    with services().db.unit_of_work() as uow:
        shop = add_acme(uow)
        shop.currency = "USD"  # the generated orders' currency
        generate_history(uow, shop.id, customers=300, companies=8, seed=5)
        add_lapsed_buyers(uow, shop.id, count=40)
        uow.commit()
        run = service.start_run(uow, shop_id=shop.id, as_of=AS_OF)
        uow.commit()
        service.execute_run(uow, shop_id=shop.id, run_id=run.id)
        return shop.id


def add_lapsed_buyers(uow, shop_id: int, *, count: int) -> None:
    """Named customers who bought often in the first year and then stopped: the churn model's subject."""
    rng = random.Random(7)
    names = ["Ada", "Bruno", "Chiara", "Dmitri", "Elif", "Farid", "Greta", "Hiro", "Ines", "Jonas"]
    surnames = ["Keller", "Lindqvist", "Moreau", "Novak", "Okafor", "Petrov", "Quinn", "Rossi"]
    for i in range(count):
        customer = CrmCustomer(
            shop_id=shop_id,
            shopify_id=8_000_000 + i,
            email=f"lapsed{i}@example.com",
            first_name=names[i % len(names)],
            last_name=surnames[i % len(surnames)],
        )
        uow.session.add(customer)
        uow.session.flush()
        for n in range(rng.randrange(4, 11)):
            moment = AS_OF - timedelta(days=rng.randrange(380, 715))
            uow.session.add(
                CrmOrder(
                    shop_id=shop_id,
                    shopify_id=8_100_000 + i * 20 + n,
                    customer_id=customer.id,
                    currency="USD",
                    current_total_price=Decimal(rng.randrange(200, 1500)),
                    total_price=Decimal(rng.randrange(200, 1500)),
                    processed_at=moment,
                    shopify_created_at=moment,
                )
            )
    uow.commit()


def snap(page, screenshots_dir, name: str) -> None:
    """A full-page screenshot from the top once the page has loaded."""
    page.wait_for_load_state("load")
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(screenshots_dir / name), full_page=True)


def sign_in(page) -> None:
    page.goto("/signin")
    page.get_by_label("Shop").select_option(ACME_DOMAIN)
    page.get_by_label("Your name").fill("Dana Reyes")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", level=1, name="Acme Wholesale").wait_for()


def _count(page) -> int:
    return int(page.locator('[data-preview="count"]').inner_text().replace(",", ""))


def test_build_a_segment_with_a_live_count_save_it_and_see_its_members(page, analysed, screenshots_dir):
    shop_id = analysed
    sign_in(page)
    page.get_by_role("navigation", name="Tradeline").get_by_role("link", name="Segments").click()
    page.get_by_role("heading", name="Group your buyers by what they do").wait_for()
    snap(page, screenshots_dir, "segments-empty.png")

    page.get_by_role("link", name="New segment").first.click()
    page.get_by_role("heading", level=1, name="New segment").wait_for()
    page.get_by_label("Name", exact=True).fill("Frequent buyers")
    # A field with other operators: the conditions are redrawn with the new field's operators.
    page.get_by_label("Field, condition 1").select_option("f_score")
    page.get_by_label("Operator, condition 1").locator('option[value="in"]').wait_for(state="attached")
    page.get_by_label("Value, condition 1").fill("2")
    page.wait_for_function("document.querySelector('[data-preview=\"count\"]').textContent.trim() !== '0'")
    wide = _count(page)
    page.get_by_label("Value, condition 1").fill("4")
    page.wait_for_function(
        f"document.querySelector('[data-preview=\"count\"]').textContent.replace(/,/g, '') !== '{wide}'"
    )
    narrow = _count(page)
    assert 0 < narrow < wide

    # A bad value is shown at its condition, and the count waits for it to be fixed.
    page.get_by_label("Value, condition 1").fill("9")
    page.get_by_text("9 is not a score from 1 to 5").wait_for()
    snap(page, screenshots_dir, "segments-builder-error.png")
    page.get_by_label("Value, condition 1").fill("4")
    page.get_by_text("9 is not a score from 1 to 5").wait_for(state="hidden")

    # An OR group, filled in.
    page.get_by_role("button", name="+ Add a group (OR)").first.click()
    page.get_by_label("Field, condition 2.1").wait_for()
    page.get_by_label("Field, condition 2.1").select_option("r_score")
    page.get_by_label("Operator, condition 2.1").locator('option[value="in"]').wait_for(state="attached")
    page.get_by_label("Value, condition 2.1").fill("4")
    grouped = {
        "match": "all",
        "conditions": [
            {"field": "f_score", "op": "gte", "value": 4},
            {"match": "any", "conditions": [{"field": "r_score", "op": "gte", "value": 4}]},
        ],
    }
    with services().db.unit_of_work() as uow:
        both = definitions.preview(uow, shop_id=shop_id, subject="customer", definition=grouped).count
    page.wait_for_function(
        f"document.querySelector('[data-preview=\"count\"]').textContent.replace(/,/g, '') === '{both}'"
    )
    assert 0 < both <= narrow
    snap(page, screenshots_dir, "segments-builder.png")

    page.get_by_role("button", name="Save segment").click()
    page.get_by_role("heading", level=1, name="Frequent buyers").wait_for()
    page.get_by_text(re.compile(r"Segment “Frequent buyers” saved with [\d,]+ member")).wait_for()
    with services().db.unit_of_work() as uow:
        segment = uow.session.scalars(select(Segment).where(Segment.shop_id == shop_id)).one()
        assert segment.member_count == both
        expected = definitions.preview(
            uow, shop_id=shop_id, subject="customer", definition=segment.definition
        )
        assert expected.count == both
    members = page.get_by_role("table", name="Members of Frequent buyers").locator("tbody tr")
    assert members.count() == min(both, 50)
    snap(page, screenshots_dir, "segments-segment.png")

    # Deleting asks first: dismissing keeps the segment, accepting removes it.
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name="Delete segment").click()
    page.get_by_role("heading", level=1, name="Frequent buyers").wait_for()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete segment").click()
    page.get_by_text("Segment “Frequent buyers” deleted.").wait_for()
    with services().db.unit_of_work() as uow:
        assert uow.session.scalars(select(Segment).where(Segment.shop_id == shop_id)).first() is None


def test_dashboard_shows_the_figures_as_pictures(page, analysed, screenshots_dir):
    sign_in(page)
    page.goto("/segments/dashboard")
    page.get_by_role("heading", level=1, name="Analytics").wait_for()
    page.get_by_role("table", name=re.compile("by recency")).wait_for()
    assert page.locator("#clv-distribution figure svg, #clv-distribution .tl-seg-empty").count() == 1
    assert page.locator("#segment-sizes figure svg").count() == 1
    assert page.locator("#backtest figure svg").count() == 1
    assert "nan" not in page.locator("main").inner_text().lower().split()
    snap(page, screenshots_dir, "segments-dashboard.png")
    page.get_by_role("navigation", name="Customers or companies").get_by_role(
        "link", name="Companies"
    ).click()
    page.get_by_role("heading", level=1, name="Analytics").wait_for()
    snap(page, screenshots_dir, "segments-dashboard-companies.png")


def test_progress_bar_follows_a_run_until_it_finishes(page, analysed, screenshots_dir):
    shop_id = analysed
    with services().db.unit_of_work() as uow:
        run = service.start_run(uow, shop_id=shop_id, as_of=AS_OF)
        uow.commit()
        run_id = run.id
    sign_in(page)
    page.goto("/segments/dashboard")
    progress = page.get_by_role("progressbar", name="Analytics progress")
    progress.wait_for()
    page.get_by_text("Waiting to start").wait_for()
    assert page.get_by_role("button", name="Recompute now").is_disabled()
    snap(page, screenshots_dir, "segments-dashboard-progress.png")

    # The worker runs it; the page polls the run's status and reloads when it has finished.
    with services().db.unit_of_work() as uow:
        service.execute_run(uow, shop_id=shop_id, run_id=run_id)
    progress.wait_for(state="detached", timeout=15_000)
    assert page.get_by_role("button", name="Recompute now").is_enabled()
    with services().db.unit_of_work() as uow:
        finished = service.get_run(uow, shop_id=shop_id, run_id=run_id).finished_at
    stamp = page.locator("#kpis .tl-seg-computed").inner_text()
    assert stamp == f"Computed {format_datetime(finished, 'Europe/Berlin')}"


# -- marketing spend and the tag push -------------------------------------------------------------


@pytest.fixture
def fake_shopify(app_config) -> FakeTags:
    """Shopify's tag mutations answered by a fake; ask for it before the live app is built."""
    shopify = FakeTags()
    app_config["SHOPIFY_HTTP_TRANSPORT"] = shopify.transport
    return shopify


def test_enter_marketing_spend_from_the_cac_tile(page, live_app, screenshots_dir):
    with services().db.unit_of_work() as uow:
        shop_id = add_acme(uow).id
        uow.commit()
        run = service.start_run(uow, shop_id=shop_id)  # the key figures come with an analytics run
        uow.commit()
        service.execute_run(uow, shop_id=shop_id, run_id=run.id)
    sign_in(page)
    page.goto("/segments/dashboard")
    page.locator('[data-metric="cac"]').get_by_role("link", name="Enter marketing spend").click()
    page.get_by_role("heading", level=1, name="Marketing spend").wait_for()
    page.get_by_role("heading", name="CAC needs what you spent on marketing").wait_for()
    snap(page, screenshots_dir, "segments-spend-empty.png")

    # A negative amount is refused at its field; nothing is stored.
    form = page.get_by_role("form", name="Add spend")
    form.get_by_label("Channel").fill("utm:google")
    form.get_by_label("Month").fill("2026-10")
    form.get_by_label("Amount (EUR)").fill("-120")
    form.get_by_role("button", name="Add spend").click()
    page.get_by_text("Marketing spend cannot be negative (got -120)").wait_for()
    assert form.get_by_label("Amount (EUR)").get_attribute("aria-invalid") == "true"
    snap(page, screenshots_dir, "segments-spend-error.png")
    with services().db.unit_of_work() as uow:
        assert metrics.list_spend(uow, shop_id=shop_id) == []

    form.get_by_label("Amount (EUR)").fill("1200")
    form.get_by_role("button", name="Add spend").click()
    page.get_by_text("Spend added: utm:google, October 2026, €1,200.00.").wait_for()
    form.get_by_label("Channel").fill("referrer:instagram.com")
    form.get_by_label("Month").fill("2026-09")
    form.get_by_label("Amount (EUR)").fill("310.5")
    form.get_by_role("button", name="Add spend").click()
    page.get_by_text("Spend added: referrer:instagram.com, September 2026, €310.50.").wait_for()

    # Edit an amount in place.
    page.get_by_role("link", name="Edit utm:google, October 2026").click()
    edit = page.get_by_role("form", name="Edit the spend of utm:google, October 2026")
    edit.get_by_label("Amount (EUR)").fill("abc")
    edit.get_by_role("button", name="Save").click()
    page.get_by_text("'abc' is not a number").wait_for()
    snap(page, screenshots_dir, "segments-spend-edit-error.png")
    edit.get_by_label("Amount (EUR)").fill("1350")
    edit.get_by_role("button", name="Save").click()
    page.get_by_text("Spend saved: utm:google, October 2026, €1,350.00.").wait_for()
    table = page.get_by_role("table", name="Marketing spend per channel and month")
    assert table.locator("tbody tr").count() == 2
    assert "€1,350.00" in table.inner_text()
    snap(page, screenshots_dir, "segments-spend.png")

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete referrer:instagram.com, September 2026").click()
    page.get_by_text("Spend deleted: referrer:instagram.com, September 2026.").wait_for()
    with services().db.unit_of_work() as uow:
        rows = metrics.list_spend(uow, shop_id=shop_id)
        assert [(r.channel, r.amount) for r in rows] == [("utm:google", Decimal("1350"))]


def test_push_a_segment_to_shopify_and_see_the_result(fake_shopify, page, live_app, screenshots_dir):
    with services().db.unit_of_work() as uow:
        shop_id = add_acme(uow).id
        connect(uow, shop_id)
        segment_id = tagged_segment(uow, shop_id, members=range(3), at=AS_OF)
    sign_in(page)
    page.goto(f"/segments/{segment_id}")
    card = page.locator("#tag-push")
    card.get_by_text("Never pushed").wait_for()
    card.get_by_role("button", name="Push now").click()
    page.get_by_text("Tag “vip” pushed to Shopify: added to 3, removed from 0.").wait_for()
    assert "Pushed" in card.inner_text()
    assert card.locator('[data-push="added"]').inner_text() == "3 customers"
    assert fake_shopify.tags == {f"gid://shopify/Customer/{7_000 + key}": {"vip"} for key in range(3)}
    snap(page, screenshots_dir, "segments-segment-tag-push.png")
