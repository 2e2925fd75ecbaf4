"""Opens and closes the process-wide resources from settings."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from integrations.identity import HttpRealNameRelay, IdentityProviders, WeChatFaceProvider
from integrations.providers import HttpWebhookSender
from integrations.provincial import HttpProvincialGateway
from integrations.scanner import ClamdScanner, Scanner
from integrations.sms import HttpSmsRelay
from integrations.wechat import WeChatpyGateway
from integrations.wechatpay.client import WeChatPayClient
from integrations.wechatpay.protocol import PaymentGateway
from resolvers.accounts.passwords import PasswordGate
from resolvers.catalogue.guides import PublishedGuides
from resolvers.catalogue.search import CatalogueIndex
from resolvers.exchange.signing import platform_signer, province_verifier
from resolvers.reference import ReferenceData
from resolvers.resources import Resources
from resolvers.settings import Settings
from storage.cache import CoalescedGets, HotCommands, create_redis
from storage.crypto import Keyring
from storage.database import database
from storage.events import EventHub
from storage.objects import LocalFolderStore, ObjectStore, S3Store, StorageUnavailable
from storage.response_cache import ResponseCache

log = logging.getLogger(__name__)


def keyring_of(settings: Settings) -> Keyring:
    secrets = [settings.secret_key, *settings.previous_secret_keys]
    return Keyring([secret.get_secret_value().encode() for secret in secrets])


def object_store_of(settings: Settings, keyring: Keyring) -> ObjectStore:
    folder = settings.local_storage_path
    if folder is not None:
        return LocalFolderStore(folder, signer=keyring, base_url=settings.public_base_url)
    bucket = settings.s3_bucket
    if bucket is None:
        raise ValueError("RONGBAN_STORAGE_URL must be file://<folder> or s3://<bucket>")
    return S3Store(
        endpoint=settings.s3_endpoint,
        public_endpoint=settings.s3_public_endpoint,
        bucket=bucket,
        region=settings.s3_region,
        access_key=settings.s3_access_key.get_secret_value(),
        secret_key=settings.s3_secret_key.get_secret_value(),
        server_side_encryption=settings.s3_server_side_encryption,
    )


def scanner_of(settings: Settings) -> Scanner | None:
    if settings.clamd_address:
        return ClamdScanner(settings.clamd_address, timeout=settings.clamd_timeout_seconds)
    if settings.scanner_required:
        # Uploads fail closed (SCANNER_UNAVAILABLE) until a scanner is configured; the rest
        # of the service runs. RONGBAN_DOCUMENT_SCANNER_REQUIRED=false is the explicit waiver.
        log.warning("no malware scanner configured (RONGBAN_CLAMD_ADDRESS): uploads are refused")
    else:
        log.info("no malware scanner configured: uploaded documents are not scanned")
    return None


def payment_gateway_of(settings: Settings) -> PaymentGateway | None:
    """WeChat Pay when a merchant key pair is configured; without one, fees are still due
    and shown, and paying answers PAYMENT_UNAVAILABLE."""
    private_key = settings.wechatpay_private_key.get_secret_value()
    if not private_key.strip() or not settings.wechatpay_public_key.strip():
        log.info("WeChat Pay not configured: fees cannot be paid online")
        return None
    return WeChatPayClient(
        mchid=settings.wechatpay_mchid,
        app_id=settings.wechatpay_app_id,
        mobile_app_id=settings.wechatpay_mobile_app_id,
        private_key=private_key,
        cert_serial_no=settings.wechatpay_cert_serial_no,
        apiv3_key=settings.wechatpay_apiv3_key.get_secret_value(),
        public_key=settings.wechatpay_public_key,
        public_key_id=settings.wechatpay_public_key_id,
        notify_url=settings.wechatpay_notify_url,
        base_url=settings.wechatpay_base_url,
        timeout_seconds=settings.wechatpay_timeout_seconds,
        notification_window_seconds=settings.wechatpay_notification_window_seconds,
    )


@asynccontextmanager
async def open_resources(settings: Settings) -> AsyncIterator[Resources]:
    keyring = keyring_of(settings)
    redis = create_redis(settings.redis_url, max_connections=settings.redis_max_connections)
    events = EventHub(redis)
    objects = object_store_of(settings, keyring)
    try:
        await objects.ensure_ready()
    except StorageUnavailable:
        # Start anyway: /readyz reports storage as down until it answers.
        log.warning("object storage unavailable at start-up")
    wechat = WeChatpyGateway(
        app_id=settings.wechat_app_id,
        app_secret=settings.wechat_app_secret.get_secret_value(),
        api_base=settings.wechat_api_base,
        timeout=settings.wechat_timeout_seconds,
        redis=redis,
    )
    sms = HttpSmsRelay(
        url=settings.sms_url,
        secret=settings.sms_secret.get_secret_value().encode(),
        timeout=settings.sms_timeout_seconds,
    )
    realname_relay = HttpRealNameRelay(
        url=settings.identity_relay_url,
        secret=settings.identity_relay_secret.get_secret_value().encode(),
        timeout=settings.identity_relay_timeout_seconds,
    )
    province = HttpProvincialGateway(
        base_url=settings.exchange_province_url,
        system_id=settings.exchange_system_id,
        signer=platform_signer(settings),
        province=province_verifier(settings),
        timeout=settings.exchange_timeout_seconds,
    )
    webhooks = HttpWebhookSender(
        timeout=settings.webhook_timeout_seconds,
        allow_loopback=settings.webhook_allow_loopback,
        https_only=settings.is_production,
    )
    payments = payment_gateway_of(settings)
    reference = ReferenceData(redis)
    redis_hot = HotCommands(redis)
    try:
        yield Resources(
            settings=settings,
            keyring=keyring,
            redis=redis,
            response_cache=ResponseCache(redis),
            reference=reference,
            guides=PublishedGuides(reference, settings.guide_cache_entries),
            events=events,
            passwords=PasswordGate(
                settings.password_hash_concurrency, settings.password_hash_wait_seconds
            ),
            search_index=CatalogueIndex(),
            redis_hot=redis_hot,
            redis_gets=CoalescedGets(redis_hot),
            provider_index=CatalogueIndex(),
            objects=objects,
            wechat=wechat,
            sms=sms,
            scanner=scanner_of(settings),
            province=province,
            webhooks=webhooks,
            identity=IdentityProviders(wechat=WeChatFaceProvider(wechat), relay=realname_relay),
            payments=payments,
        )
    finally:
        await events.close()
        if payments is not None:
            await payments.close()
        await webhooks.close()
        await province.close()
        await sms.close()
        await realname_relay.close()
        await wechat.close()
        await objects.close()
        await redis_hot.aclose()
        await redis.aclose()


def run_with_resources(settings: Settings, work: Callable[[Resources], Awaitable[int]]) -> int:
    """A CLI command's body, with the database and the process resources open around it;
    returns the command's exit status."""

    async def main() -> int:
        async with database(settings.database_url), open_resources(settings) as resources:
            return await work(resources)

    return asyncio.run(main())
