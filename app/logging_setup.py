"""Structured logging: JSON lines (or text), request/job context on every line, secrets redacted."""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from flask import g, has_request_context

# Context fields every line carries when known; a request sets them on flask.g, a job in a contextvar.
CONTEXT_FIELDS = ("request_id", "job_id", "shop")
CONTEXT_ATTR = "tradeline_context"
_job_context: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar(
    "tradeline_log_context", default=None
)

REDACTED = "[REDACTED]"
_REDACTIONS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Shopify access, custom-app, private-app, refresh and storefront/shared-secret tokens: keep the prefix.
    (re.compile(r"\b(shp(?:at|ca|ua|rt|ss)_)[A-Za-z0-9]+"), r"\1" + REDACTED),
    # The header name in any quoting ('X-Shopify-Access-Token': 'x', X-Shopify-Access-Token: x, ...=x).
    (
        re.compile(r"(X-Shopify-Access-Token['\"]?\s*[:=,]?\s*(?:b?['\"])?)[^\s'\",;}\]]+", re.IGNORECASE),
        r"\1" + REDACTED,
    ),
    # Real bearer credentials (JWTs, API keys) are long; the length spares prose like "bearer of news".
    (re.compile(r"(\bBearer\s+)[A-Za-z0-9._~+/=-]{8,}", re.IGNORECASE), r"\1" + REDACTED),
    # OAuth / token-exchange bodies and form posts.
    (
        re.compile(
            r"(\b(?:access_token|refresh_token|id_token|client_secret|subject_token)['\"]?\s*[:=]\s*['\"]?)"
            r"[^\s'\",&;}\]]+",
            re.IGNORECASE,
        ),
        r"\1" + REDACTED,
    ),
)
_ANSI = re.compile(r"\x1b\[[0-9;]*m")

_HANDLER_MARK = "_tradeline_handler"
_factory_installed = False


def redact(text: str) -> str:
    """`text` with Shopify tokens, Bearer tokens and token fields replaced by a marker."""
    for pattern, replacement in _REDACTIONS:
        text = pattern.sub(replacement, text)
    return text


def bind_log_context(**fields: str | int | None) -> None:
    """Attach fields (request_id, job_id, shop) to every log line of the current request or job."""
    clean = {k: str(v) for k, v in fields.items() if v is not None}
    if has_request_context():
        g.log_context = {**g.get("log_context", {}), **clean}
        return
    _job_context.set({**(_job_context.get() or {}), **clean})


@contextmanager
def log_context(**fields: str | int | None) -> Iterator[None]:
    """Log with `fields` attached (outside requests: workers, commands) for the duration of the block."""
    token = _job_context.set({**(_job_context.get() or {}), **{k: str(v) for k, v in fields.items() if v}})
    try:
        yield
    finally:
        _job_context.reset(token)


def current_log_context() -> dict[str, str]:
    """The context fields known right now."""
    found = dict(_job_context.get() or {})
    if has_request_context():
        found.update(g.get("log_context", {}))
    return found


class RedactingFilter(logging.Filter):
    """Rewrite a record's message and traceback with secrets redacted (idempotent)."""

    def filter(self, record: logging.LogRecord) -> bool:
        _redact_record(record)
        return True


class ContextFilter(logging.Filter):
    """Copy the request/job context onto the record so formatters can print it."""

    def filter(self, record: logging.LogRecord) -> bool:
        _add_context(record)
        return True


def _redact_record(record: logging.LogRecord) -> None:
    if getattr(record, "_tradeline_redacted", False):
        return
    try:
        message = record.getMessage()
    except Exception:  # a broken format string is logging's to report, not ours
        return
    record.msg = redact(message)
    record.args = ()
    if record.exc_info and not record.exc_text:
        record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
    if record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    record._tradeline_redacted = True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, msg, request_id/job_id/shop when known, exc."""

    def format(self, record: logging.LogRecord) -> str:
        _redact_record(record)
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": _ANSI.sub("", record.getMessage()),
        }
        entry.update(record_context(record))
        if record.exc_text:
            entry["exc"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        return json.dumps(entry, default=str)


class TextFormatter(logging.Formatter):
    """Human-readable lines with the context in brackets."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        _redact_record(record)
        line = super().format(record)
        context = " ".join(f"{key}={value}" for key, value in record_context(record).items())
        if not context:
            return line
        head, sep, rest = line.partition("\n")
        return f"{head} [{context}]{sep}{rest}"


def _add_context(record: logging.LogRecord) -> None:
    # One attribute of our own: setting request_id/job_id directly would make `extra={"job_id": ...}`
    # (RQ logs that way) raise "Attempt to overwrite" in Logger.makeRecord.
    if not hasattr(record, CONTEXT_ATTR):
        setattr(record, CONTEXT_ATTR, current_log_context())


def record_context(record: logging.LogRecord) -> dict[str, str]:
    """The context fields of a record: what was bound when it was made, then any `extra=` fields."""
    fields = dict(getattr(record, CONTEXT_ATTR, None) or {})
    for key in CONTEXT_FIELDS:
        value = getattr(record, key, None)
        if value is not None:
            fields[key] = str(value)
    return {key: fields[key] for key in CONTEXT_FIELDS if fields.get(key)}


def _tradeline_record_factory(previous: Any) -> Any:
    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        _add_context(record)
        _redact_record(record)
        return record

    return factory


class StderrHandler(logging.Handler):
    """Write to whatever sys.stderr is at emit time (test runners and servers swap it)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
            stream = sys.stderr
            stream.write(line + "\n")
            stream.flush()
        except Exception:  # logging must never break the caller
            self.handleError(record)


def configure_logging(level: str = "INFO", fmt: str = "json") -> None:
    """Send every log line to stderr in the chosen format; safe to call once per app built."""
    global _factory_installed
    # Redact and add context at record creation, so handlers we do not own (gunicorn's, RQ's, pytest's)
    # see the same record and never a secret.
    if not _factory_installed:
        logging.setLogRecordFactory(_tradeline_record_factory(logging.getLogRecordFactory()))
        _factory_installed = True
    root = logging.getLogger()
    handler = next((h for h in root.handlers if getattr(h, _HANDLER_MARK, False)), None)
    if handler is None:
        handler = StderrHandler()
        setattr(handler, _HANDLER_MARK, True)
        handler.addFilter(ContextFilter())
        handler.addFilter(RedactingFilter())
        root.addHandler(handler)
    handler.setFormatter(JsonFormatter() if fmt.lower() == "json" else TextFormatter())
    root.setLevel(level.upper())
