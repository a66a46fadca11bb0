"""Flask shell: app factory, config, database, tenancy, Shopify auth and client, jobs, CLI, admin and API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app
from werkzeug.middleware.proxy_fix import ProxyFix

from app.config import Settings, load_settings
from app.crypto import TokenCipher
from app.db import Database


@dataclass
class Services:
    """The per-process objects every view, job and command reaches through the app."""

    settings: Settings
    db: Database
    cipher: TokenCipher


def services() -> Services:
    """The services of the current app."""
    return current_app.extensions["tradeline"]


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build a Tradeline app; `test_config` overrides settings read from the environment."""
    settings = load_settings(overrides=test_config)
    app = Flask(
        __name__,
        instance_path=settings.INSTANCE_PATH,
        template_folder="../templates",
        static_folder="static",
    )
    app.config.update(
        SECRET_KEY=settings.SECRET_KEY,
        TESTING=settings.TESTING,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.is_production,
    )
    from webhooks.wsgi import IntakeDispatcher

    # Shopify's deliveries are answered before Flask's request machinery (webhooks/wsgi.py), behind
    # ProxyFix like every other request.
    app.wsgi_app = IntakeDispatcher(app, app.wsgi_app)  # type: ignore[method-assign]
    if settings.PROXY_COUNT:
        n = settings.PROXY_COUNT
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n)  # type: ignore[method-assign]
    app.extensions["tradeline"] = Services(
        settings=settings,
        db=Database(settings.DATABASE_URL, auth_cache_seconds=settings.API_AUTH_CACHE_SECONDS),
        cipher=TokenCipher(settings.TOKEN_ENCRYPTION_KEY),
    )

    from app import ops, privacy_views
    from app.admin import views as admin_views
    from app.api import views as api_views
    from app.auth import views as auth_views
    from crm import views as crm_views
    from pricing import views as pricing_views
    from segments import views as segments_views
    from webhooks import sync_views
    from webhooks import views as webhook_views

    ops.init_app(app)
    app.register_blueprint(auth_views.bp)
    app.register_blueprint(admin_views.bp)
    app.register_blueprint(api_views.bp)
    app.register_blueprint(privacy_views.bp)
    app.register_blueprint(crm_views.bp)
    app.register_blueprint(webhook_views.bp)
    app.register_blueprint(sync_views.bp)
    app.register_blueprint(pricing_views.bp)
    app.register_blueprint(segments_views.bp)

    from app.auth.service import shop_installed
    from app.shopify.jobs import on_shop_installed

    # sender=app: a receiver per app, so apps built in one process (tests, workers) never cross-fire.
    shop_installed.connect(on_shop_installed, sender=app)

    from webhooks import backfill

    backfill.connect_signals(app)  # the initial backfill of a newly installed shop
    return app
