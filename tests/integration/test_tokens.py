"""Offline token lifetime: refresh before expiry, keep the pair on failure, the periodic sweep and its job."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app import services
from app.auth import jobs
from app.auth.tokens import (
    OfflineTokenMissing,
    TokenRefreshFailed,
    fresh_offline_token,
    offline_token_provider,
    refresh_expiring_tokens,
)
from app.db import utcnow
from app.models import AccessMode, Shop, ShopToken
from app.shops import TokenSet, install_shop, load_token, store_token
from tests.auth_support import FakeShopifyTokens
from tests.support import API_KEY, API_SECRET


@pytest.fixture
def shopify() -> FakeShopifyTokens:
    return FakeShopifyTokens()


@pytest.fixture
def app_config(app_config, shopify):
    return {**app_config, "SHOPIFY_HTTP_TRANSPORT": shopify.transport}


def _shop_with_token(
    uow, handle: str, *, expires_in: timedelta | None, refresh_expires_in=timedelta(days=60)
):
    shop = install_shop(uow, domain=handle)
    now = utcnow()
    store_token(
        uow,
        services().cipher,
        shop_id=shop.id,
        tokens=TokenSet(
            access_token=f"shpat_old_{handle}",
            scope="read_customers",
            expires_at=now + expires_in if expires_in is not None else None,
            refresh_token=f"shprt_old_{handle}" if expires_in is not None else None,
            refresh_token_expires_at=now + refresh_expires_in if expires_in is not None else None,
        ),
    )
    uow.commit()
    return shop


def _row(uow, shop_id: int) -> tuple:
    """The stored offline row as it is in the database, encrypted columns included."""
    uow.session.expire_all()
    row = uow.session.scalars(
        select(ShopToken).where(ShopToken.shop_id == shop_id, ShopToken.access_mode == AccessMode.OFFLINE)
    ).one()
    return (row.access_token_enc, row.refresh_token_enc, row.expires_at, row.refresh_token_expires_at)


def test_a_token_expiring_in_two_minutes_is_refreshed_and_the_new_pair_stored_together(uow, shopify):
    # given
    shop = _shop_with_token(uow, "acme", expires_in=timedelta(minutes=2))
    before = datetime.now(UTC).replace(microsecond=0)

    # when
    token = fresh_offline_token(uow, shop_id=shop.id)

    # then
    assert token == "shpat_offline_0001"
    assert shopify.kinds() == ["refresh"]
    assert shopify.calls[0].shop == "acme.myshopify.com"
    assert shopify.calls[0].body == {
        "client_id": API_KEY,
        "client_secret": API_SECRET,
        "grant_type": "refresh_token",
        "refresh_token": "shprt_old_acme",
    }
    stored = load_token(uow, services().cipher, shop_id=shop.id)
    assert (stored.access_token, stored.refresh_token) == ("shpat_offline_0001", "shprt_refresh_0001")
    assert before + timedelta(seconds=3600) <= stored.expires_at <= utcnow() + timedelta(seconds=3600)
    assert before + timedelta(days=90) <= stored.refresh_token_expires_at <= utcnow() + timedelta(days=90)


def test_a_token_expiring_in_two_hours_is_used_as_stored(uow, shopify):
    shop = _shop_with_token(uow, "acme", expires_in=timedelta(hours=2))
    before = _row(uow, shop.id)

    assert fresh_offline_token(uow, shop_id=shop.id) == "shpat_old_acme"

    assert shopify.calls == []
    assert _row(uow, shop.id) == before


def test_a_non_expiring_token_is_never_refreshed(uow, shopify):
    shop = _shop_with_token(uow, "acme", expires_in=None)

    assert fresh_offline_token(uow, shop_id=shop.id) == "shpat_old_acme"
    assert shopify.calls == []


@pytest.mark.parametrize(
    ("failure", "code", "attempts", "transient"),
    [
        (
            (400, {"error": "invalid_grant", "error_description": "refresh token revoked"}),
            "invalid_grant",
            1,
            False,
        ),
        ((401, {"error": "invalid_client"}), "invalid_client", 1, False),
        ((503, {"errors": "unavailable"}), "server_error", 3, True),
    ],
    ids=["revoked", "bad-client", "shopify-down"],
)
def test_a_failed_refresh_raises_and_leaves_the_stored_pair_unchanged(
    uow, shopify, failure, code, attempts, transient
):
    # given
    shop = _shop_with_token(uow, "acme", expires_in=timedelta(minutes=2))
    before = _row(uow, shop.id)
    shopify.fail["acme.myshopify.com"] = failure

    # when
    with pytest.raises(TokenRefreshFailed) as caught:
        fresh_offline_token(uow, shop_id=shop.id)

    # then
    assert (caught.value.code, caught.value.shop_id, caught.value.status) == (code, shop.id, 502)
    assert caught.value.transient is transient
    assert len(shopify.calls) == attempts
    uow.rollback()
    assert _row(uow, shop.id) == before


def test_an_unreachable_shopify_raises_and_leaves_the_pair_unchanged(uow, shopify):
    shop = _shop_with_token(uow, "acme", expires_in=timedelta(minutes=2))
    before = _row(uow, shop.id)
    shopify.unreachable = True

    with pytest.raises(TokenRefreshFailed) as caught:
        fresh_offline_token(uow, shop_id=shop.id)

    assert caught.value.code == "network_error"
    uow.rollback()
    assert _row(uow, shop.id) == before


def test_an_expired_refresh_token_is_not_sent_to_shopify(uow, shopify):
    shop = _shop_with_token(
        uow, "acme", expires_in=timedelta(minutes=-1), refresh_expires_in=timedelta(seconds=-1)
    )

    with pytest.raises(TokenRefreshFailed) as caught:
        fresh_offline_token(uow, shop_id=shop.id)

    assert caught.value.code == "refresh_token_expired"
    assert shopify.calls == []


def test_a_shop_without_a_token_is_refused(uow, shopify):
    shop = install_shop(uow, domain="acme")
    uow.commit()

    with pytest.raises(OfflineTokenMissing):
        fresh_offline_token(uow, shop_id=shop.id)
    assert shopify.calls == []


def test_the_expiry_is_checked_again_under_the_lock_so_a_refresh_by_another_process_is_reused(uow, shopify):
    # given: this unit of work holds the expiring token's row it read earlier ...
    shop = _shop_with_token(uow, "acme", expires_in=timedelta(minutes=2))
    held = uow.session.scalars(select(ShopToken).where(ShopToken.shop_id == shop.id)).one()
    assert held.expires_at < utcnow() + timedelta(minutes=5)
    # ... and another process refreshes it meanwhile
    with services().db.unit_of_work() as other:
        now = utcnow()
        store_token(
            other,
            services().cipher,
            shop_id=shop.id,
            tokens=TokenSet(
                access_token="shpat_by_other_process",
                scope="read_customers",
                expires_at=now + timedelta(hours=1),
                refresh_token="shprt_by_other_process",
                refresh_token_expires_at=now + timedelta(days=90),
            ),
        )
        other.commit()

    # when
    token = fresh_offline_token(uow, shop_id=shop.id)

    # then: the fresh token is used and its single-use refresh token was not spent again
    assert token == "shpat_by_other_process"
    assert shopify.calls == []


def _expiring_shops(uow):
    soon = _shop_with_token(uow, "soon", expires_in=timedelta(minutes=10))
    later = _shop_with_token(uow, "later", expires_in=timedelta(hours=2))
    gone = _shop_with_token(uow, "gone", expires_in=timedelta(minutes=10))
    gone.uninstalled_at = utcnow()
    dead = _shop_with_token(uow, "dead", expires_in=timedelta(minutes=10), refresh_expires_in=timedelta(0))
    revoked = _shop_with_token(uow, "revoked", expires_in=timedelta(minutes=10))
    uow.commit()
    return soon, later, gone, dead, revoked


def test_the_sweep_refreshes_every_installed_shops_expiring_token_and_survives_a_failure(uow, shopify):
    # given
    soon, later, gone, dead, revoked = _expiring_shops(uow)
    shopify.fail["revoked.myshopify.com"] = (400, {"error": "invalid_grant"})
    untouched = {s.id: _row(uow, s.id) for s in (later, gone, dead, revoked)}

    # when
    refreshed = refresh_expiring_tokens(uow, within=timedelta(minutes=30))

    # then
    assert refreshed == 1
    assert sorted(c.shop for c in shopify.calls) == ["revoked.myshopify.com", "soon.myshopify.com"]
    assert load_token(uow, services().cipher, shop_id=soon.id).access_token.startswith("shpat_offline_")
    assert {s_id: _row(uow, s_id) for s_id in untouched} == untouched


def test_the_refresh_job_is_idempotent(uow, shopify):
    soon, *_ = _expiring_shops(uow)
    shopify.fail["revoked.myshopify.com"] = (400, {"error": "invalid_grant"})

    assert jobs.refresh_expiring_tokens() == 1
    assert jobs.refresh_expiring_tokens() == 0

    assert shopify.kinds().count("refresh") == 3  # soon once, revoked on each run
    assert load_token(uow, services().cipher, shop_id=soon.id).access_token == "shpat_offline_0001"


def test_the_one_shop_refresh_job_refreshes_once_and_then_has_nothing_to_do(uow, shopify):
    shop = _shop_with_token(uow, "acme", expires_in=timedelta(minutes=10))
    bare = install_shop(uow, domain="bare")
    uow.commit()

    assert jobs.refresh_token(shop.id) is True
    assert jobs.refresh_token(shop.id) is False
    assert jobs.refresh_token(bare.id) is False
    assert shopify.kinds() == ["refresh"]


def test_the_one_shop_refresh_job_fails_loudly_so_rq_can_retry(uow, shopify):
    shop = _shop_with_token(uow, "acme", expires_in=timedelta(minutes=10))
    before = _row(uow, shop.id)
    shopify.fail["acme.myshopify.com"] = (400, {"error": "invalid_grant"})

    with pytest.raises(TokenRefreshFailed):
        jobs.refresh_token(shop.id)
    assert _row(uow, shop.id) == before


def test_the_token_provider_commits_a_refresh_whatever_the_callers_transaction_does(live_app, shopify):
    # given: real commits on separate connections, as in production
    db = services().db
    with db.unit_of_work() as setup:
        shop = _shop_with_token(setup, "acme", expires_in=timedelta(minutes=2))
    provide = offline_token_provider(shop.id)

    # when: a job reads, asks for the token twice, then fails and rolls back
    with db.unit_of_work() as job:
        assert job.session.get(Shop, shop.id).domain == "acme.myshopify.com"
        first, second = provide(), provide()
        job.rollback()

    # then: one refresh, and its new pair survived the job's rollback
    assert first == second == "shpat_offline_0001"
    assert shopify.kinds() == ["refresh"]
    with db.unit_of_work() as check:
        stored = load_token(check, services().cipher, shop_id=shop.id)
    assert (stored.access_token, stored.refresh_token) == ("shpat_offline_0001", "shprt_refresh_0001")
