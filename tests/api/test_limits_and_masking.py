"""Limits every public GraphQL API needs, production hardening, and masked unexpected errors."""

from __future__ import annotations

import logging

import pytest

from api.logging import RedactingFormatter
from resolvers.settings import Mode
from storage.repositories import catalogue as catalogue_repo
from tests.conftest import RunningApp, start_app


def nested(depth: int) -> str:
    inner = "code"
    for _ in range(depth):
        inner = f"parent {{ {inner} }}"
    return f'{{ region(code: "510104") {{ {inner} }} }}'


async def test_deep_queries_are_refused_before_execution(running: RunningApp) -> None:
    assert (await running.gql(nested(8))).status == 200

    response = await running.gql(nested(12))

    assert response.status == 400
    assert response.error_codes == ["QUERY_TOO_DEEP"]


async def test_cyclic_fragments_are_refused(running: RunningApp) -> None:
    query = (
        "query { me { ...A } } "
        "fragment A on Account { region { ...B } } fragment B on Region { parent { ...A } }"
    )

    response = await running.gql(query)

    assert response.status == 400
    assert response.error_codes  # refused at validation, no recursion error


async def test_too_many_aliases_are_refused_even_through_fragments(running: RunningApp) -> None:
    fields = " ".join(f"a{i}: code" for i in range(10))
    query = f'{{ x: region(code: "1") {{ ...F }} y: region(code: "2") {{ ...F }} }} fragment F on Region {{ {fields} }}'

    response = await running.gql(query)

    assert response.status == 400
    assert "TOO_MANY_ALIASES" in response.error_codes


async def test_huge_documents_are_refused_by_token_count(running: RunningApp) -> None:
    query = "{ " + " ".join("me { id }" for _ in range(600)) + " }"

    response = await running.gql(query)

    assert response.status == 400
    assert response.error_codes == ["TOO_MANY_TOKENS"]


async def test_field_suggestions_are_given_in_dev(running: RunningApp) -> None:
    response = await running.gql("{ mee { id } }")

    assert "Did you mean" in response.errors[0]["message"]


@pytest.fixture
async def production(settings_factory, mock_state):
    # model_copy skips validation: the production switches on the test's embedded
    # services, to observe the GraphQL hardening alone.
    settings = settings_factory().model_copy(update={"mode": Mode.PRODUCTION})
    async for running in start_app(settings):
        yield running


async def test_production_hides_the_schema(production: RunningApp) -> None:
    introspection = await production.gql("{ __schema { types { name } } }")
    typo = await production.gql("{ mee { id } }")
    ide = await production.client.get("/graphql", headers={"accept": "text/html"})

    assert set(introspection.error_codes) == {"INTROSPECTION_DISABLED"}
    assert "Did you mean" not in typo.errors[0]["message"]
    assert ide.status_code == 404
    assert "graphiql" not in ide.text.lower()


async def test_dev_serves_graphiql(running: RunningApp) -> None:
    response = await running.client.get("/graphql", headers={"accept": "text/html"})

    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


async def test_unexpected_errors_are_masked_and_logged_without_personal_data(
    seeded: RunningApp, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken() -> list:
        raise RuntimeError("lookup failed for 13800138000 / 11010519491231002X")

    monkeypatch.setattr(catalogue_repo, "top_regions", broken)
    caplog.set_level(logging.INFO)

    response = await seeded.gql("{ regions { code } }")

    error = response.errors[0]
    assert error["message"] == "服务器内部错误，请稍后再试。"
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    request_id = error["extensions"]["requestId"]
    assert request_id == response.http.headers["x-request-id"]
    assert "13800138000" not in response.http.text
    written = "\n".join(RedactingFormatter("%(message)s").format(r) for r in caplog.records)
    assert "RuntimeError" in written  # the traceback is there for the on-call engineer
    assert "13800138000" not in written
    assert "11010519491231002X" not in written


async def test_subscriptions_over_plain_http_point_to_the_websocket(running: RunningApp) -> None:
    response = await running.gql("subscription { accountEvents }")

    assert response.status == 400
    assert response.error_codes == ["SUBSCRIPTION_NEEDS_WEBSOCKET"]
