"""The daily trade bill: asked for, downloaded, its hash checked, parsed into lines that add up."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone

import httpx
import pytest

from integrations.wechatpay.client import WeChatPayClient, parse_trade_bill
from integrations.wechatpay.protocol import (
    BillCorrupted,
    PaymentUnavailable,
    RefundRequest,
)
from tests.payments_gateway.conftest import order_request, pay_on_phone

CST = timezone(timedelta(hours=8))


async def _paid(pay: WeChatPayClient, phone: httpx.AsyncClient, amount: int) -> str:
    out_trade_no = "B" + uuid.uuid4().hex[:20]
    await pay_on_phone(phone, await pay.create_order(order_request(out_trade_no, amount)))
    return out_trade_no


async def _next_morning(phone: httpx.AsyncClient) -> date:
    """Moves the mock's clock to 11:00 the next day (Beijing time); returns the bill day."""
    now = datetime.fromtimestamp((await phone.post("/__mock__/clock", json={})).json()["now"], CST)
    target = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), CST)
    advance = (target + timedelta(hours=11) - now).total_seconds()
    await phone.post("/__mock__/clock", json={"advance": advance})
    return now.date()


async def test_a_day_of_payments_and_a_refund_reconciles_line_by_line(
    pay: WeChatPayClient, phone: httpx.AsyncClient
) -> None:
    first = await _paid(pay, phone, 2500)
    second = await _paid(pay, phone, 1234)
    refund = await pay.refund(
        RefundRequest(
            out_trade_no=second, out_refund_no=f"{second}-r", refund_fen=234, total_fen=1234
        )
    )
    await _wait_refund(pay, refund.out_refund_no)
    day = await _next_morning(phone)

    bill = await pay.trade_bill(day)

    assert bill.day == day
    assert bill.total_fen == 2500 + 1234
    assert bill.refund_fen == 234
    by_state = {(line.out_trade_no, line.trade_state): line for line in bill.lines}
    assert set(by_state) == {(first, "SUCCESS"), (second, "SUCCESS"), (second, "REFUND")}
    assert by_state[(first, "SUCCESS")].amount_fen == 2500
    assert by_state[(first, "SUCCESS")].transaction_id == (
        (await pay.query_order(first)).transaction_id
    )
    assert by_state[(first, "SUCCESS")].trade_time.tzinfo is not None
    refunded = by_state[(second, "REFUND")]
    assert refunded.refund_fen == 234
    assert refunded.out_refund_no == f"{second}-r"
    assert refunded.refund_id == refund.refund_id


async def _wait_refund(pay: WeChatPayClient, out_refund_no: str) -> None:
    import asyncio

    from integrations.wechatpay.protocol import RefundState

    for _ in range(100):
        if (await pay.query_refund(out_refund_no)).state is RefundState.SUCCESS:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("refund never succeeded")


async def test_a_bill_whose_hash_does_not_match_is_refused(
    pay: WeChatPayClient, phone: httpx.AsyncClient
) -> None:
    await _paid(pay, phone, 100)
    day = await _next_morning(phone)
    await phone.post("/__mock__/pay/config", json={"corruptNextBill": True})

    with pytest.raises(BillCorrupted):
        await pay.trade_bill(day)
    assert len((await pay.trade_bill(day)).lines) == 1  # downloaded again, it checks out


async def test_a_bill_not_ready_yet_is_unavailable(
    pay: WeChatPayClient, phone: httpx.AsyncClient
) -> None:
    await _paid(pay, phone, 100)
    today = datetime.now(CST).date()

    with pytest.raises(PaymentUnavailable):
        await pay.trade_bill(today)


async def test_a_day_without_trades_has_an_empty_bill(
    pay: WeChatPayClient, phone: httpx.AsyncClient
) -> None:
    day = await _next_morning(phone)

    bill = await pay.trade_bill(day)

    assert bill.lines == []
    assert bill.total_fen == 0


BILL = (
    "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,"
    "付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,"
    "退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注\r\n"
    "`2026-12-04 10:00:00,`wx1,`1900000109,`0,`,`4200001,`A1,`o1,`JSAPI,`SUCCESS,`OTHERS,`CNY,"
    "`12.30,`0.00,`0,`0,`0.00,`0.00,`,`,`工本费,`,`0.07000,`0.60%,`12.30,`0.00,`\r\n"
    "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额\r\n"
    "`1,`{total},`0.00,`0.00,`0.07000,`12.30,`0.00\r\n"
)


def test_amounts_are_parsed_exactly_in_fen() -> None:
    bill = parse_trade_bill(date(2026, 12, 4), BILL.format(total="12.30").encode())

    assert bill.total_fen == 1230
    assert bill.lines[0].amount_fen == 1230
    assert bill.lines[0].out_trade_no == "A1"
    assert bill.lines[0].refund_id == ""


@pytest.mark.parametrize(
    "raw",
    [
        BILL.format(total="12.31"),  # rows do not add up to the summary
        BILL.format(total="12.305"),  # not a whole number of fen
        BILL.split("总交易单数")[0],  # no summary
        "",
    ],
)
def test_bills_that_do_not_check_out_are_refused(raw: str) -> None:
    with pytest.raises(BillCorrupted):
        parse_trade_bill(date(2026, 12, 4), raw.encode())
