"""Plain values read without graphql-core's per-field machinery.

Most fields of an answer are a scalar or an enum read off the object (a guide's name, a
material's necessity, a card's code): strawberry gives them a resolver that reads the
attribute, and graphql-core still builds a resolve-info record, looks for arguments,
calls the resolver through two wrappers, and completes the value through the non-null,
list and leaf checks, for every value of every object. `PlainValues` reads such a field
itself (the same attribute strawberry's default resolver reads, serialised by the same
scalar or enum) and leaves everything else to graphql-core: fields with a resolver,
arguments, extensions or a resolver-hooking schema extension, objects and lists, and any
value that is null or does not serialise, so that nulls and errors are decided and
located exactly as before."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import GraphQLNonNull, GraphQLObjectType, Undefined, is_leaf_type
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter

_Plain = tuple[str, Callable[[Any], Any]]
# Per schema object type and field name: the attribute to read and how to serialise it, or
# None when the field is not a plain value. Bounded by the schema's size.
_plain: dict[tuple[GraphQLObjectType, str], _Plain | None] = {}


def _plain_field(parent_type: GraphQLObjectType, name: str) -> _Plain | None:
    key = (parent_type, name)
    try:
        return _plain[key]
    except KeyError:
        pass
    found: _Plain | None = None
    field = parent_type.fields.get(name)
    definition = (
        (field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF) if field else None
    )
    if field is not None and definition is not None:
        inner = field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type
        if (
            definition.is_basic_field
            # strawberry's own attribute reader, not a custom default resolver
            and getattr(field.resolve, "_is_default", False)
            and definition.default_resolver is getattr
            and not field.args
            and is_leaf_type(inner)
        ):
            found = (definition.python_name, inner.serialize)
    _plain[key] = found
    return found


class PlainValues(StrawberryGraphQLCoreExecutionContext):
    """graphql-core's executor (strawberry's), with plain values read directly: a field
    alone, or an object's whole selection at once when it holds nothing else (a list's
    cards, a guide's materials)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Per selection (by id): the selection itself, kept alive, and its plan.
        self._plans: dict[int, tuple[Any, list[tuple[str, str, Callable[[Any], Any]]] | None]] = {}

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Any,
        grouped_field_set: Any,
        position_context: Any,
    ) -> Any:
        plan = self._selection_plan(parent_type, grouped_field_set)
        if plan is not None and not self._resolver_hooks():
            answer: dict[str, Any] = {}
            for response_name, attribute, serialise in plan:
                try:
                    value = getattr(source_value, attribute)
                    serialised = None if value is None else serialise(value)
                except Exception:  # graphql-core reports it below, located
                    serialised = None
                if serialised is None or serialised is Undefined:
                    break
                answer[response_name] = serialised
            else:
                return answer
        return super().execute_fields(
            parent_type, source_value, path, grouped_field_set, position_context
        )

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: Any,
        path: Any,
        position_context: Any,
    ) -> Any:
        node = field_details_list[0].node
        plain = None if node.arguments else _plain_field(parent_type, node.name.value)
        if plain is not None and not self._resolver_hooks():
            try:
                value = getattr(source, plain[0])
                if value is not None:
                    serialised = plain[1](value)
                    if serialised is not None and serialised is not Undefined:
                        return serialised
            except Exception:  # noqa: S110 - graphql-core reports it below, located
                pass
        return super().execute_field(
            parent_type, source, field_details_list, path, position_context
        )

    def _selection_plan(
        self, parent_type: GraphQLObjectType, grouped_field_set: Any
    ) -> list[tuple[str, str, Callable[[Any], Any]]] | None:
        """Each response key with its attribute and serialiser when every field of the
        selection is a plain value, else None. graphql-core collects a selection once per
        execution and list (it memoises it), so this is worked out once per selection: the
        set itself is kept beside its plan, so that its id cannot be reused meanwhile."""
        plans = self._plans
        known = plans.get(id(grouped_field_set))
        if known is not None:
            return known[1]
        plan: list[tuple[str, str, Callable[[Any], Any]]] | None = []
        for response_name, field_details_list in grouped_field_set.items():
            node = field_details_list[0].node
            plain = None if node.arguments else _plain_field(parent_type, node.name.value)
            if plain is None:
                plan = None
                break
            plan.append((response_name, plain[0], plain[1]))  # type: ignore[union-attr]
        plans[id(grouped_field_set)] = (grouped_field_set, plan)
        return plan

    def _resolver_hooks(self) -> bool:
        manager = self.middleware_manager
        return manager is not None and bool(manager.middlewares)
