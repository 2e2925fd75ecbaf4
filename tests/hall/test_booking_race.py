"""Twenty residents racing for the last seat of a slot, each a real GraphQL request at once:
exactly one books it, the others are told it is full, the slot is never overbooked."""

from __future__ import annotations

import asyncio

import httpx

from storage.models.hall import Appointment, AppointmentSlot
from tests.conftest import RunningApp
from tests.hall.conftest import (
    BOOK,
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
