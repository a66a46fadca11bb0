"""GET /healthz: the database and Redis checks, through the test client and through real servers."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from tests.support import TEST_SETTINGS

ROOT = Path(__file__).resolve().parents[2]
TRADELINE = Path(sys.executable).with_name("tradeline")
VERSION = "0.1.0"
CLOSED_REDIS = "redis://127.0.0.1:1/0"
SERVER_TIMEOUT_S = 30
PORT_ATTEMPTS = 3


def test_healthz_is_ok_with_the_database_and_inline_jobs(client: FlaskClient) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["version"] == VERSION
    assert body["checks"]["redis"] == {"ok": True, "mode": "inline"}
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["database"]["latency_ms"] >= 0
    assert response.headers["Cache-Control"] == "no-store"


def test_healthz_is_ok_with_redis_configured(
    app_config: dict[str, Any], redis_url: str, request: pytest.FixtureRequest
) -> None:
    app_config["REDIS_URL"] = redis_url
    client = request.getfixturevalue("client")

    response = client.get("/healthz")

    assert response.status_code == 200
    redis_check = response.get_json()["checks"]["redis"]
    assert (redis_check["ok"], redis_check["mode"]) == (True, "redis")
    assert redis_check["latency_ms"] >= 0


def test_healthz_is_503_when_redis_cannot_be_reached(
    app_config: dict[str, Any], request: pytest.FixtureRequest
) -> None:
    app_config["REDIS_URL"] = CLOSED_REDIS
    client = request.getfixturevalue("client")

    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "degraded"
    assert body["checks"]["redis"] == {
        "ok": False,
        "mode": "redis",
        "error": "cannot reach Redis (ConnectionError)",
    }
    assert body["checks"]["database"]["ok"] is True


def test_healthz_is_503_when_the_database_cannot_be_reached(tmp_path: Path) -> None:
    flask_app = create_app(
        {
            **TEST_SETTINGS,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'missing-dir' / 'db.sqlite'}",
            "INSTANCE_PATH": str(tmp_path / "instance"),
        }
    )

    response = flask_app.test_client().get("/healthz")

    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "degraded"
    # The cause goes to the log; the public answer names only the kind of failure.
    assert body["checks"]["database"] == {"ok": False, "error": "database unavailable (OperationalError)"}


def test_healthz_needs_no_authentication_and_answers_get_only(client: FlaskClient) -> None:
    assert client.get("/healthz", headers={"Authorization": "Bearer nonsense"}).status_code == 200
    assert client.post("/healthz").status_code == 405


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def serve(app_config: dict[str, Any], live_app: Flask, tmp_path: Path) -> Iterator[Any]:
    """Start `tradeline serve ...` on a free port (PORT); stopped, with its workers, at the end."""
    processes: list[subprocess.Popen[bytes]] = []
    logs: list[Path] = []
    environ = {key: value for key, value in os.environ.items() if key not in TEST_SETTINGS}
    environ.update({k: str(v) for k, v in TEST_SETTINGS.items() if isinstance(v, str)})
    environ.update(DATABASE_URL=app_config["DATABASE_URL"], INSTANCE_PATH=str(tmp_path / "served"))

    def launch(args: tuple[str, ...]) -> tuple[subprocess.Popen[bytes], Path, str]:
        port = free_port()
        log = tmp_path / f"serve-{port}.log"
        with log.open("wb") as sink:
            proc = subprocess.Popen(
                [str(TRADELINE), "serve", *args],
                cwd=ROOT,
                env={**environ, "PORT": str(port)},
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        processes.append(proc)
        return proc, log, f"http://127.0.0.1:{port}"

    def start(*args: str) -> str:
        for _ in range(PORT_ATTEMPTS):
            proc, log, base = launch(args)
            deadline = time.monotonic() + SERVER_TIMEOUT_S
            while proc.poll() is None and time.monotonic() < deadline:
                try:
                    httpx.get(f"{base}/healthz", timeout=1)
                except httpx.TransportError:
                    time.sleep(0.1)
                    continue
                logs.append(log)
                return base
            # Another process may have taken the port between free_port() and the bind: try another.
            if "Address already in use" not in log.read_text():
                break
        raise AssertionError(f"server did not come up: {log.read_text()}")

    start.logs = logs  # type: ignore[attr-defined]
    yield start
    for proc in processes:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=SERVER_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


@pytest.mark.parametrize(("server", "banner"), [("gunicorn", "Booting worker"), ("flask", "Running on")])
def test_served_app_answers_healthz_on_the_port_from_the_environment(
    serve: Any, server: str, banner: str
) -> None:
    base = serve("--server", server, "--workers", "1")

    response = httpx.get(f"{base}/healthz", headers={"X-Request-Id": "probe-1"}, timeout=5)

    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.headers["X-Request-Id"] == "probe-1"
    [log] = serve.logs
    assert banner in log.read_text()
