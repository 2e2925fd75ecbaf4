"""The root is composed from each domain's classes, and what the composition may not change:
the contract's text, every root field's permission, every mutation's error type."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum, StrEnum
from typing import Annotated, Any, ClassVar

import pytest
import strawberry
from graphql import GraphQLUnionType, build_schema

from resolvers.errors import DomainError
from resolvers.policy import Action
from resolvers.principal import ANONYMOUS
from schema.authorised import action_of, authorised, codes_of
from schema.errors import UserError
from schema.root import Mutation, Query, Subscription
from schema.sdl import sorted_sdl


def _schema_of(query: type, mutation: type, subscription: type) -> str:
    return sorted_sdl(
        strawberry.Schema(query=query, mutation=mutation, subscription=subscription).as_str()
    )


def _recomposed(root: type, order: list[type]) -> type:
    return strawberry.type(type(root.__name__, tuple(order), {}))


def test_the_contract_does_not_depend_on_the_order_of_composition() -> None:
    """The domains' classes, composed in declared and in reversed order, print one contract."""
    roots = (Query, Mutation, Subscription)
    declared = _schema_of(*(_recomposed(root, list(root.__bases__)) for root in roots))
    reversed_ = _schema_of(*(_recomposed(root, list(root.__bases__)[::-1]) for root in roots))

    assert declared == reversed_


def test_sorted_sdl_orders_fields_and_keeps_their_text() -> None:
    text = '''type Query {
  """Described, after the first."""
  zebra: Int
  apple(
    """An argument."""
    first: Int = 20
  ): String @listSize(assumedSize: 5, slicingArguments: null)
}'''

    assert (
        sorted_sdl(text)
        == '''type Query {
  apple(
    """An argument."""
    first: Int = 20
  ): String @listSize(assumedSize: 5, slicingArguments: null)

  """Described, after the first."""
  zebra: Int
}'''
    )


def _root_fields() -> list[tuple[str, Any]]:
    fields: list[tuple[str, Any]] = []
    for root in (Query, Mutation, Subscription):
        definition: Any = getattr(root, "__strawberry_definition__")  # noqa: B009
        fields += [(f"{root.__name__}.{field.python_name}", field) for field in definition.fields]
    return fields


@pytest.mark.parametrize(
    ("name", "field"), [pytest.param(name, field, id=name) for name, field in _root_fields()]
)
def test_every_root_field_names_its_action(name: str, field: Any) -> None:
    assert action_of(field) is not None, f"{name} has no extensions=authorised(Action.X)"


def test_every_mutation_answers_a_union_with_one_error_type() -> None:
    schema = build_schema(strawberry.Schema(query=Query, mutation=Mutation).as_str())
    assert schema.mutation_type is not None
    for name, field in schema.mutation_type.fields.items():
        result = field.type.of_type if hasattr(field.type, "of_type") else field.type
        assert isinstance(result, GraphQLUnionType), name
        errors = [t for t in result.types if any(i.name == "UserError" for i in t.interfaces)]
        assert len(errors) == 1, name


# A small schema of its own: the mapping, without a database.


class _Code(StrEnum):
    NOT_FOUND = "NOT_FOUND"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"


class _Other(StrEnum):
    BROKEN = "BROKEN"


class _Failure(DomainError):
    messages: ClassVar[Mapping[Enum, str]] = {_Code.NOT_FOUND: "没有找到。"}


strawberry.enum(_Code, name="ProbeErrorCode")


@strawberry.type
class ProbeError(UserError):
    code: _Code


@strawberry.type
class Probed:
    ok: bool


ProbeResult = Annotated[Probed | ProbeError, strawberry.union("ProbeResult")]


@strawberry.type
class _ProbeMutation:
    @strawberry.mutation(extensions=authorised(Action.READ_PUBLIC))  # type: ignore[untyped-decorator]
    async def probe(self, raised: str) -> ProbeResult:
        if raised == "own":
            raise _Failure(_Code.NOT_FOUND, "id")
        if raised == "foreign":
            raise _Failure(_Other.BROKEN, "id")
        return Probed(ok=True)


@strawberry.type
class _ProbeQuery:
    @strawberry.field(extensions=authorised(Action.READ_PUBLIC))  # type: ignore[untyped-decorator]
    async def probe(self) -> bool:
        raise _Failure(_Code.NOT_FOUND, "id")


class _Context:
    principal = ANONYMOUS
    resources = None
    request_id = "test"


PROBE = strawberry.Schema(query=_ProbeQuery, mutation=_ProbeMutation)
ASK = "mutation($raised: String!) { probe(raised: $raised) { __typename ... on ProbeError { code message field } } }"


async def test_a_mutation_answers_its_own_error_type_for_a_domain_error() -> None:
    result = await PROBE.execute(ASK, variable_values={"raised": "own"}, context_value=_Context())

    assert result.errors is None
    assert result.data == {
        "probe": {
            "__typename": "ProbeError",
            "code": "NOT_FOUND",
            "message": "没有找到。",
            "field": "id",
        }
    }
    assert codes_of(ProbeError) is _Code


async def test_an_error_the_mutation_does_not_declare_stays_a_top_level_error() -> None:
    result = await PROBE.execute(
        ASK, variable_values={"raised": "foreign"}, context_value=_Context()
    )

    assert result.data is None
    assert result.errors is not None
    assert isinstance(result.errors[0].original_error, _Failure)


async def test_a_query_raises_domain_errors_as_top_level_errors() -> None:
    result = await PROBE.execute("{ probe }", context_value=_Context())

    assert result.errors is not None
    assert isinstance(result.errors[0].original_error, _Failure)


async def test_a_mutation_without_error_answers_its_payload() -> None:
    result = await PROBE.execute(ASK, variable_values={"raised": "none"}, context_value=_Context())

    assert result.data == {"probe": {"__typename": "Probed"}}
