"""Delivery to the province: signed, in order per application, acknowledged with a signed
receipt, retried with backoff across 5xx, timeouts and lost receipts, never sent twice to
the province's books."""

from __future__ import annotations

import httpx

from integrations.provincial import HttpProvincialGateway
from resolvers.exchange.signing import HmacSha256
from storage.models.exchange import ExchangeAcknowledgement
from storage.models.outbox import OutboxStatus
from tests.applications.conftest import (
    ACCEPT,
    HYGIENE,
    implementation,
    officers,
    submit,
    verified_resident,
)
from tests.conftest import EXCHANGE_SYSTEM_ID, RunningApp
from tests.exchange.conftest import (
    Sandbox,
    completed_application,
    deliver,
    later,
    pushes,
)

STEPS = ["SUBMIT", "ACCEPT", "HANDLE", "HANDLE", "DECIDE", "FINISH", "RATE"]


async def test_a_completed_application_reaches_the_province_step_by_step_in_order(
    seeded: RunningApp, wechat: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    submitted, _, _ = await completed_application(seeded, wechat, "a")
    other, _, _ = await completed_application(seeded, wechat, "b")

    await deliver(seeded)

    received = sandbox.received()
    state = sandbox.state()
    mine = [r for r in received if r["projectNo"] == submitted["number"]]
    assert [r["step"] for r in mine] == STEPS
    assert [r["sequence"] for r in mine] == list(range(1, 8))
    assert [r["position"] for r in mine] == sorted(r["position"] for r in mine)
    assert len([r for r in received if r["projectNo"] == other["number"]]) == 7
    assert state["outOfOrder"] == []
    assert state["duplicates"] == []
    assert state["refused"] == []
    rows = await pushes(submitted["id"])
    assert {m.status for m in rows} == {OutboxStatus.DELIVERED}
    receipts = {a.message_id: a for a in await ExchangeAcknowledgement.all()}
    assert [receipts[m.id].ack_id for m in rows] == [r["ackId"] for r in mine]
    assert all(not a.duplicate for a in receipts.values())


async def test_acceptance_waits_for_the_submission_to_be_acknowledged(
    seeded: RunningApp, wechat: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    program = await verified_resident(seeded, wechat, "a")
    tokens = await officers(seeded, await implementation(HYGIENE))
    submitted = await submit(seeded, program)
    await seeded.gql.data(
        ACCEPT, {"input": {"applicationId": submitted["id"]}}, token=tokens["lead"]
    )
    sandbox.fault("status", status=503, times=2)

    await deliver(seeded)  # SUBMIT fails: ACCEPT is not even tried
    first = sandbox.state()
    later(seeded, hours=1)
    await deliver(seeded)  # SUBMIT fails again
    second = sandbox.state()
    later(seeded, hours=1)
    await deliver(seeded)  # SUBMIT, then ACCEPT

    assert first["calls"] == 1
    assert second["calls"] == 2
    submit_row, accept_row = await pushes(submitted["id"])
    assert submit_row.status is OutboxStatus.DELIVERED
    assert submit_row.attempts == 2
    assert accept_row.status is OutboxStatus.DELIVERED
    assert accept_row.attempts == 0
    assert [r["step"] for r in sandbox.received()] == ["SUBMIT", "ACCEPT"]
    assert sandbox.state()["outOfOrder"] == []


async def test_failures_are_retried_with_growing_delays_and_recorded_without_details(
    seeded: RunningApp, wechat: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    program = await verified_resident(seeded, wechat, "a")
    submitted = await submit(seeded, program)
    sandbox.fault("status", status=502, times=3)
    waits = []
    for _ in range(3):
        now = seeded.resources.clock()
        await deliver(seeded)
        (row,) = await pushes(submitted["id"])
        assert row.status is OutboxStatus.FAILED
        waits.append((row.next_attempt_at - now).total_seconds())
        later(seeded, hours=2)
    await deliver(seeded)

    (row,) = await pushes(submitted["id"])
    base = seeded.settings.outbox_backoff_base_seconds
    # Equal jitter: attempt n waits between half and all of base * 2^(n-1).
    for n, wait in enumerate(waits, start=1):
        assert base * 2 ** (n - 1) / 2 <= wait <= base * 2 ** (n - 1)
    assert row.status is OutboxStatus.DELIVERED
    assert row.attempts == 3
    assert row.last_error == ""
    assert len(sandbox.received()) == 1


async def test_a_timeout_is_retried_and_the_province_gets_the_message_once(
    seeded: RunningApp, wechat: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    program = await verified_resident(seeded, wechat, "a")
    submitted = await submit(seeded, program)
    sandbox.fault("timeout", seconds=30, times=1)
    try:
        await deliver(seeded)  # our client gives up after exchange_timeout_seconds
    finally:
        sandbox.release()
    (row,) = await pushes(submitted["id"])
    failed = (row.status, row.attempts, row.last_error)
    later(seeded, hours=1)
    await deliver(seeded)

    (row,) = await pushes(submitted["id"])
    assert failed == (OutboxStatus.FAILED, 1, "province: timeout")
    assert row.status is OutboxStatus.DELIVERED
    assert [r["step"] for r in sandbox.received()] == ["SUBMIT"]


async def test_a_slow_receipt_within_the_timeout_is_a_delivery(
    seeded: RunningApp, wechat: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    program = await verified_resident(seeded, wechat, "a")
    submitted = await submit(seeded, program)
    sandbox.fault("slow", seconds=0.3, times=1)

    await deliver(seeded)

    (row,) = await pushes(submitted["id"])
    assert row.status is OutboxStatus.DELIVERED
    assert row.attempts == 0


async def test_a_lost_receipt_is_sent_again_and_the_province_dedupes_it(
    seeded: RunningApp, wechat: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    program = await verified_resident(seeded, wechat, "a")
    submitted = await submit(seeded, program)
    sandbox.fault("drop", times=1)  # the province books it, the receipt never arrives

    await deliver(seeded)
    (row,) = await pushes(submitted["id"])
    lost = (row.status, row.last_error)
    later(seeded, hours=1)
    await deliver(seeded)

    (row,) = await pushes(submitted["id"])
    receipt = await ExchangeAcknowledgement.get(message_id=row.id)
    state = sandbox.state()
    assert lost == (OutboxStatus.FAILED, "province: HTTP 503")
    assert row.status is OutboxStatus.DELIVERED
    assert len(state["messages"]) == 1  # booked once
    assert state["duplicates"] == [str(row.id)]
    assert receipt.duplicate is True
    assert receipt.ack_id == state["messages"][0]["ackId"]


async def test_a_refused_signature_is_retried_not_dropped(
    seeded: RunningApp, wechat: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    program = await verified_resident(seeded, wechat, "a")
    submitted = await submit(seeded, program)
    right = seeded.resources.province
    wrong = HmacSha256(b"a-secret-the-province-never-saw")
    seeded.resources.province = HttpProvincialGateway(
        base_url=sandbox.url, system_id=EXCHANGE_SYSTEM_ID, signer=wrong, province=wrong, timeout=2
    )
    try:
        await deliver(seeded)
    finally:
        await seeded.resources.province.close()
        seeded.resources.province = right

    (row,) = await pushes(submitted["id"])
    assert row.status is OutboxStatus.FAILED
    assert row.last_error == "province refused: HTTP 401 BAD_SIGNATURE"
    assert sandbox.received() == []
    assert sandbox.state()["refused"] == [{"code": "BAD_SIGNATURE", "messageId": str(row.id)}]
