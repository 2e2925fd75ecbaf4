"""Global ids as relay prints them (base64 of `<type>:<id>`), for the services that put them in
links, webhook payloads and provider answers. Decoding what a client sent, with the domain's
error, is the schema's (schema/ids.py); this is the codec both use."""

from __future__ import annotations

import base64
import binascii
from uuid import UUID


def global_id(type_name: str, row_id: UUID | str) -> str:
    """The global id GraphQL prints for the row `row_id` of `type_name`."""
    return base64.b64encode(f"{type_name}:{row_id}".encode()).decode()


def parse_global_id(value: object) -> tuple[str, str] | None:
    """`(type name, node id)` of a global id; None for anything that is not one."""
    try:
        decoded = base64.b64decode(str(value).encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    type_name, colon, node_id = decoded.partition(":")
    return (type_name, node_id) if colon else None


def node_uuid(value: object, type_name: str) -> UUID | None:
    """The UUID inside a global id of `type_name`; None for anything else, never an error."""
    parsed = parse_global_id(value)
    if parsed is None or parsed[0] != type_name:
        return None
    try:
        return UUID(parsed[1])
    except ValueError:
        return None
