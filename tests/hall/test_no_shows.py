"""No-shows: a booking not checked in by its slot's end counts as one (recorded when next
looked at, on the frozen clock); two in 30 days suspend online booking for 30 days."""

from __future__ import annotations

from datetime import date, timedelta

import httpx

from tests.conftest import RunningApp
from tests.hall.conftest import (
    CANCEL,
    MONDAY,
    act,
    at,
    book,
    china,
    city_item,
    resident,
    slot_start,
)
from tests.hall.test_book_appointment import MINE, TUESDAY, WEDNESDAY

FRIDAY = date(2025, 3, 7)


async def statuses(running: RunningApp, token: str | None) -> list[str]:
    data = await running.gql.data(MINE, {"first": 10}, token=token)
    return [edge["node"]["status"] for edge in data["myAppointments"]["edges"]]


async def test_two_no_shows_suspend_booking_for_thirty_days(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    at(seeded, china(MONDAY, 8))
    service = await city_item()
    program = await resident(seeded, wechat, "a")
    first = await book(seeded, program, service, slot_start(TUESDAY, 10))
    second = await book(seeded, program, service, slot_start(WEDNESDAY, 10))
    assert first["__typename"] == second["__typename"] == "Appointment"

    at(seeded, china(TUESDAY, 10, 29))  # within the first slot: not yet a no-show
    during = await statuses(seeded, program.token)
    at(seeded, china(TUESDAY, 10, 30))  # the slot ended without a check-in
    after_one = await statuses(seeded, program.token)
    still_allowed = await book(seeded, program, service, slot_start(FRIDAY, 9))

    at(seeded, china(WEDNESDAY, 12))
    after_two = await statuses(seeded, program.token)
    # Cancelled in time: not a third no-show (which would suspend for longer).
    cancel = await act(seeded, CANCEL, program.token, appointmentId=still_allowed["id"])
    suspended = await book(seeded, program, service, slot_start(date(2025, 3, 10), 9))
    until = await seeded.gql.data("{ bookingSuspendedUntil }", token=program.token)

    # 30 days after the second no-show ended (2025-04-04 10:30), booking opens again.
    reopens = china(WEDNESDAY, 10, 30) + timedelta(days=30)
    at(seeded, reopens - timedelta(minutes=1))
    last_minute = await book(seeded, program, service, slot_start(date(2025, 4, 7), 9))
    at(seeded, reopens)
    reopened = await book(seeded, program, service, slot_start(date(2025, 4, 7), 9))
    reopened_until = await seeded.gql.data("{ bookingSuspendedUntil }", token=program.token)

    assert during == ["BOOKED", "BOOKED"]
    assert after_one == ["BOOKED", "NO_SHOW"]
    assert still_allowed["__typename"] == "Appointment"
    assert after_two[1:] == ["NO_SHOW", "NO_SHOW"]
    assert cancel["status"] == "CANCELLED"
    assert suspended["code"] == "BOOKING_SUSPENDED"
    assert until["bookingSuspendedUntil"] == "2025-04-04T02:30:00+00:00"
    assert reopened_until["bookingSuspendedUntil"] is None
    assert suspended["message"].startswith("您近期多次预约未到")
    assert last_minute["code"] == "BOOKING_SUSPENDED"
    assert reopened["__typename"] == "Appointment", reopened


async def test_no_shows_further_apart_than_thirty_days_do_not_suspend(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    service = await city_item()
    program = await resident(seeded, wechat, "a")
    at(seeded, china(MONDAY, 8))
    assert (await book(seeded, program, service, slot_start(TUESDAY, 10)))["status"] == "BOOKED"
    later = date(2025, 4, 8)  # a Tuesday 35 days on
    at(seeded, china(date(2025, 4, 7), 8))
    assert (await book(seeded, program, service, slot_start(later, 10)))["status"] == "BOOKED"
    at(seeded, china(date(2025, 4, 9), 8))

    allowed = await book(seeded, program, service, slot_start(date(2025, 4, 10), 10))

    assert (await statuses(seeded, program.token)).count("NO_SHOW") == 2
    only = await seeded.gql.data(
        "{ myAppointments(filter: {status: NO_SHOW}) { edges { node { status } } } }",
        token=program.token,
    )
    assert [e["node"]["status"] for e in only["myAppointments"]["edges"]] == ["NO_SHOW"] * 2
    assert allowed["__typename"] == "Appointment", allowed
