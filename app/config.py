"""Configuration from the environment (and a `.env` file), validated per mode."""

from __future__ import annotations

import base64
import json
import logging
import os
import secrets
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from dotenv import dotenv_values

log = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_API_VERSION = "2026-04"
DEFAULT_SCOPES = (
    "read_customers,write_customers,read_customer_merge,read_orders,write_orders,read_draft_orders,"
    "write_draft_orders,read_products,write_products,read_companies,write_companies,"
    "read_publications,write_publications,write_discounts,write_app_proxy"
)
# The secrets production refuses to start without, in the order they are reported.
REQUIRED_IN_PRODUCTION = (
    "SHOPIFY_API_KEY",
    "SHOPIFY_API_SECRET",
    "APP_URL",
    "SECRET_KEY",
    "TOKEN_ENCRYPTION_KEY",
    "DATABASE_URL",
)
# Generated for development when unset; persisted so restarts keep sessions and stored tokens readable.
GENERATED_IN_DEVELOPMENT = ("SECRET_KEY", "TOKEN_ENCRYPTION_KEY", "SHOPIFY_API_SECRET")


class ConfigError(RuntimeError):
    """The configuration cannot run in the requested mode."""


@dataclass(frozen=True)
class Settings:
    """Every setting Tradeline reads; `.env.example` documents each one."""

    TRADELINE_ENV: str = "development"
    DATABASE_URL: str = ""
    REDIS_URL: str | None = None
    SHOPIFY_API_KEY: str = ""
    SHOPIFY_API_SECRET: str = ""
    SHOPIFY_API_SECRET_PREVIOUS: str | None = None
    SHOPIFY_API_VERSION: str = DEFAULT_API_VERSION
    SCOPES: str = DEFAULT_SCOPES
    APP_URL: str = "http://127.0.0.1:5000"
    SECRET_KEY: str = ""
    TOKEN_ENCRYPTION_KEY: str = ""
    INSTANCE_PATH: str = str(PROJECT_ROOT / "instance")
    LOG_LEVEL: str = "INFO"
    LOG_FORMAT: str = "json"
    # Reverse proxies in front of the app (load balancer, TLS terminator) whose X-Forwarded-* headers are
    # trusted: Shopify request verification needs the public https URL, not the proxy's internal one.
    PROXY_COUNT: int = 0
    # How long a web process may answer an API key lookup from memory (PostgreSQL only; 0 turns it off).
    # Changes to keys and shops empty it at once through PostgreSQL notifications: app/auth_cache.py.
    API_AUTH_CACHE_SECONDS: int = 30
    # Local sign-in (development and demo only): production never enables it.
    LOCAL_SIGNIN: bool = True
    # Tests inject an httpx transport to fake Shopify at the HTTP boundary.
    SHOPIFY_HTTP_TRANSPORT: Any = field(default=None, repr=False, compare=False)
    TESTING: bool = False

    @property
    def is_production(self) -> bool:
        return self.TRADELINE_ENV == "production"

    @property
    def jobs_inline(self) -> bool:
        return not self.REDIS_URL

    @property
    def shopify_secrets(self) -> list[str]:
        """The current client secret, then the previous one during a rotation."""
        return [s for s in (self.SHOPIFY_API_SECRET, self.SHOPIFY_API_SECRET_PREVIOUS) if s]

    @property
    def scopes(self) -> list[str]:
        return [s.strip() for s in self.SCOPES.split(",") if s.strip()]

    def with_overrides(self, **overrides: Any) -> Settings:
        return replace(self, **overrides)


_BOOL_TRUE = {"1", "true", "yes", "on"}


def _coerce(name: str, raw: str) -> Any:
    kind = Settings.__dataclass_fields__[name].type
    if kind == "bool":
        return raw.strip().lower() in _BOOL_TRUE
    if kind == "int":
        try:
            return int(raw)
        except ValueError:
            raise ConfigError(f"{name} must be a whole number, not {raw!r}") from None
    if raw == "" and "None" in str(kind):
        return None
    return raw


def load_settings(
    environ: dict[str, str] | None = None,
    overrides: dict[str, Any] | None = None,
    env_file: Path | None = None,
) -> Settings:
    """Build settings from a `.env` file, the environment and explicit overrides (in rising priority)."""
    source: dict[str, Any] = {}
    env_file = env_file if env_file is not None else PROJECT_ROOT / ".env"
    if env_file.is_file():
        source.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    source.update(os.environ if environ is None else environ)
    names = {f.name for f in fields(Settings)}
    values: dict[str, Any] = {k: _coerce(k, v) for k, v in source.items() if k in names}
    values.update({k: v for k, v in (overrides or {}).items() if k in names})
    settings = Settings(**values)
    if settings.is_production:
        _check_production(settings)
    else:
        settings = _fill_development(settings)
    if not settings.DATABASE_URL:
        Path(settings.INSTANCE_PATH).mkdir(parents=True, exist_ok=True)
        settings = replace(
            settings, DATABASE_URL=f"sqlite:///{Path(settings.INSTANCE_PATH) / 'tradeline.db'}"
        )
    return settings


def _check_production(settings: Settings) -> None:
    missing = [name for name in REQUIRED_IN_PRODUCTION if not getattr(settings, name)]
    if missing:
        raise ConfigError(
            "Production mode (TRADELINE_ENV=production) needs "
            + ", ".join(missing)
            + ". Set them in the environment or in .env; .env.example documents each one."
        )
    if settings.LOCAL_SIGNIN:
        # Refuse rather than silently ignore: an operator who set it expects it to work.
        raise ConfigError("LOCAL_SIGNIN cannot be enabled in production mode; set LOCAL_SIGNIN=0.")
    if not settings.APP_URL.startswith("https://"):
        raise ConfigError("APP_URL must be an https:// URL in production mode.")


def _fill_development(settings: Settings) -> Settings:
    """Fill unset secrets with throwaway values kept under instance/, and say so."""
    missing = [name for name in GENERATED_IN_DEVELOPMENT if not getattr(settings, name)]
    updates: dict[str, str] = {}
    if missing:
        path = Path(settings.INSTANCE_PATH) / "dev-secrets.json"
        stored: dict[str, str] = json.loads(path.read_text()) if path.is_file() else {}
        for name in missing:
            if name not in stored:
                stored[name] = generate_secret(name)
            updates[name] = stored[name]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(stored, indent=2))
        path.chmod(0o600)
        log.warning(
            "development mode: using throwaway %s from %s (never use these in production)",
            ", ".join(missing),
            path,
        )
    if not settings.SHOPIFY_API_KEY:
        updates["SHOPIFY_API_KEY"] = "tradeline-dev"
    return replace(settings, **updates)


def generate_secret(name: str) -> str:
    """A fresh random value in the format the named secret expects."""
    if name == "TOKEN_ENCRYPTION_KEY":
        return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    return secrets.token_hex(32)
