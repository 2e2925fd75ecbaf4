"""Bounded pages: keyset pagination over an explicit order, and offsets for ranked results."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar
from uuid import UUID

from tortoise.expressions import Q
from tortoise.models import Model
from tortoise.queryset import QuerySet

M = TypeVar("M", bound=Model)
Scalar = str | int | float | bool | None


@dataclass(frozen=True, slots=True)
class Page(Generic[M]):
    rows: list[M]
    has_next: bool
    # For each row, the values its cursor must carry (keyset) or its position (offset).
    positions: list[list[Scalar]]


def _plain(value: Any) -> Scalar:
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "value"):  # enums
        return value.value  # type: ignore[no-any-return]
    return value  # type: ignore[no-any-return]


async def keyset_page(
    query: QuerySet[M], *, order: Sequence[str], first: int, after: Sequence[Scalar] | None
) -> Page[M]:
    """Rows after the cursor in `order` (fields, "-field" for descending), ended by the primary
    key so that every row has a unique position. Costs the same on page 1 and page 1,000."""
    fields = [*order, "id"]
    if after is not None:
        if len(after) != len(fields):
            raise ValueError("cursor does not fit this list")
        query = query.filter(_after(fields, list(after)))
    rows = await query.order_by(*fields).limit(first + 1)
    has_next = len(rows) > first
    rows = rows[:first]
    positions = [[_plain(getattr(row, f.lstrip("-"))) for f in fields] for row in rows]
    return Page(rows=list(rows), has_next=has_next, positions=positions)


def _after(fields: list[str], values: list[Scalar]) -> Q:
    """(a, b, id) > (x, y, z) spelled out, honouring each field's direction."""
    clauses = []
    for depth, field in enumerate(fields):
        name = field.lstrip("-")
        operator = "lt" if field.startswith("-") else "gt"
        conditions: dict[str, Any] = {
            f.lstrip("-"): v for f, v in zip(fields[:depth], values[:depth], strict=True)
        }
        conditions[f"{name}__{operator}"] = values[depth]
        clauses.append(Q(**conditions))
    return Q(*clauses, join_type="OR")


async def offset_page(query: QuerySet[M], *, first: int, offset: int) -> Page[M]:
    """For orders without a stable key (search relevance). Depth is capped by the caller."""
    rows = await query.offset(offset).limit(first + 1)
    has_next = len(rows) > first
    rows = rows[:first]
    return Page(
        rows=list(rows),
        has_next=has_next,
        positions=[[offset + index + 1] for index in range(len(rows))],
    )
