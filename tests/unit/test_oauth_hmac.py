"""The OAuth query HMAC, timestamp and shop checks of the legacy authorization-code grant."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from app.auth.oauth import (
    app_admin_url,
    authorize_url,
    is_shop_domain,
    oauth_hmac,
    oauth_message,
    timestamp_is_fresh,
    valid_oauth_hmac,
)

# Shopify's worked example (authorization-code grant guide), with `{shop}` filled in as `some-shop`.
DOC_SECRET = "hush"
DOC_MESSAGE = (
    "code=0907a61c0c8d55e99db179b68161bc00&shop=some-shop.myshopify.com"
    "&state=0.6784241404160823&timestamp=1337178173"
)
DOC_HMAC = "700e2dadb827fcc8609e9d5ce208b2e9cdaab9df07390d2cbca10d7c328fc4bf"
DOC_QUERY = (
    f"code=0907a61c0c8d55e99db179b68161bc00&hmac={DOC_HMAC}&shop=some-shop.myshopify.com"
    "&state=0.6784241404160823&timestamp=1337178173"
)


def test_shopify_documented_example_verifies_with_its_secret():
    assert oauth_message(DOC_QUERY) == DOC_MESSAGE
    assert oauth_hmac(DOC_QUERY, DOC_SECRET) == DOC_HMAC
    assert valid_oauth_hmac(DOC_QUERY, [DOC_SECRET]) is True
    assert valid_oauth_hmac(DOC_QUERY.encode(), [DOC_SECRET]) is True


def test_shopify_documented_example_without_state_matches_the_older_digest():
    query = "code=0907a61c0c8d55e99db179b68161bc00&shop=some-shop.myshopify.com&timestamp=1337178173"
    assert oauth_hmac(query, DOC_SECRET) == "4712bf92ffc2917d15a2f5a273e39f0116667419aa4b6ac0b3baaf26fa3c4d20"


@pytest.mark.parametrize(
    "tampered",
    [
        DOC_QUERY.replace("some-shop", "some-shoq"),
        DOC_QUERY.replace("timestamp=1337178173", "timestamp=1337178174"),
        DOC_QUERY.replace("code=0907", "code=1907"),
        DOC_QUERY.replace(DOC_HMAC, DOC_HMAC[:-1] + "e"),
        DOC_QUERY + "&extra=1",
    ],
    ids=["shop", "timestamp", "code", "hmac", "added-parameter"],
)
def test_a_one_character_change_fails(tampered):
    assert valid_oauth_hmac(tampered, [DOC_SECRET]) is False


def test_parameter_order_does_not_matter_and_signature_is_excluded():
    reordered = (
        "timestamp=1337178173&state=0.6784241404160823&signature=legacy&shop=some-shop.myshopify.com"
        f"&hmac={DOC_HMAC}&code=0907a61c0c8d55e99db179b68161bc00"
    )
    assert valid_oauth_hmac(reordered, [DOC_SECRET]) is True


def test_the_previous_secret_verifies_during_a_rotation():
    assert valid_oauth_hmac(DOC_QUERY, ["the-new-secret", DOC_SECRET]) is True
    assert valid_oauth_hmac(DOC_QUERY, ["the-new-secret"]) is False


def test_wrong_secret_missing_hmac_and_empty_secrets_fail():
    assert valid_oauth_hmac(DOC_QUERY, ["hushh"]) is False
    assert valid_oauth_hmac(DOC_MESSAGE, [DOC_SECRET]) is False
    assert valid_oauth_hmac(DOC_QUERY, []) is False
    assert valid_oauth_hmac(DOC_QUERY, [""]) is False


def test_a_non_ascii_hmac_is_refused_not_crashed_on():
    assert valid_oauth_hmac(DOC_MESSAGE + "&hmac=%C3%A9t%C3%A9", [DOC_SECRET]) is False


def test_percent_encoded_values_are_signed_decoded():
    # `host` is base64 and arrives percent-encoded; Shopify signs the decoded value.
    query = "host=YWRtaW4uc2hvcGlmeS5jb20vc3RvcmUvYWNtZQ%3D%3D&shop=acme.myshopify.com&timestamp=1"
    assert (
        oauth_message(query)
        == "host=YWRtaW4uc2hvcGlmeS5jb20vc3RvcmUvYWNtZQ==&shop=acme.myshopify.com&timestamp=1"
    )


@pytest.mark.parametrize(
    ("timestamp", "fresh"),
    [
        ("1000", True),
        ("910", True),
        ("1090", True),
        ("909", False),
        ("1091", False),
        ("", False),
        (None, False),
    ],
)
def test_timestamps_are_accepted_within_90_seconds_either_side(timestamp, fresh):
    assert timestamp_is_fresh(timestamp, now=1000.0) is fresh


def test_a_non_numeric_timestamp_is_stale():
    assert timestamp_is_fresh("yesterday", now=1000.0) is False


@pytest.mark.parametrize(
    ("shop", "valid"),
    [
        ("acme.myshopify.com", True),
        ("acme-b2b-2.myshopify.com", True),
        ("evil.com", False),
        ("acme.myshopify.com.evil.com", False),
        ("-acme.myshopify.com", False),
        ("acme.evil.myshopify.com", False),
        ("https://acme.myshopify.com", False),
        ("acme.myshopify.com\n", False),
        ("", False),
        (None, False),
    ],
)
def test_only_bare_myshopify_hosts_are_shops(shop, valid):
    assert is_shop_domain(shop) is valid


def test_authorize_url_asks_for_the_configured_scopes_and_state():
    url = authorize_url(
        shop="acme.myshopify.com",
        client_id="client-1",
        scopes="read_customers,write_orders",
        redirect_uri="https://tradeline.test/auth/callback",
        state="nonce-1",
    )
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == (
        "https",
        "acme.myshopify.com",
        "/admin/oauth/authorize",
    )
    assert parse_qs(parts.query) == {
        "client_id": ["client-1"],
        "scope": ["read_customers,write_orders"],
        "redirect_uri": ["https://tradeline.test/auth/callback"],
        "state": ["nonce-1"],
    }


def test_app_admin_url_is_the_app_inside_shopify_admin():
    assert app_admin_url(shop="acme.myshopify.com", client_id="client-1") == (
        "https://admin.shopify.com/store/acme/apps/client-1"
    )
