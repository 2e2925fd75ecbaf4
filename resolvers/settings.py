"""The one validated settings object, read from RONGBAN_* environment variables.

Below the transport so that every service reads its own settings from it; it imports nothing
of ours but the storage constants it validates against."""

from __future__ import annotations

import ipaddress
import re
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal, Self
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from storage.models.appeals import MAX_PHOTOS

# Embedded defaults: what `make run` uses on a bare machine. Production refuses each of them.
DEV_SECRET_KEY = "rongban-dev-secret-key-not-for-production-use-0001"  # noqa: S105 (refused in production)
DEV_DATABASE_URL = "sqlite://var/rongban.sqlite3"
DEV_REDIS_URL = "memory://"
DEV_STORAGE_URL = "file://var/objects"
DEV_WECHAT_APP_ID = "wxrongbandemo0001"
DEV_WECHAT_APP_SECRET = "rongban-demo-app-secret"  # noqa: S105 (the mock's)
DEV_WECHAT_API_BASE = "http://127.0.0.1:8001"
DEV_WECHAT_PUSH_TOKEN = "rongban-dev-push-token"  # noqa: S105 (the mock's)
DEV_SMS_URL = "http://127.0.0.1:8001/__mock__/sms/send"
DEV_SMS_SECRET = "rongban-dev-sms-relay-secret"  # noqa: S105 (the mock's)
DEV_IDENTITY_RELAY_URL = "http://127.0.0.1:8001/__mock__/realname"
DEV_IDENTITY_RELAY_SECRET = "rongban-dev-realname-relay-secret"  # noqa: S105 (the mock's)
REAL_WECHAT_API_BASE = "https://api.weixin.qq.com"
DEV_EXCHANGE_URL = "http://127.0.0.1:8002"  # the provincial sandbox `make run` starts
DEV_EXCHANGE_SYSTEM_ID = "rongban-510100-dev"
# The mock courier's webhook secret (miniprogram-mock/mock_wechat/courier.py): set
# RONGBAN_COURIER_SECRET to the real courier's in production.
DEV_COURIER_SECRET = "rongban-dev-courier-secret-not-for-production"  # noqa: S105
DEV_COURIER_URL = "http://127.0.0.1:8001/courier"
DEV_EXCHANGE_SECRET = "rongban-dev-exchange-secret-not-for-production"  # noqa: S105 (the sandbox's)
# WeChat Pay: the mock's test merchant (miniprogram-mock/mock_wechat/pay_keys.py). Its key pair
# is never a default here: `rongban dev` hands the test keys over through the environment.
REAL_WECHATPAY_BASE_URL = "https://api.mch.weixin.qq.com"
DEV_WECHATPAY_MCHID = "1900000109"
DEV_WECHATPAY_MOBILE_APP_ID = "wxrongbanapp00001"
DEV_WECHATPAY_CERT_SERIAL_NO = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"
DEV_WECHATPAY_APIV3_KEY = "rongbanTESTapiv3keyNOTFORPROD001"  # the mock's
DEV_WECHATPAY_PUBLIC_KEY_ID = "PUB_KEY_ID_0119000001092025120500000000000001"
DEV_WECHATPAY_NOTIFY_URL = "http://127.0.0.1:8000/payments/wechat/notify"
_MIB = 1024 * 1024
_ALLOWED_HOST = re.compile(
    r"(\*\.)?[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+"
)


class Mode(StrEnum):
    DEV = "dev"
    PRODUCTION = "production"


class Settings(BaseSettings):
    """Every knob of the service. Frozen: build a new object to change anything."""

    model_config = SettingsConfigDict(
        env_prefix="RONGBAN_", frozen=True, extra="forbid", env_file=None
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """What is given, then the environment. With no env file and no secrets folder the
        other two sources find nothing, yet each still looks every field up: half of the
        time it takes to build a Settings (milliseconds, once per app and per test)."""
        return init_settings, env_settings

    mode: Mode = Mode.DEV

    # -- where things are
    database_url: str = DEV_DATABASE_URL
    database_pool_max: int = Field(default=10, ge=1, le=200)
    redis_url: str = DEV_REDIS_URL
    storage_url: str = Field(
        default=DEV_STORAGE_URL,
        description="file://<folder> for the local store, s3://<bucket> for MinIO/S3",
    )
    s3_endpoint: str = "http://127.0.0.1:9000"
    s3_public_endpoint: str | None = None
    s3_region: str = "cn-chengdu-1"
    s3_access_key: SecretStr = SecretStr("")
    s3_secret_key: SecretStr = SecretStr("")
    s3_server_side_encryption: bool = False
    public_base_url: str = "http://127.0.0.1:8000"

    # -- serving
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1, le=64)
    # Comma-separated in the environment; browser origins allowed for CORS and WebSockets.
    allowed_origins: Annotated[tuple[str, ...], NoDecode] = ("https://servicewechat.com",)

    # -- secrets: one master key, every purpose derives its own sub-key from it
    secret_key: SecretStr = SecretStr(DEV_SECRET_KEY)
    previous_secret_keys: Annotated[tuple[SecretStr, ...], NoDecode] = ()

    # -- WeChat mini-program
    wechat_app_id: str = DEV_WECHAT_APP_ID
    wechat_app_secret: SecretStr = SecretStr(DEV_WECHAT_APP_SECRET)
    wechat_api_base: str = DEV_WECHAT_API_BASE
    wechat_timeout_seconds: float = Field(default=5.0, gt=0, le=30)

    # -- SMS relay (an HTTP endpoint; the mock WeChat server plays it in development)
    sms_url: str = DEV_SMS_URL
    sms_secret: SecretStr = SecretStr(DEV_SMS_SECRET)
    sms_timeout_seconds: float = Field(default=5.0, gt=0, le=30)

    # -- real-name verification: WeChat's face check for mini-program accounts, an HTTP
    # relay (CTID/网证-style; the mock WeChat server plays it in development) for app accounts
    identity_relay_url: str = Field(
        default=DEV_IDENTITY_RELAY_URL,
        description="the relay's base URL: POST <url>/verifications and <url>/results",
    )
    identity_relay_secret: SecretStr = SecretStr(DEV_IDENTITY_RELAY_SECRET)
    identity_relay_timeout_seconds: float = Field(default=5.0, gt=0, le=30)
    identity_verification_ttl_seconds: int = Field(
        default=1800,
        ge=60,
        le=3600,
        description=(
            "how long a started verification may be completed and confirmed (shorter when "
            "the provider says so)"
        ),
    )
    identity_verifications_per_account_daily: int = Field(
        default=5, ge=1, le=100, description="verifications an account may start a day"
    )
    identity_verifications_per_number_daily: int = Field(
        default=10,
        ge=1,
        le=100,
        description="verifications of one ID number a day, whoever starts them",
    )

    # -- sessions (seconds)
    access_token_ttl: int = Field(default=2 * 3600, ge=60)
    refresh_token_ttl: int = Field(default=30 * 86400, ge=3600)
    staff_access_token_ttl: int = Field(default=15 * 60, ge=60)
    staff_refresh_token_ttl: int = Field(default=12 * 3600, ge=600)

    # -- sign-in protection
    # Staff passwords: failures are counted per (username, client address), so an attacker
    # slows down only their own address; the whole account locks only when many addresses
    # fail against it. Unknown usernames are throttled and locked exactly like real ones.
    staff_max_failed_logins: int = Field(
        default=5,
        ge=1,
        le=100,
        description="failed attempts per username and client address before delays start",
    )
    staff_login_delay_seconds: int = Field(
        default=1,
        ge=1,
        le=60,
        description="the first delay; each further failure from that address doubles it",
    )
    staff_login_max_delay_seconds: int = Field(
        default=300, ge=1, le=3600, description="the longest delay between two attempts"
    )
    staff_login_failure_window_seconds: int = Field(
        default=3600,
        ge=60,
        le=7 * 86_400,
        description="how long failures are remembered after the last attempt",
    )
    staff_lock_addresses: int = Field(
        default=10,
        ge=2,
        le=10_000,
        description=(
            "client addresses (IPv6: /64 networks) failing against one username within the "
            "failure window that lock the account for everyone"
        ),
    )
    staff_lockout_seconds: int = Field(
        default=15 * 60,
        ge=60,
        le=86_400,
        description="how long that account-wide lock lasts (an ADMIN can lift it earlier)",
    )
    staff_logins_per_client_hourly: int = Field(
        default=60, ge=1, le=100_000, description="staff sign-in attempts per client address"
    )
    password_hash_concurrency: int = Field(
        default=4,
        ge=1,
        le=64,
        description="argon2 checks running at once per process (each takes 64 MiB)",
    )
    password_hash_wait_seconds: float = Field(
        default=2.0,
        gt=0,
        le=30,
        description="how long a sign-in waits for a free check before SERVICE_BUSY",
    )
    staff_require_otp: bool | None = Field(
        default=None, description="None means: required in production, optional in dev"
    )
    sms_code_ttl: int = 300
    card_read_window_seconds: int = Field(
        default=120, ge=10, le=600, description="a signed card read older (or newer): refused"
    )
    terminal_idle_seconds: int = Field(
        default=180, ge=30, le=1800, description="a resident's terminal session ends idle this long"
    )
    on_behalf_consent_seconds: int = Field(
        default=600, ge=60, le=3600, description="how long a window submission awaits consent"
    )
    sms_code_max_attempts: int = 5
    sms_per_phone_interval: int = 60
    sms_per_phone_daily: int = 10
    sms_per_client_hourly: int = 30
    wechat_logins_per_client_minute: int = 30

    # -- GraphQL limits
    max_body_bytes: int = Field(default=1_000_000, ge=1024)
    max_query_depth: int = Field(default=10, ge=2)
    max_aliases: int = Field(default=15, ge=1)
    max_tokens: int = Field(default=2000, ge=100)
    max_operations_per_request: int = Field(default=5, ge=1, le=50)
    max_page_size: int = Field(default=50, ge=1, le=200)
    response_cache: bool = Field(
        default=True, description="Cache whole answers of anonymous catalogue queries"
    )
    guide_cache_entries: int = Field(
        default=8192,
        ge=0,
        description=(
            "Published guides each process keeps in memory, by code (0: each read from the "
            "database)"
        ),
    )
    persisted_queries_only: bool = Field(
        default=False,
        description="Residents and devices may only run the registered operations (by hash)",
    )
    max_subscriptions_per_connection: int = Field(
        default=10, ge=1, le=100, description="graphql-transport-ws subscriptions per socket"
    )
    max_sockets_per_account: int = Field(
        default=5, ge=1, le=1000, description="open WebSockets per signed-in account, per process"
    )
    max_sockets_per_address: int = Field(
        default=50,
        ge=1,
        le=100_000,
        description="open WebSockets per client address, per process (carrier NAT shares them)",
    )
    max_query_cost: int = Field(
        default=100_000,
        ge=10,
        description=(
            "a request priced higher is refused before it runs; prices are worst cases (every "
            "list at its bound), so a rich screen such as the 12345 category tree prices at "
            "about 29,000 and ScenarioPlan at 13,300"
        ),
    )
    cost_budget_per_minute: int = Field(
        default=60_000,
        ge=10,
        description=(
            "cost points (objects actually returned, plus 10 a mutation) each principal may "
            "spend per minute: a leaky bucket in Redis"
        ),
    )
    execution_seconds_per_minute: float = Field(
        default=1.0,
        gt=0,
        le=86_400,
        description=(
            "seconds of a worker each principal may use per minute (a second leaky bucket; "
            "executions running side by side share the worker's seconds between them)"
        ),
    )
    cost_burst_seconds: int = Field(
        default=60,
        ge=1,
        le=3600,
        description="the bucket holds this many seconds of the budget: a burst, then the rate",
    )
    max_concurrent_executions: int = Field(
        default=64, ge=1, le=10_000, description="GraphQL executions at once, per process"
    )
    max_concurrent_per_account: int = Field(
        default=12,
        ge=1,
        le=1000,
        description="executions at once for one signed-in account (wx.request runs up to 10)",
    )
    max_concurrent_per_address: int = Field(
        default=32,
        ge=1,
        le=10_000,
        description="executions at once for one anonymous address (carrier NAT shares them)",
    )
    max_response_bytes: int = Field(
        default=4 * _MIB, ge=64 * 1024, description="an answer growing past this is dropped"
    )
    execution_timeout_seconds: float = Field(
        default=10.0, gt=0, le=120, description="an execution running longer is ended"
    )
    apq_max_bytes: int = Field(
        default=32 * 1024, ge=1024, le=1_000_000, description="largest document APQ stores"
    )
    apq_registrations_per_hour: int = Field(
        default=100, ge=1, description="APQ documents a principal may register per hour"
    )
    trusted_proxies: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(),
        description=(
            "Comma-separated addresses or CIDRs of the proxies in front of the API: only their "
            "X-Forwarded-For is believed. Empty: the peer address is the client"
        ),
    )
    redis_max_connections: int = Field(
        default=64, ge=4, le=10_000, description="Redis connections per process (shared pool)"
    )

    # -- document wallet (bytes, seconds). ClamAV's INSTREAM stops at 25 MiB by default.
    document_max_bytes: int = Field(default=10 * _MIB, ge=1024, le=25 * _MIB)
    document_max_bytes_by_kind: dict[str, int] = Field(
        default_factory=lambda: {
            "PHOTO": 2 * _MIB,
            "ID_CARD_FRONT": 5 * _MIB,
            "ID_CARD_BACK": 5 * _MIB,
        },
        description='JSON in the environment, e.g. {"PHOTO": 2097152}; other kinds use the default',
    )
    document_uploads_per_hour: int = Field(default=30, ge=1)
    document_wallet_quota_bytes: int = Field(default=200 * _MIB, ge=_MIB)
    document_upload_ttl: int = Field(default=600, ge=30, le=600)
    document_download_ttl: int = Field(default=300, ge=10, le=300)
    clamd_address: str | None = Field(
        default=None, description="tcp://host:port or unix:///path of a ClamAV daemon"
    )
    clamd_timeout_seconds: float = Field(default=30.0, gt=0, le=300)
    document_scanner_required: bool | None = Field(
        default=None,
        description="None means: required in production (uploads are refused without one)",
    )
    document_image_max_pixels: int = Field(
        default=50_000_000,
        ge=1_000_000,
        le=89_478_485,  # Pillow's own decompression-bomb limit
        description="width x height an uploaded image may have (its metadata is stripped by "
        "decoding it); more is refused with IMAGE_TOO_LARGE",
    )

    # -- applications (时限 in working days)
    application_acceptance_days: int = Field(
        default=5, ge=0, le=60, description="working days to accept, refuse or ask for 补正"
    )
    application_form_max_bytes: int = Field(default=64 * 1024, ge=1024, le=1024 * 1024)
    application_form_max_depth: int = Field(default=8, ge=2, le=32)
    application_max_documents: int = Field(default=30, ge=1, le=100)
    deadline_warning_share: float = Field(default=0.8, gt=0, lt=1)
    rectification_days: int = Field(
        default=15, ge=1, le=60, description="working days to rectify after a 差评"
    )

    # -- recommendations (popular services are aggregate counts, never anyone's own)
    recommendation_popular_days: int = Field(default=30, ge=1, le=365)
    recommendation_popular_min_applications: int = Field(
        default=3, ge=1, le=1000, description="fewer applications than this: not listed"
    )
    recommendation_popular_cache_seconds: int = Field(default=600, ge=0, le=86_400)
    # -- appeals (网络理政, 12345): 时限 in working days unless said otherwise
    appeal_centre_department_code: str = Field(
        default="11510100404435553D",
        description="credit code of the 12345 centre: it dispatches, moderates and supervises",
    )
    appeal_sign_days: int = Field(default=1, ge=0, le=10, description="working days to sign")
    appeal_reply_days: int = Field(default=5, ge=1, le=60, description="working days to reply")
    appeal_max_extension_days: int = Field(
        default=10, ge=0, le=60, description="working days an approved extension adds at most"
    )
    appeal_return_days: int = Field(
        default=2, ge=0, le=10, description="working days after receipt in which 退单 is allowed"
    )
    appeal_reopen_days: int = Field(
        default=7, ge=1, le=90, description="calendar days after a reply to rate or reopen"
    )
    appeal_revisit_days: int = Field(
        default=3, ge=1, le=30, description="working days to revisit (回访) a closed appeal"
    )
    appeal_content_max_chars: int = Field(default=4000, ge=50, le=4000)
    appeal_max_photos: int = Field(default=MAX_PHOTOS, ge=0, le=MAX_PHOTOS)
    appeals_per_hour: int = Field(default=10, ge=1, description="filings per resident per hour")
    appeal_check_max_attempts: int = Field(
        default=12, ge=1, description="content re-checks before a held appeal goes to moderators"
    )
    appeal_recheck_seconds: float = Field(
        default=120.0,
        gt=0,
        le=3600,
        description="how often the worker asks WeChat again about appeals held unchecked",
    )
    appeal_duplicate_radius_meters: float = Field(default=200.0, gt=0, le=5000)
    appeal_duplicate_window_days: int = Field(default=30, ge=1, le=365)
    appeal_duplicate_min_similarity: float = Field(default=0.3, gt=0, le=1)
    appeal_insight_min_group: int = Field(
        default=5, ge=2, description="insight cells and keywords with fewer appeals are suppressed"
    )
    appeal_insight_cache_seconds: int = Field(default=600, ge=0, le=86400)
    open311_jurisdiction_id: str = "chengdu.gov.cn"
    open311_requests_per_hour: int = Field(default=600, ge=1, description="per API key")

    # -- outbox (notifications, later webhooks and provincial pushes)
    outbox_in_process: bool = Field(
        default=False, description="run the dispatcher inside the API process (`make run`)"
    )
    outbox_poll_seconds: float = Field(default=1.0, gt=0, le=60)
    outbox_batch_size: int = Field(default=50, ge=1, le=500)
    outbox_lease_seconds: float = Field(
        default=30.0,
        gt=0,
        le=600,
        description=(
            "how long a worker's claim on a message lasts unless renewed; a live worker renews "
            "it every third of this, so a killed worker's streams go on after about this long"
        ),
    )
    outbox_max_attempts: int = Field(default=8, ge=1, le=50)
    outbox_backoff_base_seconds: float = Field(default=5.0, gt=0)
    outbox_backoff_max_seconds: float = Field(default=3600.0, gt=0)

    # -- delivery of results by post (EMS): the courier's API and its signed status webhook
    courier_url: str = Field(
        default=DEV_COURIER_URL,
        description="the courier's waybill API (the mock WeChat server plays it in dev)",
    )
    courier_secret: SecretStr = SecretStr(DEV_COURIER_SECRET)
    courier_webhook_tolerance_seconds: int = Field(
        default=300, ge=30, le=900, description="how old a webhook's timestamp may be"
    )
    delivery_pickup_max_failures: int = Field(
        default=5, ge=1, le=50, description="wrong pickup codes a terminal may enter per window"
    )
    delivery_pickup_failure_window_seconds: int = Field(
        default=600, ge=60, le=86_400, description="the window of wrong pickup codes, seconds"
    )

    # -- provincial exchange: every application step pushed, signed and acknowledged
    exchange_province_url: str = Field(
        default=DEV_EXCHANGE_URL,
        description="base URL of the province's exchange interface (the sandbox in dev)",
    )
    exchange_system_id: str = Field(
        default=DEV_EXCHANGE_SYSTEM_ID,
        pattern=r"^[A-Za-z0-9_.:\-]{1,64}$",
        description="this platform's id at the province (X-Exchange-System)",
    )
    exchange_algorithm: Literal["HMAC-SHA256", "SM2-SM3"] = "HMAC-SHA256"
    exchange_secret: SecretStr = SecretStr(DEV_EXCHANGE_SECRET)
    # Rotating the shared secret with the province: the new one in exchange_secret, the old
    # one here, accepted on the province's receipts until the grace period ends.
    exchange_previous_secret: SecretStr = SecretStr("")
    exchange_previous_secret_until: datetime | None = Field(
        default=None, description="when the previous exchange secret stops being accepted"
    )
    exchange_sm2_private_key: SecretStr = Field(
        default=SecretStr(""), description="SM2-SM3: our private key, 64 hex characters"
    )
    exchange_sm2_public_key: str = Field(default="", description="SM2-SM3: ours, x||y hex")
    exchange_province_public_key: str = Field(
        default="", description="SM2-SM3: the province's, to verify its receipts"
    )
    exchange_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    exchange_max_attempts: int = Field(
        default=30,
        ge=1,
        le=100,
        description="pushes before a dead letter: about a day with the default backoff",
    )
    exchange_callback_window_seconds: int = Field(
        default=300, ge=30, le=300, description="callbacks older (or newer) than this: 401"
    )
    exchange_callback_max_bytes: int = Field(
        default=8 * _MIB, ge=1024, le=32 * _MIB, description="a callback with its result file"
    )
    exchange_callbacks_per_minute: int = Field(
        default=600, ge=1, le=60_000, description="per department system; over it: 429"
    )
    exchange_secret_grace_hours: int = Field(
        default=72,
        ge=1,
        le=720,
        description="how long a department system's previous secret works after a rotation",
    )

    # -- the hall: appointments (预约) and the queue (排队叫号); defaults from published hall rules
    hall_book_min_days_ahead: int = Field(
        default=1, ge=0, le=30, description="working days from today to the earliest bookable day"
    )
    hall_book_max_days_ahead: int = Field(
        default=5, ge=1, le=60, description="working days from today to the latest bookable day"
    )
    hall_cancel_before_minutes: int = Field(
        default=120, ge=0, le=7 * 24 * 60, description="a booking is cancelled at least this early"
    )
    hall_no_show_limit: int = Field(
        default=2, ge=1, le=20, description="no-shows within the window that suspend booking"
    )
    hall_no_show_window_days: int = Field(default=30, ge=1, le=365)
    hall_suspension_days: int = Field(
        default=30, ge=1, le=365, description="calendar days online booking stays suspended"
    )
    hall_slot_minutes: int = Field(default=30, ge=5, le=240)
    hall_bookings_per_window_slot: int = Field(
        default=2, ge=1, le=50, description="bookings a slot takes per window of its queue group"
    )
    hall_check_in_early_minutes: int = Field(
        default=60, ge=0, le=240, description="how long before its slot an appointment checks in"
    )
    hall_max_recalls: int = Field(
        default=2,
        ge=0,
        le=10,
        description="recalls of a called ticket before it can only be skipped",
    )
    hall_remind_when_ahead: int = Field(
        default=3, ge=1, le=50, description="people ahead when the one WeChat reminder is sent"
    )

    # -- WeChat subscribe messages: what each event sends, and which template keyword
    # carries which value (the keyword's type decides WeChat's rules: thing ≤ 20 chars, ...)
    wechat_subscription_templates: dict[str, str] = Field(
        default_factory=lambda: {
            "APPLICATION_STATUS": "TPL_APPLICATION_STATUS",
            "APPLICATION_RESULT": "TPL_APPLICATION_RESULT",
            "APPEAL_REPLY": "TPL_APPEAL_REPLY",
            "QUEUE_REMINDER": "TPL_QUEUE_REMINDER",
        },
        description='JSON, event -> template id, e.g. {"APPLICATION_STATUS": "..."}',
    )
    wechat_template_keywords: dict[str, dict[str, str]] = Field(
        default_factory=lambda: {
            template: {
                "number": "character_string1",
                "service": "thing2",
                "status": "phrase3",
                "time": "time4",
            }
            for template in (
                "TPL_APPLICATION_STATUS",
                "TPL_APPLICATION_RESULT",
                "TPL_APPEAL_REPLY",
                "TPL_QUEUE_REMINDER",
            )
        },
        description="JSON, template id -> {value name -> keyword}",
    )
    wechat_max_grants_per_template: int = Field(default=50, ge=1, le=1000)

    # -- third-party providers
    provider_h5_domains: Annotated[tuple[str, ...], NoDecode] = Field(
        default=("*.rongban-demo.example",),
        description=(
            "Comma-separated hosts a service's H5 link may point at (https only): "
            "`example.cn` for that host, `*.example.cn` for its subdomains"
        ),
    )
    provider_registrations_per_day: int = Field(default=5, ge=1, le=100)
    provider_max_services: int = Field(default=200, ge=1, le=10_000)
    api_key_rate_per_minute: int = Field(default=120, ge=1, le=100_000)
    api_key_daily_quota: int = Field(default=20_000, ge=1, le=10_000_000)
    api_key_max_per_provider: int = Field(default=20, ge=1, le=200)
    webhook_max_per_provider: int = Field(default=10, ge=1, le=100)
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=30)
    webhook_secret_grace_seconds: int = Field(
        default=86_400, ge=0, le=30 * 86_400, description="the old secret signs this long"
    )
    webhook_allow_loopback: bool = Field(
        default=False,
        description="dev and tests only: webhooks to 127.0.0.1 over http (refused in production)",
    )
    handoff_code_ttl: int = Field(default=600, ge=60, le=3600)
    handoffs_per_hour: int = Field(default=30, ge=1, le=1000)

    # -- WeChat's message push (verdicts of its image check) and the image check of photos
    wechat_push_token: SecretStr = Field(
        default=SecretStr(DEV_WECHAT_PUSH_TOKEN),
        description="the Token of the mini-program's message-push (消息推送) settings: "
        "pushes to /wechat/push are signed with it",
    )
    wechat_push_window_seconds: int = Field(
        default=300, ge=30, le=3600, description="pushes timestamped further off: refused"
    )
    appeal_photo_check_url_seconds: int = Field(
        default=1800,
        ge=60,
        le=3600,
        description="how long the download URL sent to WeChat's image check works",
    )
    appeal_photo_check_timeout_seconds: int = Field(
        default=3600,
        ge=60,
        le=86_400,
        description="a photo with no verdict after this long is held for a moderator",
    )

    # -- WeChat Pay (API v3, 微信支付公钥 mode: no platform-certificate download)
    wechatpay_mchid: str = Field(default=DEV_WECHATPAY_MCHID, description="商户号")
    wechatpay_app_id: str = Field(
        default=DEV_WECHAT_APP_ID,
        description="the app id JSAPI orders are placed for: the mini-program's, bound to the "
        "merchant (the payer's openid belongs to it)",
    )
    wechatpay_mobile_app_id: str = Field(
        default=DEV_WECHATPAY_MOBILE_APP_ID,
        description="the city app's (移动应用) app id, for APP orders",
    )
    wechatpay_private_key: SecretStr = Field(
        default=SecretStr(""),
        description="the merchant API certificate's private key (apiclient_key.pem), PEM",
    )
    wechatpay_cert_serial_no: str = Field(
        default=DEV_WECHATPAY_CERT_SERIAL_NO,
        description="the serial number of the merchant API certificate that key belongs to",
    )
    wechatpay_apiv3_key: SecretStr = Field(
        default=SecretStr(DEV_WECHATPAY_APIV3_KEY),
        description="the APIv3 key (32 bytes) that notifications and bills are encrypted with",
    )
    wechatpay_public_key: str = Field(
        default="",
        description="WeChat Pay's public key (微信支付公钥), PEM: answers and notifications "
        "are verified with it",
    )
    wechatpay_public_key_id: str = Field(
        default=DEV_WECHATPAY_PUBLIC_KEY_ID,
        description="its id (PUB_KEY_ID_...), the Wechatpay-Serial of what it signed",
    )
    wechatpay_base_url: str = REAL_WECHATPAY_BASE_URL
    wechatpay_notify_url: str = Field(
        default=DEV_WECHATPAY_NOTIFY_URL,
        description="where WeChat Pay posts payment and refund notifications (https in production)",
    )
    wechatpay_order_minutes: int = Field(
        default=30,
        ge=1,
        le=7 * 24 * 60,
        description="how long an order can be paid (time_expire); WeChat Pay asks for at "
        "least 1 minute",
    )
    wechatpay_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    wechatpay_notification_window_seconds: int = Field(
        default=300,
        ge=30,
        le=3600,
        description="notifications timestamped further off than this: refused",
    )

    # -- observability (docs/operations.md)
    metrics_token: SecretStr | None = Field(
        default=None,
        description="bearer token Prometheus sends to /metrics; unset or empty: /metrics is 404",
    )
    worker_metrics_port: int | None = Field(
        default=None, ge=1, le=65535, description="`rongban worker` serves /metrics on this port"
    )
    worker_metrics_host: str = "127.0.0.1"
    otel_endpoint: str | None = Field(
        default=None, description="OTLP/HTTP collector base URL; unset: no traces are made"
    )
    otel_service_name: str = "rongban"
    log_format: Literal["text", "json"] = Field(
        default="text", description="text: one redacted line per record; json: one object"
    )

    # -- development clock (api/dev_clock.py)
    test_clock: bool = Field(
        default=False,
        description=(
            "the business clock is real time plus an offset that only moves forward, set at "
            "POST /__dev__/clock (`rongban dev` turns it on; production refuses it)"
        ),
    )

    # -- demo data
    demo_data: bool = True
    demo_password: SecretStr = SecretStr("rongban-demo")

    @field_validator("allowed_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for entry in value:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(f"{entry!r} is not an address or CIDR") from None
        return value

    @field_validator("provider_h5_domains", mode="before")
    @classmethod
    def _split_domains(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip().lower() for part in value.split(",") if part.strip())
        return value

    @field_validator("provider_h5_domains")
    @classmethod
    def _host_names(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for entry in value:
            if not _ALLOWED_HOST.fullmatch(entry):
                raise ValueError(f"{entry!r} is not a host name (or *.host name)")
        return value

    @field_validator("previous_secret_keys", mode="before")
    @classmethod
    def _split_keys(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("document_max_bytes_by_kind")
    @classmethod
    def _known_kinds(cls, value: dict[str, int]) -> dict[str, int]:
        from storage.models.documents import DocumentKind

        for kind, limit in value.items():
            if kind not in DocumentKind.__members__:
                raise ValueError(f"unknown document kind {kind!r}")
            if not 1024 <= limit <= 25 * _MIB:
                raise ValueError(f"the limit for {kind} must be between 1 KiB and 25 MiB")
        return value

    @field_validator("secret_key")
    @classmethod
    def _long_enough(cls, value: SecretStr) -> SecretStr:
        if len(value.get_secret_value()) < 32:
            raise ValueError("secret_key must be at least 32 characters")
        return value

    @field_validator("wechatpay_apiv3_key")
    @classmethod
    def _apiv3_key_is_aes_256(cls, value: SecretStr) -> SecretStr:
        if len(value.get_secret_value().encode()) != 32:
            raise ValueError("wechatpay_apiv3_key must be 32 bytes (an AES-256 key)")
        return value

    @model_validator(mode="after")
    def _exchange_keys(self) -> Self:
        if self.exchange_algorithm == "SM2-SM3":
            private = self.exchange_sm2_private_key.get_secret_value().strip()
            if not _SM2_PRIVATE.fullmatch(private):
                raise ValueError("SM2-SM3 needs RONGBAN_EXCHANGE_SM2_PRIVATE_KEY (64 hex)")
            for name in ("exchange_sm2_public_key", "exchange_province_public_key"):
                if not _SM2_PUBLIC.fullmatch(getattr(self, name).strip()):
                    raise ValueError(f"SM2-SM3 needs RONGBAN_{name.upper()} (x||y, 128 hex)")
        elif len(self.exchange_secret.get_secret_value()) < 32:
            raise ValueError("exchange_secret must be at least 32 characters")
        previous = self.exchange_previous_secret.get_secret_value()
        if previous and (len(previous) < 32 or self.exchange_previous_secret_until is None):
            raise ValueError(
                "exchange_previous_secret needs 32+ characters and exchange_previous_secret_until"
            )
        until = self.exchange_previous_secret_until
        if until is not None and until.tzinfo is None:
            raise ValueError("exchange_previous_secret_until needs a time zone")
        return self

    @model_validator(mode="after")
    def _staff_login_window(self) -> Self:
        if self.staff_login_failure_window_seconds < self.staff_login_max_delay_seconds:
            # Failures forgotten before the delay ends would reset the delay.
            raise ValueError(
                "staff_login_failure_window_seconds must be at least staff_login_max_delay_seconds"
            )
        return self

    @model_validator(mode="after")
    def _production_refuses_defaults(self) -> Self:
        if self.embedded_redis and self.workers > 1:
            raise ValueError("memory:// Redis lives in one process: serve with one worker")
        if self.test_clock and self.workers > 1:
            # The development clock's offset lives in the serving process's memory.
            raise ValueError("the development clock lives in one process: serve with one worker")
        if self.mode is Mode.PRODUCTION:
            problems = self.production_problems()
            if problems:
                raise ValueError("production mode refuses: " + "; ".join(problems))
        return self

    def production_problems(self) -> list[str]:
        """Lists every embedded default or demo switch that must not reach production."""
        problems: list[str] = []
        if self.database_url.startswith("sqlite"):
            problems.append("the embedded SQLite database (set RONGBAN_DATABASE_URL)")
        if self.redis_url.startswith("memory://"):
            problems.append("in-process memory:// Redis (set RONGBAN_REDIS_URL)")
        if self.storage_url.startswith("file://"):
            problems.append("the local-folder object store (set RONGBAN_STORAGE_URL=s3://...)")
        if self.demo_data:
            problems.append("demo data (set RONGBAN_DEMO_DATA=false)")
        if self.secret_key.get_secret_value() == DEV_SECRET_KEY:
            problems.append("the default secret key (set RONGBAN_SECRET_KEY)")
        if self.wechat_app_secret.get_secret_value() == DEV_WECHAT_APP_SECRET:
            problems.append("the demo WeChat app secret (set RONGBAN_WECHAT_APP_SECRET)")
        if self.wechat_app_id == DEV_WECHAT_APP_ID:
            problems.append("the demo WeChat app id (set RONGBAN_WECHAT_APP_ID)")
        if self.wechat_api_base.rstrip("/") != REAL_WECHAT_API_BASE:
            problems.append(f"a WeChat API other than {REAL_WECHAT_API_BASE} (the mock?)")
        if _is_loopback_url(self.sms_url) or "/__mock__/" in self.sms_url:
            problems.append("the mock SMS relay (set RONGBAN_SMS_URL)")
        if self.sms_secret.get_secret_value() == DEV_SMS_SECRET:
            problems.append("the default SMS relay secret (set RONGBAN_SMS_SECRET)")
        if _is_loopback_url(self.identity_relay_url) or "/__mock__/" in self.identity_relay_url:
            problems.append("the mock real-name relay (set RONGBAN_IDENTITY_RELAY_URL)")
        elif not self.identity_relay_url.startswith("https://"):
            problems.append("a real-name relay URL without TLS (https:// only)")
        if self.identity_relay_secret.get_secret_value() == DEV_IDENTITY_RELAY_SECRET:
            problems.append(
                "the default real-name relay secret (set RONGBAN_IDENTITY_RELAY_SECRET)"
            )
        if (
            _is_loopback_url(self.exchange_province_url)
            or self.exchange_province_url.rstrip("/") == DEV_EXCHANGE_URL
        ):
            problems.append("the provincial sandbox (set RONGBAN_EXCHANGE_PROVINCE_URL)")
        elif not self.exchange_province_url.startswith("https://"):
            problems.append("a provincial exchange URL without TLS (https:// only)")
        if self.exchange_system_id == DEV_EXCHANGE_SYSTEM_ID:
            problems.append("the sandbox's exchange system id (set RONGBAN_EXCHANGE_SYSTEM_ID)")
        if (
            self.exchange_algorithm == "HMAC-SHA256"
            and self.exchange_secret.get_secret_value() == DEV_EXCHANGE_SECRET
        ):
            problems.append("the default exchange secret (set RONGBAN_EXCHANGE_SECRET)")
        if self.demo_password.get_secret_value() == "rongban-demo" and self.demo_data:
            problems.append("the demo staff password")
        if self.wechat_push_token.get_secret_value() == DEV_WECHAT_PUSH_TOKEN:
            problems.append("the development WeChat push token (set RONGBAN_WECHAT_PUSH_TOKEN)")
        if self.wechatpay_base_url.rstrip("/") != REAL_WECHATPAY_BASE_URL:
            problems.append(f"a WeChat Pay API other than {REAL_WECHATPAY_BASE_URL} (the mock?)")
        if self.wechatpay_mchid == DEV_WECHATPAY_MCHID:
            problems.append("the mock's WeChat Pay merchant (set RONGBAN_WECHATPAY_MCHID)")
        if self.wechatpay_apiv3_key.get_secret_value() == DEV_WECHATPAY_APIV3_KEY:
            problems.append("the mock's APIv3 key (set RONGBAN_WECHATPAY_APIV3_KEY)")
        if not self.wechatpay_private_key.get_secret_value().strip():
            problems.append("no WeChat Pay merchant key (set RONGBAN_WECHATPAY_PRIVATE_KEY)")
        if not self.wechatpay_public_key.strip():
            problems.append("no WeChat Pay public key (set RONGBAN_WECHATPAY_PUBLIC_KEY)")
        if self.wechatpay_public_key_id == DEV_WECHATPAY_PUBLIC_KEY_ID:
            problems.append("the mock's WeChat Pay public key id (RONGBAN_WECHATPAY_PUBLIC_KEY_ID)")
        if not self.wechatpay_notify_url.startswith("https://"):
            problems.append("a WeChat Pay notify URL without TLS (https:// only)")
        if self.webhook_allow_loopback:
            problems.append("webhooks to loopback addresses (unset RONGBAN_WEBHOOK_ALLOW_LOOPBACK)")
        if self.test_clock:
            problems.append("the development clock (unset RONGBAN_TEST_CLOCK)")
        return problems

    @property
    def metrics_bearer(self) -> str | None:
        token = self.metrics_token.get_secret_value() if self.metrics_token else ""
        return token or None

    @property
    def is_production(self) -> bool:
        return self.mode is Mode.PRODUCTION

    @property
    def otp_required(self) -> bool:
        if self.staff_require_otp is None:
            return self.is_production
        return self.staff_require_otp

    @property
    def scanner_required(self) -> bool:
        if self.document_scanner_required is None:
            return self.is_production
        return self.document_scanner_required

    def document_max_for(self, kind: str) -> int:
        return self.document_max_bytes_by_kind.get(kind, self.document_max_bytes)

    @property
    def trusted_proxy_networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        return tuple(ipaddress.ip_network(entry, strict=False) for entry in self.trusted_proxies)

    @property
    def embedded_redis(self) -> bool:
        return self.redis_url.startswith("memory://")

    @property
    def local_storage_path(self) -> Path | None:
        if self.storage_url.startswith("file://"):
            return Path(self.storage_url.removeprefix("file://"))
        return None

    @property
    def s3_bucket(self) -> str | None:
        if self.storage_url.startswith("s3://"):
            return self.storage_url.removeprefix("s3://").strip("/")
        return None


_SM2_PRIVATE = re.compile(r"[0-9a-fA-F]{64}")
_SM2_PUBLIC = re.compile(r"(04)?[0-9a-fA-F]{128}")


def _is_loopback_url(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
