"""`tradeline demo`: migrate the local database, seed the demo shop, print how to use it, serve it."""

from __future__ import annotations

from collections.abc import Callable

import click
from flask import Flask
from sqlalchemy.engine import make_url

from app.apikeys import create_api_key, list_api_keys, revoke_api_key
from app.config import ConfigError
from app.db import UnitOfWork
from app.demo.generator import DemoSize
from app.demo.seed import (
    DEMO_SHOP_DOMAIN,
    DEMO_SHOP_NAME,
    SeedResult,
    deliver_demo,
    is_seeded,
    remove_demo_shop,
)
from app.shops import find_shop_by_domain
from crm import service

DEMO_API_KEY_NAME = "tradeline demo"


def build_demo_app() -> Flask:
    """The app on the embedded default: settings from the environment, jobs run inline."""
    from app import create_app

    try:
        # The demo never needs a worker: without REDIS_URL jobs run in-process after commit.
        return create_app({"REDIS_URL": None})
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc


def run_demo(
    *,
    host: str,
    port: int,
    serve: bool,
    reset: bool,
    size: DemoSize,
    echo: Callable[[str], None] = click.echo,
) -> None:
    """Migrate, seed unless already seeded (or `reset`), print the URLs, then serve unless told not to."""
    from app import services
    from app.migrate import upgrade

    flask_app = build_demo_app()
    with flask_app.app_context():
        svc = services()
        if svc.settings.is_production:
            raise click.ClickException("tradeline demo is for development; unset TRADELINE_ENV=production")
        url = svc.settings.DATABASE_URL
        upgrade(url)
        echo(f"Database {make_url(url).render_as_string(hide_password=True)} is migrated.")
        with svc.db.unit_of_work() as uow:
            if reset and remove_demo_shop(uow, shop_domain=DEMO_SHOP_DOMAIN):
                echo(f"Removed the previous demo shop {DEMO_SHOP_DOMAIN} and all its data.")
            seeded = is_seeded(uow, shop_domain=DEMO_SHOP_DOMAIN)
            if seeded:
                shop = find_shop_by_domain(uow, domain=DEMO_SHOP_DOMAIN)
                assert shop is not None
                counts = service.crm_counts(uow, shop_id=shop.id)
                echo(f"{DEMO_SHOP_DOMAIN} is already seeded ({_counts(counts)}); --reset seeds it again.")
            uow.commit()
        if not seeded:
            # Committed deliveries, one request each: no transaction may be open around them.
            echo(f"Seeding {DEMO_SHOP_DOMAIN} through the webhook intake (signed POST /webhooks) ...")
            result = deliver_demo(flask_app, shop_domain=DEMO_SHOP_DOMAIN, size=size)
            echo(_seeded(result))
        with svc.db.unit_of_work() as uow:
            shop = find_shop_by_domain(uow, domain=DEMO_SHOP_DOMAIN)
            assert shop is not None
            api_key = _fresh_api_key(uow, shop.id)
            uow.commit()
        base = f"http://{'127.0.0.1' if host in ('0.0.0.0', '') else host}:{port}"
        echo("")
        echo(f"  Admin home     {base}/")
        if svc.settings.LOCAL_SIGNIN:
            echo(f"  Sign in        {base}/signin  (choose {DEMO_SHOP_NAME}, any staff name)")
        else:
            echo("  Sign in        disabled (LOCAL_SIGNIN=0); open the app from Shopify admin instead")
        echo(f"  Health         {base}/healthz")
        echo(f"  API (OpenAPI)  {base}/api/v1/openapi.json")
        echo(f"  API key        {api_key}")
        echo(f'                 curl -H "Authorization: Bearer {api_key}" {base}/api/v1/shop')
        echo("  Jobs run inline (no REDIS_URL).")
        echo("")
    if serve:
        echo(f"Serving on {base} (Ctrl+C to stop)")
        flask_app.run(host=host, port=port, threaded=True, debug=False, use_reloader=False)


def _counts(counts: dict[str, int]) -> str:
    return (
        f"{counts['customers']:,} customers, {counts['companies']:,} companies, "
        f"{counts['products']:,} products ({counts['variants']:,} variants), {counts['orders']:,} orders"
    )


def _seeded(result: SeedResult) -> str:
    deliveries = result.outcomes.get("deliveries", {})
    failed = deliveries.get("failed", 0) + deliveries.get("retry", 0)
    return (
        f"Seeded {result.payloads:,} webhook payloads in {result.seconds:.1f} s: {_counts(result.counts)}."
        + (f" {failed:,} deliveries failed: see the webhook log." if failed else "")
    )


def _fresh_api_key(uow: UnitOfWork, shop_id: int) -> str:
    """A new API key for the demo shop; the previous demo key is revoked (its plaintext is gone)."""
    for key in list_api_keys(uow, shop_id=shop_id):
        if key.name == DEMO_API_KEY_NAME and key.revoked_at is None:
            revoke_api_key(uow, shop_id=shop_id, prefix=key.prefix)
    _, plaintext = create_api_key(uow, shop_id=shop_id, name=DEMO_API_KEY_NAME)
    return plaintext
