"""Rule-based segment definitions: parse and check a condition tree (pure, no database).

A definition is JSON the merchant builds in the admin or sends through the API:

    {"match": "all", "conditions": [
        {"field": "rfm_segment", "op": "in", "value": ["champions", "loyal"]},
        {"match": "any", "conditions": [
            {"field": "churn_risk", "op": "gte", "value": 60},
            {"field": "last_order_at", "op": "not_within_last_days", "value": 90}]}]}

`match` is "all" (AND) or "any" (OR); groups nest. Every error names where it is ("conditions[1]
.conditions[0].field") and what is wrong, so a 400 can point at it.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from app.errors import InvalidInput
from segments.models import RfmSegment, Subject

MAX_DEPTH = 4
MAX_CONDITIONS = 50
MAX_LIST_ITEMS = 500


class DefinitionError(InvalidInput):
    """A definition that cannot be used; `path` names the offending part."""

    status = 400
    title = "Invalid segment definition"

    def __init__(self, path: str, detail: str) -> None:
        super().__init__(f"{path}: {detail}")
        self.path = path


class Kind(enum.StrEnum):
    NUMBER = "number"  # a decimal number
    SCORE = "score"  # an RFM score, 1-5
    PERCENT = "percent"  # 0-100
    DATE = "date"  # an ISO date; or a number of days for the within_* operators
    SEGMENT = "segment"  # an RFM segment name
    TEXT = "text"  # a short string, compared case-insensitively
    ID = "id"  # a row id of ours (companies, price lists)
    BOOLEAN = "boolean"  # true / false


OPERATORS: dict[Kind, frozenset[str]] = {
    Kind.NUMBER: frozenset({"eq", "ne", "gt", "gte", "lt", "lte", "between", "is_set", "is_not_set"}),
    Kind.SCORE: frozenset({"eq", "ne", "gt", "gte", "lt", "lte", "between", "in"}),
    Kind.PERCENT: frozenset({"gt", "gte", "lt", "lte", "between", "is_set", "is_not_set"}),
    Kind.DATE: frozenset(
        {"before", "after", "between", "within_last_days", "not_within_last_days", "is_set", "is_not_set"}
    ),
    Kind.SEGMENT: frozenset({"in", "not_in", "is_set", "is_not_set"}),
    Kind.TEXT: frozenset({"eq", "ne", "in", "not_in", "has", "has_not", "is_set", "is_not_set"}),
    Kind.ID: frozenset({"in", "not_in"}),
    Kind.BOOLEAN: frozenset({"eq"}),
}


@dataclass(frozen=True)
class Field:
    name: str
    kind: Kind
    label: str
    subjects: frozenset[Subject]
    # Operators this field accepts, when narrower than its kind's.
    only: frozenset[str] | None = None

    def operators(self) -> frozenset[str]:
        return self.only or OPERATORS[self.kind]


BOTH = frozenset({Subject.CUSTOMER, Subject.COMPANY})
PEOPLE = frozenset({Subject.CUSTOMER})

FIELDS: dict[str, Field] = {
    field.name: field
    for field in (
        Field("rfm_segment", Kind.SEGMENT, "RFM segment", BOTH),
        Field("r_score", Kind.SCORE, "Recency score", BOTH),
        Field("f_score", Kind.SCORE, "Frequency score", BOTH),
        Field("m_score", Kind.SCORE, "Monetary score", BOTH),
        Field("total_spent", Kind.NUMBER, "Total spent (historic CLV)", BOTH),
        Field("orders_count", Kind.NUMBER, "Orders", BOTH),
        Field("predicted_clv_365", Kind.NUMBER, "Predicted spend, next 365 days", BOTH),
        Field("churn_risk", Kind.PERCENT, "Churn risk (%)", BOTH),
        Field("first_order_at", Kind.DATE, "First order", BOTH),
        Field("last_order_at", Kind.DATE, "Last order", BOTH),
        Field("tag", Kind.TEXT, "Customer tag", PEOPLE, only=frozenset({"has", "has_not"})),
        Field("company", Kind.ID, "Company", BOTH),
        Field("price_list", Kind.ID, "Price list assigned", BOTH),
        Field(
            "acquisition_source",
            Kind.TEXT,
            "Acquisition source",
            PEOPLE,
            only=frozenset({"eq", "ne", "in", "not_in", "is_set", "is_not_set"}),
        ),
        Field("email_subscribed", Kind.BOOLEAN, "Email marketing consent", PEOPLE),
        Field("country", Kind.TEXT, "Country (ISO code)", PEOPLE, only=frozenset({"in", "not_in"})),
    )
}


@dataclass(frozen=True)
class Condition:
    field: Field
    op: str
    value: Any  # parsed: Decimal, int, date, str, bool, tuple of those, or None


@dataclass(frozen=True)
class Group:
    match: str  # "all" | "any"
    items: tuple[Condition | Group, ...]


def _number(path: str, value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | str | Decimal | float):
        raise DefinitionError(path, f"{value!r} is not a number")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise DefinitionError(path, f"{value!r} is not a number") from None
    if not number.is_finite():
        raise DefinitionError(path, f"{value!r} is not a number")
    return number


def _scalar(path: str, field: Field, op: str, value: Any) -> Any:
    kind = field.kind
    if kind is Kind.NUMBER:
        return _number(path, value)
    if kind is Kind.SCORE:
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
            raise DefinitionError(path, f"{value!r} is not a score from 1 to 5")
        return value
    if kind is Kind.PERCENT:
        number = _number(path, value)
        if not 0 <= number <= 100:
            raise DefinitionError(path, f"{value!r} is not a percentage from 0 to 100")
        return number
    if kind is Kind.DATE:
        if op in ("within_last_days", "not_within_last_days"):
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 36_500:
                raise DefinitionError(path, f"{value!r} is not a number of days (1 to 36500)")
            return value
        try:
            return date.fromisoformat(value) if isinstance(value, str) else _bad_date(path, value)
        except ValueError:
            raise DefinitionError(path, f"{value!r} is not a date (YYYY-MM-DD)") from None
    if kind is Kind.SEGMENT:
        try:
            return RfmSegment(value)
        except ValueError:
            names = ", ".join(s.value for s in RfmSegment)
            raise DefinitionError(path, f"{value!r} is not an RFM segment ({names})") from None
    if kind is Kind.TEXT:
        if not isinstance(value, str) or not value.strip() or len(value) > 255:
            raise DefinitionError(path, f"{value!r} is not a text of 1 to 255 characters")
        return value.strip().lower()
    if kind is Kind.ID:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise DefinitionError(path, f"{value!r} is not an id")
        return value
    if not isinstance(value, bool):
        raise DefinitionError(path, f"{value!r} is not true or false")
    return value


def _bad_date(path: str, value: Any) -> date:
    raise DefinitionError(path, f"{value!r} is not a date (YYYY-MM-DD)")


def _condition(path: str, raw: Mapping[str, Any], subject: Subject) -> Condition:
    unknown = set(raw) - {"field", "op", "value"}
    if unknown:
        raise DefinitionError(path, f"unknown key(s) {', '.join(sorted(unknown))}")
    name = raw.get("field")
    field = FIELDS.get(name) if isinstance(name, str) else None
    if field is None:
        raise DefinitionError(f"{path}.field", f"unknown field {name!r}; fields: {', '.join(FIELDS)}")
    if subject not in field.subjects:
        raise DefinitionError(f"{path}.field", f"{field.name!r} does not apply to {subject.value} segments")
    op = raw.get("op")
    if op not in field.operators():
        allowed = ", ".join(sorted(field.operators()))
        raise DefinitionError(f"{path}.op", f"{op!r} is not an operator of {field.name!r} ({allowed})")
    value = raw.get("value")
    where = f"{path}.value"
    if op in ("is_set", "is_not_set"):
        if value is not None:
            raise DefinitionError(where, f"{op} takes no value")
        return Condition(field, op, None)
    if op in ("in", "not_in"):
        if not isinstance(value, list) or not value or len(value) > MAX_LIST_ITEMS:
            raise DefinitionError(where, f"{op} takes a list of 1 to {MAX_LIST_ITEMS} values")
        return Condition(
            field, op, tuple(_scalar(f"{where}[{i}]", field, op, v) for i, v in enumerate(value))
        )
    if op == "between":
        if not isinstance(value, list) or len(value) != 2:
            raise DefinitionError(where, "between takes [low, high]")
        low, high = (_scalar(f"{where}[{i}]", field, op, v) for i, v in enumerate(value))
        if low > high:
            raise DefinitionError(where, f"the low end {value[0]!r} is above the high end {value[1]!r}")
        return Condition(field, op, (low, high))
    return Condition(field, op, _scalar(where, field, op, value))


def _group(path: str, raw: Any, subject: Subject, depth: int, counter: list[int]) -> Group:
    if not isinstance(raw, Mapping):
        raise DefinitionError(path or "definition", "must be an object with 'match' and 'conditions'")
    unknown = set(raw) - {"match", "conditions"}
    if unknown:
        raise DefinitionError(path or "definition", f"unknown key(s) {', '.join(sorted(unknown))}")
    if depth > MAX_DEPTH:
        raise DefinitionError(path, f"groups nest at most {MAX_DEPTH} deep")
    match = raw.get("match", "all")
    if match not in ("all", "any"):
        raise DefinitionError(f"{path}.match".lstrip("."), f"{match!r} is not 'all' or 'any'")
    conditions = raw.get("conditions")
    prefix = f"{path}.conditions" if path else "conditions"
    if not isinstance(conditions, Sequence) or isinstance(conditions, str) or not conditions:
        raise DefinitionError(prefix, "must be a non-empty list")
    items: list[Condition | Group] = []
    for index, item in enumerate(conditions):
        where = f"{prefix}[{index}]"
        if isinstance(item, Mapping) and "conditions" in item:
            items.append(_group(where, item, subject, depth + 1, counter))
            continue
        if not isinstance(item, Mapping):
            raise DefinitionError(where, "must be a condition object")
        counter[0] += 1
        if counter[0] > MAX_CONDITIONS:
            raise DefinitionError(where, f"a segment has at most {MAX_CONDITIONS} conditions")
        items.append(_condition(where, item, subject))
    return Group(match, tuple(items))


def parse_definition(raw: Any, subject: Subject) -> Group:
    """The checked condition tree of a definition, or DefinitionError naming the bad part."""
    return _group("", raw, subject, 1, [0])


def company_ids(group: Group) -> set[int]:
    """Company ids a definition names (checked to belong to the shop)."""
    found: set[int] = set()
    for item in group.items:
        if isinstance(item, Group):
            found |= company_ids(item)
        elif item.field.name == "company":
            found |= set(item.value)
    return found


def price_list_ids(group: Group) -> set[int]:
    """Price list ids a definition names (checked to belong to the shop)."""
    found: set[int] = set()
    for item in group.items:
        if isinstance(item, Group):
            found |= price_list_ids(item)
        elif item.field.name == "price_list":
            found |= set(item.value)
    return found
