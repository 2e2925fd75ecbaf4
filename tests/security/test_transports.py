"""Every entry point goes through the same preparation: allow-list, limits, cost, APQ. And
requests that are not GraphQL requests get a typed 400, never a 500."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from typing import Any

import pytest

from resolvers.settings import Mode
from storage.cache import Keys
from tests.conftest import RunningApp, start_app
from tests.security.conftest import websocket

JSON = {"accept": "application/graphql-response+json"}


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture
async def allow_list_only(settings_factory: Any, mock_state: Any):
    async for running in start_app(settings_factory(persisted_queries_only=True)):
        yield running


async def test_a_batch_cannot_bypass_the_allow_list(allow_list_only: RunningApp) -> None:
    response = await allow_list_only.client.post(
        "/graphql", json=[{"query": "{ regions { code } }"}], headers=JSON
    )

    assert response.status_code == 403
    assert "data" not in response.text
    assert response.json()["errors"][0]["extensions"]["code"] == "OPERATION_NOT_ALLOWLISTED"


async def test_get_cannot_bypass_the_allow_list(allow_list_only: RunningApp) -> None:
    response = await allow_list_only.client.get(
        "/graphql", params={"query": "{ regions { code } }"}, headers=JSON
    )

    assert response.status_code == 403
    assert response.json()["errors"][0]["extensions"]["code"] == "OPERATION_NOT_ALLOWLISTED"


async def test_a_websocket_subscribe_cannot_bypass_the_allow_list(
    allow_list_only: RunningApp,
) -> None:
    async with websocket(allow_list_only) as ws:
        await ws.send_json({"type": "connection_init", "payload": {}})
        assert (await ws.receive_json())["type"] == "connection_ack"
        await ws.send_json(
            {"id": "1", "type": "subscribe", "payload": {"query": "{ regions { code } }"}}
        )
        message = await asyncio.wait_for(ws.receive_json(), 5)

    assert message["type"] == "error"
    assert message["payload"][0]["extensions"]["code"] == "OPERATION_NOT_ALLOWLISTED"


async def test_websocket_operations_obey_the_cost_limit(seeded: RunningApp) -> None:
    heavy = (
        "{"
        + " ".join(f"a{i}: regions {{ children {{ children {{ code }} }} }}" for i in range(5))
        + "}"
    )
    async with websocket(seeded) as ws:
        await ws.send_json({"type": "connection_init", "payload": {}})
        assert (await ws.receive_json())["type"] == "connection_ack"
        await ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": heavy}})
        message = await asyncio.wait_for(ws.receive_json(), 5)

    assert message["type"] == "error"
    assert message["payload"][0]["extensions"]["code"] == "QUERY_TOO_COSTLY"


async def test_apq_does_not_store_documents_that_do_not_validate(running: RunningApp) -> None:
    bad = "{ noSuchField }"
    response = await running.client.post(
        "/graphql",
        json={
            "query": bad,
            "extensions": {"persistedQuery": {"version": 1, "sha256Hash": _sha(bad)}},
        },
        headers=JSON,
    )

    assert response.status_code == 400
    assert await running.resources.redis.get(Keys.persisted_query(_sha(bad))) is None


async def test_apq_does_not_store_documents_outside_the_allow_list(
    allow_list_only: RunningApp,
) -> None:
    text = "{ regions { code } }"
    response = await allow_list_only.client.post(
        "/graphql",
        json={
            "query": text,
            "extensions": {"persistedQuery": {"version": 1, "sha256Hash": _sha(text)}},
        },
        headers=JSON,
    )

    assert response.status_code == 403
    assert await allow_list_only.resources.redis.get(Keys.persisted_query(_sha(text))) is None


async def test_apq_registrations_are_capped_in_size(running: RunningApp) -> None:
    padding = "# " + "x" * 90_000 + "\n"
    text = padding + "{ regions { code } }"
    response = await running.client.post(
        "/graphql",
        json={
            "query": text,
            "extensions": {"persistedQuery": {"version": 1, "sha256Hash": _sha(text)}},
        },
        headers=JSON,
    )

    assert response.status_code == 413
    assert await running.resources.redis.get(Keys.persisted_query(_sha(text))) is None


async def test_apq_registrations_are_rate_limited_per_principal(
    settings_factory: Any, mock_state: Any
) -> None:
    async for running in start_app(settings_factory(apq_registrations_per_hour=3)):
        codes = []
        for n in range(5):
            text = f"query Q{n} {{ regions {{ code }} }}"
            response = await running.client.post(
                "/graphql",
                json={
                    "query": text,
                    "extensions": {"persistedQuery": {"version": 1, "sha256Hash": _sha(text)}},
                },
                headers=JSON,
            )
            codes.append(response.status_code)
            stored = await running.resources.redis.get(Keys.persisted_query(_sha(text)))
            assert (stored is not None) == (n < 3)
        # Over the limit the query still runs; it is only not remembered.
        assert codes == [200] * 5


async def test_unknown_hashes_answer_in_the_negotiated_media_type(running: RunningApp) -> None:
    response = await running.client.post(
        "/graphql",
        json={"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "0" * 64}}},
        headers=JSON,
    )

    assert response.headers["content-type"].startswith("application/graphql-response+json")
    assert response.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


@pytest.mark.parametrize(
    "body",
    [
        b"[1,2]",
        b'"x"',
        b"1",
        b"null",
        b"[null]",
        b'[{"query":1}]',
        b'{"query":1}',
        b'{"query":"{ me { id } }","variables":[1]}',
        b'{"query":"{ me { id } }","operationName":3}',
        b"[]",
    ],
)
async def test_json_that_is_not_a_request_is_a_typed_400(
    running: RunningApp, body: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    response = await running.client.post(
        "/graphql", content=body, headers={**JSON, "content-type": "application/json"}
    )

    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.fixture
async def production(settings_factory: Any, mock_state: Any):
    settings = settings_factory().model_copy(update={"mode": Mode.PRODUCTION})
    async for running in start_app(settings):
        yield running


@pytest.mark.parametrize(
    "query",
    [
        "query($x: Strin) { me { id } }",  # a type
        '{ service(cod: "x") { code } }',  # an argument
        '{ services(filter: {regionCod: "510104"}) { nodes { code } } }',  # an input field
        "{ themes(audience: PERSN) { code } }",  # an enum value
        "{ mee { id } }",  # a field
    ],
)
async def test_production_suggests_no_names(production: RunningApp, query: str) -> None:
    response = await production.gql(query)

    assert response.status == 400
    assert response.errors
    assert not any("Did you mean" in e["message"] for e in response.errors)


async def test_production_suggests_no_names_in_variables(production: RunningApp) -> None:
    response = await production.gql(
        "query($f: ServiceFilter) { services(filter: $f) { nodes { code } } }",
        {"f": {"regionCod": "510104"}},
    )

    assert response.errors
    assert not any("Did you mean" in e["message"] for e in response.errors)
