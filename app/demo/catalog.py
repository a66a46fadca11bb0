"""The demo's wholesale catalog: coffee, tea, packaging, bar and kitchen supplies, syrups, sold in case packs.

Prices are wholesale list prices in USD; `increment` is the quantity a B2B buyer orders in
(e.g. sleeves of cups in multiples of 20), which the generator respects.
"""

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

CATALOG: tuple[ProductSpec, ...] = (
    ProductSpec(
        "coffee",
        "House Espresso Blend",
        "COF-ESP",
        ROASTER,
        "Coffee",
        "coffee, espresso, bestseller",
        (
            _v("5 lb bag", "5LB", "58.00"),
            _v("Case of 6 x 2 lb", "C6X2LB", "138.00"),
            _v("Case of 12 x 12 oz", "C12X12OZ", "118.80", compare_at="155.40"),
        ),
    ),
    ProductSpec(
        "coffee",
        "Colombia Huila Single Origin",
        "COF-COL",
        ROASTER,
        "Coffee",
        "coffee, single origin",
        (
            _v("1 lb sample", "1LB", "15.50"),
            _v("2 lb bag", "2LB", "29.00"),
            _v("5 lb bag", "5LB", "64.50"),
            _v("Case of 12 x 12 oz", "C12X12OZ", "129.00"),
            _v("Case of 6 x 5 lb", "C6X5LB", "372.00"),
        ),
    ),
    ProductSpec(
        "coffee",
        "Ethiopia Yirgacheffe",
        "COF-ETH",
        ROASTER,
        "Coffee",
        "coffee, single origin",
        (
            _v("1 lb sample", "1LB", "16.50"),
            _v("5 lb bag", "5LB", "71.00"),
            _v("Case of 12 x 12 oz", "C12X12OZ", "138.00"),
        ),
    ),
    ProductSpec(
        "coffee",
        "Guatemala Antigua",
        "COF-GUA",
        ROASTER,
        "Coffee",
        "coffee, single origin",
        (
            _v("5 lb bag", "5LB", "62.00"),
            _v("Case of 12 x 12 oz", "C12X12OZ", "124.80"),
        ),
    ),
    ProductSpec(
        "coffee",
        "Sumatra Mandheling",
        "COF-SUM",
        ROASTER,
        "Coffee",
        "coffee, single origin",
        (
            _v("5 lb bag", "5LB", "63.00"),
            _v("Case of 12 x 12 oz", "C12X12OZ", "126.00"),
        ),
    ),
    ProductSpec(
        "coffee",
        "Breakfast Blend",
        "COF-BRK",
        ROASTER,
        "Coffee",
        "coffee, blend",
        (
            _v("5 lb bag", "5LB", "52.00"),
            _v("Case of 6 x 2 lb", "C6X2LB", "124.00"),
            _v("Case of 12 x 12 oz", "C12X12OZ", "108.00"),
        ),
    ),
    ProductSpec(
        "coffee",
        "Swiss Water Decaf",
        "COF-DEC",
        ROASTER,
        "Coffee",
        "coffee, decaf",
        (
            _v("5 lb bag", "5LB", "66.00"),
            _v("Case of 12 x 12 oz", "C12X12OZ", "132.00"),
        ),
    ),
    ProductSpec(
        "coffee",
        "Cold Brew Coarse Grind",
        "COF-CBR",
        ROASTER,
        "Coffee",
        "coffee, cold brew, seasonal",
        (
            _v("5 lb bag", "5LB", "55.00"),
            _v("Case of 4 x 5 lb", "C4X5LB", "208.00"),
            _v("Filter packs, case of 24", "FP24", "96.00"),
        ),
    ),
    ProductSpec(
        "coffee",
        "French Roast",
        "COF-FRR",
        ROASTER,
        "Coffee",
        "coffee, blend",
        (
            _v("5 lb bag", "5LB", "54.00"),
            _v("Case of 6 x 2 lb", "C6X2LB", "128.00"),
        ),
    ),
    ProductSpec(
        "coffee",
        "Pour-over Coffee Packs",
        "COF-POP",
        ROASTER,
        "Coffee",
        "coffee, single serve",
        (
            _v("Box of 50", "B50", "42.50", increment=2),
            _v("Case of 10 boxes", "C10", "395.00"),
        ),
    ),
    ProductSpec(
        "tea",
        "Earl Grey Supreme",
        "TEA-EGS",
        TEA,
        "Tea",
        "tea, black tea, bestseller",
        (
            _v("1 lb loose", "1LB", "24.00"),
            _v("Case of 6 x 1 lb", "C6X1LB", "132.00"),
            _v("100 pyramid sachets", "S100", "28.50"),
            _v("Case of 10 x 100 sachets", "C10S100", "265.00"),
        ),
    ),
    ProductSpec(
        "tea",
        "Sencha Green",
        "TEA-SEN",
        TEA,
        "Tea",
        "tea, green tea",
        (
            _v("1 lb loose", "1LB", "29.00"),
            _v("Case of 6 x 1 lb", "C6X1LB", "160.00"),
            _v("100 pyramid sachets", "S100", "31.00"),
        ),
    ),
    ProductSpec(
        "tea",
        "Chamomile Blossom",
        "TEA-CHA",
        TEA,
        "Tea",
        "tea, herbal",
        (
            _v("1 lb loose", "1LB", "26.00"),
            _v("100 pyramid sachets", "S100", "27.00"),
            _v("Case of 10 x 100 sachets", "C10S100", "250.00"),
        ),
    ),
    ProductSpec(
        "tea",
        "English Breakfast",
        "TEA-ENG",
        TEA,
        "Tea",
        "tea, black tea",
        (
            _v("1 lb loose", "1LB", "21.00"),
            _v("Case of 6 x 1 lb", "C6X1LB", "115.00"),
            _v("100 pyramid sachets", "S100", "24.00"),
            _v("Case of 10 x 100 sachets", "C10S100", "225.00"),
        ),
    ),
    ProductSpec(
        "tea",
        "Masala Chai Concentrate 32 oz",
        "TEA-CHC",
        TEA,
        "Tea",
        "tea, chai, concentrate",
        (
            _v("Carton", "EA", "7.40", increment=6),
            _v("Case of 6", "C6", "41.50"),
            _v("Case of 12", "C12", "79.00"),
        ),
    ),
    ProductSpec(
        "tea",
        "Jasmine Pearls",
        "TEA-JAS",
        TEA,
        "Tea",
        "tea, green tea, premium",
        (
            _v("1 lb loose", "1LB", "38.00"),
            _v("Case of 6 x 1 lb", "C6X1LB", "212.00"),
        ),
    ),
    ProductSpec(
        "tea",
        "Matcha Ceremonial Grade",
        "TEA-MAT",
        TEA,
        "Tea",
        "tea, matcha, premium",
        (
            _v("100 g tin", "100G", "24.00", increment=6, compare_at="32.00"),
            _v("1 kg bag", "1KG", "165.00"),
        ),
    ),
    ProductSpec(
        "packaging",
        "Double-Wall Hot Cups 12 oz",
        "PKG-HC12",
        PACKAGING,
        "Packaging",
        "cups, compostable",
        (
            _v("Sleeve of 25", "SL25", "4.60", increment=20),
            _v("Case of 500", "C500", "86.00"),
            _v("Case of 1,000", "C1000", "158.00"),
        ),
    ),
    ProductSpec(
        "packaging",
        "Double-Wall Hot Cups 16 oz",
        "PKG-HC16",
        PACKAGING,
        "Packaging",
        "cups, compostable",
        (
            _v("Sleeve of 25", "SL25", "5.10", increment=20),
            _v("Case of 500", "C500", "94.00"),
            _v("Case of 1,000", "C1000", "174.00"),
        ),
    ),
    ProductSpec(
        "packaging",
        "Sip-Through Lids 12-16 oz",
        "PKG-LID",
        PACKAGING,
        "Packaging",
        "lids",
        (
            _v("Sleeve of 100", "SL100", "6.20", increment=10),
            _v("Case of 1,000", "C1000", "54.00"),
        ),
    ),
    ProductSpec(
        "packaging",
        "Compostable Cold Cups 20 oz",
        "PKG-CC20",
        PACKAGING,
        "Packaging",
        "cups, compostable",
        (
            _v("Sleeve of 50", "SL50", "7.90", increment=10),
            _v("Case of 1,000", "C1000", "132.00"),
        ),
    ),
    ProductSpec(
        "packaging",
        "Strawless Cold Cup Lids",
        "PKG-SCL",
        PACKAGING,
        "Packaging",
        "lids",
        (
            _v("Sleeve of 100", "SL100", "6.80", increment=10),
            _v("Case of 1,000", "C1000", "59.00"),
        ),
    ),
    ProductSpec(
        "packaging",
        "Kraft Cup Sleeves",
        "PKG-SLV",
        PACKAGING,
        "Packaging",
        "sleeves, recycled",
        (
            _v("Pack of 100", "P100", "5.50", increment=6),
            _v("Case of 1,200", "C1200", "58.00"),
        ),
    ),
    ProductSpec(
        "packaging",
        "Kraft Coffee Bags with Valve 12 oz",
        "PKG-BAG",
        PACKAGING,
        "Packaging",
        "bags",
        (
            _v("Pack of 50", "P50", "21.00", increment=2),
            _v("Case of 500", "C500", "186.00"),
        ),
    ),
    ProductSpec(
        "packaging",
        "Molded Fiber Carrier Trays",
        "PKG-TRY",
        PACKAGING,
        "Packaging",
        "carriers",
        (
            _v("Case of 300", "C300", "46.00"),
            _v("Case of 600", "C600", "86.00"),
        ),
    ),
    ProductSpec(
        "packaging",
        "Wrapped Paper Straws",
        "PKG-STR",
        PACKAGING,
        "Packaging",
        "straws, compostable",
        (
            _v("Box of 500", "B500", "17.50", increment=2),
            _v("Case of 3,000", "C3000", "92.00"),
        ),
    ),
    ProductSpec(
        "kitchen",
        "Stainless Milk Pitcher 20 oz",
        "BAR-PIT",
        BAR,
        "Bar & kitchen",
        "barware",
        (
            _v("Each", "EA", "14.50", increment=2),
            _v("Case of 6", "C6", "79.00"),
            _v("Case of 12", "C12", "148.00"),
        ),
    ),
    ProductSpec(
        "kitchen",
        "Espresso Tamper 58 mm",
        "BAR-TMP",
        BAR,
        "Bar & kitchen",
        "barware",
        (
            _v("Each", "EA", "39.00"),
            _v("Case of 6", "C6", "210.00"),
        ),
    ),
    ProductSpec(
        "kitchen",
        "Knock Box",
        "BAR-KNB",
        BAR,
        "Bar & kitchen",
        "barware",
        (
            _v("Each", "EA", "34.00"),
            _v("Case of 4", "C4", "124.00"),
        ),
    ),
    ProductSpec(
        "kitchen",
        "Barista Scale 0.1 g",
        "BAR-SCL",
        BAR,
        "Bar & kitchen",
        "barware, scales",
        (
            _v("Each", "EA", "42.00", compare_at="54.00"),
            _v("Case of 6", "C6", "228.00"),
        ),
    ),
    ProductSpec(
        "kitchen",
        "Espresso Machine Cleaning Tablets",
        "BAR-CLN",
        BAR,
        "Bar & kitchen",
        "cleaning",
        (
            _v("Tub of 100", "T100", "24.00", increment=2),
            _v("Case of 12 tubs", "C12", "252.00"),
        ),
    ),
    ProductSpec(
        "kitchen",
        "Group Head Cleaning Brush",
        "BAR-BRS",
        BAR,
        "Bar & kitchen",
        "cleaning",
        (
            _v("Each", "EA", "6.50", increment=6),
            _v("Case of 24", "C24", "132.00"),
        ),
    ),
    ProductSpec(
        "kitchen",
        "Syrup Pump 10 ml",
        "BAR-PMP",
        BAR,
        "Bar & kitchen",
        "barware",
        (
            _v("Each", "EA", "3.20", increment=12),
            _v("Case of 48", "C48", "132.00"),
        ),
    ),
    ProductSpec(
        "kitchen",
        "Microfiber Bar Towels",
        "BAR-TWL",
        BAR,
        "Bar & kitchen",
        "cleaning",
        (
            _v("Pack of 12", "P12", "14.00", increment=2),
            _v("Case of 120", "C120", "118.00"),
        ),
    ),
    ProductSpec(
        "kitchen",
        "Milk Frothing Thermometer",
        "BAR-THM",
        BAR,
        "Bar & kitchen",
        "barware",
        (
            _v("Each", "EA", "8.90", increment=6),
            _v("Case of 24", "C24", "186.00"),
        ),
    ),
    ProductSpec(
        "syrups",
        "Vanilla Syrup 750 ml",
        "SYR-VAN",
        SYRUPS,
        "Syrups & milk",
        "syrup, bestseller",
        (
            _v("Bottle", "EA", "7.25", increment=6),
            _v("Case of 12", "C12", "81.00"),
        ),
    ),
    ProductSpec(
        "syrups",
        "Caramel Syrup 750 ml",
        "SYR-CAR",
        SYRUPS,
        "Syrups & milk",
        "syrup",
        (
            _v("Bottle", "EA", "7.25", increment=6),
            _v("Case of 12", "C12", "81.00"),
        ),
    ),
    ProductSpec(
        "syrups",
        "Hazelnut Syrup 750 ml",
        "SYR-HAZ",
        SYRUPS,
        "Syrups & milk",
        "syrup",
        (
            _v("Bottle", "EA", "7.25", increment=6),
            _v("Case of 12", "C12", "81.00"),
        ),
    ),
    ProductSpec(
        "syrups",
        "Oat Milk Barista Edition 32 oz",
        "MLK-OAT",
        SYRUPS,
        "Syrups & milk",
        "milk, plant based",
        (
            _v("Carton", "EA", "3.95", increment=12),
            _v("Case of 12", "C12", "44.50"),
            _v("Pallet tier, 8 cases", "T8", "340.00"),
        ),
    ),
    ProductSpec(
        "syrups",
        "Almond Milk Barista 32 oz",
        "MLK-ALM",
        SYRUPS,
        "Syrups & milk",
        "milk, plant based",
        (
            _v("Carton", "EA", "3.75", increment=12),
            _v("Case of 12", "C12", "42.00"),
        ),
    ),
    ProductSpec(
        "syrups",
        "Dutch Cocoa Powder 5 lb",
        "SYR-COC",
        SYRUPS,
        "Syrups & milk",
        "cocoa",
        (
            _v("Bag", "EA", "32.00"),
            _v("Case of 4", "C4", "118.00"),
        ),
    ),
)
