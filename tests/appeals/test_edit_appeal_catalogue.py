"""The 12345 centre edits the dispatch catalogue and table through the API: each change a
new catalogue version with an audit row, categories retired rather than deleted, filings
and dispatch following the rows as they stand, bad edits refused with a code and a field."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from resolvers.reference import VERSION_TTL_SECONDS
from storage.models.accounts import AuditEvent
from storage.models.appeals import AppealCatalogueChange
from tests.appeals.conftest import (
    CENTRE,
    CHUNXI_STREET,
    FILE,
    URBAN,
    WATER,
    admin_token,
    file,
    resident,
    staff_token,
)
from tests.conftest import RunningApp
from tests.processes import api_processes
from tests.sql import count_statements

CATEGORY_FIELDS = "code name description keywords active version parent { code }"
UPSERT = (
    "mutation($input: UpsertAppealCategoryInput!) { upsertAppealCategory(input: $input) { "
    f"__typename ... on AppealCategory {{ {CATEGORY_FIELDS} }} "
    "... on UpsertAppealCategoryError { errorCode: code message field } } }"
)
RETIRE = (
    "mutation($input: RetireAppealCategoryInput!) { retireAppealCategory(input: $input) { "
    f"__typename ... on AppealCategory {{ {CATEGORY_FIELDS} }} "
    "... on RetireAppealCategoryError { errorCode: code message field } } }"
)
ROUTE_FIELDS = "version category { code } region { code } department { code }"
SET_ROUTE = (
    "mutation($input: SetAppealRouteInput!) { setAppealRoute(input: $input) { "
    f"__typename ... on AppealRouteChange {{ {ROUTE_FIELDS} }} "
    "... on SetAppealRouteError { errorCode: code message field } } }"
)
REMOVE_ROUTE = (
    "mutation($input: RemoveAppealRouteInput!) { removeAppealRoute(input: $input) { "
    f"__typename ... on AppealRouteChange {{ {ROUTE_FIELDS} }} "
    "... on RemoveAppealRouteError { errorCode: code message field } } }"
)
TREE = "{ appealCategories { code active children { code name active version } } }"
TREE_ALL = "{ appealCategories(includeRetired: true) { code active children { code active } } }"
STREET_LAMP = {
    "code": "1402",
    "parentCode": "14",
    "name": "智慧灯杆",
    "description": "多功能智慧灯杆的显示屏、充电桩和摄像头故障",
    "keywords": ["智慧灯杆", "充电桩"],
}


async def run(running: RunningApp, document: str, token: str | None, **values: Any) -> Any:
    data = (await running.gql(document, {"input": values}, token=token)).data
    return next(iter(data.values()))


def leaves(tree: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["code"]: c for g in tree["appealCategories"] for c in g["children"]}


async def test_the_centre_adds_a_category_and_routes_it(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    centre = await staff_token(seeded, CENTRE)
    program = await resident(seeded, wechat, "a")
    before = await seeded.gql.data(TREE)  # anonymous: the answer cached whole

    added = await run(seeded, UPSERT, centre, **STREET_LAMP)
    after = await seeded.gql.data(TREE)
    queued = await file(seeded, program, categoryCode="1402", channel="WEB_HALL")
    routed = await run(
        seeded, SET_ROUTE, centre, categoryCode="1402", regionCode="510104", departmentCode=URBAN
    )
    dispatched = await file(seeded, program, categoryCode="1402", channel="WEB_HALL")
    removed = await run(seeded, REMOVE_ROUTE, centre, categoryCode="1402", regionCode="510104")
    queued_again = await file(seeded, program, categoryCode="1402", channel="WEB_HALL")

    assert "1402" not in leaves(before)
    assert added == {
        "__typename": "AppealCategory",
        "code": "1402",
        "name": "智慧灯杆",
        "description": STREET_LAMP["description"],
        "keywords": ["智慧灯杆", "充电桩"],
        "active": True,
        "version": 1,
        "parent": {"code": "14"},
    }
    assert leaves(after)["1402"] == {
        "code": "1402",
        "name": "智慧灯杆",
        "active": True,
        "version": 1,
    }
    assert (queued["status"], queued["department"]) == ("SUBMITTED", None)
    assert routed == {
        "__typename": "AppealRouteChange",
        "version": 2,
        "category": {"code": "1402"},
        "region": {"code": "510104"},
        "department": {"code": URBAN},
    }
    # The street is in 锦江区: the county's row applies below it.
    assert dispatched["department"]["code"] == URBAN
    assert removed["version"] == 3
    assert removed["department"] is None
    assert (queued_again["status"], queued_again["department"]) == ("SUBMITTED", None)
    # Every change is versioned and audited: who, when, what.
    changes = await AppealCatalogueChange.all().order_by("version")
    assert [(c.version, c.action, c.subject) for c in changes] == [
        (1, "CATEGORY_UPSERTED", "1402"),
        (2, "ROUTE_SET", "1402@510104"),
        (3, "ROUTE_REMOVED", "1402@510104"),
    ]
    assert changes[1].after == {"departmentCode": URBAN}
    assert changes[2].before == {"departmentCode": URBAN}
    audit = await AuditEvent.filter(action__startswith="appeal_catalogue.").order_by("at")
    assert [a.detail for a in audit] == [
        "version 1: 1402",
        "version 2: 1402@510104",
        "version 3: 1402@510104",
    ]
    assert {a.actor_id for a in audit} == {changes[0].actor_id}


@pytest.mark.processes
async def test_a_route_set_through_one_process_dispatches_filings_through_the_other(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    """Each process holds the dispatch table in memory: an edit through one reaches filings
    through another once that one checks the catalogue version again (within a second)."""
    settings = seeded.settings
    if settings.embedded_redis or not settings.database_url.startswith("postgres"):
        pytest.skip("two processes share state only through real PostgreSQL and Redis")
    centre = await staff_token(seeded, CENTRE)
    program = await resident(seeded, wechat, "a")
    assert (await run(seeded, UPSERT, centre, **STREET_LAMP))["__typename"] == "AppealCategory"
    filing = {
        "kind": "COMPLAINT",
        "categoryCode": "1402",
        "content": "春熙路口的智慧灯杆显示屏坏了，晚上一直闪烁。",
        "regionCode": CHUNXI_STREET,
        "documentIds": [],
        "channel": "WEB_HALL",
    }
    route = {"categoryCode": "1402", "regionCode": "510104", "departmentCode": URBAN}

    with api_processes(settings, 2) as (one, two):
        async with httpx.AsyncClient(timeout=30) as client:

            async def gql(url: str, document: str, values: Any, token: str) -> Any:
                response = await client.post(
                    f"{url}/graphql",
                    json={"query": document, "variables": {"input": values}},
                    headers={"authorization": f"Bearer {token}"},
                )
                assert response.status_code == 200, response.text
                return next(iter(response.json()["data"].values()))

            assert program.token is not None
            queued = await gql(two, FILE, filing, program.token)  # the second holds the table
            routed = await gql(one, SET_ROUTE, route, centre)
            await asyncio.sleep(VERSION_TTL_SECONDS + 0.5)
            dispatched = await gql(two, FILE, filing, program.token)

    assert (queued["status"], queued["department"]) == ("SUBMITTED", None)
    assert routed["__typename"] == "AppealRouteChange"
    assert dispatched["department"]["code"] == URBAN


async def test_a_retired_category_stays_for_its_appeals_but_is_never_chosen(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    admin = await admin_token(seeded)
    program = await resident(seeded, wechat, "a")
    earlier = await file(seeded, program, channel="WEB_HALL")  # 0101 占道经营

    retired = await run(seeded, RETIRE, admin, code="0101")
    again = await run(seeded, RETIRE, admin, code="0101")
    refused = await file(seeded, program, channel="WEB_HALL")
    group = await run(seeded, RETIRE, admin, code="02")
    in_group = await file(seeded, program, categoryCode="0201", channel="WEB_HALL")
    shown = await seeded.gql.data(TREE)
    everything = await seeded.gql.data(TREE_ALL)
    old = await seeded.gql.data(
        "query($id: ID!) { appeal(id: $id) { category { code name active } } }",
        {"id": earlier["id"]},
        token=program.token,
    )

    assert (retired["active"], retired["version"]) == (False, 1)
    assert (again["errorCode"], again["field"]) == ("CATEGORY_RETIRED", "code")
    assert (refused["code"], refused["field"]) == ("CATEGORY_RETIRED", "categoryCode")
    assert group["active"] is False
    assert (in_group["code"], in_group["field"]) == ("CATEGORY_RETIRED", "categoryCode")
    assert "0101" not in leaves(shown)
    assert "02" not in {g["code"] for g in shown["appealCategories"]}
    assert leaves(everything)["0101"]["active"] is False
    assert {g["code"]: g["active"] for g in everything["appealCategories"]}["02"] is False
    assert old["appeal"]["category"] == {"code": "0101", "name": "占道经营", "active": False}
    # Reactivated by an edit, it is chosen again.
    back = await run(
        seeded, UPSERT, admin, code="0101", parentCode="01", name="占道经营", active=True,
        description="商贩占用道路、人行道或公共场所经营",
    )  # fmt: skip
    assert (back["active"], back["version"]) == (True, 3)
    assert (await file(seeded, program, channel="WEB_HALL"))["status"] == "DISPATCHED"


async def test_an_edit_that_changes_nothing_makes_no_version(seeded: RunningApp) -> None:
    centre = await staff_token(seeded, CENTRE)
    await run(seeded, UPSERT, centre, **STREET_LAMP)
    await run(
        seeded, SET_ROUTE, centre, categoryCode="1402", regionCode="510100", departmentCode=WATER
    )

    same = await run(seeded, UPSERT, centre, **STREET_LAMP)
    same_route = await run(
        seeded, SET_ROUTE, centre, categoryCode="1402", regionCode="510100", departmentCode=WATER
    )
    renamed = await run(seeded, UPSERT, centre, **{**STREET_LAMP, "name": "多功能灯杆"})

    assert same["version"] == 1
    assert same_route["version"] == 2
    assert renamed["version"] == 3
    assert await AppealCatalogueChange.all().count() == 3


async def test_bad_edits_are_refused_with_a_code_and_a_field(seeded: RunningApp) -> None:
    centre = await staff_token(seeded, CENTRE)
    await run(seeded, RETIRE, centre, code="0102")
    lamp = STREET_LAMP
    cases: list[tuple[str, dict[str, Any], tuple[str, str]]] = [
        (UPSERT, {**lamp, "code": "14-02"}, ("INVALID_INPUT", "code")),
        (UPSERT, {**lamp, "code": "0902"}, ("INVALID_INPUT", "code")),  # not in group 14
        (UPSERT, {**lamp, "parentCode": "99", "code": "9901"}, ("CATEGORY_NOT_FOUND", "parentCode")),
        (UPSERT, {**lamp, "parentCode": "1401", "code": "140101"}, ("CATEGORY_NOT_FOUND", "parentCode")),
        (UPSERT, {**lamp, "code": "0101", "parentCode": None}, ("INVALID_INPUT", "parentCode")),
        (UPSERT, {**lamp, "name": "  "}, ("INVALID_INPUT", "name")),
        (UPSERT, {**lamp, "name": "名" * 33}, ("INVALID_INPUT", "name")),
        (UPSERT, {**lamp, "description": "说" * 201}, ("INVALID_INPUT", "description")),
        (UPSERT, {**lamp, "keywords": [f"词{i}" for i in range(21)]}, ("INVALID_INPUT", "keywords")),
        (UPSERT, {**lamp, "keywords": ["灯杆,充电"]}, ("INVALID_INPUT", "keywords")),
        (RETIRE, {"code": "9999"}, ("CATEGORY_NOT_FOUND", "code")),
        (
            SET_ROUTE,
            {"categoryCode": "0102", "regionCode": "510104", "departmentCode": URBAN},
            ("CATEGORY_RETIRED", "categoryCode"),
        ),
        (
            SET_ROUTE,
            {"categoryCode": "0103", "regionCode": "999999", "departmentCode": URBAN},
            ("REGION_NOT_FOUND", "regionCode"),
        ),
        (
            SET_ROUTE,
            {"categoryCode": "0103", "regionCode": "510104", "departmentCode": "NOPE"},
            ("DEPARTMENT_NOT_FOUND", "departmentCode"),
        ),
        (
            REMOVE_ROUTE,
            {"categoryCode": "0404", "regionCode": CHUNXI_STREET},
            ("ROUTE_NOT_FOUND", "regionCode"),
        ),
    ]  # fmt: skip

    answers = [await run(seeded, document, centre, **values) for document, values, _ in cases]

    assert [(a.get("errorCode"), a.get("field")) for a in answers] == [want for *_, want in cases]
    assert all(a["message"] for a in answers)
    assert await AppealCatalogueChange.all().count() == 1  # only the retirement above


async def test_the_catalogue_stays_within_its_bounds(seeded: RunningApp) -> None:
    admin = await admin_token(seeded)
    groups = len((await seeded.gql.data(TREE_ALL))["appealCategories"])

    added = [
        await run(seeded, UPSERT, admin, code=f"{n}", name=f"分组{n}")
        for n in range(50, 50 + 30 - groups)
    ]
    refused = await run(seeded, UPSERT, admin, code="99", name="分组99")

    assert all(a["__typename"] == "AppealCategory" for a in added)
    assert (refused["errorCode"], refused["field"]) == ("CATALOGUE_TOO_LARGE", "parentCode")
    with count_statements() as statements:
        tree = await seeded.gql.data(TREE_ALL, token=admin)
    assert len(tree["appealCategories"]) == 30
    # groups, their children, nothing per category (the session may be read once)
    assert statements.count <= 3, statements.texts


async def test_only_the_centre_and_admin_edit(seeded: RunningApp) -> None:
    officer = await staff_token(seeded, URBAN)

    upsert = await run(seeded, UPSERT, officer, **STREET_LAMP)
    route = await run(
        seeded, SET_ROUTE, None, categoryCode="0101", regionCode="510104", departmentCode=WATER
    )

    assert upsert["errorCode"] == "FORBIDDEN"
    assert route["errorCode"] == "UNAUTHENTICATED"
    assert await AppealCatalogueChange.all().count() == 0


async def test_a_re_seed_leaves_the_centre_s_table_alone(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    from api.seed import seed_appeal_routes

    centre = await staff_token(seeded, CENTRE)
    program = await resident(seeded, wechat, "a")
    removed = await run(seeded, REMOVE_ROUTE, centre, categoryCode="0101", regionCode="510100")

    added = await seed_appeal_routes()
    filed = await file(seeded, program, channel="WEB_HALL")

    assert removed["department"] is None
    assert added == 0
    assert (filed["status"], filed["department"]) == ("SUBMITTED", None)
