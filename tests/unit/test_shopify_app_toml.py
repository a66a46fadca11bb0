"""shopify.app.toml parses, and agrees with the app's settings and the 2026-04 Admin API schema."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from app.config import DEFAULT_API_VERSION, DEFAULT_SCOPES

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "app" / "shopify" / "schema" / "admin_2026-04.graphql"
COMPLIANCE_TOPICS = {"customers/data_request", "customers/redact", "shop/redact"}


@pytest.fixture(scope="module")
def toml() -> dict:
    return tomllib.loads((ROOT / "shopify.app.toml").read_text())


@pytest.fixture(scope="module")
def topic_scopes() -> dict[str, tuple[str, set[str]]]:
    """WebhookSubscriptionTopic values → ("all"|"any", scopes named in their docstring)."""
    text = SCHEMA.read_text()
    body = re.search(r"^enum WebhookSubscriptionTopic \{(.*?)^\}", text, re.S | re.M).group(1)
    result: dict[str, tuple[str, set[str]]] = {}
    for doc, name in re.findall(r'"""(.*?)"""\s*([A-Z0-9_]+)', body, re.S):
        requires = doc.split("Requires", 1)[1] if "Requires" in doc else ""
        mode = "any" if "at least one of" in requires else "all"
        result[name] = (mode, set(re.findall(r"\b(?:read|write)_[a-z_]+\b", requires)))
    return result


def enum_name(topic: str) -> str:
    return re.sub(r"[/.]", "_", topic).upper()


def granted(scopes: str) -> set[str]:
    """The scopes a scope string grants; write_x implies read_x."""
    names = {s.strip() for s in scopes.split(",") if s.strip()}
    return names | {"read_" + s.removeprefix("write_") for s in names if s.startswith("write_")}


def subscribed_topics(toml: dict) -> list[str]:
    return [t for sub in toml["webhooks"]["subscriptions"] for t in sub.get("topics", [])]


def test_scopes_and_api_version_match_the_app_defaults(toml):
    assert toml["access_scopes"]["scopes"] == DEFAULT_SCOPES
    assert toml["webhooks"]["api_version"] == DEFAULT_API_VERSION
    assert toml["access_scopes"]["use_legacy_install_flow"] is False
    assert toml["embedded"] is True


def test_every_subscribed_topic_exists_in_the_2026_04_schema(toml, topic_scopes):
    unknown = [t for t in subscribed_topics(toml) if enum_name(t) not in topic_scopes]
    assert unknown == []


def test_no_topic_is_subscribed_twice(toml):
    topics = subscribed_topics(toml)
    assert len(topics) == len(set(topics))


def test_the_scopes_cover_every_subscribed_topic(toml, topic_scopes):
    have = granted(toml["access_scopes"]["scopes"])
    uncovered = []
    for topic in subscribed_topics(toml):
        mode, needed = topic_scopes[enum_name(topic)]
        ok = (needed & have) if mode == "any" else needed <= have
        if needed and not ok:
            uncovered.append((topic, sorted(needed)))
    assert uncovered == []


def test_all_three_compliance_topics_are_declared(toml):
    declared = {t for sub in toml["webhooks"]["subscriptions"] for t in sub.get("compliance_topics", [])}
    assert declared == COMPLIANCE_TOPICS


def test_every_subscription_uses_a_relative_intake_path(toml):
    assert {sub["uri"] for sub in toml["webhooks"]["subscriptions"]} == {"/webhooks"}


def test_app_proxy_is_valid_and_has_its_scope(toml):
    proxy = toml["app_proxy"]
    assert proxy["prefix"] in {"a", "apps", "community", "tools"}
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,30}", proxy["subpath"])
    assert proxy["subpath"] not in {"admin", "services", "password", "login"}
    assert "write_app_proxy" in granted(toml["access_scopes"]["scopes"])


def test_the_scope_parser_reads_both_docstring_forms(topic_scopes):
    # Guards the test itself: if the docstring wording changed, coverage checks would pass vacuously.
    assert topic_scopes["CUSTOMERS_MERGE"] == ("all", {"read_customer_merge"})
    assert topic_scopes["COMPANY_CONTACTS_CREATE"] == ("any", {"read_customers", "read_companies"})
