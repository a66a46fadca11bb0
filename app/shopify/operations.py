"""GraphQL documents as the client sends them: one parsed operation each."""

from dataclasses import dataclass
from functools import lru_cache

from graphql import OperationDefinitionNode, OperationType, parse

from app.shopify.documents import is_document_name, load_document


@dataclass(frozen=True)
class Operation:
    """A document as sent: its text, its operation's name and whether it is a mutation."""

    text: str
    name: str
    is_mutation: bool


@lru_cache(maxsize=512)
def parse_operation(text: str) -> Operation:
    """The single operation of a GraphQL document (the SDK cannot send an operationName)."""
    operations = [d for d in parse(text).definitions if isinstance(d, OperationDefinitionNode)]
    if len(operations) != 1:
        raise ValueError(f"a document must hold exactly one operation, this one holds {len(operations)}")
    op = operations[0]
    return Operation(
        text=text,
        name=op.name.value if op.name else "anonymous",
        is_mutation=op.operation is OperationType.MUTATION,
    )


def resolve_operation(document: str) -> Operation:
    """A document name (`ShopDetails`) or GraphQL text, as an Operation."""
    return parse_operation(load_document(document) if is_document_name(document) else document)
