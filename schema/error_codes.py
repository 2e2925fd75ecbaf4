"""Stable `extensions.code` values for GraphQL-level errors, and which errors are masked."""

from __future__ import annotations

import re
from dataclasses import dataclass

from graphql import GraphQLError

from storage.database import unreachable

MASKED_MESSAGE = "服务器内部错误，请稍后再试。"
# The database could not be reached: nothing is wrong with the request, it may be sent again.
UNAVAILABLE_CODE = "SERVICE_UNAVAILABLE"
UNAVAILABLE_MESSAGE = "服务暂时不可用，请稍后再试。"
# Seconds a client should wait before sending it again (a PostgreSQL restart or failover).
UNAVAILABLE_RETRY_SECONDS = 5


class PublicError(GraphQLError):
    """An error raised on purpose, whose message is safe to show (e.g. a page size limit)."""

    def __init__(self, message: str, code: str, **extensions: object) -> None:
        super().__init__(message, extensions={"code": code, **extensions})


@dataclass(frozen=True, slots=True)
class Classified:
    code: str
    masked: bool  # True: an unexpected failure; the client sees MASKED_MESSAGE only
    message: str | None = None  # shown instead of the error's own message when set


# Messages of graphql-core's and strawberry's validation rules, by the code clients get.
_VALIDATION_CODES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"Document contains more than \d+ tokens"), "TOO_MANY_TOKENS"),
    (re.compile(r"^Syntax Error"), "GRAPHQL_PARSE_FAILED"),
    (re.compile(r"exceeds maximum operation depth"), "QUERY_TOO_DEEP"),
    (re.compile(r"aliases found\. Allowed"), "TOO_MANY_ALIASES"),
    (re.compile(r"introspection has been disabled"), "INTROSPECTION_DISABLED"),
    (re.compile(r"^Variable '\$"), "BAD_USER_INPUT"),
    (re.compile(r"^(Unknown operation named|Must provide operation name)"), "BAD_REQUEST"),
)


def classify(error: GraphQLError) -> Classified:
    original = error.original_error
    if original is not None and not isinstance(original, GraphQLError):
        if unreachable(original):
            return Classified(UNAVAILABLE_CODE, masked=False, message=UNAVAILABLE_MESSAGE)
        return Classified("INTERNAL_SERVER_ERROR", masked=True)
    for source in (error, original):
        declared: object = ((source.extensions if source else None) or {}).get("code")
        if isinstance(declared, str):
            return Classified(declared, masked=False)
    for pattern, code in _VALIDATION_CODES:
        if pattern.search(error.message):
            return Classified(code, masked=False)
    if original is None and error.path:
        # graphql-core found a broken invariant while executing (a null in a non-null
        # field): our bug, not the client's.
        return Classified("INTERNAL_SERVER_ERROR", masked=True)
    return Classified(
        "GRAPHQL_VALIDATION_FAILED" if original is None else "BAD_REQUEST", masked=False
    )


def is_request_error(errors: list[GraphQLError]) -> bool:
    """True when the request failed before execution (parse, validation, variables)."""
    return bool(errors) and all(not error.path for error in errors)
