"""Open311 GeoReport v2 over HTTP: /open311/v2/services, services/{code}, requests and
requests/{id}, in JSON or XML, with the spec's error bodies and status codes; and the service
discovery document at /open311/discovery.{json,xml}."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from resolvers.appeals import open311
from resolvers.appeals.open311 import Open311Error
from resolvers.resources import Resources

log = logging.getLogger(__name__)

PREFIX = "/open311/v2"
MAX_FORM_FIELDS = 64
# The XML element that wraps each item of a list, by the list's element (Spark convention).
_ITEMS = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}


def _xml(name: str, value: Any) -> str:
    if isinstance(value, list):
        item = _ITEMS.get(name, "item")
        return f"<{name}>{''.join(_xml(item, v) for v in value)}</{name}>"
    if isinstance(value, dict):
        return f"<{name}>{''.join(_xml(k, v) for k, v in value.items())}</{name}>"
    if value is None:
        return f"<{name}/>"
    if isinstance(value, bool):
        return f"<{name}>{'true' if value else 'false'}</{name}>"
    return f"<{name}>{escape(str(value))}</{name}>"


def _render(fmt: str, root: str, body: Any, status: int = 200) -> Response:
    if fmt == "xml":
        text = '<?xml version="1.0" encoding="utf-8"?>' + _xml(root, body)
        return Response(text, status_code=status, media_type="text/xml; charset=utf-8")
    return Response(
        orjson.dumps(body), status_code=status, media_type="application/json; charset=utf-8"
    )


def _error(fmt: str, status: int, description: str) -> Response:
    return _render(fmt, "errors", [{"code": status, "description": description}], status)


Handler = Callable[[Request, Resources, str], Awaitable[Response]]


def _endpoint(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        fmt = request.path_params.get("format", "")
        if fmt not in ("json", "xml"):
            return _error("json", 400, "format must be json or xml")
        resources: Resources = request.state.resources
        try:
            return await handler(request, resources, fmt)
        except Open311Error as error:
            return _error(fmt, error.status, error.description)
        except Exception:  # the spec's "general service error": details stay in our logs
            log.exception("open311 request failed")
            return _error(fmt, 400, "General service error: the request could not be processed")

    return endpoint


def _params(request: Request) -> dict[str, str]:
    return dict(request.query_params.items())


async def services(request: Request, resources: Resources, fmt: str) -> Response:
    open311.check_jurisdiction(resources, request.query_params.get("jurisdiction_id"))
    return _render(fmt, "services", await open311.services(resources))


async def definition(request: Request, resources: Resources, fmt: str) -> Response:
    open311.check_jurisdiction(resources, request.query_params.get("jurisdiction_id"))
    body = await open311.definition(resources, request.path_params["code"])
    return _render(fmt, "service_definition", body)


async def requests(request: Request, resources: Resources, fmt: str) -> Response:
    if request.method == "POST":
        return await _post(request, resources, fmt)
    params = _params(request)
    open311.check_jurisdiction(resources, params.get("jurisdiction_id"))
    query = open311.request_query(resources, params)
    return _render(fmt, "service_requests", await open311.requests(resources, query))


async def one_request(request: Request, resources: Resources, fmt: str) -> Response:
    open311.check_jurisdiction(resources, request.query_params.get("jurisdiction_id"))
    rows = await open311.one_request(resources, request.path_params["id"])
    return _render(fmt, "service_requests", rows)


async def _post(request: Request, resources: Resources, fmt: str) -> Response:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/x-www-form-urlencoded":
        raise Open311Error(400, "send the request as application/x-www-form-urlencoded")
    try:
        text = (await request.body()).decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS)
    except (UnicodeDecodeError, ValueError):
        raise Open311Error(400, "the form is not valid UTF-8 x-www-form-urlencoded data") from None
    form = dict(pairs)  # a repeated field keeps its last value
    client = await open311.client_of(resources, form.get("api_key"))
    created = await open311.file_request(resources, client, form)
    return _render(fmt, "service_requests", [created])


async def discovery(request: Request, resources: Resources, fmt: str) -> Response:
    return _render(fmt, "discovery", open311.discovery(resources))


ROUTES = [
    Route("/open311/discovery.{format}", _endpoint(discovery), methods=["GET"]),
    Route(f"{PREFIX}/services.{{format}}", _endpoint(services), methods=["GET"]),
    Route(f"{PREFIX}/services/{{code}}.{{format}}", _endpoint(definition), methods=["GET"]),
    Route(f"{PREFIX}/requests.{{format}}", _endpoint(requests), methods=["GET", "POST"]),
    Route(f"{PREFIX}/requests/{{id}}.{{format}}", _endpoint(one_request), methods=["GET"]),
]
