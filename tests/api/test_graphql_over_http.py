"""The GraphQL-over-HTTP contract: media types, methods, status codes and error codes."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.conftest import RunningApp

GRAPHQL_RESPONSE = "application/graphql-response+json"
QUERY = '{ region(code: "510100") { name } }'


async def test_graphql_response_json_is_used_when_accepted(seeded: RunningApp) -> None:
    response = await seeded.client.post(
        "/graphql", json={"query": QUERY}, headers={"accept": GRAPHQL_RESPONSE}
    )

    assert response.status_code == 200
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    assert response.json()["data"] == {"region": {"name": "成都市"}}
    assert response.json()["extensions"]["cost"]["requested"] == 1
    assert response.headers["x-request-id"]
    assert response.headers["cache-control"] == "no-store"


async def test_legacy_clients_get_application_json(seeded: RunningApp) -> None:
    for accept in (None, "application/json", "*/*"):
        headers = {"accept": accept} if accept else {}
        response = await seeded.client.post("/graphql", json={"query": QUERY}, headers=headers)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/json")


async def test_an_unacceptable_accept_is_406(running: RunningApp) -> None:
    response = await running.client.post(
        "/graphql", json={"query": QUERY}, headers={"accept": "text/html"}
    )

    assert response.status_code == 406
    assert response.json()["errors"][0]["extensions"]["code"] == "NOT_ACCEPTABLE"


async def test_validation_errors_are_400_with_graphql_response_json_and_200_with_json(
    running: RunningApp,
) -> None:
    bad = {"query": "{ nope }"}
    modern = await running.client.post("/graphql", json=bad, headers={"accept": GRAPHQL_RESPONSE})
    legacy = await running.client.post("/graphql", json=bad, headers={"accept": "application/json"})

    assert modern.status_code == 400
    assert "data" not in modern.json()
    assert modern.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert legacy.status_code == 200
    assert legacy.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


async def test_syntax_errors_are_parse_failures(running: RunningApp) -> None:
    response = await running.gql("{ me { id ")

    assert response.status == 400
    assert response.error_codes == ["GRAPHQL_PARSE_FAILED"]


async def test_bad_variables_are_bad_user_input(running: RunningApp) -> None:
    response = await running.gql("query($c: String!) { region(code: $c) { name } }", {"c": 5})

    assert response.status == 400
    assert response.error_codes == ["BAD_USER_INPUT"]


async def test_queries_work_over_get(seeded: RunningApp) -> None:
    response = await seeded.client.get(
        "/graphql", params={"query": QUERY}, headers={"accept": GRAPHQL_RESPONSE}
    )

    assert response.status_code == 200
    assert response.json()["data"]["region"]["name"] == "成都市"


async def test_mutations_over_get_are_405(running: RunningApp) -> None:
    response = await running.client.get(
        "/graphql",
        params={
            "query": 'mutation { requestSmsCode(input: {phone: "13800138000"}) { __typename } }'
        },
    )

    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.json()["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"],
)
async def test_non_json_posts_are_refused_without_executing(
    running: RunningApp, mock_state, content_type: str
) -> None:
    body = 'mutation { requestSmsCode(input: {phone: "13800138000"}) { __typename } }'

    response = await running.client.post(
        "/graphql", content=body, headers={"content-type": content_type}
    )

    assert response.status_code == 415
    assert response.json()["errors"][0]["extensions"]["code"] == "UNSUPPORTED_MEDIA_TYPE"
    assert mock_state.sms == []


async def test_broken_json_is_400(running: RunningApp) -> None:
    response = await running.client.post(
        "/graphql", content=b'{"query": ', headers={"content-type": "application/json"}
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_batches_are_capped(running: RunningApp) -> None:
    five = [{"query": "{ me { id } }"}] * 5
    six = [{"query": "{ me { id } }"}] * 6

    assert (await running.client.post("/graphql", json=five)).status_code == 200
    refused = await running.client.post("/graphql", json=six)

    assert refused.status_code == 400
    assert refused.json()["errors"][0]["extensions"]["code"] == "TOO_MANY_OPERATIONS"


async def test_bodies_over_the_cap_are_413_before_parsing(running: RunningApp) -> None:
    huge = {"query": QUERY, "variables": {"x": "x" * 1_100_000}}

    response = await running.client.post("/graphql", json=huge)

    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"


async def test_streamed_bodies_over_the_cap_are_413(running: RunningApp) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(20):
            yield b"x" * 100_000

    response = await running.client.post(
        "/graphql", content=chunks(), headers={"content-type": "application/json"}
    )

    assert response.status_code == 413


async def test_the_request_id_is_kept_when_sane(running: RunningApp) -> None:
    kept = await running.client.get("/healthz", headers={"x-request-id": "abcdef12-3456"})
    replaced = await running.client.get("/healthz", headers={"x-request-id": "bad id\n"})

    assert kept.headers["x-request-id"] == "abcdef12-3456"
    assert replaced.headers["x-request-id"] != "bad id\n"
