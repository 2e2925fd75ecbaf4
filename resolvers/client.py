"""Request facts the services need (client address, request id), taken from the Context."""

from __future__ import annotations

from resolvers.accounts.service import ClientInfo
from schema.context import Info


def client_of(info: Info) -> ClientInfo:
    return ClientInfo(ip=info.context.client_ip, request_id=info.context.request_id)
