"""The unit of work rolls back unless committed and runs after-commit hooks only after a commit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from app import services
from app.models import Shop


def shop_count(uow) -> int:
    return uow.session.scalar(select(func.count()).select_from(Shop))


def test_changes_without_commit_are_rolled_back(app):
    db = services().db
    with db.unit_of_work() as uow:
        uow.session.add(Shop(domain="gone.myshopify.com"))
        uow.session.flush()

    with db.unit_of_work() as uow:
        assert shop_count(uow) == 0


def test_after_commit_hooks_run_only_after_the_commit(app):
    ran: list[int] = []
    with services().db.unit_of_work() as uow:
        uow.session.add(Shop(domain="kept.myshopify.com"))
        uow.after_commit(lambda: ran.append(shop_count(uow)))
        assert ran == []
        uow.commit()

    assert ran == [1]


def test_after_commit_hooks_are_dropped_on_rollback_and_on_exception(app):
    ran: list[str] = []
    db = services().db
    with db.unit_of_work() as uow:
        uow.after_commit(lambda: ran.append("rolled back"))
        uow.rollback()
        uow.commit()
    with pytest.raises(RuntimeError), db.unit_of_work() as uow:
        uow.after_commit(lambda: ran.append("raised"))
        raise RuntimeError("boom")

    assert ran == []


def test_a_failed_commit_runs_no_hook(app):
    ran: list[str] = []
    db = services().db
    with db.unit_of_work() as uow:
        uow.session.add(Shop(domain="dup.myshopify.com"))
        uow.commit()
    with db.unit_of_work() as uow:
        uow.session.add(Shop(domain="dup.myshopify.com"))
        uow.after_commit(lambda: ran.append("committed"))
        with pytest.raises(Exception, match=r"(?i)unique|duplicate"):
            uow.commit()

    assert ran == []


def test_datetimes_come_back_timezone_aware_utc(app):
    db = services().db
    chicago = timezone(timedelta(hours=-6))
    with db.unit_of_work() as uow:
        uow.session.add(
            Shop(domain="tz.myshopify.com", installed_at=datetime(2026, 5, 1, 9, 30, tzinfo=chicago))
        )
        uow.commit()
    with db.unit_of_work() as uow:
        shop = uow.session.scalar(select(Shop).where(Shop.domain == "tz.myshopify.com"))
        uow.session.refresh(shop)

        assert shop.installed_at == datetime(2026, 5, 1, 15, 30, tzinfo=UTC)
        assert shop.installed_at.tzinfo is not None


def test_naive_datetimes_are_refused(app):
    with services().db.unit_of_work() as uow:
        uow.session.add(Shop(domain="naive.myshopify.com", installed_at=datetime(2026, 5, 1)))  # noqa: DTZ001

        with pytest.raises(Exception, match="naive datetime"):
            uow.session.flush()
