"""The admin's left navigation: every area, linked once its view exists, otherwise shown as "Soon".

A later feature lights up its item by registering the endpoint named here (or by changing the
name here to the endpoint it registers); no template changes are needed.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass


@dataclass(frozen=True)
class NavItem:
    """One area of the admin."""

    label: str
    endpoint: str
    icon: str
    # Endpoints whose pages belong to this area (detail and edit pages highlight their list).
    prefixes: tuple[str, ...] = ()

    def is_current(self, endpoint: str | None) -> bool:
        if endpoint is None:
            return False
        return endpoint == self.endpoint or any(endpoint.startswith(p) for p in self.prefixes)


@dataclass(frozen=True)
class NavLink:
    """A navigation item as one request renders it."""

    label: str
    icon: str
    url: str | None
    current: bool

    @property
    def available(self) -> bool:
        return self.url is not None


NAV_ITEMS: tuple[NavItem, ...] = (
    NavItem("Home", "admin.home", "HomeIcon"),
    NavItem("Customers", "crm.customers", "PersonIcon", prefixes=("crm.customer",)),
    NavItem("Companies", "crm.companies", "OrganizationIcon", prefixes=("crm.compan",)),
    NavItem("Tasks", "crm.tasks", "CheckCircleIcon", prefixes=("crm.task",)),
    NavItem("Price lists", "pricing.price_lists", "CatalogIcon", prefixes=("pricing.",)),
    NavItem("Quotes", "quotes.quotes", "ReceiptIcon", prefixes=("quotes.",)),
    NavItem("Segments", "segments.segments", "PersonSegmentIcon", prefixes=("segments.",)),
    NavItem("Campaigns", "campaigns.campaigns", "MegaphoneIcon", prefixes=("campaigns.",)),
    # The sync page and the webhook log: how Shopify's data reaches Tradeline, and what went wrong.
    NavItem("Sync", "sync.index", "RefreshIcon", prefixes=("sync.", "webhooks.log_page")),
    NavItem("Settings", "admin.settings", "SettingsIcon", prefixes=("admin.settings",)),
)


def navigation(
    *,
    endpoints: Collection[str],
    current_endpoint: str | None,
    url_for: Callable[[str], str],
    items: tuple[NavItem, ...] = NAV_ITEMS,
) -> list[NavLink]:
    """The items with a URL for each area whose endpoint is registered, and the current one marked."""
    return [
        NavLink(
            label=item.label,
            icon=item.icon,
            url=url_for(item.endpoint) if item.endpoint in endpoints else None,
            current=item.is_current(current_endpoint),
        )
        for item in items
    ]
