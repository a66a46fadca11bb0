"""`tradeline demo --no-serve`: a fresh instance gets a migrated SQLite file, the seeded shop and the URLs."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from app import create_app
from app.cli import main

KEY_RE = re.compile(r"API key\s+(tl_\S+)")


@pytest.fixture
def instance(tmp_path: Path) -> Path:
    return tmp_path / "instance"


@pytest.fixture
def run(instance: Path) -> Any:
    """`tradeline ...` on the embedded default: no DATABASE_URL, no REDIS_URL, a fresh instance folder."""
    env = {
        "INSTANCE_PATH": str(instance),
        "DATABASE_URL": "",
        "REDIS_URL": "",
        "TRADELINE_ENV": "development",
        "LOCAL_SIGNIN": "1",
        "LOG_FORMAT": "text",
    }

    def invoke(*args: str, **extra_env: str) -> Result:
        return CliRunner(env={**env, **extra_env}).invoke(main, ["demo", *args], catch_exceptions=False)

    return invoke


def _api_status(instance: Path, key: str) -> int:
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{instance / 'tradeline.db'}",
            "INSTANCE_PATH": str(instance),
            "REDIS_URL": None,
        }
    )
    response = app.test_client().get("/api/v1/shop", headers={"Authorization": f"Bearer {key}"})
    app.extensions["tradeline"].db.dispose()
    return response.status_code


def test_demo_migrates_seeds_and_prints_the_urls_sign_in_and_a_working_key(run: Any, instance: Path) -> None:
    result = run("--no-serve", "--port", "5077")
    out = result.stdout
    assert result.exit_code == 0, out
    assert (instance / "tradeline.db").is_file()
    assert f"Database sqlite:///{instance / 'tradeline.db'} is migrated." in out
    seeded = re.search(
        r"Seeded ([\d,]+) webhook payloads in ([\d.]+) s: ([\d,]+) customers, 300 companies, 41 products", out
    )
    # How long the seed takes is a benchmark figure (BENCHMARKS.md), not something a test asserts.
    assert seeded is not None, out
    for line in (
        "Admin home     http://127.0.0.1:5077/",
        "Sign in        http://127.0.0.1:5077/signin  (choose Demo Wholesale Co., any staff name)",
        "Health         http://127.0.0.1:5077/healthz",
        "API (OpenAPI)  http://127.0.0.1:5077/api/v1/openapi.json",
        "Jobs run inline (no REDIS_URL).",
    ):
        assert line in out
    key = KEY_RE.search(out)
    assert key is not None
    assert _api_status(instance, key.group(1)) == 200
    assert "Serving on" not in out


def test_a_second_run_keeps_the_data_and_replaces_the_demo_key(run: Any, instance: Path) -> None:
    first = run("--no-serve", "--companies", "8", "--retail", "4")
    second = run("--no-serve", "--companies", "8", "--retail", "4")
    assert second.exit_code == 0, second.stdout
    assert "is already seeded (" in second.stdout and "Seeded" not in second.stdout
    old_key, new_key = KEY_RE.search(first.stdout), KEY_RE.search(second.stdout)
    assert old_key is not None and new_key is not None
    assert _api_status(instance, old_key.group(1)) == 401
    assert _api_status(instance, new_key.group(1)) == 200


def test_reset_seeds_again_from_scratch(run: Any) -> None:
    run("--no-serve", "--companies", "8", "--retail", "4")
    result = run("--no-serve", "--reset", "--companies", "5", "--retail", "2")
    assert result.exit_code == 0, result.stdout
    assert "Removed the previous demo shop demo-wholesale.myshopify.com and all its data." in result.stdout
    assert re.search(
        r"Seeded [\d,]+ webhook payloads in [\d.]+ s: [\d,]+ customers, 5 companies", result.stdout
    )


def test_demo_refuses_production_mode(run: Any, instance: Path) -> None:
    result = CliRunner(
        env={
            "TRADELINE_ENV": "production",
            "INSTANCE_PATH": str(instance),
            "DATABASE_URL": f"sqlite:///{instance / 'prod.db'}",
            "SHOPIFY_API_KEY": "key",
            "SHOPIFY_API_SECRET": "secret",
            "APP_URL": "https://tradeline.example",
            "SECRET_KEY": "x" * 32,
            "TOKEN_ENCRYPTION_KEY": "q1Yl3Xn1v4cPqFQ6oXkq1m5q6m0c3M9bIuKXl1Zb6yA=",
            "LOCAL_SIGNIN": "0",
            "LOG_FORMAT": "text",
        }
    ).invoke(main, ["demo", "--no-serve"])
    assert result.exit_code == 1
    assert "tradeline demo is for development; unset TRADELINE_ENV=production" in result.output
    assert not (instance / "prod.db").exists()
