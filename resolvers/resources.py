"""The process-wide resources services work with: created in the lifespan, closed when it ends.

Every domain reads its resources from here, so this module sits below the domains: the
domain components it carries (the password gate, the search indexes) are named for type
checking only and built by the composition root (api/resources.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from integrations.identity import IdentityProviders
from integrations.providers import WebhookSender
from integrations.provincial import ProvincialGateway
from integrations.scanner import Scanner
from integrations.sms import SmsSender
from integrations.wechat import WeChatGateway
from integrations.wechatpay.protocol import PaymentGateway
from resolvers.reference import ReferenceData
from resolvers.settings import Settings
from storage.cache import CoalescedGets, HotCommands, Redis
from storage.crypto import Keyring
from storage.events import EventHub
from storage.objects import ObjectStore
from storage.response_cache import ResponseCache

if TYPE_CHECKING:
    from resolvers.accounts.passwords import PasswordGate
    from resolvers.catalogue.guides import PublishedGuides
    from resolvers.catalogue.search import CatalogueIndex


@dataclass(slots=True)
class Resources:
    """Created once in the lifespan (api/resources.py), closed when it ends; never at import.

    Two clocks, one rule. `clock` is the business clock: every date the platform sets and
    later compares itself (deadlines, slots and hours, expiries of its own records, the
    outbox's schedule) reads it, so that tests can freeze it and `rongban dev` can move it
    forward (api/dev_clock.py). `wall_clock` is real time: a timestamp signed outside the
    platform (card readers' and terminals' payloads, the courier's webhook) and whatever
    lives on real time anyway (sessions, which Redis expires, and the nonces remembered
    beside a freshness check) is compared with it, because the signer's clock is the real
    one. Integrations that sign or check on the wire themselves (WeChat Pay, the provincial
    exchange, the SMS and real-name relays, providers' webhooks) already use real time."""

    settings: Settings
    keyring: Keyring
    redis: Redis
    objects: ObjectStore
    wechat: WeChatGateway
    sms: SmsSender
    response_cache: ResponseCache
    reference: ReferenceData
    guides: PublishedGuides  # the guide pages read, in this process
    events: EventHub  # pub/sub for subscriptions: one Redis connection per process
    passwords: PasswordGate  # argon2 checks of this process, bounded
    search_index: CatalogueIndex  # keyword search over the catalogue, in this process
    # The commands every signed-in request waits for, over connections of their own.
    redis_hot: HotCommands
    # Concurrent GETs (the signed-in requests' sessions) sent as one MGET.
    redis_gets: CoalescedGets
    provider_index: CatalogueIndex  # and over providers' social services
    scanner: Scanner | None = None  # malware scanning of uploads, when configured
    province: ProvincialGateway | None = None  # the provincial exchange (the sandbox in dev)
    webhooks: WebhookSender | None = None  # providers' webhook endpoints
    identity: IdentityProviders | None = None  # face checks of real-name claims
    payments: PaymentGateway | None = None  # WeChat Pay, when a merchant is configured
    # "Now" for deadlines and the outbox, in one place so that tests can freeze it.
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    # Real time, for timestamps signed outside the platform (see above); never moved.
    wall_clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
