"""POST /courier/webhook: the courier's signed status events for posted results."""

from __future__ import annotations

import orjson
from starlette.requests import Request
from starlette.responses import Response

from resolvers.delivery.errors import WebhookRefused
from resolvers.delivery.service import MAX_WEBHOOK_BODY, courier_event
from resolvers.resources import Resources

COURIER_WEBHOOK_PATH = "/courier/webhook"


async def courier_webhook(request: Request) -> Response:
    resources: Resources = request.app.state.resources
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_WEBHOOK_BODY:
            return _answer(413, "TOO_LARGE")
    try:
        await courier_event(
            resources,
            request.headers.get("x-courier-timestamp", ""),
            request.headers.get("x-courier-signature", ""),
            body,
        )
    except WebhookRefused as refused:
        return _answer(refused.status, refused.code.value)
    return _answer(200, "OK")


def _answer(status: int, code: str) -> Response:
    return Response(orjson.dumps({"code": code}), status_code=status, media_type="application/json")
