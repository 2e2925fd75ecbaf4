"""Refunds: asked for, processing, then successful a moment later; partial refunds up to the
order's total and no further; a refund number means one refund."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest

from integrations.wechatpay.client import WeChatPayClient
from integrations.wechatpay.protocol import (
    PaymentRejected,
    Refund,
    RefundRequest,
    RefundState,
    TradeState,
)
from tests.payments_gateway.conftest import order_request, pay_on_phone


async def _paid(pay: WeChatPayClient, phone: httpx.AsyncClient, amount: int) -> str:
    out_trade_no = "R" + uuid.uuid4().hex[:20]
    await pay_on_phone(phone, await pay.create_order(order_request(out_trade_no, amount)))
    return out_trade_no


async def _settled(pay: WeChatPayClient, out_refund_no: str) -> Refund:
    for _ in range(100):
        refund = await pay.query_refund(out_refund_no)
        if refund.state is not RefundState.PROCESSING:
            return refund
        await asyncio.sleep(0.05)
    raise AssertionError("the refund never settled")


def _refund(out_trade_no: str, refund_fen: int, total_fen: int, suffix: str = "1") -> RefundRequest:
    return RefundRequest(
        out_trade_no=out_trade_no,
        out_refund_no=f"{out_trade_no}-{suffix}",
        refund_fen=refund_fen,
        total_fen=total_fen,
        reason="撤回申请",
    )


async def test_a_full_refund_processes_then_succeeds(
    pay: WeChatPayClient, phone: httpx.AsyncClient
) -> None:
    out_trade_no = await _paid(pay, phone, 2500)

    asked = await pay.refund(_refund(out_trade_no, 2500, 2500))

    assert asked.state is RefundState.PROCESSING
    assert asked.refund_fen == 2500
    assert asked.refund_id
    assert asked.success_time is None
    settled = await _settled(pay, asked.out_refund_no)
    assert settled.state is RefundState.SUCCESS
    assert settled.success_time is not None
    assert settled.refund_id == asked.refund_id
    assert (await pay.query_order(out_trade_no)).state is TradeState.REFUND


async def test_partial_refunds_add_up_to_the_total_and_no_further(
    pay: WeChatPayClient, phone: httpx.AsyncClient
) -> None:
    out_trade_no = await _paid(pay, phone, 3000)

    first = await pay.refund(_refund(out_trade_no, 1000, 3000, "a"))
    second = await pay.refund(_refund(out_trade_no, 2000, 3000, "b"))
    with pytest.raises(PaymentRejected) as beyond:
        await pay.refund(_refund(out_trade_no, 1, 3000, "c"))

    assert {first.refund_fen, second.refund_fen} == {1000, 2000}
    assert beyond.value.code == "INVALID_REQUEST"
    refunds = (await phone.get("/__mock__/pay/refunds")).json()
    assert sorted(r["amount"]["refund"] for r in refunds) == [1000, 2000]


async def test_a_refund_number_means_one_refund(
    pay: WeChatPayClient, phone: httpx.AsyncClient
) -> None:
    out_trade_no = await _paid(pay, phone, 3000)
    request = _refund(out_trade_no, 1000, 3000)

    first, again = await asyncio.gather(pay.refund(request), pay.refund(request))
    with pytest.raises(PaymentRejected) as different:
        await pay.refund(_refund(out_trade_no, 1200, 3000))

    assert first.refund_id == again.refund_id
    assert different.value.code == "INVALID_REQUEST"
    assert len((await phone.get("/__mock__/pay/refunds")).json()) == 1


async def test_refunds_of_unpaid_or_unknown_orders_or_wrong_totals_are_refused(
    pay: WeChatPayClient, phone: httpx.AsyncClient
) -> None:
    unpaid = "U" + uuid.uuid4().hex[:20]
    await pay.create_order(order_request(unpaid, 500))
    paid = await _paid(pay, phone, 500)

    with pytest.raises(PaymentRejected) as not_paid:
        await pay.refund(_refund(unpaid, 500, 500))
    with pytest.raises(PaymentRejected) as unknown:
        await pay.refund(_refund("Nobody" + uuid.uuid4().hex[:10], 500, 500))
    with pytest.raises(PaymentRejected) as wrong_total:
        await pay.refund(_refund(paid, 100, 600))
    with pytest.raises(PaymentRejected) as nothing:
        await pay.refund(_refund(paid, 0, 500))
    with pytest.raises(PaymentRejected) as unknown_refund:
        await pay.query_refund("no-such-refund")

    assert not_paid.value.code == "INVALID_REQUEST"
    assert unknown.value.code == "RESOURCE_NOT_EXISTS"
    assert wrong_total.value.code == "PARAM_ERROR"
    assert nothing.value.code == "PARAM_ERROR"
    assert unknown_refund.value.code == "RESOURCE_NOT_EXISTS"
    assert (await phone.get("/__mock__/pay/refunds")).json() == []


async def test_a_refund_can_end_abnormal(pay: WeChatPayClient, phone: httpx.AsyncClient) -> None:
    await phone.post("/__mock__/pay/config", json={"refundResult": "ABNORMAL"})
    out_trade_no = await _paid(pay, phone, 900)

    asked = await pay.refund(_refund(out_trade_no, 900, 900))

    assert (await _settled(pay, asked.out_refund_no)).state is RefundState.ABNORMAL
