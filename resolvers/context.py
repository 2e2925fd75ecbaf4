"""The request Context and the process-wide Resources that resolvers work with.

They live here rather than in `api/` because schema types and resolvers must name them,
and arrows point from `api` down, never back. `api/` builds both.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeAlias

import strawberry
from graphql import DocumentNode
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket

from api.settings import Settings
from integrations.identity import IdentityProviders
from integrations.providers import WebhookSender
from integrations.provincial import ProvincialGateway
from integrations.scanner import Scanner
from integrations.sms import SmsSender
from integrations.wechat import WeChatGateway
from resolvers.accounts.passwords import PasswordGate
from resolvers.catalogue.search import CatalogueIndex
from resolvers.loaders import Loaders
from resolvers.principal import Principal
from resolvers.reference import ReferenceData
from storage.cache import Redis
from storage.crypto import Keyring
from storage.events import EventHub
from storage.objects import ObjectStore
from storage.response_cache import ResponseCache


@dataclass(slots=True)
class Resources:
    """Created once in the lifespan, closed when it ends; never at import time."""

    settings: Settings
    keyring: Keyring
    redis: Redis
    objects: ObjectStore
    wechat: WeChatGateway
    sms: SmsSender
    response_cache: ResponseCache
    reference: ReferenceData
    events: EventHub  # pub/sub for subscriptions: one Redis connection per process
    passwords: PasswordGate  # argon2 checks of this process, bounded
    search_index: CatalogueIndex = field(default_factory=CatalogueIndex)
    scanner: Scanner | None = None  # malware scanning of uploads, when configured
    province: ProvincialGateway | None = None  # the provincial exchange (the sandbox in dev)
    webhooks: WebhookSender | None = None  # providers' webhook endpoints ([7/8])
    provider_index: CatalogueIndex = field(default_factory=CatalogueIndex)  # social services
    identity: IdentityProviders | None = None  # face checks of real-name claims
    # "Now" for deadlines and the outbox, in one place so that tests can freeze it.
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))


@dataclass(slots=True)
class Context:
    request: Request | WebSocket
    response: Response | WebSocket | None
    principal: Principal
    loaders: Loaders
    resources: Resources
    request_id: str
    client_ip: str
    # The WebSocket's connection_init payload.
    connection_params: dict[str, Any] | None = field(default=None)
    # The parsed and validated document the request's preparation produced: execution
    # reuses it instead of parsing and validating again (schema.root.UsePreparedDocument).
    document: DocumentNode | None = field(default=None)


Info: TypeAlias = strawberry.Info[Context, None]
