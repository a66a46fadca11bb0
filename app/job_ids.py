"""Job identity: deterministic job ids, and the dotted paths workers import job functions by."""

from __future__ import annotations

import hashlib
import importlib
import re
from collections.abc import Callable
from typing import Any

MAX_JOB_ID_CHARS = 200
# Kept verbatim in job ids; "_" is the separator, so it never appears inside a part.
_JOB_ID_PART = re.compile(r"^[A-Za-z0-9-]{1,64}$")
JOB_ID_DIGEST_CHARS = 20


def job_id(*parts: str | int) -> str:
    """A deterministic job id from the work it does: job_id("refresh-token", 42) -> "refresh-token_42".

    RQ accepts only letters, digits, "_" and "-" in ids: a part made of letters, digits and "-" is kept
    as is, any other part (a domain, a GID) is replaced by a digest of it, so the id stays deterministic.
    """
    if not parts:
        raise ValueError("job_id needs at least one part")
    texts = []
    for part in parts:
        text = str(part)
        if not text:
            raise ValueError("job id parts must not be empty")
        if not _JOB_ID_PART.match(text):
            text = "h" + hashlib.sha256(text.encode()).hexdigest()[:JOB_ID_DIGEST_CHARS]
        texts.append(text)
    value = "_".join(texts)
    if len(value) > MAX_JOB_ID_CHARS:
        raise ValueError(f"job id longer than {MAX_JOB_ID_CHARS} characters: {value[:40]}...")
    return value


def func_path(func: str | Callable[..., Any]) -> str:
    """The dotted import path of a job function; workers import it by this name."""
    if isinstance(func, str):
        module, _, name = func.rpartition(".")
        if not module or not name:
            raise ValueError(f"job function {func!r} must be a dotted path like 'app.auth.jobs.refresh'")
        return func
    module = getattr(func, "__module__", None)
    qualname = getattr(func, "__qualname__", "")
    if not module or module == "__main__" or "<" in qualname or "." in qualname:
        raise ValueError(f"job function {func!r} must be a module-level function importable by workers")
    return f"{module}.{qualname}"


def resolve_func(path: str) -> Callable[..., Any]:
    """Import the job function named by a dotted path."""
    module_name, _, name = path.rpartition(".")
    try:
        func = getattr(importlib.import_module(module_name), name)
    except (ImportError, AttributeError) as exc:
        raise LookupError(f"job function {path!r} cannot be imported: {exc}") from exc
    if not callable(func):
        raise LookupError(f"job function {path!r} is not callable")
    return func
