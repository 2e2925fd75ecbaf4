"""Plain values (a scalar or enum read off the object) are completed without graphql-core's
per-field machinery, and every answer, null and error is what the stock executor gives."""

from __future__ import annotations

import enum
from datetime import date
from typing import Any

import pytest
import strawberry
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from schema.execution import PlainValues


@strawberry.enum
class Kind(enum.Enum):
    ADMINISTRATIVE = "ADMINISTRATIVE"
    PUBLIC = "PUBLIC"


@strawberry.type
class Card:
    code: str
    visits: int
    kind: Kind
    note: str | None
    valid_from: date | None
    required: str  # some rows below break this promise

    @strawberry.field
    def shouted(self) -> str:
        return self.code.upper()

    @strawberry.field
    def padded(self, width: int = 8) -> str:
        return self.code.ljust(width, ".")


def _cards() -> list[Any]:
    return [
        Card(
            code="a-1",
            visits=0,
            kind=Kind.ADMINISTRATIVE,
            note=None,
            valid_from=date(2026, 1, 1),
            required="yes",
        ),
        Card(code="b-2", visits=1, kind=Kind.PUBLIC, note="带原件", valid_from=None, required="ok"),
        # A null where the schema promises a value, and an int that is no int.
        Card(code="c-3", visits=2, kind=Kind.PUBLIC, note="", valid_from=None, required=None),  # type: ignore[arg-type]
        Card(code="d-4", visits="many", kind=Kind.PUBLIC, note=None, valid_from=None, required="x"),  # type: ignore[arg-type]
    ]


@strawberry.type
class Query:
    @strawberry.field
    def cards(self) -> list[Card | None]:
        return _cards()

    @strawberry.field
    def first(self) -> Card:
        return _cards()[0]


def _schema(executor: type[Any]) -> strawberry.Schema:
    return strawberry.Schema(query=Query, execution_context_class=executor)


QUERIES = [
    "{ cards { code visits kind note validFrom required } }",
    "{ cards { __typename code c2: code shouted padded(width: 5) } }",
    "{ first { code kind visits note validFrom } }",
    "query($w: Int!) { first { padded(width: $w) code } }",
    "{ first { ... on Card { code } ...F } } fragment F on Card { kind note }",
    "query($s: Boolean!) { first { code @skip(if: $s) kind @include(if: $s) } }",
]


@pytest.mark.parametrize("query", QUERIES)
async def test_answers_nulls_and_errors_are_the_stock_executors(query: str) -> None:
    variables = {"w": 6, "s": True}
    stock = await _schema(StrawberryGraphQLCoreExecutionContext).execute(
        query, variable_values=variables
    )
    plain = await _schema(PlainValues).execute(query, variable_values=variables)

    assert plain.data == stock.data
    assert [(e.message, e.path) for e in plain.errors or []] == [
        (e.message, e.path) for e in stock.errors or []
    ]


async def test_the_bad_rows_are_reported_where_they_are() -> None:
    result = await _schema(PlainValues).execute("{ cards { code visits required } }")

    assert result.data is not None
    assert result.data["cards"][:2] == [
        {"code": "a-1", "visits": 0, "required": "yes"},
        {"code": "b-2", "visits": 1, "required": "ok"},
    ]
    assert result.data["cards"][2:] == [None, None]
    assert sorted(tuple(e.path or ()) for e in result.errors or []) == [
        ("cards", 2, "required"),
        ("cards", 3, "visits"),
    ]


async def test_plain_values_skip_the_resolver_machinery(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[str] = []
    original = StrawberryGraphQLCoreExecutionContext.build_resolve_info

    def counted(self: Any, field_def: Any, field_nodes: Any, *args: Any) -> Any:
        built.append(field_nodes[0].name.value)
        return original(self, field_def, field_nodes, *args)

    monkeypatch.setattr(StrawberryGraphQLCoreExecutionContext, "build_resolve_info", counted)
    query = "{ cards { code kind note shouted } }"
    await _schema(StrawberryGraphQLCoreExecutionContext).execute(query)
    stock, built[:] = list(built), []
    await _schema(PlainValues).execute(query)

    assert sorted(set(stock)) == ["cards", "code", "kind", "note", "shouted"]
    # Only the root list, the resolver field and the null note of the good rows still go
    # through it (and the bad rows' fields, nulled by the standard path).
    assert built.count("code") == 0
    assert built.count("kind") == 0
    assert built.count("shouted") == 4
    assert built.count("note") == 2  # the two null notes: graphql-core decides nulls

    # A selection of plain values only is read as a whole, without a call per field; the
    # row that breaks the promise ("many" visits) is read field by field, and only its bad
    # field goes through graphql-core's machinery.
    built[:] = []
    fields: list[str] = []
    one_by_one = PlainValues.execute_field

    def field(self: Any, parent_type: Any, source: Any, details: Any, *args: Any) -> Any:
        fields.append(details[0].node.name.value)
        return one_by_one(self, parent_type, source, details, *args)

    monkeypatch.setattr(PlainValues, "execute_field", field)
    whole = await _schema(PlainValues).execute("{ cards { code kind visits } }")
    assert whole.data is not None
    assert whole.data["cards"][0] == {"code": "a-1", "kind": "ADMINISTRATIVE", "visits": 0}
    assert fields == ["cards", "code", "kind", "visits"]  # the root, then the bad row alone
    assert sorted(built) == ["cards", "visits"]
    assert [e.path for e in whole.errors or []] == [["cards", 3, "visits"]]
