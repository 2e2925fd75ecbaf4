"""The GraphQL endpoint: GraphQL-over-HTTP media types and status codes, auth, error masking."""

from __future__ import annotations

import logging
from typing import Any

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

from resolvers.accounts import sessions
from resolvers.context import Context, Resources
from resolvers.loaders import create_loaders
from resolvers.principal import ANONYMOUS, Principal
from schema.error_codes import MASKED_MESSAGE, classify, is_request_error

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


class GraphQLEndpoint(GraphQL[Context, None]):
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
            scope.setdefault("state", {})["media_type"] = media_type
            response = await self.run(request)
        except _Rejected as rejected:
            response = _error_response(rejected)
        except HTTPException as exc:
            status, code, message = _HTTP_ERRORS.get(
                exc.reason, (exc.status_code, "BAD_REQUEST", exc.reason)
            )
            headers = {"allow": "GET, POST"} if status == 405 else {}
            response = _error_response(_Rejected(status, code, message, headers))
        await response(scope, receive, send)

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        resources: Resources = request.state.resources
        principal: Principal = ANONYMOUS
        header = request.headers.get("authorization")
        if header:
            found = await _principal_from_header(resources, header)
            if found is not None:
                principal = found
            elif not isinstance(request, WebSocket):  # WebSockets: connection_init decides
                raise _Rejected(
                    401,
                    "UNAUTHENTICATED",
                    "登录状态已失效，请刷新登录。",
                    {"www-authenticate": 'Bearer error="invalid_token"'},
                )
        client = request.client
        return Context(
            request=request,
            response=response,
            principal=principal,
            loaders=create_loaders(),
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
        response = Response(orjson.dumps(response_data), status_code=status, media_type=media_type)
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
