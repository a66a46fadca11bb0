"""RQ entry points of auth: thin wrappers that open a unit of work and call the service."""

from __future__ import annotations

from app import services
from app.auth import tokens


def refresh_token(shop_id: int) -> bool:
    """Refresh one shop's offline token if it expires within the sweep window; whether it was refreshed."""
    with services().db.unit_of_work() as uow:
        try:
            _token, refreshed = tokens.refresh_offline_token(uow, shop_id=shop_id, within=tokens.SWEEP_WINDOW)
        except tokens.OfflineTokenMissing:
            # Uninstalled (tokens dropped) since the job was enqueued: nothing left to refresh.
            return False
        return refreshed


def refresh_expiring_tokens() -> int:
    """Refresh every installed shop's offline token that expires within the sweep window; the count."""
    with services().db.unit_of_work() as uow:
        return tokens.refresh_expiring_tokens(uow, within=tokens.SWEEP_WINDOW)
