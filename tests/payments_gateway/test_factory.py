"""payment_gateway_of: a client from the settings, or none while the keys are missing."""

from __future__ import annotations

import uuid

import httpx
from pydantic import SecretStr

from integrations.wechatpay.client import WeChatPayClient, payment_gateway_of
from integrations.wechatpay.protocol import TradeState
from mock_wechat import pay_keys
from resolvers.settings import Settings
from tests.conftest import APP_ID, ServerThread
from tests.payments_gateway.conftest import order_request


def test_no_keys_no_gateway() -> None:
    assert payment_gateway_of(Settings()) is None
    assert payment_gateway_of(Settings(wechatpay_public_key="only the public key")) is None


async def test_the_settings_make_a_client_that_works_against_the_mock(
    mock_wechat_server: ServerThread, phone: httpx.AsyncClient
) -> None:
    settings = Settings(
        wechatpay_app_id=APP_ID,
        wechatpay_private_key=SecretStr(pay_keys.TEST_MERCHANT_PRIVATE_KEY),
        wechatpay_public_key=pay_keys.TEST_PLATFORM_PUBLIC_KEY,
        wechatpay_base_url=mock_wechat_server.url + "/",
        wechatpay_notify_url=f"{mock_wechat_server.url}/__mock__/pay/sink",
    )

    gateway = payment_gateway_of(settings)

    assert isinstance(gateway, WeChatPayClient)
    out_trade_no = "S" + uuid.uuid4().hex[:20]
    await gateway.create_order(order_request(out_trade_no))
    assert (await gateway.query_order(out_trade_no)).state is TradeState.NOTPAY
    [placed] = (await phone.get("/__mock__/pay/orders")).json()
    assert placed["notifyUrl"] == settings.wechatpay_notify_url
