"""The shape every expected error takes: a stable code, a zh-CN message, the input field."""

from __future__ import annotations

from typing import Any, Self

import strawberry

from resolvers.errors import DomainError


@strawberry.interface(
    description=(
        "An expected, correctable error. Each mutation's error type adds a `code` enum "
        "(stable, English); `message` is zh-CN and safe to show to the resident."
    )
)
class UserError:
    message: str
    field: str | None = strawberry.field(
        description="The input field at fault, e.g. `idNumber`; null when not one field."
    )
    retry_after_seconds: int | None = strawberry.field(
        default=None, description="For rate limits and lock-outs: seconds until a retry may work."
    )

    @classmethod
    def of(cls, error: DomainError) -> Self:
        fields: dict[str, Any] = {
            "code": error.code,
            "message": error.message,
            "field": error.field,
            "retry_after_seconds": error.retry_after,
        }
        return cls(**fields)
