"""The provider API (/provider-api/v1): providers' own systems, authenticated by API key
(`Authorization: Bearer rb_pk_...`), each route behind one scope, every request counted
against the key's per-minute limit and daily quota. A key only ever reaches its own
provider's data. Errors: `{"error": {"code", "message", "field", "retryAfterSeconds"}}`."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from enum import Enum
from typing import Any, TypeVar
from uuid import UUID

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from resolvers.ids import global_id
from resolvers.providers import handoff, keys, services, webhooks
from resolvers.providers.errors import ProviderError
from resolvers.providers.errors import ProviderErrorCode as Code
from resolvers.providers.keys import KeyPrincipal
from resolvers.providers.services import LinkData, ProviderActor, ServiceData
from resolvers.resources import Resources
from schema.error_codes import PublicError
from schema.ids import uuid_of
from schema.pagination import encode_cursor, page_request
from storage.models.providers import (
    ApiKeyScope,
    HandoffField,
    LinkKind,
    ProviderCategory,
    ProviderService,
    ProviderServiceStatus,
    WebhookEndpoint,
)
from storage.repositories import providers as repo

log = logging.getLogger(__name__)

PREFIX = "/provider-api/v1"
# Path ids are global ids: base64 (standard or URL-safe) of `<type>:<uuid>`, about 70
# characters. Longer or other input is refused as such, before it is decoded.
PATH_ID = re.compile(r"[A-Za-z0-9+=_-]{1,128}")
E = TypeVar("E", bound=Enum)
_STATUS = {
    Code.UNAUTHENTICATED: 401,
    Code.INVALID_API_KEY: 401,
    Code.PROVIDER_SUSPENDED: 401,
    Code.FORBIDDEN: 403,
    Code.INSUFFICIENT_SCOPE: 403,
    Code.NOT_FOUND: 404,
    Code.INVALID_STATE: 409,
    Code.CONFLICT: 409,
    Code.RATE_LIMITED: 429,
    Code.SERVICE_UNAVAILABLE: 503,
}


def _json(data: object, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        orjson.dumps(data),
        status_code=status,
        media_type="application/json",
        headers={"cache-control": "no-store", **(headers or {})},
    )


def _error(error: ProviderError) -> Response:
    status = _STATUS.get(error.code, 400)  # type: ignore[call-overload]
    body: dict[str, Any] = {"code": error.code.value, "message": error.message}
    if error.field:
        body["field"] = error.field
    headers: dict[str, str] = {}
    if error.retry_after is not None:
        body["retryAfterSeconds"] = error.retry_after
        headers["retry-after"] = str(error.retry_after)
    if status == 401:
        # RFC 6750: the key is not valid (now); the code says whether it is the key itself or
        # its provider's suspension.
        headers["www-authenticate"] = 'Bearer error="invalid_token"'
    return _json({"error": body}, status, headers)


Work = Callable[[Request, Resources, KeyPrincipal], Awaitable[Response]]


def _route(path: str, methods: list[str], scope: ApiKeyScope, work: Work) -> Route:
    async def endpoint(request: Request) -> Response:
        resources: Resources = request.state.resources
        scheme, _, presented = request.headers.get("authorization", "").partition(" ")
        try:
            key = (
                await keys.authenticate(resources, presented.strip())
                if scheme.lower() == "bearer"
                else None
            )
            if key is None:
                raise ProviderError(Code.INVALID_API_KEY)
            await keys.admit(resources, key, scope)
            return await work(request, resources, key)
        except ProviderError as error:
            return _error(error)
        except PublicError as error:
            return _json({"error": {"code": "BAD_USER_INPUT", "message": error.message}}, 400)

    return Route(PREFIX + path, endpoint, methods=methods)


# -- reading JSON input strictly


async def _body(request: Request) -> dict[str, Any]:
    if "application/json" not in request.headers.get("content-type", ""):
        raise ProviderError(Code.INVALID_INPUT)
    try:
        data = orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        raise ProviderError(Code.INVALID_INPUT) from None
    if not isinstance(data, dict):
        raise ProviderError(Code.INVALID_INPUT)
    return data


def _text(data: dict[str, Any], name: str) -> str | None:
    value = data.get(name)
    if value is not None and not isinstance(value, str):
        raise ProviderError(Code.INVALID_INPUT, name)
    return value


def _texts(data: dict[str, Any], name: str) -> list[str] | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or len(value) > 50 or not all(isinstance(v, str) for v in value):
        raise ProviderError(Code.INVALID_INPUT, name)
    return value


def _choice(kind: type[E], value: object, field: str) -> E:
    try:
        return kind[str(value)]
    except KeyError:
        raise ProviderError(Code.INVALID_INPUT, field) from None


def _service_data(data: dict[str, Any]) -> ServiceData:
    category = data.get("category")
    audiences = _texts(data, "audiences")
    link = data.get("link")
    link_data = None
    if link is not None:
        if not isinstance(link, dict):
            raise ProviderError(Code.INVALID_LINK, "link")
        target = _text(link, "target")
        if target is None:
            raise ProviderError(Code.INVALID_LINK, "link.target")
        link_data = LinkData(
            kind=_choice(LinkKind, link.get("kind"), "link.kind"),
            target=target,
            app_id=_text(link, "appId"),
        )
    if audiences is not None:
        for index, audience in enumerate(audiences):
            if audience not in ("PERSON", "ORGANISATION"):
                raise ProviderError(Code.INVALID_INPUT, f"audiences[{index}]")
    return ServiceData(
        name=_text(data, "name"),
        description=_text(data, "description"),
        category=_choice(ProviderCategory, category, "category") if category is not None else None,
        theme_codes=_texts(data, "themeCodes"),
        region_codes=_texts(data, "regionCodes"),
        for_persons=None if audiences is None else "PERSON" in audiences,
        for_organisations=None if audiences is None else "ORGANISATION" in audiences,
        opening_hours=_text(data, "openingHours"),
        link=link_data,
    )


def _actor(key: KeyPrincipal) -> ProviderActor:
    return ProviderActor(provider_id=key.provider_id, api_key_id=key.key_id)


def _path_id(request: Request, name: str, type_name: str, field: str) -> UUID:
    value = str(request.path_params[name])
    if not PATH_ID.fullmatch(value):
        raise ProviderError(Code.INVALID_INPUT, field)
    return uuid_of(value, type_name, field, ProviderError, Code.NOT_FOUND)


def _service_id(request: Request) -> UUID:
    return _path_id(request, "service_id", "ProviderService", "serviceId")


# -- what is returned


async def _services_json(rows: list[ProviderService]) -> list[dict[str, Any]]:
    ids = [row.id for row in rows]
    themes: dict[UUID, list[str]] = {}
    for link in await repo.theme_links(ids):
        themes.setdefault(link.service_id, []).append(link.theme_code)
    regions: dict[UUID, list[str]] = {}
    for service_id, region in await repo.region_links(ids):
        regions.setdefault(service_id, []).append(region.code)
    return [
        {
            "id": global_id("ProviderService", row.id),
            "name": row.name,
            "description": row.description,
            "category": row.category.value,
            "themeCodes": themes.get(row.id, []),
            "regionCodes": regions.get(row.id, []),
            "audiences": [
                a
                for a, on in (("PERSON", row.for_persons), ("ORGANISATION", row.for_organisations))
                if on
            ],
            "openingHours": row.opening_hours,
            "link": {
                "kind": row.link_kind.value,
                "target": row.link_target,
                "appId": row.link_app_id or None,
            },
            "status": row.status.value,
            "reviewReason": row.review_reason,
            "contentCheck": row.content_check.value,
            "submittedAt": row.submitted_at.isoformat() if row.submitted_at else None,
            "publishedAt": row.published_at.isoformat() if row.published_at else None,
            "updatedAt": row.updated_at.isoformat(),
        }
        for row in rows
    ]


async def _one(row: ProviderService, status: int = 200) -> Response:
    return _json((await _services_json([row]))[0], status)


def _webhook_json(row: WebhookEndpoint) -> dict[str, Any]:
    return {
        "id": global_id("Webhook", row.id),
        "url": row.url,
        "events": row.events,
        "createdAt": row.created_at.isoformat(),
        "secretRotatedAt": row.secret_rotated_at.isoformat() if row.secret_rotated_at else None,
    }


# -- services


async def list_services(request: Request, resources: Resources, key: KeyPrincipal) -> Response:
    params = request.query_params
    first = params.get("first")
    if first is not None and not first.isdigit():
        raise ProviderError(Code.INVALID_INPUT, "first")
    paging = page_request(
        int(first) if first else None,
        params.get("after"),
        cap=resources.settings.max_page_size,
    )
    status = params.get("status")
    wanted = repo.ServiceFilter(
        provider_id=key.provider_id,
        status=_choice(ProviderServiceStatus, status, "status") if status else None,
    )
    try:
        page = await repo.service_page(
            repo.own_services(key.provider_id),
            wanted,
            order=("name",),
            first=paging.first,
            after=paging.after,
        )
    except ValueError:
        raise ProviderError(Code.INVALID_INPUT, "after") from None
    cursors = [encode_cursor(position, "k") for position in page.positions]
    return _json(
        {
            "services": await _services_json(page.rows),
            "hasNextPage": page.has_next,
            "endCursor": cursors[-1] if cursors else None,
        }
    )


async def get_service(request: Request, resources: Resources, key: KeyPrincipal) -> Response:
    service = await repo.service_by_id(_service_id(request))
    if service is None or service.provider_id != key.provider_id:
        raise ProviderError(Code.NOT_FOUND, "serviceId")
    return await _one(service)


async def create_service(request: Request, resources: Resources, key: KeyPrincipal) -> Response:
    data = _service_data(await _body(request))
    return await _one(await services.create(resources, _actor(key), data), 201)


async def update_service(request: Request, resources: Resources, key: KeyPrincipal) -> Response:
    service_id = _service_id(request)
    data = _service_data(await _body(request))
    return await _one(await services.update(resources, _actor(key), service_id, data))


async def submit_service(request: Request, resources: Resources, key: KeyPrincipal) -> Response:
    return await _one(await services.submit(resources, _actor(key), _service_id(request)))


# -- webhooks


async def _endpoint(request: Request, key: KeyPrincipal) -> WebhookEndpoint:
    webhook_id = _path_id(request, "webhook_id", "Webhook", "webhookId")
    endpoint = await repo.webhook_by_id(webhook_id)
    if endpoint is None or endpoint.provider_id != key.provider_id:
        raise ProviderError(Code.NOT_FOUND, "webhookId")
    return endpoint


async def list_webhooks(request: Request, resources: Resources, key: KeyPrincipal) -> Response:
    rows = await repo.webhooks_of([key.provider_id])
    return _json({"webhooks": [_webhook_json(row) for row in rows]})


async def list_deliveries(request: Request, resources: Resources, key: KeyPrincipal) -> Response:
    endpoint = await _endpoint(request, key)
    first = request.query_params.get("first")
    if first is not None and not first.isdigit():
        raise ProviderError(Code.INVALID_INPUT, "first")
    paging = page_request(
        int(first) if first else None,
        request.query_params.get("after"),
        cap=resources.settings.max_page_size,
    )
    try:
        page = await repo.delivery_page(endpoint.id, first=paging.first, after=paging.after)
    except ValueError:
        raise ProviderError(Code.INVALID_INPUT, "after") from None
    cursors = [encode_cursor(position, "k") for position in page.positions]
    return _json(
        {
            "deliveries": [
                {
                    "webhookMessageId": row.webhook_id,
                    "event": row.event,
                    "attempt": row.attempt,
                    "succeeded": row.succeeded,
                    "willRetry": row.will_retry,
                    "statusCode": row.status_code,
                    "durationMs": row.duration_ms,
                    "error": row.error,
                    "at": row.at.isoformat(),
                }
                for row in page.rows
            ],
            "hasNextPage": page.has_next,
            "endCursor": cursors[-1] if cursors else None,
        }
    )


async def test_webhook(request: Request, resources: Resources, key: KeyPrincipal) -> Response:
    endpoint = await _endpoint(request, key)
    message_id = await webhooks.send_test(resources, endpoint)
    return _json({"webhookMessageId": message_id}, 202)


# -- hand-offs


async def exchange_handoff(request: Request, resources: Resources, key: KeyPrincipal) -> Response:
    code = _text(await _body(request), "code")
    if not code:
        raise ProviderError(Code.INVALID_CODE, "code")
    shared = await handoff.exchange(resources, key.provider_id, code, key_id=key.key_id)
    fields = [HandoffField(f) for f in shared.consent.fields_shared]
    return _json(
        {
            "handoffId": global_id("HandoffConsent", shared.consent.id),
            "fields": [f.value for f in fields],
            "name": shared.name,
            "phone": shared.phone,
            "grantedAt": shared.consent.granted_at.isoformat(),
        }
    )


READ, WRITE = ApiKeyScope.SERVICES_READ, ApiKeyScope.SERVICES_WRITE
ROUTES = [
    _route("/services", ["GET"], READ, list_services),
    _route("/services", ["POST"], WRITE, create_service),
    _route("/services/{service_id}", ["GET"], READ, get_service),
    _route("/services/{service_id}", ["PATCH"], WRITE, update_service),
    _route("/services/{service_id}/submit", ["POST"], WRITE, submit_service),
    _route("/webhooks", ["GET"], ApiKeyScope.WEBHOOKS, list_webhooks),
    _route("/webhooks/{webhook_id}/deliveries", ["GET"], ApiKeyScope.WEBHOOKS, list_deliveries),
    _route("/webhooks/{webhook_id}/test", ["POST"], ApiKeyScope.WEBHOOKS, test_webhook),
    _route("/handoffs/exchange", ["POST"], ApiKeyScope.HANDOFFS, exchange_handoff),
]
