"""appointmentSlots, bookAppointment, cancelAppointment, myAppointments: the hall's booking
rules (1 to 5 working days ahead, one per item per day, cancel 2 hours before) and bad input."""

from __future__ import annotations

from datetime import date

import httpx

from storage.models.hall import AppointmentSlot
from tests.conftest import RunningApp
from tests.hall.conftest import (
    BOOK,
    CANCEL,
    MONDAY,
    SLOTS,
    act,
    at,
    book,
    centre_id,
    china,
    city_item,
    login,
    resident,
    slot_start,
)

TUESDAY = date(2025, 3, 4)
WEDNESDAY = date(2025, 3, 5)
SATURDAY = date(2025, 3, 8)
NEXT_TUESDAY = date(2025, 3, 11)  # 6 working days after MONDAY
MINE = """
query($first: Int) { myAppointments(first: $first) {
  edges { node { id status serviceCode startsAt } } pageInfo { hasNextPage }
} }
"""


async def slots(running: RunningApp, day: date, service: str) -> list[dict]:
    data = await running.gql.data(
        SLOTS, {"centre": await centre_id(), "service": service, "date": day.isoformat()}
    )
    return list(data["appointmentSlots"])


async def test_slots_are_cut_from_the_hours_of_bookable_working_days(seeded: RunningApp) -> None:
    at(seeded, china(MONDAY, 8))
    service = await city_item()

    tomorrow = await slots(seeded, TUESDAY, service)
    today = await slots(seeded, MONDAY, service)
    weekend = await slots(seeded, SATURDAY, service)
    too_far = await slots(seeded, NEXT_TUESDAY, service)
    fifth = await slots(seeded, date(2025, 3, 10), service)

    # 09:00-17:00 in half hours; three windows of group A take 2 bookings each.
    assert len(tomorrow) == 16
    assert tomorrow[0] == {
        "startsAt": "2025-03-04T09:00:00+08:00",
        "endsAt": "2025-03-04T09:30:00+08:00",
        "capacity": 6,
        "available": 6,
    }
    assert today == []
    assert weekend == []
    assert too_far == []
    assert len(fifth) == 16


async def test_a_resident_books_once_per_item_and_day_and_the_seat_is_taken(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    at(seeded, china(MONDAY, 8))
    service = await city_item()
    program = await resident(seeded, wechat, "a")

    booked = await book(seeded, program, service, slot_start(TUESDAY, 10))
    again = await book(seeded, program, service, slot_start(TUESDAY, 14))
    other_day = await book(seeded, program, service, slot_start(WEDNESDAY, 10))
    left = await slots(seeded, TUESDAY, service)
    mine = await seeded.gql.data(MINE, {"first": 10}, token=program.token)

    assert booked["__typename"] == "Appointment", booked
    assert booked["status"] == "BOOKED"
    assert booked["startsAt"] == "2025-03-04T02:00:00+00:00"
    assert booked["cancellableUntil"] == "2025-03-04T00:00:00+00:00"
    assert again == {
        "__typename": "BookAppointmentError",
        "code": "ALREADY_BOOKED",
        "message": "您当天已预约过该事项。",
        "field": "serviceCode",
    }
    assert other_day["__typename"] == "Appointment"
    assert [s["available"] for s in left if s["startsAt"].startswith("2025-03-04T10:00")] == [5]
    # The refused second booking took no seat.
    assert sum(s.booked for s in await AppointmentSlot.all()) == 2
    assert [n["node"]["id"] for n in mine["myAppointments"]["edges"]] == [
        other_day["id"],
        booked["id"],
    ]


async def test_bad_booking_input_changes_nothing(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    at(seeded, china(MONDAY, 8))
    service = await city_item()
    program = await resident(seeded, wechat, "a")
    centre = await centre_id()
    officer = await login(seeded, "hall-window-510100")

    async def attempt(token: str | None, **values: object) -> tuple[str, str | None]:
        fields: dict[str, object] = {
            "centreId": centre,
            "serviceCode": service,
            "startsAt": slot_start(TUESDAY, 10),
        }
        fields.update(values)
        result = await act(seeded, BOOK, token, **fields)
        return result.get("code", result["__typename"]), result.get("field")

    results = [
        await attempt(program.token, centreId="bm90LWFuLWlk"),
        await attempt(program.token, serviceCode="NO-SUCH-ITEM"),
        await attempt(program.token, serviceCode=""),
        await attempt(program.token, startsAt=slot_start(TUESDAY, 9, 10)),
        await attempt(program.token, startsAt=slot_start(TUESDAY, 17)),
        await attempt(program.token, startsAt=slot_start(MONDAY, 15)),
        await attempt(program.token, startsAt=slot_start(SATURDAY, 10)),
        await attempt(program.token, startsAt=slot_start(NEXT_TUESDAY, 10)),
        await attempt(None),
        await attempt(officer),
    ]

    assert results == [
        ("CENTRE_NOT_FOUND", "centreId"),
        ("SERVICE_NOT_FOUND", "serviceCode"),
        ("SERVICE_NOT_FOUND", "serviceCode"),
        ("SLOT_NOT_FOUND", "startsAt"),
        ("SLOT_NOT_FOUND", "startsAt"),
        ("DAY_NOT_BOOKABLE", "startsAt"),
        ("DAY_NOT_BOOKABLE", "startsAt"),
        ("DAY_NOT_BOOKABLE", "startsAt"),
        ("UNAUTHENTICATED", None),
        ("FORBIDDEN", None),
    ]
    assert await AppointmentSlot.filter(booked__gt=0).count() == 0


async def test_cancelling_frees_the_seat_until_two_hours_before(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    at(seeded, china(MONDAY, 8))
    service = await city_item()
    program = await resident(seeded, wechat, "a")
    other = await resident(seeded, wechat, "b")
    early = await book(seeded, program, service, slot_start(TUESDAY, 10))
    late = await book(seeded, program, service, slot_start(WEDNESDAY, 10))

    by_other = await act(seeded, CANCEL, other.token, appointmentId=early["id"])
    bad_id = await act(seeded, CANCEL, program.token, appointmentId="not-an-id")
    cancelled = await act(seeded, CANCEL, program.token, appointmentId=early["id"])
    twice = await act(seeded, CANCEL, program.token, appointmentId=early["id"])
    at(seeded, china(WEDNESDAY, 8, 1))  # 1 h 59 min before the slot
    too_late = await act(seeded, CANCEL, program.token, appointmentId=late["id"])
    at(seeded, china(MONDAY, 9))
    rebooked = await book(seeded, program, service, slot_start(TUESDAY, 11))

    assert by_other["code"] == "NOT_FOUND"
    assert by_other["field"] == "appointmentId"
    assert bad_id["code"] == "NOT_FOUND"
    assert cancelled["status"] == "CANCELLED"
    assert twice["code"] == "INVALID_STATE"
    assert too_late["code"] == "CANCEL_TOO_LATE"
    # The day's booking of the item is free again once cancelled.
    assert rebooked["__typename"] == "Appointment", rebooked
    booked = {str(s.starts_at.isoformat()): s.booked for s in await AppointmentSlot.all()}
    assert sorted(booked.values()) == [0, 1, 1]


async def test_my_appointments_are_bounded(seeded: RunningApp, wechat: httpx.AsyncClient) -> None:
    program = await resident(seeded, wechat, "a")
    too_many = await seeded.gql(MINE, {"first": 51}, token=program.token)
    anonymous = await seeded.gql(MINE, {"first": 5})

    assert too_many.error_codes == ["BAD_USER_INPUT"]
    assert anonymous.body["data"]["myAppointments"]["edges"] == []
