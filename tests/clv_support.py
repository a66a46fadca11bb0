"""The CDNOW data set (Fader, Hardie & Lee 2005) as shipped inside the `lifetimes` wheel.

The package is only a data carrier here: its files are read without importing it (its import
pulls autograd and breaks on recent setuptools), per LIBRARIES.md.
"""

from __future__ import annotations

import csv
import importlib.util
from pathlib import Path


def cdnow_dir() -> Path:
    spec = importlib.util.find_spec("lifetimes")
    assert spec is not None and spec.submodule_search_locations, "pip install -e '.[dev]' (Lifetimes)"
    return Path(next(iter(spec.submodule_search_locations))) / "datasets"


def cdnow_summary_csv(tmp_path: Path) -> Path:
    """The 2,357-customer CDNOW summary in `tradeline clv fit`'s format (time unit: weeks)."""
    source = cdnow_dir() / "cdnow_customers_summary_with_transactions.csv"
    target = tmp_path / "cdnow.csv"
    with source.open(newline="") as src, target.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["customer_id", "frequency", "recency", "T", "monetary_value"])
        for row in csv.DictReader(src):
            writer.writerow([row["ID"], row["x"], row["t_x"], row["T"], row["zbar"]])
    return target
