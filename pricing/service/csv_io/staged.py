"""The apply's fast path on PostgreSQL: the dry run's checked changes, kept beside the upload.

The dry run writes what it found to a staging file (PostgreSQL COPY text format) next to the stored
upload: one line per row of the file (its variant, how the row named it, the change), one per variant
that replace mode removes, and the rows to insert, update and delete per table. Applying then needs no
second pass over the CSV: one COPY loads the staging file into a temporary table, one query checks that
every row still names the same variant (the catalog may have changed since the dry run), and a few
INSERT … SELECT / UPDATE … FROM / DELETE … USING statements write the changes.

The staging file is used only when it is intact (the SHA-256 recorded with the dry run), was written
for this mode and digest, and every row still resolves to the variant it resolved to; otherwise the
apply falls back to the full pass (importer.py), which checks every row again and reports what it
finds. The list itself cannot have changed: the apply checks its fingerprint under a row lock first.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

import psycopg
from sqlalchemy.orm import Session

from app.db import utcnow
from pricing.models import PriceList
from pricing.service.csv_io.diff import Change, ImportMode, ImportReport
from pricing.service.csv_io.format import ParsedRow, VariantPrices
from pricing.service.csv_io.store import Op, table_ops

STAGE_TABLE = "pricing_csv_stage"  # a temporary table, dropped at commit
COPY_CHUNK_BYTES = 1024 * 1024
NULL = "\\N"
# Line tags. Per row of the file: ROW; per variant replace mode removes: ABSENT. Per table: insert,
# update, delete (tiers: every tier of the variant is deleted, then its new tiers inserted).
HEADER, ROW, ABSENT = "h", "v", "x"
ENTRY_INSERT, ENTRY_UPDATE, ENTRY_DELETE = "E", "U", "e"
TIER_INSERT, TIER_DELETE = "T", "t"
RULE_INSERT, RULE_UPDATE, RULE_DELETE = "Q", "R", "q"
# tag, vid, sku, shopify_id, change, price, compare, n1, n2, n3, kind
COLUMNS = (
    "tag text, vid integer, sku text, shopify_id bigint, change text, price numeric, compare numeric, "
    "n1 integer, n2 integer, n3 integer, kind text"
)


def _text(value: str | None) -> str:
    if value is None:
        return NULL
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _num(value: Decimal | int | None) -> str:
    return NULL if value is None else f"{value:f}" if isinstance(value, Decimal) else str(value)


def _nulls(count: int) -> str:
    return "\t\\N" * count


# The lines' tails: the columns after those a tag fills are NULL. (Built per line: 100,000s of them.)
AFTER_CHANGE, AFTER_COMPARE, AFTER_RULE, AFTER_VID = (
    _nulls(6) + "\n",
    _nulls(4) + "\n",
    _nulls(1) + "\n",
    _nulls(9) + "\n",
)
BEFORE_PRICE, BEFORE_N1 = _nulls(3), _nulls(5)


class StageWriter:
    """Writes a dry run's resolved rows and changes to a staging file; `finish` returns its SHA-256."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._out: BinaryIO = path.open("wb")
        self._hash = hashlib.sha256()
        self._lines: list[str] = []

    def row(self, row: ParsedRow, change: Change) -> None:
        """A good row of the file: the variant it resolved to, how it named it, what it changes."""
        shopify_id = NULL if row.shopify_variant_id is None else row.shopify_variant_id
        self._lines.append(
            f"{ROW}\t{row.variant_id}\t{_text(row.sku)}\t{shopify_id}\t{change.value}{AFTER_CHANGE}"
        )

    def absent(self, vid: int, change: Change) -> None:
        """A variant the list holds that the file does not name (replace mode)."""
        self._lines.append(f"{ABSENT}\t{vid}\t{NULL}\t{NULL}\t{change.value}{AFTER_CHANGE}")

    def change(self, vid: int, old: VariantPrices, new: VariantPrices) -> None:
        """The rows a variant's change inserts, updates and deletes (as store.write_changes writes them)."""
        ops = table_ops(old, new)
        lines = self._lines
        if ops.entry is Op.DELETE:
            lines.append(f"{ENTRY_DELETE}\t{vid}{AFTER_VID}")
        elif ops.entry is not Op.NONE:
            tag = ENTRY_INSERT if ops.entry is Op.INSERT else ENTRY_UPDATE
            price, compare = _num(new.price), _num(new.compare_at_price)
            lines.append(f"{tag}\t{vid}{BEFORE_PRICE}\t{price}\t{compare}{AFTER_COMPARE}")
        if ops.tiers:
            if old.tiers:
                lines.append(f"{TIER_DELETE}\t{vid}{AFTER_VID}")
            for tier in new.tiers:
                value, kind = _num(tier.value), tier.kind.value
                lines.append(
                    f"{TIER_INSERT}\t{vid}{BEFORE_PRICE}\t{value}\t{NULL}\t{tier.min_quantity}\t{NULL}\t{NULL}"
                    f"\t{kind}\n"
                )
        if ops.rule is Op.DELETE:
            lines.append(f"{RULE_DELETE}\t{vid}{AFTER_VID}")
        elif ops.rule is not Op.NONE:
            assert new.rule is not None
            tag = RULE_INSERT if ops.rule is Op.INSERT else RULE_UPDATE
            rule = new.rule
            maximum = _num(rule.maximum)
            lines.append(f"{tag}\t{vid}{BEFORE_N1}\t{rule.minimum}\t{maximum}\t{rule.increment}{AFTER_RULE}")

    def flush(self) -> None:
        """Write the lines gathered so far (once per chunk of rows)."""
        data = "".join(self._lines).encode()
        self._lines.clear()
        self._hash.update(data)
        self._out.write(data)

    def close(self, report: ImportReport) -> str:
        """Keep the file if the dry run found something to apply (its SHA-256), else remove it ("")."""
        if not (report.ok and report.has_changes):
            self.discard()
            return ""
        self._lines.append(f"{HEADER}\t0\t{_text(f'{report.mode.value}:{report.digest}')}{_nulls(8)}\n")
        self.flush()
        self._out.close()
        return self._hash.hexdigest()

    def discard(self) -> None:
        self._out.close()
        self.path.unlink(missing_ok=True)


# -- applying ---------------------------------------------------------------------------------------


def _load(cursor: Any, path: Path) -> str:
    """COPY the staging file into the temporary table; the SHA-256 of what was loaded."""
    digest = hashlib.sha256()
    cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {STAGE_TABLE} ({COLUMNS}) ON COMMIT DROP")
    cursor.execute(f"TRUNCATE {STAGE_TABLE}")
    with path.open("rb") as source, cursor.copy(f"COPY {STAGE_TABLE} FROM STDIN") as copy:
        while chunk := source.read(COPY_CHUNK_BYTES):
            digest.update(chunk)
            copy.write(chunk)
    cursor.execute(f"ANALYZE {STAGE_TABLE}")
    return digest.hexdigest()


# A row by variant_id must still find that variant (live, of this shop) with the SKU it gave; a row by
# SKU must still find exactly one live variant with it, the same one. The rules of full_pass._resolve.
MOVED_ROWS = f"""
SELECT count(*) FROM {STAGE_TABLE} s
WHERE s.tag = '{ROW}' AND CASE
    WHEN s.shopify_id IS NOT NULL THEN NOT EXISTS (
        SELECT 1 FROM crm_variant v
        WHERE v.shop_id = %(shop)s AND v.shopify_id = s.shopify_id AND v.deleted_at IS NULL
            AND v.id = s.vid AND (s.sku IS NULL OR coalesce(v.sku, '') = s.sku))
    ELSE (
        SELECT array_agg(v.id) FROM crm_variant v
        WHERE v.shop_id = %(shop)s AND v.sku = s.sku AND v.deleted_at IS NULL
    ) IS DISTINCT FROM ARRAY[s.vid]
END
"""

_WHERE = "t.price_list_id = %(list)s AND t.variant_id = s.vid AND s.tag = "
# (statement, tag, whether it must touch exactly one row per staged line)
WRITES: tuple[tuple[str, str, bool], ...] = (
    (f"DELETE FROM pricing_entry t USING {STAGE_TABLE} s WHERE {_WHERE}'{ENTRY_DELETE}'", ENTRY_DELETE, True),
    (
        f"UPDATE pricing_entry t SET price = s.price, compare_at_price = s.compare, updated_at = %(now)s "
        f"FROM {STAGE_TABLE} s WHERE {_WHERE}'{ENTRY_UPDATE}'",
        ENTRY_UPDATE,
        True,
    ),
    (
        "INSERT INTO pricing_entry (shop_id, price_list_id, variant_id, price, compare_at_price, updated_at) "
        f"SELECT %(shop)s, %(list)s, vid, price, compare, %(now)s FROM {STAGE_TABLE} "
        f"WHERE tag = '{ENTRY_INSERT}' ORDER BY vid",
        ENTRY_INSERT,
        True,
    ),
    (f"DELETE FROM pricing_tier t USING {STAGE_TABLE} s WHERE {_WHERE}'{TIER_DELETE}'", TIER_DELETE, False),
    (
        "INSERT INTO pricing_tier (shop_id, price_list_id, variant_id, min_quantity, kind, value) "
        f"SELECT %(shop)s, %(list)s, vid, n1, kind::pricing_tier_kind, price FROM {STAGE_TABLE} "
        f"WHERE tag = '{TIER_INSERT}' ORDER BY vid, n1",
        TIER_INSERT,
        True,
    ),
    (
        f"DELETE FROM pricing_quantity_rule t USING {STAGE_TABLE} s WHERE {_WHERE}'{RULE_DELETE}'",
        RULE_DELETE,
        True,
    ),
    (
        "UPDATE pricing_quantity_rule t SET minimum = s.n1, maximum = s.n2, increment = s.n3 "
        f"FROM {STAGE_TABLE} s WHERE {_WHERE}'{RULE_UPDATE}'",
        RULE_UPDATE,
        True,
    ),
    (
        "INSERT INTO pricing_quantity_rule (shop_id, price_list_id, variant_id, minimum, maximum, increment) "
        f"SELECT %(shop)s, %(list)s, vid, n1, n2, n3 FROM {STAGE_TABLE} "
        f"WHERE tag = '{RULE_INSERT}' ORDER BY vid",
        RULE_INSERT,
        True,
    ),
)


class StagingOutdated(Exception):
    """The list's rows are not what the staging file was written against (a concurrent edit)."""


def _report(cursor: Any, price_list: PriceList, mode: ImportMode, digest: str) -> tuple[ImportReport, dict]:
    report = ImportReport(price_list.id, price_list.name, price_list.currency, mode, digest=digest)
    cursor.execute(f"SELECT tag, change, count(*) FROM {STAGE_TABLE} GROUP BY tag, change")
    tags: dict[str, int] = {}
    for tag, change, count in cursor.fetchall():
        tags[tag] = tags.get(tag, 0) + count
        if tag in (ROW, ABSENT):
            report.counts[Change(change)] += count
    report.rows = tags.get(ROW, 0)
    return report, tags


def apply_staged(
    session: Session,
    *,
    shop_id: int,
    price_list: PriceList,
    mode: ImportMode,
    digest: str,
    path: Path,
    sha256: str,
) -> ImportReport | None:
    """Write the dry run's staged changes; None (nothing written) when they cannot be trusted as they are.

    Raises StagingOutdated when a write does not touch the rows the dry run saw; the caller rolls back.
    """
    if session.get_bind().dialect.name != "postgresql" or not sha256 or not path.is_file():
        return None
    raw = session.connection().connection.driver_connection
    with raw.cursor() as cursor:
        if _load(cursor, path) != sha256:
            return None
        cursor.execute(f"SELECT sku FROM {STAGE_TABLE} WHERE tag = '{HEADER}'")
        if [row[0] for row in cursor.fetchall()] != [f"{mode.value}:{digest}"]:
            return None
        cursor.execute(MOVED_ROWS, {"shop": shop_id})
        if cursor.fetchone()[0]:
            return None
        report, tags = _report(cursor, price_list, mode, digest)
        params: dict[str, int | datetime] = {"shop": shop_id, "list": price_list.id, "now": utcnow()}
        for statement, tag, exact in WRITES:
            if not tags.get(tag):
                continue
            try:
                cursor.execute(statement, params)
            except psycopg.IntegrityError as exc:  # a row the dry run did not see (a concurrent edit)
                raise StagingOutdated(str(exc)) from exc
            if exact and cursor.rowcount != tags[tag]:
                verb = statement.split()[0]
                raise StagingOutdated(f"{verb} touched {cursor.rowcount} rows, not {tags[tag]}")
        cursor.execute(f"DROP TABLE {STAGE_TABLE}")
    return report
