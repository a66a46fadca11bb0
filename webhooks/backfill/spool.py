"""A local SQLite file that holds one bulk export while it is imported.

Why a spool: with `groupObjects: false` Shopify writes children (line items, variants, locations,
contacts, addresses) on their own lines, anywhere in the file, before or after their parent. The CRM
applies an order, product, company or customer as one payload with its children (an order's lines
are replaced as a set, exactly as an orders/updated webhook replaces them), so each parent must be
joined to all its children before it is imported. Holding the file in memory would not be constant
memory; reading it twice would download it twice. Instead the download is streamed into this
file (parents and children in two tables, one row per line, children indexed by parent), and the
import then walks the parents in file order, in batches, fetching each batch's children with one
indexed query. Memory stays bounded (SQLite's page cache), and the spool survives a worker crash on
the same machine, so a restart neither downloads again nor re-imports committed batches. The spool is
a cache: when it is missing (another machine), it is simply rebuilt from the download.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

from webhooks.backfill.jsonl import JsonlLine, parent_id

# Lines per spool transaction: a crash loses at most this many lines of download progress.
COMMIT_LINES = 50_000
# SQLite page cache (KiB, negative = size rather than pages); bounds the spool's memory.
CACHE_KIB = 32 * 1024
# Parents per IN (...) when fetching children: far below SQLite's bound-parameter limit.
PARENT_CHUNK = 500

ProgressHook = Callable[[int, int], None]


class Spool:
    """One export's lines, parents and children apart, keyed by their line number in the file."""

    def __init__(self, path: Path, *, export_id: str) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
        self._db.executescript(
            """
            CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS parents (line INTEGER PRIMARY KEY, doc BLOB NOT NULL);
            CREATE TABLE IF NOT EXISTS children (
                line INTEGER PRIMARY KEY, parent TEXT NOT NULL, doc BLOB NOT NULL
            );
            """
        )
        if self._meta("export_id") != export_id:
            # A spool of another export (a reset database reused the run id): start over.
            self._reset(export_id)

    # -- state -------------------------------------------------------------------------------

    def _meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def _set_meta(self, **values: object) -> None:
        self._db.executemany(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [(k, str(v)) for k, v in values.items()],
        )

    def _reset(self, export_id: str) -> None:
        self._db.execute("BEGIN")
        for table in ("meta", "parents", "children"):
            self._db.execute(f"DELETE FROM {table}")
        self._db.execute("DROP INDEX IF EXISTS children_parent")
        self._set_meta(export_id=export_id, staged_bytes=0, staged_lines=0, complete=0)
        self._db.execute("COMMIT")

    @property
    def staged_bytes(self) -> int:
        """Bytes of the file whose lines are safely in the spool."""
        return int(self._meta("staged_bytes") or 0)

    @property
    def staged_lines(self) -> int:
        return int(self._meta("staged_lines") or 0)

    @property
    def complete(self) -> bool:
        """The whole file is spooled and indexed."""
        return self._meta("complete") == "1"

    def counts(self) -> tuple[int, int]:
        """(parents, children) spooled."""
        parents = self._db.execute("SELECT count(*) FROM parents").fetchone()[0]
        children = self._db.execute("SELECT count(*) FROM children").fetchone()[0]
        return parents, children

    # -- writing -----------------------------------------------------------------------------

    def stage(
        self,
        lines: Iterable[JsonlLine],
        *,
        commit_every: int = COMMIT_LINES,
        on_commit: ProgressHook | None = None,
    ) -> None:
        """Append lines; progress (bytes, lines) is committed with them every `commit_every` lines.

        If `lines` raises, the lines since the last commit are rolled back, so the spool always ends
        at a line boundary it has fully stored, and staging resumes from `staged_bytes`.
        """
        parents: list[tuple[int, bytes]] = []
        children: list[tuple[int, str, bytes]] = []
        last: JsonlLine | None = None

        def flush() -> None:
            if last is None:
                return
            self._db.execute("BEGIN")
            try:
                self._db.executemany("INSERT OR REPLACE INTO parents (line, doc) VALUES (?, ?)", parents)
                self._db.executemany(
                    "INSERT OR REPLACE INTO children (line, parent, doc) VALUES (?, ?, ?)", children
                )
                self._set_meta(staged_bytes=last.end_offset, staged_lines=last.number)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            parents.clear()
            children.clear()
            if on_commit is not None:
                on_commit(last.end_offset, last.number)

        try:
            for line in lines:
                parent = parent_id(line.text)
                if parent is None:
                    parents.append((line.number, line.text))
                else:
                    children.append((line.number, parent, line.text))
                last = line
                if len(parents) + len(children) >= commit_every:
                    flush()
                    last = None
        except BaseException:
            # Keep what was read completely before the failure: resuming then starts after it.
            flush()
            raise
        flush()

    def finish(self) -> None:
        """Index the children by parent and mark the spool complete."""
        self._db.execute("CREATE INDEX IF NOT EXISTS children_parent ON children (parent, line)")
        self._set_meta(complete=1)

    # -- reading -----------------------------------------------------------------------------

    def parents_after(self, line: int, limit: int) -> list[tuple[int, bytes]]:
        """Up to `limit` parent lines after file line `line`, in file order."""
        return self._db.execute(
            "SELECT line, doc FROM parents WHERE line > ? ORDER BY line LIMIT ?", (line, limit)
        ).fetchall()

    def children_of(self, parents: Sequence[str]) -> dict[str, list[tuple[int, bytes]]]:
        """The child lines (line number, text) of each parent GID, in file order."""
        found: dict[str, list[tuple[int, bytes]]] = {gid: [] for gid in parents}
        for start in range(0, len(parents), PARENT_CHUNK):
            chunk = list(parents[start : start + PARENT_CHUNK])
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(
                f"SELECT parent, line, doc FROM children WHERE parent IN ({marks}) ORDER BY parent, line",
                chunk,
            )
            for parent, line, doc in rows:
                found[parent].append((line, doc))
        return found

    def iter_parents(self, after_line: int, batch: int) -> Iterator[list[tuple[int, bytes]]]:
        """Batches of parent lines after `after_line`, in file order."""
        while rows := self.parents_after(after_line, batch):
            yield rows
            after_line = rows[-1][0]

    # -- lifecycle ---------------------------------------------------------------------------

    def close(self) -> None:
        self._db.close()

    def delete(self) -> None:
        """Close and remove the file (and SQLite's WAL files)."""
        self.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)
