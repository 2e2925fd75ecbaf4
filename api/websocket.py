"""GraphQL over WebSockets (the graphql-transport-ws protocol), with the same preparation,
costs and budgets as HTTP, and caps on sockets per account and per address and on
subscriptions per socket. Close codes are the protocol's, plus our own for the caps."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import orjson
from graphql import OperationType
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState
from strawberry.types import ExecutionResult

from api.limits import Meter, check_cost, metered
from api.preparation import Caller, InvalidDocument, Operation, Refused, Transport, request_from
from api.principals import caller_of, principal_from_header
from api.results import actual_cost, format_errors
from resolvers.principal import ANONYMOUS, Principal
from resolvers.resources import Resources
from schema.context import Context
from schema.loaders import create_loaders

if TYPE_CHECKING:
    from api.graphql import GraphQLEndpoint

log = logging.getLogger(__name__)

PROTOCOL = "graphql-transport-ws"
INIT_TIMEOUT_SECONDS = 10.0


class Close:
    """Close codes: 44xx from the protocol, 443x ours for the caps."""

    BAD_REQUEST = 4400
    UNAUTHORIZED = 4401
    FORBIDDEN = 4403
    SUBPROTOCOL = 4406
    INIT_TIMEOUT = 4408
    DUPLICATE_ID = 4409
    TOO_MANY_INITS = 4429
    TOO_MANY_SOCKETS_FOR_ACCOUNT = 4430
    TOO_MANY_SOCKETS_FOR_ADDRESS = 4431


class GraphQLWebSocket:
    def __init__(self, endpoint: GraphQLEndpoint) -> None:
        self.endpoint = endpoint
        self.settings = endpoint.settings
        self.allowed_origins = frozenset(
            origin.rstrip("/").lower() for origin in self.settings.allowed_origins
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        websocket = WebSocket(scope, receive=receive, send=send)
        if not self._origin_allowed(websocket):
            # Cross-site WebSocket hijacking: refused before the handshake (HTTP 403).
            await websocket.close(code=1008)
            return
        if PROTOCOL not in websocket.scope.get("subprotocols", []):
            await websocket.accept()
            await websocket.close(code=Close.SUBPROTOCOL, reason="Subprotocol not acceptable")
            return
        address = websocket.client.host if websocket.client else "unknown"
        fair_share = self.endpoint.fair_share
        await websocket.accept(subprotocol=PROTOCOL)
        if not fair_share.socket_allowed(address):
            await websocket.close(
                code=Close.TOO_MANY_SOCKETS_FOR_ADDRESS, reason="Too many sockets from this address"
            )
            return
        fair_share.sockets_by_address.add(address)
        try:
            await _Connection(self, websocket, address).run()
        finally:
            fair_share.sockets_by_address.remove(address)

    def _origin_allowed(self, websocket: WebSocket) -> bool:
        origin = websocket.headers.get("origin")
        if origin is None:
            return True  # not a browser: no ambient credentials to abuse
        normalised = origin.rstrip("/").lower()
        if "*" in self.allowed_origins or normalised in self.allowed_origins:
            return True
        host = websocket.headers.get("host", "").lower()
        return bool(host) and urlsplit(normalised).netloc == host


class _Connection:
    def __init__(self, handler: GraphQLWebSocket, websocket: WebSocket, address: str) -> None:
        self.handler = handler
        self.endpoint = handler.endpoint
        self.settings = handler.settings
        self.websocket = websocket
        self.address = address
        self.resources: Resources = websocket.state.resources
        self.principal: Principal = ANONYMOUS
        self.account_key: str | None = None
        self.acknowledged = False
        self.operations: dict[str, asyncio.Task[None]] = {}
        self.connection_params: dict[str, Any] = {}
        self.closed = False

    @property
    def caller(self) -> Caller:
        return caller_of(self.principal, self.address)

    async def run(self) -> None:
        try:
            async for message in self._messages():
                await self._handle(message)
                if self.closed:
                    break
        except WebSocketDisconnect:
            pass
        finally:
            for task in self.operations.values():
                task.cancel()
            for task in list(self.operations.values()):
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            if self.account_key is not None:
                self.endpoint.fair_share.sockets_by_account.remove(self.account_key)

    async def _messages(self) -> AsyncIterator[dict[str, Any]]:
        deadline = asyncio.get_running_loop().time() + INIT_TIMEOUT_SECONDS
        while not self.closed:
            try:
                # Until connection_init, the socket has a deadline: idle sockets cost a slot.
                async with asyncio.timeout_at(None if self.acknowledged else deadline):
                    received = await self.websocket.receive()
            except TimeoutError:
                await self._close(Close.INIT_TIMEOUT, "Connection initialisation timeout")
                return
            if received["type"] == "websocket.disconnect":
                return
            text = received.get("text")
            if text is None:
                await self._close(Close.BAD_REQUEST, "Binary frames are not accepted")
                return
            try:
                message = orjson.loads(text)
            except orjson.JSONDecodeError:
                await self._close(Close.BAD_REQUEST, "Invalid message received")
                return
            if not isinstance(message, dict) or not isinstance(message.get("type"), str):
                await self._close(Close.BAD_REQUEST, "Invalid message received")
                return
            yield message

    async def _handle(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind == "connection_init":
            await self._init(message.get("payload"))
        elif kind == "ping":
            await self._send({"type": "pong"})
        elif kind == "pong":
            return
        elif kind == "subscribe":
            await self._subscribe(message)
        elif kind == "complete":
            ident = message.get("id")
            task = self.operations.pop(ident, None) if isinstance(ident, str) else None
            if task is not None:
                task.cancel()
        else:
            await self._close(Close.BAD_REQUEST, f"Unknown message type {kind[:40]!r}")

    async def _init(self, payload: object) -> None:
        if self.acknowledged:
            await self._close(Close.TOO_MANY_INITS, "Too many initialisation requests")
            return
        if payload is not None and not isinstance(payload, dict):
            await self._close(Close.BAD_REQUEST, "Invalid connection_init payload")
            return
        self.connection_params = payload or {}
        token = self.connection_params.get("Authorization") or self.connection_params.get(
            "authorization"
        )
        if token is not None:
            found = (
                await principal_from_header(self.resources, token)
                if isinstance(token, str)
                else None
            )
            if found is None:
                await self._close(Close.FORBIDDEN, "Forbidden")
                return
            self.principal = found
            key = f"a:{found.account_id}"
            fair_share = self.endpoint.fair_share
            if not fair_share.account_socket_allowed(key):
                await self._close(
                    Close.TOO_MANY_SOCKETS_FOR_ACCOUNT, "Too many sockets for this account"
                )
                return
            fair_share.sockets_by_account.add(key)
            self.account_key = key
        self.acknowledged = True
        await self._send({"type": "connection_ack"})

    async def _subscribe(self, message: dict[str, Any]) -> None:
        if not self.acknowledged:
            await self._close(Close.UNAUTHORIZED, "Unauthorized")
            return
        ident = message.get("id")
        if not isinstance(ident, str) or not 0 < len(ident) <= 128:
            await self._close(Close.BAD_REQUEST, "Invalid subscribe message")
            return
        if ident in self.operations:
            await self._close(Close.DUPLICATE_ID, f"Subscriber for {ident} already exists")
            return
        if len(self.operations) >= self.settings.max_subscriptions_per_connection:
            cap = self.settings.max_subscriptions_per_connection
            await self._error(
                ident,
                [
                    {
                        "message": f"每个连接最多 {cap} 个订阅。",
                        "extensions": {"code": "TOO_MANY_SUBSCRIPTIONS", "limit": cap},
                    }
                ],
            )
            return
        try:
            request = request_from(message.get("payload"))
            caller = self.caller
            operation = await self.endpoint.preparer.prepare(
                request, caller, Transport.WEBSOCKET, self.resources.redis
            )
            check_cost(self.settings, operation.cost)
            await self.endpoint.fair_share.ledger.admit(self.resources.redis_hot, caller)
        except Refused as refused:
            await self._error(ident, [refused.error()])
            return
        except InvalidDocument as invalid:
            errors = self.endpoint.preparer.public_errors(invalid.errors)
            await self._error(ident, format_errors(errors, self._request_id()))
            return
        self.operations[ident] = asyncio.create_task(self._run(ident, operation, caller))

    async def _run(self, ident: str, operation: Operation, caller: Caller) -> None:
        context = Context(
            request=self.websocket,
            response=self.websocket,
            principal=self.principal,
            loaders=create_loaders(self.resources.reference),
            resources=self.resources,
            request_id=self._request_id(),
            client_ip=self.address,
            connection_params=self.connection_params,
            document=operation.document.ast,
        )
        try:
            if operation.info.type is OperationType.SUBSCRIPTION:
                if not await self._stream(ident, operation, context):
                    return  # an error frame ends the operation: no `complete` after it
            else:
                meter = Meter()
                try:
                    with self.endpoint.fair_share.execution(caller):
                        async with asyncio.timeout(self.settings.execution_timeout_seconds):
                            result = await metered(
                                self.endpoint.schema.execute(
                                    operation.query,
                                    variable_values=operation.variables,
                                    context_value=context,
                                    operation_name=operation.operation_name,
                                ),
                                meter,
                            )
                except Refused as refused:
                    await self._error(ident, [refused.error()])
                    return
                except TimeoutError:
                    await self._error(
                        ident,
                        [
                            {
                                "message": "请求处理超时，请缩小查询范围后重试。",
                                "extensions": {"code": "EXECUTION_TIMEOUT"},
                            }
                        ],
                    )
                    return
                await self._send_result(ident, result)
                mutations = (
                    len(operation.info.root_fields)
                    if operation.info.type is OperationType.MUTATION
                    else 0
                )
                self.endpoint.fair_share.ledger.owe(
                    caller, actual_cost(result.data, mutations), meter.seconds
                )
            await self._send({"id": ident, "type": "complete"})
        except asyncio.CancelledError:
            raise
        except (WebSocketDisconnect, RuntimeError):
            return
        finally:
            self.operations.pop(ident, None)

    async def _stream(self, ident: str, operation: Operation, context: Context) -> bool:
        """Sends each event as `next`; False when the subscription was refused instead."""
        stream = await self.endpoint.schema.subscribe(
            operation.query,
            variable_values=operation.variables,
            context_value=context,
            operation_name=operation.operation_name,
        )
        if isinstance(stream, ExecutionResult):
            # Refused before any event (not signed in, not yours): an error, then nothing.
            errors = self.endpoint.preparer.public_errors(stream.errors or [])
            await self._error(ident, format_errors(errors, context.request_id))
            return False
        try:
            async for result in stream:
                await self._send_result(ident, result)
        finally:
            with contextlib.suppress(Exception):
                await stream.aclose()
        return True

    async def _send_result(self, ident: str, result: ExecutionResult) -> None:
        payload: dict[str, Any] = {"data": result.data}
        if result.errors:
            errors = self.endpoint.preparer.public_errors(result.errors)
            payload["errors"] = format_errors(errors, self._request_id())
        await self._send({"id": ident, "type": "next", "payload": payload})

    async def _error(self, ident: str, errors: list[dict[str, Any]]) -> None:
        await self._send({"id": ident, "type": "error", "payload": errors})

    async def _send(self, message: dict[str, Any]) -> None:
        if self.websocket.application_state != WebSocketState.CONNECTED:
            return
        # Text frames: wx.connectSocket and other graphql-transport-ws clients expect them.
        await self.websocket.send_text(orjson.dumps(message).decode())

    async def _close(self, code: int, reason: str) -> None:
        self.closed = True
        if self.websocket.application_state == WebSocketState.CONNECTED:
            with contextlib.suppress(RuntimeError):
                await self.websocket.close(code=code, reason=reason)

    def _request_id(self) -> str:
        return str(getattr(self.websocket.state, "request_id", "-"))
