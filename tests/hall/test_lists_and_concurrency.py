"""Lists cost the same statements for 2 rows or 20 (no N+1), and the queue under concurrent
requests: walk-ins at once get distinct numbers, windows calling at once distinct tickets."""

from __future__ import annotations

import asyncio

import httpx

from storage.models.hall import QueueTicket
from tests.conftest import RunningApp
from tests.hall.conftest import (
    CALL_NEXT,
    CHECK_IN,
    MONDAY,
    at,
    book,
    centre_id,
    china,
    city_item,
    hall_terminal,
    login,
    resident,
    slot_start,
    window_id,
)
from tests.hall.test_book_appointment import MINE, TUESDAY
from tests.sql import count_statements

HALL = """
query($id: ID!) { centreHall(centreId: $id) {
  windows { number serviceCodes } openingHours { weekday }
} }
"""


def data_statements(found: object) -> int:
    texts: list[str] = getattr(found, "texts", [])
    return sum(1 for text in texts if '"auth_session"' not in text[:40])


async def test_my_appointments_and_the_hall_cost_the_same_for_few_or_many(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    at(seeded, china(MONDAY, 8))
    service = await city_item()
    program = await resident(seeded, wechat, "a")
    days = ["2025-03-04", "2025-03-05", "2025-03-06", "2025-03-07", "2025-03-10"]
    for day in days[:2]:
        assert (await book(seeded, program, service, f"{day}T09:00:00+08:00"))["status"]
    with count_statements() as few:
        small = await seeded.gql.data(MINE, {"first": 20}, token=program.token)
    for day in days[2:]:
        assert (await book(seeded, program, service, f"{day}T09:00:00+08:00"))["status"]
    with count_statements() as many:
        large = await seeded.gql.data(MINE, {"first": 20}, token=program.token)
    centre = await centre_id()
    with count_statements() as hall:
        windows = await seeded.gql.data(HALL, {"id": centre})

    assert len(small["myAppointments"]["edges"]) == 2
    assert len(large["myAppointments"]["edges"]) == 5
    assert data_statements(many) == data_statements(few)
    assert len(windows["centreHall"]["windows"]) == 3
    # The centre, its windows, all their items at once, its hours.
    assert data_statements(hall) == 4


async def test_concurrent_walk_ins_and_calls_never_share_a_number_or_a_ticket(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    service = await city_item()
    at(seeded, china(MONDAY, 8))
    program = await resident(seeded, wechat, "a")
    booked = await book(seeded, program, service, slot_start(TUESDAY, 10))
    terminal = await hall_terminal(seeded)
    officer = await login(seeded, "hall-window-510100")
    centre = await centre_id()
    at(seeded, china(TUESDAY, 10))

    slips = await asyncio.gather(
        *(
            seeded.gql(
                CHECK_IN,
                {"input": {"centreId": centre, "serviceCode": service}},
                token=terminal,
            )
            for _ in range(8)
        ),
        seeded.gql(CHECK_IN, {"input": {"appointmentId": booked["id"]}}, token=program.token),
    )
    windows = [await window_id(number) for number in ("1", "2", "3")]
    calls = await asyncio.gather(
        *(
            seeded.gql(CALL_NEXT, {"input": {"windowId": window}}, token=officer)
            for window in windows
        )
    )

    codes = sorted(s.data["checkIn"]["code"] for s in slips)
    assert codes == [f"A{n:03d}" for n in range(1, 10)]
    called = [c.data["callNextTicket"]["code"] for c in calls]
    assert len(set(called)) == 3
    assert await QueueTicket.filter(status="CALLED").count() == 3
