"""Read-only queries answered by a plan worked out once per document, instead of graphql-core's
executor.

For every request, graphql-core collects each selection, builds a resolve-info record per
field, calls the resolver through strawberry's wrappers (argument conversion, extensions) and
completes each value through the non-null, list and leaf checks: about two thirds of a guide's
CPU, though nothing in it changes between two requests for the same document. A `Plan` does
that walk once, when the document is first prepared: per field, the attribute to read or the
resolver to call with its arguments, and how to complete what comes back. A request then
runs the plan: the same resolvers, the same loaders (their loads still gathered, so that a
page's departments are one batch), the same serialisers, except where the answer is known
without them: a str for a String is itself, an enum member's name is looked up in a table.

A plan answers only what it can answer exactly as the executor would, and only the public
catalogue's reads (the root fields the caller names, `schema.root.PUBLIC_CATALOGUE_FIELDS`:
guides, pages, searches, themes, regions, whose answers depend on the catalogue alone). A
document outside that (mutations, anyone's own data, directives, abstract types, merged
fields, introspection, field extensions other than the policy's) gets none. A request the
plan cannot finish (a null where the schema promises a value, a resolver that raises, a
policy refusal, a resolver asking `info` for more than plans give, variables that do not
coerce) raises `Unplanned` and is executed as before, so that errors are decided, located,
masked and logged in one place. Catalogue reads change nothing, so running one a second
time costs only time.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from types import GeneratorType
from typing import Any, cast

import orjson
import strawberry
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLBoolean,
    GraphQLError,
    GraphQLID,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    GraphQLString,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionNode,
    Undefined,
    is_abstract_type,
    is_leaf_type,
)
from graphql.execution.get_variable_signature import (
    GraphQLVariableSignature,
    get_variable_signature,
)
from graphql.execution.values import (
    VariableValues,
    VariableValueSource,
    get_argument_values,
    get_variable_values,
)
from strawberry.schema.schema_converter import CustomGraphQLEnumType, GraphQLCoreConverter
from strawberry.types.arguments import convert_arguments
from strawberry.types.base import StrawberryOptional
from strawberry.types.field import StrawberryField

from resolvers.policy import Action, gate
from schema.authorised import Authorised
from schema.context import Context

# Per field, the converted arguments kept (see _Arguments).
_CONVERTED_ENTRIES = 512
# The policy's actions a planned field may be guarded by (the policy still decides).
_PUBLIC = frozenset({Action.READ_PUBLIC})
# Completes one resolved value: the answer's value now, or an awaitable of it.
_Complete = Callable[[Any, "_Run"], Any]


class Unplanned(Exception):
    """The plan cannot answer this request as the executor would; the executor answers it.
    `lasting`: it never will (a resolver needs more of `info` than plans give)."""

    def __init__(self, reason: str, *, lasting: bool = False) -> None:
        super().__init__(reason)
        self.lasting = lasting


class _NotPlannable(Exception):
    pass


class _Info:
    """What a planned resolver gets as `info`: the request's context, and the name of the
    type whose field it resolves (`info.path.typename`, which a node's global id is made
    of). Anything else a resolver asks of `info` (its whole path, its selection) belongs to
    the executor."""

    __slots__ = ("context", "path")

    def __init__(self, context: Context, typename: str | None) -> None:
        self.context = context
        self.path = _Path(typename)

    def __getattr__(self, name: str) -> Any:
        raise Unplanned(f"info.{name}", lasting=True)


class _Path:
    __slots__ = ("typename",)

    def __init__(self, typename: str | None) -> None:
        self.typename = typename

    def __getattr__(self, name: str) -> Any:
        raise Unplanned(f"info.path.{name}", lasting=True)


@dataclass(slots=True)
class _Run:
    """One request's run of a plan."""

    context: Context
    variables: VariableValues
    decisions: dict[Action, bool]
    objects: int = 0  # the answer's objects so far, the root's included


@dataclass(frozen=True, slots=True)
class _Field:
    key: str  # the response name (the alias, if any)
    read: Callable[[Any, _Run], Any]  # the source's value for this field, or an awaitable
    complete: _Complete
    # A plain attribute of a built-in scalar type (most of a guide's fields): read and taken
    # as it is when the value is already what serialising gives, without the two calls.
    attribute: str | None = None
    plain: type | None = None  # the value's type that serialises to itself
    nullable: bool = False


# What graphql-core's serialisers give back unchanged: a str for String and ID, a bool for
# Boolean, an int within 32 bits for Int (one outside is an error, the serialiser's to raise).
_PLAIN_SCALARS: dict[Any, type] = {
    GraphQLString: str,
    GraphQLID: str,
    GraphQLBoolean: bool,
    GraphQLInt: int,
}
_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1


def _plain_of(kind: Any) -> tuple[type | None, bool]:
    """The type whose values the GraphQL type `kind` keeps as they are, if any (see
    _PLAIN_SCALARS), and whether `kind` is nullable."""
    if isinstance(kind, GraphQLNonNull):
        return _PLAIN_SCALARS.get(kind.of_type), False
    return _PLAIN_SCALARS.get(kind), True


def _as_it_is(value: Any, plain: type | None) -> bool:
    """Whether serialising the value, or coercing it as a variable, keeps it as it is."""
    if type(value) is not plain:
        return False
    return plain is not int or _INT_MIN <= cast(int, value) <= _INT_MAX


class Plan:
    """One query operation of one document, as a plan (see the module's docstring)."""

    def __init__(
        self,
        schema: GraphQLSchema,
        operation: OperationDefinitionNode,
        fields: Sequence[_Field],
    ) -> None:
        self._schema = schema
        self._operation = operation
        self._fields = tuple(fields)
        self._plain_variables = _plain_variables(schema, operation)
        self.dead = False  # set when a run showed the plan can never answer

    async def run(
        self, context: Context, variables: Mapping[str, Any] | None
    ) -> tuple[dict[str, Any], int]:
        """The answer's `data` and the number of objects in it (the root's included, as
        `api.results.actual_cost` counts them), or Unplanned."""
        run = _Run(context, self._coerced(variables or {}), {})
        try:
            answer = _object(self._fields, None, run)
            if _awaitable(answer):
                answer = await answer
        except Unplanned as unplanned:
            if unplanned.lasting:
                self.dead = True
            raise
        except Exception as error:  # the executor decides, locates and logs it
            raise Unplanned(type(error).__name__) from error
        result: dict[str, Any] = answer
        return result, run.objects

    def _coerced(self, given: Mapping[str, Any]) -> VariableValues:
        """The variables as graphql-core coerces them. Where each is a built-in scalar given
        as the value coercing would keep (a code as a str), they are taken as they are."""
        plain = self._plain_variables
        if plain is not None:
            sources: dict[str, VariableValueSource] = {}
            coerced: dict[str, Any] = {}
            for signature, kept, nullable in plain:
                name = signature.name
                if name not in given:
                    if not nullable:
                        break  # graphql-core's to refuse
                    sources[name] = VariableValueSource(signature)  # and left out, as there
                    continue
                value = given[name]
                if not (_as_it_is(value, kept) or (value is None and nullable)):
                    break  # graphql-core's to coerce or refuse
                sources[name] = VariableValueSource(signature, value)
                coerced[name] = value
            else:
                return VariableValues(sources, coerced)
        found = get_variable_values(
            self._schema, self._operation.variable_definitions or (), dict(given)
        )
        if isinstance(found, list):
            raise Unplanned("variables")
        return found


def _plain_variables(
    schema: GraphQLSchema, operation: OperationDefinitionNode
) -> tuple[tuple[GraphQLVariableSignature, type, bool], ...] | None:
    """(signature, the value's type coercing keeps, nullable) per variable when every
    variable is a built-in scalar without a default; else None."""
    plain = []
    for definition in operation.variable_definitions or ():
        signature = get_variable_signature(schema, definition)
        if isinstance(signature, GraphQLError) or definition.default_value is not None:
            return None
        kept, nullable = _plain_of(signature.type)
        if kept is None:
            return None
        plain.append((signature, kept, nullable))
    return tuple(plain)


def plan_of(
    schema: strawberry.Schema,
    document: DocumentNode,
    name: str | None,
    roots: frozenset[str],
) -> Plan | None:
    """The plan of the document's operation `name` (the only one when None), or None when the
    operation is one plans do not cover. The document must have passed validation. `roots`:
    the root fields plans may answer, reads that change nothing and hold no one's own data,
    so that a request the plan cannot finish may run again through the executor."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is not None:
        operations = [o for o in operations if o.name is not None and o.name.value == name]
    if len(operations) != 1 or operations[0].operation is not OperationType.QUERY:
        return None
    operation = operations[0]
    if operation.directives:
        return None
    if not all(
        isinstance(selection, FieldNode) and selection.name.value in roots
        for selection in operation.selection_set.selections
    ):
        return None
    core = schema._schema
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    root = core.query_type
    if root is None:
        return None
    compiler = _Compiler(schema, core, fragments)
    try:
        fields = compiler.selection(root, operation.selection_set.selections)
    except _NotPlannable:
        return None
    return Plan(core, operation, fields)


class _Compiler:
    def __init__(
        self,
        schema: strawberry.Schema,
        core: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
    ) -> None:
        self.config = schema.config
        self.scalars = schema.schema_converter.scalar_registry
        self.core = core
        self.fragments = fragments

    def selection(
        self, parent: GraphQLObjectType, selections: Sequence[SelectionNode]
    ) -> list[_Field]:
        fields: list[_Field] = []
        keys: set[str] = set()
        for node in self._flattened(parent, selections, ()):
            key = node.alias.value if node.alias else node.name.value
            if key in keys:  # merged fields: the executor's to merge
                raise _NotPlannable
            keys.add(key)
            fields.append(self._field(parent, key, node))
        return fields

    def _flattened(
        self, parent: GraphQLObjectType, selections: Sequence[SelectionNode], seen: tuple[str, ...]
    ) -> list[FieldNode]:
        """The selection's fields in document order, fragments spread in place."""
        found: list[FieldNode] = []
        for selection in selections:
            if selection.directives:
                raise _NotPlannable
            if isinstance(selection, FieldNode):
                found.append(selection)
                continue
            if isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is None or name in seen or fragment.directives:
                    raise _NotPlannable
                if self._applies(parent, fragment.type_condition.name.value):
                    found += self._flattened(
                        parent, fragment.selection_set.selections, (*seen, name)
                    )
                continue
            if isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                if condition is None or self._applies(parent, condition.name.value):
                    found += self._flattened(parent, selection.selection_set.selections, seen)
                continue
            raise _NotPlannable
        return found

    def _applies(self, parent: GraphQLObjectType, condition: str) -> bool:
        kind = self.core.get_type(condition)
        if kind is parent:
            return True
        return kind is not None and is_abstract_type(kind) and self.core.is_sub_type(kind, parent)

    def _field(self, parent: GraphQLObjectType, key: str, node: FieldNode) -> _Field:
        name = node.name.value
        if name == "__typename":
            type_name = parent.name
            return _Field(key, lambda _source, _run: type_name, _leaf(lambda v: v))
        if name.startswith("__"):
            raise _NotPlannable
        field = parent.fields.get(name)
        definition = (
            (field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
            if (field is not None)
            else None
        )
        if field is None or not isinstance(definition, StrawberryField):
            raise _NotPlannable
        actions = []
        for extension in definition.extensions:
            if not isinstance(extension, Authorised) or extension.action not in _PUBLIC:
                raise _NotPlannable
            actions.append(extension.action)
        if parent is self.core.query_type and not actions:
            raise _NotPlannable
        read = self._reader(parent.name, field, definition, node, tuple(actions))
        complete = self._completer(field.type, node)
        plain, nullable = _plain_of(field.type)
        if plain is None or actions or definition.base_resolver is not None:
            return _Field(key, read, complete)
        return _Field(key, read, complete, definition.python_name, plain, nullable)

    def _reader(
        self,
        typename: str,
        field: Any,
        definition: StrawberryField,
        node: FieldNode,
        actions: tuple[Action, ...],
    ) -> Callable[[Any, _Run], Any]:
        resolver = definition.base_resolver
        if resolver is None:
            if definition.default_resolver is not getattr or node.arguments:
                raise _NotPlannable
            attribute = definition.python_name

            def attribute_of(source: Any, _run: _Run) -> Any:
                return getattr(source, attribute)

            return attribute_of if not actions else _gated(actions, attribute_of)
        takes_self = resolver.self_parameter is not None
        by_name = [
            p.name for p in (resolver.root_parameter, resolver.parent_parameter) if p is not None
        ]
        info_name = resolver.info_parameter.name if resolver.info_parameter else None
        call = cast(Callable[..., Any], resolver.wrapped_func)

        converting = (
            _Arguments(field, node, definition, self.config, self.scalars)
            if definition.arguments
            else None
        )

        def resolved(source: Any, run: _Run) -> Any:
            info = _Info(run.context, typename) if converting or info_name else None
            kwargs = converting.of(run, info) if converting else {}
            for parameter in by_name:
                kwargs[parameter] = source
            if info_name is not None:
                kwargs[info_name] = info
            return call(source, **kwargs) if takes_self else call(**kwargs)

        return resolved if not actions else _gated(actions, resolved)

    def _completer(self, kind: GraphQLOutputType, node: FieldNode) -> _Complete:
        if isinstance(kind, GraphQLNonNull) and is_leaf_type(kind.of_type):
            serialise = _serialiser(kind.of_type)

            def required_leaf(value: Any, _run: _Run) -> Any:
                if value is None:
                    raise Unplanned("null for a non-null field")
                serialised = serialise(value)
                if serialised is None or serialised is Undefined:
                    raise Unplanned("did not serialise")
                return serialised

            return required_leaf
        if isinstance(kind, GraphQLNonNull):
            inner = self._completer(kind.of_type, node)

            def required(value: Any, run: _Run) -> Any:
                if value is None:
                    raise Unplanned("null for a non-null field")
                return inner(value, run)

            return required
        nullable = self._nullable(kind, node)

        def optional(value: Any, run: _Run) -> Any:
            return None if value is None else nullable(value, run)

        return optional

    def _nullable(self, kind: GraphQLOutputType, node: FieldNode) -> _Complete:
        if isinstance(kind, GraphQLList):
            item = self._completer(kind.of_type, node)

            def listed(value: Any, run: _Run) -> Any:
                if isinstance(value, (str, bytes, Mapping)) or not hasattr(value, "__iter__"):
                    raise Unplanned("not a list")
                return _gathered([item(v, run) for v in value])

            return listed
        if is_leaf_type(kind):
            return _leaf(_serialiser(kind))
        if isinstance(kind, GraphQLObjectType) and node.selection_set is not None:
            fields = tuple(self.selection(kind, node.selection_set.selections))

            def completed(value: Any, run: _Run) -> Any:
                return _object(fields, value, run)

            return completed
        raise _NotPlannable  # interfaces and unions: the executor resolves their types


# Types whose values are never awaitable, told apart without isinstance's ABC checks: the
# plain ones, and each type seen not to be (the answer's object types; bounded by the
# schema's). A generator is awaitable or not by how it was made, so it is asked each time.
_NEVER_AWAITABLE = {str, int, float, bool, type(None), dict, list, tuple}
_NEVER_AWAITABLE_KEPT = 1024


def _awaitable(value: Any) -> bool:
    kind = type(value)
    if kind in _NEVER_AWAITABLE:
        return False
    if inspect.isawaitable(value):
        return True
    if kind is not GeneratorType and len(_NEVER_AWAITABLE) < _NEVER_AWAITABLE_KEPT:
        _NEVER_AWAITABLE.add(kind)
    return False


class _Arguments:
    """A field's arguments for one request, converted to the resolver's types (strawberry's
    input objects, enums) once per distinct value given: a search's filter once per keyword,
    not once per request. The resolvers of public reads copy what they need from their
    arguments and never change them, so one converted value serves every request giving the
    same (at most _CONVERTED_ENTRIES per field, then started afresh).

    Arguments that are all built-in scalars (a guide's code, a page's size) are what
    graphql-core coerced already: strawberry's conversion would hand each value on as it is,
    so they are only renamed to the resolver's parameters, and not kept."""

    def __init__(
        self,
        field: Any,
        node: FieldNode,
        definition: StrawberryField,
        config: Any,
        scalars: Any,
    ) -> None:
        self._field, self._node, self._arguments = field, node, definition.arguments
        self._config, self._scalars = config, scalars
        self._converted: dict[bytes, dict[str, Any]] = {}
        self._renamed = _renamed_scalars(definition, config)

    def of(self, run: _Run, info: _Info | None) -> dict[str, Any]:
        given = get_argument_values(self._field, self._node, run.variables)
        if self._renamed is not None:
            return {python: given[name] for name, python in self._renamed if name in given}
        try:
            key: bytes | None = orjson.dumps(given, option=orjson.OPT_SORT_KEYS)
        except TypeError:  # a value orjson cannot write: converted every time
            key = None
        known = self._converted.get(key) if key is not None else None
        if known is None:
            known = convert_arguments(
                given,
                self._arguments,
                scalar_registry=self._scalars,
                config=self._config,
                info=info,  # type: ignore[arg-type]
            )
            if key is not None:
                if len(self._converted) >= _CONVERTED_ENTRIES:
                    self._converted.clear()
                self._converted[key] = known
        return dict(known)  # the caller adds the resolver's reserved parameters


# Argument types strawberry's conversion returns unchanged (a GlobalID it decodes; enums,
# lists and input objects it builds).
_PASSED_ON = frozenset({str, int, float, bool, strawberry.ID})


def _renamed_scalars(
    definition: StrawberryField, config: Any
) -> tuple[tuple[str, str], ...] | None:
    """(GraphQL name, parameter name) per argument when every argument is a built-in scalar,
    or an optional one; else None."""
    renamed = []
    for argument in definition.arguments:
        kind = argument.type
        if type(kind) is StrawberryOptional:
            kind = kind.of_type
        if kind not in _PASSED_ON or argument.python_name is None:
            return None
        renamed.append((config.name_converter.from_argument(argument), argument.python_name))
    return tuple(renamed)


def _serialiser(kind: Any) -> Callable[[Any], Any]:
    """The leaf type's serialiser. An enum's members are named from a table made once:
    strawberry's own finds the name by walking the enum's values for every value it writes."""
    serialise: Callable[[Any], Any] = kind.serialize
    if not isinstance(kind, CustomGraphQLEnumType):
        return serialise
    enum = kind.wrapped_cls
    names: dict[Any, str] = {}
    for name, value in kind.values.items():
        names.setdefault(enum(value.value), name)  # an alias is named as strawberry names it

    def enum_name(value: Any) -> Any:
        return names[value] if type(value) is enum else serialise(value)

    return enum_name


def _leaf(serialise: Callable[[Any], Any]) -> _Complete:
    def leaf(value: Any, _run: _Run) -> Any:
        serialised = serialise(value)
        if serialised is None or serialised is Undefined:
            raise Unplanned("did not serialise")
        return serialised

    return leaf


def _gated(actions: tuple[Action, ...], read: Callable[[Any, _Run], Any]) -> Any:
    """A field the policy guards: read when the caller may, else the executor answers (a
    refusal is an error, the executor's to word and locate)."""

    async def allowed(source: Any, run: _Run) -> Any:
        context = run.context
        for action in actions:
            decided = run.decisions.get(action)
            if decided is None:
                decision = await gate(context.resources, context.principal, action)
                decided = run.decisions[action] = decision.allowed
            if not decided:
                raise Unplanned("refused")
        value = read(source, run)
        return (await value) if _awaitable(value) else value

    return allowed


def _object(fields: tuple[_Field, ...], source: Any, run: _Run) -> Any:
    """The object's answer in selection order; its fields' loads gathered, as the executor
    does, so that the loaders batch them."""
    answer: dict[str, Any] = {}
    run.objects += 1
    pending: list[tuple[str, _Field, Awaitable[Any]]] = []
    for field in fields:
        attribute = field.attribute
        if attribute is not None:
            value = getattr(source, attribute)
            if _as_it_is(value, field.plain) or (value is None and field.nullable):
                answer[field.key] = value
                continue
        else:
            value = field.read(source, run)
        if _awaitable(value):
            answer[field.key] = None
            pending.append((field.key, field, value))
            continue
        completed = field.complete(value, run)
        answer[field.key] = completed
        if _awaitable(completed):
            pending.append((field.key, field, _awaited(completed)))
    if not pending:
        return answer
    return _finished(answer, pending, run)


async def _awaited(completed: Awaitable[Any]) -> Any:
    return _Done(await completed)


@dataclass(frozen=True, slots=True)
class _Done:
    """A value already completed (as opposed to a resolver's value still to complete)."""

    value: Any


async def _finished(
    answer: dict[str, Any], pending: list[tuple[str, _Field, Awaitable[Any]]], run: _Run
) -> dict[str, Any]:
    values = await _all([awaitable for _, _, awaitable in pending])
    later: list[tuple[str, Awaitable[Any]]] = []
    for (key, field, _), value in zip(pending, values, strict=True):
        if isinstance(value, _Done):
            answer[key] = value.value
            continue
        completed = field.complete(value, run)
        answer[key] = completed
        if _awaitable(completed):
            later.append((key, completed))
    if later:
        for (key, _), value in zip(later, await _all([a for _, a in later]), strict=True):
            answer[key] = value
    return answer


def _gathered(items: list[Any]) -> Any:
    """A list's completed items, awaiting together those that must be awaited."""
    waiting = [i for i, item in enumerate(items) if _awaitable(item)]
    if not waiting:
        return items

    async def together() -> list[Any]:
        for i, value in zip(waiting, await _all([items[i] for i in waiting]), strict=True):
            items[i] = value
        return items

    return together()


async def _all(awaitables: list[Awaitable[Any]]) -> list[Any]:
    """Every awaitable's value; the first failure raised once all have settled (none is
    left running behind the executor that answers instead)."""
    if len(awaitables) == 1:
        return [await awaitables[0]]
    values = await asyncio.gather(*awaitables, return_exceptions=True)
    for value in values:
        if isinstance(value, BaseException):
            raise value
    return values
