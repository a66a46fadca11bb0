"""Validate GraphQL documents against the pinned Admin API schema, deprecations included.

graphql-core's `validate` runs the specification's rules only, and none of them reports deprecated
fields, arguments, input fields or enum values. graphql-core ships the optional
`NoDeprecatedCustomRule` (the port of graphql-js's rule of the same name), which walks the document with
a `TypeInfo` and reports each use of a `@deprecated` element; it is run next to the specified rules so
a document drifting onto a field Shopify plans to remove fails the test suite.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Literal

from graphql import GraphQLError, GraphQLSchema, build_schema, parse, validate
from graphql.validation import NoDeprecatedCustomRule, specified_rules

from app.config import DEFAULT_API_VERSION
from app.shopify.documents import document_names, load_document


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a document: an invalid part, or a use of something deprecated."""

    kind: Literal["syntax", "invalid", "deprecated"]
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line is not None else ""
        return f"{where}{self.kind}: {self.message}"


def schema_text(api_version: str = DEFAULT_API_VERSION) -> str:
    """The SDL of the Admin API for `api_version`, shipped in app/shopify/schema/."""
    resource = files("app.shopify").joinpath("schema", f"admin_{api_version}.graphql")
    if not resource.is_file():
        raise FileNotFoundError(
            f"no Admin API schema for {api_version} in app/shopify/schema/ (see its README.md)"
        )
    return resource.read_text(encoding="utf-8")


@cache
def load_schema(api_version: str = DEFAULT_API_VERSION) -> GraphQLSchema:
    """The Admin API schema, built once per process (about a second or more: cache it)."""
    # Shopify's own schema breaks one of graphql-core 3.3's schema rules (a field deprecated on a type
    # but not on its interface); it is what Shopify executes against, so trust it as served.
    return build_schema(schema_text(api_version), assume_valid=True)


def _line(error: GraphQLError) -> int | None:
    return error.locations[0].line if error.locations else None


def check_document(source: str, schema: GraphQLSchema) -> list[Problem]:
    """Every syntax error, validation error and deprecated use in `source`, in document order."""
    try:
        document = parse(source)
    except GraphQLError as exc:
        return [Problem("syntax", exc.message, _line(exc))]
    problems = [Problem("invalid", e.message, _line(e)) for e in validate(schema, document, specified_rules)]
    problems += [
        Problem("deprecated", e.message, _line(e))
        for e in validate(schema, document, [NoDeprecatedCustomRule])
    ]
    return sorted(problems, key=lambda p: p.line or 0)


def check_shipped_documents(schema: GraphQLSchema) -> dict[str, list[Problem]]:
    """The problems of every document in app/shopify/graphql/, by name (empty lists when all is well)."""
    return {name: check_document(load_document(name), schema) for name in document_names()}
