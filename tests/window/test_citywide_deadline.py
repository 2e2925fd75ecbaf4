"""全域通办: the handling department's completion deadline counts its working days from the
day the receiving centre accepted the application, not from the day the originals arrived
and the department took it up."""

from __future__ import annotations

from datetime import UTC, date, datetime

import httpx

from resolvers.calendar.service import deadline
from storage.models.applications import Application
from storage.models.window import CitywideAcceptance
from tests.applications.conftest import ACCEPT, frozen
from tests.conftest import RunningApp
from tests.window.conftest import JINJIANG_POLICE, officer
from tests.window.test_citywide import _accepted_elsewhere, _uuid

# The receiving centre took it on a Monday; the originals reached 锦江 ten days later.
RECEIVED_AT_CENTRE = date(2025, 3, 3)
TAKEN_UP = datetime(2025, 3, 13, 2, 0, tzinfo=UTC)  # Thursday 10:00 China time


async def test_the_deadline_runs_from_acceptance_at_the_receiving_centre(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    made = await _accepted_elsewhere(seeded, wechat, "reader-deadline-1", "citywide-deadline")
    application_id = made["application"]["id"]
    row = await Application.get(id=_uuid(application_id))
    await CitywideAcceptance.filter(application_id=row.id).update(accepted_on=RECEIVED_AT_CENTRE)
    department = await officer(seeded, wechat, JINJIANG_POLICE)
    frozen(seeded, TAKEN_UP)

    response = await seeded.gql(
        ACCEPT, {"input": {"applicationId": application_id}}, token=department.token
    )
    accepted = response.data["acceptApplication"]

    promised = 15  # 居民身份证换领: promised working days
    from_centre = (await deadline(RECEIVED_AT_CENTRE, promised)).due
    from_department = (await deadline(date(2025, 3, 13), promised)).due
    assert from_centre is not None
    assert accepted["status"] == "ACCEPTED", accepted
    assert from_centre != from_department
    assert accepted["dueDate"] == from_centre.isoformat()
    assert {task["dueDate"] for task in accepted["tasks"]} == {from_centre.isoformat()}
    stored = await Application.get(id=row.id)
    assert stored.accepted_on == RECEIVED_AT_CENTRE
    # Fifteen working days of March 2025 (no holidays) from Monday the 3rd.
    assert from_centre == date(2025, 3, 24)


async def test_an_application_taken_at_its_own_departments_window_counts_from_acceptance(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    from tests.applications.conftest import (
        HYGIENE,
        implementation,
        officers,
        submit,
        verified_resident,
    )

    frozen(seeded, datetime(2025, 3, 3, 2, 0, tzinfo=UTC))
    resident = await verified_resident(seeded, wechat, "own-district")
    submitted = await submit(seeded, resident)
    tokens = await officers(seeded, await implementation(HYGIENE))
    frozen(seeded, TAKEN_UP)

    response = await seeded.gql(
        ACCEPT, {"input": {"applicationId": submitted["id"]}}, token=tokens["lead"]
    )
    accepted = response.data["acceptApplication"]

    item = await implementation(HYGIENE)
    expected = (await deadline(date(2025, 3, 13), item.promised_days)).due
    assert expected is not None
    assert accepted["dueDate"] == expected.isoformat(), accepted
    assert await CitywideAcceptance.filter(application_id=_uuid(submitted["id"])).count() == 0
