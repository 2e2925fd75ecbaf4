"""What the catalogue's hot reads cost the database, counted in statements: a guide by code is
one (its materials come in the same statement; regions and departments from memory), a keyword
search one (the index knows what matches), a cached page none; and the search index is built
before the first request, so the first search costs what the hundredth does."""

from __future__ import annotations

import httpx
import pytest
from asgi_lifespan import LifespanManager

from api.app import create_app
from resolvers.settings import Settings
from tests.conftest import RunningApp, postgres_only
from tests.sql import count_statements

pytestmark = postgres_only(
    "statement counts are those of PostgreSQL, the benchmark's database (SQLite reads a guide in two)"
)

GUIDE = (
    "query Guide($code: String!) { service(code: $code) { code name legalBasis conditions "
    "statutoryDays promisedDays fee visits onlineDepth channels address hours phone "
    "complaintPhone resultName steps { name } faqs { question answer } "
    "materials { name necessity source documentKind } department { name } region { name } } }"
)
PAGE = (
    "query Page($region: String) { services(filter: {regionCode: $region}, first: 20) "
    "{ nodes { code name visits onlineDepth department { name } region { name } } } }"
)
SEARCH = (
    "query Search($keyword: String!) { services(filter: {keyword: $keyword}, first: 20) "
    "{ nodes { code name region { name } } } }"
)


async def _codes(app: RunningApp) -> list[str]:
    data = await app.gql.data(PAGE, {"region": "510104"})
    return [node["code"] for node in data["services"]["nodes"]]


@postgres_only(
    "statement counts are those of PostgreSQL, the benchmark's database (SQLite reads a guide in two)"
)
async def test_a_guide_by_code_is_one_statement(catalogue: RunningApp) -> None:
    codes = await _codes(catalogue)
    counts = []
    for code in codes[:3]:  # each a first request: computed, not cached
        with count_statements() as counted:
            found = await catalogue.gql.data(GUIDE, {"code": code})
        assert found["service"]["code"] == code
        assert found["service"]["materials"]
        counts.append(counted.count)

    assert counts == [1, 1, 1]


async def test_a_guide_by_basic_code_and_region_still_finds_its_materials(
    catalogue: RunningApp,
) -> None:
    code = (await _codes(catalogue))[0]
    basic = code.split("-")[0]
    query = GUIDE.replace("$code: String!", "$code: String!, $region: String").replace(
        "service(code: $code)", "service(code: $code, regionCode: $region)"
    )

    by_code = await catalogue.gql.data(GUIDE, {"code": code})
    by_basic = await catalogue.gql.data(query, {"code": basic, "region": "510104"})

    assert by_basic["service"]["materials"] == by_code["service"]["materials"]


async def test_a_keyword_search_is_one_statement(catalogue: RunningApp) -> None:
    await catalogue.gql.data(SEARCH, {"keyword": "结婚"})  # the index, for this version
    counts = {}
    for keyword in ("身份证", "shenfenzheng", "sfz"):
        catalogue.resources.guides.forget()  # the page's rows not yet in the process's memory
        with count_statements() as counted:
            found = await catalogue.gql.data(SEARCH, {"keyword": keyword})
        assert found["services"]["nodes"], keyword
        counts[keyword] = counted.count

    assert counts == {"身份证": 1, "shenfenzheng": 1, "sfz": 1}


async def test_a_filtered_search_still_asks_the_database_for_the_filter(
    catalogue: RunningApp,
) -> None:
    query = SEARCH.replace("{keyword: $keyword}", "{keyword: $keyword, maxVisits: 0}").replace(
        "nodes { code", "nodes { visits code"
    )
    found = await catalogue.gql.data(query, {"keyword": "sfz"})

    assert all(node["visits"] == 0 for node in found["services"]["nodes"])


@pytest.mark.usefixtures("reference_current")
async def test_a_page_costs_its_statements_once_then_none(catalogue: RunningApp) -> None:
    variables = {"region": "510105"}
    with count_statements() as first:
        computed = await catalogue.gql.data(PAGE, variables)
    with count_statements() as again:
        cached = await catalogue.gql.data(PAGE, variables)

    assert cached == computed
    assert first.count <= 3  # the region, the page; names come from memory
    assert again.count == 0


async def test_the_first_search_after_start_costs_what_the_next_does(
    settings: Settings, seeded: RunningApp
) -> None:
    """A second app on the same database and Redis, started as a server starts it: its
    lifespan builds the index before it answers anything."""
    app = create_app(settings)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app, client=("203.0.113.8", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:

            async def search(keyword: str) -> int:
                with count_statements() as counted:
                    response = await client.post(
                        "/graphql", json={"query": SEARCH, "variables": {"keyword": keyword}}
                    )
                assert response.json()["data"]["services"]["nodes"], keyword
                return counted.count

            first = await search("sfz")
            app.state.resources.guides.forget()  # the same page's rows, read again
            next_ = await search("身份证")

    assert first == next_ == 1  # building the index would have read every published guide


async def test_each_new_connection_has_the_hot_reads_prepared(
    settings: Settings, seeded: RunningApp
) -> None:
    """A connection the pool opens under load plans the guide's and the search's statements
    (and learns their types) before any request waits on it."""
    from tortoise import connections

    from storage.repositories import catalogue as repository

    app = create_app(settings)
    async with LifespanManager(app):
        client = connections.get("default")
        await client._pool.expire_connections()  # the next one acquired is opened anew
        async with client.acquire_connection() as connection:
            prepared = {
                row["statement"]
                for row in await connection.fetch("SELECT statement FROM pg_prepared_statements")
            }

    assert repository._GUIDE_WITH_MATERIALS in prepared
    assert repository._IMPLEMENTATIONS_BY_IDS in prepared
