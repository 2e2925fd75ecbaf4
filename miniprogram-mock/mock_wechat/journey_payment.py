"""The fee-bearing journey: `python -m mock_wechat.journey --journey payment` beside `make run`.

居民身份证换领 (20 元, charged once accepted): submit -> the window accepts -> the fee is due ->
createPayment -> wx.requestPayment in the mock -> WeChat Pay notifies the API -> the
departments approve -> the result is issued, with the e-receipt (财政电子票据) in the wallet.
Then 居民身份证补领 (20 元, charged on submission): pay -> withdraw -> refunded.

Every step checks what the app would show; the first that does not hold raises
JourneyFailed, and the command exits non-zero."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from mock_wechat.client import MiniProgram, document_id, post_graphql

# 锦江区公安分局's ID-card items in the demo catalogue.
RENEWAL = ("51002000010000", "510104")
REPLACEMENT = ("51002000020000", "510104")
OFFICER = "officer-115101043529422372"


class JourneyFailed(Exception):
    """A step of the journey did not give what the app should show."""


def check(condition: bool, step: str, seen: Any) -> None:
    if not condition:
        raise JourneyFailed(f"{step}: {seen}")


async def _until(
    read: Callable[[], Awaitable[dict[str, Any]]],
    done: Callable[[dict[str, Any]], bool],
    step: str,
    within: float = 20.0,
) -> dict[str, Any]:
    """What `read` answers once `done` holds (notifications and the outbox run after the
    request that caused them)."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        found = await read()
        if done(found):
            return found
        if asyncio.get_running_loop().time() > deadline:
            raise JourneyFailed(f"{step}: still {found}")
        await asyncio.sleep(0.2)


class Staff:
    """The single window's officer, through the same API."""

    def __init__(self, api: httpx.AsyncClient) -> None:
        self.api = api
        self.token = ""

    async def call(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        response = await post_graphql(
            self.api,
            {"query": query, "variables": variables},
            {"authorization": f"Bearer {self.token}"} if self.token else {},
        )
        body = response.json()
        if body.get("errors"):
            raise JourneyFailed(f"staff call: {body['errors']}")
        data: dict[str, Any] = body["data"]
        return data

    async def login(self, username: str = OFFICER) -> None:
        data = await self.call(
            "mutation($u: String!, $p: String!) { loginStaff(input: {username: $u, password: $p})"
            " { __typename ... on Session { token } } }",
            {"u": username, "p": os.environ.get("RONGBAN_DEMO_PASSWORD", "rongban-demo")},
        )
        check(data["loginStaff"]["__typename"] == "Session", "loginStaff", data)
        self.token = data["loginStaff"]["token"]


async def _payment(program: MiniProgram, application_id: str) -> dict[str, Any]:
    found = (await program.call("ApplicationPayment", {"id": application_id}))["application"]
    return dict(found or {})


async def _submit(program: MiniProgram, service: tuple[str, str], kinds: list[str]) -> str:
    from mock_wechat.journey import DEMO_JPEG

    documents = []
    for kind in kinds:
        uploaded = await program.upload_document(kind, f"{kind}.jpg", "image/jpeg", DEMO_JPEG)
        documents.append(document_id(uploaded))
    submitted = await program.submit_application(service[0], documents, region_code=service[1])
    check(submitted["__typename"] == "Application", "submitApplication", submitted)
    return str(submitted["id"])


async def _pay(program: MiniProgram, application_id: str, steps: list[str]) -> None:
    """createPayment -> wx.requestPayment (the mock) -> the API hears of it from WeChat Pay."""
    request = (await program.call("CreatePayment", {"applicationId": application_id}))[
        "createPayment"
    ]
    check(request["__typename"] == "PaymentRequest", "createPayment", request)
    steps.append(f"createPayment      -> {request['package'][:20]}… signType {request['signType']}")
    paid = await program.wechat.post(
        "/__mock__/pay",
        json={
            "appId": request["appId"],
            "timeStamp": request["timeStamp"],
            "nonceStr": request["nonceStr"],
            "package": request["package"],
            "signType": request["signType"],
            "paySign": request["paySign"],
            "user": program.user,
            "result": "pay",
        },
    )
    check(paid.status_code == 200, "wx.requestPayment", paid.text)
    steps.append(f"wx.requestPayment  -> {paid.json().get('errMsg')}")
    found = await _until(
        lambda: _payment(program, application_id),
        lambda a: a["payment"]["status"] == "PAID",
        "payment notified",
    )
    steps.append(f"notified           -> payment {found['payment']['status']}")


async def fee_journey(program: MiniProgram) -> list[str]:
    steps: list[str] = []
    staff = Staff(program.api)
    await staff.login()

    application_id = await _submit(program, RENEWAL, ["ID_CARD_FRONT", "PHOTO"])
    shown = await _payment(program, application_id)
    check(shown["payment"]["status"] == "PENDING", "fee before acceptance", shown)
    steps.append(
        f"submitApplication  -> {shown['status']}, fee {shown['payment']['amountFen'] / 100:.2f}"
        f" 元 {shown['payment']['chargedAt']}"
    )
    accepted = await staff.call(
        "mutation($id: ID!) { acceptApplication(input: {applicationId: $id}) { __typename "
        "... on Application { status tasks { id } } } }",
        {"id": application_id},
    )
    check(accepted["acceptApplication"].get("status") == "ACCEPTED", "acceptApplication", accepted)
    shown = await _payment(program, application_id)
    check(shown["payment"]["status"] == "DUE", "fee due", shown)
    steps.append(f"acceptApplication  -> fee DUE by {shown['payment']['dueBy']}")

    await _pay(program, application_id, steps)
    for task in accepted["acceptApplication"]["tasks"]:
        done = await staff.call(
            "mutation($id: ID!) { completeTask(input: {taskId: $id, outcome: APPROVED}) "
            "{ __typename } }",
            {"id": task["id"]},
        )
        check(done["completeTask"]["__typename"] == "ApplicationTask", "completeTask", done)
    issued = await staff.call(
        "mutation($id: ID!) { issueResult(input: {applicationId: $id}) { __typename "
        "... on Application { status } ... on IssueResultError { code } } }",
        {"id": application_id},
    )
    check(issued["issueResult"].get("status") == "COMPLETED", "issueResult", issued)
    steps.append("issueResult        -> COMPLETED")
    found = await _until(
        lambda: _payment(program, application_id),
        lambda a: (
            bool(a["payment"]["receipts"])
            and all(r.get("document") for r in a["payment"]["receipts"])
        ),
        "e-receipt",
    )
    [receipt] = found["payment"]["receipts"]
    check(receipt["amountFen"] == 2000, "e-receipt amount", receipt)
    wallet = await program.my_documents(first=20)
    kinds = {edge["node"]["kind"] for edge in wallet["edges"]}
    check({"RECEIPT", "CERTIFICATE"} <= kinds, "wallet", kinds)
    steps.append(
        f"e-receipt          -> {receipt['number']} {receipt['amountFen'] / 100:.2f} 元 by "
        f"{receipt['department']['name']}, in the wallet ({receipt['document']['trustLevel']})"
    )
    return steps


async def refund_journey(program: MiniProgram) -> list[str]:
    steps: list[str] = []
    application_id = await _submit(program, REPLACEMENT, ["PHOTO"])
    shown = await _payment(program, application_id)
    check(shown["payment"]["status"] == "DUE", "fee due on submission", shown)
    steps.append(f"submitApplication  -> fee DUE ({shown['payment']['chargedAt']})")
    await _pay(program, application_id, steps)
    withdrawn = (await program.call("WithdrawApplication", {"applicationId": application_id}))[
        "withdrawApplication"
    ]
    check(withdrawn.get("status") == "WITHDRAWN", "withdrawApplication", withdrawn)
    found = await _until(
        lambda: _payment(program, application_id),
        lambda a: [r["status"] for r in a["payment"]["refunds"]] == ["SUCCESS"],
        "refund",
    )
    refund = found["payment"]["refunds"][0]
    check(refund["amountFen"] == 2000, "refund amount", refund)
    steps.append(
        f"withdrawApplication-> refunded {refund['amountFen'] / 100:.2f} 元 ({refund['reason']})"
    )
    return steps


async def payment_journey(program: MiniProgram) -> list[str]:
    return [*await fee_journey(program), *await refund_journey(program)]
