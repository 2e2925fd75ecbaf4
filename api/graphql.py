"""The GraphQL endpoint: GraphQL-over-HTTP media types and status codes, auth, error masking."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import parse_qsl, urlencode

import orjson
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError, MissingQueryError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType
from strawberry.types.unset import UnsetType

from api.operations import Operation, OperationRejected, PersistedQueries, cache_digest
from resolvers.accounts import sessions
from resolvers.context import Context, Resources
from resolvers.loaders import create_loaders
from resolvers.principal import ANONYMOUS, Principal
from schema.error_codes import MASKED_MESSAGE, classify, is_request_error
from storage.models.accounts import Role

log = logging.getLogger(__name__)

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
APPLICATION_JSON = "application/json"


class _Rejected(Exception):
    """Ends a request early with a GraphQL-shaped error body and an HTTP status."""

    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(code)
        self.status, self.code, self.message = status, code, message
        self.headers = headers or {}


# strawberry's own request errors, by the status and code GraphQL-over-HTTP asks for.
_HTTP_ERRORS: dict[str, tuple[int, str, str]] = {
    "Unsupported content type": (
        415,
        "UNSUPPORTED_MEDIA_TYPE",
        "请使用 application/json 提交请求。",
    ),
    "Unable to parse request body as JSON": (400, "BAD_REQUEST", "请求体不是有效的 JSON。"),
    "Too many operations": (400, "TOO_MANY_OPERATIONS", "单次请求包含的操作过多。"),
    "Batching is not enabled": (400, "BAD_REQUEST", "不支持批量请求。"),
    "No GraphQL query found in the request": (400, "BAD_REQUEST", "请求中没有 GraphQL 查询。"),
}


def _negotiate(accept: str) -> str | None:
    """The response media type for an Accept header, or None when we offer nothing acceptable."""
    if not accept.strip():
        return APPLICATION_JSON  # legacy clients: GraphQL-over-HTTP says treat as JSON
    ranges = []
    for part in accept.split(","):
        media, *params = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for param in params:
            if param.startswith("q="):
                try:
                    quality = float(param[2:])
                except ValueError:
                    quality = 0.0
        if quality > 0:
            ranges.append((quality, media.lower()))
    for _, media in sorted(ranges, key=lambda item: -item[0]):
        if media == GRAPHQL_RESPONSE_JSON:
            return GRAPHQL_RESPONSE_JSON
        if media in (APPLICATION_JSON, "application/*", "*/*"):
            return APPLICATION_JSON
    return None


class _SubResponse(Response):
    """Carries the negotiated media type from the request to `create_response`."""

    negotiated_media_type: str = APPLICATION_JSON


class _GraphQLResponse(Response):
    succeeded: bool = False  # one result without errors: safe to cache


class GraphQLEndpoint(GraphQL[Context, None]):
    def __init__(
        self,
        *args: Any,
        persisted: PersistedQueries,
        cacheable_fields: frozenset[str],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.persisted = persisted
        self.cacheable_fields = cacheable_fields

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope, receive=receive)
        try:
            media_type = _negotiate(request.headers.get("accept", ""))
            if media_type is None and _wants_ide(request):
                media_type = APPLICATION_JSON  # strawberry serves GraphiQL (dev) or 404
            if media_type is None:
                raise _Rejected(
                    406, "NOT_ACCEPTABLE", f"请接受 {GRAPHQL_RESPONSE_JSON} 或 {APPLICATION_JSON}。"
                )
            state = scope.setdefault("state", {})
            state["media_type"] = media_type
            principal = await self._principal(request)
            state["principal"] = principal
            request, operation = await self._prepare(request, principal)
            digest = None
            if operation is not None and self._cacheable(operation, principal):
                digest = cache_digest(operation, media_type)
                cached = await request.state.resources.response_cache.get(digest)
                if cached is not None:
                    await _cached_response(cached, media_type)(scope, receive, send)
                    return
            response = await self.run(request)
            if digest is not None and getattr(response, "succeeded", False):
                await request.state.resources.response_cache.put(digest, bytes(response.body))
        except _Rejected as rejected:
            response = _error_response(rejected)
        except OperationRejected as rejected:
            response = _error_response(_Rejected(rejected.status, rejected.code, rejected.message))
        except HTTPException as exc:
            status, code, message = _HTTP_ERRORS.get(
                exc.reason, (exc.status_code, "BAD_REQUEST", exc.reason)
            )
            headers = {"allow": "GET, POST"} if status == 405 else {}
            response = _error_response(_Rejected(status, code, message, headers))
        await response(scope, receive, send)

    async def _principal(self, request: Request | WebSocket) -> Principal:
        header = request.headers.get("authorization")
        if not header:
            return ANONYMOUS
        found = await _principal_from_header(request.state.resources, header)
        if found is not None:
            return found
        if isinstance(request, WebSocket):
            return ANONYMOUS  # WebSockets: connection_init decides
        raise _Rejected(
            401,
            "UNAUTHENTICATED",
            "登录状态已失效，请刷新登录。",
            {"www-authenticate": 'Bearer error="invalid_token"'},
        )

    async def _prepare(
        self, request: Request, principal: Principal
    ) -> tuple[Request, Operation | None]:
        """Resolves persisted queries; returns the request strawberry should run."""
        payload = await _payload(request)
        if payload is None:
            return request, None
        trusted = principal.has_any((Role.STAFF, Role.ADMIN, Role.PROVIDER))
        operation = await self.persisted.resolve(
            request.state.resources.redis, payload, trusted_caller=trusted
        )
        if operation is None or isinstance(payload.get("query"), str):
            return request, operation
        # Sent by hash alone: give strawberry the text, as if the client had sent it.
        completed = {**payload, "query": operation.query}
        if request.method == "GET":
            scope = dict(request.scope)
            scope["query_string"] = urlencode(
                {
                    k: v if isinstance(v, str) else orjson.dumps(v).decode()
                    for k, v in completed.items()
                }
            ).encode()
            return Request(scope, receive=request.receive), operation
        rewritten = Request(request.scope, receive=request.receive)
        rewritten._body = orjson.dumps(completed)  # starlette reads a cached body from here
        return rewritten, operation

    def _cacheable(self, operation: Operation, principal: Principal) -> bool:
        fields = operation.root_fields
        return (
            not principal.is_authenticated
            and fields is not None
            and bool(fields)
            and fields <= self.cacheable_fields
        )

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        resources: Resources = request.state.resources
        principal = getattr(request.state, "principal", None)
        if principal is None:
            principal = await self._principal(request)
        client = request.client
        return Context(
            request=request,
            response=response,
            principal=principal,
            loaders=create_loaders(resources.reference),
            resources=resources,
            request_id=getattr(request.state, "request_id", "-"),
            client_ip=client.host if client else "unknown",
        )

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        params = context.connection_params or {}
        token = params.get("Authorization") or params.get("authorization")
        if token is not None:
            principal = (
                await _principal_from_header(context.resources, token)
                if isinstance(token, str)
                else None
            )
            if principal is None:
                raise ConnectionRejectionError({"code": "UNAUTHENTICATED"})
            context.principal = principal
        return await super().on_ws_connect(context)

    async def execute_single(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: Context,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        # Over HTTP: queries by GET, queries and mutations by POST. Subscriptions only over
        # the WebSocket (strawberry would otherwise run them as if they were queries).
        if request_adapter.method == "GET":
            allowed = {OperationType.QUERY}
        else:
            allowed = {OperationType.QUERY, OperationType.MUTATION}
        try:
            return await self.schema.execute(
                request_data.query,
                root_value=root_value,
                variable_values=request_data.variables,
                context_value=context,
                operation_name=request_data.operation_name,
                allowed_operation_types=allowed,
                operation_extensions=request_data.extensions,
            )
        except InvalidOperationTypeError as exc:
            if exc.operation_type is OperationType.SUBSCRIPTION:
                raise _Rejected(
                    400,
                    "SUBSCRIPTION_NEEDS_WEBSOCKET",
                    "订阅请通过 WebSocket（graphql-transport-ws）连接。",
                ) from None
            # GraphQL-over-HTTP: a mutation over GET is 405, not 400.
            raise _Rejected(
                405, "METHOD_NOT_ALLOWED", "GET 只能用于查询，修改请使用 POST。", {"allow": "POST"}
            ) from None
        except CannotGetOperationTypeError:
            raise _Rejected(400, "BAD_REQUEST", "找不到要执行的操作（operationName）。") from None
        except MissingQueryError:
            raise _Rejected(400, "BAD_REQUEST", "请求中没有 GraphQL 查询。") from None

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        errors = list(result.errors or [])
        response: GraphQLHTTPResponse = {}
        if not (result.data is None and is_request_error(errors)):
            response["data"] = result.data
        if errors:
            request_id = getattr(request.state, "request_id", "-")
            formatted: list[object] = []
            for error in errors:
                verdict = classify(error)
                body: dict[str, Any] = dict(error.formatted)
                extensions: dict[str, object] = dict(body.get("extensions") or {})
                extensions["code"] = verdict.code
                if verdict.masked:
                    # Already masked by the schema's MaskErrors; add what support needs.
                    body["message"] = MASKED_MESSAGE
                    extensions["requestId"] = request_id
                body["extensions"] = extensions
                formatted.append({k: v for k, v in body.items() if v is not None})
            response["errors"] = formatted
        if result.extensions:
            response["extensions"] = result.extensions
        return response

    def create_response(
        self, response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse], sub_response: Response
    ) -> Response:
        media_type = getattr(sub_response, "negotiated_media_type", APPLICATION_JSON)
        status = 200
        if (
            media_type == GRAPHQL_RESPONSE_JSON
            and isinstance(response_data, dict)
            and "data" not in response_data
        ):
            status = 400  # the request failed before execution: no data at all
        response = _GraphQLResponse(
            orjson.dumps(response_data), status_code=status, media_type=media_type
        )
        response.succeeded = isinstance(response_data, dict) and not response_data.get("errors")
        response.headers.raw.extend(sub_response.headers.raw)
        if sub_response.background:
            response.background = sub_response.background
        if sub_response.status_code:
            response.status_code = sub_response.status_code
        response.headers.setdefault("cache-control", "no-store")
        return response

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        sub_response = _SubResponse()
        sub_response.status_code = None  # type: ignore[assignment]
        del sub_response.headers["content-length"]
        sub_response.negotiated_media_type = request.scope.get("state", {}).get(
            "media_type", APPLICATION_JSON
        )
        return sub_response

    def encode_json(self, data: object) -> str:
        # Text, not bytes: strawberry sends bytes as binary WebSocket frames, and
        # graphql-transport-ws clients (wx.connectSocket included) expect text frames.
        return orjson.dumps(data).decode()

    def decode_json(self, data: str | bytes) -> object:
        return orjson.loads(data)


async def _payload(request: Request) -> dict[str, Any] | None:
    """The request's JSON object (GET: from the query string); None for anything else."""
    if request.method == "GET":
        params = dict(parse_qsl(request.scope.get("query_string", b"").decode("latin-1")))
        payload: dict[str, Any] = {}
        for name in ("query", "operationName"):
            if name in params:
                payload[name] = params[name]
        for name in ("variables", "extensions"):
            if name in params:
                try:
                    payload[name] = orjson.loads(params[name])
                except orjson.JSONDecodeError:
                    return None
        return payload
    if "application/json" not in request.headers.get("content-type", ""):
        return None
    try:
        data = orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        return None
    return data if isinstance(data, dict) else None


def _cached_response(body: bytes, media_type: str) -> Response:
    # Public catalogue answers: a shared cache (CDN) may keep them briefly too.
    return Response(
        body,
        status_code=200,
        media_type=media_type,
        headers={"cache-control": "public, max-age=30"},
    )


def _wants_ide(request: Request) -> bool:
    return request.method == "GET" and "query" not in request.query_params


async def _principal_from_header(resources: Resources, header: str) -> Principal | None:
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return await sessions.authenticate(resources, token.strip())


def _error_response(rejected: _Rejected) -> Response:
    body = orjson.dumps(
        {"errors": [{"message": rejected.message, "extensions": {"code": rejected.code}}]}
    )
    return Response(
        body, status_code=rejected.status, media_type=APPLICATION_JSON, headers=rejected.headers
    )


__all__ = ["GRAPHQL_TRANSPORT_WS_PROTOCOL", "GraphQLEndpoint"]
