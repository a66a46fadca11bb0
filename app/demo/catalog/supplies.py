"""The demo's supplies: packaging, and bar and kitchen equipment."""

from __future__ import annotations

from app.demo.catalog.specs import BAR, PACKAGING, ProductSpec, _v

PACKAGING_PRODUCTS: tuple[ProductSpec, ...] = (
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
)

KITCHEN_PRODUCTS: tuple[ProductSpec, ...] = (
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
)
