"""Global ids (relay) as clients pass them back in arguments and inputs, to the row UUIDs the
services take. The one place they are decoded: each domain names its error type and code, and
the input field at fault. Whatever does not decode to the expected type is NOT_FOUND, like a
row that exists but is not the caller's: an answer never reveals existence."""

from __future__ import annotations

from enum import Enum
from uuid import UUID

from resolvers.errors import DomainError
from resolvers.ids import node_uuid, parse_global_id


def uuid_of(
    value: object, type_name: str, field: str, error: type[DomainError], code: Enum
) -> UUID:
    """The UUID inside a global id of `type_name`; else raises `error(code, field)`, which
    the mutation answers with its own error type (schema/authorised.py)."""
    found = node_uuid(value, type_name)
    if found is None:
        raise error(code, field)
    return found


__all__ = ["node_uuid", "parse_global_id", "uuid_of"]
