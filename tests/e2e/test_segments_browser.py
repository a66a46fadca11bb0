"""Segments in a real browser: build a segment while the live count changes, save it and see its members;
the analytics dashboard with its charts; photographed at each step."""

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
from segments import definitions, service
from segments.models import Segment
from tests.admin_support import ACME_DOMAIN, add_acme
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
