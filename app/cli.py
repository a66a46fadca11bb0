"""The `tradeline` command line: serve, migrate, register shops, run workers, seed the demo."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click
from flask import Flask

from app.config import ConfigError


def build_app() -> Flask:
    """The app for a command, or a clear message and exit 2 when the configuration is unusable."""
    from app import create_app

    try:
        return create_app()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc


@contextmanager
def app_context() -> Iterator[Flask]:
    flask_app = build_app()
    with flask_app.app_context():
        yield flask_app


@click.group()
def main() -> None:
    """Tradeline: a self-hosted B2B CRM for Shopify stores."""


@main.group()
def db() -> None:
    """Database schema commands."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION."""
    from app import services
    from app.migrate import upgrade

    with app_context():
        url = services().settings.DATABASE_URL
        upgrade(url, revision)
        click.echo(f"database at {_safe_url(url)} is at {revision}")


@main.group()
def shops() -> None:
    """Shop registration."""


@shops.command("add")
@click.argument("domain")
@click.option("--token", help="an offline Admin API access token for the shop")
@click.option("--scopes", default="", help="the token's scopes, comma separated")
def shops_add(domain: str, token: str | None, scopes: str) -> None:
    """Register DOMAIN without OAuth (operators and local development)."""
    from app import services
    from app.errors import DomainError
    from app.shops import TokenSet, install_shop, store_token

    with app_context():
        svc = services()
        try:
            with svc.db.unit_of_work() as uow:
                shop = install_shop(uow, domain=domain, scopes=scopes or svc.settings.SCOPES)
                if token:
                    store_token(
                        uow,
                        svc.cipher,
                        shop_id=shop.id,
                        tokens=TokenSet(access_token=token, scope=scopes or svc.settings.SCOPES),
                    )
                uow.commit()
                click.echo(f"shop {shop.domain} registered (id {shop.id})" + (", token stored" if token else ""))
        except DomainError as exc:
            raise click.ClickException(exc.detail) from exc


def _safe_url(url: str) -> str:
    """The URL without its password, for messages."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
