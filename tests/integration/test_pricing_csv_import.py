"""CSV import of a price list on a real database: dry run, apply, modes, stale dry runs, round trip."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest

from app.errors import NotFound
from pricing.models import PriceListStatus, TierKind
from pricing.service import csv_io
from pricing.service.csv_io import Change, CsvFileError, ImportMode, ImportRejected, StaleDryRun
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


@pytest.fixture
def shop(uow):
    return make_shop(uow)


@pytest.fixture
def catalog(uow, shop):
    """Three variants: A-1, A-2 (one product) and B-1."""
    product = make_product(uow, shop, title="Arabica beans")
    other = make_product(uow, shop, title="Brewer")
    return {
        "A-1": make_variant(uow, shop, product, sku="A-1", title="1 kg"),
        "A-2": make_variant(uow, shop, product, sku="A-2", title="5 kg"),
        "B-1": make_variant(uow, shop, other, sku="B-1", title="Default"),
    }


def _dry(uow, shop, plist, data: bytes, mode=ImportMode.MERGE):
    return csv_io.dry_run(uow, shop_id=shop, price_list_id=plist.id, stream=io.BytesIO(data), mode=mode)


def _apply(uow, shop, plist, data: bytes, mode=ImportMode.MERGE, report=None):
    report = report or _dry(uow, shop, plist, data, mode)
    return csv_io.apply_import(
        uow,
        shop_id=shop,
        price_list_id=plist.id,
        stream=io.BytesIO(data),
        mode=mode,
        fingerprint=report.fingerprint,
        digest=report.digest,
    )


def test_dry_run_reports_added_rows_and_writes_nothing(uow, shop, catalog):
    plist = make_price_list(uow, shop)
    data = csv_bytes(
        [["A-1", "9.50", "12.00", "6", "", "6", "12", "8.75"], ["B-1", "30", "", "", "", "", "", ""]]
    )

    report = _dry(uow, shop, plist, data)

    assert report.ok and report.rows == 2
    assert (report.added, report.changed, report.removed, report.unchanged) == (2, 0, 0, 0)
    first = report.samples[Change.ADDED][0]
    assert (first.sku, first.product, first.title, first.line) == ("A-1", "Arabica beans", "1 kg", 2)
    assert [(f.field, f.old, f.new) for f in first.fields] == [
        ("price", "", "9.50"),
        ("compare_at_price", "", "12.00"),
        ("tiers", "", "12+ 8.75"),
        ("min_qty", "", "6"),
        ("increment", "", "6"),
    ]
    assert contents(uow, plist.id) == {"entries": [], "tiers": [], "rules": []}


def test_apply_writes_prices_tiers_and_rules_exactly(uow, shop, catalog):
    plist = make_price_list(uow, shop)
    header = [
        "variant_id",
        "price",
        "min_qty",
        "max_qty",
        "increment",
        "tier_1_min",
        "tier_1_price",
        "tier_2_min",
        "tier_2_percent_off",
    ]
    a1, b1 = catalog["A-1"], catalog["B-1"]
    data = csv_bytes(
        [
            [a1.shopify_id, "9.5", "6", "600", "6", "12", "8.75", "", ""],
            [f"gid://shopify/ProductVariant/{b1.shopify_id}", "", "", "", "", "", "", "50", "12.5"],
        ],
        header,
    )

    report = _apply(uow, shop, plist, data)
    uow.commit()

    assert (report.added, report.changed, report.removed) == (2, 0, 0)
    assert contents(uow, plist.id) == {
        "entries": [(a1.id, Decimal("9.5000"), None)],
        "tiers": sorted(
            [
                (a1.id, 12, TierKind.FIXED, Decimal("8.7500")),
                (b1.id, 50, TierKind.PERCENT_OFF, Decimal("12.5000")),
            ]
        ),
        "rules": [(a1.id, 6, 600, 6)],
    }


def test_merge_keeps_unnamed_variants_and_replace_removes_them(uow, shop, catalog):
    plist = make_price_list(uow, shop)
    a1, a2, b1 = catalog["A-1"], catalog["A-2"], catalog["B-1"]
    add_entry(uow, plist, a1, "10.00")
    add_entry(uow, plist, a2, "40.00")
    add_tier(uow, plist, 5, "35.00", variant=a2)
    add_rule(uow, plist, minimum=2, increment=2, variant=b1)
    add_tier(uow, plist, 100, "5", kind=TierKind.PERCENT_OFF)  # list-wide: the CSV never touches it
    data = csv_bytes([["A-1", "9.00", "", "", "", "", "", ""]])

    merge = _dry(uow, shop, plist, data, ImportMode.MERGE)
    replace = _dry(uow, shop, plist, data, ImportMode.REPLACE)

    assert (merge.added, merge.changed, merge.removed) == (0, 1, 0)
    assert [(f.field, f.old, f.new) for f in merge.samples[Change.CHANGED][0].fields] == [
        ("price", "10.00", "9.00")
    ]
    assert (replace.added, replace.changed, replace.removed) == (0, 1, 2)
    assert sorted(r.sku for r in replace.samples[Change.REMOVED]) == ["A-2", "B-1"]

    _apply(uow, shop, plist, data, ImportMode.REPLACE, replace)
    uow.commit()
    assert contents(uow, plist.id) == {
        "entries": [(a1.id, Decimal("9.0000"), None)],
        "tiers": [(None, 100, TierKind.PERCENT_OFF, Decimal("5.0000"))],
        "rules": [],
    }


def test_a_row_without_values_removes_the_variant_in_merge_mode(uow, shop, catalog):
    plist = make_price_list(uow, shop)
    a1, a2 = catalog["A-1"], catalog["A-2"]
    add_entry(uow, plist, a1, "10.00")
    add_entry(uow, plist, a2, "40.00")
    add_rule(uow, plist, minimum=3, variant=a1)
    data = csv_bytes([["A-1", "", "", "", "", "", "", ""], ["A-2", "", "", "5", "", "", "", ""]])

    report = _apply(uow, shop, plist, data)
    uow.commit()

    assert (report.added, report.changed, report.removed) == (0, 1, 1)
    assert contents(uow, plist.id) == {"entries": [], "tiers": [], "rules": [(a2.id, 5, None, 1)]}


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (["sku", "price", "colour", "Wholesale Price"], "unknown columns: colour, Wholesale Price"),
        (["sku", "compare_at_price"], "the price column is required"),
        (["price", "min_qty"], "a sku or a variant_id column is required"),
        (["sku", "price", "price"], "columns given twice: price"),
        (["sku", "price", "tier_1_min"], "tier 1 needs tier_1_min and tier_1_price or tier_1_percent_off"),
    ],
)
def test_a_bad_header_refuses_the_file_and_changes_nothing(uow, shop, catalog, header, message):
    plist = make_price_list(uow, shop)
    add_entry(uow, plist, catalog["A-1"], "10.00")
    before = contents(uow, plist.id)
    data = csv_bytes([["A-1"] + ["1"] * (len(header) - 1)], header)

    with pytest.raises(CsvFileError, match="The header row is not valid") as refused:
        _dry(uow, shop, plist, data)

    assert message in refused.value.detail
    assert contents(uow, plist.id) == before


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("sku,price\r\nA-1,9.50\r\n".encode("utf-16"), "The file is UTF-16 text, not UTF-8"),
        ("sku,price\r\nA-1,9.50\r\n".encode("utf-16-le"), "Line 1 contains NUL bytes"),
        ("sku,price\r\nA-1,9.50\r\nCAFÉ-1,4.00\r\n".encode("latin-1"), "Line 3 is not UTF-8 text (byte 0xC9"),
        (b"", "The file is empty"),
    ],
)
def test_a_file_that_is_not_utf8_is_refused_with_its_line(uow, shop, catalog, data, message):
    plist = make_price_list(uow, shop)

    with pytest.raises(CsvFileError) as refused:
        _dry(uow, shop, plist, data)

    assert message in refused.value.detail
    assert contents(uow, plist.id) == {"entries": [], "tiers": [], "rules": []}


def test_a_utf8_bom_and_non_ascii_skus_are_read(uow, shop, catalog):
    plist = make_price_list(uow, shop)
    café = make_variant(uow, shop, sku="CAFÉ-1")
    data = csv_bytes([["CAFÉ-1", "4.00", "", "", "", "", "", ""]], bom=True)

    _apply(uow, shop, plist, data)
    uow.commit()

    assert contents(uow, plist.id)["entries"] == [(café.id, Decimal("4.0000"), None)]


def test_every_bad_row_is_reported_with_its_line_and_nothing_is_applied(uow, shop, catalog):
    other_shop = make_shop(uow, domain="other.myshopify.com")
    make_variant(uow, other_shop, sku="THEIRS")
    make_variant(uow, shop, sku="TWIN")
    make_variant(uow, shop, sku="TWIN")
    for line in (6, 7, 8, 9, 10, 11, 12, 17):
        make_variant(uow, shop, sku=f"X-{line}")
    plist = make_price_list(uow, shop, currency="USD")
    add_entry(uow, plist, catalog["B-1"], "30.00")
    before = contents(uow, plist.id)
    header = [
        "sku",
        "variant_id",
        "price",
        "currency",
        "min_qty",
        "max_qty",
        "increment",
        "tier_1_min",
        "tier_1_price",
        "tier_2_min",
        "tier_2_price",
    ]
    a1 = catalog["A-1"]
    rows = [
        ["A-1", "", "9.50", "USD", "", "", "", "10", "9.00", "20", "8.00"],  # line 2: good
        ["NOPE-9", "", "1.00", "", "", "", "", "", "", "", ""],  # 3: unknown SKU
        ["", "777", "1.00", "", "", "", "", "", "", "", ""],  # 4: unknown variant id
        ["THEIRS", "", "1.00", "", "", "", "", "", "", "", ""],  # 5: another shop's SKU
        ["X-6", "", "-1.00", "", "", "", "", "", "", "", ""],  # 6: negative
        ["X-7", "", "abc", "", "", "", "", "", "", "", ""],  # 7: non-numeric
        ["X-8", "", "1.005", "", "", "", "", "", "", "", ""],  # 8: too precise
        ["X-9", "", "9.00", "", "", "", "", "10", "8.00", "10", "7.00"],  # 9: overlapping tiers
        ["X-10", "", "9.00", "", "", "", "", "20", "8.00", "10", "7.00"],  # 10: descending tiers
        ["X-11", "", "9.00", "", "5", "", "2", "", "", "", ""],  # 11: increment vs minimum
        ["X-12", "", "9.00", "EUR", "", "", "", "", "", "", ""],  # 12: wrong currency
        ["A-1", "", "9.00", "", "", "", "", "", "", "", ""],  # 13: duplicate of line 2
        ["TWIN", "", "9.00", "", "", "", "", "", "", "", ""],  # 14: ambiguous SKU
        ["B-1", str(a1.shopify_id), "9.00", "", "", "", "", "", "", "", ""],  # 15: sku and id disagree
        ["", "", "9.00", "", "", "", "", "", "", "", ""],  # 16: no variant named
        ["X-17", "", "9.00", "", "", "", "", "10", "9.50", "", ""],  # 17: tier above the price
    ]
    data = csv_bytes(rows, header)

    report = _dry(uow, shop, plist, data)

    assert [(e.line, e.column) for e in report.errors] == [
        (3, "sku"),
        (4, "variant_id"),
        (5, "sku"),
        (6, "price"),
        (7, "price"),
        (8, "price"),
        (9, "tiers"),
        (10, "tiers"),
        (11, "increment"),
        (12, "currency"),
        (13, "sku"),
        (14, "sku"),
        (15, "sku"),
        (16, "sku"),
        (17, "tiers"),
    ]
    messages = [e.message for e in report.errors]
    assert messages[0] == "Unknown SKU 'NOPE-9': no variant has it"
    assert messages[1] == "Unknown variant_id 777: no variant of this store has it"
    assert messages[2] == "Unknown SKU 'THEIRS': no variant has it"
    assert messages[3] == "The price -1.00 is negative"
    assert messages[4] == "The price 'abc' is not a number"
    assert messages[5] == "The price 1.005 has more decimals than USD allows (2)"
    assert messages[6] == "Two tiers start at 10 units"
    assert messages[7] == "Tier minimums must ascend: 10 comes after 20"
    assert messages[8].startswith("With an increment of 2 the minimum of 5 can never be ordered")
    assert messages[9] == "the price is in EUR but the list is in USD"
    assert messages[10] == "The variant is already on line 2"
    assert messages[11] == "The SKU 'TWIN' is on 2 variants: add their variant_id to say which"
    assert messages[12] == f"variant_id {a1.shopify_id} has the SKU 'A-1', not 'B-1'"
    assert messages[13] == "The row names no variant: give its sku or its variant_id"
    assert messages[14] == "The tier price 9.50 at 10 units is above the list price 9.00"
    assert str(report.errors[0]) == "Line 3 (sku): Unknown SKU 'NOPE-9': no variant has it"
    assert report.bad_lines == 15

    with pytest.raises(ImportRejected) as rejected:
        _apply(uow, shop, plist, data, report=report)
    assert rejected.value.report.bad_lines == 15
    assert contents(uow, plist.id) == before


def test_apply_refuses_a_stale_dry_run_and_changes_nothing(uow, shop, catalog):
    plist = make_price_list(uow, shop)
    add_entry(uow, plist, catalog["A-1"], "10.00")
    data = csv_bytes([["A-1", "9.00", "", "", "", "", "", ""]])
    report = _dry(uow, shop, plist, data)
    # given: someone changes the list after the dry run
    add_entry(uow, plist, catalog["B-1"], "31.00")
    before = contents(uow, plist.id)

    with pytest.raises(StaleDryRun, match="The price list changed after this file was checked"):
        _apply(uow, shop, plist, data, report=report)

    assert contents(uow, plist.id) == before


def test_apply_refuses_when_the_catalog_changed_the_diff(uow, shop, catalog):
    plist = make_price_list(uow, shop)
    data = csv_bytes([["A-1", "9.00", "", "", "", "", "", ""]])
    report = _dry(uow, shop, plist, data)
    # given: in Shopify the SKU A-1 moved to another variant after the dry run
    catalog["A-1"].sku = "A-1-OLD"
    catalog["A-2"].sku = "A-1"
    uow.session.flush()

    with pytest.raises(StaleDryRun, match="The catalog changed after this file was checked"):
        _apply(uow, shop, plist, data, report=report)

    assert contents(uow, plist.id) == {"entries": [], "tiers": [], "rules": []}


def test_a_second_apply_of_the_same_dry_run_is_refused(uow, shop, catalog):
    plist = make_price_list(uow, shop)
    data = csv_bytes([["A-1", "9.00", "", "", "", "", "", ""]])
    report = _dry(uow, shop, plist, data)
    _apply(uow, shop, plist, data, report=report)
    uow.commit()

    with pytest.raises(StaleDryRun):
        _apply(uow, shop, plist, csv_bytes([["A-1", "8.00", "", "", "", "", "", ""]]), report=report)
    assert contents(uow, plist.id)["entries"] == [(catalog["A-1"].id, Decimal("9.0000"), None)]


def test_export_then_import_is_a_no_op_and_round_trips_exactly(uow, shop, catalog):
    plist = make_price_list(uow, shop, currency="KWD")
    a1, a2, b1 = catalog["A-1"], catalog["A-2"], catalog["B-1"]
    entry = add_entry(uow, plist, a1, "9.125")
    entry.compare_at_price = Decimal("10.000")
    add_entry(uow, plist, a2, "40")
    add_tier(uow, plist, 10, "8.5", variant=a1)
    add_tier(uow, plist, 50, "7.875", variant=a1)
    add_tier(uow, plist, 20, "12.5", kind=TierKind.PERCENT_OFF, variant=b1)
    add_rule(uow, plist, minimum=6, maximum=600, increment=6, variant=b1)
    add_tier(uow, plist, 100, "3", kind=TierKind.PERCENT_OFF)  # list-wide, not exported
    uow.session.flush()

    exported = "".join(csv_io.export_csv(uow, shop_id=shop, price_list_id=plist.id)).encode()
    report = _dry(uow, shop, plist, exported, ImportMode.REPLACE)

    assert report.ok and report.rows == 3
    assert (report.added, report.changed, report.removed, report.unchanged) == (0, 0, 0, 3)
    lines = exported.decode("utf-8-sig").splitlines()
    assert lines[0] == (
        "variant_id,sku,product,variant,price,compare_at_price,currency,min_qty,max_qty,increment,"
        "tier_1_min,tier_1_price,tier_1_percent_off,tier_2_min,tier_2_price,tier_2_percent_off"
    )
    assert lines[1] == f"{a1.shopify_id},A-1,Arabica beans,1 kg,9.125,10.000,KWD,,,,10,8.500,,50,7.875,"
    assert lines[2] == f"{a2.shopify_id},A-2,Arabica beans,5 kg,40.000,,KWD,,,,,,,,,"
    assert lines[3] == f"{b1.shopify_id},B-1,Brewer,Default,,,KWD,6,600,6,20,,12.5,,,"

    # the same file into an empty list gives the same contents and the same export
    copy = make_price_list(uow, shop, "Copy", currency="KWD")
    _apply(uow, shop, copy, exported)
    uow.commit()
    again = "".join(csv_io.export_csv(uow, shop_id=shop, price_list_id=copy.id)).encode()
    assert again == exported
    per_variant = {k: [r for r in v if r[0] is not None] for k, v in contents(uow, plist.id).items()}
    assert contents(uow, copy.id) == per_variant


def test_another_shops_list_is_not_found(uow, shop, catalog):
    other = make_shop(uow, domain="other.myshopify.com")
    theirs = make_price_list(uow, other)
    data = csv_bytes([["A-1", "9.00", "", "", "", "", "", ""]])

    with pytest.raises(NotFound):
        csv_io.dry_run(uow, shop_id=shop, price_list_id=theirs.id, stream=io.BytesIO(data))
    with pytest.raises(NotFound):
        csv_io.export_csv(uow, shop_id=shop, price_list_id=theirs.id)


def test_an_archived_list_refuses_imports(uow, shop, catalog):
    plist = make_price_list(uow, shop, status=PriceListStatus.ARCHIVED)

    with pytest.raises(Exception, match="is archived"):
        _dry(uow, shop, plist, csv_bytes([["A-1", "9.00", "", "", "", "", "", ""]]))


def test_the_list_fingerprint_moves_with_every_price_tier_and_rule(uow, shop, catalog):
    plist = make_price_list(uow, shop)
    entry = add_entry(uow, plist, catalog["A-1"], "10.00")
    tier = add_tier(uow, plist, 10, "9.00", variant=catalog["A-1"])
    rule = add_rule(uow, plist, minimum=2, increment=2, variant=catalog["B-1"])
    uow.session.flush()
    seen = {csv_io.list_fingerprint(uow.session, plist)}

    # when: each value changes in turn, the list's updated_at untouched
    for change in (
        lambda: setattr(entry, "price", Decimal("10.01")),
        lambda: setattr(entry, "compare_at_price", Decimal("12.00")),
        lambda: setattr(tier, "value", Decimal("8.99")),
        lambda: setattr(tier, "kind", TierKind.PERCENT_OFF),
        lambda: setattr(rule, "maximum", 20),
        lambda: setattr(rule, "variant_id", None),
    ):
        change()
        uow.session.flush()
        seen.add(csv_io.list_fingerprint(uow.session, plist))

    # then: seven states, seven fingerprints; the same state, the same fingerprint
    assert len(seen) == 7
    assert csv_io.list_fingerprint(uow.session, plist) == csv_io.list_fingerprint(uow.session, plist)
