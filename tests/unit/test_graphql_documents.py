"""Every shipped GraphQL document is valid against the pinned Admin API schema and uses nothing deprecated."""

from __future__ import annotations

import hashlib
import re

import pytest
from graphql import GraphQLSchema, OperationDefinitionNode, build_schema, parse, validate_schema

from app.config import DEFAULT_API_VERSION
from app.shopify.client import parse_operation
from app.shopify.documents import UnknownDocument, document_names, load_document
from app.shopify.schema_check import Problem, check_document, load_schema, schema_text

# The documents the foundation ships; later issues add theirs here as they add the files.
EXPECTED_DOCUMENTS = {"BulkOperationRunQuery", "BulkOperationStatus", "CustomersPage", "ShopDetails"}
# The checksum recorded in app/shopify/schema/README.md (and the shared platform notes).
SCHEMA_SHA256 = "73c5b00ed3543423de32b67bfbc1f5fe7b133eda7e8c1ac55042cedb6b5cb1b7"


@pytest.fixture(scope="session")
def admin_schema() -> GraphQLSchema:
    """The 2026-04 Admin schema, built once for the whole run (it takes a second or more)."""
    return load_schema()


def test_the_foundation_documents_are_shipped() -> None:
    assert EXPECTED_DOCUMENTS <= set(document_names())


@pytest.mark.parametrize("name", document_names())
def test_document_is_valid_and_uses_nothing_deprecated(admin_schema: GraphQLSchema, name: str) -> None:
    problems = check_document(load_document(name), admin_schema)

    assert [str(p) for p in problems] == []


@pytest.mark.parametrize("name", document_names())
def test_document_holds_one_operation_named_after_its_file(name: str) -> None:
    definitions = parse(load_document(name)).definitions
    operations = [d for d in definitions if isinstance(d, OperationDefinitionNode)]

    assert len(operations) == 1
    assert parse_operation(load_document(name)).name == name


def test_checker_flags_a_deprecated_field(admin_schema: GraphQLSchema) -> None:
    problems = check_document("query Legacy {\n  customers(first: 1) { nodes { id email } }\n}", admin_schema)

    assert problems == [
        Problem(
            "deprecated",
            "The field Customer.email is deprecated. Use `defaultEmailAddress.emailAddress` instead.",
            2,
        )
    ]


def test_checker_flags_deprecated_fields_on_the_query_root_and_the_shop_plan(
    admin_schema: GraphQLSchema,
) -> None:
    source = "query Old {\n  currentBulkOperation(type: QUERY) { id }\n  shop { plan { displayName } }\n}"

    problems = check_document(source, admin_schema)

    assert [(p.kind, p.line) for p in problems] == [("deprecated", 2), ("deprecated", 3)]
    assert "QueryRoot.currentBulkOperation is deprecated" in problems[0].message
    assert "ShopPlan.displayName is deprecated. Use `publicDisplayName` instead." in problems[1].message


def test_checker_flags_an_unknown_field(admin_schema: GraphQLSchema) -> None:
    problems = check_document("query Nick {\n  shop { nickname }\n}", admin_schema)

    assert problems == [
        Problem("invalid", "Cannot query field 'nickname' on type 'Shop'. Did you mean 'name'?", 2)
    ]


def test_checker_flags_a_missing_required_argument(admin_schema: GraphQLSchema) -> None:
    problems = check_document("query Poll { bulkOperation { id status } }", admin_schema)

    assert problems == [
        Problem(
            "invalid",
            "Argument 'QueryRoot.bulkOperation(id:)' of type 'ID!' is required, but it was not provided.",
            1,
        )
    ]


def test_checker_reports_a_syntax_error(admin_schema: GraphQLSchema) -> None:
    problems = check_document("query Broken { shop { id }", admin_schema)

    assert [(p.kind, p.line) for p in problems] == [("syntax", 1)]


def test_unknown_document_names_are_refused() -> None:
    with pytest.raises(UnknownDocument):
        load_document("NoSuchDocument")
    with pytest.raises(UnknownDocument):
        load_document("../schema/admin_2026-04")


def test_shipped_schema_is_the_recorded_file() -> None:
    text = schema_text(DEFAULT_API_VERSION)

    assert hashlib.sha256(text.encode("utf-8")).hexdigest() == SCHEMA_SHA256


def test_schema_breaks_only_the_interface_deprecation_rule_it_is_trusted_past() -> None:
    # load_schema builds with assume_valid=True; prove that skips nothing but this one known quirk.
    problems = [e.message for e in validate_schema(build_schema(schema_text(DEFAULT_API_VERSION)))]

    assert len(problems) == 4
    assert all(
        re.fullmatch(
            r"Interface field \S+ is not deprecated, so implementation field \S+ must not be deprecated\.", p
        )
        for p in problems
    )
