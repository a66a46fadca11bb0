"""Split a JSONL byte stream into lines with their file positions, and tell parents from children.

Pure and streaming: the input is any iterable of byte chunks (an HTTP body), the output one
`JsonlLine` per line with its 1-based number and the byte offset just past it, so a reader that
stops anywhere can resume at a line boundary. A stream that ends in the middle of a line (the file
was cut off) raises `TruncatedJsonl` naming that line.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

NEWLINE = b"\n"
# Shopify writes the parent reference as the object's last key: `..., "__parentId":"gid://..."}`.
PARENT_MARKER = b'"__parentId":'
PREVIEW_CHARS = 80


class TruncatedJsonl(ValueError):
    """The stream ended inside a line: the file was cut off (or the download was)."""

    def __init__(self, line_number: int, offset: int, fragment: bytes) -> None:
        preview = fragment[:PREVIEW_CHARS].decode("utf-8", "replace")
        super().__init__(
            f"line {line_number} is incomplete: the file ends after {len(fragment)} bytes of it "
            f"(at byte {offset + len(fragment)}), starting {preview!r}"
        )
        self.line_number = line_number
        self.offset = offset


@dataclass(frozen=True)
class JsonlLine:
    """One line of the file: its number (1-based), raw bytes (no newline) and the offset past it."""

    number: int
    text: bytes
    end_offset: int


def iter_lines(chunks: Iterable[bytes], *, start_line: int = 0, start_offset: int = 0) -> Iterator[JsonlLine]:
    """The lines in `chunks`, numbered on from `start_line` and positioned from `start_offset`.

    Blank lines are skipped (they still count, so numbers stay those an editor shows). A last line
    without a newline is accepted when it is a complete JSON value, else TruncatedJsonl is raised.
    """
    number, offset = start_line, start_offset
    pending = b""
    for chunk in chunks:
        if not chunk:
            continue
        pending += chunk
        start = 0
        while (end := pending.find(NEWLINE, start)) != -1:
            text = pending[start:end]
            offset += end - start + 1
            start = end + 1
            number += 1
            if text.strip():
                yield JsonlLine(number, text.rstrip(b"\r"), offset)
        pending = pending[start:]
    if pending.strip():
        try:
            json.loads(pending)
        except ValueError:
            raise TruncatedJsonl(number + 1, offset, pending) from None
        yield JsonlLine(number + 1, pending, offset + len(pending))


def parent_id(text: bytes) -> str | None:
    """The `__parentId` of a raw JSONL line (a child object), or None for a top-level object.

    Read without parsing the JSON: a JSON string can only hold the marker with its quotes escaped,
    so an unescaped `"__parentId":` is always the key.
    """
    at = text.rfind(PARENT_MARKER)
    while at > 0 and text[at - 1 : at] == b"\\":
        at = text.rfind(PARENT_MARKER, 0, at)
    if at < 0:
        return None
    start = text.find(b'"', at + len(PARENT_MARKER))
    end = text.find(b'"', start + 1)
    if start < 0 or end < 0:
        return None
    return text[start + 1 : end].decode("ascii", "replace")


def skip_bytes(chunks: Iterable[bytes], count: int) -> Iterator[bytes]:
    """`chunks` without their first `count` bytes (a server that ignored a Range request)."""
    remaining = count
    for chunk in chunks:
        if remaining >= len(chunk):
            remaining -= len(chunk)
            continue
        yield chunk[remaining:]
        remaining = 0
