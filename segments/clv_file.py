"""Read a customer summary CSV for `tradeline clv fit`: customer_id,frequency,recency,T[,monetary_value]."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from typing import IO

import numpy as np

from segments.clv import FloatArray

REQUIRED = ("customer_id", "frequency", "recency", "T")
OPTIONAL = ("monetary_value",)


class SummaryFileError(ValueError):
    """The file is not a customer summary; the message names the line and the column."""


@dataclass(frozen=True)
class Summary:
    frequency: FloatArray
    recency: FloatArray
    age: FloatArray
    monetary: FloatArray | None


def _number(text: str, line: int, column: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise SummaryFileError(f"line {line}: {column} {text!r} is not a number") from None
    if not np.isfinite(value):
        raise SummaryFileError(f"line {line}: {column} {text!r} is not a finite number")
    return value


def read_summary(stream: IO[str]) -> Summary:
    """Parse and check every row; the first bad row stops the read with its line number."""
    reader = csv.reader(stream)
    header = next(reader, None)
    if header is None:
        raise SummaryFileError("the file is empty")
    names = [name.strip() for name in header]
    missing = [name for name in REQUIRED if name not in names]
    if missing:
        raise SummaryFileError(
            f"line 1: missing column(s) {', '.join(missing)}; expected {','.join(REQUIRED)}[,monetary_value]"
        )
    unknown = [name for name in names if name not in REQUIRED + OPTIONAL]
    if unknown:
        raise SummaryFileError(f"line 1: unknown column(s) {', '.join(unknown)}")
    index = {name: names.index(name) for name in names}
    has_money = "monetary_value" in index
    frequency: list[float] = []
    recency: list[float] = []
    age: list[float] = []
    monetary: list[float] = []
    for line, row in enumerate(reader, start=2):
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) != len(names):
            raise SummaryFileError(f"line {line}: {len(row)} fields, the header has {len(names)}")
        x = _number(row[index["frequency"]], line, "frequency")
        t_x = _number(row[index["recency"]], line, "recency")
        big_t = _number(row[index["T"]], line, "T")
        if x < 0 or x != int(x):
            raise SummaryFileError(f"line {line}: frequency must be a whole number >= 0, not {x:g}")
        if not 0 <= t_x <= big_t:
            raise SummaryFileError(f"line {line}: recency {t_x:g} must lie between 0 and T ({big_t:g})")
        if x == 0 and t_x != 0:
            raise SummaryFileError(f"line {line}: recency must be 0 for a customer with frequency 0")
        frequency.append(x)
        recency.append(t_x)
        age.append(big_t)
        if has_money:
            value = _number(row[index["monetary_value"]], line, "monetary_value")
            if value < 0:
                raise SummaryFileError(f"line {line}: monetary_value {value:g} is negative")
            monetary.append(value)
    if not frequency:
        raise SummaryFileError("the file has a header but no customers")
    return Summary(
        frequency=np.array(frequency),
        recency=np.array(recency),
        age=np.array(age),
        monetary=np.array(monetary) if has_money else None,
    )
