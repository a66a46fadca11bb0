"""create pricing lists, entries, adjustments, tiers, quantity rules, assignments, publications, collections

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22 17:51:11.858895
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import app.db

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pricing_collection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("shopify_id", sa.BigInteger(), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=True),
        sa.Column("handle", sa.String(length=255), nullable=True),
        sa.Column("synced_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["shop_id"],
            ["app_shop.id"],
            name=op.f("fk_pricing_collection_shop_id_app_shop"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pricing_collection")),
        sa.UniqueConstraint("shop_id", "shopify_id", name=op.f("uq_pricing_collection_shop_id_shopify_id")),
    )
    op.create_table(
        "pricing_collection_product",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("collection_shopify_id", sa.BigInteger(), nullable=False),
        sa.Column("product_shopify_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["shop_id"],
            ["app_shop.id"],
            name=op.f("fk_pricing_collection_product_shop_id_app_shop"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pricing_collection_product")),
        sa.UniqueConstraint(
            "shop_id",
            "collection_shopify_id",
            "product_shopify_id",
            name=op.f("uq_pricing_collection_product_shop_id_collection_shopify_id_product_shopify_id"),
        ),
    )
    with op.batch_alter_table("pricing_collection_product", schema=None) as batch_op:
        batch_op.create_index(
            "ix_pricing_collection_product_product", ["shop_id", "product_shopify_id"], unique=False
        )

    op.create_table(
        "pricing_price_list",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column(
            "status", sa.Enum("draft", "active", "archived", name="pricing_price_list_status"), nullable=False
        ),
        sa.Column(
            "starts_at", app.db.UTCDateTime(timezone=True), nullable=True, comment="NULL = from activation"
        ),
        sa.Column("ends_at", app.db.UTCDateTime(timezone=True), nullable=True, comment="NULL = open-ended"),
        sa.Column(
            "priority", sa.Integer(), nullable=False, comment="higher wins under 'priority' precedence"
        ),
        sa.Column("base", sa.Enum("retail", "compare_at", name="pricing_price_base"), nullable=False),
        sa.Column(
            "order_minimum",
            sa.Numeric(precision=18, scale=4),
            nullable=True,
            comment="minimum subtotal of its lines",
        ),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["shop_id"],
            ["app_shop.id"],
            name=op.f("fk_pricing_price_list_shop_id_app_shop"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pricing_price_list")),
        sa.UniqueConstraint("shop_id", "name", name=op.f("uq_pricing_price_list_shop_id_name")),
    )
    with op.batch_alter_table("pricing_price_list", schema=None) as batch_op:
        batch_op.create_index("ix_pricing_price_list_shop_id_status", ["shop_id", "status"], unique=False)

    op.create_table(
        "pricing_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column(
            "precedence", sa.Enum("lowest_price", "priority", name="pricing_precedence"), nullable=False
        ),
        sa.Column("updated_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["shop_id"],
            ["app_shop.id"],
            name=op.f("fk_pricing_settings_shop_id_app_shop"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pricing_settings")),
        sa.UniqueConstraint("shop_id", name=op.f("uq_pricing_settings_shop_id")),
    )
    op.create_table(
        "pricing_adjustment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("price_list_id", sa.Integer(), nullable=False),
        sa.Column(
            "scope",
            sa.Enum("all", "collection", "product", "variant", name="pricing_adjustment_scope"),
            nullable=False,
        ),
        sa.Column(
            "scope_shopify_id",
            sa.BigInteger(),
            nullable=True,
            comment="Shopify id of the collection/product/variant; NULL for 'all'",
        ),
        sa.Column(
            "percent",
            sa.Numeric(precision=7, scale=4),
            nullable=False,
            comment="signed: -15 = 15 % off, 10 = 10 % up",
        ),
        sa.ForeignKeyConstraint(
            ["price_list_id"],
            ["pricing_price_list.id"],
            name=op.f("fk_pricing_adjustment_price_list_id_pricing_price_list"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["shop_id"],
            ["app_shop.id"],
            name=op.f("fk_pricing_adjustment_shop_id_app_shop"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pricing_adjustment")),
        sa.UniqueConstraint(
            "price_list_id",
            "scope",
            "scope_shopify_id",
            name=op.f("uq_pricing_adjustment_price_list_id_scope_scope_shopify_id"),
        ),
    )
    with op.batch_alter_table("pricing_adjustment", schema=None) as batch_op:
        batch_op.create_index("ix_pricing_adjustment_shop_id", ["shop_id"], unique=False)

    op.create_table(
        "pricing_publication",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("price_list_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("queued", "running", "succeeded", "failed", "unsupported", name="pricing_publish_status"),
            nullable=False,
        ),
        sa.Column("shopify_catalog_id", sa.String(length=255), nullable=True, comment="Catalog GID"),
        sa.Column("shopify_price_list_id", sa.String(length=255), nullable=True, comment="PriceList GID"),
        sa.Column("done", sa.Integer(), nullable=False, comment="items sent in this run"),
        sa.Column("total", sa.Integer(), nullable=False, comment="items to send in this run"),
        sa.Column(
            "unsupported",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
            comment="rules Shopify cannot express: [{rule, detail}]",
        ),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("started_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["price_list_id"],
            ["pricing_price_list.id"],
            name=op.f("fk_pricing_publication_price_list_id_pricing_price_list"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["shop_id"],
            ["app_shop.id"],
            name=op.f("fk_pricing_publication_shop_id_app_shop"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pricing_publication")),
        sa.UniqueConstraint("price_list_id", name=op.f("uq_pricing_publication_price_list_id")),
    )
    with op.batch_alter_table("pricing_publication", schema=None) as batch_op:
        batch_op.create_index("ix_pricing_publication_shop_id", ["shop_id"], unique=False)

    op.create_table(
        "pricing_assignment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("price_list_id", sa.Integer(), nullable=False),
        sa.Column(
            "target",
            sa.Enum(
                "company_location",
                "company",
                "customer",
                "customer_tag",
                "segment",
                "default",
                name="pricing_assignment_target",
            ),
            nullable=False,
        ),
        sa.Column("company_location_id", sa.Integer(), nullable=True),
        sa.Column("company_id", sa.Integer(), nullable=True),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("customer_tag", sa.String(length=255), nullable=True, comment="matched case-insensitively"),
        sa.Column("segment_id", sa.Integer(), nullable=True, comment="a segments/ segment id"),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["crm_company.id"],
            name=op.f("fk_pricing_assignment_company_id_crm_company"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["company_location_id"],
            ["crm_company_location.id"],
            name=op.f("fk_pricing_assignment_company_location_id_crm_company_location"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["crm_customer.id"],
            name=op.f("fk_pricing_assignment_customer_id_crm_customer"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["price_list_id"],
            ["pricing_price_list.id"],
            name=op.f("fk_pricing_assignment_price_list_id_pricing_price_list"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["shop_id"],
            ["app_shop.id"],
            name=op.f("fk_pricing_assignment_shop_id_app_shop"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pricing_assignment")),
    )
    with op.batch_alter_table("pricing_assignment", schema=None) as batch_op:
        batch_op.create_index("ix_pricing_assignment_company_id", ["company_id"], unique=False)
        batch_op.create_index(
            "ix_pricing_assignment_company_location_id", ["company_location_id"], unique=False
        )
        batch_op.create_index("ix_pricing_assignment_customer_id", ["customer_id"], unique=False)
        batch_op.create_index("ix_pricing_assignment_price_list_id", ["price_list_id"], unique=False)
        batch_op.create_index("ix_pricing_assignment_shop_id_target", ["shop_id", "target"], unique=False)

    op.create_table(
        "pricing_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("price_list_id", sa.Integer(), nullable=False),
        sa.Column("variant_id", sa.Integer(), nullable=False),
        sa.Column("price", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column(
            "compare_at_price",
            sa.Numeric(precision=18, scale=4),
            nullable=True,
            comment="shown struck through",
        ),
        sa.Column("updated_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["price_list_id"],
            ["pricing_price_list.id"],
            name=op.f("fk_pricing_entry_price_list_id_pricing_price_list"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["app_shop.id"], name=op.f("fk_pricing_entry_shop_id_app_shop"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["variant_id"],
            ["crm_variant.id"],
            name=op.f("fk_pricing_entry_variant_id_crm_variant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pricing_entry")),
        sa.UniqueConstraint(
            "price_list_id", "variant_id", name=op.f("uq_pricing_entry_price_list_id_variant_id")
        ),
    )
    with op.batch_alter_table("pricing_entry", schema=None) as batch_op:
        batch_op.create_index("ix_pricing_entry_shop_id_variant_id", ["shop_id", "variant_id"], unique=False)
        batch_op.create_index("ix_pricing_entry_variant_id", ["variant_id"], unique=False)

    op.create_table(
        "pricing_quantity_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("price_list_id", sa.Integer(), nullable=False),
        sa.Column("variant_id", sa.Integer(), nullable=True, comment="NULL = every variant of the list"),
        sa.Column("minimum", sa.Integer(), nullable=False),
        sa.Column("maximum", sa.Integer(), nullable=True, comment="NULL = no maximum"),
        sa.Column("increment", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["price_list_id"],
            ["pricing_price_list.id"],
            name=op.f("fk_pricing_quantity_rule_price_list_id_pricing_price_list"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["shop_id"],
            ["app_shop.id"],
            name=op.f("fk_pricing_quantity_rule_shop_id_app_shop"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["variant_id"],
            ["crm_variant.id"],
            name=op.f("fk_pricing_quantity_rule_variant_id_crm_variant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pricing_quantity_rule")),
        sa.UniqueConstraint(
            "price_list_id", "variant_id", name=op.f("uq_pricing_quantity_rule_price_list_id_variant_id")
        ),
    )
    with op.batch_alter_table("pricing_quantity_rule", schema=None) as batch_op:
        batch_op.create_index("ix_pricing_quantity_rule_shop_id", ["shop_id"], unique=False)
        batch_op.create_index("ix_pricing_quantity_rule_variant_id", ["variant_id"], unique=False)

    op.create_table(
        "pricing_tier",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("price_list_id", sa.Integer(), nullable=False),
        sa.Column("variant_id", sa.Integer(), nullable=True, comment="NULL = every variant of the list"),
        sa.Column("min_quantity", sa.Integer(), nullable=False),
        sa.Column("kind", sa.Enum("fixed", "percent_off", name="pricing_tier_kind"), nullable=False),
        sa.Column(
            "value",
            sa.Numeric(precision=18, scale=4),
            nullable=False,
            comment="a unit price (fixed) or percent points (percent_off)",
        ),
        sa.ForeignKeyConstraint(
            ["price_list_id"],
            ["pricing_price_list.id"],
            name=op.f("fk_pricing_tier_price_list_id_pricing_price_list"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["app_shop.id"], name=op.f("fk_pricing_tier_shop_id_app_shop"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["variant_id"],
            ["crm_variant.id"],
            name=op.f("fk_pricing_tier_variant_id_crm_variant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pricing_tier")),
        sa.UniqueConstraint(
            "price_list_id",
            "variant_id",
            "min_quantity",
            name=op.f("uq_pricing_tier_price_list_id_variant_id_min_quantity"),
        ),
    )
    with op.batch_alter_table("pricing_tier", schema=None) as batch_op:
        batch_op.create_index("ix_pricing_tier_shop_id", ["shop_id"], unique=False)
        batch_op.create_index("ix_pricing_tier_variant_id", ["variant_id"], unique=False)

    # ### end Alembic commands ###


def downgrade() -> None:
    with op.batch_alter_table("pricing_tier", schema=None) as batch_op:
        batch_op.drop_index("ix_pricing_tier_variant_id")
        batch_op.drop_index("ix_pricing_tier_shop_id")

    op.drop_table("pricing_tier")
    with op.batch_alter_table("pricing_quantity_rule", schema=None) as batch_op:
        batch_op.drop_index("ix_pricing_quantity_rule_variant_id")
        batch_op.drop_index("ix_pricing_quantity_rule_shop_id")

    op.drop_table("pricing_quantity_rule")
    with op.batch_alter_table("pricing_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_pricing_entry_variant_id")
        batch_op.drop_index("ix_pricing_entry_shop_id_variant_id")

    op.drop_table("pricing_entry")
    with op.batch_alter_table("pricing_assignment", schema=None) as batch_op:
        batch_op.drop_index("ix_pricing_assignment_shop_id_target")
        batch_op.drop_index("ix_pricing_assignment_price_list_id")
        batch_op.drop_index("ix_pricing_assignment_customer_id")
        batch_op.drop_index("ix_pricing_assignment_company_location_id")
        batch_op.drop_index("ix_pricing_assignment_company_id")

    op.drop_table("pricing_assignment")
    with op.batch_alter_table("pricing_publication", schema=None) as batch_op:
        batch_op.drop_index("ix_pricing_publication_shop_id")

    op.drop_table("pricing_publication")
    with op.batch_alter_table("pricing_adjustment", schema=None) as batch_op:
        batch_op.drop_index("ix_pricing_adjustment_shop_id")

    op.drop_table("pricing_adjustment")
    op.drop_table("pricing_settings")
    with op.batch_alter_table("pricing_price_list", schema=None) as batch_op:
        batch_op.drop_index("ix_pricing_price_list_shop_id_status")

    op.drop_table("pricing_price_list")
    with op.batch_alter_table("pricing_collection_product", schema=None) as batch_op:
        batch_op.drop_index("ix_pricing_collection_product_product")

    op.drop_table("pricing_collection_product")
    op.drop_table("pricing_collection")
    # PostgreSQL keeps enum types after their tables are gone.
    bind = op.get_bind()
    for name in (
        "pricing_precedence",
        "pricing_price_list_status",
        "pricing_price_base",
        "pricing_adjustment_scope",
        "pricing_tier_kind",
        "pricing_assignment_target",
        "pricing_publish_status",
    ):
        sa.Enum(name=name).drop(bind, checkfirst=True)
