"""Operations: health check, structured logs, request ids and the HTML error pages."""

from __future__ import annotations

import logging
import os
import re
import time
import uuid
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import redis
from flask import Flask, Response, g, jsonify, request
from markupsafe import escape
from sqlalchemy import text
from werkzeug.exceptions import InternalServerError

from app.errors import DomainError
from app.logging_setup import bind_log_context, configure_logging

log = logging.getLogger(__name__)

REQUEST_ID_HEADER = "X-Request-Id"
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
# /healthz answers fast even when a dependency hangs: load balancers time out after a few seconds.
HEALTH_REDIS_TIMEOUT_S = 1.0
API_PREFIX = "/api/"
GUNICORN_ACCESS_FORMAT = (
    '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms rid=%({x-request-id}o)s'
)


def init_app(app: Flask) -> None:
    """Wire logging, request ids, /healthz and the HTML error pages into the app."""
    settings = app.extensions["tradeline"].settings
    configure_logging(settings.LOG_LEVEL, settings.LOG_FORMAT)
    app.before_request(_assign_request_id)
    app.after_request(_echo_request_id)
    app.add_url_rule("/healthz", "healthz", healthz, methods=["GET"])
    app.register_error_handler(DomainError, _domain_error)
    app.register_error_handler(InternalServerError, _internal_error)


def request_id_from(header: str | None) -> str:
    """The caller's request id if it is sane, else a fresh one (never trust a header into the logs)."""
    if header and _SANE_REQUEST_ID.match(header):
        return header
    return uuid.uuid4().hex


def _assign_request_id() -> None:
    g.request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))
    bind_log_context(request_id=g.request_id)


def _echo_request_id(response: Response) -> Response:
    request_id = g.get("request_id")
    if request_id:
        response.headers[REQUEST_ID_HEADER] = request_id
    return response


def healthz() -> tuple[Response, int]:
    """Report whether the database (and Redis, when configured) answer; 503 when one does not."""
    from app import services

    svc = services()
    checks: dict[str, dict[str, Any]] = {"database": _check_database(svc.db)}
    if svc.settings.jobs_inline:
        checks["redis"] = {"ok": True, "mode": "inline"}
    else:
        checks["redis"] = _check_redis(svc.settings.REDIS_URL or "")
    healthy = all(check["ok"] for check in checks.values())
    body = {"status": "ok" if healthy else "degraded", "checks": checks, "version": app_version()}
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response, 200 if healthy else 503


def _check_database(db: Any) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        with db.session() as session:
            session.execute(text("SELECT 1"))
    except Exception as exc:  # any failure means "not healthy"; the detail goes to the log, not the public
        log.warning("healthz: database check failed: %s", exc)
        return {"ok": False, "error": f"database unavailable ({exc.__class__.__name__})"}
    return {"ok": True, "latency_ms": _elapsed_ms(started)}


def _check_redis(url: str) -> dict[str, Any]:
    started = time.perf_counter()
    client = redis.Redis.from_url(
        url, socket_connect_timeout=HEALTH_REDIS_TIMEOUT_S, socket_timeout=HEALTH_REDIS_TIMEOUT_S
    )
    try:
        client.ping()
    except redis.RedisError as exc:
        log.warning("healthz: Redis check failed: %s", exc)
        return {"ok": False, "mode": "redis", "error": f"cannot reach Redis ({exc.__class__.__name__})"}
    finally:
        client.close()
    return {"ok": True, "mode": "redis", "latency_ms": _elapsed_ms(started)}


def _elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)


@cache
def app_version() -> str:
    """The installed Tradeline version."""
    try:
        return version("tradeline")
    except PackageNotFoundError:
        return "unknown"


def _is_api_request() -> bool:
    return request.path.startswith(API_PREFIX)


def _problem(status: int, title: str, detail: str) -> tuple[Response, int]:
    # Only reached when the API blueprint has no handler of its own (its handlers take precedence).
    response = jsonify({"type": "about:blank", "title": title, "status": status, "detail": detail})
    response.mimetype = "application/problem+json"
    return response, status


def _domain_error(exc: DomainError) -> tuple[Response | str, int]:
    log.info("%s %s: %s (%d)", request.method, request.path, exc.title, exc.status)
    if _is_api_request():
        return _problem(exc.status, exc.title, exc.detail)
    return _error_page(exc.status, exc.title, exc.detail), exc.status


def _internal_error(exc: InternalServerError) -> tuple[Response | str, int]:
    detail = "Something went wrong on our side. It has been logged."
    if _is_api_request():
        return _problem(500, "Internal server error", detail)
    return _error_page(500, "Internal server error", detail), 500


def _error_page(status: int, title: str, detail: str) -> str:
    return error_page(status, title, detail, g.get("request_id", ""))


def error_page(status: int, title: str, detail: str, request_id: str) -> str:
    """The HTML error page, with the request id to quote (also served outside Flask: webhooks.wsgi)."""
    return (
        "<!doctype html>\n<html lang=en><head><meta charset=utf-8>"
        f"<title>{status} {escape(title)}</title></head>\n"
        f"<body><h1>{escape(title)}</h1>\n<p>{escape(detail)}</p>\n"
        f"<p><small>Reference: <code>{escape(request_id)}</code></small></p></body></html>\n"
    )


def default_web_workers() -> int:
    """Gunicorn's rule of thumb: two workers per core, plus one."""
    return 2 * (os.cpu_count() or 1) + 1


def gunicorn_options(
    host: str, port: int, workers: int, access_log: bool, threads: int = 1
) -> dict[str, Any]:
    """The gunicorn settings `tradeline serve` runs production with: sync workers, or gthread ones when
    `threads` > 1, which keep client connections alive (a sync worker closes each after one request;
    a new TCP connection per request cost ~250 µs of worker CPU in BENCHMARKS.md, webhook intake)."""
    threaded = {"worker_class": "gthread", "threads": threads} if threads > 1 else {}
    return {
        **threaded,
        "bind": f"{host}:{port}",
        "workers": workers,
        "accesslog": "-" if access_log else None,
        # gunicorn's default line plus duration and the request id, to join access and app logs.
        "access_log_format": GUNICORN_ACCESS_FORMAT,
        "errorlog": "-",
        "proc_name": "tradeline-web",
        # Each worker builds its own app after the fork (no preload): no engine or socket is shared.
        "preload_app": False,
    }


def run_gunicorn(options: dict[str, Any]) -> None:
    """Serve `create_app()` with gunicorn until stopped; its own log lines go through our handler."""
    from gunicorn.app.base import BaseApplication
    from gunicorn.glogging import Logger as GunicornLogger

    class AppLogger(GunicornLogger):
        def setup(self, cfg: Any) -> None:
            super().setup(cfg)
            # One format for every line (JSON, redacted): hand gunicorn's records to the root handler.
            for logger in (self.error_log, self.access_log):
                for handler in list(logger.handlers):
                    logger.removeHandler(handler)
                logger.propagate = True

    class TradelineWeb(BaseApplication):
        def load_config(self) -> None:
            settings = {**options, "logger_class": AppLogger}
            # gunicorn >= 25.1 opens a control socket at one fixed path per user: two instances on a
            # host would fight over it, and nothing here uses it.
            if "control_socket_disable" in self.cfg.settings:
                settings["control_socket_disable"] = True
            for key, value in settings.items():
                self.cfg.set(key, value)

        def load(self) -> Flask:
            from app import create_app

            return create_app()

    TradelineWeb().run()
