"""Shop scoping: every read of a tenant-owned row goes through the authenticated shop."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from app.errors import NotFound

M = TypeVar("M")


def scoped(model: type[M], shop_id: int) -> Select[tuple[M]]:
    """`SELECT model WHERE shop_id = :shop_id`, the start of every tenant query."""
    return select(model).where(model.shop_id == shop_id)  # type: ignore[attr-defined]


def get_for_shop(session: Session, model: type[M], shop_id: int, row_id: Any) -> M:
    """The row with this id owned by this shop, else NotFound (another shop's id is a 404 too)."""
    row = session.scalar(scoped(model, shop_id).where(model.id == row_id))  # type: ignore[attr-defined]
    if row is None:
        raise NotFound(f"{model.__name__} {row_id} not found")
    return row
