"""What clients get back from an execution, the same over HTTP and WebSockets: errors with a
stable code, unexpected ones masked with the request id, and the cost extension."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from graphql import GraphQLError

from schema.error_codes import MASKED_MESSAGE, classify
from storage.cache import Budget


def format_errors(errors: Iterable[GraphQLError], request_id: str) -> list[dict[str, Any]]:
    formatted: list[dict[str, Any]] = []
    for error in errors:
        verdict = classify(error)
        body: dict[str, Any] = dict(error.formatted)
        extensions: dict[str, object] = dict(body.get("extensions") or {})
        extensions["code"] = verdict.code
        if verdict.masked:
            # The traceback is in the log under this id; the client learns nothing else.
            body["message"] = MASKED_MESSAGE
            extensions["requestId"] = request_id
        body["extensions"] = extensions
        formatted.append({k: v for k, v in body.items() if v is not None})
    return formatted


def cost_extension(requested: int, budget: Budget | None, limit: int) -> dict[str, object]:
    """Shopify's throttleStatus, in our words: what this request cost, what is left of the
    minute's budget, and in how many seconds the budget is whole again."""
    if budget is None:  # Redis unreachable: the budget could not be counted
        return {"requested": requested, "limit": limit}
    return {
        "requested": requested,
        "limit": limit,
        "remaining": max(budget.remaining, 0),
        "reset": round(budget.reset_seconds, 1),
    }
