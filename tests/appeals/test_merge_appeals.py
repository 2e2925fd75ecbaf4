"""Duplicates and mergeAppeals (并单): suggestions need the same category, 200 m and shared
words; a merge makes one reply answer every resident; bad merges change nothing."""

from __future__ import annotations

import asyncio

import httpx

from tests.appeals.conftest import (
    CENTRE,
    DETAIL,
    MERGE,
    RATE,
    REPLY,
    SPOT,
    URBAN,
    WATER,
    act,
    drain,
    file,
    resident,
    resident_inbox,
    staff_token,
)
from tests.conftest import RunningApp

FIRST = "春熙路口每天晚上有流动摊贩占用人行道摆摊，行人只能走机动车道，很危险。"
SECOND = "春熙路口晚上流动摊贩摆摊占用人行道，行人没法走，请城管管一管。"
DUPLICATES = (
    "query($id: ID!) { appeal(id: $id) { likelyDuplicates { distanceMeters similarity "
    "appeal { number } } mergedAppeals { number status } } }"
)
# About 30 m north-east of SPOT, and about 1 km away.
NEAR = {"lat": SPOT[0] + 0.0002, "lng": SPOT[1] + 0.0002}
FAR = {"lat": SPOT[0] + 0.01, "lng": SPOT[1]}


async def _pair(seeded: RunningApp, wechat: httpx.AsyncClient) -> tuple:
    one, two = await resident(seeded, wechat, "a"), await resident(seeded, wechat, "b")
    first = await file(seeded, one, content=FIRST)
    second = await file(seeded, two, content=SECOND, location=NEAR)
    return one, two, first, second


async def test_likely_duplicates_are_suggested_to_staff_only(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    one, _two, first, second = await _pair(seeded, wechat)
    other = await resident(seeded, wechat, "c")
    far = await file(seeded, other, content=SECOND, location=FAR)
    unrelated = await file(
        seeded, other, content="春熙路的井盖缺了一块，晚上看不见容易摔倒。", location=NEAR
    )
    other_category = await file(seeded, other, categoryCode="0106", content=SECOND, location=NEAR)
    urban = await staff_token(seeded, URBAN)

    staff_view = await seeded.gql.data(DUPLICATES, {"id": first["id"]}, token=urban)
    resident_view = await seeded.gql.data(DUPLICATES, {"id": first["id"]}, token=one.token)

    found = staff_view["appeal"]["likelyDuplicates"]
    assert [d["appeal"]["number"] for d in found] == [second["number"]]
    assert 20 < found[0]["distanceMeters"] < 40
    assert found[0]["similarity"] >= 0.3
    numbers = {d["appeal"]["number"] for d in found}
    assert not numbers & {far["number"], unrelated["number"], other_category["number"]}
    assert resident_view["appeal"]["likelyDuplicates"] == []


async def test_merged_appeals_are_answered_by_one_reply(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    one, two, first, second = await _pair(seeded, wechat)
    urban = await staff_token(seeded, URBAN)

    merged = await act(seeded, MERGE, urban, targetId=first["id"], appealIds=[second["id"]])
    child = await seeded.gql.data(DETAIL, {"id": second["id"]}, token=two.token)
    replied = await act(
        seeded, REPLY, urban, appealId=first["id"], content="已清理占道摊点，并安排每晚巡查。"
    )
    await drain(seeded)
    child_after = await seeded.gql.data(DETAIL, {"id": second["id"]}, token=two.token)
    listing = await seeded.gql.data(DUPLICATES, {"id": first["id"]}, token=urban)
    rated = await act(seeded, RATE, two.token, appealId=second["id"], level="SATISFIED")

    assert merged["__typename"] == "Appeal"
    assert merged["events"][-1]["type"] == "ABSORBED"
    assert child["appeal"]["status"] == "MERGED"
    assert child["appeal"]["events"][-1]["note"] == f"并入 {first['number']}"
    assert replied["status"] == "REPLIED"
    assert child_after["appeal"]["replies"][0]["content"] == "已清理占道摊点，并安排每晚巡查。"
    assert listing["appeal"]["mergedAppeals"] == [{"number": second["number"], "status": "MERGED"}]
    assert any("已答复" in body for _, body in await resident_inbox(one))
    assert any("合并答复" in body for _, body in await resident_inbox(two))
    assert rated["rating"]["level"] == "SATISFIED"


async def test_merging_needs_the_same_category_and_rights_over_every_appeal(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    _one, two, first, second = await _pair(seeded, wechat)
    water_appeal = await file(seeded, two, categoryCode="0401", content="停水了")
    urban, water, centre = (
        await staff_token(seeded, URBAN),
        await staff_token(seeded, WATER),
        await staff_token(seeded, CENTRE),
    )

    itself = await act(seeded, MERGE, urban, targetId=first["id"], appealIds=[first["id"]])
    empty = await act(seeded, MERGE, urban, targetId=first["id"], appealIds=[])
    stranger = await act(seeded, MERGE, water, targetId=first["id"], appealIds=[second["id"]])
    not_theirs = await act(
        seeded, MERGE, urban, targetId=first["id"], appealIds=[water_appeal["id"]]
    )
    mismatch = await act(
        seeded, MERGE, centre, targetId=first["id"], appealIds=[water_appeal["id"]]
    )
    too_many = await act(seeded, MERGE, centre, targetId=first["id"], appealIds=[second["id"]] * 21)
    after = await seeded.gql.data(DETAIL, {"id": second["id"]}, token=urban)

    assert itself["code"] == "CANNOT_MERGE_INTO_ITSELF"
    assert empty["code"] == "NOTHING_TO_MERGE"
    assert stranger["code"] == "NOT_FOUND"
    assert (not_theirs["code"], not_theirs["field"]) == ("NOT_FOUND", "appealIds[0]")
    assert mismatch["code"] == "CATEGORY_MISMATCH"
    assert too_many["code"] == "TOO_MANY_APPEALS"
    assert after["appeal"]["status"] == "DISPATCHED"


async def test_two_opposite_merges_at_once_leave_no_cycle(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    _one, _two, first, second = await _pair(seeded, wechat)
    centre, urban = await staff_token(seeded, CENTRE), await staff_token(seeded, URBAN)

    results = await asyncio.gather(
        act(seeded, MERGE, centre, targetId=first["id"], appealIds=[second["id"]]),
        act(seeded, MERGE, urban, targetId=second["id"], appealIds=[first["id"]]),
    )

    assert sorted(r["__typename"] for r in results) == ["Appeal", "MergeAppealsError"]
    statuses = []
    for appeal in (first, second):
        found = await seeded.gql.data(DETAIL, {"id": appeal["id"]}, token=centre)
        statuses.append(found["appeal"]["status"])
    statuses.sort()
    assert statuses == ["DISPATCHED", "MERGED"]
