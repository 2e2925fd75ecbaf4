"""Twenty residents racing for the last seat of a slot, each a real GraphQL request at once:
exactly one books it, the others are told it is full, the slot is never overbooked."""

from __future__ import annotations

import asyncio

import httpx

from storage.models.hall import Appointment, AppointmentSlot, QueueTicket
from tests.conftest import RunningApp
from tests.hall.conftest import (
    BOOK,
    CHECK_IN,
    MONDAY,
    at,
    book,
    centre_id,
    china,
    city_item,
    resident,
    slot_start,
)
from tests.hall.test_book_appointment import TUESDAY

RACERS = 20


async def test_twenty_residents_race_for_the_last_seat(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    at(seeded, china(MONDAY, 8))
    service = await city_item()
    starts = slot_start(TUESDAY, 10)
    # Five of the six seats (three windows, two each) are taken first.
    for index in range(5):
        early = await resident(seeded, wechat, f"early-{index}")
        assert (await book(seeded, early, service, starts))["__typename"] == "Appointment"
    racers = [await resident(seeded, wechat, f"racer-{index}") for index in range(RACERS)]
    centre = await centre_id()

    answers = await asyncio.gather(
        *(
            seeded.gql(
                BOOK,
                {"input": {"centreId": centre, "serviceCode": service, "startsAt": starts}},
                token=racer.token,
            )
            for racer in racers
        )
    )
    results = [answer.data["bookAppointment"] for answer in answers]

    won = [r for r in results if r["__typename"] == "Appointment"]
    refused = [r["errorCode"] for r in results if r["__typename"] == "BookAppointmentError"]
    assert len(won) == 1
    assert refused == ["SLOT_FULL"] * (RACERS - 1)
    slot = await AppointmentSlot.get()
    assert (slot.capacity, slot.booked) == (6, 6)
    assert await Appointment.filter(slot_id=slot.id).count() == 6


async def test_one_resident_booking_many_slots_of_a_day_at_once_gets_one(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    at(seeded, china(MONDAY, 8))
    service = await city_item()
    program = await resident(seeded, wechat, "a")
    centre = await centre_id()

    answers = await asyncio.gather(
        *(
            seeded.gql(
                BOOK,
                {
                    "input": {
                        "centreId": centre,
                        "serviceCode": service,
                        "startsAt": slot_start(TUESDAY, hour),
                    }
                },
                token=program.token,
            )
            for hour in (9, 10, 11, 14, 15)
        )
    )
    results = [answer.data["bookAppointment"] for answer in answers]

    assert [r["__typename"] for r in results].count("Appointment") == 1
    assert sorted(r.get("errorCode", "") for r in results) == [""] + ["ALREADY_BOOKED"] * 4
    # The refused ones gave their seats back with their transactions.
    assert sum(slot.booked for slot in await AppointmentSlot.all()) == 1


async def test_checking_in_twice_at_once_gives_one_ticket(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    at(seeded, china(MONDAY, 8))
    service = await city_item()
    program = await resident(seeded, wechat, "a")
    booked = await book(seeded, program, service, slot_start(TUESDAY, 10))
    at(seeded, china(TUESDAY, 10))

    answers = await asyncio.gather(
        *(
            seeded.gql(CHECK_IN, {"input": {"appointmentId": booked["id"]}}, token=program.token)
            for _ in range(4)
        )
    )
    results = [answer.data["checkIn"] for answer in answers]

    assert [r["__typename"] for r in results].count("QueueTicket") == 1
    assert sorted(r.get("errorCode", "") for r in results) == [""] + ["ALREADY_CHECKED_IN"] * 3
    assert await QueueTicket.all().count() == 1
