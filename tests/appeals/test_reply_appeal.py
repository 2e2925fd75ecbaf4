"""replyAppeal: the department answers; the resident is told in the inbox and, with a grant,
by a WeChat subscribe message; a consultation can be answered without signing first."""

from __future__ import annotations

import httpx

from tests.appeals.conftest import (
    DETAIL,
    REPLY,
    SIGN,
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

GRANT = (
    "mutation($input: GrantSubscriptionsInput!) { grantSubscriptions(input: $input) { "
    "__typename } }"
)


async def test_a_reply_reaches_the_resident_by_inbox_and_wechat(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await resident(seeded, wechat, "a")
    answers = await program.wx_request_subscribe(["TPL_APPEAL_REPLY"])
    await seeded.gql.data(
        GRANT,
        {
            "input": {
                "results": [
                    {"templateId": "TPL_APPEAL_REPLY", "result": answers["TPL_APPEAL_REPLY"]}
                ]
            }
        },
        token=program.token,
    )
    appeal = await file(seeded, program)
    urban = await staff_token(seeded, URBAN)
    await act(seeded, SIGN, urban, appealId=appeal["id"])

    replied = await act(
        seeded, REPLY, urban, appealId=appeal["id"], content="已安排执法队员每晚巡查，摊贩已劝离。"
    )
    await drain(seeded)
    seen = await seeded.gql.data(DETAIL, {"id": appeal["id"]}, token=program.token)
    messages = await program.wx_messages()

    assert replied["status"] == "REPLIED"
    assert replied["events"][-1]["type"] == "REPLIED"
    assert replied["events"][-1]["department"] == {"code": URBAN}
    assert replied["replies"] == [
        {
            "content": "已安排执法队员每晚巡查，摊贩已劝离。",
            "onTime": True,
            "workingDays": 0,
            "department": {"code": URBAN},
        }
    ]
    assert replied["reopenableUntil"] is not None
    assert seen["appeal"]["replies"][0]["content"].startswith("已安排执法队员")
    assert any("已答复" in body for _, body in await resident_inbox(program))
    assert len(messages) == 1
    assert messages[0]["templateId"] == "TPL_APPEAL_REPLY"
    assert messages[0]["data"]["character_string1"] == appeal["number"]
    assert messages[0]["data"]["thing2"] == "占道经营"
    assert messages[0]["data"]["phrase3"] == "已答复"
    assert messages[0]["page"].startswith("pages/appeals/detail?id=")


async def test_a_consultation_is_answered_without_signing_first(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await resident(seeded, wechat, "a")
    appeal = await file(seeded, program, kind="CONSULTATION", content="摆摊需要办什么手续？")
    urban = await staff_token(seeded, URBAN)

    replied = await act(
        seeded, REPLY, urban, appealId=appeal["id"], content="请到街道办理临时占道许可。"
    )

    assert replied["status"] == "REPLIED"
    assert replied["signedAt"] is not None


async def test_an_empty_reply_or_a_stranger_s_reply_changes_nothing(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await resident(seeded, wechat, "a")
    appeal = await file(seeded, program)
    urban, water = await staff_token(seeded, URBAN), await staff_token(seeded, WATER)

    empty = await act(seeded, REPLY, urban, appealId=appeal["id"], content=" \n ")
    foreign = await act(seeded, REPLY, water, appealId=appeal["id"], content="已处理")
    too_long = await act(seeded, REPLY, urban, appealId=appeal["id"], content="答" * 4001)
    after = await seeded.gql.data(DETAIL, {"id": appeal["id"]}, token=program.token)

    assert (empty["code"], empty["field"]) == ("REPLY_REQUIRED", "content")
    assert foreign["code"] == "NOT_FOUND"
    assert too_long["code"] == "CONTENT_TOO_LONG"
    assert after["appeal"]["status"] == "DISPATCHED"
    assert after["appeal"]["replies"] == []
