"""Global ids (relay) as clients hold them, back to the row UUIDs behind them."""

from __future__ import annotations

from uuid import UUID

from strawberry import relay


def node_uuid(value: object, type_name: str) -> UUID | None:
    """The UUID inside a global id of `type_name`; None for anything else, never an error."""
    try:
        global_id = relay.GlobalID.from_id(str(value))
        if global_id.type_name != type_name:
            return None
        return UUID(global_id.node_id)
    except (ValueError, TypeError):
        return None
