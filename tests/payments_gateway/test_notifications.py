"""Notifications: the genuine ones parse, everything forged, stale, re-keyed or tampered with
is refused, and the mock delivers them duplicated, out of order and again until answered."""

from __future__ import annotations

import asyncio
import base64
import json
import time
import uuid
from typing import Any

import httpx
import pytest

from integrations.wechatpay.client import WeChatPayClient
from integrations.wechatpay.protocol import (
    NotificationRejected,
    PaymentNotice,
    RefundNotice,
    RefundRequest,
    RefundState,
    TradeState,
)
from mock_wechat import pay_keys
from mock_wechat.pay import encrypt_resource
from tests.conftest import APP_ID
from tests.payments_gateway.conftest import order_request, pay_on_phone, sink


async def _paid(pay: WeChatPayClient, phone: httpx.AsyncClient, amount: int = 2500) -> str:
    out_trade_no = "N" + uuid.uuid4().hex[:20]
    payment = await pay.create_order(order_request(out_trade_no, amount))
    assert (await pay_on_phone(phone, payment)).json()["errMsg"] == "requestPayment:ok"
    return out_trade_no


def _parse(pay: WeChatPayClient, received: dict) -> PaymentNotice | RefundNotice:
    return pay.parse_notification(received["headers"], received["body"].encode())


async def test_a_genuine_payment_notification_parses(
    pay: WeChatPayClient, phone: httpx.AsyncClient
) -> None:
    out_trade_no = await _paid(pay, phone, 2500)

    [received] = await sink(phone, 1)
    notice = _parse(pay, received)

    assert isinstance(notice, PaymentNotice)
    assert notice.event_type == "TRANSACTION.SUCCESS"
    assert notice.notification_id
    assert notice.mchid == pay_keys.TEST_MCHID
    assert notice.appid == APP_ID
    assert notice.order.out_trade_no == out_trade_no
    assert notice.order.state is TradeState.SUCCESS
    assert notice.order.amount_fen == 2500
    assert notice.order.transaction_id == (await pay.query_order(out_trade_no)).transaction_id
    # Headers arrive however the web framework spells them.
    upper = {key.title(): value for key, value in received["headers"].items()}
    assert pay.parse_notification(upper, received["body"].encode()) == notice


@pytest.mark.parametrize("forge", ["signature", "serial", "timestamp", "ciphertext"])
async def test_forged_stale_or_tampered_notifications_are_refused(
    pay: WeChatPayClient, phone: httpx.AsyncClient, forge: str
) -> None:
    out_trade_no = await _paid(pay, phone)
    await sink(phone, 1)

    sent = await phone.post(
        "/__mock__/pay/notify", json={"outTradeNo": out_trade_no, "forge": forge}
    )

    assert sent.status_code == 200
    received = await sink(phone, 2)
    with pytest.raises(NotificationRejected):
        _parse(pay, received[1])
    _parse(pay, received[0])  # the genuine one still parses


async def test_a_body_changed_after_signing_is_refused(
    pay: WeChatPayClient, phone: httpx.AsyncClient
) -> None:
    await _paid(pay, phone, 2500)
    [received] = await sink(phone, 1)
    body = json.loads(received["body"])
    # A re-encrypted resource with another amount: decrypts fine, but the signature is over
    # the original body.
    body["resource"] = {
        "original_type": "transaction",
        **encrypt_resource(
            pay_keys.TEST_APIV3_KEY,
            "transaction",
            {"out_trade_no": "x", "trade_state": "SUCCESS", "amount": {"total": 1}},
        ),
    }

    with pytest.raises(NotificationRejected):
        pay.parse_notification(received["headers"], json.dumps(body).encode())


async def test_a_notification_signed_correctly_but_encrypted_with_another_key_is_refused(
    pay: WeChatPayClient,
) -> None:
    from mock_wechat.pay import PayMerchant, Signer

    signer = Signer(PayMerchant())
    resource = encrypt_resource(
        "another-merchants-apiv3-key-0001",
        "transaction",
        {"out_trade_no": "x", "trade_state": "SUCCESS", "amount": {"total": 1}},
    )
    body = json.dumps(
        {
            "id": "n-1",
            "event_type": "TRANSACTION.SUCCESS",
            "resource_type": "encrypt-resource",
            "resource": {"original_type": "transaction", **resource},
        }
    )

    with pytest.raises(NotificationRejected):
        pay.parse_notification(signer.headers(body), body.encode())
    with pytest.raises(NotificationRejected):
        pay.parse_notification({}, body.encode())
    with pytest.raises(NotificationRejected):
        pay.parse_notification(signer.headers(body), b"\xff not json")


async def test_a_stale_timestamp_is_refused_even_when_signed(pay: WeChatPayClient) -> None:
    from mock_wechat.pay import PayMerchant, Signer

    signer = Signer(PayMerchant())
    resource = encrypt_resource(
        pay_keys.TEST_APIV3_KEY,
        "transaction",
        {"out_trade_no": "x", "trade_state": "SUCCESS", "amount": {"total": 1}},
    )
    body = json.dumps(
        {
            "id": "n-2",
            "event_type": "TRANSACTION.SUCCESS",
            "resource_type": "encrypt-resource",
            "resource": {"original_type": "transaction", **resource},
        }
    )

    fresh = pay.parse_notification(signer.headers(body), body.encode())
    assert isinstance(fresh, PaymentNotice)
    with pytest.raises(NotificationRejected):
        pay.parse_notification(
            signer.headers(body, timestamp=int(time.time()) - 301), body.encode()
        )
    with pytest.raises(NotificationRejected):
        pay.parse_notification(
            signer.headers(body, timestamp=int(time.time()) + 301), body.encode()
        )


async def test_duplicates_arrive_at_once_with_one_id(
    pay: WeChatPayClient, phone: httpx.AsyncClient
) -> None:
    out_trade_no = "D" + uuid.uuid4().hex[:20]
    payment = await pay.create_order(order_request(out_trade_no))

    await pay_on_phone(phone, payment, duplicate=4)

    received = await sink(phone, 4)
    notices = [_parse(pay, r) for r in received]
    assert len(notices) == 4
    assert len({n.notification_id for n in notices}) == 1
    assert all(isinstance(n, PaymentNotice) for n in notices)
    assert {n.order.out_trade_no for n in notices if isinstance(n, PaymentNotice)} == {out_trade_no}


async def test_a_refund_notification_parses_and_out_of_order_resends_come_newest_first(
    pay: WeChatPayClient, phone: httpx.AsyncClient
) -> None:
    out_trade_no = await _paid(pay, phone, 3000)
    await pay.refund(
        RefundRequest(
            out_trade_no=out_trade_no,
            out_refund_no="R" + out_trade_no,
            refund_fen=1000,
            total_fen=3000,
            reason="减免",
        )
    )
    received = await sink(phone, 2)
    refund_notice = _parse(pay, received[1])
    assert isinstance(refund_notice, RefundNotice)
    assert refund_notice.event_type == "REFUND.SUCCESS"
    assert refund_notice.refund.state is RefundState.SUCCESS
    assert refund_notice.refund.refund_fen == 1000
    assert refund_notice.refund.out_trade_no == out_trade_no
    assert refund_notice.refund.success_time is not None

    await phone.post(
        "/__mock__/pay/notify", json={"outTradeNo": out_trade_no, "outOfOrder": True, "times": 2}
    )

    again = [_parse(pay, r) for r in (await sink(phone, 6))[2:]]
    assert [type(n).__name__ for n in again] == [
        "RefundNotice",
        "RefundNotice",
        "PaymentNotice",
        "PaymentNotice",
    ]


async def _acknowledged(
    phone: httpx.AsyncClient, out_trade_no: str, within: float = 5.0
) -> dict[str, Any]:
    """The mock's log of one notification once it has recorded the answer that acknowledged
    it: the sink has the body before the mock has the sink's answer."""
    deadline = time.monotonic() + within
    while True:
        [log] = [
            n
            for n in (await phone.get("/__mock__/pay/notifications")).json()
            if n["outTradeNo"] == out_trade_no
        ]
        if log["acknowledged"] or time.monotonic() > deadline:
            return dict(log)
        await asyncio.sleep(0.05)


async def test_notifications_are_retried_until_answered(
    pay: WeChatPayClient, phone: httpx.AsyncClient
) -> None:
    await phone.post(
        "/__mock__/pay/config", json={"sinkFailures": 2, "retryDelays": [0.05, 0.05, 0.05]}
    )

    out_trade_no = await _paid(pay, phone)

    [received] = await sink(phone, 1)
    assert isinstance(_parse(pay, received), PaymentNotice)
    log = await _acknowledged(phone, out_trade_no)
    assert log["deliveries"] == [500, 500, 204]
    assert log["acknowledged"] is True


async def test_the_notification_resource_is_encrypted_on_the_wire(
    pay: WeChatPayClient, phone: httpx.AsyncClient
) -> None:
    out_trade_no = await _paid(pay, phone)

    [received] = await sink(phone, 1)

    body = json.loads(received["body"])
    assert body["resource_type"] == "encrypt-resource"
    assert body["resource"]["algorithm"] == "AEAD_AES_256_GCM"
    assert out_trade_no not in received["body"]
    assert base64.b64decode(body["resource"]["ciphertext"])
    assert received["headers"]["wechatpay-serial"] == pay_keys.TEST_PUBLIC_KEY_ID
