"""The graphql-core schema of a strawberry schema, rebuilt from its printed SDL: validation and
cost analysis read types, fields and directives through graphql-core's public API only."""

from __future__ import annotations

from functools import lru_cache

import strawberry
from graphql import GraphQLSchema, build_schema


@lru_cache(maxsize=8)
def graphql_schema(schema: strawberry.Schema) -> GraphQLSchema:
    """Built once per schema (a few tens of milliseconds at start-up)."""
    return build_schema(schema.as_str())
