"""Admin home services on the database: record counts per shop, the setup checklist, the shop summary."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import BigInteger, Column, ForeignKey, Integer, MetaData, Table, insert

from app import services
from app.admin.home import crm_tables, setup_steps, shop_summary, sync_status, table_label
from app.apikeys import create_api_key, revoke_api_key
from app.db import UTCDateTime, utcnow
from app.errors import NotFound
from app.model_registry import metadata
from app.shops import TokenSet, install_shop, store_token


@pytest.fixture
def scratch_tables(uow):
    """Two CRM-shaped tables created inside the test's transaction (rolled back with it)."""
    scratch = MetaData()
    tables = [
        Table(
            name,
            scratch,
            Column("id", Integer, primary_key=True),
            Column("shop_id", Integer, ForeignKey(metadata.tables["app_shop"].c.id), nullable=False),
            Column("shopify_id", BigInteger, nullable=False),
            Column("deleted_at", UTCDateTime, nullable=True),
        )
        for name in ("crm_widget", "crm_gadget_category")
    ]
    # The foreign key points into the real metadata's app_shop, which the migrations created.
    for table in tables:
        table.create(uow.session.connection())
    return tables


def test_sync_status_counts_only_the_shops_own_live_rows(uow, scratch_tables):
    acme = install_shop(uow, domain="acme.myshopify.com")
    globex = install_shop(uow, domain="globex.myshopify.com")
    widgets, _categories = scratch_tables
    conn = uow.session.connection()
    conn.execute(insert(widgets), [{"shop_id": acme.id, "shopify_id": n} for n in range(3)])
    conn.execute(insert(widgets), [{"shop_id": globex.id, "shopify_id": 99}])
    # A soft-deleted (tombstoned) mirror is not a record the shop has.
    conn.execute(insert(widgets), [{"shop_id": acme.id, "shopify_id": 7, "deleted_at": utcnow()}])

    status = sync_status(uow, acme.id, tables=scratch_tables)

    assert [(c.table, c.label, c.count) for c in status.counts] == [
        ("crm_widget", "Widgets", 3),
        ("crm_gadget_category", "Gadget categories", 0),
    ]
    assert status.total == 3
    assert status.is_empty is False


def test_sync_status_is_empty_when_no_rows_or_no_tables(uow, scratch_tables):
    acme = install_shop(uow, domain="acme.myshopify.com")

    assert sync_status(uow, acme.id, tables=scratch_tables).is_empty is True
    assert sync_status(uow, acme.id, tables=[]).counts == ()
    assert sync_status(uow, acme.id, tables=[]).is_empty is True


def test_sync_status_covers_every_registered_crm_mirror_table(uow):
    acme = install_shop(uow, domain="acme.myshopify.com")

    status = sync_status(uow, acme.id)

    assert [c.table for c in status.counts] == [t.name for t in crm_tables()]
    assert all(c.count == 0 for c in status.counts)
    assert all(t.name.startswith("crm_") and "shopify_id" in t.c for t in crm_tables())


def test_table_labels_are_plural_words_unless_the_table_names_itself():
    scratch = MetaData()

    assert table_label(Table("crm_customer", scratch)) == "Customers"
    assert table_label(Table("crm_company", scratch)) == "Companies"
    assert table_label(Table("crm_company_location", scratch)) == "Company locations"
    assert table_label(Table("crm_address", scratch)) == "Addresses"
    assert table_label(Table("crm_customer_tag", scratch)) == "Customer tags"
    assert table_label(Table("crm_order", scratch, info={"label": "B2B orders"})) == "B2B orders"


def test_setup_steps_follow_tokens_imports_and_live_api_keys(uow):
    acme = install_shop(uow, domain="acme.myshopify.com")
    empty = sync_status(uow, acme.id, tables=[])

    before = {s.key: s.done for s in setup_steps(uow, shop_id=acme.id, sync=empty)}
    store_token(
        uow, services().cipher, shop_id=acme.id, tokens=TokenSet(access_token="shpat_1", scope="read_orders")
    )
    key, _plaintext = create_api_key(uow, shop_id=acme.id, name="ERP")
    after = {s.key: s.done for s in setup_steps(uow, shop_id=acme.id, sync=empty)}
    revoke_api_key(uow, shop_id=acme.id, prefix=key.prefix)
    revoked = {s.key: s.done for s in setup_steps(uow, shop_id=acme.id, sync=empty)}

    assert before == {"connect": False, "backfill": False, "api_key": False, "staff": None}
    assert after == {"connect": True, "backfill": False, "api_key": True, "staff": None}
    assert revoked["api_key"] is False


def test_shop_summary_is_plain_data_with_sorted_unique_scopes(uow):
    shop = install_shop(uow, domain="acme.myshopify.com", scopes="read_orders, read_customers,read_orders,")
    shop.installed_at = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)
    uow.session.flush()

    summary = shop_summary(uow, shop_id=shop.id)

    assert summary.domain == "acme.myshopify.com"
    assert summary.display_name == "acme"
    assert summary.scopes == ("read_customers", "read_orders")
    assert summary.installed_at == datetime(2026, 1, 2, 3, 4, tzinfo=UTC)


def test_shop_summary_of_a_missing_shop_is_not_found(uow):
    with pytest.raises(NotFound):
        shop_summary(uow, shop_id=987654)
