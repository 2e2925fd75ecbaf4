"""The worker's no-show sweep: a booking whose slot ended without a check-in becomes a
NO_SHOW with one inbox notice to its resident (and the suspension notice when it is the
no-show that suspends booking); two workers at once, or a worker and the resident's own read,
record and tell it once; the seat is not given back."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from api.worker import JOBS, record_no_shows
from resolvers.hall.booking import sweep_no_shows
from storage.models.hall import Appointment, AppointmentSlot
from storage.models.outbox import OutboxMessage
from tests.conftest import RunningApp
from tests.hall.conftest import MONDAY, at, book, china, city_item, resident, slot_start
from tests.hall.test_book_appointment import TUESDAY, WEDNESDAY
from tests.hall.test_no_shows import statuses


async def _notices(topic: str) -> list[dict[str, Any]]:
    rows = await OutboxMessage.filter(kind="notification.inbox").order_by("created_at")
    return [dict(r.payload) for r in rows if r.payload.get("topic") == topic]


async def test_two_workers_record_each_no_show_and_tell_it_once(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    at(seeded, china(MONDAY, 8))
    service = await city_item()
    program = await resident(seeded, wechat, "a")
    first = await book(seeded, program, service, slot_start(TUESDAY, 10))
    second = await book(seeded, program, service, slot_start(WEDNESDAY, 10))
    assert first["__typename"] == second["__typename"] == "Appointment"
    booked_seats = {s.id: s.booked for s in await AppointmentSlot.all()}

    at(seeded, china(TUESDAY, 10, 29))
    early = await sweep_no_shows(seeded.resources)
    at(seeded, china(TUESDAY, 10, 30))
    counts = await asyncio.gather(
        sweep_no_shows(seeded.resources), sweep_no_shows(seeded.resources)
    )
    again = await sweep_no_shows(seeded.resources)
    after_first = await statuses(seeded, program.token)
    first_notices = await _notices("APPOINTMENT_NO_SHOW")

    at(seeded, china(WEDNESDAY, 12))
    job_counts = await asyncio.gather(
        record_no_shows(seeded.resources), record_no_shows(seeded.resources)
    )

    assert early == 0
    assert sorted(counts) == [0, 1], counts
    assert again == 0
    assert after_first == ["BOOKED", "NO_SHOW"]
    assert len(first_notices) == 1
    owner = (await Appointment.first()).resident_id  # type: ignore[union-attr]
    assert first_notices[0]["account_ids"] == [str(owner)]
    assert "未按时签到" in first_notices[0]["body"]
    assert sorted(job_counts) == [0, 1], job_counts
    rows = await Appointment.all()
    assert sorted(r.status.value for r in rows) == ["NO_SHOW", "NO_SHOW"]
    assert all(r.active_key is None for r in rows)
    # The seats passed with their slots: nothing is given back.
    assert {s.id: s.booked for s in await AppointmentSlot.all()} == booked_seats
    assert len(await _notices("APPOINTMENT_NO_SHOW")) == 2
    suspended = await _notices("BOOKING_SUSPENDED")
    assert len(suspended) == 1
    assert "2025年4月4日 10:30" in suspended[0]["body"]
    assert "record-no-shows" in {job.name for job in JOBS}
    # Reading afterwards tells nothing again.
    await statuses(seeded, program.token)
    assert len(await _notices("APPOINTMENT_NO_SHOW")) == 2
    assert len(await _notices("BOOKING_SUSPENDED")) == 1


async def test_a_read_before_the_sweep_records_and_tells_it_once(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    at(seeded, china(MONDAY, 8))
    service = await city_item()
    program = await resident(seeded, wechat, "b")
    booked = await book(seeded, program, service, slot_start(TUESDAY, 10))
    assert booked["__typename"] == "Appointment", booked

    at(seeded, china(TUESDAY, 11))
    read, swept = await asyncio.gather(
        statuses(seeded, program.token), sweep_no_shows(seeded.resources)
    )
    later = await sweep_no_shows(seeded.resources)

    assert read == ["NO_SHOW"]
    assert swept in (0, 1)
    assert later == 0
    assert len(await _notices("APPOINTMENT_NO_SHOW")) == 1
    assert await _notices("BOOKING_SUSPENDED") == []
