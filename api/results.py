"""What clients get back from an execution, the same over HTTP and WebSockets: errors with a
stable code, unexpected ones masked with the request id, and the cost extension."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from graphql import GraphQLError

from resolvers.settings import Settings
from schema.cost import MUTATION_COST
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
        elif verdict.message is not None:
            body["message"] = verdict.message
        body["extensions"] = extensions
        formatted.append({k: v for k, v in body.items() if v is not None})
    return formatted


def cost_extension(
    requested: int, actual: int | None, budget: Budget | None, settings: Settings
) -> dict[str, object]:
    """Shopify's cost and throttleStatus, in our words: the price computed before the request
    ran (`requested`), what it actually returned (`actual`, what the budget is charged), the
    budget per minute, what is left of the bucket and in how many seconds it is empty again."""
    extension: dict[str, object] = {
        "requested": requested,
        "limit": settings.cost_budget_per_minute,
    }
    if actual is not None:
        extension["actual"] = actual
    if budget is not None:  # None: Redis unreachable, the budget could not be counted
        points, seconds = budget.levels
        extension["remaining"] = max(int(points.remaining), 0)
        extension["reset"] = round(points.reset_seconds, 1)
        # The other budget: seconds of execution left in the bucket.
        extension["executionSecondsRemaining"] = round(max(seconds.remaining, 0.0), 3)
    return extension


def actual_cost(data: object, mutations: int = 0, objects: int | None = None) -> int:
    """What an answer cost: every object it holds (leaves are free) and 10 per mutation.
    `objects`: the objects in `data`, its own included, when whoever built it counted them
    (a plan does), so that the answer is not walked again."""
    counted = _objects(data) if objects is None else objects
    return max(1, counted - 1 + MUTATION_COST * mutations)


def _objects(value: object) -> int:
    if isinstance(value, dict):
        return 1 + sum(_objects(item) for item in value.values())
    if isinstance(value, list):
        return sum(_objects(item) for item in value)
    return 0
