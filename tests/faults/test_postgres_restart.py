"""PostgreSQL restarted under load, on a cluster the test starts itself: /readyz says the
database is down, requests fail fast with a typed error (SERVICE_UNAVAILABLE) instead of
hanging or a 500, the pool
reconnects by itself, and nothing committed is lost."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import asyncpg
import httpx
import pytest

from api.cli import run_migrations
from mock_wechat.server import MockState
from resolvers.settings import Settings
from tests.faults.servers import postgres
from tests.processes import api_processes, eventually

pytestmark = pytest.mark.processes

REQUEST = "mutation($p: String!) { requestSmsCode(input: {phone: $p}) { __typename } }"
LOGIN = """mutation($p: String!, $c: String!) { loginWithSms(input: {phone: $p, code: $c}) {
  __typename ... on Session { token } ... on LoginWithSmsError { code } } }"""
ME = "{ me { id } }"
# Anonymous (no session to look up first) and never cached (a code nobody asked for before):
# it reaches the database only inside execution.
REGION = "query($c: String!) { region(code: $c) { name } }"
UNAVAILABLE = "服务暂时不可用，请稍后再试。"
# A request that needs the database may take this long while it is away: a few seconds, never
# the client's patience.
FAIL_FAST = 10.0


async def _gql(
    client: httpx.AsyncClient, url: str, query: str, variables: Any = None, token: str = ""
) -> httpx.Response:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    return await client.post(
        f"{url}/graphql", json={"query": query, "variables": variables or {}}, headers=headers
    )


async def _sign_in(
    client: httpx.AsyncClient, url: str, mock_state: MockState, phone: str
) -> dict[str, Any]:
    sent = await _gql(client, url, REQUEST, {"p": phone})
    assert sent.json()["data"]["requestSmsCode"]["__typename"] == "SmsCodeSent", sent.text
    code = [m for m in mock_state.sms if m["phone"].endswith(phone)][-1]["params"]["code"]
    answer = await _gql(client, url, LOGIN, {"p": phone, "c": code})
    result: dict[str, Any] = answer.json()["data"]["loginWithSms"]
    return result


def _phone() -> str:
    return f"139{uuid.uuid4().int % 10**8:08d}"


async def test_a_postgres_restart_under_load(settings: Settings, mock_state: MockState) -> None:
    if settings.embedded_redis:
        pytest.skip("the API processes share state only through real Redis")
    with postgres() as server:
        await run_migrations(server.url)
        own = settings.model_copy(update={"database_url": server.url})
        with api_processes(own, 1, database_pool_max="4") as (url,):
            async with httpx.AsyncClient(timeout=FAIL_FAST) as client:
                before = [await _sign_in(client, url, mock_state, _phone()) for _ in range(3)]
                assert {s["__typename"] for s in before} == {"Session"}
                assert (await client.get(f"{url}/readyz")).status_code == 200

                # Sign-ins keep coming while the database goes away.
                load = [
                    asyncio.create_task(_sign_in(client, url, mock_state, _phone()))
                    for _ in range(4)
                ]
                server.stop()
                await asyncio.gather(*load, return_exceptions=True)

                ready = await client.get(f"{url}/readyz")
                assert ready.status_code == 503
                assert ready.json()["down"] == ["database"]
                # A request that needs the database answers at once (within the client's
                # timeout), not after the pool's patience, with a typed error: before
                # execution (the session's lookup) an HTTP 503 with Retry-After ...
                down = await _gql(client, url, ME, token=before[0]["token"])
                assert down.status_code == 503, down.text
                assert down.headers["retry-after"].isdigit()
                assert down.json()["errors"] == [
                    {
                        "message": UNAVAILABLE,
                        "extensions": {"code": "SERVICE_UNAVAILABLE", "retryAfterSeconds": 5},
                    }
                ]
                # ... and inside execution a GraphQL error with that code, no traceback.
                inside = await _gql(client, url, REGION, {"c": uuid.uuid4().hex[:12]})
                assert inside.status_code == 200, inside.text
                (error,) = inside.json()["errors"]
                assert error["extensions"]["code"] == "SERVICE_UNAVAILABLE", inside.text
                assert error["message"] == UNAVAILABLE
                assert "requestId" not in error["extensions"]

                server.start()

                async def ready_again() -> bool:
                    return (await client.get(f"{url}/readyz")).status_code == 200

                await eventually(ready_again, 30, "the pool reconnected by itself")
                # Every session committed before the restart still signs its holder in.
                for session in before:
                    me = await _gql(client, url, ME, token=session["token"])
                    assert me.json()["data"]["me"]["id"], me.text
                after = await _sign_in(client, url, mock_state, _phone())
                assert after["__typename"] == "Session"

        connection = await asyncpg.connect(server.url.replace("postgres://", "postgresql://"))
        try:
            # Nothing half-written: every account a sign-in created has its session.
            orphans = await connection.fetchval(
                "SELECT count(*) FROM account a WHERE NOT EXISTS "
                "(SELECT 1 FROM auth_session s WHERE s.account_id = a.id)"
            )
        finally:
            await connection.close()
        assert orphans == 0
