"""The `tradeline` command line: serve, migrate, register shops, run workers, seed the demo."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING

import click
from flask import Flask

from app.config import ConfigError

if TYPE_CHECKING:
    from app.db import UnitOfWork


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
    try:
        with flask_app.app_context():
            yield flask_app
    finally:
        # Close pooled connections now: a command run in-process (tests, scripts) must not leak them.
        flask_app.extensions["tradeline"].db.dispose()


@click.group()
def main() -> None:
    """Tradeline: a self-hosted B2B CRM for Shopify stores."""


@main.group()
def db() -> None:
    """Database schema commands."""


@db.command("upgrade")
@click.option("--revision", default="heads", show_default=True)
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
                click.echo(
                    f"shop {shop.domain} registered (id {shop.id})" + (", token stored" if token else "")
                )
        except DomainError as exc:
            raise click.ClickException(exc.detail) from exc


@main.group("api-keys")
def api_keys() -> None:
    """REST API keys of a shop (for integrators: ERP, accounting)."""


def _registered_shop_id(uow: UnitOfWork, domain: str) -> int:
    """The id of the registered shop with this domain, else a clear error."""
    from app.shops import find_shop_by_domain, normalize_shop_domain

    shop = find_shop_by_domain(uow, domain=normalize_shop_domain(domain))
    if shop is None:
        raise click.ClickException(f"no shop {domain!r} is registered (see `tradeline shops add`)")
    return shop.id


@api_keys.command("create")
@click.argument("domain")
@click.option("--name", default="API key", show_default=True, help="what will use the key, e.g. 'ERP sync'")
def api_keys_create(domain: str, name: str) -> None:
    """Issue an API key for DOMAIN and print it, once."""
    from app import services
    from app.apikeys import create_api_key
    from app.errors import DomainError

    with app_context():
        try:
            with services().db.unit_of_work() as uow:
                key, plaintext = create_api_key(uow, shop_id=_registered_shop_id(uow, domain), name=name)
                uow.commit()
        except DomainError as exc:
            raise click.ClickException(exc.detail) from exc
        click.echo(f"API key {key.prefix} ({key.name}) created for {domain}:")
        click.echo(plaintext)
        click.echo("Store it now: it will not be shown again (only its SHA-256 digest is kept).")


@api_keys.command("list")
@click.argument("domain")
def api_keys_list(domain: str) -> None:
    """List DOMAIN's API keys by prefix (the keys themselves are never stored)."""
    from app import services
    from app.apikeys import list_api_keys
    from app.errors import DomainError

    with app_context():
        try:
            with services().db.unit_of_work() as uow:
                keys = list_api_keys(uow, shop_id=_registered_shop_id(uow, domain))
                # Read inside the unit of work: its closing rollback expires the loaded rows.
                rows = [
                    (k.prefix, "revoked" if k.revoked_at else "active", k.created_at, k.last_used_at, k.name)
                    for k in keys
                ]
        except DomainError as exc:
            raise click.ClickException(exc.detail) from exc
        if not rows:
            click.echo(f"{domain} has no API keys; create one with `tradeline api-keys create {domain}`")
            return
        click.echo(f"{'PREFIX':<14}{'STATUS':<9}{'CREATED':<22}{'LAST USED':<22}NAME")
        for prefix, status, created, used, name in rows:
            click.echo(f"{prefix:<14}{status:<9}{_utc_minute(created):<22}{_utc_minute(used):<22}{name}")


@api_keys.command("revoke")
@click.argument("domain")
@click.argument("prefix")
def api_keys_revoke(domain: str, prefix: str) -> None:
    """Revoke DOMAIN's API key PREFIX: requests with it fail from now on."""
    from app import services
    from app.apikeys import revoke_api_key
    from app.errors import DomainError

    with app_context():
        try:
            with services().db.unit_of_work() as uow:
                key = revoke_api_key(uow, shop_id=_registered_shop_id(uow, domain), prefix=prefix)
                uow.commit()
        except DomainError as exc:
            raise click.ClickException(exc.detail) from exc
        click.echo(f"API key {key.prefix} ({key.name}) of {domain} revoked at {_utc_minute(key.revoked_at)}")


def _utc_minute(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "-"


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=5000, show_default=True, envvar="PORT", help="PORT env beats 5000")
@click.option("--workers", type=int, help="gunicorn workers (production); default 2 x cores + 1")
@click.option(
    "--server",
    type=click.Choice(["auto", "gunicorn", "flask"]),
    default="auto",
    show_default=True,
    help="auto: gunicorn in production (TRADELINE_ENV=production), Flask's threaded server otherwise",
)
@click.option("--access-log/--no-access-log", default=False, show_default=True, help="gunicorn access log")
@click.option(
    "--threads",
    type=int,
    default=2,
    show_default=True,
    help="threads per gunicorn worker: > 1 runs gthread workers (keep-alive), 1 sync workers",
)
@click.option("--reload", is_flag=True, help="restart on code changes (Flask server only)")
def serve(
    host: str, port: int, workers: int | None, server: str, access_log: bool, threads: int, reload: bool
) -> None:
    """Serve the web app."""
    from app import ops, services

    flask_app = build_app()  # fail here, with a clear message, before any worker starts
    with flask_app.app_context():
        production = services().settings.is_production
    if server == "gunicorn" or (server == "auto" and production):
        workers = workers or ops.default_web_workers()
        ops.run_gunicorn(ops.gunicorn_options(host, port, workers, access_log, threads=threads))
    else:
        flask_app.run(host=host, port=port, threaded=True, debug=False, use_reloader=reload)


@main.command("worker")
@click.option("--queues", default=",".join(("webhooks", "default", "bulk")), show_default=True)
@click.option("--burst", is_flag=True, help="stop once the queues are empty")
@click.option("--with-scheduler/--no-scheduler", default=True, show_default=True)
@click.option("--name", help="worker name (default: random)")
def worker(queues: str, burst: bool, with_scheduler: bool, name: str | None) -> None:
    """Run an RQ worker on QUEUES, highest priority first."""
    from app.worker import parse_queues, run_worker

    try:
        names = parse_queues(queues)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--queues") from exc
    flask_app = build_app()
    try:
        run_worker(flask_app, names, burst=burst, with_scheduler=with_scheduler, name=name)
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from exc


@main.command("scheduler")
def scheduler() -> None:
    """Enqueue the periodic jobs of app/cron.py on schedule (one leads, any other stands by)."""
    import os
    import time

    import redis

    from app import services
    from app.cron import run_scheduler

    # Cron strings are UTC: RQ 2.x reads them so, and RQ 3 reads them in local time.
    os.environ["TZ"] = "UTC"
    time.tzset()
    with app_context():
        url = services().settings.REDIS_URL
        if not url:
            raise click.ClickException("REDIS_URL is not set: periodic jobs need Redis and a worker")
        run_scheduler(redis.Redis.from_url(url))


@main.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=5000, show_default=True)
@click.option("--serve/--no-serve", default=True, show_default=True, help="serve the app after seeding")
@click.option("--reset", is_flag=True, help="delete the demo shop and its data, then seed it again")
@click.option("--companies", type=click.IntRange(1, 5000), default=300, show_default=True, help="B2B buyers")
@click.option("--retail", type=click.IntRange(0, 5000), default=150, show_default=True, help="retail buyers")
def demo(host: str, port: int, serve: bool, reset: bool, companies: int, retail: int) -> None:
    """Migrate the local database, seed a demo wholesale shop and serve the app (jobs inline)."""
    from app.demo.command import run_demo
    from app.demo.generator import DemoSize

    run_demo(
        host=host,
        port=port,
        serve=serve,
        reset=reset,
        size=DemoSize(companies=companies, retail_customers=retail),
    )


@main.command("backfill")
@click.argument("domain")
@click.option(
    "--resources",
    default="customers,companies,products,orders",
    show_default=True,
    help="comma separated: customers, companies, products, orders",
)
@click.option("--fresh", is_flag=True, help="start new exports even where a failed backfill could resume")
@click.option(
    "--wait/--no-wait",
    default=None,
    help="stay until every export is imported (default: wait when jobs run inline, i.e. without Redis)",
)
def backfill(domain: str, resources: str, fresh: bool, wait: bool | None) -> None:
    """Copy DOMAIN's customers, companies, products and orders from Shopify (GraphQL bulk exports)."""
    from app import services
    from app.errors import DomainError
    from webhooks.backfill.commands import run_backfill
    from webhooks.backfill.service import parse_resources

    with app_context():
        try:
            chosen = parse_resources(resources)
            should_wait = services().settings.jobs_inline if wait is None else wait
            code = run_backfill(domain, resources=chosen, fresh=fresh, wait=should_wait, echo=click.echo)
        except DomainError as exc:
            raise click.ClickException(exc.detail) from exc
    sys.exit(code)


@main.command("reconcile")
@click.argument("domain")
@click.option(
    "--resources",
    default="customers,companies,products,orders",
    show_default=True,
    help="comma separated: customers, companies, products, orders",
)
def reconcile(domain: str, resources: str) -> None:
    """Compare DOMAIN's recent Shopify changes with Tradeline and repair what is missing or stale."""
    from app.errors import DomainError
    from webhooks.backfill.commands import run_reconcile
    from webhooks.backfill.service import parse_resources

    with app_context():
        try:
            code = run_reconcile(domain, resources=parse_resources(resources), echo=click.echo)
        except DomainError as exc:
            raise click.ClickException(exc.detail) from exc
    sys.exit(code)


@main.group("analytics")
def analytics_group() -> None:
    """RFM, CLV and churn computations."""


@analytics_group.command("run")
@click.argument("domain")
@click.option("--kind", type=click.Choice(["full", "rfm", "clv"]), default="full", show_default=True)
def analytics_run(domain: str, kind: str) -> None:
    """Compute DOMAIN's analytics now, in this process, and print what the run found as JSON."""
    import json

    from app.errors import DomainError
    from segments import service as analytics
    from segments.models import RunKind

    with app_context() as app, app.extensions["tradeline"].db.unit_of_work() as uow:
        shop_id = _registered_shop_id(uow, domain)
        try:
            run = analytics.start_run(uow, shop_id=shop_id, kind=RunKind(kind))
            uow.commit()
            run = analytics.execute_run(uow, shop_id=shop_id, run_id=run.id)
        except DomainError as exc:
            raise click.ClickException(exc.detail) from exc
        click.echo(
            json.dumps({"run": run.id, "status": run.status.value, **run.stats}, indent=2, default=str)
        )


@main.group("clv")
def clv_group() -> None:
    """Customer lifetime value models."""


@clv_group.command("fit")
@click.argument("csv_file", type=click.File("r", encoding="utf-8-sig"))
def clv_fit(csv_file) -> None:  # type: ignore[no-untyped-def]
    """Fit BG/NBD (and Gamma-Gamma when monetary_value is given) to a customer summary CSV; print JSON.

    Columns: customer_id,frequency,recency,T[,monetary_value] (one time unit throughout).
    """
    import json

    from segments.clv_commands import fit_summary

    try:
        result = fit_summary(csv_file)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(json.dumps(result, indent=2))


def _safe_url(url: str) -> str:
    """The URL without its password, for messages."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
