"""What a GraphQL request asks for, before strawberry runs it: persisted queries (APQ and the
production allow-list) and whether its answer may be served from the response cache."""

from __future__ import annotations

import hashlib
import json
from contextlib import suppress
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson
from graphql import GraphQLError, OperationDefinitionNode, OperationType, parse

from storage.cache import Keys, Redis, RedisError

# An APQ document lives this long after its last registration; clients re-send the text
# when it has gone, so expiry costs one round trip, never a failure.
APQ_TTL_SECONDS = 7 * 86400
MAX_DOCUMENT_BYTES = 100_000


class OperationRejected(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(code)
        self.status, self.code, self.message = status, code, message


@dataclass(frozen=True, slots=True)
class Operation:
    """A request's operation as the cache needs to know it (None fields: not a plain query)."""

    query: str
    query_hash: str
    operation_name: str | None
    variables: dict[str, Any]
    root_fields: frozenset[str] | None  # None: a mutation, a subscription, or unparseable


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@lru_cache(maxsize=512)
def _query_root_fields(query: str, operation_name: str | None) -> frozenset[str] | None:
    """Root field names of the operation, if it is a query; cached per document text."""
    try:
        document = parse(query, max_tokens=5000)
    except GraphQLError:
        return None
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is not None:
        operations = [o for o in operations if o.name and o.name.value == operation_name]
    if len(operations) != 1 or operations[0].operation is not OperationType.QUERY:
        return None
    names = set()
    for selection in operations[0].selection_set.selections:
        name = getattr(selection, "name", None)
        if name is None:  # a fragment at the root: not worth analysing, just do not cache
            return None
        names.add(name.value)
    return frozenset(names)


class PersistedQueries:
    """Automatic persisted queries in Redis, and an optional allow-list of known documents."""

    def __init__(self, allow_list: frozenset[str] | None) -> None:
        self.allow_list = allow_list

    @classmethod
    def from_manifest(cls, path: Path | None) -> PersistedQueries:
        if path is None:
            return cls(None)
        registered = json.loads(path.read_text(encoding="utf-8"))
        return cls(frozenset(registered["operations"]))

    async def resolve(
        self, redis: Redis, payload: dict[str, Any], *, trusted_caller: bool
    ) -> Operation | None:
        """Fills in `query` from its hash, registers new documents, enforces the allow-list."""
        query = payload.get("query")
        extensions = payload.get("extensions") or {}
        persisted = extensions.get("persistedQuery") if isinstance(extensions, dict) else None
        declared = persisted.get("sha256Hash") if isinstance(persisted, dict) else None
        if declared is not None and (not isinstance(declared, str) or len(declared) != 64):
            raise OperationRejected(400, "BAD_REQUEST", "persistedQuery.sha256Hash 无效。")
        if isinstance(query, str):
            if len(query.encode()) > MAX_DOCUMENT_BYTES:
                raise OperationRejected(413, "PAYLOAD_TOO_LARGE", "查询文档过大。")
            actual = sha256(query)
            if declared is not None:
                if declared != actual:
                    raise OperationRejected(
                        400, "PERSISTED_QUERY_HASH_MISMATCH", "查询文本与哈希不符。"
                    )
                # Registering is an optimisation: without Redis the query still runs.
                with suppress(RedisError):
                    await redis.set(Keys.persisted_query(actual), query, ex=APQ_TTL_SECONDS)
        elif declared is not None:
            try:
                stored = await redis.get(Keys.persisted_query(declared))
            except RedisError:
                stored = None
            if stored is None:
                # Apollo's protocol: the client re-sends with the full text.
                raise OperationRejected(200, "PERSISTED_QUERY_NOT_FOUND", "PersistedQueryNotFound")
            query, actual = str(stored), declared
        else:
            return None
        if self.allow_list is not None and not trusted_caller and actual not in self.allow_list:
            raise OperationRejected(
                403, "OPERATION_NOT_ALLOWLISTED", "该查询未登记，生产环境只接受已登记的查询。"
            )
        operation_name = payload.get("operationName")
        if operation_name is not None and not isinstance(operation_name, str):
            return None
        variables = payload.get("variables") or {}
        if not isinstance(variables, dict):
            return None
        return Operation(
            query=query,
            query_hash=actual,
            operation_name=operation_name,
            variables=variables,
            root_fields=_query_root_fields(query, operation_name),
        )


def manifest(documents: dict[str, str]) -> str:
    """The allow-list file: every registered operation's hash and name."""
    operations = {sha256(text): name for name, text in sorted(documents.items())}
    return json.dumps({"operations": operations}, ensure_ascii=False, indent=1) + "\n"


def cache_digest(operation: Operation, media_type: str) -> str:
    """The cache key of an operation's answer: document, operation, variables, media type."""
    canonical = orjson.dumps(
        [operation.query_hash, operation.operation_name, operation.variables, media_type],
        option=orjson.OPT_SORT_KEYS,
    )
    return hashlib.sha256(canonical).hexdigest()
