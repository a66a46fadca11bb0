"""The CRM endpoints' input: typed query parameters (400 naming the parameter) and bodies (422 per field)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from app.api.problems import InvalidParameter
from app.errors import InvalidInput, NotFound
from crm.models import SubjectType

# Row ids are 32-bit integers on PostgreSQL; larger numbers cannot name a row (and overflow SQLite's driver).
MAX_ROW_ID = 2**31 - 1
MAX_TEXT_PARAMETER_CHARS = 255
NOTE_FIELDS = ("body",)
TASK_FIELDS = ("title", "due_on", "customer_id", "company_id", "assignee_id")
# A service's InvalidInput names its field first ("body: write something in the note").
FIELD_MESSAGE_RE = re.compile(r"^(?P<field>[a-z_]+): (?P<detail>.+)$", re.DOTALL)
DAY_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# An ISO 8601 offset whose '+' a client forgot to URL-encode arrives as a space ("...T10:00:00 02:00").
UNENCODED_PLUS_RE = re.compile(r"T[\d:.]+ \d{2}:?\d{2}$")


class InvalidFields(InvalidInput):
    """A request body whose fields are not acceptable; `errors` points at each one (RFC 6901 pointers)."""

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{field}: {detail}" for field, detail in errors))
        self.errors = [{"pointer": f"/{field}", "detail": detail} for field, detail in errors]


@dataclass(frozen=True)
class QueryArgs:
    """Typed access to a list request's query parameters; a bad value is a 400 naming the parameter."""

    args: Mapping[str, str]

    def text(self, name: str) -> str | None:
        value = (self.args.get(name) or "").strip()
        if len(value) > MAX_TEXT_PARAMETER_CHARS:
            raise InvalidParameter(name, f"{name} is at most {MAX_TEXT_PARAMETER_CHARS} characters.")
        return value or None

    def row_id(self, name: str) -> int | None:
        raw = self.args.get(name)
        if raw is None or raw == "":
            return None
        digits = raw.lstrip("0")
        # Plain digits only, and few enough that int() stays cheap: "+7", " 7" and "1_0" are not ids.
        valid = raw.isascii() and raw.isdigit() and 0 < len(digits) <= len(str(MAX_ROW_ID))
        if not valid or int(digits) > MAX_ROW_ID:
            raise InvalidParameter(name, f"{name} must be an id (a positive integer); got {_shown(raw)}.")
        return int(digits)

    def choice(self, name: str, allowed: tuple[str, ...]) -> str | None:
        value = self.text(name)
        if value is not None and value not in allowed:
            raise InvalidParameter(name, f"{name} must be one of {', '.join(allowed)}; got {_shown(value)}.")
        return value

    def moment(self, name: str, *, day_end: bool = False) -> datetime | None:
        """A timestamp with an offset, or a date: its first (with day_end, its last) instant in UTC."""
        value = self.text(name)
        if value is None:
            return None
        if UNENCODED_PLUS_RE.search(value):
            value = value[::-1].replace(" ", "+", 1)[::-1]
        problem = (
            f"{name} must be an ISO 8601 timestamp with a UTC offset (2026-05-01T10:00:00Z) or a date "
            f"(2026-05-01); got {_shown(value)}."
        )
        try:
            if DAY_RE.match(value):
                return datetime.combine(
                    date.fromisoformat(value), time.max if day_end else time.min, tzinfo=UTC
                )
            moment = datetime.fromisoformat(value)
            if moment.tzinfo is None:
                raise InvalidParameter(name, problem)
            return moment.astimezone(UTC)
        except (ValueError, OverflowError):
            raise InvalidParameter(name, problem) from None


def _shown(raw: str, max_chars: int = 40) -> str:
    return repr(raw if len(raw) <= max_chars else raw[:max_chars] + "...")


def enum_values(members: Any) -> tuple[str, ...]:
    """The values of an enum's members, the choices of a filter."""
    return tuple(member.value for member in members)


def path_id(row_id: int, kind: str) -> int:
    """A path's id, or NotFound for a number no row can have."""
    if not 1 <= row_id <= MAX_ROW_ID:
        raise NotFound(f"{kind} {row_id} not found")
    return row_id


def field_errors(fields: tuple[str, ...], exc: InvalidInput) -> InvalidFields | InvalidInput:
    """A service's InvalidInput as field errors when it names a body field (it then says which)."""
    match = FIELD_MESSAGE_RE.match(exc.detail)
    if match is None or match["field"] not in fields:
        return exc
    return InvalidFields([(match["field"], match["detail"])])


def _unknown_fields(body: Mapping[str, Any], fields: tuple[str, ...]) -> list[tuple[str, str]]:
    # Refused rather than ignored: a misspelt optional field ("due_date") would otherwise vanish silently.
    return [
        (name, f"unknown field; this endpoint takes {', '.join(fields)}")
        for name in body
        if name not in fields
    ]


def note_text(body: Mapping[str, Any]) -> str:
    """The text of a note body, else InvalidFields (the service refuses a blank or too long one)."""
    errors = _unknown_fields(body, NOTE_FIELDS)
    text = body.get("body")
    if "body" not in body:
        errors.append(("body", "required: the note's text"))
    elif not isinstance(text, str):
        errors.append(("body", "must be a string"))
    if errors:
        raise InvalidFields(errors)
    assert isinstance(text, str)
    return text


@dataclass(frozen=True)
class TaskInput:
    """A task body, checked for shape (the service checks the values)."""

    title: str
    due_on: date | None
    subject_type: SubjectType
    subject_id: int
    assignee_id: int | None


def _id_field(body: Mapping[str, Any], name: str, errors: list[tuple[str, str]]) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    # bool is an int in Python; true is not an id.
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ROW_ID:
        errors.append((name, "must be an id (a positive integer)"))
        return None
    return value


def task_input(body: Mapping[str, Any]) -> TaskInput:
    """A task body checked field by field, every fault reported at once, else InvalidFields."""
    errors = _unknown_fields(body, TASK_FIELDS)
    title = body.get("title")
    if "title" not in body:
        errors.append(("title", "required: what needs doing"))
    elif not isinstance(title, str):
        errors.append(("title", "must be a string"))
    due_on = None
    raw_due = body.get("due_on")
    if raw_due is not None:
        if isinstance(raw_due, str) and DAY_RE.match(raw_due):
            try:
                due_on = date.fromisoformat(raw_due)
            except ValueError:
                errors.append(("due_on", f"{raw_due!r} is not a calendar date"))
        else:
            errors.append(("due_on", "must be a date as YYYY-MM-DD, or null"))
    customer_id = _id_field(body, "customer_id", errors)
    company_id = _id_field(body, "company_id", errors)
    subject_fields = [name for name in ("customer_id", "company_id") if body.get(name) is not None]
    if not subject_fields:
        errors.append(("customer_id", "give customer_id or company_id: the task's customer or company"))
    elif len(subject_fields) == 2:
        for name in subject_fields:
            errors.append((name, "give customer_id or company_id, not both"))
    assignee_id = _id_field(body, "assignee_id", errors)
    if errors:
        raise InvalidFields(errors)
    assert isinstance(title, str)
    if customer_id is not None:
        return TaskInput(title, due_on, SubjectType.CUSTOMER, customer_id, assignee_id)
    assert company_id is not None
    return TaskInput(title, due_on, SubjectType.COMPANY, company_id, assignee_id)
