"""RFM scores and the 11 named segments, computed for a whole shop in set-based SQL.

Definitions (docs/segments.md shows them to merchants):
- Counted orders: not cancelled, not deleted, not test, with a processed date up to `as_of`.
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

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

from app.db import UTCDateTime
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


def use_analytics_memory(session: Session) -> None:
    """Let this transaction's sorts run in memory (PostgreSQL; SET LOCAL ends with the transaction)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"SET LOCAL work_mem = '{ANALYTICS_WORK_MEM}'"))


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


KINDS = {
    Subject.CUSTOMER: _Kind(Subject.CUSTOMER, "customer_id", "company_id", "customer"),
    Subject.COMPANY: _Kind(Subject.COMPANY, "company_id", "customer_id", "company"),
}


def _score(rank: str) -> str:
    """1..5 from a RANK() column and the subject count n (see the module docstring)."""
    step = f"(5 * ({rank} - 1)) / (n - 1)"
    return f"CASE WHEN n = 1 THEN 3 WHEN {step} >= 4 THEN 5 ELSE 1 + {step} END"


def _segment_case() -> str:
    whens = " ".join(
        f"WHEN r_score = {r} AND f_score = {f} THEN '{segment.value}'"
        for r, row in SEGMENT_MAP.items()
        for f, segment in row.items()
    )
    return f"CASE {whens} END"


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
    dialect = session.get_bind().dialect.name
    elapsed = f"{epoch_seconds(dialect, ':as_of')} - {epoch_seconds(dialect, 'last_order_at')}"
    days = f"({elapsed}) / {SECONDS_PER_DAY}"
    session.execute(text(f"DROP TABLE IF EXISTS {NEW_TABLE}"))
    statement = text(
        f"""
        CREATE TEMPORARY TABLE {NEW_TABLE} AS
        WITH totals AS (
            SELECT o.{kind.key} AS subject_id,
                   COUNT(*) AS frequency,
                   COALESCE(SUM(CASE WHEN o.currency = :currency
                                     THEN COALESCE(o.current_total_price, o.total_price, 0) END), 0)
                       AS monetary,
                   MIN(o.processed_at) AS first_order_at,
                   MAX(o.processed_at) AS last_order_at
            FROM crm_order o
            WHERE o.shop_id = :shop_id AND o.{kind.key} IS NOT NULL
              AND o.cancelled_at IS NULL AND o.deleted_at IS NULL AND o.test = :false
              AND o.processed_at IS NOT NULL AND o.processed_at <= :as_of
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
        SELECT subject_id, frequency, monetary, first_order_at, last_order_at, recency_days,
               r_score, f_score, m_score, {_segment_case()} AS rfm_segment
        FROM scored
        """
    ).bindparams(bindparam("as_of", type_=UTCDateTime))
    session.execute(statement, {"shop_id": shop_id, "currency": currency, "as_of": as_of, "false": False})
    return int(session.execute(text(f"SELECT COUNT(*) FROM {NEW_TABLE}")).scalar_one())


def _record_transitions(
    session: Session, kind: _Kind, *, shop_id: int, run_id: int, as_of: datetime
) -> tuple[int, int, int]:
    dialect = session.get_bind().dialect.name
    new_segment = _as_enum(dialect, "n.rfm_segment", "segments_rfm_segment")
    subject = _as_enum(dialect, f"'{kind.subject.value}'", "segments_subject")
    params = {"shop_id": shop_id, "run_id": run_id, "as_of": as_of}
    as_of_param = bindparam("as_of", type_=UTCDateTime)
    entered_or_moved = session.execute(
        text(
            f"""
            INSERT INTO segments_transition
                (shop_id, run_id, subject, {kind.key}, {kind.other}, from_segment, to_segment, occurred_at)
            SELECT :shop_id, :run_id, {subject}, n.subject_id, NULL, s.rfm_segment, {new_segment}, :as_of
            FROM {NEW_TABLE} n
            LEFT JOIN segments_score s ON s.shop_id = :shop_id AND s.{kind.key} = n.subject_id
            WHERE s.id IS NULL OR s.rfm_segment <> {new_segment}
            """
        ).bindparams(as_of_param),
        params,
    ).rowcount
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
    entered = int(
        session.execute(
            text(
                f"SELECT COUNT(*) FROM segments_transition WHERE run_id = :run_id AND subject = {subject} "
                f"AND from_segment IS NULL AND to_segment IS NOT NULL"
            ),
            {"run_id": run_id},
        ).scalar_one()
    )
    return entered, entered_or_moved - entered, left


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


def _upsert_scores(session: Session, kind: _Kind, *, shop_id: int, currency: str, as_of: datetime) -> None:
    dialect = session.get_bind().dialect.name
    subject = _as_enum(dialect, f"'{kind.subject.value}'", "segments_subject")
    segment = _as_enum(dialect, "n.rfm_segment", "segments_rfm_segment")
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
    session.execute(
        text(
            f"""
            INSERT INTO segments_score
                (shop_id, subject, {kind.key}, {kind.other}, recency_days, frequency, monetary, currency,
                 first_order_at, last_order_at, r_score, f_score, m_score, rfm_segment, rfm_computed_at)
            SELECT :shop_id, {subject}, n.subject_id, NULL, n.recency_days, n.frequency, n.monetary,
                   :currency,
                   n.first_order_at, n.last_order_at, n.r_score, n.f_score, n.m_score, {segment}, :as_of
            FROM {NEW_TABLE} n WHERE 1 = 1
            ON CONFLICT (shop_id, {kind.key}) DO UPDATE SET
                recency_days = excluded.recency_days, frequency = excluded.frequency,
                monetary = excluded.monetary, currency = excluded.currency,
                first_order_at = excluded.first_order_at, last_order_at = excluded.last_order_at,
                r_score = excluded.r_score, f_score = excluded.f_score, m_score = excluded.m_score,
                rfm_segment = excluded.rfm_segment, rfm_computed_at = excluded.rfm_computed_at
            """
        ).bindparams(bindparam("as_of", type_=UTCDateTime)),
        {"shop_id": shop_id, "currency": currency, "as_of": as_of},
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
    try:
        scored = _build_new_scores(session, kind, shop_id=shop_id, currency=currency, as_of=as_of)
        entered, moved, left = _record_transitions(session, kind, shop_id=shop_id, run_id=run_id, as_of=as_of)
        _write_timeline(session, kind, shop_id=shop_id, run_id=run_id)
        _upsert_scores(session, kind, shop_id=shop_id, currency=currency, as_of=as_of)
    finally:
        session.execute(text(f"DROP TABLE IF EXISTS {NEW_TABLE}"))
    return RfmOutcome(
        subject=subject,
        scored=scored,
        entered=entered,
        moved=moved,
        left=left,
        segment_counts=_segment_counts(session, kind, shop_id=shop_id),
    )
