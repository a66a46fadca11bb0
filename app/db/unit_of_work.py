"""The unit of work: one session that rolls back unless committed, with after-commit hooks."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session


class UnitOfWork:
    """A session that rolls back unless committed and runs after-commit hooks.

    Hooks (job enqueues, mostly) run only once the commit has succeeded, so a worker never
    sees a job for a row that does not exist, and a rolled-back change enqueues nothing.
    """

    def __init__(self, session_factory: Callable[[], Session]) -> None:
        self._session_factory = session_factory
        self._hooks: list[Callable[[], None]] = []
        self.session: Session

    def __enter__(self) -> UnitOfWork:
        self.session = self._session_factory()
        self._hooks = []
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.session.rollback()
        finally:
            self.session.close()
            self._hooks = []

    def after_commit(self, hook: Callable[[], None]) -> None:
        """Run `hook` after the next successful commit; dropped on rollback."""
        self._hooks.append(hook)

    def commit(self) -> None:
        self.session.commit()
        hooks, self._hooks = self._hooks, []
        for hook in hooks:
            hook()

    def rollback(self) -> None:
        self.session.rollback()
        self._hooks = []
