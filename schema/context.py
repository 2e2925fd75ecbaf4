"""The GraphQL request's Context: who calls, the per-request loaders, the process's resources;
and the request facts services are given (`client_of`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeAlias

import strawberry
from graphql import DocumentNode, GraphQLError
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket

from resolvers.principal import ClientInfo, Principal
from resolvers.resources import Resources
from schema.loaders import Loaders


@dataclass(slots=True)
class Context:
    request: Request | WebSocket
    response: Response | WebSocket | None
    principal: Principal
    loaders: Loaders
    resources: Resources
    request_id: str
    client_ip: str
    # The WebSocket's connection_init payload.
    connection_params: dict[str, Any] | None = field(default=None)
    # The parsed and validated document the request's preparation produced: execution
    # reuses it instead of parsing and validating again (schema.root.UsePreparedDocument).
    document: DocumentNode | None = field(default=None)
    # Errors of fields that still answer (an anonymous caller's own list: empty), added to
    # the answer after execution (schema.authorised.KeptErrors).
    kept_errors: list[GraphQLError] = field(default_factory=list)


Info: TypeAlias = strawberry.Info[Context, None]


def client_of(info: Info) -> ClientInfo:
    """The request facts services record (client address, request id)."""
    return ClientInfo(ip=info.context.client_ip, request_id=info.context.request_id)
