"""When WeChat Pay is down, slow or not itself: PaymentUnavailable; when it refuses us: the
code it gave."""

from __future__ import annotations

import uuid

import httpx
import pytest

from integrations.wechatpay.client import WeChatPayClient
from integrations.wechatpay.protocol import PaymentRejected, PaymentUnavailable
from mock_wechat import pay_keys
from tests.conftest import ServerThread
from tests.payments_gateway.conftest import client_for, order_request
from tests.processes import free_port


def _trade_no() -> str:
    return "F" + uuid.uuid4().hex[:20]


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_a_5xx_is_unavailable(
    pay: WeChatPayClient, phone: httpx.AsyncClient, status: int
) -> None:
    await phone.post(
        "/__mock__/fail", json={"path": "/v3/pay/transactions/jsapi", "status": status}
    )

    with pytest.raises(PaymentUnavailable):
        await pay.create_order(order_request(_trade_no()))
    await pay.create_order(order_request(_trade_no()))  # the next call goes through


async def test_a_slow_answer_is_unavailable(
    mock_wechat_server: ServerThread, phone: httpx.AsyncClient
) -> None:
    impatient = client_for(mock_wechat_server.url, timeout_seconds=0.3)
    out_trade_no = _trade_no()
    await phone.post(
        "/__mock__/fail",
        json={"path": f"/v3/pay/transactions/out-trade-no/{out_trade_no}", "delay": 2},
    )

    with pytest.raises(PaymentUnavailable):
        await impatient.query_order(out_trade_no)


async def test_nobody_listening_is_unavailable(mock_state) -> None:
    gone = client_for(f"http://127.0.0.1:{free_port()}")

    with pytest.raises(PaymentUnavailable):
        await gone.query_order(_trade_no())


async def test_answers_not_signed_by_wechat_pay_are_not_believed(
    mock_wechat_server: ServerThread, mock_state
) -> None:
    # The merchant holds another public key than the one WeChat Pay (the mock) signs with.
    fooled = client_for(mock_wechat_server.url, public_key=pay_keys.TEST_MERCHANT_PUBLIC_KEY)

    with pytest.raises(PaymentUnavailable):
        await fooled.create_order(order_request(_trade_no()))


async def test_requests_not_signed_by_the_merchant_are_refused(
    mock_wechat_server: ServerThread, phone: httpx.AsyncClient
) -> None:
    impostor = client_for(mock_wechat_server.url, private_key=pay_keys.TEST_PLATFORM_PRIVATE_KEY)
    wrong_serial = client_for(mock_wechat_server.url, cert_serial_no="0123456789ABCDEF")

    with pytest.raises(PaymentRejected) as refused:
        await impostor.create_order(order_request(_trade_no()))
    with pytest.raises(PaymentRejected) as unknown_certificate:
        await wrong_serial.query_order(_trade_no())

    assert refused.value.code == "SIGN_ERROR"
    assert unknown_certificate.value.code == "SIGN_ERROR"
    assert (await phone.get("/__mock__/pay/orders")).json() == []


def test_a_client_without_keys_cannot_be_made() -> None:
    with pytest.raises(ValueError, match="key"):
        client_for("http://127.0.0.1:9", private_key="")
