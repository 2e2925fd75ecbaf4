"""全域通办 (受办分离): a citywide item of 锦江 accepted at the 青羊 centre records the receiving
centre and the handling department, and its paper originals are handed over by the centre
and received by the department, both on the application's timeline."""

from __future__ import annotations

from typing import Any

import httpx

from storage.models.applications import Application, ApplicationEvent
from storage.models.catalogue import Department
from storage.models.hall import CentreStaffRole
from storage.models.window import CitywideAcceptance, MaterialTransfer
from tests.conftest import RunningApp
from tests.window.conftest import (
    CITYWIDE_ID_CARD,
    HYGIENE,
    JINJIANG_CENTRE,
    JINJIANG_MARKET,
    JINJIANG_POLICE,
    QINGYANG_CENTRE,
    QINGYANG_MARKET,
    card_read,
    confirm,
    officer,
    register_reader,
    resident,
    scan,
    sms_code,
    submit_on_behalf,
    works_at,
)

HAND_OVER = """
mutation($input: HandOverMaterialsInput!) { handOverMaterials(input: $input) {
  __typename ... on MaterialTransfer { id status description tracking receivedAt }
  ... on HandOverMaterialsError { code field } } }
"""
RECEIVE = """
mutation($input: ReceiveMaterialsInput!) { receiveMaterials(input: $input) {
  __typename ... on MaterialTransfer { id status receivedAt }
  ... on ReceiveMaterialsError { code field } } }
"""
TIMELINE = "query($id: ID!) { application(id: $id) { events { type note } } }"


async def _accepted_elsewhere(
    running: RunningApp, wechat: httpx.AsyncClient, serial: str, user: str
) -> dict[str, Any]:
    """A 锦江 citywide item taken at the 青羊 centre on a resident's behalf."""
    manager = await officer(running, wechat, QINGYANG_MARKET)
    found = await works_at(manager, QINGYANG_CENTRE, CentreStaffRole.MANAGER)
    assert (await register_reader(running, wechat, manager, found, serial))[
        "__typename"
    ] == "Device"
    person = await resident(running, wechat, user)
    scans = [await scan(manager, "ID_CARD_FRONT"), await scan(manager, "PHOTO")]
    read = await card_read(wechat, serial, person=person.person)
    pending = await submit_on_behalf(
        running,
        manager,
        read,
        serviceCode=CITYWIDE_ID_CARD[0],
        regionCode=CITYWIDE_ID_CARD[1],
        scanIds=scans,
    )
    assert pending["__typename"] == "OnBehalfSubmission", pending
    application = await confirm(
        running, manager, pending["id"], code=await sms_code(wechat, person.phone)
    )
    assert application["__typename"] == "Application", application
    return {"clerk": manager, "centre": found, "application": application, "person": person}


async def test_acceptance_elsewhere_is_recorded_and_originals_tracked(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    made = await _accepted_elsewhere(seeded, wechat, "reader-city-1", "window-city")
    clerk, application = made["clerk"], made["application"]
    row = await Application.get(id=_uuid(application["id"]))
    accepted = await CitywideAcceptance.get(application_id=row.id)
    assert accepted.receiving_centre_id == made["centre"].id
    handling = await Department.get(id=accepted.handling_department_id)
    assert handling.code == JINJIANG_POLICE
    assert row.department_id == handling.id  # the 锦江 department handles it

    # Bad input, and someone who is not the receiving centre's, change nothing.
    empty = await seeded.gql.data(
        HAND_OVER,
        {"input": {"applicationId": application["id"], "description": " "}},
        token=clerk.token,
    )
    assert (empty["handOverMaterials"]["code"], empty["handOverMaterials"]["field"]) == (
        "INVALID_INPUT",
        "description",
    )
    stranger = await officer(seeded, wechat, JINJIANG_MARKET)
    await works_at(stranger, JINJIANG_CENTRE)
    refused = await seeded.gql.data(
        HAND_OVER,
        {"input": {"applicationId": application["id"], "description": "身份证原件复印件"}},
        token=stranger.token,
    )
    assert refused["handOverMaterials"]["code"] == "NOT_FOUND"
    assert await MaterialTransfer.all().count() == 0

    sent = await seeded.gql.data(
        HAND_OVER,
        {
            "input": {
                "applicationId": application["id"],
                "description": "照片原件 1 张",
                "tracking": "JJ-2026-0001",
            }
        },
        token=clerk.token,
    )
    transfer = sent["handOverMaterials"]
    assert transfer["status"] == "HANDED_OVER", transfer
    # The receiving centre's staff are not the handling department.
    wrong = await seeded.gql.data(
        RECEIVE, {"input": {"transferId": transfer["id"]}}, token=clerk.token
    )
    assert wrong["receiveMaterials"]["code"] in ("NOT_FOUND", "FORBIDDEN")

    department = await officer(seeded, wechat, JINJIANG_POLICE)
    received = await seeded.gql.data(
        RECEIVE, {"input": {"transferId": transfer["id"]}}, token=department.token
    )
    assert received["receiveMaterials"]["status"] == "RECEIVED", received
    again = await seeded.gql.data(
        RECEIVE, {"input": {"transferId": transfer["id"]}}, token=department.token
    )
    assert again["receiveMaterials"]["code"] == "ALREADY_RECEIVED"

    timeline = await seeded.gql.data(
        TIMELINE, {"id": application["id"]}, token=made["person"].program.token
    )
    types = [e["type"] for e in timeline["application"]["events"]]
    assert types == ["SUBMITTED", "MATERIALS_HANDED_OVER", "MATERIALS_RECEIVED"]
    assert await ApplicationEvent.filter(application_id=row.id).count() == 3


async def test_an_item_of_the_centres_own_district_is_not_citywide(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    manager = await officer(seeded, wechat, JINJIANG_POLICE)
    found = await works_at(manager, JINJIANG_CENTRE, CentreStaffRole.MANAGER)
    await register_reader(seeded, wechat, manager, found, "reader-own-1")
    person = await resident(seeded, wechat, "window-own")
    scans = [await scan(manager, "ID_CARD_FRONT"), await scan(manager, "OTHER")]
    read = await card_read(wechat, "reader-own-1", person=person.person)
    pending = await submit_on_behalf(
        seeded, manager, read, serviceCode=HYGIENE[0], regionCode=HYGIENE[1], scanIds=scans
    )
    application = await confirm(
        seeded, manager, pending["id"], code=await sms_code(wechat, person.phone)
    )
    assert application["__typename"] == "Application", application
    assert await CitywideAcceptance.all().count() == 0
    refused = await seeded.gql.data(
        HAND_OVER,
        {"input": {"applicationId": application["id"], "description": "原件"}},
        token=manager.token,
    )
    assert refused["handOverMaterials"]["code"] == "NOT_FOUND"


def _uuid(value: str) -> Any:
    from resolvers.ids import node_uuid

    return node_uuid(value, "Application")
