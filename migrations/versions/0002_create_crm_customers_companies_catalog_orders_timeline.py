"""create crm customers companies catalog orders and timeline

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 14:48:52.421411
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import app.db

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "crm_company",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column(
            "shopify_id", sa.BigInteger(), nullable=False, comment="Shopify's numeric id (tail of the GID)"
        ),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("external_id", sa.String(length=255), nullable=True, comment="the merchant's own id (ERP)"),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("customer_since", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("main_contact_shopify_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "payment_terms_name",
            sa.String(length=255),
            nullable=True,
            comment="terms of the company's first location that has terms (derived)",
        ),
        sa.Column("sales_rep_name", sa.String(length=255), nullable=True),
        sa.Column("sales_rep_email", sa.String(length=320), nullable=True),
        sa.Column("shopify_created_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "shopify_updated_at",
            app.db.UTCDateTime(timezone=True),
            nullable=True,
            comment="updated_at of the last applied payload; NULL = known by reference only",
        ),
        sa.Column("deleted_at", app.db.UTCDateTime(timezone=True), nullable=True, comment="soft delete"),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("orders_count", sa.Integer(), nullable=False),
        sa.Column("total_spent", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False, comment="currency of total_spent"),
        sa.Column("first_order_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_order_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["app_shop.id"], name=op.f("fk_crm_company_shop_id_app_shop"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_company")),
        sa.UniqueConstraint("shop_id", "shopify_id", name=op.f("uq_crm_company_shop_id_shopify_id")),
    )
    with op.batch_alter_table("crm_company", schema=None) as batch_op:
        batch_op.create_index("ix_crm_company_shop_id_name", ["shop_id", "name"], unique=False)

    op.create_table(
        "crm_product",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column(
            "shopify_id", sa.BigInteger(), nullable=False, comment="Shopify's numeric id (tail of the GID)"
        ),
        sa.Column("title", sa.String(length=255), nullable=True),
        sa.Column("handle", sa.String(length=255), nullable=True),
        sa.Column("vendor", sa.String(length=255), nullable=True),
        sa.Column("product_type", sa.String(length=255), nullable=True),
        sa.Column(
            "status",
            sa.Enum("active", "draft", "archived", "unlisted", "unknown", name="crm_product_status"),
            nullable=True,
            comment="Shopify publishing status",
        ),
        sa.Column("tags", sa.Text(), nullable=True, comment="normalized 'a, b' list, as Shopify sends it"),
        sa.Column("published_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("shopify_created_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "shopify_updated_at",
            app.db.UTCDateTime(timezone=True),
            nullable=True,
            comment="updated_at of the last applied payload; NULL = known by reference only",
        ),
        sa.Column("deleted_at", app.db.UTCDateTime(timezone=True), nullable=True, comment="soft delete"),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["app_shop.id"], name=op.f("fk_crm_product_shop_id_app_shop"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_product")),
        sa.UniqueConstraint("shop_id", "shopify_id", name=op.f("uq_crm_product_shop_id_shopify_id")),
    )
    with op.batch_alter_table("crm_product", schema=None) as batch_op:
        batch_op.create_index("ix_crm_product_shop_id_title", ["shop_id", "title"], unique=False)

    op.create_table(
        "crm_company_location",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column(
            "shopify_id", sa.BigInteger(), nullable=False, comment="Shopify's numeric id (tail of the GID)"
        ),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("external_id", sa.String(length=255), nullable=True),
        sa.Column("phone", sa.String(length=64), nullable=True),
        sa.Column("locale", sa.String(length=16), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column(
            "billing_address",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "shipping_address",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("payment_terms_name", sa.String(length=255), nullable=True, comment="e.g. 'Net 30'"),
        sa.Column("tax_registration_id", sa.String(length=255), nullable=True),
        sa.Column("shopify_created_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "shopify_updated_at",
            app.db.UTCDateTime(timezone=True),
            nullable=True,
            comment="updated_at of the last applied payload; NULL = known by reference only",
        ),
        sa.Column("deleted_at", app.db.UTCDateTime(timezone=True), nullable=True, comment="soft delete"),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["crm_company.id"],
            name=op.f("fk_crm_company_location_company_id_crm_company"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["shop_id"],
            ["app_shop.id"],
            name=op.f("fk_crm_company_location_shop_id_app_shop"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_company_location")),
        sa.UniqueConstraint("shop_id", "shopify_id", name=op.f("uq_crm_company_location_shop_id_shopify_id")),
    )
    with op.batch_alter_table("crm_company_location", schema=None) as batch_op:
        batch_op.create_index("ix_crm_company_location_company_id", ["company_id"], unique=False)

    op.create_table(
        "crm_customer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column(
            "shopify_id", sa.BigInteger(), nullable=False, comment="Shopify's numeric id (tail of the GID)"
        ),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("first_name", sa.String(length=255), nullable=True),
        sa.Column("last_name", sa.String(length=255), nullable=True),
        sa.Column("phone", sa.String(length=64), nullable=True),
        sa.Column(
            "state",
            sa.Enum("disabled", "invited", "enabled", "declined", "unknown", name="crm_customer_state"),
            nullable=True,
            comment="Shopify account state",
        ),
        sa.Column("verified_email", sa.Boolean(), nullable=True),
        sa.Column("tax_exempt", sa.Boolean(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column(
            "email_marketing_state",
            sa.Enum(
                "not_subscribed",
                "pending",
                "subscribed",
                "unsubscribed",
                "redacted",
                "invalid",
                "unknown",
                name="crm_marketing_state",
            ),
            nullable=True,
            comment="NULL = Shopify has not told us yet",
        ),
        sa.Column("email_marketing_opt_in_level", sa.String(length=32), nullable=True),
        sa.Column("email_marketing_updated_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "default_address",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "addresses",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "city", sa.String(length=255), nullable=True, comment="of the default address, for filters"
        ),
        sa.Column("province_code", sa.String(length=16), nullable=True),
        sa.Column("country_code", sa.String(length=2), nullable=True),
        sa.Column(
            "company_id",
            sa.Integer(),
            nullable=True,
            comment="primary company: the first the customer became a contact of",
        ),
        sa.Column("sales_rep_name", sa.String(length=255), nullable=True),
        sa.Column("sales_rep_email", sa.String(length=320), nullable=True),
        sa.Column(
            "acquisition_source",
            sa.String(length=255),
            nullable=True,
            comment="channel of the first counted order (derived): utm, referrer or source",
        ),
        sa.Column("shopify_created_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "shopify_updated_at",
            app.db.UTCDateTime(timezone=True),
            nullable=True,
            comment="updated_at of the last applied payload; NULL = known by reference only",
        ),
        sa.Column("deleted_at", app.db.UTCDateTime(timezone=True), nullable=True, comment="soft delete"),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("orders_count", sa.Integer(), nullable=False),
        sa.Column("total_spent", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False, comment="currency of total_spent"),
        sa.Column("first_order_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_order_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["crm_company.id"],
            name=op.f("fk_crm_customer_company_id_crm_company"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["app_shop.id"], name=op.f("fk_crm_customer_shop_id_app_shop"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_customer")),
        sa.UniqueConstraint("shop_id", "shopify_id", name=op.f("uq_crm_customer_shop_id_shopify_id")),
    )
    with op.batch_alter_table("crm_customer", schema=None) as batch_op:
        batch_op.create_index("ix_crm_customer_company_id", ["company_id"], unique=False)
        batch_op.create_index("ix_crm_customer_shop_id_email", ["shop_id", "email"], unique=False)
        batch_op.create_index("ix_crm_customer_shop_id_last_name", ["shop_id", "last_name"], unique=False)

    op.create_table(
        "crm_variant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column(
            "shopify_id", sa.BigInteger(), nullable=False, comment="Shopify's numeric id (tail of the GID)"
        ),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=True),
        sa.Column("sku", sa.String(length=255), nullable=True),
        sa.Column("barcode", sa.String(length=255), nullable=True),
        sa.Column("position", sa.Integer(), nullable=True),
        sa.Column("option1", sa.String(length=255), nullable=True),
        sa.Column("option2", sa.String(length=255), nullable=True),
        sa.Column("option3", sa.String(length=255), nullable=True),
        sa.Column("price", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("compare_at_price", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False, comment="the shop's currency"),
        sa.Column("inventory_quantity", sa.Integer(), nullable=True),
        sa.Column("taxable", sa.Boolean(), nullable=True),
        sa.Column("shopify_created_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "shopify_updated_at",
            app.db.UTCDateTime(timezone=True),
            nullable=True,
            comment="updated_at of the last applied payload; NULL = known by reference only",
        ),
        sa.Column("deleted_at", app.db.UTCDateTime(timezone=True), nullable=True, comment="soft delete"),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["crm_product.id"],
            name=op.f("fk_crm_variant_product_id_crm_product"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["app_shop.id"], name=op.f("fk_crm_variant_shop_id_app_shop"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_variant")),
        sa.UniqueConstraint("shop_id", "shopify_id", name=op.f("uq_crm_variant_shop_id_shopify_id")),
    )
    with op.batch_alter_table("crm_variant", schema=None) as batch_op:
        batch_op.create_index("ix_crm_variant_product_id", ["product_id"], unique=False)
        batch_op.create_index("ix_crm_variant_shop_id_sku", ["shop_id", "sku"], unique=False)

    op.create_table(
        "crm_company_contact",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column(
            "shopify_id", sa.BigInteger(), nullable=False, comment="Shopify's numeric id (tail of the GID)"
        ),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=True, comment="job title, e.g. 'Buyer'"),
        sa.Column("locale", sa.String(length=16), nullable=True),
        sa.Column("shopify_created_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "shopify_updated_at",
            app.db.UTCDateTime(timezone=True),
            nullable=True,
            comment="updated_at of the last applied payload; NULL = known by reference only",
        ),
        sa.Column("deleted_at", app.db.UTCDateTime(timezone=True), nullable=True, comment="soft delete"),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["crm_company.id"],
            name=op.f("fk_crm_company_contact_company_id_crm_company"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["crm_customer.id"],
            name=op.f("fk_crm_company_contact_customer_id_crm_customer"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["shop_id"],
            ["app_shop.id"],
            name=op.f("fk_crm_company_contact_shop_id_app_shop"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_company_contact")),
        sa.UniqueConstraint("shop_id", "shopify_id", name=op.f("uq_crm_company_contact_shop_id_shopify_id")),
    )
    with op.batch_alter_table("crm_company_contact", schema=None) as batch_op:
        batch_op.create_index("ix_crm_company_contact_company_id", ["company_id"], unique=False)
        batch_op.create_index("ix_crm_company_contact_customer_id", ["customer_id"], unique=False)

    op.create_table(
        "crm_customer_tag",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column(
            "tag",
            sa.String(length=255),
            nullable=False,
            comment="as Shopify spells it; unique per customer ignoring case",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["crm_customer.id"],
            name=op.f("fk_crm_customer_tag_customer_id_crm_customer"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["shop_id"],
            ["app_shop.id"],
            name=op.f("fk_crm_customer_tag_shop_id_app_shop"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_customer_tag")),
        sa.UniqueConstraint("customer_id", "tag", name=op.f("uq_crm_customer_tag_customer_id_tag")),
    )
    with op.batch_alter_table("crm_customer_tag", schema=None) as batch_op:
        batch_op.create_index("ix_crm_customer_tag_shop_id_tag", ["shop_id", "tag"], unique=False)

    op.create_table(
        "crm_order",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column(
            "shopify_id", sa.BigInteger(), nullable=False, comment="Shopify's numeric id (tail of the GID)"
        ),
        sa.Column("name", sa.String(length=64), nullable=True, comment="e.g. '#1001'"),
        sa.Column("number", sa.Integer(), nullable=True, comment="order_number, e.g. 1001"),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("company_id", sa.Integer(), nullable=True),
        sa.Column("company_location_id", sa.Integer(), nullable=True),
        sa.Column("is_b2b", sa.Boolean(), nullable=False, comment="placed for a company"),
        sa.Column(
            "financial_status",
            sa.Enum(
                "pending",
                "authorized",
                "partially_paid",
                "paid",
                "partially_refunded",
                "refunded",
                "voided",
                "expired",
                "unknown",
                name="crm_financial_status",
            ),
            nullable=True,
            comment="payment state",
        ),
        sa.Column(
            "fulfillment_status",
            sa.Enum(
                "unfulfilled", "partial", "fulfilled", "restocked", "unknown", name="crm_fulfillment_status"
            ),
            nullable=True,
            comment="shipping state",
        ),
        sa.Column("currency", sa.String(length=3), nullable=False, comment="the shop's currency"),
        sa.Column(
            "presentment_currency", sa.String(length=3), nullable=True, comment="what the buyer paid in"
        ),
        sa.Column("subtotal_price", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("total_discounts", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("total_tax", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("total_price", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column(
            "current_total_price",
            sa.Numeric(precision=18, scale=4),
            nullable=True,
            comment="after refunds and edits; what lifetime spend adds up",
        ),
        sa.Column(
            "source_name", sa.String(length=255), nullable=True, comment="'web', 'pos', 'shopify_draft_order'"
        ),
        sa.Column("referring_site", sa.Text(), nullable=True),
        sa.Column("landing_site", sa.Text(), nullable=True),
        sa.Column("acquisition_source", sa.String(length=255), nullable=True, comment="derived by crm.rules"),
        sa.Column("po_number", sa.String(length=255), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("tags", sa.Text(), nullable=True, comment="normalized 'a, b' list, as Shopify sends it"),
        sa.Column("test", sa.Boolean(), nullable=False, comment="a test order: never counted"),
        sa.Column("processed_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("cancel_reason", sa.String(length=64), nullable=True),
        sa.Column("closed_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("shopify_created_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "shopify_updated_at",
            app.db.UTCDateTime(timezone=True),
            nullable=True,
            comment="updated_at of the last applied payload; NULL = known by reference only",
        ),
        sa.Column("deleted_at", app.db.UTCDateTime(timezone=True), nullable=True, comment="soft delete"),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["crm_company.id"],
            name=op.f("fk_crm_order_company_id_crm_company"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["company_location_id"],
            ["crm_company_location.id"],
            name=op.f("fk_crm_order_company_location_id_crm_company_location"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["crm_customer.id"],
            name=op.f("fk_crm_order_customer_id_crm_customer"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["app_shop.id"], name=op.f("fk_crm_order_shop_id_app_shop"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_order")),
        sa.UniqueConstraint("shop_id", "shopify_id", name=op.f("uq_crm_order_shop_id_shopify_id")),
    )
    with op.batch_alter_table("crm_order", schema=None) as batch_op:
        batch_op.create_index(
            "ix_crm_order_shop_id_company_id_processed_at",
            ["shop_id", "company_id", "processed_at"],
            unique=False,
        )
        batch_op.create_index(
            "ix_crm_order_shop_id_customer_id_processed_at",
            ["shop_id", "customer_id", "processed_at"],
            unique=False,
        )
        batch_op.create_index("ix_crm_order_shop_id_email", ["shop_id", "email"], unique=False)
        batch_op.create_index("ix_crm_order_shop_id_processed_at", ["shop_id", "processed_at"], unique=False)

    op.create_table(
        "crm_timeline_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column(
            "subject_type",
            sa.Enum("customer", "company", "order", "product", name="crm_subject_type"),
            nullable=False,
        ),
        sa.Column("subject_id", sa.Integer(), nullable=False, comment="row id in the subject's table"),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("company_id", sa.Integer(), nullable=True),
        sa.Column(
            "kind", sa.String(length=64), nullable=False, comment="'<subject>.<verb>', e.g. 'order.cancelled'"
        ),
        sa.Column(
            "actor", sa.String(length=255), nullable=False, comment="'shopify', 'demo', or a staff email"
        ),
        sa.Column("summary", sa.String(length=500), nullable=False),
        sa.Column(
            "data",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
            comment="changes: {field: [old, new]}",
        ),
        sa.Column(
            "occurred_at",
            app.db.UTCDateTime(timezone=True),
            nullable=False,
            comment="when it happened in Shopify",
        ),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["crm_company.id"],
            name=op.f("fk_crm_timeline_event_company_id_crm_company"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["crm_customer.id"],
            name=op.f("fk_crm_timeline_event_customer_id_crm_customer"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["shop_id"],
            ["app_shop.id"],
            name=op.f("fk_crm_timeline_event_shop_id_app_shop"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_timeline_event")),
    )
    with op.batch_alter_table("crm_timeline_event", schema=None) as batch_op:
        batch_op.create_index(
            "ix_crm_timeline_event_company_feed", ["shop_id", "company_id", "occurred_at"], unique=False
        )
        batch_op.create_index(
            "ix_crm_timeline_event_customer_feed", ["shop_id", "customer_id", "occurred_at"], unique=False
        )
        batch_op.create_index(
            "ix_crm_timeline_event_subject",
            ["shop_id", "subject_type", "subject_id", "occurred_at"],
            unique=False,
        )

    op.create_table(
        "crm_order_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("shopify_id", sa.BigInteger(), nullable=False, comment="Shopify line item id"),
        sa.Column("shopify_product_id", sa.BigInteger(), nullable=True),
        sa.Column("shopify_variant_id", sa.BigInteger(), nullable=True),
        sa.Column("sku", sa.String(length=255), nullable=True),
        sa.Column("title", sa.String(length=255), nullable=True),
        sa.Column("variant_title", sa.String(length=255), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("current_quantity", sa.Integer(), nullable=True, comment="after removals and refunds"),
        sa.Column(
            "price", sa.Numeric(precision=18, scale=4), nullable=False, comment="unit price before discounts"
        ),
        sa.Column("total_discount", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["crm_order.id"],
            name=op.f("fk_crm_order_line_order_id_crm_order"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["app_shop.id"], name=op.f("fk_crm_order_line_shop_id_app_shop"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_order_line")),
        sa.UniqueConstraint("shop_id", "shopify_id", name=op.f("uq_crm_order_line_shop_id_shopify_id")),
    )
    with op.batch_alter_table("crm_order_line", schema=None) as batch_op:
        batch_op.create_index("ix_crm_order_line_order_id", ["order_id"], unique=False)
        batch_op.create_index(
            "ix_crm_order_line_shop_id_shopify_variant_id", ["shop_id", "shopify_variant_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("crm_order_line", schema=None) as batch_op:
        batch_op.drop_index("ix_crm_order_line_shop_id_shopify_variant_id")
        batch_op.drop_index("ix_crm_order_line_order_id")

    op.drop_table("crm_order_line")
    with op.batch_alter_table("crm_timeline_event", schema=None) as batch_op:
        batch_op.drop_index("ix_crm_timeline_event_subject")
        batch_op.drop_index("ix_crm_timeline_event_customer_feed")
        batch_op.drop_index("ix_crm_timeline_event_company_feed")

    op.drop_table("crm_timeline_event")
    with op.batch_alter_table("crm_order", schema=None) as batch_op:
        batch_op.drop_index("ix_crm_order_shop_id_processed_at")
        batch_op.drop_index("ix_crm_order_shop_id_email")
        batch_op.drop_index("ix_crm_order_shop_id_customer_id_processed_at")
        batch_op.drop_index("ix_crm_order_shop_id_company_id_processed_at")

    op.drop_table("crm_order")
    with op.batch_alter_table("crm_customer_tag", schema=None) as batch_op:
        batch_op.drop_index("ix_crm_customer_tag_shop_id_tag")

    op.drop_table("crm_customer_tag")
    with op.batch_alter_table("crm_company_contact", schema=None) as batch_op:
        batch_op.drop_index("ix_crm_company_contact_customer_id")
        batch_op.drop_index("ix_crm_company_contact_company_id")

    op.drop_table("crm_company_contact")
    with op.batch_alter_table("crm_variant", schema=None) as batch_op:
        batch_op.drop_index("ix_crm_variant_shop_id_sku")
        batch_op.drop_index("ix_crm_variant_product_id")

    op.drop_table("crm_variant")
    with op.batch_alter_table("crm_customer", schema=None) as batch_op:
        batch_op.drop_index("ix_crm_customer_shop_id_last_name")
        batch_op.drop_index("ix_crm_customer_shop_id_email")
        batch_op.drop_index("ix_crm_customer_company_id")

    op.drop_table("crm_customer")
    with op.batch_alter_table("crm_company_location", schema=None) as batch_op:
        batch_op.drop_index("ix_crm_company_location_company_id")

    op.drop_table("crm_company_location")
    with op.batch_alter_table("crm_product", schema=None) as batch_op:
        batch_op.drop_index("ix_crm_product_shop_id_title")

    op.drop_table("crm_product")
    with op.batch_alter_table("crm_company", schema=None) as batch_op:
        batch_op.drop_index("ix_crm_company_shop_id_name")

    op.drop_table("crm_company")
    # PostgreSQL keeps enum types after their tables are gone.
    bind = op.get_bind()
    for name in (
        "crm_subject_type",
        "crm_fulfillment_status",
        "crm_financial_status",
        "crm_product_status",
        "crm_marketing_state",
        "crm_customer_state",
    ):
        sa.Enum(name=name).drop(bind, checkfirst=True)
