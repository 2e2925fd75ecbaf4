"""HTTP caching and compression of GraphQL answers, as a CDN or the mini-program's HTTP cache
sees them: anonymous catalogue reads over GET are public with an ETag naming the catalogue
version (304 to If-None-Match, a new ETag after a publish); signed-in answers are private and
never stored; answers over 1 KB are compressed when the client accepts it."""

from __future__ import annotations

import json

from tests.catalogue.editing import PUBLISH, UPSERT, guide_input, officer_of
from tests.conftest import RunningApp
from tests.sql import count_statements

GUIDE = "query($c: String!) { service(code: $c) { code promisedDays } }"
PAGE = (
    "query Page { services(first: 20) { nodes { code name visits onlineDepth "
    "department { name } region { name } materials { name } } } }"
)
OFFICE = "锦江区行政审批局"


def as_get(query: str, variables: dict | None = None) -> dict[str, str]:
    params = {"query": query}
    if variables is not None:
        params["variables"] = json.dumps(variables)
    return params


async def test_a_cached_anonymous_get_is_public_and_revalidates_with_its_etag(
    seeded: RunningApp,
) -> None:
    params = as_get(PAGE)
    first = await seeded.client.get("/graphql", params=params)  # computed, then stored
    with count_statements() as counted:
        second = await seeded.client.get("/graphql", params=params)
        again = await seeded.client.get(
            "/graphql", params=params, headers={"if-none-match": second.headers["etag"]}
        )

    assert first.headers["cache-control"] == "no-store"  # it carries this caller's budget
    assert second.status_code == 200
    assert second.json()["data"] == first.json()["data"]
    assert second.headers["cache-control"] == "public, max-age=30"
    assert second.headers["etag"].startswith('W/"')
    assert "Authorization" in second.headers["vary"]
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == second.headers["etag"]
    assert counted.count == 0


async def test_a_stale_etag_gets_the_answer_again(seeded: RunningApp) -> None:
    params = as_get(PAGE)
    await seeded.client.get("/graphql", params=params)

    answer = await seeded.client.get(
        "/graphql", params=params, headers={"if-none-match": 'W/"0000000000000000-00"'}
    )

    assert answer.status_code == 200
    assert answer.json()["data"]["services"]["nodes"]


async def test_a_publish_changes_the_etag(seeded: RunningApp) -> None:
    token, department = await officer_of(seeded, OFFICE)
    drafted = await seeded.gql.data(
        UPSERT, {"input": guide_input(department.code, promisedDays=1)}, token=token
    )
    code = drafted["upsertImplementation"]["code"]
    params = as_get(PAGE)
    await seeded.client.get("/graphql", params=params)
    before = await seeded.client.get("/graphql", params=params)

    await seeded.gql.data(PUBLISH, {"input": {"code": code}}, token=token)
    await seeded.client.get("/graphql", params=params)  # computed again, for the new version
    after = await seeded.client.get("/graphql", params=params)
    revalidated = await seeded.client.get(
        "/graphql", params=params, headers={"if-none-match": before.headers["etag"]}
    )

    assert before.headers["etag"] != after.headers["etag"]
    assert after.headers["cache-control"] == "public, max-age=30"
    assert revalidated.status_code == 200  # the old version's ETag no longer matches


async def test_a_signed_in_get_is_never_public(seeded: RunningApp) -> None:
    token, _ = await officer_of(seeded, OFFICE)
    params = as_get(PAGE)
    await seeded.client.get("/graphql", params=params)
    public = await seeded.client.get("/graphql", params=params)

    signed_in = [
        await seeded.client.get(
            "/graphql",
            params=params,
            headers={"authorization": f"Bearer {token}", "if-none-match": public.headers["etag"]},
        )
        for _ in range(2)
    ]

    assert public.headers["cache-control"].startswith("public")
    for answer in signed_in:
        assert answer.status_code == 200
        assert answer.headers["cache-control"] == "private, no-store"
        assert "etag" not in answer.headers
        assert answer.json()["data"]["services"]["nodes"]


async def test_answers_over_a_kilobyte_are_compressed_when_accepted(seeded: RunningApp) -> None:
    params = as_get(PAGE)
    computed = await seeded.client.get(
        "/graphql", params=params, headers={"accept-encoding": "gzip"}
    )
    cached_br = await seeded.client.get(
        "/graphql", params=params, headers={"accept-encoding": "br"}
    )
    cached_gzip = await seeded.client.get(
        "/graphql", params=params, headers={"accept-encoding": "gzip, br;q=0"}
    )
    plain = await seeded.client.get(
        "/graphql", params=params, headers={"accept-encoding": "identity"}
    )
    graphql_response = await seeded.client.post(
        "/graphql",
        json={"query": PAGE.replace("first: 20", "first: 19")},
        headers={"accept": "application/graphql-response+json", "accept-encoding": "gzip"},
    )
    small = await seeded.client.post(
        "/graphql",
        json={"query": '{ region(code: "510104") { name } }'},
        headers={"accept-encoding": "gzip, br"},
    )

    assert computed.headers["content-encoding"] == "gzip"  # the middleware's, uncached
    assert cached_br.headers["content-encoding"] == "br"
    assert cached_gzip.headers["content-encoding"] == "gzip"
    assert "content-encoding" not in plain.headers
    assert "content-encoding" not in small.headers  # under 1 KB: sent as is
    assert graphql_response.headers["content-type"] == "application/graphql-response+json"
    assert graphql_response.headers["content-encoding"] == "gzip"
    size = len(plain.content)
    assert size > 1024
    # httpx decodes both; the bytes on the wire are the smaller ones.
    assert cached_br.json() == cached_gzip.json() == plain.json()
    assert computed.json()["data"] == plain.json()["data"]
    assert int(cached_br.headers["content-length"]) < size / 2
    assert int(cached_gzip.headers["content-length"]) < size / 2


async def test_a_post_is_answered_from_the_cache_without_sql_and_with_aliases_kept(
    seeded: RunningApp,
) -> None:
    aliased = "{ services(first: 20) { items: nodes { title: name } } }"
    await seeded.gql(PAGE)
    await seeded.gql(aliased)

    with count_statements() as counted:
        page = await seeded.gql(PAGE)
        renamed = await seeded.gql(aliased)

    assert counted.count == 0
    assert page.http.headers["cache-control"] == "public, max-age=30"
    names = [node["name"] for node in page.body["data"]["services"]["nodes"]]
    assert [item["title"] for item in renamed.body["data"]["services"]["items"]] == names
