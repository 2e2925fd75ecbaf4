"""Helpers of the payment tests: the app with WeChat Pay pointed at the mock (whose
notification sink stands in for our notify URL: the tests relay what it received to the
app's endpoint, as WeChat would post it), residents with fee-bearing applications, and the
phone's side of paying."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest

from mock_wechat import pay_keys
from mock_wechat.client import MiniProgram
from resolvers.settings import Settings
from storage.models.outbox import OutboxMessage
from tests.applications.conftest import (
    ACCEPT,
    officer_token,
    upload,
    verified_resident,
)
from tests.conftest import APP_ID, RunningApp, ServerThread

# 居民身份证换领 in 锦江区: 20 元, charged once the window accepted.
RENEWAL = ("51002000010000", "510104")
# 居民身份证补领 in 锦江区: 20 元, charged on submission (acceptance waits for it).
REPLACEMENT = ("51002000020000", "510104")
# 公共场所卫生许可: free of charge.
FREE = ("51000100020000", "510104")
NOTIFY_PATH = "/payments/wechat/notify"


@pytest.fixture
def settings(settings_factory: Any, mock_wechat_server: ServerThread) -> Settings:
    built: Settings = settings_factory(
        wechatpay_mchid=pay_keys.TEST_MCHID,
        wechatpay_app_id=APP_ID,
        wechatpay_mobile_app_id=pay_keys.TEST_MOBILE_APP_ID,
        wechatpay_private_key=pay_keys.TEST_MERCHANT_PRIVATE_KEY,
        wechatpay_cert_serial_no=pay_keys.TEST_MERCHANT_SERIAL_NO,
        wechatpay_apiv3_key=pay_keys.TEST_APIV3_KEY,
        wechatpay_public_key=pay_keys.TEST_PLATFORM_PUBLIC_KEY,
        wechatpay_public_key_id=pay_keys.TEST_PUBLIC_KEY_ID,
        wechatpay_base_url=mock_wechat_server.url,
        wechatpay_notify_url=f"{mock_wechat_server.url}/__mock__/pay/sink",
        wechatpay_timeout_seconds=5.0,
    )
    return built


PAYMENT_FIELDS = """
    payment {
      amountFen paidFen refundedFen status chargedAt dueBy paidAt
      items { position name amountFen chargedAt exempt exemptionReason exemptions { code name }
              department { code } }
      refunds { amountFen reason status }
      receipts { number amountFen department { code } document { id kind trustLevel } }
    }
"""

APPLICATION = "query($id: ID!) { application(id: $id) { id status " + PAYMENT_FIELDS + " } }"

CREATE = """
mutation($input: CreatePaymentInput!) { createPayment(input: $input) {
  __typename
  ... on PaymentRequest { channel appId timeStamp nonceStr package signType paySign prepayId
                          partnerId }
  ... on CreatePaymentError { code message field }
} }
"""

EXEMPT = """
mutation($input: ExemptFeeItemInput!) { exemptFeeItem(input: $input) {
  __typename
  ... on Payment { amountFen status refundedFen items { position exempt exemptionReason } }
  ... on ExemptFeeItemError { code message field }
} }
"""


async def apply_for(
    running: RunningApp, program: MiniProgram, service: tuple[str, str] = RENEWAL
) -> dict[str, Any]:
    """A submitted ID-card application (the household register comes from its issuer)."""
    # 换领 hands in the old card; 补领 (it was lost) only a photo.
    kinds = ["ID_CARD_FRONT", "PHOTO"] if service == RENEWAL else ["PHOTO"]
    documents = [await upload(program, kind) for kind in kinds]
    submitted = await program.submit_application(service[0], documents, region_code=service[1])
    assert submitted["__typename"] == "Application", submitted
    return submitted


async def resident_with_application(
    running: RunningApp, wechat: httpx.AsyncClient, user: str, service: tuple[str, str] = RENEWAL
) -> tuple[MiniProgram, str]:
    program = await verified_resident(running, wechat, user)
    submitted = await apply_for(running, program, service)
    return program, str(submitted["id"])


async def application(
    running: RunningApp, token: str | None, application_id: str
) -> dict[str, Any]:
    data = await running.gql.data(APPLICATION, {"id": application_id}, token=token)
    found: dict[str, Any] = data["application"]
    return found


async def lead_officer(running: RunningApp, application_id: str) -> str:
    from storage.models.applications import Application

    found = await Application.get(id=application_id_of(application_id))
    return await officer_token(running, found.department_id)


def application_id_of(global_id: str) -> Any:
    from schema.ids import node_uuid

    return node_uuid(global_id, "Application")


async def accept(running: RunningApp, officer: str, application_id: str) -> dict[str, Any]:
    response = await running.gql(
        ACCEPT, {"input": {"applicationId": application_id}}, token=officer
    )
    return dict(response.data["acceptApplication"])


async def create_payment(
    running: RunningApp, token: str | None, application_id: str, channel: str = "JSAPI"
) -> dict[str, Any]:
    response = await running.gql(
        CREATE, {"input": {"applicationId": application_id, "channel": channel}}, token=token
    )
    return dict(response.data["createPayment"])


async def pay_on_phone(
    wechat: httpx.AsyncClient, request: dict[str, Any], **extra: Any
) -> httpx.Response:
    """wx.requestPayment with what createPayment answered (the mock checks the paySign)."""
    return await wechat.post(
        "/__mock__/pay",
        json={
            "appId": request["appId"],
            "timeStamp": request["timeStamp"],
            "nonceStr": request["nonceStr"],
            "package": request["package"],
            "signType": request["signType"],
            "paySign": request["paySign"],
            **extra,
        },
    )


async def sunk(wechat: httpx.AsyncClient, count: int, within: float = 10.0) -> list[dict[str, Any]]:
    """The notifications WeChat Pay sent to the (sink) notify URL, once there are `count`."""
    deadline = time.monotonic() + within
    while True:
        received: list[dict[str, Any]] = (await wechat.get("/__mock__/pay/sink")).json()
        if len(received) >= count or time.monotonic() > deadline:
            assert len(received) >= count, received
            return received
        await asyncio.sleep(0.05)


async def deliver(running: RunningApp, notification: dict[str, Any]) -> httpx.Response:
    """Posts one notification to the app as WeChat Pay posts it."""
    return await running.client.post(
        NOTIFY_PATH,
        content=notification["body"].encode(),
        headers={**notification["headers"], "content-type": "application/json"},
    )


async def pay(
    running: RunningApp, wechat: httpx.AsyncClient, program: MiniProgram, application_id: str
) -> dict[str, Any]:
    """createPayment, pay on the phone, the notification delivered: the payment notice."""
    before = len((await wechat.get("/__mock__/pay/sink")).json())
    request = await create_payment(running, program.token, application_id)
    assert request["__typename"] == "PaymentRequest", request
    paid = await pay_on_phone(wechat, request)
    assert paid.status_code == 200, paid.text
    notice = (await sunk(wechat, before + 1))[before]
    answer = await deliver(running, notice)
    assert answer.status_code == 200, answer.text
    assert answer.json()["code"] == "SUCCESS"
    return notice


async def drain(running: RunningApp) -> int:
    from api.outbox import dispatcher

    return await dispatcher(running.resources).drain()


async def outbox_kinds() -> list[str]:
    return [m.kind for m in await OutboxMessage.all().order_by("seq")]
