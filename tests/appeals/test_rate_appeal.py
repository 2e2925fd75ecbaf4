"""rateAppeal: 满意 and 基本满意 close the appeal (the rating answers its 回访), 不满意 sends it
back to the department for another round; once per reply, within the window."""

from __future__ import annotations

import asyncio

import httpx

from storage.models.appeals import AppealRevisit
from tests.appeals.conftest import (
    DETAIL,
    RATE,
    REPLY,
    URBAN,
    act,
    china,
    drain,
    file,
    frozen,
    inbox_of,
    resident,
    resident_inbox,
    staff_token,
)
from tests.conftest import RunningApp


async def _replied(seeded: RunningApp, wechat: httpx.AsyncClient) -> tuple:
    program = await resident(seeded, wechat, "a")
    appeal = await file(seeded, program)
    urban = await staff_token(seeded, URBAN)
    await act(seeded, REPLY, urban, appealId=appeal["id"], content="已劝离占道摊贩。")
    return program, appeal, urban


async def test_satisfied_closes_and_answers_the_revisit(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program, appeal, _ = await _replied(seeded, wechat)

    rated = await act(
        seeded, RATE, program.token, appealId=appeal["id"], level="SATISFIED", comment="处理及时"
    )
    await drain(seeded)

    assert rated["status"] == "CLOSED"
    assert rated["closedAt"] is not None
    assert rated["rating"] == {"level": "SATISFIED", "comment": "处理及时", "round": 1}
    revisit = await AppealRevisit.get()
    assert (revisit.status.value, revisit.method.value, revisit.satisfaction.value) == (
        "DONE",
        "RATING",
        "SATISFIED",
    )
    assert any("已办结" in body for _, body in await resident_inbox(program))


async def test_basically_satisfied_closes_too(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program, appeal, _ = await _replied(seeded, wechat)

    rated = await act(
        seeded, RATE, program.token, appealId=appeal["id"], level="BASICALLY_SATISFIED"
    )

    assert rated["status"] == "CLOSED"


async def test_dissatisfied_sends_it_back_to_the_department(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    frozen(seeded, china(2026, 3, 2))
    program, appeal, urban = await _replied(seeded, wechat)
    frozen(seeded, china(2026, 3, 4))

    rated = await act(
        seeded,
        RATE,
        program.token,
        appealId=appeal["id"],
        level="DISSATISFIED",
        comment="摊贩晚上又回来了",
    )
    await drain(seeded)
    again = await act(seeded, REPLY, urban, appealId=appeal["id"], content="已增派夜间巡查。")
    second_rating = await act(seeded, RATE, program.token, appealId=appeal["id"], level="SATISFIED")

    assert rated["status"] == "DISPATCHED"
    assert rated["reopenCount"] == 1
    assert rated["receivedOn"] == "2026-03-04"
    assert rated["dueDate"] == "2026-03-11"  # a new round of 5 working days
    assert rated["events"][-1]["type"] == "REOPENED"
    assert rated["events"][-1]["note"] == "摊贩晚上又回来了"  # the resident sees their words
    assert any(title == "诉求重新办理" for title, _ in await inbox_of(URBAN))
    assert len(again["replies"]) == 2
    assert second_rating["status"] == "CLOSED"
    assert [
        r["round"]
        for r in (
            await seeded.gql.data(
                "query($id: ID!) { appeal(id: $id) { ratings { round level } } }",
                {"id": appeal["id"]},
                token=program.token,
            )
        )["appeal"]["ratings"]
    ] == [1, 2]


async def test_rating_before_a_reply_twice_or_late_is_refused(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    frozen(seeded, china(2026, 3, 2))
    program = await resident(seeded, wechat, "a")
    pending = await file(seeded, program)
    _, appeal, _ = await _replied(seeded, wechat)
    owner = await resident(seeded, wechat, "a")

    early = await act(seeded, RATE, program.token, appealId=pending["id"], level="SATISFIED")
    frozen(seeded, china(2026, 3, 10))  # 8 days after the reply
    late = await act(seeded, RATE, owner.token, appealId=appeal["id"], level="SATISFIED")
    frozen(seeded, china(2026, 3, 3))
    first = await act(seeded, RATE, owner.token, appealId=appeal["id"], level="BASICALLY_SATISFIED")
    twice = await act(seeded, RATE, owner.token, appealId=appeal["id"], level="SATISFIED")

    assert early["code"] == "NOT_REPLIED"
    assert late["code"] == "WINDOW_CLOSED"
    assert first["status"] == "CLOSED"
    assert twice["code"] == "ALREADY_RATED"


async def test_only_the_resident_who_filed_rates(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    _, appeal, urban = await _replied(seeded, wechat)
    stranger = await resident(seeded, wechat, "z")

    by_stranger = await act(
        seeded, RATE, stranger.token, appealId=appeal["id"], level="DISSATISFIED"
    )
    by_staff = await act(seeded, RATE, urban, appealId=appeal["id"], level="SATISFIED")
    after = await seeded.gql.data(DETAIL, {"id": appeal["id"]}, token=urban)

    assert by_stranger["code"] == "NOT_FOUND"
    assert by_staff["code"] == "FORBIDDEN"
    assert after["appeal"]["status"] == "REPLIED"


async def test_two_ratings_at_once_count_once(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program, appeal, _ = await _replied(seeded, wechat)

    results = await asyncio.gather(
        act(seeded, RATE, program.token, appealId=appeal["id"], level="SATISFIED"),
        act(seeded, RATE, program.token, appealId=appeal["id"], level="DISSATISFIED"),
    )

    assert sorted(r["__typename"] for r in results) == ["Appeal", "RateAppealError"]
    loser = next(r for r in results if r["__typename"] == "RateAppealError")
    assert loser["code"] in ("ALREADY_RATED", "CONFLICT", "NOT_REPLIED")
    final = await seeded.gql.data(
        "query($id: ID!) { appeal(id: $id) { ratings { level } status } }",
        {"id": appeal["id"]},
        token=program.token,
    )
    assert len(final["appeal"]["ratings"]) == 1
