"""Reconciliation of a day: events not acknowledged, receipts without a local event (ours and
the province's), messages the province does not hold, steps acknowledged out of order."""

from __future__ import annotations

from datetime import timedelta

import httpx

from integrations.provincial import HttpProvincialGateway
from resolvers.exchange.reconcile import FindingKind, reconcile
from resolvers.exchange.signing import HmacSha256
from storage.models.exchange import ExchangeAcknowledgement, ExchangeStep
from storage.models.outbox import OutboxMessage
from tests.applications.conftest import china, frozen, submit, verified_resident
from tests.conftest import EXCHANGE_SECRET, EXCHANGE_SYSTEM_ID, RunningApp
from tests.exchange.conftest import Sandbox, completed_application, deliver, pushes, rongban
from tests.scenarios.conftest import resident
from tests.scenarios.conftest import submit as submit_scenario

DAY = china(2026, 3, 2, 10)


async def _delivered_day(seeded: RunningApp, wechat: httpx.AsyncClient, users: list[str]):
    frozen(seeded, DAY)
    applications = [(await completed_application(seeded, wechat, u))[0] for u in users]
    await deliver(seeded)
    return applications


async def test_a_clean_day_has_no_findings(
    seeded: RunningApp, wechat: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    await _delivered_day(seeded, wechat, ["a", "b"])

    report = await reconcile(seeded.resources, DAY.date())
    cli = rongban(seeded.settings, "exchange", "reconcile", "--date", "2026-03-02")
    other_day = await reconcile(seeded.resources, DAY.date() - timedelta(days=1))

    assert report.findings == []
    assert (report.events, report.messages, report.receipts, report.province_held) == (
        14,
        14,
        14,
        14,
    )
    assert cli.returncode == 0, cli.stdout + cli.stderr
    assert (
        "reconciled 2026-03-02: 14 events, 14 messages, 14 receipts, province holds 14; 0 findings"
        in cli.stdout
    )
    assert (other_day.events, other_day.findings) == (0, [])


async def test_every_kind_of_inconsistency_is_found(
    seeded: RunningApp, wechat: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    a, b, c = await _delivered_day(seeded, wechat, ["a", "b", "c"])
    program = await verified_resident(seeded, wechat, "d")
    d = await submit(seeded, program)
    sandbox.fault("status", status=400, times=1, projectNo=d["number"])
    await deliver(seeded)  # refused as malformed: DEAD at once

    # a: the receipt of step 3 is lost.
    rows_a = await pushes(a["id"])
    await ExchangeAcknowledgement.filter(message_id=rows_a[2].id).delete()
    # b: steps 6 and 7 acknowledged the wrong way round; the province lost step 5.
    rows_b = await pushes(b["id"])
    sixth = await ExchangeAcknowledgement.get(message_id=rows_b[5].id)
    await ExchangeAcknowledgement.filter(message_id=rows_b[6].id).update(
        acknowledged_at=sixth.acknowledged_at - timedelta(seconds=5)
    )
    sandbox.forget(str(rows_b[4].id))
    # c: the message of the rating is gone, its receipt is not.
    rows_c = await pushes(c["id"])
    await OutboxMessage.filter(id=rows_c[6].id).delete()
    # A receipt of ours, and a message the province holds, that nobody here sent.
    await ExchangeAcknowledgement.create(
        message_id="00000000-0000-4000-8000-000000000001",
        application_id=rows_a[0].payload["application_id"],
        event_id="00000000-0000-4000-8000-000000000002",
        sequence=99,
        step=ExchangeStep.PROGRESS,
        event_at=DAY,
        ack_id="ACK-FORGED",
        acknowledged_at=DAY,
    )
    injected = sandbox.inject(projectNo="CD20260302999999", sequence=1, stepDate="2026-03-02")

    report = await reconcile(seeded.resources, DAY.date())
    cli = rongban(seeded.settings, "exchange", "reconcile", "--date", "2026-03-02")

    found = {(f.kind, f.application, f.sequence) for f in report.findings}
    assert found == {
        (FindingKind.NOT_ACKNOWLEDGED, a["number"], 3),
        (FindingKind.OUT_OF_ORDER, a["number"], 4),
        (FindingKind.OUT_OF_ORDER, b["number"], 7),
        (FindingKind.NOT_HELD_BY_PROVINCE, b["number"], 5),
        (FindingKind.NOT_PUSHED, c["number"], None),
        (FindingKind.ACK_WITHOUT_EVENT, c["number"], 7),
        (FindingKind.ACK_WITHOUT_EVENT, a["number"], 99),
        (FindingKind.ACK_WITHOUT_EVENT, "CD20260302999999", 1),
        (FindingKind.NOT_ACKNOWLEDGED, d["number"], 1),
    }
    dead = next(f for f in report.findings if f.application == d["number"])
    assert (
        dead.detail == "DEAD after 1 attempts, last error: province refused: HTTP 400 SANDBOX_FAULT"
    )
    assert (
        next(f for f in report.findings if f.message_id == injected).kind
        is FindingKind.ACK_WITHOUT_EVENT
    )
    assert cli.returncode == 1
    assert len([line for line in cli.stdout.splitlines() if "application=" in line]) == 9, (
        cli.stdout
    )
    assert f"NOT_ACKNOWLEDGED application={a['number']} sequence=3 step=HANDLE" in cli.stdout


async def test_a_province_that_cannot_be_asked_is_a_finding_not_a_pass(
    seeded: RunningApp, wechat: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    await _delivered_day(seeded, wechat, ["a"])
    right = seeded.resources.province
    secret = HmacSha256(EXCHANGE_SECRET.encode())
    seeded.resources.province = HttpProvincialGateway(
        base_url="http://127.0.0.1:9",
        system_id=EXCHANGE_SYSTEM_ID,
        signer=secret,
        province=secret,
        timeout=1,
    )
    try:
        unreachable = await reconcile(seeded.resources, DAY.date())
        local = await reconcile(seeded.resources, DAY.date(), ask_province=False)
    finally:
        await seeded.resources.province.close()
        seeded.resources.province = right

    assert [(f.kind, f.detail) for f in unreachable.findings] == [
        (FindingKind.PROVINCE_UNAVAILABLE, "its list could not be read: connection failed")
    ]
    assert unreachable.province_held is None
    assert local.findings == []


async def test_a_day_with_bundles_reconciles_clean(
    seeded: RunningApp, wechat: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    """Each item of a 一件事 goes to the province as its own 办件 carrying the bundle's
    number; the bundle's parent is no 办件 and is not expected there."""
    frozen(seeded, DAY)
    program = await resident(seeded, wechat, "bundle")
    parent = await submit_scenario(seeded, program)
    assert parent["__typename"] == "Application", parent
    await deliver(seeded)

    report = await reconcile(seeded.resources, DAY.date())
    cli = rongban(seeded.settings, "exchange", "reconcile", "--date", "2026-03-02")

    assert report.findings == []
    items = len(parent["children"])
    assert (report.events, report.messages, report.receipts, report.province_held) == (
        items,
        items,
        items,
        items,
    )
    assert cli.returncode == 0, cli.stdout + cli.stderr
    bodies = [message.payload["body"] for message in await pushes()]
    assert sorted(body["projectNo"] for body in bodies) == sorted(
        child["number"] for child in parent["children"]
    )
    assert {body["bundleNo"] for body in bodies} == {parent["number"]}


async def test_a_single_item_carries_no_bundle(
    seeded: RunningApp, wechat: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    await _delivered_day(seeded, wechat, ["single"])
    assert {message.payload["body"]["bundleNo"] for message in await pushes()} == {None}
