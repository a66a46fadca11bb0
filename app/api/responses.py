"""The API's envelopes: `{"data": ...}` for one object, `{"data": [...], "next_cursor": ...}` for a list."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask import Response, jsonify

from app.api.pagination import Page


def data_response(data: Any, status: int = 200) -> Response:
    """One object, wrapped as `{"data": ...}`."""
    response = jsonify({"data": data})
    response.status_code = status
    return response


def list_response(page: Page[Any], serialize: Callable[[Any], Any]) -> Response:
    """A page of a list as `{"data": [...], "next_cursor": ...}`, each item through `serialize`."""
    return jsonify({"data": [serialize(item) for item in page.items], "next_cursor": page.next_cursor})


def iso8601(moment: datetime | None) -> str | None:
    """A timestamp as ISO 8601 in UTC with a `Z` suffix (None stays None)."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
