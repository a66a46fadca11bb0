"""CSV import and export of a price list's per-variant prices, volume tiers and quantity rules.

The format is documented in docs/pricing-csv.md. Use cases:

    dry_run(uow, *, shop_id, price_list_id, stream, mode=MERGE) -> ImportReport
        every bad row with its line and reason, and the diff (added / changed / removed) with counts and
        samples; writes nothing. `report.fingerprint` and `report.digest` tie a later apply to it.
    apply_import(uow, *, shop_id, price_list_id, stream, mode, fingerprint, digest) -> ImportReport
        all or nothing; StaleDryRun (409) if the list or the diff changed since the dry run,
        ImportRejected (422, `.report.errors`) if a row is bad. The caller commits.
        Both take an optional `stage` path (stage_path(instance, token)): on PostgreSQL the dry run
        keeps its checked changes there (`report.staged`, their SHA-256) and the apply writes them
        set-based, without a second pass over the file (staged.py).
    export_csv(uow, *, shop_id, price_list_id) -> Iterator[str]
        the list in the same format, streamed; importing it back is a no-op diff.
    save_upload / open_upload / record_upload / discard_upload
        keep an upload under the instance directory between its dry run and its apply.

`stream` is a binary file object (an upload's stream, an open file): read line by line, never whole.
"""

from __future__ import annotations

from pricing.service.csv_io.diff import SAMPLE_SIZE, Change, DiffRow, FieldChange, ImportMode, ImportReport
from pricing.service.csv_io.export import export_csv, export_filename
from pricing.service.csv_io.format import CsvFileError, RowError
from pricing.service.csv_io.full_pass import CHUNK_ROWS
from pricing.service.csv_io.importer import ImportRejected, StaleDryRun, apply_import, dry_run
from pricing.service.csv_io.store import list_fingerprint
from pricing.service.csv_io.uploads import (
    MAX_UPLOAD_BYTES,
    StoredUpload,
    discard_upload,
    open_upload,
    record_upload,
    save_upload,
    stage_path,
)

__all__ = [
    "CHUNK_ROWS",
    "MAX_UPLOAD_BYTES",
    "SAMPLE_SIZE",
    "Change",
    "CsvFileError",
    "DiffRow",
    "FieldChange",
    "ImportMode",
    "ImportRejected",
    "ImportReport",
    "RowError",
    "StaleDryRun",
    "StoredUpload",
    "apply_import",
    "discard_upload",
    "dry_run",
    "export_csv",
    "export_filename",
    "list_fingerprint",
    "open_upload",
    "record_upload",
    "save_upload",
    "stage_path",
]
