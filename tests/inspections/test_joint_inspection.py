"""proposeInspection, respondToInspection, recordInspectionFinding: one visit for every
inspecting department, confirmed by all (a decline sends it back to the lead), one appointment
for the resident, a finding per department from that visit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from storage.models.outbox import OutboxMessage
from tests.applications.conftest import (
    ACCEPT,
    HYGIENE,
    frozen,
    implementation,
    officers,
    other_officer,
    submit,
    verified_resident,
)
from tests.conftest import RunningApp
from tests.documents.conftest import count_rows

FIELDS = """__typename ... on Inspection { id status round startsAt address
  participants { response reason outcome finding department { code } }
  events { type round note department { code } } }"""


def _mutation(name: str, error: str) -> str:
    input_type = name[0].upper() + name[1:] + "Input"
    return (
        f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ {FIELDS} "
        f"... on {error} {{ code message field }} }} }}"
    )


PROPOSE = _mutation("proposeInspection", "ProposeInspectionError")
RESPOND = _mutation("respondToInspection", "RespondToInspectionError")
FINDING = _mutation("recordInspectionFinding", "RecordInspectionFindingError")
READ = "query($id: ID!) { inspection(applicationId: $id) { id status round } }"


async def _call(
    running: RunningApp, document: str, values: dict[str, Any], token: str | None
) -> Any:
    response = await running.gql(document, {"input": values}, token=token)
    assert not response.errors, response.errors
    return next(iter(response.data.values()))


def _slot(days: int = 3) -> dict[str, str]:
    start = (datetime.now(UTC) + timedelta(days=days)).replace(microsecond=0)
    return {
        "startsAt": start.isoformat(),
        "endsAt": (start + timedelta(hours=2)).isoformat(),
        "address": "锦江区春熙路1号",
    }


async def _accepted(running: RunningApp, wechat: httpx.AsyncClient) -> tuple[Any, dict[str, str]]:
    resident = await verified_resident(running, wechat, "shopkeeper")
    item = await implementation(HYGIENE)
    tokens = await officers(running, item)
    submitted = await submit(running, resident)
    accepted = await _call(running, ACCEPT, {"applicationId": submitted["id"]}, tokens["lead"])
    assert accepted["status"] == "ACCEPTED", accepted
    assert len({t["department"]["code"] for t in accepted["tasks"]}) >= 2
    return (resident, submitted["id"]), tokens


async def test_all_confirm_and_the_resident_gets_one_appointment(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    (resident, application_id), tokens = await _accepted(seeded, wechat)
    others = [token for name, token in tokens.items() if name != "lead"]

    proposed = await _call(
        seeded, PROPOSE, {"applicationId": application_id, **_slot()}, tokens["lead"]
    )

    assert proposed["status"] == "PROPOSED", proposed
    responses = sorted(p["response"] for p in proposed["participants"])
    assert responses == ["CONFIRMED"] + ["PENDING"] * len(others)  # the lead proposed it
    before = await OutboxMessage.filter(kind="notification.wechat").count()

    for token in others:
        answered = await _call(
            seeded, RESPOND, {"inspectionId": proposed["id"], "decision": "CONFIRM"}, token
        )

    assert answered["status"] == "SCHEDULED"
    assert [e["type"] for e in answered["events"]][-1] == "SCHEDULED"
    wechat_rows = await OutboxMessage.filter(kind="notification.wechat").all()
    scheduled = [r for r in wechat_rows if "踏勘已预约" in str(r.payload)]
    assert len(wechat_rows) - before == 1  # one appointment, not one per department
    assert len(scheduled) == 1
    inbox = [
        r
        for r in await OutboxMessage.filter(kind="notification.inbox")
        if "联合踏勘已预约" in str(r.payload)
    ]
    assert len(inbox) == 1
    seen = await seeded.gql(READ, {"id": application_id}, token=resident.token)
    assert seen.data["inspection"]["status"] == "SCHEDULED"


async def test_a_decline_sends_the_slot_back_to_the_lead(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    (_, application_id), tokens = await _accepted(seeded, wechat)
    other = next(token for name, token in tokens.items() if name != "lead")
    proposed = await _call(
        seeded, PROPOSE, {"applicationId": application_id, **_slot()}, tokens["lead"]
    )
    target = {"inspectionId": proposed["id"]}

    no_reason = await _call(seeded, RESPOND, {**target, "decision": "DECLINE"}, other)
    declined = await _call(
        seeded, RESPOND, {**target, "decision": "DECLINE", "reason": "当天另有执法检查"}, other
    )
    late = await _call(seeded, RESPOND, {**target, "decision": "CONFIRM"}, other)
    again = await _call(
        seeded, PROPOSE, {"applicationId": application_id, **_slot(4)}, tokens["lead"]
    )
    confirmed = await _call(seeded, RESPOND, {**target, "decision": "CONFIRM"}, other)

    assert (no_reason["code"], no_reason["field"]) == ("REASON_REQUIRED", "reason")
    assert declined["status"] == "DECLINED"
    assert "当天另有执法检查" in [p["reason"] for p in declined["participants"]]
    assert late["code"] == "INVALID_STATE"
    assert (again["status"], again["round"]) == ("PROPOSED", 2)
    assert confirmed["status"] == "SCHEDULED"
    assert [e["type"] for e in confirmed["events"]] == [
        "PROPOSED",
        "CONFIRMED",
        "DECLINED",
        "PROPOSED",
        "CONFIRMED",
        "CONFIRMED",
        "SCHEDULED",
    ]


async def test_each_department_records_its_finding_of_the_same_visit(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    (_, application_id), tokens = await _accepted(seeded, wechat)
    proposed = await _call(
        seeded, PROPOSE, {"applicationId": application_id, **_slot()}, tokens["lead"]
    )
    for name, token in tokens.items():
        if name != "lead":
            await _call(
                seeded, RESPOND, {"inspectionId": proposed["id"], "decision": "CONFIRM"}, token
            )
    target = {"inspectionId": proposed["id"], "outcome": "PASSED", "finding": "通风、照明符合要求"}

    too_early = await _call(seeded, FINDING, target, tokens["lead"])
    frozen(seeded, datetime.now(UTC) + timedelta(days=3, hours=1))
    empty = await _call(seeded, FINDING, {**target, "finding": " "}, tokens["lead"])
    results = [await _call(seeded, FINDING, target, token) for token in tokens.values()]
    twice = await _call(seeded, FINDING, target, tokens["lead"])

    assert too_early["code"] == "INVALID_STATE"
    assert (empty["code"], empty["field"]) == ("REASON_REQUIRED", "finding")
    assert results[-1]["status"] == "COMPLETED"
    assert {p["outcome"] for p in results[-1]["participants"]} == {"PASSED"}
    assert twice["code"] == "INVALID_STATE"


async def test_who_may_propose_answer_and_read(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    (resident, application_id), tokens = await _accepted(seeded, wechat)
    other = next(token for name, token in tokens.items() if name != "lead")
    stranger = await other_officer(seeded, await implementation(HYGIENE))
    values = {"applicationId": application_id, **_slot()}

    by_cooperating = await _call(seeded, PROPOSE, values, other)
    by_stranger = await _call(seeded, PROPOSE, values, stranger)
    by_resident = await _call(seeded, PROPOSE, values, resident.token)
    anonymous = await _call(seeded, PROPOSE, values, None)
    past = await _call(seeded, PROPOSE, {**values, **_slot(-1)}, tokens["lead"])
    backwards = await _call(
        seeded, PROPOSE, {**values, "endsAt": values["startsAt"]}, tokens["lead"]
    )
    no_address = await _call(seeded, PROPOSE, {**values, "address": ""}, tokens["lead"])
    not_an_id = await _call(seeded, PROPOSE, {**values, "applicationId": "x"}, tokens["lead"])

    assert by_cooperating["code"] == "FORBIDDEN"
    assert (by_stranger["code"], by_stranger["field"]) == ("NOT_FOUND", "applicationId")
    assert by_resident["code"] == "FORBIDDEN"
    assert anonymous["code"] == "UNAUTHENTICATED"
    assert (past["code"], past["field"]) == ("INVALID_INPUT", "startsAt")
    assert (backwards["code"], backwards["field"]) == ("INVALID_INPUT", "endsAt")
    assert (no_address["code"], no_address["field"]) == ("INVALID_INPUT", "address")
    assert not_an_id["code"] == "NOT_FOUND"
    assert await count_rows("inspection") == 0

    proposed = await _call(seeded, PROPOSE, values, tokens["lead"])
    stranger_answer = await _call(
        seeded, RESPOND, {"inspectionId": proposed["id"], "decision": "CONFIRM"}, stranger
    )
    stranger_read = await seeded.gql(READ, {"id": application_id}, token=stranger)

    assert stranger_answer["code"] == "NOT_FOUND"
    assert stranger_read.data["inspection"] is None


async def test_only_an_accepted_application_is_inspected(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    resident = await verified_resident(seeded, wechat, "shopkeeper")
    tokens = await officers(seeded, await implementation(HYGIENE))
    submitted = await submit(seeded, resident)

    refused = await _call(
        seeded, PROPOSE, {"applicationId": submitted["id"], **_slot()}, tokens["lead"]
    )

    assert (refused["code"], refused["field"]) == ("INVALID_STATE", "applicationId")
    assert await count_rows("inspection") == 0
