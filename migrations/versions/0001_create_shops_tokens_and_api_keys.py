"""create shops tokens and api keys

Revision ID: 0001
Revises:
Create Date: 2026-11-22 14:36:36.206858
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import app.db

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "app_shop",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("domain", sa.String(length=255), nullable=False, comment="the myshopify domain"),
        sa.Column("shopify_id", sa.BigInteger(), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("plan", sa.String(length=64), nullable=True, comment="Shopify plan name"),
        sa.Column("currency", sa.String(length=3), nullable=False, comment="ISO 4217 code"),
        sa.Column("timezone", sa.String(length=64), nullable=False, comment="IANA zone name"),
        sa.Column("scopes", sa.Text(), nullable=False, comment="granted scopes, comma separated"),
        sa.Column("installed_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("uninstalled_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app_shop")),
        sa.UniqueConstraint("domain", name=op.f("uq_app_shop_domain")),
    )
    op.create_table(
        "app_api_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False, comment="public part, for lookup"),
        sa.Column("digest", sa.String(length=64), nullable=False, comment="hex SHA-256 of the whole key"),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["shop_id"],
            ["app_shop.id"],
            name=op.f("fk_app_api_key_shop_id_app_shop"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app_api_key")),
        sa.UniqueConstraint("prefix", name=op.f("uq_app_api_key_prefix")),
    )
    with op.batch_alter_table("app_api_key", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_app_api_key_shop_id"), ["shop_id"], unique=False)

    op.create_table(
        "app_shop_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("access_mode", sa.Enum("offline", "online", name="app_access_mode"), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False, comment="Shopify staff id; 0 = offline"),
        sa.Column("access_token_enc", sa.Text(), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("expires_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("refresh_token_enc", sa.Text(), nullable=True),
        sa.Column("refresh_token_expires_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("user_email", sa.String(length=320), nullable=True),
        sa.Column("user_name", sa.String(length=255), nullable=True),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["shop_id"],
            ["app_shop.id"],
            name=op.f("fk_app_shop_token_shop_id_app_shop"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app_shop_token")),
        sa.UniqueConstraint(
            "shop_id",
            "access_mode",
            "user_id",
            name=op.f("uq_app_shop_token_shop_id_access_mode_user_id"),
        ),
    )


def downgrade() -> None:
    op.drop_table("app_shop_token")
    with op.batch_alter_table("app_api_key", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_app_api_key_shop_id"))

    op.drop_table("app_api_key")
    op.drop_table("app_shop")
    # PostgreSQL keeps enum types after their table is gone.
    sa.Enum(name="app_access_mode").drop(op.get_bind(), checkfirst=True)
