"""Dead letters: after the configured attempts a push is DEAD, visible to admins, and holds
back the rest of its application (never the others) until `rongban exchange retry`."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from resolvers.exchange.outbound import requeue
from resolvers.settings import Settings
from storage.models.outbox import OutboxStatus
from tests.applications.conftest import (
    ACCEPT,
    HYGIENE,
    implementation,
    officers,
    submit,
    verified_resident,
)
from tests.conftest import RunningApp
from tests.exchange.conftest import (
    MESSAGES,
    Sandbox,
    admin_token,
    deliver,
    later,
    pushes,
    rongban,
)

ATTEMPTS = 3


@pytest.fixture
def settings(settings_factory: Any) -> Settings:
    built: Settings = settings_factory(exchange_max_attempts=ATTEMPTS)
    return built


async def _two_applications(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> tuple[dict[str, Any], dict[str, Any]]:
    """One submitted and accepted (two messages), one only submitted."""
    program = await verified_resident(seeded, wechat, "a")
    tokens = await officers(seeded, await implementation(HYGIENE))
    first = await submit(seeded, program)
    await seeded.gql.data(ACCEPT, {"input": {"applicationId": first["id"]}}, token=tokens["lead"])
    second = await submit(seeded, program)
    return first, second


async def _until_dead(seeded: RunningApp) -> None:
    for _ in range(ATTEMPTS + 2):
        await deliver(seeded)
        later(seeded, days=1)


async def test_a_push_dies_after_the_configured_attempts_and_holds_back_its_application(
    seeded: RunningApp, wechat: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    stuck, other = await _two_applications(seeded, wechat)
    sandbox.fault("status", status=503, times=100, projectNo=stuck["number"])

    await _until_dead(seeded)

    submitted, accepted = await pushes(stuck["id"])
    (unrelated,) = await pushes(other["id"])
    assert (submitted.status, submitted.attempts) == (OutboxStatus.DEAD, ATTEMPTS)
    assert submitted.last_error == "province: HTTP 503"
    # The acceptance was never sent ahead of the submission it follows ...
    assert (accepted.status, accepted.attempts) == (OutboxStatus.PENDING, 0)
    assert [r["projectNo"] for r in sandbox.received()] == [other["number"]]
    # ... and another application's messages went on.
    assert unrelated.status is OutboxStatus.DELIVERED
    assert sandbox.state()["outOfOrder"] == []


async def test_admins_see_dead_letters_and_why(
    seeded: RunningApp, wechat: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    stuck, _ = await _two_applications(seeded, wechat)
    sandbox.fault("status", status=503, times=100, projectNo=stuck["number"])
    await _until_dead(seeded)
    token = await admin_token(seeded)

    dead = await seeded.gql.data(MESSAGES, {"filter": {"status": "DEAD"}}, token=token)
    stream = await seeded.gql.data(
        MESSAGES, {"filter": {"applicationId": stuck["id"]}}, token=token
    )

    (edge,) = dead["exchangeMessages"]["edges"]
    assert edge["node"]["kind"] == "SUBMIT"
    assert edge["node"]["attempts"] == ATTEMPTS
    assert edge["node"]["lastError"] == "province: HTTP 503"
    assert edge["node"]["nextAttemptAt"] is None
    assert edge["node"]["receipt"] is None
    assert [
        (e["node"]["sequence"], e["node"]["status"]) for e in stream["exchangeMessages"]["edges"]
    ] == [
        (2, "PENDING"),
        (1, "DEAD"),
    ]


async def test_a_refusal_of_the_message_itself_is_dead_at_once(
    seeded: RunningApp, wechat: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    program = await verified_resident(seeded, wechat, "a")
    submitted = await submit(seeded, program)
    sandbox.fault("status", status=400, times=1)

    await deliver(seeded)

    (row,) = await pushes(submitted["id"])
    assert (row.status, row.attempts) == (OutboxStatus.DEAD, 1)
    assert row.last_error == "province refused: HTTP 400 SANDBOX_FAULT"


async def test_admins_read_the_province_s_reason_for_a_400(
    seeded: RunningApp, wechat: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    program = await verified_resident(seeded, wechat, "a")
    submitted = await submit(seeded, program)
    reason = "taskCode 不在省级目录中\r\nFORGED 200 OK" + "。" * 300
    sandbox.fault("status", status=400, times=1, code="UNKNOWN_TASK", message=reason)

    await deliver(seeded)

    (row,) = await pushes(submitted["id"])
    assert row.status is OutboxStatus.DEAD
    seen = await seeded.gql.data(MESSAGES, {"first": 5}, token=await admin_token(seeded))
    (edge,) = seen["exchangeMessages"]["edges"]
    error = edge["node"]["lastError"]
    assert error.startswith(
        "province refused: HTTP 400 UNKNOWN_TASK: taskCode 不在省级目录中 FORGED"
    )
    assert "\n" not in error
    assert "\r" not in error
    assert len(error) <= 200


@pytest.mark.parametrize("status", [401, 404, 409, 422])
async def test_other_refusals_are_retried_not_dead_at_once(
    seeded: RunningApp, wechat: httpx.AsyncClient, sandbox: Sandbox, status: int
) -> None:
    program = await verified_resident(seeded, wechat, "a")
    submitted = await submit(seeded, program)
    sandbox.fault("status", status=status, times=1)

    await deliver(seeded)
    (row,) = await pushes(submitted["id"])
    assert (row.status, row.attempts) == (OutboxStatus.FAILED, 1)  # to be tried again
    assert row.last_error == f"province refused: HTTP {status} SANDBOX_FAULT"

    later(seeded, hours=1)
    await deliver(seeded)
    (row,) = await pushes(submitted["id"])
    assert row.status is OutboxStatus.DELIVERED


async def test_retry_sends_a_dead_letter_and_what_waited_behind_it_in_order(
    seeded: RunningApp, wechat: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    stuck, _ = await _two_applications(seeded, wechat)
    sandbox.fault("status", status=503, times=ATTEMPTS, projectNo=stuck["number"])
    await _until_dead(seeded)
    submitted, _ = await pushes(stuck["id"])

    again = await requeue(seeded.resources, [submitted.id])
    await deliver(seeded)

    rows = await pushes(stuck["id"])
    assert [m.id for m in again] == [submitted.id]
    assert [m.status for m in rows] == [OutboxStatus.DELIVERED, OutboxStatus.DELIVERED]
    assert rows[0].attempts == 0  # a fresh budget; it went through first time
    mine = [r for r in sandbox.received() if r["projectNo"] == stuck["number"]]
    assert [r["sequence"] for r in mine] == [1, 2]
    assert sandbox.state()["outOfOrder"] == []


async def test_rongban_exchange_retry_all_from_the_command_line(
    seeded: RunningApp, wechat: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    stuck, _ = await _two_applications(seeded, wechat)
    sandbox.fault("status", status=503, times=ATTEMPTS, projectNo=stuck["number"])
    await _until_dead(seeded)
    submitted, _ = await pushes(stuck["id"])

    done = rongban(seeded.settings, "exchange", "retry", "--all")
    nothing = rongban(seeded.settings, "exchange", "retry", "--id", str(submitted.id))
    await deliver(seeded)

    assert done.returncode == 0, done.stderr
    assert f"re-queued {submitted.id} application={stuck['number']} sequence=1" in done.stdout
    assert "1 message(s) re-queued" in done.stdout
    assert nothing.returncode == 1  # no longer dead: nothing to re-queue
    assert {m.status for m in await pushes(stuck["id"])} == {OutboxStatus.DELIVERED}
