"""The CSV upload, dry-run diff, apply and export pages through the Flask client."""

from __future__ import annotations

import io
import re
from decimal import Decimal
from html import unescape
from pathlib import Path

import pytest

from app import services
from app.auth.local import CSRF_SESSION_KEY
from pricing.models import TierKind
from pricing.service.csv_io import uploads
from tests.admin_support import add_acme, sign_in
from tests.pricing_csv_support import contents, csv_bytes
from tests.pricing_support import (
    add_entry,
    add_rule,
    add_tier,
    make_price_list,
    make_product,
    make_shop,
    make_variant,
)

CSRF = "test-csrf-token"


@pytest.fixture
def shop(uow):
    return add_acme(uow)


@pytest.fixture
def catalog(uow, shop):
    product = make_product(uow, shop.id, title="Arabica beans")
    variants = {
        "A-1": make_variant(uow, shop.id, product, sku="A-1", title="1 kg", currency="EUR"),
        "A-2": make_variant(uow, shop.id, product, sku="A-2", title="5 kg", currency="EUR"),
    }
    uow.commit()
    return variants


@pytest.fixture
def plist(uow, shop, catalog):
    row = make_price_list(uow, shop.id, "Spring wholesale", currency="EUR")
    add_entry(uow, row, catalog["A-1"], "10.00")
    uow.commit()
    return row


@pytest.fixture
def signed_in(client, shop):
    sign_in(client, shop.id)
    with client.session_transaction() as session:
        session[CSRF_SESSION_KEY] = CSRF
    return client


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def _upload(
    client, plist, data: bytes, *, mode: str = "merge", csrf: str | None = CSRF, name: str = "prices.csv"
):
    form = {"file": (io.BytesIO(data), name), "mode": mode}
    if csrf is not None:
        form["csrf_token"] = csrf
    return client.post(f"/pricing/{plist.id}/csv", data=form, content_type="multipart/form-data")


def _token(html: str) -> str:
    match = re.search(r'name="token" value="([^"]+)"', html)
    assert match is not None, "no Apply form on the page"
    return match.group(1)


def _stored_files() -> list[Path]:
    directory = Path(services().settings.INSTANCE_PATH) / uploads.UPLOAD_DIR
    return sorted(directory.iterdir()) if directory.exists() else []


def test_the_upload_form_shows_the_list_and_the_format(signed_in, plist):
    response = signed_in.get(f"/pricing/{plist.id}/csv")

    assert response.status_code == 200
    text = _text(response.get_data(as_text=True))
    assert "Import prices" in text and "Spring wholesale · EUR" in text
    assert f'action="/pricing/{plist.id}/csv"' in response.get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in response.get_data(as_text=True)


def test_upload_shows_the_diff_then_apply_writes_it(signed_in, uow, plist, catalog):
    data = csv_bytes(
        [["A-1", "9.50", "", "", "", "", "", ""], ["A-2", "40.00", "", "6", "", "6", "12", "38.00"]]
    )

    checked = _upload(signed_in, plist, data)

    assert checked.status_code == 200
    html = checked.get_data(as_text=True)
    text = _text(html)
    assert "1 added, 1 changed, 0 removed, 0 unchanged (2 rows read)" in text
    assert "A-1 Arabica beans · 1 kg 2 price 10.00 9.50" in text
    assert contents(uow, plist.id)["entries"] == [(catalog["A-1"].id, Decimal("10.0000"), None)]
    # the upload, its record and (PostgreSQL) the dry run's checked changes wait for the apply
    staged = [".stage"] if uow.session.get_bind().dialect.name == "postgresql" else []
    assert sorted(path.suffix for path in _stored_files()) == [".csv", ".json", *staged]

    applied = signed_in.post(
        f"/pricing/{plist.id}/csv/apply", data={"csrf_token": CSRF, "token": _token(html)}
    )

    assert applied.status_code == 303
    assert contents(uow, plist.id) == {
        "entries": sorted(
            [(catalog["A-1"].id, Decimal("9.5000"), None), (catalog["A-2"].id, Decimal("40.0000"), None)]
        ),
        "tiers": [(catalog["A-2"].id, 12, TierKind.FIXED, Decimal("38.0000"))],
        "rules": [(catalog["A-2"].id, 6, None, 6)],
    }
    assert _stored_files() == []  # the upload is gone once applied
    page = signed_in.get(applied.headers["Location"])
    assert "Applied prices.csv: 1 added, 1 changed, 0 removed." in _text(page.get_data(as_text=True))


def test_bad_rows_are_listed_by_line_and_no_apply_is_offered(signed_in, uow, plist, catalog):
    data = csv_bytes([["A-1", "9.50", "", "", "", "", "", ""], ["NOPE", "-3", "", "", "", "", "", ""]])

    response = _upload(signed_in, plist, data)

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    text = _text(html)
    assert "1 of 2 rows cannot be imported" in text
    assert "3 sku Unknown SKU 'NOPE': no variant has it" in text
    assert "3 price The price -3 is negative" in text
    assert 'name="token"' not in html
    assert _stored_files() == []


def test_a_bad_header_or_encoding_shows_the_form_with_the_error(signed_in, uow, plist):
    bad_header = _upload(signed_in, plist, b"sku,cost\r\nA-1,3\r\n")
    latin1 = _upload(signed_in, plist, "sku,price\r\nCAFÉ,3\r\n".encode("latin-1"))

    assert bad_header.status_code == 422
    assert "unknown columns: cost" in _text(bad_header.get_data(as_text=True))
    assert latin1.status_code == 422
    assert "Line 2 is not UTF-8 text" in _text(latin1.get_data(as_text=True))
    assert contents(uow, plist.id)["entries"] == [(plist.entries[0].variant_id, Decimal("10.0000"), None)]


def test_upload_and_apply_need_the_csrf_token(signed_in, uow, plist):
    data = csv_bytes([["A-1", "9.50", "", "", "", "", "", ""]])

    refused = _upload(signed_in, plist, data, csrf="wrong")
    checked = _upload(signed_in, plist, data)
    apply_refused = signed_in.post(
        f"/pricing/{plist.id}/csv/apply",
        data={"csrf_token": "wrong", "token": _token(checked.get_data(as_text=True))},
    )

    assert refused.status_code == 400
    assert apply_refused.status_code == 400
    assert contents(uow, plist.id)["entries"] == [(plist.entries[0].variant_id, Decimal("10.0000"), None)]


def test_a_stale_dry_run_is_refused_with_a_clear_message(signed_in, uow, plist, catalog):
    checked = _upload(signed_in, plist, csv_bytes([["A-1", "9.50", "", "", "", "", "", ""]]))
    add_entry(uow, plist, catalog["A-2"], "41.00")  # someone edits the list meanwhile
    uow.commit()
    before = contents(uow, plist.id)

    response = signed_in.post(
        f"/pricing/{plist.id}/csv/apply",
        data={"csrf_token": CSRF, "token": _token(checked.get_data(as_text=True))},
    )

    assert response.status_code == 409
    assert "The price list changed after this file was checked" in _text(response.get_data(as_text=True))
    assert contents(uow, plist.id) == before


def test_an_unknown_or_expired_token_is_refused(signed_in, uow, plist):
    response = signed_in.post(f"/pricing/{plist.id}/csv/apply", data={"csrf_token": CSRF, "token": "x" * 32})

    assert response.status_code == 409
    assert "This upload has expired or was already applied" in _text(response.get_data(as_text=True))


def test_another_shops_list_is_a_404_on_every_route(signed_in, uow):
    other = make_shop(uow, domain="other.myshopify.com")
    theirs = make_price_list(uow, other, "Theirs")
    uow.commit()
    data = csv_bytes([["A-1", "9.50", "", "", "", "", "", ""]])

    assert signed_in.get(f"/pricing/{theirs.id}/csv").status_code == 404
    assert _upload(signed_in, theirs, data).status_code == 404
    assert signed_in.post(f"/pricing/{theirs.id}/csv/apply", data={"csrf_token": CSRF}).status_code == 404
    assert signed_in.get(f"/pricing/{theirs.id}/export.csv").status_code == 404


def test_a_token_for_another_list_is_refused(signed_in, uow, shop, plist):
    other = make_price_list(uow, shop.id, "Other", currency="EUR")
    uow.commit()
    checked = _upload(signed_in, plist, csv_bytes([["A-1", "9.50", "", "", "", "", "", ""]]))

    response = signed_in.post(
        f"/pricing/{other.id}/csv/apply",
        data={"csrf_token": CSRF, "token": _token(checked.get_data(as_text=True))},
    )

    assert response.status_code == 409
    assert contents(uow, other.id)["entries"] == []


def test_export_downloads_the_list_as_csv(signed_in, uow, plist, catalog):
    add_tier(uow, plist, 10, "9.00", variant=catalog["A-1"])
    add_rule(uow, plist, minimum=2, increment=2, variant=catalog["A-2"])
    uow.commit()

    response = signed_in.get(f"/pricing/{plist.id}/export.csv")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert (
        response.headers["Content-Disposition"]
        == f'attachment; filename="price-list-{plist.id}-spring-wholesale.csv"'
    )
    assert response.headers["Cache-Control"] == "no-store"
    a1, a2 = catalog["A-1"], catalog["A-2"]
    assert response.get_data().decode("utf-8-sig").splitlines() == [
        "variant_id,sku,product,variant,price,compare_at_price,currency,min_qty,max_qty,increment,"
        "tier_1_min,tier_1_price,tier_1_percent_off",
        f"{a1.shopify_id},A-1,Arabica beans,1 kg,10.00,,EUR,,,,10,9.00,",
        f"{a2.shopify_id},A-2,Arabica beans,5 kg,,,EUR,2,,2,,,",
    ]


def test_export_then_upload_has_nothing_to_apply(signed_in, plist):
    exported = signed_in.get(f"/pricing/{plist.id}/export.csv").get_data()

    response = _upload(signed_in, plist, exported, mode="replace")

    assert response.status_code == 200
    assert "Nothing to change" in _text(response.get_data(as_text=True))
    assert 'name="token"' not in response.get_data(as_text=True)


def test_pages_need_a_signed_in_admin(client, plist):
    assert client.get(f"/pricing/{plist.id}/csv").status_code == 302
    assert client.get(f"/pricing/{plist.id}/export.csv").status_code == 302
