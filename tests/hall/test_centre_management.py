"""upsertHallWindow, setCentreHours, assignCentreStaff, removeCentreStaff and centreHall: a
centre's MANAGER runs its own hall only; every change is audited; bad input changes nothing."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from strawberry import relay

from storage.models.hall import CentreHours, CentreStaff, HallAudit, HallWindow
from tests.conftest import RunningApp
from tests.hall.conftest import (
    JINJIANG_CENTRE,
    UPSERT_WINDOW,
    act,
    centre_id,
    city_item,
    login,
    mutation,
    resident,
)

HOURS = mutation(
    "setCentreHours",
    "SetCentreHoursInput",
    "__typename ... on CentreHours { openingHours { weekday opensAt closesAt } }",
)
ASSIGN = mutation(
    "assignCentreStaff", "AssignCentreStaffInput", "__typename ... on CentreStaffMember { role }"
)
REMOVE = mutation(
    "removeCentreStaff",
    "RemoveCentreStaffInput",
    "__typename ... on RemovedCentreStaff { username }",
)
STAFF = "query($id: ID!) { centreStaff(centreId: $id) { username role } }"
HALL = """
query($id: ID!) { centreHall(centreId: $id) {
  windows { number name group isOpen serviceCodes } openingHours { weekday opensAt closesAt }
} }
"""


async def fingerprint() -> tuple[Any, ...]:
    return (
        await HallWindow.all().count(),
        await CentreHours.all().count(),
        await CentreStaff.all().count(),
        await HallAudit.all().count(),
    )


async def test_a_manager_runs_the_windows_hours_and_staff_of_their_centre(
    seeded: RunningApp,
) -> None:
    manager = await login(seeded, "hall-manager-510100")
    centre = await centre_id()
    service = await city_item()

    window = await act(
        seeded,
        UPSERT_WINDOW,
        manager,
        centreId=centre,
        number="9",
        name="不动产登记",
        group="B",
        serviceCodes=[service],
    )
    closed = await act(
        seeded,
        UPSERT_WINDOW,
        manager,
        centreId=centre,
        number="9",
        name="不动产登记",
        group="B",
        isOpen=False,
        serviceCodes=[service],
    )
    hours = await act(
        seeded,
        HOURS,
        manager,
        centreId=centre,
        days=[
            {"weekday": 0, "opensAt": "09:00:00", "closesAt": "12:00:00"},
            {"weekday": 5, "opensAt": "09:00:00", "closesAt": "17:00:00"},
        ],
    )
    assigned = await act(
        seeded,
        ASSIGN,
        manager,
        centreId=centre,
        username="officer-11510100113320326k",
        role="WINDOW",
    )
    removed = await act(
        seeded, REMOVE, manager, centreId=centre, username="officer-11510100113320326k"
    )
    hall = (await seeded.gql.data(HALL, {"id": centre}))["centreHall"]
    staff = await seeded.gql(STAFF, {"id": centre}, token=manager)
    other = await seeded.gql(
        STAFF, {"id": centre}, token=await login(seeded, "hall-manager-510104")
    )
    window_staff = await seeded.gql(
        STAFF, {"id": centre}, token=await login(seeded, "hall-window-510100")
    )

    assert window["__typename"] == "HallWindow", window
    assert window["serviceCodes"] == [service]
    assert closed["isOpen"] is False
    assert hours["openingHours"] == [
        {"weekday": 0, "opensAt": "09:00:00", "closesAt": "12:00:00"},
        {"weekday": 5, "opensAt": "09:00:00", "closesAt": "17:00:00"},
    ]
    assert assigned["role"] == "WINDOW"
    assert removed["username"] == "officer-11510100113320326k"
    assert [w["number"] for w in hall["windows"]] == ["1", "2", "3", "9"]
    assert hall["windows"][3]["isOpen"] is False
    assert len(hall["openingHours"]) == 2
    assert sorted(staff.data["centreStaff"], key=lambda m: m["username"]) == [
        {"username": "hall-manager-510100", "role": "MANAGER"},
        {"username": "hall-window-510100", "role": "WINDOW"},
    ]
    assert other.error_codes == ["FORBIDDEN"]
    assert window_staff.error_codes == ["FORBIDDEN"]
    actions = [a.action for a in await HallAudit.all().order_by("at", "action")]
    assert sorted(actions) == sorted(
        ["WINDOW_SAVED", "WINDOW_SAVED", "HOURS_SET", "STAFF_ASSIGNED", "STAFF_REMOVED"]
    )


async def test_other_centres_staff_and_residents_are_refused(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    centre = await centre_id()
    other_manager = await login(seeded, "hall-manager-510104")
    window_staff = await login(seeded, "hall-window-510100")
    program = await resident(seeded, wechat, "a")
    before = await fingerprint()
    window = {"centreId": centre, "number": "9", "name": "综合受理", "group": "A"}
    hours = {"centreId": centre, "days": []}
    staff = {"centreId": centre, "username": "hall-window-510104", "role": "MANAGER"}

    answers = [
        (await act(seeded, UPSERT_WINDOW, token, **window))["code"]
        for token in (other_manager, window_staff, program.token, None)
    ] + [
        (await act(seeded, HOURS, other_manager, **hours))["code"],
        (await act(seeded, ASSIGN, other_manager, **staff))["code"],
        (await act(seeded, REMOVE, other_manager, centreId=centre, username="hall-window-510100"))[
            "code"
        ],
    ]

    assert answers == [
        "FORBIDDEN",
        "FORBIDDEN",
        "FORBIDDEN",
        "UNAUTHENTICATED",
        "FORBIDDEN",
        "FORBIDDEN",
        "FORBIDDEN",
    ]
    assert await fingerprint() == before
    # The ADMIN runs every centre.
    admin = await login(seeded, "demo-admin")
    jinjiang = await act(
        seeded, UPSERT_WINDOW, admin, **{**window, "centreId": await centre_id(JINJIANG_CENTRE)}
    )
    assert jinjiang["__typename"] == "HallWindow"


async def test_bad_centre_input_changes_nothing(seeded: RunningApp) -> None:
    manager = await login(seeded, "hall-manager-510100")
    centre = await centre_id()
    before = await fingerprint()

    def window(**values: Any) -> dict[str, Any]:
        return {"centreId": centre, "number": "9", "name": "综合受理", "group": "A", **values}

    results = [
        await act(seeded, UPSERT_WINDOW, manager, **window(group="a1")),
        await act(seeded, UPSERT_WINDOW, manager, **window(number="")),
        await act(seeded, UPSERT_WINDOW, manager, **window(name="x" * 65)),
        await act(seeded, UPSERT_WINDOW, manager, **window(serviceCodes=["NO-SUCH"])),
        await act(seeded, UPSERT_WINDOW, manager, **window(serviceCodes=["X"] * 51)),
        await act(seeded, UPSERT_WINDOW, manager, **window(centreId="bm9wZQ")),
        await act(
            seeded,
            UPSERT_WINDOW,
            manager,
            **window(centreId=relay.to_base64("ServiceCentre", str(uuid.uuid4()))),
        ),
        await act(
            seeded,
            HOURS,
            manager,
            centreId=centre,
            days=[{"weekday": 0, "opensAt": "12:00:00", "closesAt": "09:00:00"}],
        ),
        await act(
            seeded,
            HOURS,
            manager,
            centreId=centre,
            days=[{"weekday": 7, "opensAt": "09:00:00", "closesAt": "12:00:00"}],
        ),
        await act(
            seeded,
            HOURS,
            manager,
            centreId=centre,
            days=[{"weekday": 1, "opensAt": "09:00:00", "closesAt": "12:00:00"}] * 2,
        ),
        await act(seeded, ASSIGN, manager, centreId=centre, username="nobody", role="WINDOW"),
        await act(seeded, REMOVE, manager, centreId=centre, username="hall-manager-510100"),
        await act(seeded, REMOVE, manager, centreId=centre, username="hall-window-510104"),
    ]

    assert [(r["code"], r["field"]) for r in results] == [
        ("INVALID_INPUT", "group"),
        ("INVALID_INPUT", "number"),
        ("INVALID_INPUT", "name"),
        ("SERVICE_NOT_FOUND", "serviceCodes[0]"),
        ("INVALID_INPUT", "serviceCodes"),
        ("CENTRE_NOT_FOUND", "centreId"),
        ("CENTRE_NOT_FOUND", "centreId"),
        ("HOURS_INVALID", "days[0]"),
        ("HOURS_INVALID", "days[0]"),
        ("HOURS_INVALID", "days[1]"),
        ("ACCOUNT_NOT_FOUND", "username"),
        ("LAST_MANAGER", "username"),
        ("ACCOUNT_NOT_FOUND", "username"),
    ]
    assert await fingerprint() == before
