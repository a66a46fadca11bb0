"""The demo's wholesale catalog: coffee, tea, packaging, bar and kitchen supplies, syrups, sold in case packs.

Prices are wholesale list prices in USD; `increment` is the quantity a B2B buyer orders in
(e.g. sleeves of cups in multiples of 20), which the generator respects.

The products are defined by category in app.demo.catalog.drinks and app.demo.catalog.supplies.
"""

from __future__ import annotations

from app.demo.catalog.drinks import COFFEE_PRODUCTS, SYRUP_PRODUCTS, TEA_PRODUCTS
from app.demo.catalog.specs import ProductSpec, VariantSpec
from app.demo.catalog.supplies import KITCHEN_PRODUCTS, PACKAGING_PRODUCTS

CATALOG: tuple[ProductSpec, ...] = (
    *COFFEE_PRODUCTS,
    *TEA_PRODUCTS,
    *PACKAGING_PRODUCTS,
    *KITCHEN_PRODUCTS,
    *SYRUP_PRODUCTS,
)

__all__ = ["CATALOG", "ProductSpec", "VariantSpec"]
