"""The schema as text: the committed contract's order, and the graphql-core schema validation
and cost analysis read (rebuilt from the printed SDL, through graphql-core's public API only)."""

from __future__ import annotations

from functools import lru_cache

import strawberry
from graphql import (
    GraphQLSchema,
    InterfaceTypeDefinitionNode,
    ObjectTypeDefinitionNode,
    assert_valid_schema,
    build_schema,
    parse,
)


@lru_cache(maxsize=8)
def graphql_schema(schema: strawberry.Schema) -> GraphQLSchema:
    """Built once per schema, when the app is (see api/preparation.py Preparer)."""
    built = build_schema(schema.as_str())
    # Validated here, once: graphql-core otherwise checks the schema (and resolves its lazy
    # enum values) in the first document validation, that is, in some client's request.
    assert_valid_schema(built)
    return built


def sorted_sdl(text: str) -> str:
    """`text` (strawberry's printed SDL) with the fields of every object type and interface
    in lexicographic order, so that the order in which the domains' classes are composed into
    Query, Mutation and Subscription never shows in the contract. Types are printed in name
    order already; arguments, input fields and enum values keep their declared order. Each
    field keeps its text; as strawberry prints them, a described field after the first is
    set off by a blank line."""
    document = parse(text)
    pieces: list[str] = []
    cursor = 0
    for definition in document.definitions:
        if not isinstance(definition, ObjectTypeDefinitionNode | InterfaceTypeDefinitionNode):
            continue
        fields = list(definition.fields or ())
        if len(fields) < 2:
            continue
        first, last = fields[0].loc, fields[-1].loc
        assert first is not None
        assert last is not None
        ordered = sorted(fields, key=lambda field: field.name.value)
        lines: list[str] = []
        for index, field in enumerate(ordered):
            assert field.loc is not None
            body = text[field.loc.start : field.loc.end]
            if index and field.description is not None:
                lines.append("")
            lines.append(("  " if index else "") + body)
        pieces.append(text[cursor : first.start])
        pieces.append("\n".join(lines))
        cursor = last.end
    pieces.append(text[cursor:])
    return "".join(pieces)
