"""Public reads answered by a plan (schema/plans.py) answer exactly what graphql-core's executor
answers: every request below is sent twice to the same app without a response cache, once
with plans and once without, and the two answers must be the same. Requests a plan cannot
finish go to the executor; documents plans do not cover get no plan."""

from __future__ import annotations

import enum
from collections.abc import AsyncIterator
from typing import Any

import pytest
import strawberry
from graphql import GraphQLEnumType
from graphql.execution.values import get_variable_values

import schema.catalogue.types as catalogue_types
import schema.plans as plans
from api.app import PERSISTED_OPERATIONS
from api.preparation import Preparer, load_registered
from resolvers.catalogue.rules import basic_code_of
from schema.plans import Plan, Unplanned, _serialiser, plan_of
from schema.root import PUBLIC_CATALOGUE_FIELDS, build_schema
from tests.catalogue.conftest import seeded_catalogue
from tests.conftest import RunningApp, ServerThread
from tests.sql import count_statements

GUIDE = """
query Guide($code: String!) {
  service(code: $code) {
    __typename
    code
    title: name
    ...Terms
    ... on Service { fee visits onlineDepth channels isFree feeItems { name amountFen } }
    steps { name description }
    faqs { question answer }
    materials { name necessity source documentKind original copies }
    department { code name region { code name parent { name } } }
    region { code name level }
  }
}
fragment Terms on Service { legalBasis conditions statutoryDays promisedDays validFrom }
"""
PAGE = """
query Page($region: String, $first: Int) {
  services(filter: {regionCode: $region}, first: $first) {
    totalCount
    nodes { code name visits department { name } region { name } }
    pageInfo { hasNextPage endCursor }
  }
}
"""

BY_BASIC_CODE = """
query ByBasicCode($code: String!, $region: String) {
  service(code: $code, regionCode: $region) { code region { code } materials { name } }
}
"""


def registered(name: str) -> str:
    """The text of the mini-program's registered operation `name`."""
    return load_registered(PERSISTED_OPERATIONS)[name]


@pytest.fixture(scope="module")
async def uncached(
    database_url: str,
    redis_url: str,
    tmp_path_factory: pytest.TempPathFactory,
    mock_wechat_server: ServerThread,
) -> AsyncIterator[RunningApp]:
    """The demo catalogue, served without the response cache: every answer is executed."""
    async for app in seeded_catalogue(
        database_url, redis_url, tmp_path_factory, mock_wechat_server, response_cache=False
    ):
        yield app


@pytest.fixture
def planned(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The operations a plan answered, in order (a plan that raised Unplanned is not here)."""
    answered: list[str] = []
    run = Plan.run

    async def counted(self: Plan, context: Any, variables: Any) -> Any:
        data = await run(self, context, variables)
        answered.append(self._operation.name.value if self._operation.name else "")
        return data

    monkeypatch.setattr(Plan, "run", counted)
    return answered


def _located(body: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The answer's errors as the client reads them, without the request id each carries."""
    errors = body.get("errors")
    if errors is None:
        return None
    return [
        e | {"extensions": {k: v for k, v in e.get("extensions", {}).items() if k != "requestId"}}
        for e in errors
    ]


async def both_ways(
    app: RunningApp, monkeypatch: pytest.MonkeyPatch, query: str, variables: dict[str, Any]
) -> dict[str, Any]:
    """The answer with plans, checked equal to the answer without them."""
    with_plans = await app.gql(query, variables)
    with monkeypatch.context() as patch:
        patch.setattr(Preparer, "plan", lambda self, operation: None)
        without = await app.gql(query, variables)
    assert with_plans.status == without.status
    assert _located(with_plans.body) == _located(without.body)
    assert with_plans.body.get("data") == without.body.get("data")
    # What the answer cost: a plan counts its objects as it builds them, the executor's
    # answer is walked.
    cost = with_plans.body["extensions"]["cost"]
    assert cost["actual"] == without.body["extensions"]["cost"]["actual"]
    assert cost["requested"] == without.body["extensions"]["cost"]["requested"]
    return with_plans.body


async def test_guides_pages_and_searches_are_answered_by_their_plans_as_executed(
    uncached: RunningApp, planned: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    page = await both_ways(uncached, monkeypatch, PAGE, {"first": 20})
    nodes = page["data"]["services"]["nodes"]
    assert len(nodes) > 5
    assert all(node["department"]["name"] for node in nodes)
    regions = {}
    for node in nodes[:8]:
        guide = await both_ways(uncached, monkeypatch, GUIDE, {"code": node["code"]})
        assert "errors" not in guide, guide
        assert guide["data"]["service"]["code"] == node["code"]
        assert guide["data"]["service"]["materials"]
        regions[node["code"]] = guide["data"]["service"]["region"]["code"]
        guide = await both_ways(
            uncached, monkeypatch, registered("ServiceGuide"), {"code": node["code"]}
        )
        assert guide["data"]["service"]["code"] == node["code"]
    # A basic code with a region, with none, and with null: the arguments are scalars, only
    # renamed to the resolver's parameters.
    base = {"code": basic_code_of(nodes[0]["code"])}
    found = await both_ways(
        uncached, monkeypatch, BY_BASIC_CODE, base | {"region": regions[nodes[0]["code"]]}
    )
    assert found["data"]["service"]["code"] == nodes[0]["code"]
    assert found["data"]["service"]["materials"]
    for nothing in ({"region": None}, {}):  # a basic code alone names no guide
        assert (await both_ways(uncached, monkeypatch, BY_BASIC_CODE, base | nothing))["data"] == {
            "service": None
        }
    # Twice over: the second time the plan reuses the filter it converted the first time.
    for keyword in ("身份证", "shenfenzheng", "户口", "营业执照", "jsz") * 2:
        await both_ways(
            uncached, monkeypatch, registered("SearchServices"), {"keyword": keyword, "first": 10}
        )
    await both_ways(uncached, monkeypatch, registered("Themes"), {})
    second = {"first": 5, "after": page["data"]["services"]["pageInfo"]["endCursor"]}
    await both_ways(uncached, monkeypatch, PAGE, second)

    assert planned.count("Guide") == 8
    assert planned.count("ServiceGuide") == 8
    assert planned.count("SearchServices") == 10
    assert planned.count("Page") == 2
    assert planned.count("ByBasicCode") == 3
    assert "Themes" in planned


async def test_a_null_guide_and_bad_variables_answer_as_executed(
    uncached: RunningApp, planned: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    unknown = await both_ways(uncached, monkeypatch, GUIDE, {"code": "no-such-code"})
    assert unknown["data"] == {"service": None}
    assert planned == ["Guide"]  # a null guide is the plan's own answer

    wrong = await both_ways(uncached, monkeypatch, GUIDE, {"code": 12})
    assert wrong["errors"]
    assert "data" not in wrong
    missing = await both_ways(uncached, monkeypatch, GUIDE, {})
    assert missing["errors"]
    for first in ("twenty", 2**31, True, None):
        page = await both_ways(uncached, monkeypatch, PAGE, {"first": first})
        assert ("errors" in page) is (first is not None), first
    assert planned == ["Guide", "Page"]  # the executor words those refusals


async def test_variables_given_as_coercing_keeps_them_are_taken_as_they_are(
    uncached: RunningApp, planned: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A code given as a str, a size as an int within 32 bits, a region left out or null:
    the plan takes them as graphql-core's coercion would leave them, without it; anything
    else goes through it."""
    coerced: list[dict[str, Any]] = []
    coerce = get_variable_values

    def counted(schema: Any, definitions: Any, given: dict[str, Any]) -> Any:
        coerced.append(given)
        return coerce(schema, definitions, given)

    monkeypatch.setattr(plans, "get_variable_values", counted)
    node = (await uncached.gql.data(PAGE, {"first": 1}))["services"]["nodes"][0]
    base = basic_code_of(node["code"])
    await both_ways(uncached, monkeypatch, GUIDE, {"code": node["code"]})
    await both_ways(uncached, monkeypatch, BY_BASIC_CODE, {"code": base, "region": None})
    await both_ways(uncached, monkeypatch, BY_BASIC_CODE, {"code": base})
    assert coerced == []
    await both_ways(uncached, monkeypatch, PAGE, {"first": 2**31})

    assert coerced == [{"first": 2**31}]
    assert planned == ["Page", "Guide", "ByBasicCode", "ByBasicCode"]


@pytest.mark.parametrize(
    ("attribute", "value", "planned_answers"),
    [
        ("name", 12345, True),  # an int where a String is promised: written as text
        ("visits", True, True),  # a bool where an Int is promised: written as 1
        ("visits", 2**31, False),  # beyond 32 bits: the executor's error
        ("legal_basis", None, False),  # a null where a value is promised: the executor's error
    ],
)
async def test_values_not_already_what_they_serialise_to_answer_as_executed(
    uncached: RunningApp,
    planned: list[str],
    monkeypatch: pytest.MonkeyPatch,
    attribute: str,
    value: Any,
    planned_answers: bool,
) -> None:
    """A plan takes a str, a bool or a 32-bit int as it is; any other value goes through the
    field's serialiser, or to the executor, as the executor would have it."""
    code = (await uncached.gql.data(PAGE, {"first": 1}))["services"]["nodes"][0]["code"]
    of = catalogue_types.Service.of

    def odd(cls: Any, row: Any, materials: Any = None) -> Any:
        built = of(row, materials)
        setattr(built, attribute, value)
        return built

    monkeypatch.setattr(catalogue_types.Service, "of", classmethod(odd))
    planned.clear()
    answer = await both_ways(uncached, monkeypatch, GUIDE, {"code": code})
    assert planned == (["Guide"] if planned_answers else [])
    if planned_answers:
        service = answer["data"]["service"]
        assert service["title" if attribute == "name" else "visits"] in ("12345", 1)
    else:
        assert answer["errors"]


@strawberry.enum
class Level(enum.Enum):
    LOW = "low"
    HIGH = "high"
    TOP = "high"  # noqa: PIE796 (an alias of HIGH, on purpose)


@strawberry.type
class LevelQuery:
    level: Level = Level.LOW


def test_an_enum_is_named_as_strawberry_names_it() -> None:
    """The plans' table of an enum's names gives what strawberry's serialiser gives, for an
    alias too (its first name), and leaves anything else to that serialiser."""
    kind = strawberry.Schema(query=LevelQuery)._schema.get_type("Level")
    assert isinstance(kind, GraphQLEnumType)
    serialise = _serialiser(kind)
    for member in (Level.LOW, Level.HIGH, Level.TOP):
        assert serialise(member) == kind.serialize(member)
    assert serialise("low") == kind.serialize("low")


async def test_a_plan_a_resolver_cannot_run_under_is_left_to_the_executor_from_then_on(
    uncached: RunningApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A resolver asking `info` for more than plans give (its selection, its whole path)
    raises a lasting Unplanned: that request and every later one go to the executor."""
    query = "query WithBase($code: String!) { service(code: $code) { id code baseCode } }"
    codes = [
        node["code"] for node in (await uncached.gql.data(PAGE, {"first": 3}))["services"]["nodes"]
    ]
    asked: list[str] = []

    def first_time_asks_for_more(code: str) -> str:
        if not asked:
            asked.append(code)
            raise Unplanned("info.field_nodes", lasting=True)
        return basic_code_of(code)

    monkeypatch.setattr(catalogue_types, "basic_code_of", first_time_asks_for_more)
    attempts: list[bool] = []
    run = Plan.run

    async def watched(self: Plan, context: Any, variables: Any) -> Any:
        try:
            data = await run(self, context, variables)
        except Unplanned:
            attempts.append(False)
            raise
        attempts.append(True)
        return data

    monkeypatch.setattr(Plan, "run", watched)
    for code in codes:
        answer = await both_ways(uncached, monkeypatch, query, {"code": code})
        assert answer["data"]["service"]["baseCode"] == basic_code_of(code)
        assert answer["data"]["service"]["id"]
    assert attempts == [False]  # tried once; the plan is not tried again


async def test_a_page_of_cards_costs_the_same_statements_with_its_plan(
    uncached: RunningApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The plan gathers the cards' loads as the executor does, so that a page's departments
    and regions are read in one batch each (never one card at a time)."""
    await uncached.gql.data(PAGE, {"first": 20, "region": "510104"})
    uncached.resources.reference.forget()  # regions and departments through the loaders

    with count_statements() as planned:
        await uncached.gql.data(PAGE, {"first": 20, "region": "510104"})
    uncached.resources.reference.forget()
    with monkeypatch.context() as patch:
        patch.setattr(Preparer, "plan", lambda self, operation: None)
        with count_statements() as executed:
            await uncached.gql.data(PAGE, {"first": 20, "region": "510104"})
    assert planned.count == executed.count, (planned.texts, executed.texts)


@pytest.mark.parametrize(
    "document",
    [
        "mutation M { __typename }",
        "query Own { me { id } }",
        "query Mixed($code: String!) { service(code: $code) { code } me { id } }",
        "query Skipped($s: Boolean!) { services(first: 1) @skip(if: $s) { totalCount } }",
        "query Merged { services(first: 1) { totalCount } services(first: 1) { totalCount } }",
        'query Node { node(id: "x") { id } }',
        "query Introspection { __schema { queryType { name } } }",
    ],
)
def test_documents_outside_public_reads_get_no_plan(document: str) -> None:
    from graphql import parse

    assert plan_of(build_schema(), parse(document), None, PUBLIC_CATALOGUE_FIELDS) is None


def test_public_reads_with_fragments_and_aliases_get_a_plan() -> None:
    from graphql import parse

    assert plan_of(build_schema(), parse(GUIDE), "Guide", PUBLIC_CATALOGUE_FIELDS) is not None
    assert plan_of(build_schema(), parse(PAGE), None, PUBLIC_CATALOGUE_FIELDS) is not None
    assert plan_of(build_schema(), parse(GUIDE + PAGE), "Other", PUBLIC_CATALOGUE_FIELDS) is None
