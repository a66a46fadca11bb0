"""Reading an uploaded CSV as a stream: UTF-8 lines (a BOM is accepted), rows with the line they start on.

The upload is read line by line from its binary stream and each line decoded on its own, so a byte
that is not UTF-8 is reported on its own line and the file is never held in memory whole.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import BinaryIO

from pricing.service.csv_io.format import CsvFileError

UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
SAVE_AS_UTF8 = 'Save it as "CSV UTF-8" (in Excel: File > Save As > CSV UTF-8) and upload it again.'


def _lines(stream: BinaryIO) -> Iterator[str]:
    for number, raw in enumerate(stream, start=1):
        if number == 1:
            if raw.startswith(UTF16_BOMS):
                raise CsvFileError(f"The file is UTF-16 text, not UTF-8. {SAVE_AS_UTF8}")
            raw = raw.removeprefix(UTF8_BOM)
        if b"\x00" in raw:
            # UTF-16 without a BOM puts a NUL byte beside every ASCII character.
            raise CsvFileError(
                f"Line {number} contains NUL bytes: the file is not UTF-8 text (UTF-16?). {SAVE_AS_UTF8}"
            )
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise CsvFileError(
                f"Line {number} is not UTF-8 text (byte 0x{raw[exc.start]:02X} at character {exc.start + 1}; "
                f"the file may be Latin-1 or Windows-1252). {SAVE_AS_UTF8}"
            ) from None


def read_rows(stream: BinaryIO) -> Iterator[tuple[int, list[str]]]:
    """(line the row starts on, cells) for each row, the header first; blank lines are skipped."""
    reader = csv.reader(_lines(stream), strict=True)
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise CsvFileError(f"Line {reader.line_num} cannot be read as CSV: {exc}") from None
        # Some cell holds more than whitespace (one join and strip, not one strip per cell).
        if "".join(cells).strip():
            yield start, cells
