"""Admin page test support: a shop to sign in as, local sign-in, and reading rendered HTML."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser

from flask.testing import FlaskClient

from app.auth.context import SESSION_SHOP_ID, SESSION_STAFF
from app.auth.local import CSRF_SESSION_KEY
from app.db import UnitOfWork
from app.models import Shop
from app.shops import install_shop

ACME_DOMAIN = "acme-wholesale.myshopify.com"
ACME_SCOPES = "write_customers,read_customers,read_orders"
# 23:30 UTC on March 1 is already March 2 in Berlin (CET, UTC+1): the page must show the shop's date.
ACME_INSTALLED_AT = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
# The CSRF token `sign_in_with_csrf` puts in the session; forms posted in tests send it.
CSRF = "test-csrf-token"


def add_acme(uow: UnitOfWork) -> Shop:
    """An installed shop with every detail the home page shows, committed."""
    shop = install_shop(uow, domain=ACME_DOMAIN, scopes=ACME_SCOPES)
    shop.name = "Acme Wholesale"
    shop.plan = "Shopify Plus"
    shop.currency = "EUR"
    shop.timezone = "Europe/Berlin"
    shop.installed_at = ACME_INSTALLED_AT
    uow.commit()
    return shop


def sign_in(client: FlaskClient, shop_id: int, staff: str = "Dana Reyes") -> None:
    """Sign in locally, as the /signin form does, by writing the auth session keys."""
    with client.session_transaction() as session:
        session[SESSION_SHOP_ID] = shop_id
        session[SESSION_STAFF] = staff


def sign_in_with_csrf(client: FlaskClient, shop_id: int, staff: str = "Dana Reyes") -> FlaskClient:
    """Sign in locally and hold the session's CSRF token (`CSRF`), as a page the forms came from would."""
    sign_in(client, shop_id, staff)
    with client.session_transaction() as session:
        session[CSRF_SESSION_KEY] = CSRF
    return client


def card_html(html: str, card_id: str) -> str:
    """The markup of one card (`<section class="tl-card" id=...>`); cards never nest."""
    match = re.search(rf'<section class="tl-card" id="{card_id}".*?</section>', html, re.S)
    assert match is not None, f"no card {card_id!r} on the page"
    return match.group(0)


@dataclass(frozen=True)
class UrlRef:
    """A URL the page refers to: the tag and attribute it sits in, and the value."""

    tag: str
    attr: str
    url: str


class _UrlCollector(HTMLParser):
    URL_ATTRS = frozenset({"src", "href", "action", "srcset", "poster", "data"})

    def __init__(self) -> None:
        super().__init__()
        self.refs: list[UrlRef] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in self.URL_ATTRS and value is not None:
                self.refs.append(UrlRef(tag, name, value))


def url_refs(html: str) -> list[UrlRef]:
    """Every URL in a src/href/action/srcset/poster/data attribute of the page."""
    collector = _UrlCollector()
    collector.feed(html)
    collector.close()
    return collector.refs
