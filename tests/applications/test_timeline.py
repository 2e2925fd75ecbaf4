"""The timeline says who took each step and for which department: the single window, each
department deciding its own task in parallel (in person or through its business system), the
resident, the platform. Events written before these were stored get the same answer from the
migration's back-fill."""

from __future__ import annotations

import importlib
from typing import Any

import httpx
from tortoise import connections

from storage.models.catalogue import Department
from tests.applications.conftest import (
    ACCEPT,
    COMPLETE,
    HYGIENE,
    ISSUE,
    RATE,
    implementation,
    officers,
    submit,
    verified_resident,
)
from tests.conftest import RunningApp
from tests.exchange.conftest import (
    SYSTEM_SECRET,
    callback_body,
    post_callback,
    register_system,
    sign_callback,
)

TIMELINE = """
query($id: ID!) {
  application(id: $id) {
    events { type actorKind byStaff note department { code name } item { number } }
  }
}
"""


async def _timeline(running: RunningApp, application_id: str, token: str) -> list[dict[str, Any]]:
    data = await running.gql.data(TIMELINE, {"id": application_id}, token=token)
    return list(data["application"]["events"])


def _who(event: dict[str, Any]) -> tuple[str, str, str | None]:
    department = event["department"]
    return event["type"], event["actorKind"], department["code"] if department else None


async def _handled(seeded: RunningApp, wechat: httpx.AsyncClient) -> tuple[Any, dict[str, Any]]:
    """Submitted, accepted, one progress note from the cooperating department's own system,
    both tasks approved (the cooperating one first), the result issued, then rated."""
    program = await verified_resident(seeded, wechat, "timeline")
    item = await implementation(HYGIENE)
    tokens = await officers(seeded, item)
    partner_code = item.cooperating_departments[0]
    partner = await Department.get(code=partner_code)
    await register_system(seeded, partner.id, "timeline-partner")
    submitted = await submit(seeded, program)
    accepted = await seeded.gql.data(
        ACCEPT, {"input": {"applicationId": submitted["id"]}}, token=tokens["lead"]
    )
    body = callback_body(submitted["number"], "PROGRESS", note="现场核查已完成")
    answer = await post_callback(
        seeded, body, sign_callback("timeline-partner", SYSTEM_SECRET, body)
    )
    assert answer.status_code == 200, answer.text
    tasks = sorted(accepted["acceptApplication"]["tasks"], key=lambda t: t["lead"])
    for task in tasks:
        token = tokens["lead"] if task["lead"] else tokens[task["department"]["code"]]
        done = await seeded.gql.data(
            COMPLETE, {"input": {"taskId": task["id"], "outcome": "APPROVED"}}, token=token
        )
        assert done["completeTask"]["status"] == "APPROVED", done
    issued = await seeded.gql.data(
        ISSUE, {"input": {"applicationId": submitted["id"]}}, token=tokens["lead"]
    )
    assert issued["issueResult"]["status"] == "COMPLETED", issued
    rated = await seeded.gql.data(
        RATE,
        {"input": {"applicationId": submitted["id"], "level": "SATISFIED"}},
        token=program.token,
    )
    assert rated["rateApplication"]["status"] == "COMPLETED", rated
    return program, submitted


async def test_each_step_names_who_took_it_and_for_which_department(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program, submitted = await _handled(seeded, wechat)
    item = await implementation(HYGIENE)
    lead = (await Department.get(id=item.department_id)).code
    partner = item.cooperating_departments[0]

    events = await _timeline(seeded, submitted["id"], program.token)

    assert [_who(e) for e in events] == [
        ("SUBMITTED", "RESIDENT", None),
        ("ACCEPTED", "WINDOW", lead),
        ("PROGRESS", "DEPARTMENT", partner),  # the partner's business system
        ("TASK_APPROVED", "DEPARTMENT", partner),
        ("TASK_APPROVED", "DEPARTMENT", lead),
        ("APPROVED", "SYSTEM", None),  # what the tasks add up to
        ("COMPLETED", "WINDOW", lead),
        ("RATED", "RESIDENT", None),
    ]
    # The two parallel approvals read apart, by the departments' names too.
    approvals = [e["department"]["name"] for e in events if e["type"] == "TASK_APPROVED"]
    assert len(set(approvals)) == 2
    assert all(approvals)
    assert all(e["item"] is None for e in events)  # an item's own timeline


async def test_staff_of_a_department_see_the_same_names(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program, submitted = await _handled(seeded, wechat)
    tokens = await officers(seeded, await implementation(HYGIENE))

    as_staff = await _timeline(seeded, submitted["id"], tokens["lead"])

    assert as_staff == await _timeline(seeded, submitted["id"], program.token)


async def test_the_migration_gives_earlier_events_the_same_answer(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program, submitted = await _handled(seeded, wechat)
    written = await _timeline(seeded, submitted["id"], program.token)
    migration = importlib.import_module("storage.migrations.0017_event_actors")
    connection = connections.get("default")
    # As the rows stood before the migration: no department, every kind the same.
    await connection.execute_query(
        "UPDATE application_event SET actor_kind = 'SYSTEM', department_id = NULL WHERE "
        f"application_id = (SELECT id FROM application WHERE number = '{submitted['number']}')"
    )
    assert {e["actorKind"] for e in await _timeline(seeded, submitted["id"], program.token)} == {
        "SYSTEM"
    }

    for statement in migration._BACK_FILL:
        await connection.execute_query(statement)

    assert await _timeline(seeded, submitted["id"], program.token) == written
