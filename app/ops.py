"""Operations: health check, structured logs and request ids."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Wire logging, request ids and /healthz into the app."""
