"""Automatic persisted queries, the production allow-list, and the anonymous response cache."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from api.preparation import manifest
from mock_wechat.client import OPERATIONS
from storage.models.catalogue import Region
from tests.conftest import RunningApp, start_app
from tests.sql import count_statements

QUERY = '{ region(code: "510104") { name } }'
HASH = hashlib.sha256(QUERY.encode()).hexdigest()


def apq(sha: str) -> dict:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha}}


async def test_a_hash_alone_runs_once_the_text_was_registered(seeded: RunningApp) -> None:
    unknown = await seeded.client.post("/graphql", json={"extensions": apq(HASH)})
    registered = await seeded.client.post(
        "/graphql", json={"query": QUERY, "extensions": apq(HASH)}
    )
    by_hash = await seeded.client.post("/graphql", json={"extensions": apq(HASH)})
    by_get = await seeded.client.get("/graphql", params={"extensions": json.dumps(apq(HASH))})

    assert unknown.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    assert (
        registered.json()["data"]
        == by_hash.json()["data"]
        == by_get.json()["data"]
        == {"region": {"name": "锦江区"}}
    )


async def test_a_hash_that_does_not_match_the_text_is_refused(seeded: RunningApp) -> None:
    response = await seeded.client.post(
        "/graphql", json={"query": QUERY, "extensions": apq("0" * 64)}
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_HASH_MISMATCH"


async def test_malformed_hashes_are_refused(seeded: RunningApp) -> None:
    response = await seeded.client.post("/graphql", json={"extensions": apq("short")})

    assert response.status_code == 400


@pytest.fixture
async def allow_listed(settings_factory, mock_state):
    async for running in start_app(settings_factory(persisted_queries_only=True)):
        yield running


async def test_the_allow_list_admits_only_the_mini_programs_operations(
    allow_listed: RunningApp,
) -> None:
    me = (OPERATIONS / "Me.graphql").read_text(encoding="utf-8")

    registered = await allow_listed.client.post(
        "/graphql", json={"query": me, "operationName": "Me"}
    )
    other = await allow_listed.client.post("/graphql", json={"query": "{ me { id roles } }"})

    assert registered.json()["data"] == {"me": None}
    assert other.status_code == 403
    assert other.json()["errors"][0]["extensions"]["code"] == "OPERATION_NOT_ALLOWLISTED"


async def test_the_mini_programs_operations_run_by_hash_alone(seeded: RunningApp) -> None:
    """The manifest carries the registered texts: a client can send their hash alone, with
    nothing registered in Redis first (where a hash alone of any other text is unknown)."""
    search = (OPERATIONS / "SearchServices.graphql").read_text(encoding="utf-8")
    sha = hashlib.sha256(search.encode()).hexdigest()
    variables = {"keyword": "sfz", "regionCode": "510104", "first": 3}

    by_hash = await seeded.client.post(
        "/graphql", json={"extensions": apq(sha), "variables": variables}
    )
    by_get = await seeded.client.get(
        "/graphql",
        params={"extensions": json.dumps(apq(sha)), "variables": json.dumps(variables)},
    )

    names = [n["name"] for n in by_hash.json()["data"]["services"]["nodes"]]
    assert names
    assert all("身份证" in name for name in names)
    assert by_get.json()["data"] == by_hash.json()["data"]


async def test_registered_operations_are_validated_before_the_first_request(
    seeded: RunningApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A resident's first search after a deploy pays no parsing or validation: the server
    prepared the mini-program's operations when it started."""
    import graphql

    from api import preparation

    checked: list[object] = []

    def validate(*args: Any, **kwargs: Any) -> list[graphql.GraphQLError]:
        checked.append(args[1])
        return graphql.validate(*args, **kwargs)

    monkeypatch.setattr(preparation, "validate", validate)
    for name, variables in (
        ("SearchServices", {"keyword": "身份证"}),
        ("ServiceGuide", {"code": "51000100020000", "regionCode": "510104"}),
        ("NearbyCentres", {"serviceCode": "51000100020000", "near": {"lat": 30.66, "lng": 104.07}}),
    ):
        text = (OPERATIONS / f"{name}.graphql").read_text(encoding="utf-8")
        answer = await seeded.client.post(
            "/graphql", json={"query": text, "operationName": name, "variables": variables}
        )
        assert "errors" not in answer.json(), answer.json()

    other = await seeded.gql('{ region(code: "510107") { name } }')

    assert other.body["data"] == {"region": {"name": "武侯区"}}
    assert len(checked) == 1  # the unregistered document only


def test_the_committed_manifest_lists_every_operation() -> None:
    documents = {
        p.stem: p.read_text(encoding="utf-8") for p in sorted(OPERATIONS.glob("*.graphql"))
    }
    committed = (OPERATIONS.parent.parent / "schema" / "persisted-operations.json").read_text(
        encoding="utf-8"
    )

    assert committed == manifest(documents), "run `make schema`"


async def test_anonymous_catalogue_answers_are_served_from_the_cache(seeded: RunningApp) -> None:
    query = "{ services(first: 20) { nodes { name department { name } region { name } } } }"
    first = await seeded.gql(query)

    with count_statements() as again:
        second = await seeded.gql(query)

    assert second.body["data"] == first.body["data"]
    assert "extensions" not in second.body  # served as stored: nothing was spent
    assert again.count == 0  # not a single query reached the database
    assert second.http.headers["cache-control"].startswith("public")


async def test_signed_in_callers_are_never_served_cached_answers(
    seeded: RunningApp, wechat
) -> None:
    from mock_wechat.client import MiniProgram

    program = MiniProgram(seeded.client, wechat, "a")
    await program.login()
    await seeded.gql(QUERY)

    with count_statements() as counted:
        await seeded.gql(QUERY, token=program.token)

    assert counted.count > 0


async def test_answers_with_errors_are_not_cached(seeded: RunningApp) -> None:
    query = "{ services(first: 99) { nodes { name } } }"
    await seeded.gql(query)

    response = await seeded.gql(query)

    assert response.error_codes == ["BAD_USER_INPUT"]
    assert response.http.headers["cache-control"] == "no-store"  # executed again, not cached


async def test_a_published_change_is_visible_at_once_in_this_process(seeded: RunningApp) -> None:
    from resolvers.catalogue.editing import catalogue_changed

    before = (await seeded.gql.data(QUERY))["region"]["name"]
    await Region.filter(code="510104").update(name="锦江区（测试）")
    await catalogue_changed(seeded.resources)

    after = (await seeded.gql.data(QUERY))["region"]["name"]

    assert (before, after) == ("锦江区", "锦江区（测试）")


async def test_a_registered_operation_beyond_this_servers_limits_is_refused_when_sent(
    settings_factory: Any, mock_state: Any
) -> None:
    """An operator may lower the depth limit below what a registered operation needs: the
    server still starts, and that operation is refused, with the reason, like any other."""
    guide = (OPERATIONS / "ServiceGuide.graphql").read_text(encoding="utf-8")
    async for running in start_app(settings_factory(max_query_depth=2)):
        answer = await running.client.post(
            "/graphql",
            json={"query": guide, "operationName": "ServiceGuide", "variables": {"code": "x"}},
        )
        shallow = await running.gql('{ region(code: "510104") { name } }')

        assert "depth" in answer.json()["errors"][0]["message"]
        assert shallow.body["data"] == {"region": None}  # served: nothing is seeded here
