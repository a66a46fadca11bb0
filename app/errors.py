"""Domain errors that views turn into clear HTTP answers."""

from __future__ import annotations


class DomainError(Exception):
    """Base of the errors services raise; `status` is the HTTP status a view answers with."""

    status = 400
    title = "Bad request"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(DomainError):
    """The row does not exist, or belongs to another shop (the two are indistinguishable)."""

    status = 404
    title = "Not found"


class InvalidInput(DomainError):
    status = 422
    title = "Invalid input"


class Conflict(DomainError):
    status = 409
    title = "Conflict"


class Unauthorized(DomainError):
    status = 401
    title = "Unauthorized"


class Forbidden(DomainError):
    status = 403
    title = "Forbidden"
