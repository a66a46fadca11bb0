"""The app benchmarks serve: the real `create_app()` plus a bare route to compare against."""

from __future__ import annotations

from flask import Flask

from app import create_app

BARE_PATH = "/__bench/bare"


def create_bench_app() -> Flask:
    """`create_app()` with BARE_PATH added: 200 and no work, through the same hooks as every route."""
    app = create_app()
    app.add_url_rule(BARE_PATH, endpoint="bench_bare", view_func=_bare)
    return app


def _bare() -> tuple[str, int]:
    """Answer 200 and do nothing else."""
    return "ok", 200
