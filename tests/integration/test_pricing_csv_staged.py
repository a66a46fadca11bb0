"""The apply's fast path: the dry run's staged changes, written without reading the file again (PostgreSQL).

Every test runs on both backends: on SQLite the dry run stages nothing and the apply takes the full
pass, so the same assertions hold for the path SQLite keeps.
"""

from __future__ import annotations

import io
from decimal import Decimal

import pytest

from app.db import utcnow
from pricing.service import csv_io
from pricing.service.csv_io import ImportMode, ImportRejected, StaleDryRun, importer
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

ROWS = [
    ["A-1", "9.50", "12.00", "", "", "", "12", "8.75"],  # entry updated, tiers replaced, rule removed
    ["A-2", "", "", "", "", "", "", ""],  # everything removed
    ["B-1", "30.00", "", "6", "600", "6", "", ""],  # entry added, rule changed
    ["D-1", "7.00", "", "3", "", "", "10", "6.50"],  # new: entry, tier and rule added
]


class Unreadable(io.RawIOBase):
    """A stored upload that must not be read again: the staged apply has all it needs."""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: object) -> int:
        raise AssertionError("the apply read the file again")


@pytest.fixture
def shop(uow):
    return make_shop(uow)


@pytest.fixture
def catalog(uow, shop):
    product = make_product(uow, shop, title="Arabica beans")
    return {sku: make_variant(uow, shop, product, sku=sku) for sku in ("A-1", "A-2", "B-1", "C-1", "D-1")}


@pytest.fixture
def postgres(uow) -> bool:
    return uow.session.get_bind().dialect.name == "postgresql"


def _filled_list(uow, shop, catalog, name):
    plist = make_price_list(uow, shop, name)
    add_entry(uow, plist, catalog["A-1"], "10.00")
    add_tier(uow, plist, 5, "9.00", variant=catalog["A-1"])
    add_rule(uow, plist, minimum=2, increment=2, variant=catalog["A-1"])
    add_entry(uow, plist, catalog["A-2"], "40.00")
    add_tier(uow, plist, 4, "39.00", variant=catalog["A-2"])
    add_rule(uow, plist, minimum=1, maximum=10, variant=catalog["B-1"])
    add_entry(uow, plist, catalog["C-1"], "5.00")
    return plist


def _dry(uow, shop, plist, data, mode, stage=None):
    stream = io.BytesIO(data)
    return csv_io.dry_run(uow, shop_id=shop, price_list_id=plist.id, stream=stream, mode=mode, stage=stage)


def _apply(uow, shop, plist, stream, mode, report, stage=None):
    return csv_io.apply_import(
        uow,
        shop_id=shop,
        price_list_id=plist.id,
        stream=stream,
        mode=mode,
        fingerprint=report.fingerprint,
        digest=report.digest,
        stage=stage,
        staged=report.staged,
    )


@pytest.mark.parametrize("mode", [ImportMode.MERGE, ImportMode.REPLACE])
def test_the_staged_apply_writes_exactly_what_the_full_pass_writes(
    uow, shop, catalog, postgres, tmp_path, mode
):
    full = _filled_list(uow, shop, catalog, "Full")
    staged = _filled_list(uow, shop, catalog, "Staged")
    data = csv_bytes(ROWS)
    stage = tmp_path / "upload.stage"

    # when: one list applies by reading the file again, the other from the dry run's staging file
    full_report = _apply(uow, shop, full, io.BytesIO(data), mode, _dry(uow, shop, full, data, mode))
    checked = _dry(uow, shop, staged, data, mode, stage)
    stream = Unreadable() if postgres else io.BytesIO(data)
    staged_report = _apply(uow, shop, staged, stream, mode, checked, stage)
    uow.commit()

    # then: the same contents and the same counts; on SQLite nothing was staged
    assert bool(checked.staged) is postgres and stage.exists() is postgres
    assert contents(uow, staged.id) == contents(uow, full.id)
    expected = (1, 2, 2 if mode is ImportMode.REPLACE else 1, 0)
    for report in (full_report, staged_report):
        assert (report.added, report.changed, report.removed, report.unchanged) == expected
        assert report.rows == 4
    a1, b1, d1 = catalog["A-1"].id, catalog["B-1"].id, catalog["D-1"].id
    assert contents(uow, staged.id)["entries"] == sorted(
        [
            (a1, Decimal("9.5000"), Decimal("12.0000")),
            (b1, Decimal("30.0000"), None),
            (d1, Decimal("7.0000"), None),
        ]
        + ([] if mode is ImportMode.REPLACE else [(catalog["C-1"].id, Decimal("5.0000"), None)])
    )
    assert contents(uow, staged.id)["rules"] == sorted([(b1, 6, 600, 6), (d1, 3, None, 1)])


def test_a_staged_apply_refuses_when_a_sku_moved_to_another_variant(uow, shop, catalog, tmp_path):
    plist = make_price_list(uow, shop)
    data = csv_bytes([["A-1", "9.00", "", "", "", "", "", ""]])
    stage = tmp_path / "upload.stage"
    report = _dry(uow, shop, plist, data, ImportMode.MERGE, stage)
    # given: in Shopify the SKU A-1 moved to another variant after the dry run
    catalog["A-1"].sku = "A-1-OLD"
    catalog["A-2"].sku = "A-1"
    uow.session.flush()

    with pytest.raises(StaleDryRun, match="The catalog changed after this file was checked"):
        _apply(uow, shop, plist, io.BytesIO(data), ImportMode.MERGE, report, stage)

    assert contents(uow, plist.id) == {"entries": [], "tiers": [], "rules": []}


def test_a_variant_deleted_after_the_dry_run_is_reported_by_its_line(uow, shop, catalog, tmp_path):
    plist = make_price_list(uow, shop)
    data = csv_bytes([["A-1", "9.00", "", "", "", "", "", ""], ["B-1", "30.00", "", "", "", "", "", ""]])
    stage = tmp_path / "upload.stage"
    report = _dry(uow, shop, plist, data, ImportMode.MERGE, stage)
    catalog["B-1"].deleted_at = utcnow()
    uow.session.flush()

    with pytest.raises(ImportRejected) as rejected:
        _apply(uow, shop, plist, io.BytesIO(data), ImportMode.MERGE, report, stage)

    assert [(e.line, e.column, e.message) for e in rejected.value.report.errors] == [
        (3, "sku", "Unknown SKU 'B-1': no variant has it")
    ]
    assert contents(uow, plist.id) == {"entries": [], "tiers": [], "rules": []}


def test_a_staging_file_that_changed_on_disk_is_not_used(uow, shop, catalog, postgres, tmp_path):
    plist = make_price_list(uow, shop)
    data = csv_bytes([["A-1", "9.50", "", "", "", "", "", ""]])
    stage = tmp_path / "upload.stage"
    report = _dry(uow, shop, plist, data, ImportMode.MERGE, stage)
    if postgres:
        stage.write_bytes(stage.read_bytes().replace(b"\t9.50\t", b"\t1.00\t"))

    _apply(uow, shop, plist, io.BytesIO(data), ImportMode.MERGE, report, stage)

    # the file was read and checked again: its price, not the altered one
    assert contents(uow, plist.id)["entries"] == [(catalog["A-1"].id, Decimal("9.5000"), None)]


def test_skus_with_tabs_backslashes_line_breaks_and_accents_survive_staging(uow, shop, postgres, tmp_path):
    plist = make_price_list(uow, shop)
    odd = ["TAB\tSKU", "BACK\\SLASH\\N", "LINE\nBREAK", "CAFÉ-Ü-咖啡"]
    variants = [make_variant(uow, shop, sku=sku) for sku in odd]
    data = csv_bytes([[sku, f"{n + 1}.00", "", "", "", "", "", ""] for n, sku in enumerate(odd)])
    stage = tmp_path / "upload.stage"
    report = _dry(uow, shop, plist, data, ImportMode.MERGE, stage)

    _apply(uow, shop, plist, Unreadable() if postgres else io.BytesIO(data), ImportMode.MERGE, report, stage)

    assert report.ok and report.added == 4
    assert contents(uow, plist.id)["entries"] == sorted(
        (variant.id, Decimal(f"{n + 1}.0000"), None) for n, variant in enumerate(variants)
    )


def test_a_row_written_behind_the_lists_lock_refuses_the_staged_apply(
    uow, shop, catalog, postgres, tmp_path, monkeypatch
):
    plist = make_price_list(uow, shop)
    add_entry(uow, plist, catalog["A-1"], "10.00")
    data = csv_bytes([["A-1", "9.00", "", "", "", "", "", ""], ["B-1", "30.00", "", "", "", "", "", ""]])
    stage = tmp_path / "upload.stage"
    report = _dry(uow, shop, plist, data, ImportMode.MERGE, stage)
    # given: a writer that does not move the list's fingerprint adds B-1 after the dry run
    add_entry(uow, plist, catalog["B-1"], "31.00")
    monkeypatch.setattr(importer, "list_fingerprint", lambda session, price_list: report.fingerprint)
    before = contents(uow, plist.id)

    if not postgres:
        # the full pass checks every row against the list as it is now, and writes what the file says
        _apply(uow, shop, plist, io.BytesIO(data), ImportMode.MERGE, report, stage)
        assert [row[1] for row in contents(uow, plist.id)["entries"]] == [
            Decimal("9.0000"),
            Decimal("30.0000"),
        ]
        return
    with pytest.raises(StaleDryRun, match="The price list changed after this file was checked"):
        _apply(uow, shop, plist, io.BytesIO(data), ImportMode.MERGE, report, stage)

    assert contents(uow, plist.id) == before


def test_a_dry_run_with_bad_rows_or_nothing_to_change_leaves_no_staging_file(uow, shop, catalog, tmp_path):
    plist = make_price_list(uow, shop)
    add_entry(uow, plist, catalog["A-1"], "9.00")
    stage = tmp_path / "upload.stage"

    bad = _dry(
        uow, shop, plist, csv_bytes([["NOPE", "1.00", "", "", "", "", "", ""]]), ImportMode.MERGE, stage
    )
    same = _dry(
        uow, shop, plist, csv_bytes([["A-1", "9.00", "", "", "", "", "", ""]]), ImportMode.MERGE, stage
    )

    assert not bad.ok and bad.staged == ""
    assert same.ok and not same.has_changes and same.staged == ""
    assert not stage.exists()
