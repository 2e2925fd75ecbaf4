"""Orders through the wechatpayv3 client against the mock: what wx.requestPayment gets, and
WeChat Pay's rules on out_trade_no, amounts and time limits."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from integrations.wechatpay.client import WeChatPayClient
from integrations.wechatpay.protocol import (
    Channel,
    ClientPayment,
    OrderRequest,
    PaymentRejected,
    TradeState,
)
from mock_wechat import pay_keys
from tests.conftest import APP_ID
from tests.payments_gateway.conftest import order_request, pay_on_phone


def _trade_no() -> str:
    return "T" + uuid.uuid4().hex[:20]


def _verify_with_merchant_key(payment: ClientPayment, last_line: str) -> None:
    key = serialization.load_pem_public_key(pay_keys.TEST_MERCHANT_PUBLIC_KEY.encode())
    assert isinstance(key, rsa.RSAPublicKey)
    message = f"{payment.app_id}\n{payment.time_stamp}\n{payment.nonce_str}\n{last_line}\n"
    key.verify(
        base64.b64decode(payment.pay_sign), message.encode(), padding.PKCS1v15(), hashes.SHA256()
    )


async def test_a_jsapi_order_gives_what_wx_request_payment_needs_signed(
    pay: WeChatPayClient, phone: httpx.AsyncClient
) -> None:
    out_trade_no = _trade_no()

    payment = await pay.create_order(order_request(out_trade_no, 2500))

    assert payment.channel is Channel.JSAPI
    assert payment.app_id == APP_ID
    assert payment.package == f"prepay_id={payment.prepay_id}"
    assert payment.sign_type == "RSA"
    assert payment.time_stamp.isdigit()
    assert len(payment.nonce_str) == 32
    _verify_with_merchant_key(payment, payment.package)
    with pytest.raises(InvalidSignature):  # the signature covers the package
        _verify_with_merchant_key(payment, "prepay_id=wx-someone-elses")
    orders = (await phone.get("/__mock__/pay/orders")).json()
    placed = next(o for o in orders if o["out_trade_no"] == out_trade_no)
    assert placed["amount"]["total"] == 2500
    assert placed["trade_type"] == "JSAPI"
    assert placed["notifyUrl"].endswith("/__mock__/pay/sink")
    assert placed["timeExpire"] is not None

    paid = await pay_on_phone(phone, payment)

    assert paid.json()["errMsg"] == "requestPayment:ok"
    order = await pay.query_order(out_trade_no)
    assert order.state is TradeState.SUCCESS
    assert order.amount_fen == 2500
    assert order.transaction_id is not None
    assert order.transaction_id.startswith("42000")
    assert order.success_time is not None
    assert order.success_time.tzinfo is not None
    assert order.payer_openid == "oTestPayer000000000000000001"


async def test_the_phone_refuses_a_payment_whose_sign_was_tampered_with(
    pay: WeChatPayClient, phone: httpx.AsyncClient
) -> None:
    out_trade_no = _trade_no()
    payment = await pay.create_order(order_request(out_trade_no))

    refused = await phone.post(
        "/__mock__/pay",
        json={
            "appId": payment.app_id,
            "timeStamp": str(int(payment.time_stamp) + 1),
            "nonceStr": payment.nonce_str,
            "package": payment.package,
            "paySign": payment.pay_sign,
        },
    )

    assert refused.status_code == 400
    assert (await pay.query_order(out_trade_no)).state is TradeState.NOTPAY


async def test_an_app_order_is_signed_over_the_prepay_id_for_the_city_app(
    pay: WeChatPayClient, phone: httpx.AsyncClient
) -> None:
    out_trade_no = _trade_no()

    payment = await pay.create_order(order_request(out_trade_no, 800, channel=Channel.APP))

    assert payment.channel is Channel.APP
    assert payment.app_id == pay_keys.TEST_MOBILE_APP_ID
    assert payment.package == "Sign=WXPay"
    assert payment.partner_id == pay_keys.TEST_MCHID
    _verify_with_merchant_key(payment, payment.prepay_id)
    assert (await pay_on_phone(phone, payment)).json()["errMsg"] == "requestPayment:ok"
    order = await pay.query_order(out_trade_no)
    assert order.state is TradeState.SUCCESS
    assert order.amount_fen == 800


async def test_the_same_order_again_gets_its_prepay_id_and_a_different_one_is_refused(
    pay: WeChatPayClient, phone: httpx.AsyncClient
) -> None:
    out_trade_no = _trade_no()
    request = order_request(out_trade_no, 2500)
    first = await pay.create_order(request)

    again = await pay.create_order(request)
    with pytest.raises(PaymentRejected) as different:
        await pay.create_order(order_request(out_trade_no, 2600))

    assert again.prepay_id == first.prepay_id
    assert different.value.code == "INVALID_REQUEST"
    await pay_on_phone(phone, first)
    with pytest.raises(PaymentRejected) as paid:
        await pay.create_order(request)
    assert paid.value.code == "ORDERPAID"


async def test_query_and_close(pay: WeChatPayClient, phone: httpx.AsyncClient) -> None:
    out_trade_no = _trade_no()
    payment = await pay.create_order(order_request(out_trade_no))
    assert (await pay.query_order(out_trade_no)).state is TradeState.NOTPAY

    await pay.close_order(out_trade_no)

    closed = await pay.query_order(out_trade_no)
    assert closed.state is TradeState.CLOSED
    assert closed.transaction_id is None
    assert (await pay_on_phone(phone, payment)).status_code == 410
    with pytest.raises(PaymentRejected) as reopened:
        await pay.create_order(order_request(out_trade_no))
    assert reopened.value.code == "ORDER_CLOSED"
    with pytest.raises(PaymentRejected) as unknown:
        await pay.query_order(_trade_no())
    assert unknown.value.code == "ORDER_NOT_EXIST"


async def test_a_paid_order_cannot_be_closed(
    pay: WeChatPayClient, phone: httpx.AsyncClient
) -> None:
    out_trade_no = _trade_no()
    await pay_on_phone(phone, await pay.create_order(order_request(out_trade_no)))

    with pytest.raises(PaymentRejected) as refused:
        await pay.close_order(out_trade_no)

    assert refused.value.code == "ORDERPAID"
    assert (await pay.query_order(out_trade_no)).state is TradeState.SUCCESS


async def test_an_order_cannot_be_paid_after_its_time_limit(
    pay: WeChatPayClient, phone: httpx.AsyncClient
) -> None:
    out_trade_no = _trade_no()
    payment = await pay.create_order(order_request(out_trade_no, minutes=2))

    await phone.post("/__mock__/clock", json={"advance": 121})
    late = await pay_on_phone(phone, payment)

    assert late.status_code == 410
    assert (await pay.query_order(out_trade_no)).state is TradeState.NOTPAY
    await pay.close_order(out_trade_no)  # what the payments worker does with an expired order
    fresh = _trade_no()
    renewed = await pay.create_order(order_request(fresh, minutes=10))
    assert (await pay_on_phone(phone, renewed)).json()["errMsg"] == "requestPayment:ok"


async def test_wechat_pay_wants_at_least_a_minute_to_pay(pay: WeChatPayClient) -> None:
    soon = OrderRequest(
        out_trade_no=_trade_no(),
        description="考试费",
        amount_fen=100,
        expires_at=datetime.now(UTC) + timedelta(seconds=20),
        channel=Channel.JSAPI,
        payer_openid="oTestPayer000000000000000001",
    )

    with pytest.raises(PaymentRejected) as refused:
        await pay.create_order(soon)

    assert refused.value.code == "PARAM_ERROR"


@pytest.mark.parametrize(
    ("request_", "code"),
    [
        (order_request("T-bad-amount-0001", 0), "PARAM_ERROR"),
        (order_request("T-no-openid-00001", openid=None), "PARAM_ERROR"),
    ],
)
async def test_bad_orders_are_refused_before_reaching_wechat(
    pay: WeChatPayClient, phone: httpx.AsyncClient, request_: OrderRequest, code: str
) -> None:
    with pytest.raises(PaymentRejected) as refused:
        await pay.create_order(request_)

    assert refused.value.code == code
    assert (await phone.get("/__mock__/pay/orders")).json() == []


async def test_the_mock_checks_amounts_and_order_numbers_itself(
    pay: WeChatPayClient, phone: httpx.AsyncClient
) -> None:
    # Past the client's own checks, straight through the library: WeChat's rules hold too.
    status, text = pay._pay.pay(
        description="工本费",
        out_trade_no="x",
        amount={"total": -5},
        payer={"openid": "o1"},
    )
    assert status == 400
    assert "PARAM_ERROR" in text
    assert (await phone.get("/__mock__/pay/orders")).json() == []


async def test_an_app_id_not_bound_to_the_merchant_is_refused(
    mock_wechat_server, mock_state
) -> None:
    from tests.payments_gateway.conftest import client_for

    stranger = client_for(mock_wechat_server.url, app_id="wx0000000000000bad")

    with pytest.raises(PaymentRejected) as refused:
        await stranger.create_order(order_request(_trade_no()))

    assert refused.value.code == "APPID_MCHID_NOT_MATCH"


def test_the_client_shows_no_secret() -> None:
    from tests.payments_gateway.conftest import client_for

    client = client_for("http://127.0.0.1:9")

    assert "PRIVATE" not in repr(client)
    assert pay_keys.TEST_APIV3_KEY not in repr(client)


async def test_the_same_order_placed_at_once_is_one_order(
    pay: WeChatPayClient, phone: httpx.AsyncClient
) -> None:
    import asyncio

    request = order_request(_trade_no(), 1500)

    payments = await asyncio.gather(*(pay.create_order(request) for _ in range(5)))

    assert len({p.prepay_id for p in payments}) == 1
    assert len((await phone.get("/__mock__/pay/orders")).json()) == 1


async def test_a_reset_forgets_orders_and_what_was_still_to_be_sent(
    pay: WeChatPayClient, phone: httpx.AsyncClient
) -> None:
    import asyncio

    payment = await pay.create_order(order_request(_trade_no()))
    await pay_on_phone(phone, payment, delay=0.3)

    await phone.post("/__mock__/reset")
    await asyncio.sleep(0.5)

    assert (await phone.get("/__mock__/pay/orders")).json() == []
    assert (await phone.get("/__mock__/pay/sink")).json() == []
