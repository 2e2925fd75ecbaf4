"""The WeChat Pay client against the mock WeChat Pay server, over real HTTP (the client library
speaks requests): the mock's test merchant, and its notification sink as the notify URL."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from integrations.wechatpay.client import WeChatPayClient
from integrations.wechatpay.protocol import Channel, ClientPayment, OrderRequest
from mock_wechat import pay_keys
from mock_wechat.server import MockState
from tests.conftest import APP_ID, ServerThread


def client_for(base_url: str, **overrides: Any) -> WeChatPayClient:
    options: dict[str, Any] = {
        "mchid": pay_keys.TEST_MCHID,
        "app_id": APP_ID,
        "mobile_app_id": pay_keys.TEST_MOBILE_APP_ID,
        "private_key": pay_keys.TEST_MERCHANT_PRIVATE_KEY,
        "cert_serial_no": pay_keys.TEST_MERCHANT_SERIAL_NO,
        "apiv3_key": pay_keys.TEST_APIV3_KEY,
        "public_key": pay_keys.TEST_PLATFORM_PUBLIC_KEY,
        "public_key_id": pay_keys.TEST_PUBLIC_KEY_ID,
        "notify_url": f"{base_url}/__mock__/pay/sink",
        "base_url": base_url,
        "timeout_seconds": 5.0,
    }
    return WeChatPayClient(**{**options, **overrides})


@pytest.fixture
async def pay(
    mock_wechat_server: ServerThread, mock_state: MockState
) -> AsyncIterator[WeChatPayClient]:
    client = client_for(mock_wechat_server.url)
    yield client
    await client.close()


@pytest.fixture
async def phone(
    mock_wechat_server: ServerThread, mock_state: MockState
) -> AsyncIterator[httpx.AsyncClient]:
    """The phone's side of the mock: /__mock__/pay and friends."""
    async with httpx.AsyncClient(base_url=mock_wechat_server.url, trust_env=False) as client:
        yield client


def order_request(
    out_trade_no: str,
    amount_fen: int = 2500,
    *,
    channel: Channel = Channel.JSAPI,
    openid: str | None = "oTestPayer000000000000000001",
    minutes: int = 30,
) -> OrderRequest:
    return OrderRequest(
        out_trade_no=out_trade_no,
        description="成都市不动产登记费",
        amount_fen=amount_fen,
        expires_at=datetime.now(UTC) + timedelta(minutes=minutes),
        channel=channel,
        payer_openid=openid if channel is Channel.JSAPI else None,
        attach="fee",
    )


async def pay_on_phone(
    phone: httpx.AsyncClient, payment: ClientPayment, **extra: Any
) -> httpx.Response:
    return await phone.post(
        "/__mock__/pay",
        json={
            "appId": payment.app_id,
            "timeStamp": payment.time_stamp,
            "nonceStr": payment.nonce_str,
            "package": payment.package if payment.channel is Channel.JSAPI else "",
            "prepayId": payment.prepay_id,
            "signType": payment.sign_type,
            "paySign": payment.pay_sign,
            **extra,
        },
    )


async def sink(phone: httpx.AsyncClient, count: int, within: float = 5.0) -> list[dict[str, Any]]:
    """Waits until the notification sink holds `count` notifications, and returns them."""
    deadline = time.monotonic() + within
    while True:
        received: list[dict[str, Any]] = (await phone.get("/__mock__/pay/sink")).json()
        if len(received) >= count or time.monotonic() > deadline:
            return received
        await asyncio.sleep(0.05)
