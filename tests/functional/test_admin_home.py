"""The admin home page: sign-in gate, shop details, import status, layout, App Bridge, no external assets."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from app import services
from app.apikeys import create_api_key
from app.db import utcnow
from app.models import AccessMode
from app.shops import TokenSet, store_token
from crm.service import delete_customer, upsert_customer
from tests.admin_support import ACME_DOMAIN, add_acme, card_html, sign_in, url_refs
from tests.crm_support import customer
from tests.support import API_KEY, session_token

APP_BRIDGE_TAG = (
    f'<script src="https://cdn.shopify.com/shopifycloud/app-bridge.js" data-api-key="{API_KEY}"></script>'
)
# PyJWT warns about HMAC keys under 32 bytes (an error under filterwarnings=error): use a Shopify-sized one.
CLIENT_SECRET = "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"
STAFF_ID = 42
HOST_PARAM = "YWRtaW4uc2hvcGlmeS5jb20vc3RvcmUvYWNtZS13aG9sZXNhbGU"


@pytest.fixture
def shopify_calls() -> list[httpx.Request]:
    return []


@pytest.fixture
def app_config(app_config, shopify_calls):
    def refuse(request: httpx.Request) -> httpx.Response:
        # Every token this test needs is stored: any call to Shopify is a bug, recorded and refused.
        shopify_calls.append(request)
        return httpx.Response(500, json={"errors": "unexpected call"})

    return {
        **app_config,
        "SHOPIFY_API_SECRET": CLIENT_SECRET,
        "SHOPIFY_HTTP_TRANSPORT": httpx.MockTransport(refuse),
    }


@pytest.fixture
def acme(uow):
    return add_acme(uow)


@pytest.fixture
def signed_in(client, acme):
    sign_in(client, acme.id)
    return client


def _connect(uow, shop) -> None:
    """Store the shop's offline token and the staff member's online token, as after a first embedded load."""
    cipher = services().cipher
    store_token(
        uow, cipher, shop_id=shop.id, tokens=TokenSet(access_token="shpat_offline", scope=shop.scopes)
    )
    store_token(
        uow,
        cipher,
        shop_id=shop.id,
        tokens=TokenSet(
            access_token="shpua_online", scope=shop.scopes, expires_at=utcnow() + timedelta(hours=12)
        ),
        access_mode=AccessMode.ONLINE,
        user_id=STAFF_ID,
        user_name="Dana Reyes",
    )
    uow.commit()


def test_signed_out_visitor_is_sent_to_signin(client, acme):
    response = client.get("/")

    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/signin"
    assert parse_qs(location.query) == {"next": ["/"]}


def test_home_shows_the_shop_with_times_in_its_zone(signed_in):
    response = signed_in.get("/")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<h1 class="tl-page__title">Acme Wholesale</h1>' in html
    assert '<p class="tl-page__subtitle">acme-wholesale.myshopify.com</p>' in html
    shop_card = card_html(html, "shop")
    assert "<dt>Plan</dt><dd>Shopify Plus</dd>" in shop_card
    assert "<dt>Currency</dt><dd>EUR</dd>" in shop_card
    assert "<dt>Time zone</dt><dd>Europe/Berlin</dd>" in shop_card
    assert '<time datetime="2026-03-01T23:30:00+00:00">Mar 2, 2026, 12:30 AM CET</time>' in shop_card
    assert "<summary>3 granted</summary>" in shop_card
    assert [
        f"<li><code>{s}</code></li>" in shop_card
        for s in ("read_customers", "read_orders", "write_customers")
    ] == [
        True,
        True,
        True,
    ]


def test_home_has_the_three_cards_and_next_steps(signed_in):
    html = signed_in.get("/").get_data(as_text=True)

    for card_id, title in [
        ("next-steps", "Next steps"),
        ("sync-status", "Sync status"),
        ("background-jobs", "Background jobs"),
        ("shop", "Shop"),
    ]:
        assert f'<h2 class="tl-card__title" id="{card_id}-title">{title}</h2>' in card_html(html, card_id)


def test_sync_status_explains_what_happens_when_nothing_is_imported(signed_in):
    card = card_html(signed_in.get("/").get_data(as_text=True), "sync-status")

    assert '<h3 class="tl-empty-state__heading">Your store data has not been imported yet</h3>' in card
    assert "initial import (a backfill)" in card
    assert '<span class="tl-badge tl-badge--attention">' in card


def test_next_steps_mark_what_is_done(signed_in, uow, acme):
    store_token(
        uow, services().cipher, shop_id=acme.id, tokens=TokenSet(access_token="shpat_x", scope="read_orders")
    )
    uow.commit()

    card = card_html(signed_in.get("/").get_data(as_text=True), "next-steps")

    assert '<li class="tl-checklist__item tl-checklist__item--done" data-step="connect">' in card
    assert '<li class="tl-checklist__item" data-step="backfill">' in card
    assert '<li class="tl-checklist__item" data-step="api_key">' in card
    assert '<li class="tl-checklist__item" data-step="staff">' in card
    assert "1 of 3 tasks complete" in card
    # The import step links to the sync page; nothing links to pages that do not exist yet.
    assert card.count("href=") == 1
    assert '<a class="tl-button" href="/sync">View import</a>' in card


def test_next_steps_count_a_live_api_key(signed_in, uow, acme):
    create_api_key(uow, shop_id=acme.id, name="ERP sync")
    uow.commit()

    card = card_html(signed_in.get("/").get_data(as_text=True), "next-steps")

    assert '<li class="tl-checklist__item tl-checklist__item--done" data-step="api_key">' in card
    assert "1 of 3 tasks complete" in card


def test_navigation_links_built_areas_and_marks_the_rest_soon(signed_in):
    html = signed_in.get("/").get_data(as_text=True)

    assert '<nav class="tl-nav" aria-label="Tradeline">' in html
    assert '<a class="tl-nav__item" href="/" aria-current="page">' in html
    for label in ("Quotes", "Campaigns", "Settings"):
        assert f'<span class="tl-nav__label">{label}</span><span class="tl-badge">Soon</span>' in html, (
            f"{label} should be a disabled item with a Soon badge"
        )
    for path in ("/customers", "/companies", "/tasks", "/pricing", "/segments", "/sync"):
        assert f'<a class="tl-nav__item" href="{path}">' in html
    assert html.count('<span class="tl-nav__item tl-nav__item--disabled" aria-disabled="true">') == 3


def test_sync_item_leads_to_the_sync_page_and_stays_current_on_the_webhook_log(signed_in):
    sync_page = signed_in.get("/sync").get_data(as_text=True)
    log_page = signed_in.get("/webhooks/log").get_data(as_text=True)

    current_sync = '<a class="tl-nav__item" href="/sync" aria-current="page">'
    assert current_sync in sync_page
    assert '<a class="tl-button" href="/webhooks/log">Webhook log</a>' in sync_page
    assert current_sync in log_page
    # Sync is the one current item on both pages.
    navs = [page[: page.index("</nav>")] for page in (sync_page, log_page)]
    assert [nav.count('aria-current="page"') for nav in navs] == [1, 1]


def test_layout_has_landmarks_a_skip_link_and_the_shop_in_the_top_bar(signed_in):
    html = signed_in.get("/").get_data(as_text=True)

    assert '<a class="tl-skip-link" href="#main">Skip to content</a>' in html
    assert '<main class="tl-main" id="main" tabindex="-1">' in html
    assert '<header class="tl-topbar">' in html
    assert '<span class="tl-topbar__shop-name">Acme Wholesale</span>' in html
    assert '<span class="tl-topbar__shop-domain">acme-wholesale.myshopify.com</span>' in html
    assert "<title>Acme Wholesale · Tradeline</title>" in html
    assert '<form method="post" action="/signout">' in html


def test_flash_messages_render_as_banners(app, signed_in):
    probe_path = "/_flash_probe"

    def flash_then_redirect():
        from flask import flash, redirect

        flash("Price list saved.", "success")
        flash("The CSV had 2 bad rows.", "error")
        return redirect("/")

    app.add_url_rule(probe_path, "flash_probe", flash_then_redirect)

    html = signed_in.get(probe_path, follow_redirects=True).get_data(as_text=True)

    assert '<div class="tl-banner tl-banner--success" role="status">' in html
    assert "<p>Price list saved.</p>" in html
    assert '<div class="tl-banner tl-banner--critical" role="alert">' in html
    assert "<p>The CSV had 2 bad rows.</p>" in html


def test_page_outside_shopify_loads_nothing_from_other_hosts(signed_in):
    response = signed_in.get("/")
    html = response.get_data(as_text=True)

    refs = url_refs(html)
    external = [
        r
        for r in refs
        if urlsplit(r.url).scheme in ("http", "https") and urlsplit(r.url).netloc != "localhost"
    ]
    assert external == []
    assert "app-bridge.js" not in html
    assert "<ui-nav-menu>" not in html
    # Every stylesheet, script and icon the page names is served by the app itself.
    assets = [r.url for r in refs if r.tag in ("link", "script", "img") and not r.url.startswith("data:")]
    assert assets == ["/static/vendor/polaris-tokens/tokens.css", "/static/css/admin.css"]
    statuses = []
    for url in assets:
        with signed_in.get(url) as asset:
            statuses.append(asset.status_code)
    assert statuses == [200, 200]


def test_embedded_request_adds_app_bridge_and_shopify_navigation(client, uow, acme, shopify_calls):
    _connect(uow, acme)
    token = session_token(ACME_DOMAIN, secret=CLIENT_SECRET, sub=str(STAFF_ID))

    response = client.get(f"/?embedded=1&shop={ACME_DOMAIN}&host={HOST_PARAM}&id_token={token}")

    assert response.status_code == 200
    assert shopify_calls == []
    html = response.get_data(as_text=True)
    assert APP_BRIDGE_TAG in html
    # App Bridge must come before any other script or stylesheet.
    assert html.index(APP_BRIDGE_TAG) < html.index('<link rel="stylesheet"')
    assert '<body class="tl-body tl-body--embedded">' in html
    # Shopify admin draws the chrome: our top bar and sidebar stay out; the menu goes to App Bridge,
    # each link keeping the parameters that let the next page re-authenticate.
    assert '<header class="tl-topbar">' not in html
    assert '<nav class="tl-nav"' not in html
    keep = f"embedded=1&amp;shop={ACME_DOMAIN}&amp;host={HOST_PARAM}"
    assert (
        "<ui-nav-menu>\n"
        f'    <a href="/?{keep}" rel="home">Home</a>\n'
        f'    <a href="/customers?{keep}">Customers</a>\n'
        f'    <a href="/companies?{keep}">Companies</a>\n'
        f'    <a href="/tasks?{keep}">Tasks</a>\n'
        f'    <a href="/pricing?{keep}">Price lists</a>\n'
        f'    <a href="/segments?{keep}">Segments</a>\n'
        f'    <a href="/sync?{keep}">Sync</a>\n'
        "  </ui-nav-menu>"
    ) in html
    assert '<h1 class="tl-page__title">Acme Wholesale</h1>' in html


def test_template_shows_record_counts_once_records_are_imported(app, acme):
    from flask import render_template

    from app.admin.home import JobsHealth, RecordCount, SyncStatus, setup_steps, shop_summary

    sync = SyncStatus(
        counts=(
            RecordCount(table="crm_customer", label="Customers", count=12345),
            RecordCount(table="crm_company", label="Companies", count=0),
        )
    )
    with app.test_request_context("/"), services().db.unit_of_work() as uow:
        shop = shop_summary(uow, shop_id=acme.id)
        steps = [(s, None) for s in setup_steps(uow, shop_id=acme.id, sync=sync)]
        html = render_template(
            "admin/home.html",
            shop=shop,
            sync=sync,
            jobs=JobsHealth(available=True, mode="inline"),
            steps=steps,
            now=utcnow(),
        )

    card = card_html(html, "sync-status")
    assert "has not been imported yet" not in card
    assert '<p class="tl-stat__label">Customers</p>' in card
    assert '<p class="tl-stat__value" data-table="crm_customer">12,345</p>' in card
    assert '<p class="tl-stat__value" data-table="crm_company">0</p>' in card
    assert '<span class="tl-badge tl-badge--success">Imported</span>' in card


def test_sync_status_shows_live_crm_records_once_imported(signed_in, uow, acme):
    upsert_customer(uow, shop_id=acme.id, payload=customer(1001))
    upsert_customer(uow, shop_id=acme.id, payload=customer(1002))
    upsert_customer(uow, shop_id=acme.id, payload=customer(1003))
    delete_customer(uow, shop_id=acme.id, payload={"id": 1003})
    uow.commit()

    card = card_html(signed_in.get("/").get_data(as_text=True), "sync-status")

    assert "has not been imported yet" not in card
    assert '<span class="tl-badge tl-badge--success">Imported</span>' in card
    assert '<p class="tl-stat__value" data-table="crm_customer">2</p>' in card
    assert '<p class="tl-stat__value" data-table="crm_order">0</p>' in card
