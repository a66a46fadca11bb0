"""Local sign-in for development and demos: the switch, a per-session CSRF token, safe redirects."""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlsplit

from flask import session

from app.config import Settings

CSRF_SESSION_KEY = "csrf_token"
CSRF_TOKEN_BYTES = 32


def local_signin_enabled(settings: Settings) -> bool:
    """Local sign-in exists only when switched on and never in production."""
    return settings.LOCAL_SIGNIN and not settings.is_production


def csrf_token() -> str:
    """This session's CSRF token, created on first use."""
    token = session.get(CSRF_SESSION_KEY)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(CSRF_TOKEN_BYTES)
        session[CSRF_SESSION_KEY] = token
    return token


def csrf_valid(submitted: str | None) -> bool:
    """True when the submitted token is this session's (constant-time comparison)."""
    expected = session.get(CSRF_SESSION_KEY)
    if not isinstance(expected, str) or not expected or not submitted:
        return False
    return hmac.compare_digest(expected.encode(), submitted.encode())


def safe_next(target: str | None, default: str = "/") -> str:
    """`target` when it is a path on this site, else `default` (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target
