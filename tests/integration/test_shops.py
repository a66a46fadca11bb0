"""Shop registration, tenancy scoping and encrypted token storage."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from app import services
from app.errors import InvalidInput, NotFound
from app.models import ApiKey, Shop, ShopToken
from app.shops import (
    TokenSet,
    install_shop,
    load_token,
    normalize_shop_domain,
    store_token,
    uninstall_shop,
)
from app.tenancy import get_for_shop


@pytest.mark.parametrize(
    ("raw", "domain"),
    [
        ("acme", "acme.myshopify.com"),
        ("Acme.myshopify.com", "acme.myshopify.com"),
        ("https://acme-b2b.myshopify.com/", "acme-b2b.myshopify.com"),
    ],
)
def test_shop_domains_are_normalised(raw, domain):
    assert normalize_shop_domain(raw) == domain


@pytest.mark.parametrize(
    "raw", ["", "evil.com", "acme.myshopify.com.evil.com", "-acme.myshopify.com", "a b.myshopify.com", None]
)
def test_non_myshopify_domains_are_refused(raw):
    with pytest.raises(InvalidInput):
        normalize_shop_domain(raw)


def test_install_is_idempotent_and_reinstall_clears_uninstalled(uow):
    shop = install_shop(uow, domain="acme")
    again = install_shop(uow, domain="acme.myshopify.com")
    assert again.id == shop.id

    uninstall_shop(uow, shop_id=shop.id)
    assert not shop.is_installed
    install_shop(uow, domain="acme")

    assert shop.is_installed
    assert shop.uninstalled_at is None
    assert uow.session.scalars(select(Shop)).all() == [shop]


def test_tokens_are_encrypted_at_rest_and_replaced_as_a_pair(uow):
    cipher = services().cipher
    shop = install_shop(uow, domain="acme")
    expires = datetime(2026, 12, 1, 12, tzinfo=UTC)
    store_token(
        uow, cipher, shop_id=shop.id, tokens=TokenSet("shpat_one", "read_orders", expires, "shprt_one")
    )
    store_token(
        uow, cipher, shop_id=shop.id, tokens=TokenSet("shpat_two", "read_orders", expires, "shprt_two")
    )

    rows = uow.session.scalars(select(ShopToken)).all()
    assert len(rows) == 1
    assert "shpat_two" not in rows[0].access_token_enc
    assert "shprt_two" not in rows[0].refresh_token_enc
    loaded = load_token(uow, cipher, shop_id=shop.id)
    assert (loaded.access_token, loaded.refresh_token, loaded.expires_at) == (
        "shpat_two",
        "shprt_two",
        expires,
    )
    assert shop.scopes == "read_orders"


def test_uninstall_drops_every_token(uow):
    cipher = services().cipher
    shop = install_shop(uow, domain="acme")
    store_token(uow, cipher, shop_id=shop.id, tokens=TokenSet("shpat_one", "read_orders"))

    uninstall_shop(uow, shop_id=shop.id)
    uninstall_shop(uow, shop_id=shop.id)

    assert load_token(uow, cipher, shop_id=shop.id) is None
    assert shop.uninstalled_at is not None


def test_another_shops_row_is_not_found(uow):
    shop_a = install_shop(uow, domain="shop-a")
    shop_b = install_shop(uow, domain="shop-b")
    key = ApiKey(shop_id=shop_b.id, name="erp", prefix="abc", digest="0" * 64)
    uow.session.add(key)
    uow.session.flush()

    assert get_for_shop(uow.session, ApiKey, shop_b.id, key.id) is key
    with pytest.raises(NotFound):
        get_for_shop(uow.session, ApiKey, shop_a.id, key.id)
