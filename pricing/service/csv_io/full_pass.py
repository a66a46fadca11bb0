"""The full pass over a price-list CSV: rows read in chunks, resolved, checked, diffed, written on apply.

Per chunk of CHUNK_ROWS rows: two queries resolve the SKUs and variant ids to `crm_variant` ids, three
load what the list holds for those variants (none while the list holds nothing per variant), and (when
applying) a handful of set-based statements write the differences. Memory holds one chunk, the set of
variants seen (duplicates, replace mode) and the samples; never the file.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.models import CrmProduct, CrmVariant
from pricing.models import PriceList
from pricing.service.csv_io.diff import (
    SAMPLE_SIZE,
    Change,
    DiffRow,
    ImportMode,
    ImportReport,
    classify,
    field_changes,
    state_key,
)
from pricing.service.csv_io.format import (
    EMPTY,
    CsvFileError,
    ParsedRow,
    RowError,
    VariantPrices,
    parse_header,
    parse_row,
)
from pricing.service.csv_io.reader import read_rows
from pricing.service.csv_io.staged import StageWriter
from pricing.service.csv_io.store import (
    holds_variants,
    list_variant_ids,
    load_states,
    one_of,
    plan_each_query,
    probe,
    write_changes,
)

CHUNK_ROWS = 2_000
MAX_ROWS = 500_000  # five times the benchmark's list; a larger file is a mistake, not a price list


@dataclass
class _Pass:
    """The state of one pass over a file."""

    session: Session
    shop_id: int
    price_list: PriceList
    report: ImportReport
    write: bool
    seen: dict[int, int]  # crm_variant id -> line
    digest: Any
    holds_variants: bool  # False: the list held nothing per variant when the pass began
    stage: StageWriter | None = None  # a dry run's checked rows and changes, for the apply

    @property
    def writing(self) -> bool:
        # Once a bad row is found nothing more is written: the pass only goes on to report every bad row.
        return self.write and not self.report.errors


# -- resolving and loading, per chunk ---------------------------------------------------------------


def _resolve(session: Session, shop_id: int, rows: Sequence[ParsedRow]) -> None:
    """Set each row's `variant_id` (crm_variant.id), or add why it names no variant: two queries."""
    by_id = {r.shopify_variant_id for r in rows if r.shopify_variant_id is not None}
    by_sku = {r.sku for r in rows if r.sku is not None and r.shopify_variant_id is None}
    live = (CrmVariant.shop_id == shop_id, CrmVariant.deleted_at.is_(None))
    conn = session.connection()  # Core execution: plain columns, once per chunk
    found_ids: dict[int, tuple[int, str | None]] = {}
    if by_id:
        stmt = probe(session, CrmVariant.shopify_id, by_id, CrmVariant.id, CrmVariant.sku, where=live)
        found_ids = {shopify_id: (vid, sku) for shopify_id, vid, sku in conn.execute(stmt)}
    found_skus: dict[str, list[int]] = defaultdict(list)
    if by_sku:
        stmt = probe(session, CrmVariant.sku, by_sku, CrmVariant.id, where=live)
        for sku, vid in conn.execute(stmt):
            found_skus[sku].append(vid)
    for row in rows:
        if row.shopify_variant_id is not None:
            hit = found_ids.get(row.shopify_variant_id)
            if hit is None:
                row.errors.append(
                    RowError(
                        row.line,
                        f"Unknown variant_id {row.shopify_variant_id}: no variant of this store has it",
                        "variant_id",
                    )
                )
            elif row.sku is not None and (hit[1] or "") != row.sku:
                row.errors.append(
                    RowError(
                        row.line,
                        f"variant_id {row.shopify_variant_id} has the SKU {hit[1] or '(none)'!r}, "
                        f"not {row.sku!r}",
                        "sku",
                    )
                )
            else:
                row.variant_id = hit[0]
        elif row.sku is not None:
            hits = found_skus.get(row.sku, [])
            if not hits:
                row.errors.append(RowError(row.line, f"Unknown SKU {row.sku!r}: no variant has it", "sku"))
            elif len(hits) > 1:
                row.errors.append(
                    RowError(
                        row.line,
                        f"The SKU {row.sku!r} is on {len(hits)} variants: add their variant_id to say which",
                        "sku",
                    )
                )
            else:
                row.variant_id = hits[0]


# -- the pass ---------------------------------------------------------------------------------------


def _record(pass_: _Pass, vid: int, line: int | None, old: VariantPrices, new: VariantPrices) -> Change:
    """Count one variant's change (and stage what it writes)."""
    report = pass_.report
    change = classify(old, new)
    report.counts[change] += 1
    if change is Change.UNCHANGED:
        return change
    pass_.digest.update(f"{vid}>{state_key(new)}\n".encode())
    samples = report.samples[change]
    if len(samples) < SAMPLE_SIZE:
        samples.append(DiffRow(change, vid, line, field_changes(old, new, report.currency)))
    if pass_.stage is not None:
        pass_.stage.change(vid, old, new)
    return change


def _chunk(pass_: _Pass, header: Any, batch: Sequence[tuple[int, list[str]]]) -> None:
    report = pass_.report
    currency = pass_.price_list.currency
    rows = [parse_row(header, cells, line, currency) for line, cells in batch]
    _resolve(pass_.session, pass_.shop_id, [r for r in rows if r.sku or r.shopify_variant_id])
    for row in rows:
        if row.variant_id is None:
            continue
        first = pass_.seen.get(row.variant_id)
        if first is not None:
            row.errors.append(RowError(row.line, f"The variant is already on line {first}", "sku"))
        else:
            pass_.seen[row.variant_id] = row.line
    good = [r for r in rows if not r.errors]
    for row in rows:
        report.errors.extend(row.errors)
    states: dict[int, VariantPrices] = {}
    if pass_.holds_variants:
        states = load_states(pass_.session, pass_.price_list.id, (r.variant_id for r in good))  # type: ignore[misc]
    changes = []
    for row in good:
        assert row.variant_id is not None and row.prices is not None
        old = states.get(row.variant_id, EMPTY)
        change = _record(pass_, row.variant_id, row.line, old, row.prices)
        if change is not Change.UNCHANGED:
            changes.append((row.variant_id, old, row.prices))
        if pass_.stage is not None:
            pass_.stage.row(row, change)
    if pass_.stage is not None:
        pass_.stage.flush()
    if pass_.writing:
        write_changes(
            pass_.session, shop_id=pass_.shop_id, price_list_id=pass_.price_list.id, changes=changes
        )


def _removals(pass_: _Pass) -> None:
    """Replace mode: every variant of the list the file does not name is removed."""
    gone = sorted(list_variant_ids(pass_.session, pass_.price_list.id) - pass_.seen.keys())
    for start in range(0, len(gone), CHUNK_ROWS):
        ids = gone[start : start + CHUNK_ROWS]
        states = load_states(pass_.session, pass_.price_list.id, ids)
        changes = []
        for vid in ids:
            old = states.get(vid, EMPTY)
            change = _record(pass_, vid, None, old, EMPTY)
            if change is not Change.UNCHANGED:
                changes.append((vid, old, EMPTY))
            if pass_.stage is not None:
                pass_.stage.absent(vid, change)
        if pass_.writing:
            write_changes(
                pass_.session, shop_id=pass_.shop_id, price_list_id=pass_.price_list.id, changes=changes
            )


def _name_samples(session: Session, shop_id: int, report: ImportReport) -> None:
    """Fill in the samples' Shopify id, SKU and titles: one query."""
    rows = [row for samples in report.samples.values() for row in samples]
    if not rows:
        return
    stmt = (
        select(CrmVariant.id, CrmVariant.shopify_id, CrmVariant.sku, CrmVariant.title, CrmProduct.title)
        .join(CrmProduct, CrmProduct.id == CrmVariant.product_id)
        .where(
            CrmVariant.shop_id == shop_id, one_of(session, CrmVariant.id, {row.variant_id for row in rows})
        )
    )
    names = {vid: rest for vid, *rest in session.execute(stmt)}
    for row in rows:
        if row.variant_id in names:
            row.shopify_variant_id, row.sku, row.title, row.product = names[row.variant_id]


def _run(
    session: Session,
    shop_id: int,
    price_list: PriceList,
    stream: BinaryIO,
    mode: ImportMode,
    *,
    write: bool,
    stage: StageWriter | None = None,
) -> ImportReport:
    plan_each_query(session)
    report = ImportReport(price_list.id, price_list.name, price_list.currency, ImportMode(mode))
    digest = hashlib.sha256(mode.encode())
    pass_ = _Pass(
        session, shop_id, price_list, report, write, {}, digest, holds_variants(session, price_list.id), stage
    )
    rows = read_rows(stream)
    first = next(rows, None)
    if first is None:
        raise CsvFileError("The file is empty: it needs a header row (sku, variant_id, price, ...) and rows")
    header = parse_header(first[1])
    batch: list[tuple[int, list[str]]] = []
    for item in rows:
        report.rows += 1
        if report.rows > MAX_ROWS:
            raise CsvFileError(f"The file has more than {MAX_ROWS:,} rows; split it into several files")
        batch.append(item)
        if len(batch) >= CHUNK_ROWS:
            _chunk(pass_, header, batch)
            batch = []
    _chunk(pass_, header, batch)
    if mode is ImportMode.REPLACE:
        _removals(pass_)
    report.errors.sort(key=lambda e: e.line)
    report.digest = pass_.digest.hexdigest()
    _name_samples(session, shop_id, report)
    return report
