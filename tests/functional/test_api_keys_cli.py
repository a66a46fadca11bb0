"""`tradeline api-keys create|list|revoke`: the printed key works against the API until it is revoked."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from app import services
from app.cli import main
from app.models import ApiKey
from app.shops import install_shop

KEY_LINE = re.compile(r"^(tl_([A-Za-z0-9]{12})_[A-Za-z0-9_-]{43})$", re.MULTILINE)


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


@pytest.fixture
def acme(live_app):
    with services().db.unit_of_work() as uow:
        shop = install_shop(uow, domain="acme")
        uow.commit()
    return shop


def key_count() -> int:
    with services().db.unit_of_work() as uow:
        return uow.session.scalar(select(func.count()).select_from(ApiKey))


def test_a_created_key_is_printed_once_and_authenticates_against_the_api(cli, acme, live_app):
    # when
    result = cli("api-keys", "create", "acme.myshopify.com", "--name", "ERP sync")
    # then: the key is printed with a warning that it will not be shown again
    assert result.exit_code == 0, result.output
    match = KEY_LINE.search(result.output)
    assert match is not None
    plaintext, prefix = match.groups()
    assert result.output.splitlines()[0] == f"API key {prefix} (ERP sync) created for acme.myshopify.com:"
    assert "it will not be shown again" in result.output
    # and it works
    response = live_app.test_client().get("/api/v1/shop", headers={"Authorization": f"Bearer {plaintext}"})
    assert response.status_code == 200
    assert response.get_json()["data"]["domain"] == "acme.myshopify.com"
    # and the listing shows its prefix, never the key
    listing = cli("api-keys", "list", "acme")
    assert listing.exit_code == 0
    assert listing.output.splitlines()[0].split() == ["PREFIX", "STATUS", "CREATED", "LAST", "USED", "NAME"]
    assert listing.output.splitlines()[1].startswith(f"{prefix}  active   ")
    assert listing.output.splitlines()[1].endswith("ERP sync")
    assert plaintext not in listing.output


def test_a_revoked_key_stops_working(cli, acme, live_app):
    # given
    created = cli("api-keys", "create", "acme")
    plaintext, prefix = KEY_LINE.search(created.output).groups()
    # when
    result = cli("api-keys", "revoke", "acme", prefix)
    # then
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"API key {prefix} (API key) of acme revoked at ")
    response = live_app.test_client().get("/api/v1/shop", headers={"Authorization": f"Bearer {plaintext}"})
    assert response.status_code == 401
    assert f"{prefix}  revoked  " in cli("api-keys", "list", "acme").output


def test_another_shops_prefix_cannot_be_revoked(cli, acme, live_app):
    # given
    with services().db.unit_of_work() as uow:
        install_shop(uow, domain="globex")
        uow.commit()
    plaintext, prefix = KEY_LINE.search(cli("api-keys", "create", "acme").output).groups()
    # when
    result = cli("api-keys", "revoke", "globex", prefix)
    # then
    assert result.exit_code == 1
    assert f"Error: no API key with prefix '{prefix}' for this shop" in result.output
    response = live_app.test_client().get("/api/v1/shop", headers={"Authorization": f"Bearer {plaintext}"})
    assert response.status_code == 200


def test_an_unregistered_shop_gets_a_clear_error_and_no_key(cli, live_app):
    result = cli("api-keys", "create", "nobody")

    assert result.exit_code == 1
    assert "Error: no shop 'nobody' is registered (see `tradeline shops add`)" in result.output
    assert key_count() == 0


def test_a_shop_without_keys_is_told_how_to_create_one(cli, acme):
    result = cli("api-keys", "list", "acme")

    assert result.exit_code == 0
    assert result.output == "acme has no API keys; create one with `tradeline api-keys create acme`\n"
