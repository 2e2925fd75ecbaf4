"""fileAppeal: automatic dispatch through the dispatch table (属地 before the city), the 12345
centre's queue for unmatched categories, photos from the wallet, the content check's
outcomes, and bad input that changes nothing."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from mock_wechat.server import MockState
from storage.models.appeals import Appeal
from tests.appeals.conftest import (
    CENTRE,
    CHUNXI_STREET,
    CITY_POLICE,
    JINJIANG,
    JINJIANG_POLICE,
    URBAN,
    drain,
    file,
    inbox_of,
    other_document,
    photo,
    resident,
    resident_inbox,
    staff_token,
)
from tests.conftest import RunningApp
from tests.documents.conftest import count_rows


async def test_an_appeal_is_dispatched_at_once_through_the_dispatch_table(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await resident(seeded, wechat, "a")
    picture = await photo(program)

    appeal = await file(seeded, program, documentIds=[picture])
    await drain(seeded)

    assert appeal["__typename"] == "Appeal", appeal
    assert appeal["status"] == "DISPATCHED"
    assert appeal["number"].startswith("SQ")
    assert appeal["department"]["code"] == URBAN  # 占道经营 -> 城市管理委员会
    assert appeal["channel"] == "MINI_PROGRAM"
    assert appeal["photos"] == [{"id": picture, "kind": "PHOTO"}]
    assert [e["type"] for e in appeal["events"]] == ["FILED", "DISPATCHED"]
    assert appeal["signDueDate"]
    assert appeal["dueDate"]
    assert appeal["returnableUntil"]
    assert any(title == "新的诉求工单" for title, _ in await inbox_of(URBAN))
    assert any("已转交承办部门" in body for _, body in await resident_inbox(program))


async def test_a_local_matter_goes_to_the_county_and_a_citywide_one_to_the_city(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await resident(seeded, wechat, "a")
    noise = "楼下酒吧每晚音响声音很大，到凌晨一点还不停，吵得无法入睡。"

    local = await file(seeded, program, categoryCode="0201", content=noise)
    citywide = await file(
        seeded, program, categoryCode="0201", content=noise, regionCode="510100", location=None
    )

    assert local["department"]["code"] == JINJIANG_POLICE  # a street of 锦江区 -> its police
    assert citywide["department"]["code"] == CITY_POLICE


async def test_a_category_without_a_route_waits_in_the_centre_queue(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await resident(seeded, wechat, "a")

    appeal = await file(seeded, program, categoryCode="0404", content="小区已经停电六个小时了。")
    centre = await staff_token(seeded, CENTRE)
    queue = await seeded.gql.data(
        "{ workItems(first: 10) { nodes { kind appeal { number } } } }", token=centre
    )

    assert appeal["status"] == "SUBMITTED"
    assert appeal["department"] is None
    assert appeal["dueDate"] is None
    assert {"kind": "APPEAL_DISPATCH", "appeal": {"number": appeal["number"]}} in queue[
        "workItems"
    ]["nodes"]


async def test_risky_content_is_refused_and_nothing_is_stored(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await resident(seeded, wechat, "a")

    refused = await file(seeded, program, content="这里有人聚众赌博，请来查处。")

    assert refused["__typename"] == "FileAppealError"
    assert refused["code"] == "CONTENT_RISKY"
    assert refused["field"] == "content"
    assert await count_rows("appeal") == 0
    assert await count_rows("appeal_event") == 0


async def test_content_for_review_is_held_for_a_moderator_and_reaches_no_department(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await resident(seeded, wechat, "a")

    held = await file(seeded, program, content="疑似有人在春熙路口违规摆摊，占用人行道。")

    assert held["status"] == "HELD"
    assert held["holdReason"] == "REVIEW"
    assert held["department"] is None
    assert [e["type"] for e in held["events"]] == ["FILED", "HELD"]
    urban = await staff_token(seeded, URBAN)
    assert (
        await seeded.gql.data(
            "query($id: ID!) { appeal(id: $id) { id } }", {"id": held["id"]}, token=urban
        )
    )["appeal"] is None


async def test_wechat_down_holds_the_appeal_pending_never_unchecked(
    seeded: RunningApp, wechat: httpx.AsyncClient, mock_state: MockState
) -> None:
    program = await resident(seeded, wechat, "a")
    await wechat.post(
        "/__mock__/fail", json={"path": "/wxa/msg_sec_check", "status": 503, "times": 5}
    )

    held = await file(seeded, program)

    assert held["status"] == "HELD"
    assert held["holdReason"] == "CHECK_PENDING"
    assert held["department"] is None


async def test_other_channels_skip_wechat_s_check(
    seeded: RunningApp, wechat: httpx.AsyncClient, mock_state: MockState
) -> None:
    program = await resident(seeded, wechat, "a")
    before = mock_state.calls.get("/wxa/msg_sec_check", 0)

    appeal = await file(seeded, program, channel="MOBILE_APP")

    assert appeal["status"] == "DISPATCHED"
    assert mock_state.calls.get("/wxa/msg_sec_check", 0) == before


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"content": "   "}, "CONTENT_REQUIRED", "content"),
        ({"content": "长" * 4001}, "CONTENT_TOO_LONG", "content"),
        ({"categoryCode": "9999"}, "CATEGORY_NOT_FOUND", "categoryCode"),
        ({"categoryCode": "01"}, "CATEGORY_NOT_FOUND", "categoryCode"),  # a group, not a leaf
        ({"regionCode": "999999"}, "REGION_NOT_FOUND", "regionCode"),
        ({"regionCode": "510122"}, "REGION_NOT_FOUND", "regionCode"),  # retired 双流县
        ({"location": {"lat": 123.0, "lng": 104.0}}, "LOCATION_INVALID", "location"),
        ({"channel": "SERVICE_HALL"}, "CHANNEL_NOT_ALLOWED", "channel"),
        ({"address": "地" * 201}, "INVALID_INPUT", "address"),
        ({"documentIds": ["RG9jdW1lbnQ6bm90LWEtdXVpZA=="]}, "PHOTO_NOT_FOUND", "documentIds[0]"),
    ],
)
async def test_bad_input_is_refused_and_changes_nothing(
    seeded: RunningApp,
    wechat: httpx.AsyncClient,
    overrides: dict[str, Any],
    code: str,
    field: str,
) -> None:
    program = await resident(seeded, wechat, "a")

    refused = await file(seeded, program, **overrides)

    assert refused["__typename"] == "FileAppealError", refused
    assert (refused["code"], refused["field"]) == (code, field)
    assert refused["message"]
    assert await count_rows("appeal") == 0


async def test_photos_must_be_the_resident_s_own_available_photos(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await resident(seeded, wechat, "a")
    stranger = await resident(seeded, wechat, "b")
    mine, theirs = await photo(program), await photo(stranger)
    pdf = await other_document(program)

    cases = {
        "PHOTO_NOT_FOUND": [theirs],
        "NOT_A_PHOTO": [pdf],
        "DUPLICATE_PHOTO": [mine, mine],
        "TOO_MANY_PHOTOS": [mine] * 10,
    }
    results = {code: await file(seeded, program, documentIds=ids) for code, ids in cases.items()}

    assert {code: r.get("code") for code, r in results.items()} == {c: c for c in cases}
    assert await count_rows("appeal") == 0


async def test_only_signed_in_residents_file(seeded: RunningApp, wechat: httpx.AsyncClient) -> None:
    officer = await staff_token(seeded, URBAN)
    variables = {
        "input": {
            "kind": "HELP",
            "categoryCode": "0101",
            "content": "测试",
            "regionCode": JINJIANG,
            "channel": "WEB_HALL",
        }
    }
    from tests.appeals.conftest import FILE

    anonymous = await seeded.gql(FILE, variables)
    staff = await seeded.gql(FILE, variables, token=officer)

    assert anonymous.data["fileAppeal"]["code"] == "UNAUTHENTICATED"
    assert staff.data["fileAppeal"]["code"] == "FORBIDDEN"
    assert await count_rows("appeal") == 0


async def test_filings_are_rate_limited_per_resident(
    settings_factory: Any, mock_state: MockState, wechat: httpx.AsyncClient
) -> None:
    from api.seed import seed_demo
    from tests.conftest import start_app

    async for running in start_app(settings_factory(appeals_per_hour=2)):
        await seed_demo(running.settings.model_copy(update={"demo_data": True}))
        program = await resident(running, wechat, "a")
        results = [await file(running, program, channel="WEB_HALL") for _ in range(3)]

        assert [r["__typename"] for r in results] == ["Appeal", "Appeal", "FileAppealError"]
        assert results[2]["code"] == "RATE_LIMITED"
        assert await Appeal.all().count() == 2


async def test_filings_at_once_get_distinct_numbers(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await resident(seeded, wechat, "a")

    results = await asyncio.gather(
        *(file(seeded, program, channel="WEB_HALL", regionCode=CHUNXI_STREET) for _ in range(4))
    )

    numbers = [r["number"] for r in results]
    assert len(set(numbers)) == 4
    assert all(r["status"] == "DISPATCHED" for r in results)


# -- a way to call back: a bound phone, or no reply wanted (建议, 表扬)


async def test_a_resident_without_a_phone_cannot_file_what_needs_an_answer(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await resident(seeded, wechat, "a", phone=False)

    complaint = await file(seeded, program)
    suggestion = await file(seeded, program, kind="SUGGESTION", categoryCode="1401")

    assert (complaint["code"], complaint["field"]) == ("PHONE_REQUIRED", None)
    assert "绑定手机号" in complaint["message"]
    # A suggestion could be filed without an answer: the error points at that way out.
    assert (suggestion["code"], suggestion["field"]) == ("PHONE_REQUIRED", "noReplyWanted")
    assert await count_rows("appeal") == 0


async def test_a_suggestion_or_praise_without_a_phone_is_filed_with_no_reply_wanted(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await resident(seeded, wechat, "a", phone=False)
    praise_text = "春熙路街道的环卫工人每天清扫得很干净，向他们致敬。"

    praise = await file(
        seeded, program, kind="PRAISE", content=praise_text, noReplyWanted=True, channel="WEB_HALL"
    )
    handler = await staff_token(seeded, URBAN)
    seen = await seeded.gql.data(
        "query($id: ID!) { appeal(id: $id) { kind replyWanted } }",
        {"id": praise["id"]},
        token=handler,
    )

    assert praise["__typename"] == "Appeal", praise
    assert praise["replyWanted"] is False
    assert seen["appeal"] == {"kind": "PRAISE", "replyWanted": False}
    assert await Appeal.filter(reply_wanted=False).count() == 1


async def test_no_reply_wanted_is_only_for_suggestions_and_praise(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await resident(seeded, wechat, "a")

    refused = {
        kind: await file(seeded, program, kind=kind, noReplyWanted=True)
        for kind in ("CONSULTATION", "HELP", "COMPLAINT", "REPORT")
    }
    with_phone = await file(seeded, program, kind="SUGGESTION", channel="WEB_HALL")

    assert {k: (r["code"], r["field"]) for k, r in refused.items()} == dict.fromkeys(
        refused, ("INVALID_INPUT", "noReplyWanted")
    )
    assert with_phone["replyWanted"] is True
    assert await count_rows("appeal") == 1
