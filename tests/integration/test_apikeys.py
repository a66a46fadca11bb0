"""API keys: issued once, stored as a digest, revoked per shop, authenticated in constant time."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from app import services
from app.apikeys import (
    LAST_USED_RESOLUTION,
    ApiCaller,
    ApiShop,
    authenticate,
    authenticate_key,
    authenticate_request,
    create_api_key,
    list_api_keys,
    record_key_use,
    record_use,
    revoke_api_key,
)
from app.db import utcnow
from app.errors import Forbidden, InvalidInput, NotFound, Unauthorized
from app.models import ApiKey
from app.shops import install_shop, uninstall_shop


def key_rows(uow) -> list[tuple]:
    """Every API key row as plain values, to compare before and after a refusal."""
    uow.session.expire_all()
    return [
        tuple(row)
        for row in uow.session.execute(
            select(ApiKey.id, ApiKey.prefix, ApiKey.digest, ApiKey.last_used_at, ApiKey.revoked_at).order_by(
                ApiKey.id
            )
        )
    ]


def authenticate_on_a_read_connection(raw_key: str) -> ApiCaller:
    """`authenticate_key` as `api_key_required` runs it."""
    with services().db.read_connection() as connection:
        return authenticate_key(connection, raw_key)


@pytest.fixture(params=["authenticate", "authenticate_key"])
def check_key(request, uow):
    """Each way of authenticating a key; the refusals of both must be the same."""
    if request.param == "authenticate":
        return lambda raw_key: authenticate(uow, raw_key)
    return authenticate_on_a_read_connection


def test_a_created_key_has_the_documented_shape_and_only_its_digest_is_stored(uow):
    # given
    shop = install_shop(uow, domain="acme")
    # when
    key, plaintext = create_api_key(uow, shop_id=shop.id, name="ERP sync")
    uow.commit()
    # then
    match = re.fullmatch(r"tl_([A-Za-z0-9]{12})_([A-Za-z0-9_-]{43})", plaintext)
    assert match is not None
    assert key.prefix == match.group(1)
    assert key.name == "ERP sync"
    assert key.shop_id == shop.id
    assert key.digest == hashlib.sha256(plaintext.encode()).hexdigest()
    assert key.revoked_at is None
    assert key.last_used_at is None
    # No column of the row holds the key or its secret part.
    stored = uow.session.execute(text("SELECT * FROM app_api_key")).one()
    assert all(plaintext not in str(value) and match.group(2) not in str(value) for value in stored)


def test_every_key_is_different(uow):
    shop = install_shop(uow, domain="acme")
    keys = [create_api_key(uow, shop_id=shop.id, name=f"key {i}") for i in range(20)]
    assert len({plaintext for _, plaintext in keys}) == 20
    assert len({key.prefix for key, _ in keys}) == 20


@pytest.mark.parametrize("name", ["", "   ", "x" * 256])
def test_a_key_needs_a_usable_name_and_nothing_is_created_without_one(uow, name):
    shop = install_shop(uow, domain="acme")
    with pytest.raises(InvalidInput):
        create_api_key(uow, shop_id=shop.id, name=name)
    assert uow.session.scalar(select(func.count()).select_from(ApiKey)) == 0


def test_a_key_for_an_unknown_shop_is_not_found(uow):
    with pytest.raises(NotFound):
        create_api_key(uow, shop_id=987654, name="ERP")
    assert uow.session.scalar(select(func.count()).select_from(ApiKey)) == 0


def test_a_valid_key_authenticates_as_its_shop_without_writing(uow):
    # given
    shop = install_shop(uow, domain="acme")
    key, plaintext = create_api_key(uow, shop_id=shop.id, name="ERP")
    uow.commit()
    before = key_rows(uow)
    # when
    auth = authenticate_request(uow, plaintext)
    # then
    assert (auth.key.id, auth.key.shop_id, auth.shop.id) == (key.id, shop.id, shop.id)
    assert auth.use_due is True
    assert authenticate(uow, plaintext).id == key.id
    assert key_rows(uow) == before


def test_authenticate_key_gives_the_key_and_its_shop_as_plain_values_without_writing(uow):
    # given
    shop = install_shop(uow, domain="acme", scopes="read_customers,read_orders")
    shop.name, shop.email, shop.plan = "Acme Wholesale", "ops@acme.example", "shopify_plus"
    key, plaintext = create_api_key(uow, shop_id=shop.id, name="ERP")
    uow.commit()
    before = key_rows(uow)
    # when
    caller = authenticate_on_a_read_connection(plaintext)
    # then
    assert caller == ApiCaller(
        key_id=key.id,
        key_prefix=key.prefix,
        shop=ApiShop(
            id=shop.id,
            domain="acme.myshopify.com",
            name="Acme Wholesale",
            email="ops@acme.example",
            plan="shopify_plus",
            currency="USD",
            timezone="UTC",
            scopes="read_customers,read_orders",
            installed_at=shop.installed_at,
            uninstalled_at=None,
        ),
        use_due=True,
    )
    assert caller.shop.installed_at is not None and caller.shop.installed_at.tzinfo is not None
    assert key_rows(uow) == before


def test_record_key_use_writes_at_most_once_a_minute_and_authenticate_key_sees_it(uow):
    # given
    shop = install_shop(uow, domain="acme")
    key, plaintext = create_api_key(uow, shop_id=shop.id, name="ERP")
    uow.commit()
    # when / then: the first use is written; within the minute it is neither due nor written again
    assert record_key_use(uow, key_id=key.id) is True
    uow.commit()
    first = key_rows(uow)[0][3]
    assert authenticate_on_a_read_connection(plaintext).use_due is False
    assert record_key_use(uow, key_id=key.id) is False
    uow.commit()
    assert key_rows(uow)[0][3] == first
    # given: the last use is more than a minute old
    uow.session.get(ApiKey, key.id).last_used_at = utcnow() - LAST_USED_RESOLUTION - timedelta(seconds=1)
    uow.commit()
    # then
    assert authenticate_on_a_read_connection(plaintext).use_due is True
    assert record_key_use(uow, key_id=key.id) is True


def test_use_is_recorded_at_most_once_a_minute(uow):
    # given: a key never used
    shop = install_shop(uow, domain="acme")
    key, plaintext = create_api_key(uow, shop_id=shop.id, name="ERP")
    uow.commit()
    before = utcnow()
    # when / then: the first use is recorded
    assert record_use(uow, key=key) is True
    uow.commit()
    uow.session.expire_all()
    first = uow.session.get(ApiKey, key.id).last_used_at
    assert before <= first <= utcnow()
    # when / then: within the minute, neither due nor written
    assert authenticate_request(uow, plaintext).use_due is False
    assert record_use(uow, key=uow.session.get(ApiKey, key.id)) is False
    uow.commit()
    uow.session.expire_all()
    assert uow.session.get(ApiKey, key.id).last_used_at == first
    # given: the last use is more than a minute old
    stale = utcnow() - LAST_USED_RESOLUTION - timedelta(seconds=1)
    uow.session.get(ApiKey, key.id).last_used_at = stale
    uow.commit()
    # when / then: due, and written again
    auth = authenticate_request(uow, plaintext)
    assert auth.use_due is True
    assert record_use(uow, key=auth.key) is True
    uow.commit()
    uow.session.expire_all()
    assert uow.session.get(ApiKey, key.id).last_used_at > stale + LAST_USED_RESOLUTION


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "tl_",
        "not-a-key",
        "tl_short_" + "a" * 43,
        "sk_abcdefghijkl_" + "a" * 43,
        "tl_abcdefghijkl_" + "a" * 10,
        "tl_abcdefghijk!_" + "a" * 43,
        "tl_abcdefghijkl_" + "a" * 43 + " ",
    ],
)
def test_a_malformed_key_is_unauthorized_with_a_clear_message(uow, check_key, raw):
    shop = install_shop(uow, domain="acme")
    create_api_key(uow, shop_id=shop.id, name="ERP")
    uow.commit()
    before = key_rows(uow)

    with pytest.raises(Unauthorized, match="malformed: expected tl_<prefix>_<secret>"):
        check_key(raw)

    assert key_rows(uow) == before


def test_an_unknown_key_and_a_wrong_secret_are_unauthorized_alike(uow, check_key):
    # given
    shop = install_shop(uow, domain="acme")
    key, plaintext = create_api_key(uow, shop_id=shop.id, name="ERP")
    uow.commit()
    before = key_rows(uow)
    unknown_prefix = "tl_ZZZZZZZZZZZZ_" + plaintext.split("_", 2)[2]
    wrong_secret = f"tl_{key.prefix}_" + "A" * 43
    # when / then
    for raw in (unknown_prefix, wrong_secret):
        with pytest.raises(Unauthorized) as refused:
            check_key(raw)
        assert refused.value.detail == "The API key is not valid."
    assert key_rows(uow) == before


def test_a_revoked_key_is_unauthorized_and_not_marked_used(uow, check_key):
    # given
    shop = install_shop(uow, domain="acme")
    key, plaintext = create_api_key(uow, shop_id=shop.id, name="ERP")
    revoke_api_key(uow, shop_id=shop.id, prefix=key.prefix)
    uow.commit()
    before = key_rows(uow)
    # when / then
    with pytest.raises(Unauthorized, match=f"The API key {key.prefix} was revoked on "):
        check_key(plaintext)
    assert key_rows(uow) == before
    assert before[0][3] is None  # last_used_at


def test_the_key_of_an_uninstalled_shop_is_forbidden(uow, check_key):
    # given
    shop = install_shop(uow, domain="acme")
    _, plaintext = create_api_key(uow, shop_id=shop.id, name="ERP")
    uninstall_shop(uow, shop_id=shop.id)
    uow.commit()
    before = key_rows(uow)
    # when / then
    with pytest.raises(Forbidden, match=r"acme\.myshopify\.com has uninstalled Tradeline"):
        check_key(plaintext)
    assert key_rows(uow) == before


def test_revoking_is_idempotent_and_keeps_the_first_revocation_time(uow):
    shop = install_shop(uow, domain="acme")
    key, _ = create_api_key(uow, shop_id=shop.id, name="ERP")
    first = revoke_api_key(uow, shop_id=shop.id, prefix=key.prefix).revoked_at
    uow.commit()

    again = revoke_api_key(uow, shop_id=shop.id, prefix=key.prefix)

    assert first is not None
    assert again.revoked_at == first


def test_a_shop_cannot_revoke_another_shops_key(uow):
    # given
    acme = install_shop(uow, domain="acme")
    globex = install_shop(uow, domain="globex")
    key, plaintext = create_api_key(uow, shop_id=acme.id, name="ERP")
    uow.commit()
    before = key_rows(uow)
    # when / then
    with pytest.raises(NotFound):
        revoke_api_key(uow, shop_id=globex.id, prefix=key.prefix)
    uow.commit()
    assert key_rows(uow) == before
    assert authenticate(uow, plaintext).id == key.id


def test_listing_shows_only_the_shops_own_keys_oldest_first(uow):
    acme = install_shop(uow, domain="acme")
    globex = install_shop(uow, domain="globex")
    first, _ = create_api_key(uow, shop_id=acme.id, name="first")
    create_api_key(uow, shop_id=globex.id, name="theirs")
    second, _ = create_api_key(uow, shop_id=acme.id, name="second")
    revoke_api_key(uow, shop_id=acme.id, prefix=second.prefix)

    assert [k.name for k in list_api_keys(uow, shop_id=acme.id)] == ["first", "second"]
    assert [k.id for k in list_api_keys(uow, shop_id=acme.id)] == [first.id, second.id]
