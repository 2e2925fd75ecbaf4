"""What a GraphQL operation costs, computed from the document before it runs.

The model is GitHub's and Shopify's: leaves are free, every object costs 1, a list multiplies
what one item costs by its bound, and a mutation adds a fixed price for the write. Every list
in the schema declares its bound with `@listSize` (the directive of the IBM GraphQL cost
specification, so clients read the bounds in the SDL): either a fixed `assumedSize` the domain
guarantees, or `slicingArguments` (`first`) with `assumedSize` as the most a page holds.
Connections need no directive: their `edges` and `nodes` are sized by the field's `first`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import strawberry
from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLAbstractType,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    is_leaf_type,
    value_from_ast_untyped,
)
from strawberry.schema_directive import Location

from schema.sdl import graphql_schema

# Connections: `first` defaults to this when absent or null (schema/pagination.py).
DEFAULT_PAGE_SIZE = 20
# What a mutation's write costs beyond the objects it returns (GitHub counts a mutation as 5
# queries; our writes also fan out to the outbox).
MUTATION_COST = 10
# Introspection answers are bounded by the schema itself; tools send them in development.
INTROSPECTION_COST = 50
_CONNECTION_LISTS = frozenset({"edges", "nodes"})
# A list that declares no bound (a test forbids them) is priced as if it were long.
UNDECLARED_LIST_SIZE = 100


@strawberry.schema_directive(
    locations=[Location.FIELD_DEFINITION],
    name="listSize",
    description=(
        "How long a list can be (IBM GraphQL cost directives): `assumedSize` items at most, or "
        "as many as the `slicingArguments` ask for, up to `assumedSize`."
    ),
)
class ListSize:
    assumed_size: int
    slicing_arguments: list[str] | None = None


def bounded(size: int) -> list[object]:
    """The directives of a list that never holds more than `size` items."""
    return [ListSize(assumed_size=size)]


def sliced(maximum: int, argument: str = "first") -> list[object]:
    """The directives of a list sized by an argument (`first`), at most `maximum` items."""
    return [ListSize(assumed_size=maximum, slicing_arguments=[argument])]


@dataclass(frozen=True, slots=True)
class Bound:
    size: int  # the most items the list holds
    argument: str | None = None  # sized by this argument when given (then at most `size`)
    connection: bool = False  # a connection: its edges and nodes hold `argument` items


def _unwrap(field_type: Any) -> Any:
    while isinstance(field_type, GraphQLNonNull):
        field_type = field_type.of_type
    return field_type


def _is_connection(field: GraphQLField) -> bool:
    named = get_named_type(field.type)
    return (
        isinstance(named, GraphQLObjectType)
        and set(named.fields) >= _CONNECTION_LISTS
        and "pageInfo" in named.fields
        and "first" in field.args
    )


def _declared(field: GraphQLField) -> Bound | None:
    """The field's `@listSize`, as the SDL declares it."""
    for directive in getattr(field.ast_node, "directives", None) or ():
        if directive.name.value != "listSize":
            continue
        arguments = {a.name.value: value_from_ast_untyped(a.value) for a in directive.arguments}
        slicing = arguments.get("slicingArguments") or []
        return Bound(size=int(arguments["assumedSize"]), argument=slicing[0] if slicing else None)
    return None


def list_bounds(schema: strawberry.Schema, page_cap: int = 50) -> dict[tuple[str, str], Bound]:
    """Every field that returns a list or a connection, with its bound."""
    return _bounds(graphql_schema(schema), page_cap)


@lru_cache(maxsize=8)
def _bounds(graphql_schema: GraphQLSchema, page_cap: int) -> dict[tuple[str, str], Bound]:
    found: dict[tuple[str, str], Bound] = {}
    for type_name, graphql_type in graphql_schema.type_map.items():
        if type_name.startswith("__") or not isinstance(graphql_type, GraphQLObjectType):
            continue
        connection_type = set(graphql_type.fields) >= _CONNECTION_LISTS and "pageInfo" in (
            graphql_type.fields
        )
        for field_name, field in graphql_type.fields.items():
            if _is_connection(field):
                found[(type_name, field_name)] = Bound(page_cap, "first", connection=True)
            elif isinstance(_unwrap(field.type), GraphQLList):
                declared = _declared(field)
                if declared is not None:
                    found[(type_name, field_name)] = declared
                elif connection_type and field_name in _CONNECTION_LISTS:
                    # Sized by the connection field above it (see `Bound.connection`).
                    found[(type_name, field_name)] = Bound(page_cap)
    return found


class _Estimator:
    def __init__(
        self,
        schema: GraphQLSchema,
        bounds: Mapping[tuple[str, str], Bound],
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
        defaults: Mapping[str, Any],
        reads: set[str],
    ) -> None:
        self.schema = schema
        self.bounds = bounds
        self.fragments = fragments
        self.variables = variables
        self.defaults = defaults
        self.reads = reads

    def selection_set(
        self, parent: Any, selections: SelectionSetNode | None, page: int | None
    ) -> int:
        if selections is None:
            return 0
        if isinstance(parent, GraphQLAbstractType):
            # A union or interface: the most expensive of the types it may turn out to be.
            candidates = self.schema.get_possible_types(parent)
            return max(
                (self._fields_for(t, selections, page) for t in candidates),
                default=0,
            )
        return self._fields_for(parent, selections, page)

    def _fields_for(
        self, concrete: GraphQLObjectType, selections: SelectionSetNode, page: int | None
    ) -> int:
        total = 0
        for selection in selections.selections:
            if isinstance(selection, FieldNode):
                total += self.field(concrete, selection, page)
            elif isinstance(selection, InlineFragmentNode):
                if self._applies(selection.type_condition, concrete):
                    total += self._fields_for(concrete, selection.selection_set, page)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                if fragment is not None and self._applies(fragment.type_condition, concrete):
                    total += self._fields_for(concrete, fragment.selection_set, page)
        return total

    def _applies(self, condition: Any, concrete: GraphQLObjectType) -> bool:
        if condition is None:
            return True
        named = self.schema.get_type(condition.name.value)
        if named is None:
            return False
        if named is concrete:
            return True
        if isinstance(named, GraphQLAbstractType):
            return self.schema.is_sub_type(named, concrete)
        return False

    def field(self, parent: GraphQLObjectType, node: FieldNode, page: int | None) -> int:
        name = node.name.value
        if name.startswith("__"):
            return 0 if name == "__typename" else INTROSPECTION_COST
        definition = parent.fields.get(name)
        if definition is None:
            return 0  # validation refuses unknown fields before anyone asks for a cost
        named = get_named_type(definition.type)
        bound = self.bounds.get((parent.name, name))
        if is_leaf_type(named):
            return 0
        if bound is not None and bound.connection:
            size = self._size(node, definition, bound)
            return 1 + self.selection_set(named, node.selection_set, size)
        children = self.selection_set(named, node.selection_set, None)
        if isinstance(_unwrap(definition.type), GraphQLList):
            if bound is None:
                size = page if page is not None else UNDECLARED_LIST_SIZE
            elif bound.argument is not None:
                size = self._size(node, definition, bound)
            elif page is not None and name in _CONNECTION_LISTS:
                size = page
            else:
                size = bound.size
            return size * (1 + children)
        return 1 + children

    def _size(self, node: FieldNode, definition: GraphQLField, bound: Bound) -> int:
        assert bound.argument is not None
        value: Any = None
        for argument in node.arguments or ():
            if argument.name.value != bound.argument:
                continue
            if isinstance(argument.value, VariableNode):
                variable = argument.value.name.value
                self.reads.add(variable)
                value = self.variables.get(variable, self.defaults.get(variable))
            elif isinstance(argument.value, IntValueNode):
                value = int(argument.value.value)
        if value is None:
            declared = definition.args[bound.argument].default_value
            value = declared if isinstance(declared, int) else None
        if not isinstance(value, int) or isinstance(value, bool):
            value = DEFAULT_PAGE_SIZE if bound.connection else bound.size
        return max(0, min(int(value), bound.size))


def operation_cost(
    schema: strawberry.Schema,
    operation: OperationDefinitionNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    variables: Mapping[str, Any],
    page_cap: int = 50,
    reads: set[str] | None = None,
) -> int:
    """The cost of one validated operation with these variables. `reads` collects the names
    of the variables the cost depends on (those that size a list): every walk visits every
    field whatever the values, so one computation names them all."""
    built = graphql_schema(schema)
    root = {
        OperationType.QUERY: built.query_type,
        OperationType.MUTATION: built.mutation_type,
        OperationType.SUBSCRIPTION: built.subscription_type,
    }[operation.operation]
    if root is None:
        return 0
    defaults = {
        definition.variable.name.value: _literal(definition.default_value)
        for definition in operation.variable_definitions or ()
        if definition.default_value is not None
    }
    estimator = _Estimator(
        built,
        _bounds(built, page_cap),
        fragments,
        variables,
        defaults,
        set() if reads is None else reads,
    )
    cost = estimator.selection_set(root, operation.selection_set, None)
    if operation.operation is OperationType.MUTATION:
        cost += MUTATION_COST * sum(
            1 for s in operation.selection_set.selections if isinstance(s, FieldNode)
        )
    return max(cost, 1)


def _literal(value: Any) -> Any:
    return int(value.value) if isinstance(value, IntValueNode) else None
