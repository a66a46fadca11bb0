"""The shapes of the demo catalog: products and their case-pack variants, and the vendors."""

from __future__ import annotations

from typing import NamedTuple


class VariantSpec(NamedTuple):
    title: str
    sku_suffix: str
    price: str
    compare_at_price: str | None
    increment: int


class ProductSpec(NamedTuple):
    category: str
    title: str
    sku_prefix: str
    vendor: str
    product_type: str
    tags: str
    variants: tuple[VariantSpec, ...]


def _v(title: str, suffix: str, price: str, increment: int = 1, compare_at: str | None = None) -> VariantSpec:
    return VariantSpec(title, suffix, price, compare_at, increment)


ROASTER = "Prairie Roasting Co."
TEA = "Leaf & Kettle Tea"
PACKAGING = "EcoServe Packaging"
BAR = "Barline Supply"
SYRUPS = "Sweetwater Syrups"
