"""Two `rongban serve` processes (A and B) and two `rongban worker`s on one PostgreSQL database
and one Redis, sharing state only through them, as a city runs it: a status change made
through A reaches a graphql-transport-ws subscriber on B; the cost budget and the exchange
callbacks' nonce store hold across processes (spent or used through A, refused through B);
the two workers send every outbox message once, each stream in order.

Covered elsewhere with real processes, not repeated here: the staff sign-in throttle
(tests/security/test_staff_login_throttle.py, across two API processes), a publish through
one process invalidating answers cached by another (tests/catalogue/
test_cache_across_processes.py), a worker killed mid-batch (test_worker_killed.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from httpx_ws import AsyncWebSocketSession, aconnect_ws
from redis.asyncio import Redis

from api.limits import SETTLE_SECONDS
from resolvers.ids import node_uuid
from storage.cache import Keys
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
    SYSTEM_SECRET,
    Sandbox,
    callback_body,
    completed_application,
    pushes,
    register_system,
    sign_callback,
)
from tests.processes import api_processes, eventually, worker_processes

pytestmark = pytest.mark.processes

SUBSCRIBE = (
    "subscription($id: ID!) { applicationEvents(applicationId: $id) { applicationId type status } }"
)
# Not a cached catalogue answer (`me` is per caller), so it is charged to the budget.
COSTLY = "{ regions(first: 100) { code name } me { id } }"
BUDGET = "10"  # cost points a minute: a point back every 6 s, spent in a few requests
SYSTEM = "many-processes-approval"


def _real_services(running: RunningApp) -> None:
    settings = running.settings
    if settings.embedded_redis or not settings.database_url.startswith("postgres"):
        pytest.skip("processes share state only through real PostgreSQL and Redis")


@asynccontextmanager
async def subscribed(
    url: str, token: str, application_id: str
) -> AsyncIterator[AsyncWebSocketSession]:
    """A graphql-transport-ws subscription to one application's events on the process at
    `url`, acknowledged."""
    async with (
        httpx.AsyncClient(timeout=30) as client,
        aconnect_ws(f"{url}/graphql", client, subprotocols=["graphql-transport-ws"]) as ws,  # type: ignore[var-annotated]
    ):
        await ws.send_json(
            {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
        )
        assert (await ws.receive_json(timeout=30))["type"] == "connection_ack"
        await ws.send_json(
            {
                "id": "1",
                "type": "subscribe",
                "payload": {"query": SUBSCRIBE, "variables": {"id": application_id}},
            }
        )
        yield ws


async def listening(redis: Redis, application_id: str, ws: AsyncWebSocketSession) -> None:
    """Until some process's pub/sub connection listens to the application's channel (so an
    event published from now on reaches it); a subscription the server refused fails at
    once with the server's answer."""
    channel = f"events:application:{node_uuid(application_id, 'Application')}"

    async def subscribed_in_redis() -> bool:
        counts = await redis.pubsub_numsub(channel)
        if counts and counts[0][1] >= 1:
            return True
        try:
            answer = await ws.receive_json(timeout=0.05)
        except TimeoutError:
            return False
        raise AssertionError(f"the subscription was answered before any event: {answer}")

    await eventually(subscribed_in_redis, 30, "the subscriber's process listened in Redis")


async def accept_through(url: str, application_id: str, token: str) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.post(
            f"{url}/graphql",
            json={"query": ACCEPT, "variables": {"input": {"applicationId": application_id}}},
            headers={"authorization": f"Bearer {token}"},
        )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()["data"]["acceptApplication"]
    return result


async def test_two_api_processes_and_two_workers_share_one_state(
    seeded: RunningApp, wechat: httpx.AsyncClient, sandbox: Sandbox, tmp_path: Path
) -> None:
    _real_services(seeded)
    settings = seeded.settings
    # Outbox work for the workers: two applications, seven pushes each.
    for user in ("m1", "m2"):
        await completed_application(seeded, wechat, user)
    program = await verified_resident(seeded, wechat, "m3")
    assert program.token is not None
    submitted = await submit(seeded, program)
    item = await implementation(HYGIENE)
    tokens = await officers(seeded, item)
    await register_system(seeded, item.department_id, SYSTEM)

    redis = Redis.from_url(settings.redis_url)
    try:
        with (
            worker_processes(
                settings, 2, tmp_path / "workers.log", outbox_poll_seconds="0.2"
            ) as workers,
            api_processes(settings, 2, cost_budget_per_minute=BUDGET) as (a, b),
        ):
            # A status change through A reaches the subscriber on B.
            # The resident's and the lead officer's budgets start full in these processes:
            # what the in-process app charged them for the set-up (two applications handled
            # through to the end, the sign-ins; same Redis, far larger budget) is not theirs
            # to pay with the ten points a minute given here. The in-process app sends what
            # it owes within SETTLE_SECONDS; the budgets are emptied once it has.
            accounts = []
            for token in (program.token, tokens["lead"]):
                me = await seeded.gql.data("{ me { id } }", token=token)
                accounts.append(f"a:{node_uuid(me['me']['id'], 'Account')}")
            await asyncio.sleep(2 * SETTLE_SECONDS)
            for account in accounts:
                await redis.delete(Keys.cost_budget(account), Keys.time_budget(account))
            async with subscribed(b, program.token, submitted["id"]) as ws:
                await listening(redis, submitted["id"], ws)
                accepted = await accept_through(a, submitted["id"], tokens["lead"])
                assert accepted["status"] == "ACCEPTED", accepted
                event = await ws.receive_json(timeout=30)
            assert event["type"] == "next", event
            assert event["payload"]["data"]["applicationEvents"] == {
                "applicationId": submitted["id"],
                "type": "ACCEPTED",
                "status": "ACCEPTED",
            }

            async with httpx.AsyncClient(timeout=30) as client:
                # The cost budget is one bucket in Redis: spent through A, refused by B.
                for _ in range(4 * int(BUDGET)):
                    spent = await client.post(f"{a}/graphql", json={"query": COSTLY})
                    if spent.status_code == 429:
                        break
                    assert spent.status_code == 200, spent.text
                assert spent.status_code == 429, "A never ran out of budget"
                refused = await client.post(f"{b}/graphql", json={"query": COSTLY})
                assert refused.status_code == 429, refused.text
                assert refused.json()["errors"][0]["extensions"]["code"] == "THROTTLED"
                assert refused.headers["retry-after"].isdigit()

                # A signed callback's nonce, used through A, is a replay through B.
                body = callback_body(submitted["number"], "PROGRESS", note="审查中")
                headers = sign_callback(SYSTEM, SYSTEM_SECRET, body)
                first = await client.post(f"{a}/exchange/callbacks", content=body, headers=headers)
                again = await client.post(f"{b}/exchange/callbacks", content=body, headers=headers)
            assert first.status_code == 200, first.text
            assert (again.status_code, again.json()["code"]) == (401, "REPLAYED_NONCE")

            async def all_delivered() -> bool:
                return all(m.status is OutboxStatus.DELIVERED for m in await pushes())

            await eventually(all_delivered, 60, "the two workers sent the outbox")
            assert all(worker.alive for worker in workers)
    finally:
        await redis.aclose()

    # Both workers took part or not, nothing went twice and no stream was reordered.
    expected = sorted(str(m.id) for m in await pushes())
    state = sandbox.state()
    assert sorted(m["messageId"] for m in state["messages"]) == expected
    assert state["duplicates"] == []
    assert state["outOfOrder"] == []
    by_project: dict[str, list[int]] = {}
    for message in sorted(state["messages"], key=lambda m: m["position"]):
        by_project.setdefault(message["projectNo"], []).append(message["sequence"])
    # Each stream in order from its first message: the two completed applications' seven
    # steps, the third's so far.
    assert len(by_project) == 3
    assert all(seq == list(range(1, len(seq) + 1)) for seq in by_project.values()), by_project
    assert sorted(len(seq) for seq in by_project.values())[1:] == [7, 7]
