"""A fake of Shopify's token endpoint (`/admin/oauth/access_token`) at the HTTP boundary, for auth tests."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt

TOKEN_EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange"
ONLINE_TOKEN_TYPE = "urn:shopify:params:oauth:token-type:online-access-token"
OFFLINE_TOKEN_TYPE = "urn:shopify:params:oauth:token-type:offline-access-token"
GRANTED_SCOPES = "read_customers,write_customers,read_orders"
# Shopify-shaped client secrets (`shpss_` + 32 hex): PyJWT warns about HMAC keys under 32 bytes,
# which the suite's filterwarnings=error turns into failures.
APP_SECRET = "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"
PREVIOUS_APP_SECRET = "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"
FORGED_SECRET = "shpss_ffffffffffffffffffffffffffffffff"


@dataclass
class TokenCall:
    """One request the fake received."""

    shop: str
    body: dict[str, Any]

    @property
    def kind(self) -> str:
        grant = self.body.get("grant_type")
        if grant == TOKEN_EXCHANGE_GRANT:
            online = self.body.get("requested_token_type") == ONLINE_TOKEN_TYPE
            return "online-exchange" if online else "offline-exchange"
        if grant == "refresh_token":
            return "refresh"
        return "authorization-code"


@dataclass
class FakeShopifyTokens:
    """Answers as Shopify documents (token exchange, refresh, authorization code); records every call.

    `fail[shop_host] = (status, json_body)` makes that shop's requests fail, `fail_kind[kind]` one kind
    of request ("refresh", "offline-exchange", ...); `unreachable` raises a connection error instead.
    """

    calls: list[TokenCall] = field(default_factory=list)
    fail: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    fail_kind: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    unreachable: bool = False
    issued: int = 0

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self._handle)

    def kinds(self) -> list[str]:
        return [c.kind for c in self.calls]

    def _handle(self, request: httpx.Request) -> httpx.Response:
        assert request.method == "POST"
        assert request.url.path == "/admin/oauth/access_token"
        body = json.loads(request.content) if request.content else {}
        call = TokenCall(shop=request.url.host, body=body)
        self.calls.append(call)
        if self.unreachable:
            raise httpx.ConnectError("connection refused", request=request)
        failure = self.fail.get(request.url.host) or self.fail_kind.get(call.kind)
        if failure is not None:
            return httpx.Response(failure[0], json=failure[1])
        self.issued += 1
        n = self.issued
        if call.kind == "online-exchange":
            return httpx.Response(200, json=online_token_response(n, user_id=_subject(body)))
        return httpx.Response(200, json=expiring_offline_token_response(n))


def expiring_offline_token_response(n: int) -> dict[str, Any]:
    """The documented expiring offline token answer (token exchange, refresh and `expiring=1` code grant)."""
    return {
        "access_token": f"shpat_offline_{n:04d}",
        "expires_in": 3600,
        "refresh_token": f"shprt_refresh_{n:04d}",
        "refresh_token_expires_in": 7776000,
        "scope": GRANTED_SCOPES,
    }


def online_token_response(n: int, *, user_id: int) -> dict[str, Any]:
    """The documented online token answer, with its associated user."""
    return {
        "access_token": f"shpua_online_{n:04d}",
        "scope": GRANTED_SCOPES,
        "expires_in": 86399,
        "associated_user_scope": "read_customers",
        "associated_user": {
            "id": user_id,
            "first_name": "Ada",
            "last_name": "Lovelace",
            "email": "ada@example.com",
            "email_verified": True,
            "account_owner": True,
            "locale": "en",
            "collaborator": False,
        },
    }


def _subject(body: dict[str, Any]) -> int:
    # Shopify knows who the session token was issued to; the fake reads it from the token's `sub`.
    claims = jwt.decode(body["subject_token"], options={"verify_signature": False})
    return int(claims["sub"])
