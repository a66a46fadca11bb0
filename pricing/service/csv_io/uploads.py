"""Keeping an upload between its dry run and its apply: a file under the instance directory, by token.

The dry run stores the file and a small JSON record (shop, list, mode, the dry run's fingerprint and
digest, and the SHA-256 of its staging file: the checked changes, `<token>.stage`, staged.py); the
apply reads them back. Tokens are random and checked against the shop, so a token of
another shop is a 404. Uploads older than UPLOAD_TTL are swept on the next upload.

With several web machines the instance directory must be shared storage (docs/pricing-csv.md).
"""

from __future__ import annotations

import json
import re
import secrets
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import BinaryIO

from app.errors import NotFound
from pricing.service.csv_io.format import CsvFileError

UPLOAD_DIR = "pricing-uploads"
UPLOAD_TTL_S = 3600
MAX_UPLOAD_BYTES = 64 * 1024 * 1024
COPY_CHUNK_BYTES = 1024 * 1024
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{32}$")
EXPIRED = "This upload has expired or was already applied. Upload the file again."


@dataclass
class StoredUpload:
    """An upload waiting for its apply."""

    token: str
    shop_id: int
    price_list_id: int
    mode: str
    filename: str
    size: int
    created_at: float
    fingerprint: str = ""
    digest: str = ""
    staged: str = ""


def _directory(instance_path: str | Path) -> Path:
    path = Path(instance_path) / UPLOAD_DIR
    path.mkdir(parents=True, exist_ok=True)
    return path


def _sweep(directory: Path, now: float) -> None:
    for path in directory.iterdir():
        try:
            if now - path.stat().st_mtime > UPLOAD_TTL_S:
                path.unlink()
        except FileNotFoundError:  # another process swept it first
            pass


def save_upload(
    instance_path: str | Path, *, shop_id: int, price_list_id: int, mode: str, filename: str, source: BinaryIO
) -> tuple[StoredUpload, Path]:
    """Copy the upload to disk in chunks (refusing one over MAX_UPLOAD_BYTES); returns it and its path."""
    directory = _directory(instance_path)
    now = time.time()
    _sweep(directory, now)
    token = secrets.token_urlsafe(24)
    path = directory / f"{token}.csv"
    size = 0
    with path.open("wb") as out:
        while chunk := source.read(COPY_CHUNK_BYTES):
            size += len(chunk)
            if size > MAX_UPLOAD_BYTES:
                out.close()
                path.unlink()
                raise CsvFileError(f"The file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB")
            out.write(chunk)
    upload = StoredUpload(token, shop_id, price_list_id, mode, filename[:255], size, now)
    record_upload(instance_path, upload)
    return upload, path


def stage_path(instance_path: str | Path, token: str) -> Path:
    """Where the dry run of an upload keeps its checked changes for the apply."""
    return _directory(instance_path) / f"{token}.stage"


def record_upload(instance_path: str | Path, upload: StoredUpload) -> None:
    """Write the upload's record (after the dry run: with its fingerprint, digest and staging hash)."""
    path = _directory(instance_path) / f"{upload.token}.json"
    path.write_text(json.dumps(asdict(upload)))


def open_upload(
    instance_path: str | Path, token: str, *, shop_id: int, price_list_id: int
) -> tuple[StoredUpload, Path]:
    """The upload with this token for this shop and list, else NotFound (expired, applied, or not yours)."""
    if not TOKEN_RE.match(token or ""):
        raise NotFound(EXPIRED)
    directory = _directory(instance_path)
    try:
        upload = StoredUpload(**json.loads((directory / f"{token}.json").read_text()))
    except (FileNotFoundError, ValueError, TypeError):
        raise NotFound(EXPIRED) from None
    path = directory / f"{token}.csv"
    if upload.shop_id != shop_id or upload.price_list_id != price_list_id or not path.is_file():
        raise NotFound(EXPIRED)
    if time.time() - upload.created_at > UPLOAD_TTL_S:
        discard_upload(instance_path, token)
        raise NotFound(EXPIRED)
    return upload, path


def discard_upload(instance_path: str | Path, token: str) -> None:
    """Delete an upload, its staged changes and its record (after its apply)."""
    if not TOKEN_RE.match(token or ""):
        return
    directory = _directory(instance_path)
    for suffix in (".csv", ".stage", ".json"):
        (directory / f"{token}{suffix}").unlink(missing_ok=True)
