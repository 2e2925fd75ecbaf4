"""Pure-ASGI middleware (BaseHTTPMiddleware would break contextvars): the client's address,
each request's observation (its id, access line and metrics), what stops a request short of
its answer (the body cap, a lost database, a client gone), CORS."""

from __future__ import annotations

import ipaddress
import logging
import re
import time
from collections.abc import Iterable, Sequence
from typing import Any

import orjson
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.logging import access_log, log_access, new_request_id, request_id_var
from api.metrics import RequestMetrics, route_of
from schema.error_codes import UNAVAILABLE_CODE, UNAVAILABLE_MESSAGE, UNAVAILABLE_RETRY_SECONDS
from storage.database import unreachable
from storage.metrics import counting_statements

log = logging.getLogger(__name__)

_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9\-]{8,64}")
_SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _trusted(host: str, proxies: Sequence[Network]) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return any(address in network for network in proxies)


def client_address(scope: Scope, proxies: Sequence[Network]) -> str:
    """The address of whoever sent the request: the peer, unless the peer is a trusted proxy,
    then the rightmost address in X-Forwarded-For that is not a trusted proxy (each proxy
    appends the address it saw, so anything left of that was written by the client)."""
    client = scope.get("client")
    peer = client[0] if client else "unknown"
    if not proxies or not _trusted(peer, proxies):
        return str(peer)
    forwarded = b",".join(
        value for name, value in scope.get("headers", ()) if name == b"x-forwarded-for"
    )
    hops = [hop.strip() for hop in forwarded.decode("latin-1").split(",") if hop.strip()]
    for hop in reversed(hops):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return str(peer)  # a garbled chain: believe only what we saw ourselves
        if not _trusted(hop, proxies):
            return hop
    return hops[0] if hops else str(peer)


class ClientAddress:
    """Puts the client's address (see `client_address`) in `scope["client"]`, for every
    per-address limit and log line downstream, whatever server runs the app."""

    def __init__(self, app: ASGIApp, proxies: Sequence[Network] = ()) -> None:
        self.app = app
        self.proxies = tuple(proxies)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.proxies and scope["type"] in ("http", "websocket"):
            address = client_address(scope, self.proxies)
            port = scope["client"][1] if scope.get("client") else 0
            scope["client"] = (address, port)
        await self.app(scope, receive, send)


class Observed:
    """Everything the service records about a request, in one layer: its id (X-Request-ID
    kept when sane, else a new one) for logs and the response, with the security headers;
    one access line in place of uvicorn's (client, method, path and query with bearer
    material redacted by api.logging.loggable_target, status, bytes, time), queued as a tuple
    for api.logging's writer thread; and its metrics (api.metrics.RequestMetrics). One layer
    and one `send` wrapper rather than three: on a cached answer, each layer's call and
    wrapper cost a noticeable share of the whole request.

    It sits inside ClientAddress, so the line and limits see the real client, and outside
    everything that may refuse a request, so refusals are counted and logged too."""

    def __init__(self, app: ASGIApp, operation_names: Iterable[str] = ()) -> None:
        self.app = app
        self.metrics = RequestMetrics(operation_names)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "websocket":
            await self._websocket(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        request_id = _request_id(scope)
        route = route_of(scope["path"])
        observation = self.metrics.begin(scope, route)
        added = [(b"x-request-id", request_id.encode()), *_SECURITY_HEADERS]
        status = sent = 0

        async def observing_send(message: Message) -> None:
            nonlocal status, sent
            if message["type"] == "http.response.body":
                sent += len(message.get("body", b""))
            elif message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), *added]
            await send(message)

        token = request_id_var.set(request_id)
        try:
            with counting_statements() as statements:
                try:
                    await self.app(scope, receive, observing_send)
                finally:
                    elapsed = time.perf_counter() - started
                    status = status or 500  # nothing was sent: the app failed before answering
                    self.metrics.http(route, status, elapsed, statements[0], observation)
                    if access_log.isEnabledFor(logging.INFO):
                        _log(scope, request_id, status, sent, elapsed)
        finally:
            request_id_var.reset(token)

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        request_id = _request_id(scope)
        status = 0
        accepted = False

        async def observing_send(message: Message) -> None:
            nonlocal status, accepted
            kind = message["type"]
            if kind == "websocket.accept":
                status = 101
                if not accepted:
                    accepted = True
                    self.metrics.websocket_opened()
            elif kind == "websocket.http.response.start":
                status = message["status"]
            elif kind == "websocket.close" and not status:
                status = 403  # closed before the handshake was accepted
            await send(message)

        token = request_id_var.set(request_id)
        try:
            await self.app(scope, receive, observing_send)
        finally:
            if accepted:
                self.metrics.websocket_closed()
            if access_log.isEnabledFor(logging.INFO):
                _log(scope, request_id, status or 500, 0, time.perf_counter() - started)
            request_id_var.reset(token)


def _request_id(scope: Scope) -> str:
    """The request's id, also left in `scope["state"]` for the endpoints."""
    request_id = None
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            incoming = value.decode("latin-1")
            if _SANE_REQUEST_ID.fullmatch(incoming):
                request_id = incoming
            break
    if request_id is None:
        request_id = new_request_id()
    scope.setdefault("state", {})["request_id"] = request_id
    return request_id


def _log(scope: Scope, request_id: str, status: int, sent: int, elapsed: float) -> None:
    client = scope.get("client")
    log_access(
        f"{client[0]}:{client[1]}" if client else "-",
        scope.get("method", "WS"),
        scope["path"],
        scope.get("query_string", b"").decode("latin-1"),
        scope.get("http_version", "1.1"),
        status,
        sent,
        elapsed * 1000,
        request_id,
    )


# nginx's code for a request its client closed before the answer: neither a success nor a
# failure of the service, and no answer reaches anyone.
CLIENT_CLOSED_REQUEST = 499

# WebSocket close code 1013 "Try Again Later": the client reconnects after a pause.
_TRY_AGAIN_LATER = 1013


class _BodyTooLarge(Exception):
    pass


class Interruptions:
    """What stops a request short of its answer, answered for what it is rather than as a 500
    with a traceback at ERROR:
    - a request body above the cap, declared or streamed: 413, before anything parses it
      (`exempt_paths`, exact paths, enforce their own larger limits while streaming: the
      local store's upload endpoint takes files of several MiB and checks its signed policy);
    - PostgreSQL unreachable (refused, dropped mid-query, restarting): a typed
      SERVICE_UNAVAILABLE with Retry-After, and a WebSocket closed with 1013 Try Again Later.
      Inside a GraphQL execution the same condition is an error with that code
      (schema/error_codes.py classify); this catches what escapes before execution, e.g.
      resolving the bearer token's session;
    - a client gone while its body was still arriving (a phone that lost its network): 499,
      counted and logged like any answer, not one 500 per dropped upload.

    One layer, innermost, because each needs to know whether the answer had started (after
    that, nothing sound can be sent), and a layer wrapping `send` for each was a noticeable
    share of a computed read. Inside CORS, so these answers carry its headers and a browser
    can read them."""

    def __init__(self, app: ASGIApp, max_bytes: int, exempt_paths: tuple[str, ...] = ()) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.exempt_paths = frozenset(exempt_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "websocket":
            await self._websocket(scope, receive, send)
            return
        if kind != "http":
            await self.app(scope, receive, send)
            return
        capped = scope["path"] not in self.exempt_paths
        if capped and self._declared_too_large(scope):
            await _send_413(send, self.max_bytes)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive if capped else receive, tracking_send)
        except _BodyTooLarge:
            if not started:
                await _send_413(send, self.max_bytes)
        except ClientDisconnect:
            if not started:  # the server drops what is sent to a closed connection
                await send({"type": "http.response.start", "status": CLIENT_CLOSED_REQUEST})
                await send({"type": "http.response.body", "body": b""})
        except Exception as error:
            if not unreachable(error):
                raise
            _log_unreachable(error)
            if started:
                raise  # part of an answer went out: nothing sound can follow it
            await _send_503(send)

    def _declared_too_large(self, scope: Scope) -> bool:
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    return int(value) > self.max_bytes
                except ValueError:
                    return True
        return False

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        closed = False

        async def tracking_send(message: Message) -> None:
            nonlocal closed
            if message["type"] == "websocket.close":
                closed = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as error:
            if not unreachable(error):
                raise
            _log_unreachable(error)
            if not closed:
                await send(
                    {
                        "type": "websocket.close",
                        "code": _TRY_AGAIN_LATER,
                        "reason": "Service unavailable",
                    }
                )


def _log_unreachable(error: Exception) -> None:
    # Expected while the database restarts: one line, no traceback.
    log.warning("database unreachable: %s", type(error).__name__)


async def _send_413(send: Send, max_bytes: int) -> None:
    await send_error(
        send,
        413,
        {
            "message": f"请求内容过大，上限为 {max_bytes} 字节。",
            "extensions": {"code": "PAYLOAD_TOO_LARGE", "maxBytes": max_bytes},
        },
    )


async def _send_503(send: Send) -> None:
    await send_error(
        send,
        503,
        {
            "message": UNAVAILABLE_MESSAGE,
            "extensions": {
                "code": UNAVAILABLE_CODE,
                "retryAfterSeconds": UNAVAILABLE_RETRY_SECONDS,
            },
        },
        [
            (b"cache-control", b"no-store"),
            (b"retry-after", str(UNAVAILABLE_RETRY_SECONDS).encode()),
        ],
    )


async def send_error(
    send: Send, status: int, error: dict[str, Any], headers: Sequence[tuple[bytes, bytes]] = ()
) -> None:
    """A typed error answered straight from a raw ASGI layer, before any endpoint: JSON with
    `errors` holding `error`, and `headers` besides its type and length."""
    body = orjson.dumps({"errors": [error]})
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class Cors(CORSMiddleware):
    """Starlette's CORS, with the common request made cheap: one without an Origin (the
    mini-program, the app, terminals, providers' servers) only has `Vary: Origin` added to
    its answer, as Starlette adds it, without Starlette parsing the request's and the
    answer's headers into header objects on every answer first."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not any(name == b"origin" for name, _ in scope["headers"]):
            await self.app(scope, receive, _varying_by_origin(send))
            return
        await super().__call__(scope, receive, send)


def _varying_by_origin(send: Send) -> Send:
    async def varying(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", ()))
            for position, (name, value) in enumerate(headers):
                if name.lower() == b"vary":
                    if b"origin" not in value.lower():
                        headers[position] = (name, value + b", Origin")
                    break
            else:
                headers.append((b"vary", b"Origin"))
            message["headers"] = headers
        await send(message)

    return varying
