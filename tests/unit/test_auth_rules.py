"""Pure auth rules: safe redirects, frame-ancestors, token lifetimes and Shopify's token answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.auth.context import with_frame_ancestors
from app.auth.local import safe_next
from app.auth.service import AuthorizationCodeRejected, token_set_from_response
from app.auth.tokens import expires_within, is_usable, parse_instant
from app.shops import TokenSet

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/customers?page=2", "/customers?page=2"),
        ("/", "/"),
        (None, "/"),
        ("", "/"),
        ("https://evil.example/", "/"),
        ("//evil.example/path", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("customers", "/"),
        ("/ok\r\nSet-Cookie: x=1", "/"),
    ],
)
def test_next_only_follows_paths_on_this_site(target, expected):
    assert safe_next(target) == expected


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        (None, "frame-ancestors https://a.myshopify.com https://admin.shopify.com"),
        (
            "frame-ancestors https://a.myshopify.com https://admin.shopify.com;",
            "frame-ancestors https://a.myshopify.com https://admin.shopify.com;",
        ),
        (
            "frame-ancestors *",
            "frame-ancestors https://a.myshopify.com https://admin.shopify.com",
        ),
        (
            "default-src 'self'; frame-ancestors 'none'",
            "default-src 'self'; frame-ancestors https://a.myshopify.com https://admin.shopify.com",
        ),
        (
            "default-src 'self'",
            "default-src 'self'; frame-ancestors https://a.myshopify.com https://admin.shopify.com",
        ),
    ],
)
def test_frame_ancestors_is_set_to_the_shop_and_admin_and_other_directives_kept(policy, expected):
    assert with_frame_ancestors(policy, "https://a.myshopify.com https://admin.shopify.com") == expected


def _token(**kwargs):
    return TokenSet(access_token="shpat_x", scope="read_orders", **kwargs)


def test_a_token_expiring_inside_the_window_needs_refreshing_and_one_outside_does_not():
    window = timedelta(minutes=5)
    assert expires_within(_token(expires_at=NOW + timedelta(minutes=2)), window, now=NOW) is True
    assert expires_within(_token(expires_at=NOW + timedelta(minutes=5)), window, now=NOW) is True
    assert expires_within(_token(expires_at=NOW + timedelta(hours=2)), window, now=NOW) is False
    assert expires_within(_token(expires_at=None), window, now=NOW) is False


def test_a_token_is_usable_while_it_works_or_can_be_refreshed():
    later, earlier = NOW + timedelta(hours=1), NOW - timedelta(seconds=1)
    assert is_usable(_token(), now=NOW) is True
    assert is_usable(_token(expires_at=later), now=NOW) is True
    assert is_usable(
        _token(expires_at=earlier, refresh_token="shprt_1", refresh_token_expires_at=later), now=NOW
    )
    assert is_usable(_token(expires_at=earlier), now=NOW) is False
    assert (
        is_usable(
            _token(expires_at=later, refresh_token="shprt_1", refresh_token_expires_at=earlier), now=NOW
        )
        is False
    )


def test_sdk_instants_parse_to_aware_utc():
    assert parse_instant("2026-11-22T12:00:00Z") == NOW
    assert parse_instant(None) is None
    assert parse_instant("") is None


def test_an_expiring_offline_token_answer_becomes_a_token_set():
    before = datetime.now(UTC)
    tokens = token_set_from_response(
        {
            "access_token": "shpat_1",
            "expires_in": 3600,
            "refresh_token": "shprt_1",
            "refresh_token_expires_in": 7776000,
            "scope": "read_orders",
        }
    )
    after = datetime.now(UTC)
    assert (tokens.access_token, tokens.refresh_token, tokens.scope) == ("shpat_1", "shprt_1", "read_orders")
    assert before + timedelta(seconds=3600) <= tokens.expires_at <= after + timedelta(seconds=3600)
    assert tokens.refresh_token_expires_at is not None
    assert before + timedelta(days=90) <= tokens.refresh_token_expires_at <= after + timedelta(days=90)


def test_a_non_expiring_answer_has_no_expiry_and_no_refresh_token():
    tokens = token_set_from_response({"access_token": "shpat_1", "scope": "read_orders"})
    assert tokens == TokenSet(access_token="shpat_1", scope="read_orders")


@pytest.mark.parametrize(
    "payload", [{}, {"access_token": ""}, {"access_token": 5}, {"error": "invalid_request"}]
)
def test_an_answer_without_an_access_token_is_refused(payload):
    with pytest.raises(AuthorizationCodeRejected):
        token_set_from_response(payload)
