"""Every workflow step becomes an exchange message in the transaction that makes the step,
mapped to the provincial fields, without personal data; nothing when the step fails."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import httpx
import orjson
import pytest

from resolvers.applications import transitions
from storage.models.applications import Application, ApplicationEvent
from storage.models.catalogue import Department
from storage.models.outbox import OutboxMessage
from tests.applications.conftest import (
    ACCEPT,
    COMPLETE,
    HYGIENE,
    REJECT,
    REQUEST_SUPPLEMENT,
    SUPPLEMENT,
    WITHDRAW,
    implementation,
    officers,
    submit,
    upload,
    verified_resident,
)
from tests.conftest import RunningApp
from tests.exchange.conftest import completed_application, pushes


def bodies(rows: list[OutboxMessage]) -> list[dict[str, Any]]:
    return [m.payload["body"] for m in rows]


async def test_each_step_becomes_a_message_with_the_provincial_fields(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    submitted, _, _ = await completed_application(seeded, wechat, "a")
    item = await implementation(HYGIENE)
    lead = await Department.get(id=item.department_id)
    partner = item.cooperating_departments[0]
    application = await Application.get(number=submitted["number"])

    rows = await pushes(submitted["id"])
    messages = bodies(rows)

    assert [m["step"] for m in messages] == [
        "SUBMIT",
        "ACCEPT",
        "HANDLE",
        "HANDLE",
        "DECIDE",
        "FINISH",
        "RATE",
    ]
    assert [m["sequence"] for m in messages] == [1, 2, 3, 4, 5, 6, 7]
    assert [m["messageId"] for m in messages] == [str(r.id) for r in rows]
    assert [m["proStatus"] for m in messages] == ["1", "2", "2", "2", "2", "3", "3"]
    assert {m["projectNo"] for m in messages} == {submitted["number"]}
    assert {m["taskCode"] for m in messages} == {item.code}
    assert {m["taskBaseCode"] for m in messages} == {HYGIENE[0]}
    assert {m["taskType"] for m in messages} == {item.item_type.value}
    assert {m["regionCode"] for m in messages} == {HYGIENE[1]}
    assert {m["leadOrgCode"] for m in messages} == {lead.code}
    assert {m["userProp"] for m in messages} == {"1"}
    assert {m["channel"] for m in messages} == {"MINI_PROGRAM"}
    # Each department's handling is reported under its own organ.
    assert sorted(m["orgCode"] for m in messages if m["step"] == "HANDLE") == sorted(
        [lead.code, partner]
    )
    assert messages[0]["acceptDate"] is None
    assert application.accepted_on is not None
    assert application.due_date is not None
    assert messages[1]["acceptDate"] == application.accepted_on.isoformat()
    assert messages[1]["promiseDate"] == application.due_date.isoformat()
    assert [m["result"] for m in messages] == [
        None,
        None,
        "APPROVED",
        "APPROVED",
        "APPROVED",
        "APPROVED",
        None,
    ]
    finish = messages[5]
    assert finish["resultName"] == (item.result_name or item.name)
    assert finish["resultDate"] == finish["stepDate"]
    assert messages[6]["evaluation"] == {"level": 4}
    assert all(m["stepDate"].endswith("+08:00") for m in messages)
    assert datetime.fromisoformat(messages[0]["applyDate"]) == application.submitted_at.replace(
        microsecond=0
    )


async def test_no_personal_data_goes_to_the_province(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await verified_resident(seeded, wechat, "a")
    tokens = await officers(seeded, await implementation(HYGIENE))
    submitted = await submit(seeded, program)
    await seeded.gql.data(
        REJECT,
        {"input": {"applicationId": submitted["id"], "reason": "申请人张三的身份证号有误"}},
        token=tokens["lead"],
    )

    raw = b"".join(orjson.dumps(m.payload) for m in await pushes())
    events = await ApplicationEvent.filter(note__contains="张三").count()

    assert events == 1  # the reason is on the timeline ...
    assert "张三".encode() not in raw  # ... never in a message (nor the verified name)
    assert "申请人".encode() not in raw
    assert b"form" not in raw


async def test_refusal_supplement_and_withdrawal_are_pushed_as_well(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await verified_resident(seeded, wechat, "a")
    tokens = await officers(seeded, await implementation(HYGIENE))
    refused = await submit(seeded, program)
    await seeded.gql.data(
        REJECT,
        {"input": {"applicationId": refused["id"], "reason": "不属于本部门"}},
        token=tokens["lead"],
    )
    second = await submit(seeded, program)
    provided = next(m for m in second["materials"] if m["state"] == "PROVIDED")
    asked = await seeded.gql.data(
        REQUEST_SUPPLEMENT,
        {
            "input": {
                "applicationId": second["id"],
                "materials": [provided["position"]],
                "note": "请补正",
            }
        },
        token=tokens["lead"],
    )
    assert asked["requestSupplement"]["status"] == "SUPPLEMENT_REQUESTED", asked
    supplied = await seeded.gql.data(
        SUPPLEMENT,
        {
            "input": {
                "applicationId": second["id"],
                "documentIds": [await upload(program, provided["document"]["kind"])],
            }
        },
        token=program.token,
    )
    assert supplied["supplementApplication"]["status"] == "SUBMITTED", supplied
    withdrawn = await seeded.gql.data(
        WITHDRAW, {"input": {"applicationId": second["id"]}}, token=program.token
    )
    assert withdrawn["withdrawApplication"]["status"] == "WITHDRAWN", withdrawn

    first = bodies(await pushes(refused["id"]))
    other = bodies(await pushes(second["id"]))

    assert [(m["step"], m["proStatus"], m["result"]) for m in first] == [
        ("SUBMIT", "1", None),
        ("REJECT", "3", "NOT_ACCEPTED"),
    ]
    assert [(m["step"], m["proStatus"], m["result"]) for m in other] == [
        ("SUBMIT", "1", None),
        ("SUPPLEMENT_NOTICE", "1", None),
        ("SUPPLEMENT", "1", None),
        ("WITHDRAW", "3", "WITHDRAWN"),
    ]


async def test_a_denied_task_finishes_the_application_at_the_province(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await verified_resident(seeded, wechat, "a")
    tokens = await officers(seeded, await implementation(HYGIENE))
    submitted = await submit(seeded, program)
    accepted = await seeded.gql.data(
        ACCEPT, {"input": {"applicationId": submitted["id"]}}, token=tokens["lead"]
    )
    task = next(t for t in accepted["acceptApplication"]["tasks"] if t["lead"])
    await seeded.gql.data(
        COMPLETE,
        {"input": {"taskId": task["id"], "outcome": "DENIED", "note": "场所不符合卫生要求"}},
        token=tokens["lead"],
    )

    messages = bodies(await pushes(submitted["id"]))

    assert [(m["step"], m["result"], m["proStatus"]) for m in messages] == [
        ("SUBMIT", None, "1"),
        ("ACCEPT", None, "2"),
        ("HANDLE", "DENIED", "2"),
        ("FINISH", "DENIED", "3"),
    ]
    assert messages[3]["resultName"] is None


async def test_a_step_that_fails_writes_no_message(
    seeded: RunningApp, wechat: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    program = await verified_resident(seeded, wechat, "a")
    tokens = await officers(seeded, await implementation(HYGIENE))
    submitted = await submit(seeded, program)

    async def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the inbox write failed after the event was written")

    monkeypatch.setattr(transitions, "notify_owner", broken)
    response = await seeded.gql(
        ACCEPT, {"input": {"applicationId": submitted["id"]}}, token=tokens["lead"]
    )

    assert response.errors  # an unexpected failure: masked, and rolled back
    assert [m.payload["step"] for m in await pushes(submitted["id"])] == ["SUBMIT"]
    assert await ApplicationEvent.filter(type="ACCEPTED").count() == 0


async def test_parallel_steps_get_one_sequence_each(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await verified_resident(seeded, wechat, "a")
    tokens = await officers(seeded, await implementation(HYGIENE))
    submitted = await submit(seeded, program)
    accepted = await seeded.gql.data(
        ACCEPT, {"input": {"applicationId": submitted["id"]}}, token=tokens["lead"]
    )

    pairs = list(zip(accepted["acceptApplication"]["tasks"], tokens.values(), strict=True))

    async def decide() -> list[dict[str, Any]]:
        # Both departments decide at the same moment.
        return await asyncio.gather(
            *[
                seeded.gql.data(
                    COMPLETE, {"input": {"taskId": t["id"], "outcome": "APPROVED"}}, token=k
                )
                for t, k in pairs
            ]
        )

    await decide()
    again = await decide()  # and once more: refused, nothing written

    rows = await pushes(submitted["id"])
    assert [r.payload["sequence"] for r in rows] == [1, 2, 3, 4, 5]
    assert [r.payload["step"] for r in rows] == ["SUBMIT", "ACCEPT", "HANDLE", "HANDLE", "DECIDE"]
    assert [r.seq for r in rows] == sorted(r.seq for r in rows)
    assert {a["completeTask"]["code"] for a in again} == {"TASK_ALREADY_DONE"}
