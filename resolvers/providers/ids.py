"""Global ids of providers' objects, the same in GraphQL, the provider API and webhooks."""

from __future__ import annotations

import base64
from uuid import UUID

from resolvers.providers.errors import ProviderError
from resolvers.providers.errors import ProviderErrorCode as Code
from schema.ids import node_uuid


def global_id(type_name: str, row_id: UUID) -> str:
    """What relay's GlobalID prints: base64 of `<type>:<uuid>`."""
    return base64.b64encode(f"{type_name}:{row_id}".encode()).decode()


def uuid_of(value: str, type_name: str, field: str) -> UUID:
    """The UUID in a global id of `type_name`; NOT_FOUND for anything else (existence is never
    revealed by a different answer)."""
    found = node_uuid(value, type_name)
    if found is None:
        raise ProviderError(Code.NOT_FOUND, field)
    return found
