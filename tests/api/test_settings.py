"""Settings: validated, and production refuses every embedded default and demo switch."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from resolvers.settings import Settings

PRODUCTION_READY: dict[str, Any] = {
    "mode": "production",
    "database_url": "postgres://rongban@db.internal:5432/rongban",
    "redis_url": "redis://cache.internal:6379/0",
    "storage_url": "s3://rongban-documents",
    "demo_data": False,
    "secret_key": "k" * 48,
    "wechat_app_id": "wx0123456789abcdef",
    "wechat_app_secret": "a-real-app-secret-from-the-console",
    "wechat_api_base": "https://api.weixin.qq.com",
    "sms_url": "https://sms-relay.internal/send",
    "sms_secret": "a-real-relay-secret",
    "identity_relay_url": "https://realname-relay.internal/v1",
    "identity_relay_secret": "a-real-realname-relay-secret",
    "wechat_push_token": "aRealPushToken0123",
    "exchange_province_url": "https://exchange.sczwfw.example/gateway",
    "exchange_system_id": "rongban-510100",
    "exchange_secret": "a-real-exchange-secret-0123456789abcdef",
    "wechatpay_mchid": "1230000109",
    "wechatpay_private_key": "-----BEGIN PRIVATE KEY-----\na-real-merchant-key\n-----END PRIVATE KEY-----",
    "wechatpay_apiv3_key": "aRealApiV3Key0123456789abcdefghi",
    "wechatpay_public_key": "-----BEGIN PUBLIC KEY-----\nwechat-pay-key\n-----END PUBLIC KEY-----",
    "wechatpay_public_key_id": "PUB_KEY_ID_0112300001092025010100000000000001",
    "wechatpay_notify_url": "https://rongban.chengdu.example/wechatpay/notify",
}


def test_a_complete_production_configuration_is_accepted() -> None:
    settings = Settings(**PRODUCTION_READY)

    assert settings.is_production
    assert settings.otp_required


@pytest.mark.parametrize(
    ("override", "complaint"),
    [
        ({"database_url": "sqlite://var/x.sqlite3"}, "SQLite"),
        ({"redis_url": "memory://"}, "memory://"),
        ({"storage_url": "file://var/objects"}, "local-folder"),
        ({"demo_data": True}, "demo data"),
        ({"secret_key": "rongban-dev-secret-key-not-for-production-use-0001"}, "secret key"),
        ({"wechat_api_base": "http://127.0.0.1:8001"}, "WeChat API"),
        ({"wechat_app_secret": "rongban-demo-app-secret"}, "app secret"),
        ({"sms_url": "http://127.0.0.1:8001/__mock__/sms/send"}, "SMS relay"),
        ({"wechat_push_token": "rongban-dev-push-token"}, "push token"),
        ({"identity_relay_url": "http://127.0.0.1:8001/__mock__/realname"}, "real-name relay"),
        ({"identity_relay_url": "http://realname-relay.internal/v1"}, "without TLS"),
        ({"identity_relay_secret": "rongban-dev-realname-relay-secret"}, "relay secret"),
        ({"wechatpay_base_url": "http://127.0.0.1:8001"}, "WeChat Pay API"),
        ({"wechatpay_mchid": "1900000109"}, "WeChat Pay merchant"),
        ({"wechatpay_apiv3_key": "rongbanTESTapiv3keyNOTFORPROD001"}, "APIv3 key"),
        ({"wechatpay_private_key": ""}, "merchant key"),
        ({"wechatpay_public_key": ""}, "WeChat Pay public key"),
        ({"wechatpay_notify_url": "http://rongban.example/wechatpay/notify"}, "notify URL"),
    ],
)
def test_production_refuses_defaults(override: dict, complaint: str) -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(**{**PRODUCTION_READY, **override})

    assert complaint in str(refused.value)


def test_production_lists_every_problem_at_once() -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(mode="production")

    message = str(refused.value)
    for complaint in (
        "SQLite",
        "memory://",
        "local-folder",
        "demo data",
        "secret key",
        "WeChat API",
    ):
        assert complaint in message


def test_short_secret_keys_are_refused() -> None:
    with pytest.raises(ValidationError):
        Settings(secret_key="short")


def test_in_process_redis_means_one_worker() -> None:
    with pytest.raises(ValidationError, match="one worker"):
        Settings(workers=4)


def test_secrets_never_print() -> None:
    settings = Settings(**PRODUCTION_READY)

    assert "a-real-app-secret" not in repr(settings)
    assert "a-real-app-secret" not in str(settings.model_dump())
    for secret in ("a-real-merchant-key", "aRealApiV3Key"):
        assert secret not in repr(settings)
        assert secret not in str(settings.model_dump())


def test_settings_come_from_rongban_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RONGBAN_PORT", "9100")
    monkeypatch.setenv("RONGBAN_ALLOWED_ORIGINS", "https://a.example, https://b.example")

    settings = Settings()

    assert settings.port == 9100
    assert settings.allowed_origins == ("https://a.example", "https://b.example")


def test_the_apiv3_key_must_be_an_aes_256_key() -> None:
    with pytest.raises(ValidationError, match="32 bytes"):
        Settings(wechatpay_apiv3_key="too-short")
