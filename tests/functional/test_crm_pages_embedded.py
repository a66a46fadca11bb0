"""CRM pages inside Shopify admin: session-token auth, the Shopify staff member, forms sent by App Bridge."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from app import services
from app.db import utcnow
from app.models import AccessMode
from app.shops import TokenSet, store_token
from crm.models_work import CrmNote, CrmStaffMember
from tests.admin_support import ACME_DOMAIN, add_acme
from tests.crm_pages_support import seed_book
from tests.support import session_token

CLIENT_SECRET = "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"
STAFF_ID = 902541635
HOST_PARAM = "YWRtaW4uc2hvcGlmeS5jb20vc3RvcmUvYWNtZS13aG9sZXNhbGU"
EMBEDDED = f"embedded=1&shop={ACME_DOMAIN}&host={HOST_PARAM}"


@pytest.fixture
def shopify_calls() -> list[httpx.Request]:
    return []


@pytest.fixture
def app_config(app_config, shopify_calls):
    def refuse(request: httpx.Request) -> httpx.Response:
        # Every token these tests need is stored: a call to Shopify is a bug, recorded and refused.
        shopify_calls.append(request)
        return httpx.Response(500, json={"errors": "unexpected call"})

    return {
        **app_config,
        "SHOPIFY_API_SECRET": CLIENT_SECRET,
        "SHOPIFY_HTTP_TRANSPORT": httpx.MockTransport(refuse),
    }


@pytest.fixture
def book(uow):
    """The acme shop after its first embedded load (offline and staff online tokens), with its CRM."""
    shop = add_acme(uow)
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
        user_email="dana@acme-wholesale.example",
    )
    seeded = seed_book(uow, shop.id, now=datetime.now(UTC))
    uow.commit()
    return shop, seeded


def token() -> str:
    return session_token(ACME_DOMAIN, secret=CLIENT_SECRET, sub=str(STAFF_ID))


def test_an_embedded_360_page_knows_the_shopify_staff_member_and_keeps_links_embedded(
    client, uow, book, shopify_calls
):
    shop, seeded = book
    ana = seeded.customers["ana"]

    response = client.get(f"/customers/{ana}?{EMBEDDED}&id_token={token()}")

    assert response.status_code == 200
    assert shopify_calls == []
    html = response.get_data(as_text=True)
    # Links and form actions keep the parameters that let the next page re-authenticate.
    assert f'action="/customers/{ana}/notes?embedded=1&amp;shop={ACME_DOMAIN}&amp;host={HOST_PARAM}"' in html
    assert 'document.addEventListener("submit"' in html  # forms go through App Bridge's fetch
    [member] = uow.session.scalars(select(CrmStaffMember).where(CrmStaffMember.shop_id == shop.id)).all()
    assert (member.identity, member.name, member.email, member.shopify_user_id) == (
        f"shopify:{STAFF_ID}",
        "Dana Reyes",
        "dana@acme-wholesale.example",
        STAFF_ID,
    )


def test_a_form_sent_with_the_session_token_needs_no_csrf_token(client, uow, book):
    shop, seeded = book
    ana = seeded.customers["ana"]

    response = client.post(
        f"/customers/{ana}/notes?{EMBEDDED}",
        data={"body": "Met at the trade fair."},
        headers={"Authorization": f"Bearer {token()}"},
    )

    assert response.status_code == 303
    assert response.headers["Location"] == f"/customers/{ana}?{EMBEDDED}#notes"
    [note] = uow.session.scalars(select(CrmNote).where(CrmNote.shop_id == shop.id)).all()
    assert (note.body, note.author_name) == ("Met at the trade fair.", "Dana Reyes")


def test_a_form_with_the_token_only_in_the_url_still_needs_the_csrf_token(client, uow, book):
    shop, seeded = book

    response = client.post(
        f"/customers/{seeded.customers['ana']}/notes?{EMBEDDED}&id_token={token()}",
        data={"body": "Met at the trade fair."},
    )

    assert response.status_code == 400
    assert uow.session.scalars(select(CrmNote).where(CrmNote.shop_id == shop.id)).all() == []
