"""The Admin GraphQL documents in app/shopify/graphql/, loaded by name from package data."""

from __future__ import annotations

import re
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable

# A document name is its file's stem and its operation's name, e.g. "ShopDetails".
DOCUMENT_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
DOCUMENT_SUFFIX = ".graphql"


class UnknownDocument(LookupError):
    """No .graphql file of that name ships with Tradeline."""


def documents_dir() -> Traversable:
    """The package directory holding the .graphql documents."""
    return files("app.shopify").joinpath("graphql")


def is_document_name(value: str) -> bool:
    """Whether `value` looks like a document name rather than GraphQL text."""
    return bool(DOCUMENT_NAME_RE.match(value))


@cache
def document_names() -> tuple[str, ...]:
    """The names of every shipped document, sorted."""
    return tuple(
        sorted(
            entry.name.removesuffix(DOCUMENT_SUFFIX)
            for entry in documents_dir().iterdir()
            if entry.is_file() and entry.name.endswith(DOCUMENT_SUFFIX)
        )
    )


@cache
def load_document(name: str) -> str:
    """The text of the named document (read once per process)."""
    # Checked against the listing, so a name can never reach outside the package directory.
    if not is_document_name(name) or name not in document_names():
        raise UnknownDocument(
            f"no GraphQL document named {name!r}; known: {', '.join(document_names()) or 'none'}"
        )
    return documents_dir().joinpath(name + DOCUMENT_SUFFIX).read_text(encoding="utf-8")
