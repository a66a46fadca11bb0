"""What a list holds per variant: loading it in sets, fingerprinting it, writing changes set-based."""

from __future__ import annotations

import enum
import hashlib
import json
import operator
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, any_, bindparam, delete, func, literal_column, select, text, true, union
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.db import utcnow
from pricing.models import PriceEntry, PriceList, QuantityRule, VolumeTier
from pricing.service.csv_io.format import RuleSpec, VariantPrices
from pricing.validation import TierInput


def plan_each_query(session: Session) -> None:
    """PostgreSQL: plan every statement of this transaction for its own parameters.

    psycopg prepares a statement run five times, and PostgreSQL may then switch to a generic plan. For
    `sku IN (SELECT unnest(:skus))` with a catalog not analyzed yet (just imported), the generic plan
    rescans the array for every variant of the shop: minutes instead of milliseconds per chunk.
    SET LOCAL ends with the transaction.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))


def one_of(session: Session, column: Any, values: Iterable[Any]) -> ColumnElement[bool]:
    """`column IN (values)` with one bound parameter: an array on PostgreSQL, a JSON array on SQLite.

    A chunk names up to CHUNK_ROWS values; expanding them into as many bind parameters costs more CPU
    (compiling and adapting each one) than running the query. On PostgreSQL `= ANY(array)`, planned for
    its value (plan_each_query), is an index scan with array keys or, at worst, a hashed filter.
    """
    items = list(values)
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, items, type_=postgresql.ARRAY(column.type)))
    listed = select(literal_column("value")).select_from(func.json_each(bindparam(None, json.dumps(items))))
    return column.in_(listed)


def probe(
    session: Session,
    key: Any,
    values: Iterable[Any],
    *columns: Any,
    where: Sequence[Any] = (),
    from_: Any = None,
) -> Any:
    """SELECT key, columns... WHERE key IN (values) AND where: one index lookup per value on PostgreSQL.

    On PostgreSQL the values drive a LATERAL subquery (OFFSET 0 keeps it from being flattened), so the
    plan is a nested loop of index probes whatever the statistics say; with stale statistics (a list
    or a catalog just written in bulk, not analyzed yet) a plain IN was planned as a scan of the whole
    list or shop per chunk. SQLite plans the IN over json_each as index probes by itself.
    """
    items = list(values)
    if session.get_bind().dialect.name != "postgresql":
        stmt = select(key, *columns).where(*where, one_of(session, key, items))
        return stmt if from_ is None else stmt.select_from(from_)
    keys = (
        func.unnest(bindparam(None, items, type_=postgresql.ARRAY(key.type)))
        .table_valued("k")
        .render_derived(name="probe_keys")
    )
    found = select(*columns).where(*where, key == keys.c.k)
    if from_ is not None:
        found = found.select_from(from_)
    found = found.offset(0).lateral("probe_rows")
    return select(keys.c.k, *found.c).select_from(keys).join(found, true())


# PostgreSQL hashes the list's rows itself: one row comes back instead of every entry, tier and rule
# (0.85 CPU-s of Python for a 100,000-entry list, paid by the dry run and again by the apply). NULLs
# become '' so every value keeps its place; the text of numeric(18,4) is fixed (9.5000).
FINGERPRINT_SQL = """
SELECT encode(sha256(convert_to(concat(
    'e', (SELECT string_agg(concat_ws('|', variant_id, price, coalesce(compare_at_price::text, '')), E'\\n'
                            ORDER BY variant_id)
          FROM pricing_entry WHERE price_list_id = :list_id),
    't', (SELECT string_agg(concat_ws('|', coalesce(variant_id, 0), min_quantity, kind, value), E'\\n'
                            ORDER BY coalesce(variant_id, 0), min_quantity)
          FROM pricing_tier WHERE price_list_id = :list_id),
    'r', (SELECT string_agg(concat_ws('|', coalesce(variant_id, 0), minimum, coalesce(maximum::text, ''),
                                      increment), E'\\n' ORDER BY coalesce(variant_id, 0))
          FROM pricing_quantity_rule WHERE price_list_id = :list_id)
), 'UTF8')), 'hex')
"""


def list_fingerprint(session: Session, price_list: PriceList) -> str:
    """A hash of the list's currency, updated_at and every entry, tier and quantity rule.

    Only ever compared with another fingerprint taken the same way on the same database (a dry run's
    with its apply's): computed by PostgreSQL there, streamed through Python on SQLite.
    """
    head = f"{price_list.currency}|{price_list.updated_at.isoformat()}"
    if session.get_bind().dialect.name == "postgresql":
        rows = session.execute(text(FINGERPRINT_SQL), {"list_id": price_list.id}).scalar_one()
        return hashlib.sha256(f"{head}|{rows}".encode()).hexdigest()
    digest = hashlib.sha256(head.encode())
    list_id = price_list.id
    queries: Sequence[Any] = (
        select(PriceEntry.variant_id, PriceEntry.price, PriceEntry.compare_at_price)
        .where(PriceEntry.price_list_id == list_id)
        .order_by(PriceEntry.variant_id),
        select(
            func.coalesce(VolumeTier.variant_id, 0),
            VolumeTier.min_quantity,
            VolumeTier.kind,
            VolumeTier.value,
        )
        .where(VolumeTier.price_list_id == list_id)
        .order_by(func.coalesce(VolumeTier.variant_id, 0), VolumeTier.min_quantity),
        select(
            func.coalesce(QuantityRule.variant_id, 0),
            QuantityRule.minimum,
            QuantityRule.maximum,
            QuantityRule.increment,
        )
        .where(QuantityRule.price_list_id == list_id)
        .order_by(func.coalesce(QuantityRule.variant_id, 0)),
    )
    for tag, query in zip("etr", queries, strict=True):
        digest.update(tag.encode())
        for row in session.execute(query.execution_options(yield_per=5_000)):
            digest.update(("|".join(_canonical(v) for v in row) + "\n").encode())
    return digest.hexdigest()


def _canonical(value: object) -> str:
    if value is None:
        return ""
    if hasattr(value, "normalize"):
        return f"{value.normalize():f}"  # type: ignore[attr-defined]
    return str(getattr(value, "value", value))


def load_states(session: Session, price_list_id: int, variant_ids: Iterable[int]) -> dict[int, VariantPrices]:
    """What the list holds for these variants (absent = nothing): three queries."""
    ids = list(variant_ids)
    if not ids:
        return {}
    # Core, not ORM execution: these run per chunk and return plain columns.
    conn = session.connection()
    prices: dict[int, tuple[Any, Any]] = {}
    tiers: dict[int, list[TierInput]] = defaultdict(list)
    rules: dict[int, RuleSpec] = {}
    for vid, price, compare in conn.execute(
        probe(
            session,
            PriceEntry.variant_id,
            ids,
            PriceEntry.price,
            PriceEntry.compare_at_price,
            where=[PriceEntry.price_list_id == price_list_id],
        )
    ):
        prices[vid] = (price, compare)
    for vid, minimum, kind, value in conn.execute(
        probe(
            session,
            VolumeTier.variant_id,
            ids,
            VolumeTier.min_quantity,
            VolumeTier.kind,
            VolumeTier.value,
            where=[VolumeTier.price_list_id == price_list_id],
        )
    ):
        tiers[vid].append(TierInput(minimum, kind, value))
    for vid, minimum, maximum, increment in conn.execute(
        probe(
            session,
            QuantityRule.variant_id,
            ids,
            QuantityRule.minimum,
            QuantityRule.maximum,
            QuantityRule.increment,
            where=[QuantityRule.price_list_id == price_list_id],
        )
    ):
        rules[vid] = RuleSpec(minimum, maximum, increment)
    return {
        vid: VariantPrices(
            prices[vid][0] if vid in prices else None,
            prices[vid][1] if vid in prices else None,
            tuple(sorted(tiers.get(vid, ()), key=lambda tier: tier.min_quantity)),
            rules.get(vid),
        )
        for vid in set(prices) | set(tiers) | set(rules)
    }


def holds_variants(session: Session, price_list_id: int) -> bool:
    """Whether the list holds anything per variant (a first import into a list need load nothing)."""
    stmt = select(
        select(PriceEntry.id).where(PriceEntry.price_list_id == price_list_id).exists()
        | select(VolumeTier.id)
        .where(VolumeTier.price_list_id == price_list_id, VolumeTier.variant_id.is_not(None))
        .exists()
        | select(QuantityRule.id)
        .where(QuantityRule.price_list_id == price_list_id, QuantityRule.variant_id.is_not(None))
        .exists()
    )
    return bool(session.scalar(stmt))


def list_variant_ids(session: Session, price_list_id: int) -> set[int]:
    """Every variant the list holds something for (list-wide tiers and rules are not variants)."""
    stmt = union(
        select(PriceEntry.variant_id).where(PriceEntry.price_list_id == price_list_id),
        select(VolumeTier.variant_id).where(
            VolumeTier.price_list_id == price_list_id, VolumeTier.variant_id.is_not(None)
        ),
        select(QuantityRule.variant_id).where(
            QuantityRule.price_list_id == price_list_id, QuantityRule.variant_id.is_not(None)
        ),
    )
    return set(session.scalars(stmt))


# -- writing, per chunk -----------------------------------------------------------------------------


class Op(enum.Enum):
    """What one variant's change does to one table's row(s)."""

    NONE = "none"
    INSERT = "insert"
    UPDATE = "update"
    DELETE = "delete"


@dataclass(frozen=True, slots=True)
class TableOps:
    """A variant's change per table: its entry, its tiers (all rewritten when they differ), its rule."""

    entry: Op
    tiers: bool
    rule: Op


def table_ops(old: VariantPrices, new: VariantPrices) -> TableOps:
    """Which rows a change touches (a list holds an entry exactly when the variant has a fixed price)."""
    if (old.price, old.compare_at_price) == (new.price, new.compare_at_price):
        entry = Op.NONE
    else:
        entry = Op.DELETE if new.price is None else Op.INSERT if old.price is None else Op.UPDATE
    if old.rule == new.rule:
        rule = Op.NONE
    else:
        rule = Op.DELETE if new.rule is None else Op.INSERT if old.rule is None else Op.UPDATE
    return TableOps(entry, old.tiers != new.tiers, rule)


def _insert_rows(
    session: Session, table: Any, rows: list[dict[str, Any]], *, update: Sequence[str] = ()
) -> None:
    """Insert rows (upserting on (price_list_id, variant_id) when `update` names columns), set-based.

    PostgreSQL: COPY into a temporary table, then one INSERT ... SELECT: one statement per chunk instead
    of one per row (executemany), which halved the server's CPU for 100,000 rows. SQLite: executemany.
    """
    if not rows:
        return
    columns = list(rows[0])
    if session.get_bind().dialect.name != "postgresql":
        ins = sqlite.insert(table)
        if update:
            ins = ins.on_conflict_do_update(
                index_elements=["price_list_id", "variant_id"],
                set_={name: ins.excluded[name] for name in update},
            )
        session.execute(ins, rows)
        return
    # Names come from our own table definitions, never from the file.
    names = ", ".join(columns)
    temp = f"tmp_pricing_csv_{table.name}"
    raw = session.connection().connection.driver_connection
    with raw.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {temp} ON COMMIT DROP AS "
            f"SELECT {names} FROM {table.name} WITH NO DATA"
        )
        values = operator.itemgetter(*columns)
        with cursor.copy(f"COPY {temp} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(values(row))
        conflict = (
            " ON CONFLICT (price_list_id, variant_id) DO UPDATE SET "
            + ", ".join(f"{name} = EXCLUDED.{name}" for name in update)
            if update
            else ""
        )
        cursor.execute(f"INSERT INTO {table.name} ({names}) SELECT {names} FROM {temp}{conflict}")
        cursor.execute(f"DELETE FROM {temp}")


def write_changes(
    session: Session,
    *,
    shop_id: int,
    price_list_id: int,
    changes: Sequence[tuple[int, VariantPrices, VariantPrices]],
) -> None:
    """Write a chunk's changes, set-based: upserts and deletes by variant id lists."""
    if not changes:
        return
    list_id = price_list_id
    now = utcnow()
    entry_rows = []
    entry_gone = []
    tier_vids = []
    tier_rows = []
    rule_rows = []
    rule_gone = []
    for vid, old, new in changes:
        ops = table_ops(old, new)
        if ops.entry is Op.DELETE:
            entry_gone.append(vid)
        elif ops.entry is not Op.NONE:
            entry_rows.append(
                {
                    "shop_id": shop_id,
                    "price_list_id": list_id,
                    "variant_id": vid,
                    "price": new.price,
                    "compare_at_price": new.compare_at_price,
                    "updated_at": now,
                }
            )
        if ops.tiers:
            tier_vids.append(vid)
            tier_rows.extend(
                {
                    "shop_id": shop_id,
                    "price_list_id": list_id,
                    "variant_id": vid,
                    "min_quantity": t.min_quantity,
                    "kind": t.kind,
                    "value": t.value,
                }
                for t in new.tiers
            )
        if ops.rule is Op.DELETE:
            rule_gone.append(vid)
        elif ops.rule is not Op.NONE:
            assert new.rule is not None
            rule_rows.append(
                {
                    "shop_id": shop_id,
                    "price_list_id": list_id,
                    "variant_id": vid,
                    "minimum": new.rule.minimum,
                    "maximum": new.rule.maximum,
                    "increment": new.rule.increment,
                }
            )
    entry_table = PriceEntry.__table__
    tier_table = VolumeTier.__table__
    rule_table = QuantityRule.__table__
    if entry_gone:
        session.execute(
            delete(entry_table).where(
                entry_table.c.price_list_id == list_id, one_of(session, entry_table.c.variant_id, entry_gone)
            )
        )
    _insert_rows(session, entry_table, entry_rows, update=("price", "compare_at_price", "updated_at"))
    if tier_vids:
        session.execute(
            delete(tier_table).where(
                tier_table.c.price_list_id == list_id, one_of(session, tier_table.c.variant_id, tier_vids)
            )
        )
    _insert_rows(session, tier_table, tier_rows)
    if rule_gone:
        session.execute(
            delete(rule_table).where(
                rule_table.c.price_list_id == list_id, one_of(session, rule_table.c.variant_id, rule_gone)
            )
        )
    _insert_rows(session, rule_table, rule_rows, update=("minimum", "maximum", "increment"))
