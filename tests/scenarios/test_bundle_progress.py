"""A bundle's parent follows its items as each department handles its own in parallel, and
the resident gets one message when all of them are finished."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from api.outbox import dispatcher
from resolvers.applications.bundles import parent_status
from storage.models.applications import ApplicationStatus as S
from tests.applications.conftest import (
    ACCEPT,
    COMPLETE,
    ISSUE,
    RATE,
    REJECT,
    REQUEST_SUPPLEMENT,
    SUPPLEMENT,
    WITHDRAW,
)
from tests.conftest import RunningApp
from tests.scenarios.conftest import officer_of, resident, staff_token, submit, upload
from tests.sql import count_statements

LEAD = "11510104452424621J"
SIGNS = "11510100121459782L"
PARENT = """
query($id: ID!) {
  application(id: $id) { status reason finishedAt events { type status note item { number } }
                         children { status } }
}
"""


@pytest.mark.parametrize(
    ("children", "expected"),
    [
        ([S.SUBMITTED, S.SUBMITTED], S.SUBMITTED),
        ([S.SUBMITTED, S.ACCEPTED], S.ACCEPTED),
        ([S.SUBMITTED, S.NOT_ACCEPTED], S.SUBMITTED),
        ([S.ACCEPTED, S.SUPPLEMENT_REQUESTED], S.SUPPLEMENT_REQUESTED),
        ([S.APPROVED, S.COMPLETED], S.APPROVED),
        ([S.APPROVED, S.ACCEPTED], S.ACCEPTED),
        ([S.COMPLETED, S.COMPLETED], S.COMPLETED),
        ([S.COMPLETED, S.WITHDRAWN], S.COMPLETED),
        ([S.WITHDRAWN, S.WITHDRAWN], S.WITHDRAWN),
        ([S.COMPLETED, S.DENIED], S.DENIED),
        ([S.COMPLETED, S.NOT_ACCEPTED], S.NOT_ACCEPTED),
        ([S.DENIED, S.NOT_ACCEPTED], S.DENIED),
    ],
)
def test_the_parents_status_rule(children: list[S], expected: S) -> None:
    assert parent_status(children) is expected


async def _bundle(running: RunningApp, wechat: httpx.AsyncClient) -> tuple[Any, dict[str, Any]]:
    program = await resident(running, wechat, "owner")
    parent = await submit(running, program)
    assert parent["__typename"] == "Application", parent
    return program, parent


async def _act(running: RunningApp, query: str, token: str, **values: Any) -> dict[str, Any]:
    data = await running.gql.data(query, {"input": values}, token=token)
    return dict(next(iter(data.values())))


async def _parent(running: RunningApp, program: Any, parent_id: str) -> dict[str, Any]:
    data = await running.gql.data(PARENT, {"id": parent_id}, token=program.token)
    return dict(data["application"])


def _own(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The bundle's own steps on its timeline (its items' have an `item`)."""
    return [e for e in events if e["item"] is None]


async def _tasks(running: RunningApp, child: dict[str, Any], token: str) -> list[dict[str, Any]]:
    data = await running.gql.data(
        "query($id: ID!) { application(id: $id) { tasks { id status department { code } } } }",
        {"id": child["id"]},
        token=token,
    )
    return list(data["application"]["tasks"])


async def _finish(running: RunningApp, child: dict[str, Any], token: str) -> dict[str, Any]:
    """Accepts the item unless it was, approves its tasks and issues its result."""
    if not await _tasks(running, child, token):
        await _act(running, ACCEPT, token, applicationId=child["id"])
    for task in await _tasks(running, child, token):
        await _act(running, COMPLETE, token, taskId=task["id"], outcome="APPROVED")
    return await _act(running, ISSUE, token, applicationId=child["id"])


async def test_the_parent_follows_its_items_to_the_end(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program, parent = await _bundle(seeded, wechat)
    lead, signs = await officer_of(seeded, LEAD), await officer_of(seeded, SIGNS)
    licence, food, signboard = parent["children"]

    await _act(seeded, ACCEPT, lead, applicationId=licence["id"])
    assert (await _parent(seeded, program, parent["id"]))["status"] == "ACCEPTED"

    await _act(
        seeded,
        REQUEST_SUPPLEMENT,
        signs,
        applicationId=signboard["id"],
        materials=[2],
        note="效果图不清晰",
    )
    assert (await _parent(seeded, program, parent["id"]))["status"] == "SUPPLEMENT_REQUESTED"

    again = await upload(program, "OTHER")
    supplied = await _act(
        seeded, SUPPLEMENT, program.token, applicationId=signboard["id"], documentIds=[again]
    )
    assert supplied["status"] == "SUBMITTED"
    assert (await _parent(seeded, program, parent["id"]))["status"] == "ACCEPTED"

    for child, token in ((licence, lead), (food, lead)):
        done = await _finish(seeded, child, token)
        assert done["status"] == "COMPLETED", done
    await _act(seeded, ACCEPT, signs, applicationId=signboard["id"])
    task = (await _tasks(seeded, signboard, signs))[0]
    await _act(seeded, COMPLETE, signs, taskId=task["id"], outcome="APPROVED")
    assert (await _parent(seeded, program, parent["id"]))["status"] == "APPROVED"
    await _act(seeded, ISSUE, signs, applicationId=signboard["id"])

    final = await _parent(seeded, program, parent["id"])
    assert final["status"] == "COMPLETED"
    assert final["reason"] == "3 项已办结"
    assert final["finishedAt"] is not None
    assert [e["type"] for e in _own(final["events"])] == [
        "SUBMITTED",
        "ACCEPTED",
        "SUPPLEMENT_REQUESTED",
        "SUPPLEMENTED",
        "APPROVED",
        "COMPLETED",
    ]
    assert _own(final["events"])[2]["note"].endswith("待补正")


async def test_one_message_when_everything_is_finished(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program, parent = await _bundle(seeded, wechat)
    granted = await program.subscribe_to_updates()
    assert granted["__typename"] == "SubscriptionGrants"
    lead, signs = await officer_of(seeded, LEAD), await officer_of(seeded, SIGNS)
    licence, food, signboard = parent["children"]

    await _finish(seeded, licence, lead)
    await _finish(seeded, food, lead)
    await _finish(seeded, signboard, signs)
    await dispatcher(seeded.resources).drain()

    inbox = await seeded.gql.data(
        "{ notifications(first: 50) { edges { node { title body subjectId } } } }",
        token=program.token,
    )
    titles = [e["node"]["title"] for e in inbox["notifications"]["edges"]]
    assert titles.count("“开办餐饮店”办理完毕") == 1
    final = next(
        e["node"] for e in inbox["notifications"]["edges"] if "办理完毕" in e["node"]["title"]
    )
    assert final["subjectId"] == parent["id"]
    assert "3 项已办结" in final["body"]
    # WeChat: the bundle's submission and its end, nothing per item (grants are scarce).
    messages = await program.wx_messages()
    assert len(messages) == 2, messages
    assert "开办餐饮店" in str(messages[-1]["data"])


async def test_items_finishing_at_the_same_moment_send_one_message(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program, parent = await _bundle(seeded, wechat)
    lead, signs = await officer_of(seeded, LEAD), await officer_of(seeded, SIGNS)
    ready = []
    for child, token in zip(parent["children"], (lead, lead, signs), strict=True):
        accepted = await _act(seeded, ACCEPT, token, applicationId=child["id"])
        for task in accepted["tasks"]:
            await _act(seeded, COMPLETE, token, taskId=task["id"], outcome="APPROVED")
        ready.append((child, token))

    results = await asyncio.gather(
        *[_act(seeded, ISSUE, token, applicationId=child["id"]) for child, token in ready]
    )

    assert {r["status"] for r in results} == {"COMPLETED"}
    final = await _parent(seeded, program, parent["id"])
    assert final["status"] == "COMPLETED"
    assert [e["type"] for e in _own(final["events"])].count("COMPLETED") == 1
    await dispatcher(seeded.resources).drain()
    inbox = await seeded.gql.data(
        "{ notifications(first: 50) { edges { node { title } } } }", token=program.token
    )
    titles = [e["node"]["title"] for e in inbox["notifications"]["edges"]]
    assert titles.count("“开办餐饮店”办理完毕") == 1, titles


async def test_a_denied_item_ends_the_bundle_as_denied(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program, parent = await _bundle(seeded, wechat)
    lead, signs = await officer_of(seeded, LEAD), await officer_of(seeded, SIGNS)
    licence, food, signboard = parent["children"]

    await _finish(seeded, licence, lead)
    await _finish(seeded, food, lead)
    await _act(seeded, REJECT, signs, applicationId=signboard["id"], reason="设置位置不符合规划")

    final = await _parent(seeded, program, parent["id"])
    assert final["status"] == "NOT_ACCEPTED"
    assert final["reason"] == "2 项已办结，1 项不予受理"


async def test_staff_never_act_on_the_parent(seeded: RunningApp, wechat: httpx.AsyncClient) -> None:
    _, parent = await _bundle(seeded, wechat)
    lead = await officer_of(seeded, LEAD)

    accepted = await _act(seeded, ACCEPT, lead, applicationId=parent["id"])

    assert accepted["code"] == "NOT_FOUND"  # staff never learn the bundle exists


async def test_withdrawing_the_bundle_withdraws_every_item_in_one_step(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program, parent = await _bundle(seeded, wechat)

    withdrawn = await _act(
        seeded, WITHDRAW, program.token, applicationId=parent["id"], note="不开店了"
    )
    again = await _act(seeded, WITHDRAW, program.token, applicationId=parent["id"])

    assert withdrawn["status"] == "WITHDRAWN", withdrawn
    final = await _parent(seeded, program, parent["id"])
    assert [c["status"] for c in final["children"]] == ["WITHDRAWN"] * 3
    assert [e["type"] for e in _own(final["events"])] == ["SUBMITTED", "WITHDRAWN"]
    assert again["code"] == "INVALID_STATE"
    for child in parent["children"]:
        events = await seeded.gql.data(
            "query($id: ID!) { application(id: $id) { events { type note } } }",
            {"id": child["id"]},
            token=program.token,
        )
        assert events["application"]["events"][-1] == {"type": "WITHDRAWN", "note": "不开店了"}


async def test_a_bundle_with_an_accepted_item_is_not_withdrawn_at_all(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program, parent = await _bundle(seeded, wechat)
    lead = await officer_of(seeded, LEAD)
    licence = parent["children"][0]
    await _act(seeded, ACCEPT, lead, applicationId=licence["id"])

    refused = await _act(seeded, WITHDRAW, program.token, applicationId=parent["id"])

    assert (refused["code"], refused["field"]) == ("INVALID_STATE", "applicationId")
    after = await _parent(seeded, program, parent["id"])
    assert [c["status"] for c in after["children"]] == ["ACCEPTED", "SUBMITTED", "SUBMITTED"]
    assert after["status"] == "ACCEPTED"


async def test_a_finished_bundle_is_rated_once_for_all_its_items(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program, parent = await _bundle(seeded, wechat)
    lead, signs = await officer_of(seeded, LEAD), await officer_of(seeded, SIGNS)
    licence, food, signboard = parent["children"]
    early = await _act(seeded, RATE, program.token, applicationId=parent["id"], level="SATISFIED")
    await _finish(seeded, licence, lead)
    await _finish(seeded, food, lead)
    await _finish(seeded, signboard, signs)

    rated = await _act(
        seeded, RATE, program.token, applicationId=parent["id"], level="VERY_SATISFIED"
    )
    twice = await _act(seeded, RATE, program.token, applicationId=parent["id"], level="SATISFIED")

    assert early["code"] == "NOT_FINISHED"
    assert rated["status"] == "COMPLETED", rated
    assert twice["code"] == "ALREADY_RATED"
    final = await _parent(seeded, program, parent["id"])
    assert final["events"][-1] == {
        "type": "RATED",
        "status": "COMPLETED",
        "note": "3 项已评价",
        "item": None,
    }
    for child in parent["children"]:
        one = await seeded.gql.data(
            "query($id: ID!) { application(id: $id) { events { type } } }",
            {"id": child["id"]},
            token=program.token,
        )
        assert one["application"]["events"][-1]["type"] == "RATED"
    # Each item's 好差评 counts for its own department, as if rated one by one.
    admin = await seeded.gql.data(
        "{ applicationRatings(by: DEPARTMENT) { key total } }",
        token=await staff_token(seeded, "demo-admin"),
    )
    assert sum(row["total"] for row in admin["applicationRatings"]) == 3


TIMELINE = """
query($id: ID!) {
  application(id: $id) {
    children { number service { name } }
    events {
      type actorKind at department { code } item { number service { name } }
    }
  }
}
"""


def _step(event: dict[str, Any]) -> tuple[str, str, str | None, str | None]:
    department, item = event["department"], event["item"]
    return (
        event["type"],
        event["actorKind"],
        department["code"] if department else None,
        item["number"] if item else None,
    )


async def test_the_bundles_timeline_shows_its_items_key_steps(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program, parent = await _bundle(seeded, wechat)
    lead, signs = await officer_of(seeded, LEAD), await officer_of(seeded, SIGNS)
    licence, food, signboard = parent["children"]
    # Only key steps of the items show: not a 补正 round, which the bundle follows itself.
    await _act(
        seeded, REQUEST_SUPPLEMENT, signs, applicationId=signboard["id"], materials=[2], note="不清"
    )
    again = await upload(program, "OTHER")
    await _act(
        seeded, SUPPLEMENT, program.token, applicationId=signboard["id"], documentIds=[again]
    )
    await _act(seeded, ACCEPT, lead, applicationId=licence["id"])
    licence_tasks = await _tasks(seeded, licence, lead)
    await _finish(seeded, licence, lead)
    await _act(seeded, REJECT, signs, applicationId=signboard["id"], reason="设置位置不符合规划")
    await _act(seeded, ACCEPT, lead, applicationId=food["id"])
    food_tasks = await _tasks(seeded, food, lead)
    await _finish(seeded, food, lead)

    data = await seeded.gql.data(TIMELINE, {"id": parent["id"]}, token=program.token)
    events = data["application"]["events"]

    numbers = {c["id"]: c["number"] for c in parent["children"]}
    one, two, three = numbers[licence["id"]], numbers[food["id"]], numbers[signboard["id"]]
    assert [_step(e) for e in events] == [
        ("SUBMITTED", "RESIDENT", None, None),
        ("SUPPLEMENT_REQUESTED", "SYSTEM", None, None),
        ("SUPPLEMENTED", "SYSTEM", None, None),
        ("ACCEPTED", "WINDOW", LEAD, one),
        ("ACCEPTED", "SYSTEM", None, None),
        *[("TASK_APPROVED", "DEPARTMENT", t["department"]["code"], one) for t in licence_tasks],
        ("COMPLETED", "WINDOW", LEAD, one),
        ("NOT_ACCEPTED", "WINDOW", SIGNS, three),
        ("ACCEPTED", "WINDOW", LEAD, two),
        *[("TASK_APPROVED", "DEPARTMENT", t["department"]["code"], two) for t in food_tasks],
        ("APPROVED", "SYSTEM", None, None),  # only the food licence's result is awaited
        ("COMPLETED", "WINDOW", LEAD, two),
        ("NOT_ACCEPTED", "SYSTEM", None, None),
    ]
    assert [e["at"] for e in events] == sorted(e["at"] for e in events)
    names = {c["number"]: c["service"]["name"] for c in data["application"]["children"]}
    for event in events:
        if event["item"] is not None:
            assert event["item"]["service"]["name"] == names[event["item"]["number"]]
    # Bounded like every timeline.
    first = await seeded.gql.data(
        "query($id: ID!) { application(id: $id) { events(first: 4) { type } } }",
        {"id": parent["id"]},
        token=program.token,
    )
    assert [e["type"] for e in first["application"]["events"]] == [
        "SUBMITTED",
        "SUPPLEMENT_REQUESTED",
        "SUPPLEMENTED",
        "ACCEPTED",
    ]


async def test_bundles_timelines_cost_the_same_for_more_bundles(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program, first = await _bundle(seeded, wechat)
    lead, signs = await officer_of(seeded, LEAD), await officer_of(seeded, SIGNS)
    await _finish(seeded, first["children"][0], lead)
    query = """
    { myApplications(first: 10) { edges { node {
        number events { type actorKind department { name } item { number service { name } } }
    } } } }
    """
    with count_statements() as fewer:
        before = await seeded.gql.data(query, token=program.token)
    second = await submit(seeded, program)
    await _finish(seeded, second["children"][1], lead)
    await _finish(seeded, second["children"][2], signs)
    with count_statements() as more:
        after = await seeded.gql.data(query, token=program.token)

    assert len(after["myApplications"]["edges"]) > len(before["myApplications"]["edges"])
    with_items = [
        e for edge in after["myApplications"]["edges"] for e in edge["node"]["events"] if e["item"]
    ]
    assert {e["item"]["number"] for e in with_items} >= {
        c["number"] for c in (first["children"][0], *second["children"][1:])
    }
    assert fewer.count == more.count, more.texts
