"""Settings: production refuses to start without its secrets; development fills throwaway ones."""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path

import pytest

from app import create_app
from app.config import REQUIRED_IN_PRODUCTION, ConfigError, Settings, load_settings

PRODUCTION = {
    "TRADELINE_ENV": "production",
    "SHOPIFY_API_KEY": "key",
    "SHOPIFY_API_SECRET": "secret",
    "APP_URL": "https://crm.example.com",
    "SECRET_KEY": "s" * 32,
    "TOKEN_ENCRYPTION_KEY": "q1Yl3Xn1v4cPqFQ6oXkq1m5q6m0c3M9bIuKXl1Zb6yA=",
    "DATABASE_URL": "postgresql://db.example.com/tradeline",
    "LOCAL_SIGNIN": "0",
}


def settings_from(environ: dict[str, str], tmp_path: Path):
    return load_settings(
        environ={"INSTANCE_PATH": str(tmp_path), **environ}, env_file=tmp_path / "absent.env"
    )


def test_production_with_every_secret_loads(tmp_path):
    settings = settings_from(PRODUCTION, tmp_path)

    assert settings.is_production
    assert settings.LOCAL_SIGNIN is False
    assert settings.jobs_inline is True


@pytest.mark.parametrize("missing", REQUIRED_IN_PRODUCTION)
def test_production_refuses_to_start_and_names_the_missing_secret(missing, tmp_path):
    environ = {k: v for k, v in PRODUCTION.items() if k != missing}

    with pytest.raises(ConfigError, match=missing):
        settings_from(environ, tmp_path)


def test_create_app_in_production_with_a_missing_secret_raises(tmp_path):
    # An explicit empty value, so a developer's own .env or environment cannot fill it in.
    overrides = {
        **PRODUCTION,
        "SHOPIFY_API_SECRET": "",
        "INSTANCE_PATH": str(tmp_path),
        "LOCAL_SIGNIN": False,
    }

    with pytest.raises(ConfigError, match="SHOPIFY_API_SECRET"):
        create_app(overrides)


def test_production_refuses_local_signin(tmp_path):
    with pytest.raises(ConfigError, match="LOCAL_SIGNIN"):
        settings_from({**PRODUCTION, "LOCAL_SIGNIN": "1"}, tmp_path)


def test_production_refuses_a_plain_http_app_url(tmp_path):
    with pytest.raises(ConfigError, match="https"):
        settings_from({**PRODUCTION, "APP_URL": "http://crm.example.com"}, tmp_path)


def test_development_generates_throwaway_secrets_once_and_keeps_them(tmp_path, caplog):
    first = settings_from({}, tmp_path)
    second = settings_from({}, tmp_path)

    stored = json.loads((tmp_path / "dev-secrets.json").read_text())
    assert first.SECRET_KEY == second.SECRET_KEY == stored["SECRET_KEY"]
    assert first.TOKEN_ENCRYPTION_KEY == stored["TOKEN_ENCRYPTION_KEY"]
    assert first.SHOPIFY_API_SECRET == stored["SHOPIFY_API_SECRET"]
    assert "throwaway" in caplog.text
    assert (tmp_path / "dev-secrets.json").stat().st_mode & 0o777 == 0o600


def test_development_defaults_to_a_sqlite_file_under_instance_and_inline_jobs(tmp_path):
    settings = settings_from({}, tmp_path)

    assert settings.DATABASE_URL == f"sqlite:///{tmp_path / 'tradeline.db'}"
    assert settings.jobs_inline is True
    assert settings.SHOPIFY_API_VERSION == "2026-04"


def test_env_file_is_read_and_the_environment_wins_over_it(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("SCOPES=read_orders\nAPP_URL=https://from-file.example.com\n")

    settings = load_settings(
        environ={"INSTANCE_PATH": str(tmp_path), "APP_URL": "https://from-env.example.com"}, env_file=env_file
    )

    assert settings.scopes == ["read_orders"]
    assert settings.APP_URL == "https://from-env.example.com"


def test_previous_secret_is_accepted_alongside_the_current_one(tmp_path):
    settings = settings_from({**PRODUCTION, "SHOPIFY_API_SECRET_PREVIOUS": "old"}, tmp_path)

    assert settings.shopify_secrets == ["secret", "old"]


def test_redis_url_switches_jobs_off_inline(tmp_path):
    settings = settings_from({"REDIS_URL": "redis://127.0.0.1:6379/0"}, tmp_path)

    assert settings.jobs_inline is False


def test_env_example_documents_every_setting():
    documented = set()
    for line in (Path(__file__).resolve().parents[2] / ".env.example").read_text().splitlines():
        name = line.lstrip("# ").split("=", 1)[0]
        if "=" in line and name.isupper():
            documented.add(name)
    test_only = {"SHOPIFY_HTTP_TRANSPORT", "TESTING"}

    assert {f.name for f in fields(Settings)} - test_only <= documented


def test_proxy_count_is_a_number(tmp_path):
    assert settings_from({"PROXY_COUNT": "1"}, tmp_path).PROXY_COUNT == 1
    with pytest.raises(ConfigError, match="PROXY_COUNT must be a whole number"):
        settings_from({"PROXY_COUNT": "one"}, tmp_path)


def test_behind_a_proxy_the_app_sees_the_public_https_url(tmp_path):
    from flask import request

    from tests.support import TEST_SETTINGS

    app = create_app({**TEST_SETTINGS, "INSTANCE_PATH": str(tmp_path), "PROXY_COUNT": 1})
    app.add_url_rule("/where", "where", lambda: request.url)

    answer = app.test_client().get(
        "/where", headers={"X-Forwarded-Proto": "https", "X-Forwarded-Host": "crm.example.com"}
    )

    assert answer.text == "https://crm.example.com/where"
