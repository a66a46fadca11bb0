"""CSV import at size: 100,000 rows with one bad row apply nothing; statements grow per chunk, not per row."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import event

from crm.models import CrmVariant
from pricing.service import csv_io
from pricing.service.csv_io import CHUNK_ROWS, ImportMode, ImportRejected
from tests.pricing_csv_support import bulk_catalog, contents, csv_bytes
from tests.pricing_support import add_entry, make_price_list, make_shop

ROWS = 100_000
BAD_ROW = 99_999  # the 99,999th data row: line 100,000 of the file (the header is line 1)


@pytest.fixture
def shop(uow):
    return make_shop(uow)


def _rows(count: int, bad_row: int | None = None) -> list[list[str]]:
    rows = [[f"BULK-{n:06d}", f"{10 + n % 90}.{n % 100:02d}", "", "", "", "", "", ""] for n in range(count)]
    if bad_row is not None:
        rows[bad_row - 1][1] = "12.345"
    return rows


def test_100000_rows_with_one_bad_row_apply_nothing_and_name_its_line(uow, shop, engine, tmp_path):
    variants = bulk_catalog(uow, shop, ROWS)
    plist = make_price_list(uow, shop)
    add_entry(uow, plist, uow.session.get_one(CrmVariant, variants[0]), "1.00")
    before = contents(uow, plist.id)
    data = csv_bytes(_rows(ROWS, BAD_ROW))

    stage = tmp_path / "upload.stage"
    report = csv_io.dry_run(uow, shop_id=shop, price_list_id=plist.id, stream=io.BytesIO(data), stage=stage)
    with pytest.raises(ImportRejected) as rejected:
        csv_io.apply_import(
            uow,
            shop_id=shop,
            price_list_id=plist.id,
            stream=io.BytesIO(data),
            mode=ImportMode.MERGE,
            fingerprint=report.fingerprint,
            digest=report.digest,
        )

    assert report.rows == ROWS
    assert [(e.line, e.column, e.message) for e in report.errors] == [
        (BAD_ROW + 1, "price", "The price 12.345 has more decimals than USD allows (2)")
    ]
    assert report.staged == "" and not stage.exists()  # nothing to apply: nothing kept for the apply
    assert [(e.line, e.column) for e in rejected.value.report.errors] == [(BAD_ROW + 1, "price")]
    assert (report.added, report.changed) == (ROWS - 2, 1)
    assert contents(uow, plist.id) == before


@pytest.mark.parametrize(
    ("holds_variants", "per_chunk"),
    [(False, 1), (True, 4)],  # resolve SKUs; + 3 state loads once the list holds something per variant
)
def test_the_number_of_statements_grows_with_chunks_not_rows(uow, shop, engine, holds_variants, per_chunk):
    variants = bulk_catalog(uow, shop, 2 * CHUNK_ROWS + 1)
    plist = make_price_list(uow, shop)
    if holds_variants:  # a variant the file does not name
        add_entry(uow, plist, uow.session.get_one(CrmVariant, variants[-1]), "1.00")
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    def run(rows: int) -> int:
        statements.clear()
        data = csv_bytes(_rows(rows))
        event.listen(engine, "before_cursor_execute", count)
        try:
            report = csv_io.dry_run(uow, shop_id=shop, price_list_id=plist.id, stream=io.BytesIO(data))
        finally:
            event.remove(engine, "before_cursor_execute", count)
        assert report.ok and report.added == rows
        return len(statements)

    assert run(10) == run(CHUNK_ROWS)
    assert run(2 * CHUNK_ROWS) == run(CHUNK_ROWS) + per_chunk
