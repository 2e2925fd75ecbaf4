"""POST /exchange/callbacks: department business systems report back (signed callbacks)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from resolvers.callbacks.service import receive
from resolvers.resources import Resources

CALLBACK_PATH = "/exchange/callbacks"


async def callbacks(request: Request) -> Response:
    """The body cap is the exchange's own (a result file rides along), not the GraphQL one."""
    resources: Resources = request.app.state.resources
    answer = await receive(resources, request.headers, request.stream())
    content, headers = answer.rendered(resources.settings.exchange_system_id)
    return Response(content, status_code=answer.status, headers=headers)
