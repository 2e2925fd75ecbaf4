"""A crash between commit and send: what was committed is delivered after a restart, and the
province books it exactly once however often it is sent."""

from __future__ import annotations

from datetime import timedelta

import httpx

from api.outbox import dispatcher
from api.resources import open_resources
from resolvers.exchange.outbound import push
from storage.models.exchange import ExchangeAcknowledgement
from storage.models.outbox import OutboxStatus
from storage.repositories import outbox as outbox_repo
from tests.applications.conftest import submit, verified_resident
from tests.conftest import RunningApp
from tests.exchange.conftest import Sandbox, deliver, later, pushes


async def test_a_message_committed_but_never_sent_goes_after_a_restart(
    seeded: RunningApp, wechat: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    program = await verified_resident(seeded, wechat, "a")
    submitted = await submit(seeded, program)  # committed; the process dies before any send
    (row,) = await pushes(submitted["id"])
    before = (row.status, sandbox.received())

    # A new worker process: its own resources, its own gateway, nothing carried over.
    async with open_resources(seeded.settings) as restarted:
        handled = await dispatcher(restarted).drain()
        again = await dispatcher(restarted).drain()

    (row,) = await pushes(submitted["id"])
    assert before == (OutboxStatus.PENDING, [])
    assert handled >= 1
    assert again == 0
    assert row.status is OutboxStatus.DELIVERED
    assert [r["messageId"] for r in sandbox.received()] == [str(row.id)]


async def test_a_crash_after_the_province_booked_it_is_sent_again_and_booked_once(
    seeded: RunningApp, wechat: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    program = await verified_resident(seeded, wechat, "a")
    submitted = await submit(seeded, program)
    (row,) = await pushes(submitted["id"])

    # A worker sends it and dies before marking it DELIVERED ...
    await push(seeded.resources, row)
    # ... so the next worker sends it again.
    await deliver(seeded)

    (row,) = await pushes(submitted["id"])
    state = sandbox.state()
    assert row.status is OutboxStatus.DELIVERED
    assert [r["messageId"] for r in state["messages"]] == [str(row.id)]
    assert state["duplicates"] == [str(row.id)]
    assert await ExchangeAcknowledgement.filter(message_id=row.id).count() == 1


async def test_a_claim_of_a_crashed_worker_lapses(
    seeded: RunningApp, wechat: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    program = await verified_resident(seeded, wechat, "a")
    submitted = await submit(seeded, program)
    now = seeded.resources.clock()
    lease = seeded.settings.outbox_lease_seconds
    # A worker claims the whole batch, then dies holding it (nobody renews its lease).
    claimed = await outbox_repo.claim(
        now=now, until=now + timedelta(seconds=lease), limit=50, owner="killed-worker"
    )
    assert any(m.kind == "exchange.push" for m in claimed)

    held = await deliver(seeded)
    later(seeded, seconds=lease + 1)
    await deliver(seeded)

    (row,) = await pushes(submitted["id"])
    assert held == 0  # nobody takes a claimed message while the claim lasts
    assert row.status is OutboxStatus.DELIVERED
    assert len(sandbox.received()) == 1
