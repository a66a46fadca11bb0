"""`tradeline backfill` and `tradeline reconcile` refuse unknown shops and resources with a clear message."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from app.cli import main


@pytest.fixture
def cli(app_config, live_app):
    """Run `tradeline ...` against the test database, as an operator would from a shell."""
    env = {
        name: "" if value is None else ("1" if value is True else ("0" if value is False else str(value)))
        for name, value in app_config.items()
    }
    runner = CliRunner(env=env)

    def run(*args: str):
        return runner.invoke(main, list(args), catch_exceptions=False)

    return run


@pytest.mark.parametrize("command", ["backfill", "reconcile"])
def test_an_unknown_shop_is_refused(cli, command):
    result = cli(command, "nobody.myshopify.com")

    assert result.exit_code == 1
    assert result.output == ("Error: no installed shop 'nobody.myshopify.com' (see `tradeline shops add`)\n")


def test_an_unknown_resource_is_refused(cli):
    result = cli("backfill", "nobody.myshopify.com", "--resources", "orders,invoices")

    assert result.exit_code == 1
    assert result.output == (
        "Error: unknown resource(s) invoices; choose from customers, companies, products, orders\n"
    )
