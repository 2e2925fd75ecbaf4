"""The fee-bearing journey through `make run` (embedded mode, the mock WeChat Pay, the
in-process outbox), over real HTTP: WeChat Pay's notifications reach the API's own notify
URL, as they would in production."""

from __future__ import annotations

import httpx

from mock_wechat.client import MiniProgram
from mock_wechat.journey import login_journey
from mock_wechat.journey_payment import payment_journey
from tests.identity import id_number, phone_number


async def test_make_run_serves_the_payment_journey(dev_server: tuple[str, str]) -> None:
    api, mock = dev_server
    async with (
        httpx.AsyncClient(base_url=api, timeout=30) as api_client,
        httpx.AsyncClient(base_url=mock) as phone,
    ):
        program = MiniProgram(api_client, phone, "fee-payer")
        await login_journey(program, phone=phone_number(), id_number=id_number())
        steps = await payment_journey(program)
        sent = (await phone.get("/__mock__/pay/notifications")).json()

    assert steps[0] == "submitApplication  -> SUBMITTED, fee 20.00 元 AFTER_ACCEPTANCE"
    assert steps[1].startswith("acceptApplication  -> fee DUE by ")
    assert steps[2].startswith("createPayment      -> prepay_id=")
    assert steps[3] == "wx.requestPayment  -> requestPayment:ok"
    assert steps[4] == "notified           -> payment PAID"
    assert steps[5] == "issueResult        -> COMPLETED"
    assert steps[6].startswith("e-receipt          -> ")
    assert "20.00 元" in steps[6]
    assert steps[6].endswith("in the wallet (A)")
    assert steps[7] == "submitApplication  -> fee DUE (ON_SUBMISSION)"
    assert steps[-1] == "withdrawApplication-> refunded 20.00 元 (申请已撤回)"
    # Every notification WeChat Pay sent was answered SUCCESS by the API itself.
    assert {n["eventType"] for n in sent} == {"TRANSACTION.SUCCESS", "REFUND.SUCCESS"}
    assert all(n["acknowledged"] for n in sent)
