"""A peer down for a long time, simulated by its fault switch staying on across many cycles
of a real `rongban worker`: the work waits (FAILED, retried with backoff, never dead while the
attempt budget lasts; appeals held unchecked; uploads pending), nothing is lost or reordered,
requests meanwhile answer typed errors or held states (never a 500), and everything drains
when the peer returns."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from mock_wechat.client import MiniProgram
from mock_wechat.server import MockState
from storage.models.appeals import Appeal, AppealStatus, HoldReason
from storage.models.documents import Document, DocumentStatus
from storage.models.outbox import OutboxMessage, OutboxStatus
from tests.accounts.test_sms_login import LOGIN, PHONE, last_code, request_code
from tests.appeals.conftest import file, resident
from tests.applications.conftest import (
    ACCEPT,
    HYGIENE,
    implementation,
    officers,
    submit,
    verified_resident,
)
from tests.applications.test_outbox import GRANT
from tests.conftest import RunningApp, start_app
from tests.documents.conftest import EICAR, clamd, jpeg, signed_in
from tests.exchange.conftest import Sandbox, completed_application, pushes
from tests.processes import eventually, free_port, worker_processes

# Refusals before the province is back: several worker cycles of every stream's head.
OUTAGE = 12
# Backoff in tenths of a second stands for the minutes of a real outage.
FAST = {
    "outbox_poll_seconds": "0.1",
    "outbox_backoff_base_seconds": "0.1",
    "outbox_backoff_max_seconds": "0.5",
}
# "Down until switched back": more refusals than any test makes.
FOREVER = 1_000_000
# All of api.weixin.qq.com the platform calls: tokens, sign-in, subscribe messages, the
# text check.
WECHAT = (
    "/cgi-bin/token",
    "/cgi-bin/stable_token",
    "/sns/jscode2session",
    "/cgi-bin/message/subscribe/send",
    "/wxa/msg_sec_check",
)


async def switch(wechat: httpx.AsyncClient, paths: tuple[str, ...], *, down: bool) -> None:
    """The mock's fault switch: every call to `paths` answers 503 until switched back."""
    for path in paths:
        response = await wechat.post(
            "/__mock__/fail", json={"path": path, "status": 503, "times": FOREVER if down else 0}
        )
        response.raise_for_status()


async def grant_status_messages(seeded: RunningApp, program: MiniProgram, count: int) -> None:
    """The resident allows `count` application status messages (one per tap in WeChat)."""
    for _ in range(count):
        answers = await program.wx_request_subscribe(["TPL_APPLICATION_STATUS"])
        results = [{"templateId": t, "result": r} for t, r in answers.items() if t != "errMsg"]
        granted = await seeded.gql.data(GRANT, {"input": {"results": results}}, token=program.token)
        assert granted["grantSubscriptions"]["__typename"] == "SubscriptionGrants", granted


async def wechat_messages() -> list[OutboxMessage]:
    return await OutboxMessage.filter(kind="notification.wechat").order_by("created_at", "id")


@pytest.mark.processes
async def test_the_province_down_for_many_cycles_then_back(
    seeded: RunningApp, wechat: httpx.AsyncClient, sandbox: Sandbox, tmp_path: Path
) -> None:
    settings = seeded.settings
    if settings.embedded_redis or not settings.database_url.startswith("postgres"):
        pytest.skip("worker processes share state only through real PostgreSQL and Redis")
    for user in ("p1", "p2"):
        await completed_application(seeded, wechat, user)
    expected = {str(m.id) for m in await pushes()}
    sandbox.fault("status", status=503, times=OUTAGE)
    workers = FAST

    with worker_processes(settings, 1, tmp_path / "worker.log", **workers):
        # A look at the outbox counts as "during the outage" only if the province had refused
        # every call up to after the look: the call after the last refusal succeeds.
        await eventually(lambda: sandbox.state()["calls"] >= OUTAGE // 3, 60, "the worker tried")
        during = await pushes()
        assert sandbox.state()["calls"] <= OUTAGE, "the outage ended before the look"
        await eventually(lambda: sandbox.state()["calls"] >= OUTAGE, 60, "the worker kept trying")

        async def drained() -> bool:
            return all(m.status is OutboxStatus.DELIVERED for m in await pushes())

        await eventually(drained, 60, "the backlog drained once the province was back")

    # While it was down nothing was given up and nothing got past a stream's head.
    assert {m.status for m in during} <= {OutboxStatus.PENDING, OutboxStatus.FAILED}
    state = sandbox.state()
    assert sorted(m["messageId"] for m in state["messages"]) == sorted(expected)
    assert state["outOfOrder"] == []
    by_project: dict[str, list[int]] = {}
    for message in sorted(state["messages"], key=lambda m: m["position"]):
        by_project.setdefault(message["projectNo"], []).append(message["sequence"])
    assert sorted(by_project.values()) == [list(range(1, 8))] * 2


@pytest.mark.processes
async def test_wechat_down_for_many_cycles_then_back(
    seeded: RunningApp, wechat: httpx.AsyncClient, mock_state: MockState, tmp_path: Path
) -> None:
    settings = seeded.settings
    if settings.embedded_redis or not settings.database_url.startswith("postgres"):
        pytest.skip("worker processes share state only through real PostgreSQL and Redis")
    applicant = await verified_resident(seeded, wechat, "w-applicant")
    await grant_status_messages(seeded, applicant, 2)
    filer = await resident(seeded, wechat, "w-filer")
    tokens = await officers(seeded, await implementation(HYGIENE))
    await switch(wechat, WECHAT, down=True)

    # Requests while WeChat is down: typed errors or held states, each a 200.
    submitted = await submit(seeded, applicant)
    assert submitted["__typename"] == "Application", submitted
    accepted = await seeded.gql.data(
        ACCEPT, {"input": {"applicationId": submitted["id"]}}, token=tokens["lead"]
    )
    assert accepted["acceptApplication"]["__typename"] == "Application", accepted
    held = await file(seeded, filer)
    assert (held["status"], held["holdReason"], held["department"]) == (
        "HELD",
        "CHECK_PENDING",
        None,
    )
    newcomer = MiniProgram(seeded.client, wechat, "w-newcomer")
    refused = await newcomer.login()
    assert (refused["__typename"], refused["code"]) == (
        "LoginWithWeChatError",
        "WECHAT_UNAVAILABLE",
    )
    assert len(await wechat_messages()) == 2

    workers = FAST | {"appeal_recheck_seconds": "0.2", "appeal_check_max_attempts": "1000"}
    with worker_processes(settings, 1, tmp_path / "worker.log", **workers):

        async def tried_for_a_while() -> bool:
            head = (await wechat_messages())[0]
            appeal = await Appeal.get(number=held["number"])
            return head.attempts >= 3 and appeal.check_attempts >= 3

        await eventually(tried_for_a_while, 60, "the worker kept trying WeChat")

        async def inbox_delivered() -> bool:
            subjects = {m.key.removeprefix("wechat:") for m in await wechat_messages()}
            inbox = await OutboxMessage.filter(kind="notification.inbox", key__in=subjects)
            return bool(inbox) and all(m.status is OutboxStatus.DELIVERED for m in inbox)

        # The in-app copies of the same changes do not wait for WeChat.
        await eventually(inbox_delivered, 30, "the inbox copies went while WeChat was down")
        during = await wechat_messages()
        appeal_during = await Appeal.get(number=held["number"])
        sent_during = await applicant.wx_messages()
        await switch(wechat, WECHAT, down=False)

        async def drained() -> bool:
            messages = await OutboxMessage.filter(kind__startswith="notification.")
            appeal = await Appeal.get(number=held["number"])
            return appeal.status is AppealStatus.DISPATCHED and all(
                m.status is OutboxStatus.DELIVERED for m in messages
            )

        await eventually(drained, 60, "the messages went and the appeal was dispatched")

    # While WeChat was down: nothing given up, nothing sent, nothing reached a department.
    assert {m.status for m in during} <= {OutboxStatus.PENDING, OutboxStatus.FAILED}
    assert sent_during == []
    assert (appeal_during.status, appeal_during.hold_reason) == (
        AppealStatus.HELD,
        HoldReason.CHECK_PENDING,
    )
    assert appeal_during.department_id is None
    # Back: both status messages, in the order of the changes, once each.
    sent = await applicant.wx_messages()
    assert [m["data"]["phrase3"] for m in sent] == ["已提交", "已受理"]
    assert (await newcomer.login())["__typename"] == "Session"


async def test_the_sms_relay_down_refuses_codes_then_sends(
    seeded: RunningApp, wechat: httpx.AsyncClient, mock_state: MockState
) -> None:
    await switch(wechat, ("/__mock__/sms/send",), down=True)

    # A resident retrying while the relay is down: refused each time with a typed error
    # (not a rate limit: a code that was never sent is given back), and nothing is sent.
    tries = [await request_code(seeded.gql) for _ in range(3)]
    guessed = (await seeded.gql.data(LOGIN, {"phone": PHONE, "code": "123456"}))["loginWithSms"]
    relay_calls = mock_state.calls["/__mock__/sms/send"]
    await switch(wechat, ("/__mock__/sms/send",), down=False)
    sent = await request_code(seeded.gql)
    code = last_code(mock_state)
    session = (await seeded.gql.data(LOGIN, {"phone": PHONE, "code": code}))["loginWithSms"]

    assert [(t["__typename"], t["code"]) for t in tries] == [
        ("RequestSmsCodeError", "SMS_UNAVAILABLE")
    ] * 3
    assert relay_calls == 3
    assert guessed["__typename"] == "LoginWithSmsError"
    assert sent["__typename"] == "SmsCodeSent"
    assert len(mock_state.sms) == 1
    assert session["__typename"] == "Session"


@pytest.mark.processes
async def test_clamav_down_keeps_uploads_pending_until_it_is_back(
    settings_factory: Any, mock_state: MockState, wechat: httpx.AsyncClient, tmp_path: Path
) -> None:
    # Nothing listens on the scanner's port until the test starts clamd there.
    port = free_port()
    infected = b"%PDF-1.4\n" + EICAR + b"\n%%EOF\n"
    async for running in start_app(settings_factory(clamd_address=f"tcp://127.0.0.1:{port}")):
        program = await signed_in(running, wechat, "c")
        clean = await program.upload_document("PHOTO", "me.jpg", "image/jpeg", jpeg())
        bad = await program.upload_document("OTHER", "report.pdf", "application/pdf", infected)
        ids = [clean["ticket"]["documentId"], bad["ticket"]["documentId"]]
        retried = [await program.confirm_upload(i) for i in ids]
        during = await Document.all().order_by("created_at")

        with clamd(tmp_path / "clamd", port):
            after = [await program.confirm_upload(i) for i in ids]

    # Down: refused with a typed error, the uploads kept in quarantine, unclaimed, to retry.
    for answer in (clean["confirm"], bad["confirm"], *retried):
        assert answer["code"] == "SCANNER_UNAVAILABLE"
    assert [(d.status, d.confirming_until) for d in during] == [(DocumentStatus.PENDING, None)] * 2
    # Back: each is scanned; nothing slipped through unchecked while it was down.
    assert after[0]["status"] == "AVAILABLE"
    assert after[1]["code"] == "MALWARE_FOUND"
