"""Reading request bodies for API views, with a clear 400/415 problem when they are unusable."""

from __future__ import annotations

import json
from typing import Any

from flask import request
from werkzeug.exceptions import UnsupportedMediaType

from app.api.problems import InvalidBody


def json_body() -> dict[str, Any]:
    """The request body as a JSON object, else InvalidBody (or 415 for another media type)."""
    if not request.is_json:
        raise UnsupportedMediaType(
            f"Send the request body as application/json (got {request.mimetype or 'no Content-Type'})."
        )
    try:
        # RFC 8259 §8.1: JSON between systems is UTF-8 (json.loads would also guess UTF-16/32 from bytes).
        text = request.get_data(cache=True).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidBody("The request body is not UTF-8 encoded JSON.") from exc
    try:
        body = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidBody(
            f"The request body is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})."
        ) from exc
    if not isinstance(body, dict):
        raise InvalidBody(f"The request body must be a JSON object, not {_json_kind(body)}.")
    return body


def _json_kind(value: Any) -> str:
    """The JSON name of a decoded value's type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "an array"
