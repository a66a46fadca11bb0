"""CSV import in a real browser: upload a file, read the dry-run diff and its errors, apply it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app import services
from app.shops import TokenSet, store_token
from tests import pricing_support as ps
from tests.admin_support import ACME_DOMAIN, add_acme
from tests.pricing_csv_support import contents, csv_bytes

pytestmark = pytest.mark.browser


@pytest.fixture
def price_list(live_app):
    """The acme shop (EUR) with three mugs and a list that prices one of them; committed."""
    with services().db.unit_of_work() as uow:
        shop = add_acme(uow)
        store_token(
            uow,
            services().cipher,
            shop_id=shop.id,
            tokens=TokenSet(access_token="shpat_e2e", scope=shop.scopes),
        )
        mugs = ps.make_product(uow, shop.id, title="Stoneware mug")
        variants = {
            sku: ps.make_variant(uow, shop.id, mugs, price="20.00", sku=sku, currency="EUR", title=title)
            for sku, title in (("MUG-S", "Small"), ("MUG-M", "Medium"), ("MUG-L", "Large"))
        }
        plist = ps.make_price_list(uow, shop.id, "Café wholesale", currency="EUR")
        ps.add_entry(uow, plist, variants["MUG-S"], "15.00")
        ps.add_entry(uow, plist, variants["MUG-L"], "18.00")
        uow.commit()
        return plist.id, {sku: v.id for sku, v in variants.items()}


def snap(page, screenshots_dir, name: str) -> None:
    page.wait_for_load_state("load")
    page.screenshot(path=str(screenshots_dir / name), full_page=True)


def sign_in(page) -> None:
    page.goto("/signin")
    page.get_by_label("Shop").select_option(ACME_DOMAIN)
    page.get_by_label("Your name").fill("Dana Reyes")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", level=1, name="Acme Wholesale").wait_for()


def test_upload_a_file_read_the_diff_and_apply_it(page, price_list, tmp_path, screenshots_dir):
    list_id, ids = price_list
    bad = tmp_path / "bad.csv"
    bad.write_bytes(
        csv_bytes([["MUG-S", "14.00", "", "", "", "", "", ""], ["MUG-X", "1.005", "", "", "", "", "", ""]])
    )
    good = tmp_path / "spring.csv"
    good.write_bytes(
        csv_bytes(
            [
                ["MUG-S", "14.50", "", "6", "", "6", "12", "13.00"],
                ["MUG-M", "16.00", "19.00", "", "", "", "", ""],
            ]
        )
    )
    sign_in(page)
    page.goto(f"/pricing/{list_id}/csv")
    page.get_by_role("heading", level=1, name="Import prices").wait_for()

    # a file with bad rows: every one listed by line, nothing to apply
    page.get_by_label("CSV file", exact=True).set_input_files(str(bad))
    page.get_by_role("button", name="Check file").click()
    page.get_by_text("1 of 2 rows cannot be imported").wait_for()
    errors = page.get_by_role("table", name="Rows with errors")
    assert errors.get_by_role("row").all_inner_texts() == [
        "Line\tColumn\tProblem",
        "3\tprice\tThe price 1.005 has more decimals than EUR allows (2)",
        "3\tsku\tUnknown SKU 'MUG-X': no variant has it",
    ]
    assert page.get_by_role("button", name="Apply changes").count() == 0
    snap(page, screenshots_dir, "pricing-csv-errors.png")

    # a good file in replace mode: the diff, then apply
    page.get_by_role("link", name="Upload another file").click()
    page.get_by_label("CSV file", exact=True).set_input_files(str(good))
    page.get_by_label("Replace: variants not in the file are removed from the list").check()
    page.get_by_role("button", name="Check file").click()
    page.get_by_role("heading", level=1, name="Check “spring.csv”").wait_for()
    assert page.get_by_text("1 added, 1 changed, 1 removed, 0 unchanged (2 rows read)").is_visible()
    changed = page.get_by_role("table", name="Changed")
    assert changed.get_by_role("row").nth(1).inner_text().split("\t")[-3:] == ["price", "15.00", "14.50"]
    assert page.get_by_role("table", name="Removed").get_by_text("MUG-L").is_visible()
    snap(page, screenshots_dir, "pricing-csv-diff.png")

    page.get_by_role("button", name="Apply changes").click()
    page.get_by_text("Applied spring.csv: 1 added, 1 changed, 1 removed.").wait_for()
    with services().db.unit_of_work() as uow:
        stored = contents(uow, list_id)
    assert stored["entries"] == sorted(
        [(ids["MUG-S"], Decimal("14.5000"), None), (ids["MUG-M"], Decimal("16.0000"), Decimal("19.0000"))]
    )
    assert stored["rules"] == [(ids["MUG-S"], 6, None, 6)]
