"""RFM scores and the 11 named segments, computed for a whole shop in set-based SQL.

Definitions (docs/segments.md shows them to merchants):
- Counted orders (segments/counted.py): not cancelled, not deleted, not test, with a processed date
  up to `as_of`.
- Recency: whole days from the last counted order to `as_of` (whole seconds, then integer days).
- Frequency: the number of counted orders. Monetary: the sum of their current totals (after
  refunds and edits) in the shop's currency; orders recorded in another currency count towards
  frequency but not towards money (amounts in two currencies are never summed).
- Scores 1-5 by rank: score = 1 + min(4, floor(5 * (rank - 1) / (n - 1))) where rank is the SQL
  RANK() (ties share the lowest rank) ordered so that 5 is best (most recent, most orders, most
  spend); n = 1 scores 3 everywhere. Customers and companies are ranked separately.
- The segment comes from the R x F map `SEGMENT_MAP` below; M is shown, not used for the segment.

Every step is one statement over all subjects (window functions run on PostgreSQL and on
SQLite >= 3.25); nothing loops over customers in Python.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

from app.db import UTCDateTime
from segments.counted import counted_where, shop_money
from segments.models import RfmSegment, Subject

S = RfmSegment
# SEGMENT_MAP[r][f] for r, f in 1..5 (index 0 unused). Rows: recency score; columns: frequency score.
SEGMENT_MAP: dict[int, dict[int, RfmSegment]] = {
    5: {1: S.NEW_CUSTOMERS, 2: S.POTENTIAL_LOYALIST, 3: S.POTENTIAL_LOYALIST, 4: S.CHAMPIONS, 5: S.CHAMPIONS},
    4: {1: S.PROMISING, 2: S.POTENTIAL_LOYALIST, 3: S.POTENTIAL_LOYALIST, 4: S.LOYAL, 5: S.LOYAL},
    3: {1: S.ABOUT_TO_SLEEP, 2: S.ABOUT_TO_SLEEP, 3: S.NEED_ATTENTION, 4: S.LOYAL, 5: S.LOYAL},
    2: {1: S.HIBERNATING, 2: S.HIBERNATING, 3: S.AT_RISK, 4: S.AT_RISK, 5: S.CANT_LOSE_THEM},
    1: {1: S.LOST, 2: S.HIBERNATING, 3: S.AT_RISK, 4: S.AT_RISK, 5: S.CANT_LOSE_THEM},
}

SEGMENT_LABELS: dict[RfmSegment, str] = {
    S.CHAMPIONS: "Champions",
    S.LOYAL: "Loyal",
    S.POTENTIAL_LOYALIST: "Potential Loyalist",
    S.NEW_CUSTOMERS: "New Customers",
    S.PROMISING: "Promising",
    S.NEED_ATTENTION: "Need Attention",
    S.ABOUT_TO_SLEEP: "About to Sleep",
    S.CANT_LOSE_THEM: "Can't Lose Them",
    S.AT_RISK: "At Risk",
    S.HIBERNATING: "Hibernating",
    S.LOST: "Lost",
}

NEW_TABLE = "segments_rfm_new"
# Sorts and hashes of a shop's whole order history: with PostgreSQL's default 4 MB they spill to disk.
ANALYTICS_WORK_MEM = "256MB"
SECONDS_PER_DAY = 86400
# The customer totals read the partial index ix_crm_order_counted_customer (migration 0013) in customer
# order and group as they go: no hash table of a million sums, no pass over other shops' orders.
# PostgreSQL underestimates the number of customers and would otherwise hash every order of the table;
# without hashing, the index's order is the cheapest way to group.
ORDERED_SCAN = {"enable_hashagg": "off"}


def use_analytics_memory(session: Session) -> None:
    """Let this transaction's sorts run in memory (PostgreSQL; SET LOCAL ends with the transaction).

    JIT compilation is off as well: it spent seconds compiling the whole-shop statements (their cost
    estimates are far above the JIT thresholds) that then run in about that time without it.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"SET LOCAL work_mem = '{ANALYTICS_WORK_MEM}'"))
        session.execute(text("SET LOCAL jit = off"))


@contextmanager
def _planner(session: Session, settings: dict[str, str]) -> Iterator[None]:
    """PostgreSQL planner settings for the statements inside, restored after them."""
    if not settings or session.get_bind().dialect.name != "postgresql":
        yield
        return
    previous = {
        name: session.execute(text(f"SELECT current_setting('{name}')")).scalar_one() for name in settings
    }
    for name, value in settings.items():
        session.execute(text(f"SET LOCAL {name} = {value}"))
    yield  # on an error the transaction is rolled back, and SET LOCAL with it
    for name, value in previous.items():
        session.execute(text(f"SET LOCAL {name} = {value}"))


def segment_for(r_score: int, f_score: int) -> RfmSegment:
    """The named segment of an (R, F) cell."""
    return SEGMENT_MAP[r_score][f_score]


@dataclass(frozen=True)
class RfmOutcome:
    """What one subject kind's pass did."""

    subject: Subject
    scored: int
    entered: int  # first scored in this run
    moved: int  # changed segment
    left: int  # no counted order any more: score removed
    segment_counts: dict[str, int]


@dataclass(frozen=True)
class _Kind:
    subject: Subject
    key: str  # crm_order column and segments_score column naming the subject
    other: str  # the other id column (NULL for this kind)
    timeline_type: str  # crm_timeline_event.subject_type value
    ordered_scan: bool  # an index covers the totals (ORDERED_SCAN); companies' orders are few, hashed


KINDS = {
    Subject.CUSTOMER: _Kind(Subject.CUSTOMER, "customer_id", "company_id", "customer", True),
    Subject.COMPANY: _Kind(Subject.COMPANY, "company_id", "customer_id", "company", False),
}


def _score(rank: str) -> str:
    """1..5 from a RANK() column and the subject count n (see the module docstring)."""
    step = f"(5 * ({rank} - 1)) / (n - 1)"
    return f"CASE WHEN n = 1 THEN 3 WHEN {step} >= 4 THEN 5 ELSE 1 + {step} END"


def _segment_case(alias: str) -> str:
    """The R x F map as nested simple CASEs: each score is evaluated once per row, not once per cell."""
    rows = " ".join(
        f"WHEN {r} THEN CASE {alias}.f_score "
        + " ".join(f"WHEN {f} THEN '{segment.value}'" for f, segment in row.items())
        + " END"
        for r, row in SEGMENT_MAP.items()
    )
    return f"CASE {alias}.r_score {rows} END"


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _label_case(column: str) -> str:
    whens = " ".join(f"WHEN '{seg.value}' THEN {_sql_string(label)}" for seg, label in SEGMENT_LABELS.items())
    return f"CASE {column} {whens} END"


def epoch_seconds(dialect: str, expression: str) -> str:
    if dialect == "postgresql":
        return f"CAST(FLOOR(EXTRACT(EPOCH FROM {expression})) AS BIGINT)"
    return f"CAST(strftime('%s', {expression}) AS INTEGER)"


def _as_enum(dialect: str, expression: str, type_name: str) -> str:
    # PostgreSQL compares and stores enum columns only from values of the enum type.
    return f"CAST({expression} AS {type_name})" if dialect == "postgresql" else expression


def _build_new_scores(session: Session, kind: _Kind, *, shop_id: int, currency: str, as_of: datetime) -> int:
    """The temporary table of every subject's new figures, with its score row's id and segment if any.

    Stored in subject order, so that the rows written from it reach the indexes and the foreign-key
    checks of crm_customer in key order (appending to the indexes' last pages rather than touching
    pages at random).
    """
    dialect = session.get_bind().dialect.name
    elapsed = f"{epoch_seconds(dialect, ':as_of')} - {epoch_seconds(dialect, 'last_order_at')}"
    days = f"({elapsed}) / {SECONDS_PER_DAY}"
    segment = _as_enum(dialect, _segment_case("n"), "segments_rfm_segment")
    session.execute(text(f"DROP TABLE IF EXISTS {NEW_TABLE}"))
    statement = text(
        f"""
        CREATE TEMPORARY TABLE {NEW_TABLE} AS
        WITH totals AS (
            SELECT o.{kind.key} AS subject_id,
                   COUNT(*) AS frequency,
                   COALESCE(SUM({shop_money("o")}), 0) AS monetary,
                   MIN(o.processed_at) AS first_order_at,
                   MAX(o.processed_at) AS last_order_at
            FROM crm_order o
            WHERE o.shop_id = :shop_id AND o.{kind.key} IS NOT NULL AND {counted_where("o")}
              AND o.processed_at <= :as_of
            GROUP BY o.{kind.key}
        ), aged AS (
            SELECT totals.*, {days} AS recency_days FROM totals
        ), ranked AS (
            SELECT aged.*,
                   RANK() OVER (ORDER BY recency_days DESC) AS r_rank,
                   RANK() OVER (ORDER BY frequency) AS f_rank,
                   RANK() OVER (ORDER BY monetary) AS m_rank,
                   COUNT(*) OVER () AS n
            FROM aged
        ), scored AS (
            SELECT ranked.*, {_score("r_rank")} AS r_score, {_score("f_rank")} AS f_score,
                   {_score("m_rank")} AS m_score
            FROM ranked
        )
        SELECT n.subject_id, n.frequency, n.monetary, n.first_order_at, n.last_order_at, n.recency_days,
               n.r_score, n.f_score, n.m_score, {segment} AS rfm_segment,
               s.id AS score_id, s.rfm_segment AS previous_segment
        FROM scored n
        LEFT JOIN segments_score s ON s.shop_id = :shop_id AND s.{kind.key} = n.subject_id
        ORDER BY n.subject_id
        """
    ).bindparams(bindparam("as_of", type_=UTCDateTime))
    with _planner(session, ORDERED_SCAN if kind.ordered_scan else {}):
        session.execute(statement, {"shop_id": shop_id, "currency": currency, "as_of": as_of})
    if dialect == "postgresql":
        session.execute(text(f"ANALYZE {NEW_TABLE}"))  # temporary tables get no statistics otherwise
    return int(session.execute(text(f"SELECT COUNT(*) FROM {NEW_TABLE}")).scalar_one())


def _record_transitions(
    session: Session, kind: _Kind, *, shop_id: int, run_id: int, as_of: datetime
) -> tuple[int, int, int]:
    """Who entered (first scored), moved, or left (no counted order any more): one row each."""
    dialect = session.get_bind().dialect.name
    subject = _as_enum(dialect, f"'{kind.subject.value}'", "segments_subject")
    params = {"shop_id": shop_id, "run_id": run_id, "as_of": as_of}
    as_of_param = bindparam("as_of", type_=UTCDateTime)
    session.execute(
        text(
            f"""
            INSERT INTO segments_transition
                (shop_id, run_id, subject, {kind.key}, {kind.other}, from_segment, to_segment, occurred_at)
            SELECT :shop_id, :run_id, {subject}, n.subject_id, NULL, n.previous_segment, n.rfm_segment, :as_of
            FROM {NEW_TABLE} n
            WHERE n.score_id IS NULL OR n.previous_segment <> n.rfm_segment
            """
        ).bindparams(as_of_param),
        params,
    )
    left = session.execute(
        text(
            f"""
            INSERT INTO segments_transition
                (shop_id, run_id, subject, {kind.key}, {kind.other}, from_segment, to_segment, occurred_at)
            SELECT :shop_id, :run_id, {subject}, s.{kind.key}, NULL, s.rfm_segment, NULL, :as_of
            FROM segments_score s
            WHERE s.shop_id = :shop_id AND s.{kind.key} IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM {NEW_TABLE} n WHERE n.subject_id = s.{kind.key})
            """
        ).bindparams(as_of_param),
        params,
    ).rowcount
    entered, moved = session.execute(
        text(
            "SELECT COALESCE(SUM(CASE WHEN score_id IS NULL THEN 1 ELSE 0 END), 0),"
            " COALESCE(SUM(CASE WHEN previous_segment <> rfm_segment THEN 1 ELSE 0 END), 0)"
            f" FROM {NEW_TABLE}"
        )
    ).one()
    return int(entered), int(moved), left


def _write_timeline(session: Session, kind: _Kind, *, shop_id: int, run_id: int) -> None:
    """One timeline event per segment move (first scorings are not news; leaving is)."""
    dialect = session.get_bind().dialect.name
    json_object = "jsonb_build_object" if dialect == "postgresql" else "json_object"
    timeline_type = _as_enum(dialect, f"'{kind.timeline_type}'", "crm_subject_type")
    to_label = f"COALESCE({_label_case('t.to_segment')}, 'no segment (no counted orders)')"
    session.execute(
        text(
            f"""
            INSERT INTO crm_timeline_event
                (shop_id, subject_type, subject_id, {kind.key}, kind, actor, summary, data,
                 occurred_at, created_at)
            SELECT t.shop_id, {timeline_type}, t.{kind.key}, t.{kind.key}, 'segment.changed', 'tradeline',
                   'RFM segment: ' || {_label_case("t.from_segment")} || ' → ' || {to_label},
                   {json_object}('rfm_segment', {json_array(dialect)}), t.occurred_at, t.occurred_at
            FROM segments_transition t
            WHERE t.run_id = :run_id AND t.{kind.key} IS NOT NULL AND t.from_segment IS NOT NULL
            """
        ),
        {"run_id": run_id},
    )


def json_array(dialect: str) -> str:
    """[from, to] of a transition row `t`, as the timeline's {field: [old, new]} convention wants."""
    function = "jsonb_build_array" if dialect == "postgresql" else "json_array"
    cast = "CAST({} AS TEXT)" if dialect == "postgresql" else "{}"
    return f"{function}({cast.format('t.from_segment')}, {cast.format('t.to_segment')})"


# The figures of a score row; a row whose figures did not change is not rewritten.
FIGURES = (
    "recency_days",
    "frequency",
    "monetary",
    "currency",
    "first_order_at",
    "last_order_at",
    "r_score",
    "f_score",
    "m_score",
    "rfm_segment",
)


def _is_distinct(dialect: str, left: str, right: str) -> str:
    return f"{left} IS DISTINCT FROM {right}" if dialect == "postgresql" else f"{left} IS NOT {right}"


def _write_scores(session: Session, kind: _Kind, *, shop_id: int, currency: str, as_of: datetime) -> None:
    """Drop the scores of subjects without counted orders, rewrite the changed ones, add the new ones.

    Unchanged rows keep their `rfm_computed_at` (their figures are the same at this run's time): a run
    minutes after another rewrites only the few customers whose figures moved.
    """
    dialect = session.get_bind().dialect.name
    new_values = {name: f"n.{name}" for name in FIGURES} | {"currency": ":currency"}
    params = {"shop_id": shop_id, "currency": currency, "as_of": as_of}
    as_of_param = bindparam("as_of", type_=UTCDateTime)
    session.execute(
        text(
            f"""
            DELETE FROM segments_score
            WHERE shop_id = :shop_id AND {kind.key} IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM {NEW_TABLE} n WHERE n.subject_id = segments_score.{kind.key})
            """
        ),
        {"shop_id": shop_id},
    )
    changed = " OR ".join(
        _is_distinct(dialect, f"segments_score.{name}", new_values[name]) for name in FIGURES
    )
    assignments = ", ".join(f"{name} = {new_values[name]}" for name in FIGURES)
    session.execute(
        text(
            f"""
            UPDATE segments_score SET {assignments}, rfm_computed_at = :as_of
            FROM {NEW_TABLE} n
            WHERE segments_score.id = n.score_id AND ({changed})
            """
        ).bindparams(as_of_param),
        params,
    )
    subject = _as_enum(dialect, f"'{kind.subject.value}'", "segments_subject")
    session.execute(
        text(
            f"""
            INSERT INTO segments_score
                (shop_id, subject, {kind.key}, {kind.other}, {", ".join(FIGURES)}, rfm_computed_at)
            SELECT :shop_id, {subject}, n.subject_id, NULL, {", ".join(new_values.values())}, :as_of
            FROM {NEW_TABLE} n WHERE n.score_id IS NULL
            """
        ).bindparams(as_of_param),
        params,
    )


def _segment_counts(session: Session, kind: _Kind, *, shop_id: int) -> dict[str, int]:
    rows = session.execute(
        text(
            "SELECT rfm_segment, COUNT(*) FROM segments_score "
            f"WHERE shop_id = :shop_id AND {kind.key} IS NOT NULL GROUP BY rfm_segment"
        ),
        {"shop_id": shop_id},
    )
    found = {str(segment): int(count) for segment, count in rows}
    return {segment.value: found.get(segment.value, 0) for segment in RfmSegment}


def compute_rfm(
    session: Session, *, shop_id: int, run_id: int, currency: str, as_of: datetime, subject: Subject
) -> RfmOutcome:
    """Score every customer (or company) of the shop with counted orders, record moves, drop the rest."""
    kind = KINDS[subject]
    use_analytics_memory(session)
    # On an error the caller rolls back, and the temporary table (created in this transaction) with it.
    scored = _build_new_scores(session, kind, shop_id=shop_id, currency=currency, as_of=as_of)
    entered, moved, left = _record_transitions(session, kind, shop_id=shop_id, run_id=run_id, as_of=as_of)
    if moved or left:
        # A first run's transitions are all first scorings, which the timeline leaves out: no need to
        # read the run's million rows back to find none.
        _write_timeline(session, kind, shop_id=shop_id, run_id=run_id)
    _write_scores(session, kind, shop_id=shop_id, currency=currency, as_of=as_of)
    session.execute(text(f"DROP TABLE {NEW_TABLE}"))
    if session.get_bind().dialect.name == "postgresql":
        # A first run fills the table at once: the rule segments that read it next need its statistics.
        session.execute(text("ANALYZE segments_score"))
    return RfmOutcome(
        subject=subject,
        scored=scored,
        entered=entered,
        moved=moved,
        left=left,
        segment_counts=_segment_counts(session, kind, shop_id=shop_id),
    )
