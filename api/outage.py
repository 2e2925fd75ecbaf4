"""A lost database, answered as such: a request that fails because PostgreSQL cannot be
reached (refused, dropped mid-query, restarting) gets a typed SERVICE_UNAVAILABLE with
Retry-After instead of a masked 500, wherever in the request it failed. Inside a GraphQL
execution the same condition is an error with that code (schema/error_codes.py classify);
this catches what escapes before execution, e.g. resolving the bearer token's session."""

from __future__ import annotations

import logging

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from schema.error_codes import UNAVAILABLE_CODE, UNAVAILABLE_MESSAGE, UNAVAILABLE_RETRY_SECONDS
from storage.database import unreachable

log = logging.getLogger(__name__)

# WebSocket close code 1013 "Try Again Later": the client reconnects after a pause.
_TRY_AGAIN_LATER = 1013


class DatabaseOutage:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        started = False
        closed = False

        async def tracking(message: Message) -> None:
            nonlocal started, closed
            if message["type"] in ("http.response.start", "websocket.accept"):
                started = True
            elif message["type"] == "websocket.close":
                closed = True
            await send(message)

        try:
            await self.app(scope, receive, tracking)
        except Exception as error:
            if not unreachable(error):
                raise
            # Expected while the database restarts: one line, no traceback.
            log.warning("database unreachable: %s", type(error).__name__)
            if scope["type"] == "websocket":
                if not closed:
                    await send(
                        {
                            "type": "websocket.close",
                            "code": _TRY_AGAIN_LATER,
                            "reason": "Service unavailable",
                        }
                    )
                return
            if started:
                raise  # part of an answer went out: nothing sound can follow it
            body = orjson.dumps(
                {
                    "errors": [
                        {
                            "message": UNAVAILABLE_MESSAGE,
                            "extensions": {
                                "code": UNAVAILABLE_CODE,
                                "retryAfterSeconds": UNAVAILABLE_RETRY_SECONDS,
                            },
                        }
                    ]
                }
            )
            await send(
                {
                    "type": "http.response.start",
                    "status": 503,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                        (b"cache-control", b"no-store"),
                        (b"retry-after", str(UNAVAILABLE_RETRY_SECONDS).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
