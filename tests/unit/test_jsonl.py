"""JSONL stream reader (positions, cut-off files, parent ids) and the spool joining children to parents."""

from __future__ import annotations

import pytest

from webhooks.backfill.jsonl import JsonlLine, TruncatedJsonl, iter_lines, parent_id, skip_bytes
from webhooks.backfill.spool import Spool

ORDER = b'{"id":"gid://shopify/Order/1","name":"#1001"}'
LINE = b'{"id":"gid://shopify/LineItem/11","quantity":2,"__parentId":"gid://shopify/Order/1"}'


def chunked(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


@pytest.mark.parametrize("size", [1, 7, 64, 10_000])
def test_lines_keep_their_numbers_and_end_offsets_whatever_the_chunking(size):
    data = ORDER + b"\n" + LINE + b"\n"

    lines = list(iter_lines(chunked(data, size)))

    assert lines == [
        JsonlLine(1, ORDER, len(ORDER) + 1),
        JsonlLine(2, LINE, len(ORDER) + 1 + len(LINE) + 1),
    ]


def test_numbering_continues_from_a_resume_point():
    lines = list(iter_lines([LINE + b"\n"], start_line=41, start_offset=1000))

    assert lines == [JsonlLine(42, LINE, 1000 + len(LINE) + 1)]


def test_blank_lines_are_skipped_but_counted():
    lines = list(iter_lines([ORDER + b"\n\n" + LINE + b"\r\n"]))

    assert [(line.number, line.text) for line in lines] == [(1, ORDER), (3, LINE)]


def test_a_complete_last_line_without_newline_is_accepted():
    lines = list(iter_lines([ORDER + b"\n" + LINE]))

    assert [line.number for line in lines] == [1, 2]
    assert lines[-1].end_offset == len(ORDER) + 1 + len(LINE)


def test_a_file_cut_off_mid_line_names_the_line_after_yielding_the_complete_ones():
    data = ORDER + b"\n" + LINE[:30]
    seen: list[int] = []

    with pytest.raises(TruncatedJsonl) as caught:
        for line in iter_lines(chunked(data, 16)):
            seen.append(line.number)

    assert seen == [1]
    assert caught.value.line_number == 2
    assert caught.value.offset == len(ORDER) + 1
    assert str(caught.value).startswith("line 2 is incomplete: the file ends after 30 bytes of it")


def test_parent_id_reads_the_marker_without_parsing():
    assert parent_id(LINE) == "gid://shopify/Order/1"
    assert parent_id(ORDER) is None


def test_parent_id_ignores_the_marker_inside_a_string_value():
    text = rb'{"id":"gid://shopify/Order/2","note":"see \"__parentId\": here"}'

    assert parent_id(text) is None


def test_skip_bytes_drops_exactly_the_prefix_across_chunks():
    assert b"".join(skip_bytes(chunked(b"0123456789", 3), 4)) == b"456789"
    assert b"".join(skip_bytes([b"abc"], 3)) == b""


def _lines(*texts: bytes) -> list[JsonlLine]:
    return list(iter_lines([b"".join(t + b"\n" for t in texts)]))


def test_spool_joins_children_written_before_and_after_their_parent(tmp_path):
    spool = Spool(tmp_path / "s.sqlite3", export_id="gid://shopify/BulkOperation/1")
    early = b'{"id":"gid://shopify/LineItem/10","__parentId":"gid://shopify/Order/1"}'
    late = b'{"id":"gid://shopify/LineItem/12","__parentId":"gid://shopify/Order/1"}'
    other = b'{"id":"gid://shopify/Order/2"}'

    spool.stage(_lines(early, ORDER, other, late))
    spool.finish()

    assert [line for line, _ in spool.parents_after(0, 10)] == [2, 3]
    assert spool.children_of(["gid://shopify/Order/1", "gid://shopify/Order/2"]) == {
        "gid://shopify/Order/1": [(1, early), (4, late)],
        "gid://shopify/Order/2": [],
    }
    assert (spool.complete, spool.staged_lines, spool.counts()) == (True, 4, (2, 2))


def test_spool_keeps_the_lines_read_before_a_failure_and_resumes_after_them(tmp_path):
    path = tmp_path / "s.sqlite3"
    spool = Spool(path, export_id="op-1")
    data = ORDER + b"\n" + LINE + b"\n" + b'{"id":"gid://shopify/Or'

    with pytest.raises(TruncatedJsonl):
        spool.stage(iter_lines([data]), commit_every=1)
    spool.close()
    reopened = Spool(path, export_id="op-1")

    assert (reopened.staged_lines, reopened.staged_bytes, reopened.complete) == (
        2,
        len(ORDER) + len(LINE) + 2,
        False,
    )
    assert reopened.counts() == (1, 1)


def test_a_spool_of_another_export_starts_over(tmp_path):
    path = tmp_path / "s.sqlite3"
    first = Spool(path, export_id="op-1")
    first.stage(_lines(ORDER))
    first.close()

    second = Spool(path, export_id="op-2")

    assert (second.staged_lines, second.counts()) == (0, (0, 0))


def test_deleting_a_spool_removes_its_files(tmp_path):
    spool = Spool(tmp_path / "s.sqlite3", export_id="op-1")
    spool.stage(_lines(ORDER))

    spool.delete()

    assert list(tmp_path.iterdir()) == []
