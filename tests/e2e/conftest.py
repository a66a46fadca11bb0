"""Browser tests: the real app served on a free loopback port, driven by Debian's headless Chromium.

Every page is fenced in: a request to any host but the app's own is aborted and fails the test, so
a page that would need the network (a CDN font, script or stylesheet) cannot pass here.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests.conftest import service_missing

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]", "::1"})
VIEWPORT = {"width": 1280, "height": 900}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SERVER_SHUTDOWN_TIMEOUT_S = 10


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """One headless Chromium for the run."""
    if not CHROMIUM.is_file():
        service_missing("Chromium", f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield instance
        instance.close()


@pytest.fixture
def live_server(live_app: Flask) -> Iterator[str]:
    """The app on a free loopback port in a background thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="e2e-live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(SERVER_SHUTDOWN_TIMEOUT_S)


@pytest.fixture
def outside_requests() -> list[str]:
    """The URLs a page tried to fetch from anywhere but the app (each one was aborted)."""
    return []


@pytest.fixture
def page(browser, live_server: str, outside_requests: list[str]) -> Iterator[object]:
    """A fresh browser page that can reach the app and nothing else."""
    context = browser.new_context(viewport=VIEWPORT, base_url=live_server, locale="en-US")
    tab = context.new_page()

    def fence(route) -> None:
        url = route.request.url
        host = urlsplit(url).hostname or ""
        if url.startswith(("data:", "blob:")) or host in LOCAL_HOSTS:
            route.continue_()
        else:
            outside_requests.append(url)
            route.abort()

    tab.route("**/*", fence)
    yield tab
    context.close()
    if outside_requests:
        pytest.fail(f"the page asked for outside URLs: {outside_requests}", pytrace=False)


@pytest.fixture(scope="session")
def screenshots_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where pages are photographed: a temp dir, or docs/screenshots when UPDATE_SCREENSHOTS=1.

    A test run must not rewrite tracked files; `UPDATE_SCREENSHOTS=1 make test-sqlite` refreshes the docs.
    """
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        return SCREENSHOTS
    return tmp_path_factory.mktemp("screenshots")
