"""The one path every GraphQL request takes before it runs, whatever the transport (POST, GET,
a batch, a WebSocket frame): request shape, persisted queries and the allow-list, parsing and
validation with the limits, the operation type the transport allows, the cost, and the key of
the response cache."""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import re
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import orjson
import strawberry
from graphql import (
    ASTValidationRule,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    parse,
    print_ast,
    specified_rules,
    validate,
)
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions.max_aliases import create_validator as aliases_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule

from resolvers.settings import Settings
from schema.cost import list_bounds, operation_cost
from schema.plans import Plan, plan_of
from schema.root import PUBLIC_CATALOGUE_FIELDS
from schema.sdl import graphql_schema
from storage.cache import Keys, Redis, RedisError, hit_rate_limit

log = logging.getLogger(__name__)

# An APQ document lives this long after its last registration; clients re-send the text
# when it has gone, so expiry costs one round trip, never a failure.
APQ_TTL_SECONDS = 7 * 86400
# Distinct documents kept parsed and validated: clients send a few hundred at most.
DOCUMENT_CACHE_SIZE = 1024
# Inlining fragments to normalise a document stops here (a fragment spread in a fragment
# spread multiplies); past it the document is keyed as printed, aliases and all.
_NORMALISE_MAX_FIELDS = 5000
_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")


class Transport(StrEnum):
    GET = "GET"  # queries only
    POST = "POST"  # queries and mutations
    WEBSOCKET = "WEBSOCKET"  # anything, subscriptions included


_ALLOWED: dict[Transport, frozenset[OperationType]] = {
    Transport.GET: frozenset({OperationType.QUERY}),
    Transport.POST: frozenset({OperationType.QUERY, OperationType.MUTATION}),
    Transport.WEBSOCKET: frozenset(OperationType),
}


class Refused(Exception):
    """The request ends before execution: an HTTP status, a stable code, a zh-CN message."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        headers: Mapping[str, str] | None = None,
        **extensions: object,
    ) -> None:
        super().__init__(code)
        self.status, self.code, self.message = status, code, message
        self.headers = dict(headers or {})
        self.extensions = extensions

    def error(self) -> dict[str, object]:
        return {"message": self.message, "extensions": {"code": self.code, **self.extensions}}


class InvalidDocument(Exception):
    """Parsing or validation failed: GraphQL errors, answered before execution."""

    def __init__(self, errors: list[GraphQLError]) -> None:
        super().__init__("invalid document")
        self.errors = errors


@dataclass(frozen=True, slots=True)
class GraphQLRequest:
    """One operation as a client sent it, its shape checked."""

    query: str | None
    operation_name: str | None
    variables: dict[str, Any]
    persisted_hash: str | None


def bad_request(message: str, **extensions: object) -> Refused:
    refused = Refused(400, "BAD_REQUEST", message)
    refused.extensions = extensions
    return refused


def request_from(data: object, index: int | None = None) -> GraphQLRequest:
    """Checks one request object (GraphQL over HTTP): every field at fault is named."""
    where = "" if index is None else f"第 {index + 1} 个操作："
    if not isinstance(data, dict):
        raise bad_request(f"{where}请求必须是 JSON 对象。", field=_path(index, None))
    faults: list[str] = []
    query = data.get("query")
    if query is not None and not isinstance(query, str):
        faults.append("query")
    name = data.get("operationName")
    if name is not None and not isinstance(name, str):
        faults.append("operationName")
    variables = data.get("variables")
    if variables is not None and not isinstance(variables, dict):
        faults.append("variables")
    extensions = data.get("extensions")
    persisted_hash = None
    if extensions is not None and not isinstance(extensions, dict):
        faults.append("extensions")
    elif isinstance(extensions, dict) and "persistedQuery" in extensions:
        persisted = extensions["persistedQuery"]
        declared = persisted.get("sha256Hash") if isinstance(persisted, dict) else None
        if not isinstance(declared, str) or not re.fullmatch(r"[0-9a-f]{64}", declared):
            faults.append("extensions.persistedQuery.sha256Hash")
        else:
            persisted_hash = declared
    if faults:
        raise bad_request(
            f"{where}请求字段类型错误：{', '.join(faults)}。",
            fields=[_path(index, f) for f in faults],
        )
    if query is None and persisted_hash is None:
        raise bad_request(f"{where}请求中没有 GraphQL 查询。", field=_path(index, "query"))
    return GraphQLRequest(
        query=query,
        operation_name=name,
        variables=variables or {},
        persisted_hash=persisted_hash,
    )


def _path(index: int | None, name: str | None) -> str | None:
    if index is None:
        return name
    return f"[{index}]" if name is None else f"[{index}].{name}"


def requests_from_body(data: object, max_operations: int) -> tuple[list[GraphQLRequest], bool]:
    """The operations of a POST body: one object, or a batch (a JSON array) of them."""
    if isinstance(data, list):
        if not data:
            raise bad_request("批量请求为空。")
        if len(data) > max_operations:
            raise Refused(
                400,
                "TOO_MANY_OPERATIONS",
                f"单次请求最多包含 {max_operations} 个操作。",
                maxOperations=max_operations,
            )
        return [request_from(item, index) for index, item in enumerate(data)], True
    return [request_from(data)], False


# -- documents


@dataclass(frozen=True, slots=True)
class Rename:
    """How one response key of the normalised document maps to the client's (and the plan for
    what is below it)."""

    key: str
    below: Mapping[str, Rename] | None = None


@dataclass(frozen=True, slots=True)
class Shape:
    """A query's normalised form: whitespace, comments and alias names do not change it."""

    text: str
    to_client: Mapping[str, Rename] | None  # None: the client's keys are the normalised ones
    from_client: Mapping[str, Rename] | None


@dataclass(frozen=True, slots=True)
class OperationInfo:
    node: OperationDefinitionNode
    type: OperationType
    root_fields: frozenset[str]
    shape: Shape | None  # queries only


@dataclass(slots=True)
class Document:
    text: str
    sha256: str
    ast: DocumentNode
    fragments: dict[str, FragmentDefinitionNode]
    operations: dict[str | None, OperationInfo] = field(default_factory=dict)
    # Per operation name: its plan (schema.plans), or None where plans do not cover it.
    plans: dict[str | None, Plan | None] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Operation:
    """A request ready to run: everything the transports and the response cache need."""

    request: GraphQLRequest
    document: Document
    info: OperationInfo
    cost: int
    cache_key: str | None  # set when the answer may be shared by every anonymous caller

    @property
    def query(self) -> str:
        return self.document.text

    @property
    def operation_name(self) -> str | None:
        return self.request.operation_name

    @property
    def variables(self) -> dict[str, Any]:
        return self.request.variables


@dataclass(frozen=True, slots=True)
class Caller:
    """Whom budgets and limits count: `a:<account id>` when signed in, else `ip:<address>`."""

    key: str
    signed_in: bool
    trusted: bool  # staff, admins and providers may run documents outside the allow-list


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@functools.cache
def load_registered(path: Path) -> dict[str, str]:
    """The registered operations' texts by name: what the mini-program ships (read once per
    process; the allow-list, the metrics' operation labels and the warm-up all come from it)."""
    registered = json.loads(path.read_text(encoding="utf-8"))
    names: dict[str, str] = registered["operations"]
    return {
        names[query_hash]: text
        for query_hash, text in registered["documents"].items()
        if query_hash in names and sha256(text) == query_hash
    }


def allow_list(registered: Mapping[str, str]) -> frozenset[str]:
    """The hashes the production allow-list admits: the registered operations'."""
    return frozenset(sha256(text) for text in registered.values())


def manifest(documents: dict[str, str]) -> str:
    """The allow-list file: every registered operation's hash and name, and its text (the
    server prepares those at start and answers them by hash alone)."""
    operations = {sha256(text): name for name, text in sorted(documents.items())}
    texts = {sha256(text): text for _, text in sorted(documents.items())}
    return (
        json.dumps({"operations": operations, "documents": texts}, ensure_ascii=False, indent=1)
        + "\n"
    )


def _sizing_values(names: tuple[str, ...], variables: dict[str, Any]) -> bytes:
    return orjson.dumps([variables.get(name) for name in names])


WARM_UP = """
query WarmUp($code: String!, $first: Int = 2) {
  service(code: $code) { code name materials { name } ...Place }
  services(filter: {keyword: "warm"}, first: $first) {
    nodes { ... on Service { code name } }
    pageInfo { hasNextPage endCursor }
  }
  __typename
}
fragment Place on Service { region { name } department { name } }
"""


Rules = tuple[type[ASTValidationRule], ...]


@functools.lru_cache(maxsize=8)
def validation_rules(max_depth: int, max_aliases: int, *, production: bool) -> Rules:
    """The validation rules for these limits: graphql-core's own, the depth and alias caps and,
    in production, no introspection. The same classes for every app of a process with the
    same limits, so what graphql-core sets up per rule is set up once."""
    rules: list[type[ASTValidationRule]] = [
        *specified_rules,
        depth_rule(max_depth, None, None),
        aliases_rule(max_aliases),
    ]
    if production:
        rules.append(NoSchemaIntrospectionCustomRule)
    return tuple(rules)


@functools.lru_cache(maxsize=8)
def _validate_once(schema: strawberry.Schema, rules: Rules) -> None:
    # graphql-core sets up each validation rule's visitor on the first document it checks
    # (over 10 ms): one document with the usual kinds of node pays for it here.
    errors = validate(graphql_schema(schema), parse(WARM_UP), rules)
    # The document names public fields only: an error means the schema moved under it.
    assert not errors, errors


def checked(
    schema: strawberry.Schema, rules: Rules, max_tokens: int, query: str, query_hash: str
) -> Document | InvalidDocument:
    """A document parsed (within the token cap) and validated, or why it is refused."""
    try:
        ast = parse(query, max_tokens=max_tokens)
    except GraphQLError as error:
        return InvalidDocument([error])
    errors = validate(graphql_schema(schema), ast, rules)
    if errors:
        return InvalidDocument(list(errors))
    fragments = {d.name.value: d for d in ast.definitions if isinstance(d, FragmentDefinitionNode)}
    return Document(text=query, sha256=query_hash, ast=ast, fragments=fragments)


def operation_info(document: Document, name: str | None) -> OperationInfo:
    """What the preparation needs to know of one operation of a document, found once."""
    found = document.operations.get(name)
    if found is not None:
        return found
    candidates = [d for d in document.ast.definitions if isinstance(d, OperationDefinitionNode)]
    if name is not None:
        candidates = [o for o in candidates if o.name is not None and o.name.value == name]
        if not candidates:
            raise bad_request(f"找不到名为 {name} 的操作。", field="operationName")
    elif len(candidates) != 1:
        raise bad_request("文档包含多个操作，请指定 operationName。", field="operationName")
    node = candidates[0]
    roots = frozenset(
        s.name.value for s in node.selection_set.selections if isinstance(s, FieldNode)
    )
    shape = None
    if node.operation is OperationType.QUERY and all(
        isinstance(s, FieldNode) for s in node.selection_set.selections
    ):
        shape = normalise(node, document.fragments)
    info = OperationInfo(node=node, type=node.operation, root_fields=roots, shape=shape)
    document.operations[name] = info
    return info


@functools.lru_cache(maxsize=8)
def registered_documents(
    schema: strawberry.Schema,
    rules: Rules,
    max_tokens: int,
    registered: frozenset[tuple[str, str]],
) -> Mapping[str, Document]:
    """The registered operations (hash, text) checked and analysed, by text: once per process
    and limits, however many apps it builds (a test builds one per test)."""
    documents: dict[str, Document] = {}
    for query_hash, text in registered:
        found = checked(schema, rules, max_tokens, text, query_hash)
        if isinstance(found, InvalidDocument):
            # Refused by this server's own limits (a lowered depth or token cap): it is
            # then refused like any other document, with the reason, when it is sent.
            log.warning("registered operation %s refused: %s", query_hash, found.errors[0])
            continue
        documents[text] = found
        operations = [d for d in found.ast.definitions if isinstance(d, OperationDefinitionNode)]
        for node in operations:
            if node.name is not None:
                operation_info(found, node.name.value)
        if len(operations) == 1:  # also sent without its name
            operation_info(found, None)
    return documents


class Preparer:
    """Turns a client's request into an `Operation`, or refuses it with a typed reason."""

    def __init__(
        self,
        schema: strawberry.Schema,
        settings: Settings,
        *,
        allow_list: frozenset[str] | None,
        cacheable_fields: frozenset[str],
        registered: Mapping[str, str] | None = None,
    ) -> None:
        self.schema = schema
        self.settings = settings
        self.allow_list = allow_list
        self.cacheable_fields = cacheable_fields
        self.production = settings.is_production
        self.rules = validation_rules(
            settings.max_query_depth, settings.max_aliases, production=self.production
        )
        # Validation and cost analysis read graphql-core's schema rebuilt from the SDL and the
        # bounds of its lists: built here, with the app, so that no client's first request
        # pays for them (about half a second on a quiet core).
        list_bounds(schema, settings.max_page_size)
        _validate_once(schema, self.rules)
        self._documents: OrderedDict[str, Document | InvalidDocument] = OrderedDict()
        # The registered operations (the mini-program's), parsed and validated here, so that a
        # resident's first search after a deploy costs what the hundredth does; held apart
        # from the bounded cache, which a client's stream of new documents could empty.
        self.registered_texts = {sha256(text): text for text in (registered or {}).values()}
        self._registered_documents = registered_documents(
            schema, self.rules, settings.max_tokens, frozenset(self.registered_texts.items())
        )
        self._costs: OrderedDict[tuple[str, str | None, bytes], int] = OrderedDict()
        # Per operation: the variables its cost depends on (see schema.cost.operation_cost).
        self._sizing: OrderedDict[tuple[str, str | None], tuple[str, ...]] = OrderedDict()

    async def prepare(
        self, request: GraphQLRequest, caller: Caller, transport: Transport, redis: Redis
    ) -> Operation:
        query, query_hash = await self._text(request, redis)
        if self.allow_list is not None and not caller.trusted and query_hash not in self.allow_list:
            raise Refused(
                403, "OPERATION_NOT_ALLOWLISTED", "该查询未登记，生产环境只接受已登记的查询。"
            )
        document = self.document(query, query_hash)
        if (
            request.persisted_hash is not None
            and request.query is not None
            and query_hash not in self.registered_texts
        ):
            await self._register(query, query_hash, caller, redis)
        info = operation_info(document, request.operation_name)
        if info.type not in _ALLOWED[transport]:
            raise _wrong_transport(info.type, transport)
        cost = self._cost(document, info, request)
        cache_key = None
        if (
            info.shape is not None
            and not caller.signed_in
            and info.root_fields
            and info.root_fields <= self.cacheable_fields
        ):
            variables = orjson.dumps(request.variables, option=orjson.OPT_SORT_KEYS)
            cache_key = hashlib.sha256(info.shape.text.encode() + b"\0" + variables).hexdigest()
        return Operation(request, document, info, cost, cache_key)

    def plan(self, operation: Operation) -> Plan | None:
        """The operation's plan, worked out the first time its document runs it; None for
        what plans do not cover (and for a plan a run showed cannot answer)."""
        if operation.info.type is not OperationType.QUERY:
            return None
        plans = operation.document.plans
        name = operation.operation_name
        try:
            plan = plans[name]
        except KeyError:
            plan = plans[name] = plan_of(
                self.schema, operation.document.ast, name, PUBLIC_CATALOGUE_FIELDS
            )
        return None if plan is None or plan.dead else plan

    async def _text(self, request: GraphQLRequest, redis: Redis) -> tuple[str, str]:
        """The document's text and hash, from the request or from APQ storage."""
        if request.query is not None:
            if len(request.query.encode()) > self.settings.max_body_bytes:
                raise Refused(413, "PAYLOAD_TOO_LARGE", "查询文档过大。")
            actual = sha256(request.query)
            if request.persisted_hash is not None and request.persisted_hash != actual:
                raise Refused(400, "PERSISTED_QUERY_HASH_MISMATCH", "查询文本与哈希不符。")
            return request.query, actual
        assert request.persisted_hash is not None
        registered = self.registered_texts.get(request.persisted_hash)
        if registered is not None:
            return registered, request.persisted_hash
        try:
            stored = await redis.get(Keys.persisted_query(request.persisted_hash))
        except RedisError:
            stored = None
        if stored is None:
            # Apollo's protocol: the client sends the hash again with the full text.
            raise Refused(200, "PERSISTED_QUERY_NOT_FOUND", "PersistedQueryNotFound")
        return str(stored), request.persisted_hash

    async def _register(self, query: str, query_hash: str, caller: Caller, redis: Redis) -> None:
        """Remembers a valid, allowed document for hash-only requests: within a size cap and
        a per-principal rate, since every stored document costs memory for a week."""
        if len(query.encode()) > self.settings.apq_max_bytes:
            raise Refused(
                413,
                "PAYLOAD_TOO_LARGE",
                f"可登记的查询文档不超过 {self.settings.apq_max_bytes} 字节。",
                maxBytes=self.settings.apq_max_bytes,
            )
        key = Keys.persisted_query(query_hash)
        try:
            if await redis.expire(key, APQ_TTL_SECONDS):
                return  # already known: registering again only keeps it longer
            limit = await hit_rate_limit(
                redis,
                Keys.rate("apq", caller.key),
                limit=self.settings.apq_registrations_per_hour,
                window=3600,
            )
            if limit.allowed:
                await redis.set(key, query, ex=APQ_TTL_SECONDS)
        except RedisError:
            return  # registering is an optimisation: without Redis the query still runs

    def document(self, query: str, query_hash: str | None = None) -> Document:
        """Parsed and validated once per distinct text; invalid ones raise InvalidDocument."""
        registered = self._registered_documents.get(query)
        if registered is not None:
            return registered
        found = self._documents.get(query)
        if found is None:
            found = checked(
                self.schema,
                self.rules,
                self.settings.max_tokens,
                query,
                query_hash or sha256(query),
            )
            self._documents[query] = found
            while len(self._documents) > DOCUMENT_CACHE_SIZE:
                self._documents.popitem(last=False)
        else:
            self._documents.move_to_end(query)
        if isinstance(found, InvalidDocument):
            raise found
        return found

    def _cost(self, document: Document, info: OperationInfo, request: GraphQLRequest) -> int:
        # Keyed on the variables that size lists only: a guide looked up by 5,000 different
        # codes has one cost, computed once.
        operation = (document.sha256, request.operation_name)
        sizing = self._sizing.get(operation)
        if sizing is not None:
            key = (*operation, _sizing_values(sizing, request.variables))
            cost = self._costs.get(key)
            if cost is not None:
                return cost
        reads: set[str] = set()
        cost = operation_cost(
            self.schema,
            info.node,
            document.fragments,
            request.variables,
            page_cap=self.settings.max_page_size,
            reads=reads,
        )
        sizing = tuple(sorted(reads))
        self._sizing[operation] = sizing
        self._costs[(*operation, _sizing_values(sizing, request.variables))] = cost
        while len(self._costs) > DOCUMENT_CACHE_SIZE:
            self._costs.popitem(last=False)
        while len(self._sizing) > DOCUMENT_CACHE_SIZE:
            self._sizing.popitem(last=False)
        return cost

    def public_errors(self, errors: Iterable[GraphQLError]) -> list[GraphQLError]:
        """In production, validation messages name no schema element the caller did not
        write: "Did you mean …" would let anyone map the schema without introspection."""
        if not self.production:
            return list(errors)
        cleaned = []
        for error in errors:
            message = _SUGGESTION.sub("", error.message)
            if message != error.message:
                error = GraphQLError(
                    message,
                    error.nodes,
                    error.source,
                    error.positions,
                    error.path,
                    error.original_error,
                    error.extensions,
                )
            cleaned.append(error)
        return cleaned


def _wrong_transport(operation: OperationType, transport: Transport) -> Refused:
    if operation is OperationType.SUBSCRIPTION:
        return Refused(
            400,
            "SUBSCRIPTION_NEEDS_WEBSOCKET",
            "订阅请通过 WebSocket（graphql-transport-ws）连接。",
        )
    # GraphQL over HTTP: a mutation over GET is 405, not 400.
    return Refused(
        405,
        "METHOD_NOT_ALLOWED",
        "GET 只能用于查询，修改请使用 POST。",
        headers={"allow": "POST"},
    )


# -- normalisation: the response cache's key must not change with whitespace or aliases


class _TooLarge(Exception):
    pass


class _Ambiguous(Exception):
    pass


@dataclass(slots=True)
class _Key:
    canonical: str
    field_name: str
    selections: list[SelectionSetNode] = field(default_factory=list)


class _Normaliser:
    def __init__(self, fragments: Mapping[str, FragmentDefinitionNode]) -> None:
        self.fragments = fragments
        self.fields = 0

    def _flatten(
        self, selections: SelectionSetNode, into: list[tuple[str | None, FieldNode]], on: str | None
    ) -> None:
        for selection in selections.selections:
            if isinstance(selection, FieldNode):
                into.append((on, selection))
                self.fields += 1
                if self.fields > _NORMALISE_MAX_FIELDS:
                    raise _TooLarge
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition.name.value if selection.type_condition else on
                self._flatten(selection.selection_set, into, condition)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments[selection.name.value]
                self._flatten(fragment.selection_set, into, fragment.type_condition.name.value)

    def selection_set(
        self, selections: list[SelectionSetNode]
    ) -> tuple[str, dict[str, Rename], dict[str, Rename]]:
        """Prints the merged selection sets with normalised keys; returns the text and the
        renames both ways (normalised -> client, client -> normalised)."""
        flat: list[tuple[str | None, FieldNode]] = []
        for selection_set in selections:
            self._flatten(selection_set, flat, None)
        keys: dict[str, _Key] = {}  # by the client's response key
        per_name: dict[str, int] = {}
        for _, node in flat:
            response_key = node.alias.value if node.alias else node.name.value
            known = keys.get(response_key)
            if known is None:
                count = per_name.get(node.name.value, 0)
                per_name[node.name.value] = count + 1
                canonical = node.name.value if count == 0 else f"{node.name.value}__{count}"
                known = keys[response_key] = _Key(canonical, node.name.value)
            elif known.field_name != node.name.value:
                raise _Ambiguous  # one key, two fields (in exclusive type branches)
            if node.selection_set is not None:
                known.selections.append(node.selection_set)
        to_client: dict[str, Rename] = {}
        from_client: dict[str, Rename] = {}
        below: dict[str, tuple[str, dict[str, Rename], dict[str, Rename]]] = {}
        for response_key, key in keys.items():
            if key.selections:
                below[response_key] = self.selection_set(key.selections)
        parts = []
        for condition, node in flat:
            response_key = node.alias.value if node.alias else node.name.value
            key = keys[response_key]
            arguments = ",".join(
                f"{a.name.value}:{print_ast(a.value)}"
                for a in sorted(node.arguments or (), key=lambda a: a.name.value)
            )
            directives = "".join(print_ast(d) for d in node.directives or ())
            text = f"{key.canonical}:{node.name.value}({arguments}){directives}"
            if response_key in below:
                text += "{" + below[response_key][0] + "}"
            parts.append(f"...on {condition}{{{text}}}" if condition else text)
        for response_key, key in keys.items():
            sub = below.get(response_key)
            to_client[key.canonical] = Rename(response_key, sub[1] if sub else None)
            from_client[response_key] = Rename(key.canonical, sub[2] if sub else None)
        return " ".join(parts), to_client, from_client


def normalise(
    operation: OperationDefinitionNode, fragments: Mapping[str, FragmentDefinitionNode]
) -> Shape:
    """The operation printed with fragments inlined, arguments sorted and every response key
    renamed to its field's name (numbered when a name repeats), with the renames to apply."""
    variables = " ".join(print_ast(v) for v in operation.variable_definitions or ())
    try:
        body, to_client, from_client = _Normaliser(fragments).selection_set(
            [operation.selection_set]
        )
    except (_TooLarge, _Ambiguous):
        # Keyed as printed: whitespace and comments still do not matter, aliases do.
        return Shape(print_ast(operation), None, None)
    text = f"query({variables}){{{body}}}"
    if _identity(to_client):
        return Shape(text, None, None)
    return Shape(text, to_client, from_client)


def _identity(renames: Mapping[str, Rename] | None) -> bool:
    if renames is None:
        return True
    return all(
        canonical == rename.key and _identity(rename.below) for canonical, rename in renames.items()
    )


def rename(value: Any, renames: Mapping[str, Rename] | None) -> Any:
    """Applies a rename plan to response data (lists apply it to each item)."""
    if renames is None:
        return value
    if isinstance(value, list):
        return [rename(item, renames) for item in value]
    if isinstance(value, dict):
        renamed = {}
        for key, item in value.items():
            plan = renames.get(key)
            if plan is None:
                renamed[key] = item
            else:
                renamed[plan.key] = rename(item, plan.below)
        return renamed
    return value
