"""Two API processes sharing one cache: a staff publish through process A reaches readers of
process B within the documented in-process delay, and a publish during a slow read leaves the
slow answer (right when it was computed) never stored under the new catalogue version. Both
with the answers cached and without: then each process's memory of the guides is what could
be stale."""

from __future__ import annotations

import asyncio
import time

import asyncpg
import httpx
import pytest

from storage.response_cache import LOCAL_TTL_SECONDS, VERSION_TTL_SECONDS
from tests.catalogue.editing import PUBLISH, guide_input, officer_of
from tests.catalogue.test_publish_implementation import OFFICE, draft, publish
from tests.conftest import RunningApp
from tests.processes import api_processes, eventually

pytestmark = pytest.mark.processes

# One cached answer made of two reads: the guide, and the news beside it on the screen.
GUIDE = """query($c: String!) {
  service(code: $c) { hours }
  articles(first: 1) { edges { node { title } } }
}"""


async def _hours(client: httpx.AsyncClient, url: str, code: str) -> str:
    response = await client.post(f"{url}/graphql", json={"query": GUIDE, "variables": {"c": code}})
    assert response.status_code == 200, response.text
    return str(response.json()["data"]["service"]["hours"])


async def _waiting_on_a_lock(connection: asyncpg.Connection, seconds: float = 20) -> None:
    """Until another session waits for the lock this test holds on `article` (the slow read
    is stuck). pg_locks spans the whole server: another test worker's waits must not count."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        waiting = await connection.fetchval(
            "SELECT count(*) FROM pg_locks WHERE NOT granted AND pid <> pg_backend_pid() "
            "AND relation = 'article'::regclass "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        )
        if waiting:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the read never reached the locked table")


async def _two_versions(seeded: RunningApp) -> tuple[str, str]:
    """A published guide and its next version as a draft; the staff token and the code."""
    token, department = await officer_of(seeded, OFFICE)
    first = await draft(
        seeded, token, **guide_input(department.code, hours="周一至周五 9:00-17:00")
    )
    code = first["code"]
    assert (await publish(seeded, token, code)).get("status") == "PUBLISHED"
    second = await draft(seeded, token, **guide_input(department.code, hours="全天 8:00-20:00"))
    assert (second["code"], second["status"]) == (code, "DRAFT")
    return token, code


# The response cache on (whole answers cached) and off (each process's guides in memory).
CACHES = pytest.mark.parametrize(
    "response_cache", ["true", "false"], ids=["answers cached", "guides in memory"]
)


@CACHES
async def test_a_publish_through_one_process_reaches_readers_of_the_other(
    seeded: RunningApp, response_cache: str
) -> None:
    settings = seeded.settings
    if settings.embedded_redis or not settings.database_url.startswith("postgres"):
        pytest.skip("two processes share state only through real PostgreSQL and Redis")
    token, code = await _two_versions(seeded)

    with api_processes(settings, 2, response_cache=response_cache) as (one, two):
        async with httpx.AsyncClient(timeout=30) as client:
            # B has the live guide cached, in Redis and in its own memory (a hit the second
            # time), or its rows in memory.
            before = [await _hours(client, two, code) for _ in range(2)]
            response = await client.post(
                f"{one}/graphql",
                json={"query": PUBLISH, "variables": {"input": {"code": code}}},
                headers={"authorization": f"Bearer {token}"},
            )
            assert response.status_code == 200, response.text
            published = response.json()["data"]["publishImplementation"]
            assert published["status"] == "PUBLISHED", published

            async def new_on_two() -> bool:
                return await _hours(client, two, code) == "全天 8:00-20:00"

            # The documented delay: B's in-process layer and its copy of the version.
            await eventually(
                new_on_two,
                LOCAL_TTL_SECONDS + VERSION_TTL_SECONDS,
                "B answered the new guide after A published it",
            )
            after = [await _hours(client, url, code) for url in (two, one, two, one)]

    assert before == ["周一至周五 9:00-17:00"] * 2
    # Once new, never old again, on either process.
    assert after == ["全天 8:00-20:00"] * 4


@CACHES
async def test_a_publish_during_a_slow_read_leaves_no_stale_answer(
    seeded: RunningApp, response_cache: str
) -> None:
    settings = seeded.settings
    if settings.embedded_redis or not settings.database_url.startswith("postgres"):
        pytest.skip("two processes share state only through real PostgreSQL and Redis")
    # The next version is written before the test holds anything up; published below.
    token, code = await _two_versions(seeded)

    # A read held up by the test may take longer than a request normally may.
    with api_processes(
        settings,
        2,
        execution_timeout_seconds="60",
        execution_seconds_per_minute="60",
        response_cache=response_cache,
    ) as (one, two):
        async with httpx.AsyncClient(timeout=60) as client:
            # The guide alone, read through the same process just before: the held-up read
            # then takes it from memory at once (its version checked within the second),
            # before its news waits. Without it, the guide and the news, two root fields
            # started together, raced: the news could reach the lock while the guide still
            # asked Redis for the catalogue's version, and so read the version published
            # meanwhile. Another document, so that the held-up one is not answered whole
            # from the cache.
            response = await client.post(
                f"{one}/graphql",
                json={
                    "query": "query($c: String!) { service(code: $c) { hours } }",
                    "variables": {"c": code},
                },
            )
            assert response.json()["data"]["service"]["hours"] == "周一至周五 9:00-17:00"
            lock = await asyncpg.connect(settings.database_url)
            try:
                transaction = lock.transaction()
                await transaction.start()
                # The read takes the guide, then waits for the news; a publish never touches
                # that table, so it goes through while the read waits.
                await lock.execute("LOCK TABLE article IN ACCESS EXCLUSIVE MODE")
                slow = asyncio.create_task(_hours(client, one, code))
                await _waiting_on_a_lock(lock)
                published = await asyncio.wait_for(publish(seeded, token, code), 30)
                assert published.get("status") == "PUBLISHED", published
                await transaction.rollback()
            finally:
                await lock.close()
            # Right when it was computed: the read began before the publish.
            assert await slow == "周一至周五 9:00-17:00"

            await asyncio.sleep(LOCAL_TTL_SECONDS + VERSION_TTL_SECONDS + 0.5)
            answers = [await _hours(client, url, code) for url in (one, two, one, two)]

    assert answers == ["全天 8:00-20:00"] * 4
