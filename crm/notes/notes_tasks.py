"""Notes and follow-up tasks on a customer or company."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from app.db import UnitOfWork, utcnow
from app.errors import InvalidInput
from app.tenancy import get_for_shop
from crm.models import SubjectType
from crm.models_work import CrmNote, CrmTask
from crm.notes._common import (
    EXCERPT_CHARS,
    NAME_MAX_CHARS,
    NOTE_MAX_CHARS,
    TITLE_MAX_CHARS,
    Actor,
    _day,
    _event,
    _Subject,
    _subject,
)
from crm.notes.staff import _staff_choice

# -- notes ----------------------------------------------------------------------------------------


def add_note(
    uow: UnitOfWork,
    *,
    shop_id: int,
    subject_type: SubjectType | str,
    subject_id: int,
    body: str,
    author: Actor,
) -> CrmNote:
    """Add a note to a customer or company; the note lands on its timeline."""
    text = (body or "").strip()
    if not text:
        raise InvalidInput("body: write something in the note")
    if len(text) > NOTE_MAX_CHARS:
        raise InvalidInput(f"body: a note holds at most {NOTE_MAX_CHARS:,} characters (got {len(text):,})")
    session = uow.session
    subject = _subject(session, shop_id, subject_type, subject_id)
    note = CrmNote(
        shop_id=shop_id,
        customer_id=subject.customer_id,
        company_id=subject.company_id,
        body=text,
        author_id=author.staff_id,
        author_name=author.label[:NAME_MAX_CHARS],
    )
    session.add(note)
    session.flush()
    _event(
        session,
        subject,
        actor=author,
        verb="note_added",
        summary=f"Note by {author.label}: {_excerpt(text)}",
        data={"note_id": note.id},
    )
    return note


def _excerpt(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= EXCERPT_CHARS else flat[: EXCERPT_CHARS - 1].rstrip() + "…"


# -- tasks ----------------------------------------------------------------------------------------


def add_task(
    uow: UnitOfWork,
    *,
    shop_id: int,
    subject_type: SubjectType | str,
    subject_id: int,
    title: str,
    due_on: date | None = None,
    assignee_id: int | None = None,
    author: Actor,
) -> CrmTask:
    """Create a follow-up task about a customer or company, optionally due on a day and assigned."""
    clean_title = " ".join((title or "").split())
    if not clean_title:
        raise InvalidInput("title: say what needs doing")
    if len(clean_title) > TITLE_MAX_CHARS:
        raise InvalidInput(f"title: at most {TITLE_MAX_CHARS} characters (got {len(clean_title)})")
    if due_on is not None and not isinstance(due_on, date):
        raise InvalidInput("due_on: expected a date")
    session = uow.session
    subject = _subject(session, shop_id, subject_type, subject_id)
    assignee = _staff_choice(session, shop_id, assignee_id, "assignee_id")
    task = CrmTask(
        shop_id=shop_id,
        customer_id=subject.customer_id,
        company_id=subject.company_id,
        title=clean_title,
        due_on=due_on,
        assignee_id=assignee.id if assignee else None,
        created_by_id=author.staff_id,
        created_by_name=author.label[:NAME_MAX_CHARS],
    )
    session.add(task)
    session.flush()
    details = [f"due {_day(due_on)}"] if due_on else []
    if assignee is not None:
        details.append(f"assigned to {assignee.name}")
    _event(
        session,
        subject,
        actor=author,
        verb="task_created",
        summary=f"Task “{clean_title}” created" + (f" ({', '.join(details)})" if details else ""),
        data={
            "task_id": task.id,
            "title": clean_title,
            "due_on": due_on.isoformat() if due_on else None,
            "assignee_id": [None, task.assignee_id],
        },
    )
    return task


def complete_task(uow: UnitOfWork, *, shop_id: int, task_id: int, actor: Actor) -> CrmTask:
    """Mark a task done; completing a done task changes nothing."""
    session = uow.session
    task = _task(session, shop_id, task_id)
    if task.completed_at is not None:
        return task
    task.completed_at = utcnow()
    task.completed_by_name = actor.label[:NAME_MAX_CHARS]
    session.flush()
    _event(
        session,
        _task_subject(session, task),
        actor=actor,
        verb="task_completed",
        summary=f"Task “{task.title}” completed by {actor.label}",
        data={"task_id": task.id, "completed": [False, True]},
    )
    return task


def reopen_task(uow: UnitOfWork, *, shop_id: int, task_id: int, actor: Actor) -> CrmTask:
    """Open a done task again; reopening an open task changes nothing."""
    session = uow.session
    task = _task(session, shop_id, task_id)
    if task.completed_at is None:
        return task
    task.completed_at = None
    task.completed_by_name = None
    session.flush()
    _event(
        session,
        _task_subject(session, task),
        actor=actor,
        verb="task_reopened",
        summary=f"Task “{task.title}” reopened by {actor.label}",
        data={"task_id": task.id, "completed": [True, False]},
    )
    return task


def reassign_task(
    uow: UnitOfWork, *, shop_id: int, task_id: int, assignee_id: int | None, actor: Actor
) -> CrmTask:
    """Give a task to another staff member (None: unassign); the same assignee changes nothing."""
    session = uow.session
    task = _task(session, shop_id, task_id)
    new = _staff_choice(session, shop_id, assignee_id, "assignee_id")
    if task.assignee_id == (new.id if new else None):
        return task
    old = _staff_choice(session, shop_id, task.assignee_id, "assignee_id")
    task.assignee_id = new.id if new else None
    session.flush()
    if new is None:
        change = f"unassigned (was {old.name})" if old else "unassigned"
    elif old is None:
        change = f"assigned to {new.name}"
    else:
        change = f"reassigned from {old.name} to {new.name}"
    _event(
        session,
        _task_subject(session, task),
        actor=actor,
        verb="task_reassigned",
        summary=f"Task “{task.title}” {change}",
        data={"task_id": task.id, "assignee_id": [old.id if old else None, task.assignee_id]},
    )
    return task


def _task(session: Session, shop_id: int, task_id: int) -> CrmTask:
    return get_for_shop(session, CrmTask, shop_id, task_id)


def _task_subject(session: Session, task: CrmTask) -> _Subject:
    if task.customer_id is not None:
        return _subject(session, task.shop_id, SubjectType.CUSTOMER, task.customer_id)
    assert task.company_id is not None  # the CHECK constraint: one of the two
    return _subject(session, task.shop_id, SubjectType.COMPANY, task.company_id)
