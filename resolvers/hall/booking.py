"""Appointments (预约): slots cut from a centre's opening hours on working days, booking and
cancelling under the hall's rules (settings `hall_*`), and the no-show suspension.

Rules, each a setting:
- a day is bookable when it is a working day of the calendar (the one deadlines count on),
  the centre is open that weekday, and it lies `hall_book_min_days_ahead` to
  `hall_book_max_days_ahead` working days after today (1 to 5);
- one active booking per resident per item per day (a unique key on the booking row);
- cancelling ends `hall_cancel_before_minutes` (120) before the slot starts;
- a booking not checked in by its slot's end is a no-show; `hall_no_show_limit` (2) no-shows
  within `hall_no_show_window_days` (30) suspend online booking for `hall_suspension_days`
  (30) from the last of them.

No-shows are recorded by the worker's sweep (`sweep_no_shows`) and, should it lag, by the
resident's next read or booking; either way through `record_no_shows`, which tells the
resident once per no-show (and once more when it suspends their booking).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from uuid import UUID

from resolvers import policy
from resolvers.calendar import service as calendar
from resolvers.catalogue import service as catalogue
from resolvers.hall.errors import HallError
from resolvers.hall.errors import HallErrorCode as Code
from resolvers.notifications.service import enqueue_inbox, wechat_time
from resolvers.principal import Principal
from resolvers.resources import Resources
from resolvers.settings import Settings
from storage.models.catalogue import Implementation, ServiceCentre
from storage.models.hall import Appointment, AppointmentSlot, AppointmentStatus
from storage.repositories import hall as repo
from storage.repositories.pagination import Page, Scalar
from storage.transactions import IntegrityError, atomic

# A day holds at most this many slots (slots are at least 5 minutes long).
MAX_SLOTS_A_DAY = 24 * 60 // 5


@dataclass(frozen=True, slots=True)
class SlotView:
    starts_at: datetime
    ends_at: datetime
    capacity: int
    booked: int

    @property
    def available(self) -> int:
        return max(0, self.capacity - self.booked)


@dataclass(frozen=True, slots=True)
class Bookable:
    """What booking an item at a centre needs: the item, its queue group and capacity."""

    centre: ServiceCentre
    implementation: Implementation
    group: str
    capacity: int


async def bookable(
    resources: Resources, centre_id: UUID, service_code: str, *, field: str = "serviceCode"
) -> Bookable:
    """The item at the centre and the queue group that serves it: of the groups with windows
    taking it, the one with the most windows (then by name)."""
    centre = await repo.centre(centre_id)
    if centre is None:
        raise HallError(Code.CENTRE_NOT_FOUND, "centreId")
    implementation = await catalogue.get_service(service_code, None)
    if implementation is None:
        raise HallError(Code.SERVICE_NOT_FOUND, field)
    if not await repo.centre_handles(centre, implementation):
        raise HallError(Code.SERVICE_NOT_HANDLED, field)
    groups = await repo.groups_serving(centre.id, implementation.code)
    if not groups:
        raise HallError(Code.NO_WINDOW_FOR_SERVICE, field)
    group, windows = min(groups.items(), key=lambda item: (-item[1], item[0]))
    capacity = windows * resources.settings.hall_bookings_per_window_slot
    return Bookable(centre, implementation, group, capacity)


async def bookable_day(resources: Resources, day: date, now: datetime) -> bool:
    """A working day of the calendar within the ahead window (see the module's rules)."""
    settings = resources.settings
    today = calendar.china_date(now)
    if day <= today and settings.hall_book_min_days_ahead > 0:
        return False
    known = await calendar.days(day, day)
    if not known or not known[0].is_workday:
        return False
    ahead = await calendar.working_days_between(today, day)
    return settings.hall_book_min_days_ahead <= ahead <= settings.hall_book_max_days_ahead


async def day_slots(
    settings: Settings, centre_id: UUID, day: date
) -> list[tuple[datetime, datetime]]:
    """The slots of a day: the centre's hours that weekday cut into `hall_slot_minutes`."""
    hours = {row.weekday: row for row in await repo.hours(centre_id)}
    opening = hours.get(day.weekday())
    if opening is None:
        return []
    step = timedelta(minutes=settings.hall_slot_minutes)
    start = datetime.combine(day, opening.opens_at, tzinfo=calendar.CHINA)
    close = datetime.combine(day, opening.closes_at, tzinfo=calendar.CHINA)
    cut = []
    while start + step <= close:
        # In UTC, as stored: SQLite compares datetimes as text.
        cut.append((start.astimezone(UTC), (start + step).astimezone(UTC)))
        start += step
    return cut


async def appointment_slots(
    resources: Resources, centre_id: UUID, service_code: str, day: date
) -> list[SlotView]:
    """The day's slots for the item with their seats; [] for a day that cannot be booked."""
    found = await bookable(resources, centre_id, service_code)
    if not await bookable_day(resources, day, resources.clock()):
        return []
    cut = await day_slots(resources.settings, centre_id, day)
    if not cut:
        return []
    taken = {
        row.starts_at: row
        for row in await repo.slots_between(centre_id, found.group, cut[0][0], cut[-1][1])
    }
    views = []
    for start, end in cut:
        row = taken.get(start)
        views.append(
            SlotView(
                start,
                end,
                row.capacity if row else found.capacity,
                row.booked if row else 0,
            )
        )
    return views


def suspended_until(settings: Settings, no_shows: list[datetime]) -> datetime | None:
    """When online booking opens again after the no-shows (oldest first), if ever closed:
    `limit` of them within the window close it for the suspension from the last one."""
    limit = settings.hall_no_show_limit
    window = timedelta(days=settings.hall_no_show_window_days)
    until = None
    for index in range(limit - 1, len(no_shows)):
        if no_shows[index] - no_shows[index - limit + 1] <= window:
            ends = no_shows[index] + timedelta(days=settings.hall_suspension_days)
            until = ends if until is None else max(until, ends)
    return until


async def record_no_shows(resources: Resources, resident_id: UUID, now: datetime) -> int:
    """The resident's bookings whose slot ended without a check-in become no-shows (the seat
    passed with the slot: nothing is freed). Each one is told to the resident once, and the
    no-show that suspends their booking is told as such, whoever records it first (the
    resident's row lock serialises a sweep and a read racing on the same resident)."""
    if not await repo.ended_unattended(resident_id, now):
        return 0
    settings = resources.settings
    since = now - timedelta(days=settings.hall_no_show_window_days + settings.hall_suspension_days)
    key = f"appointments:{resident_id}"
    recorded: list[Appointment] = []
    async with atomic():
        await repo.lock_resident(resident_id)
        earlier = await repo.no_show_ends(resident_id, since)
        for row in await repo.ended_unattended_for_update(resident_id, now):
            if not await repo.mark_no_show(row.id):
                continue
            recorded.append(row)
            await enqueue_inbox(
                key=key,
                now=now,
                topic="APPOINTMENT_NO_SHOW",
                title="预约未到",
                body=(
                    f"您预约的 {row.service_name}（{wechat_time(row.starts_at)}）未按时签到，"
                    f"已记为爽约。{settings.hall_no_show_window_days} 天内爽约 "
                    f"{settings.hall_no_show_limit} 次将暂停网上预约。"
                )[:200],
                subject_id=row.id,
                account_ids=[resident_id],
            )
        if not recorded:
            return 0
        before = suspended_until(settings, earlier)
        after = suspended_until(settings, sorted([*earlier, *(r.ends_at for r in recorded)]))
        if after is not None and after > now and after != before:
            await enqueue_inbox(
                key=key,
                now=now,
                topic="BOOKING_SUSPENDED",
                title="网上预约已暂停",
                body=(
                    f"您 {settings.hall_no_show_window_days} 天内爽约已达 "
                    f"{settings.hall_no_show_limit} 次，网上预约暂停至 {wechat_time(after)}。"
                    "期间仍可到大厅现场取号办理。"
                )[:200],
                subject_id=resident_id,
                account_ids=[resident_id],
            )
    return len(recorded)


async def sweep_no_shows(resources: Resources, *, batch: int = 100) -> int:
    """The worker's pass: every booking whose slot ended without a check-in, recorded as a
    no-show with its notices. Safe to run in several workers at once."""
    now = resources.clock()
    done = 0
    seen: set[UUID] = set()
    while True:
        residents = [
            r for r in await repo.residents_with_ended_bookings(now, batch) if r not in seen
        ]
        if not residents:
            return done
        for resident_id in residents:
            seen.add(resident_id)
            done += await record_no_shows(resources, resident_id, now)


async def suspension_of(resources: Resources, resident_id: UUID) -> datetime | None:
    """The end of the resident's booking suspension, when it is in force now."""
    settings = resources.settings
    now = resources.clock()
    await record_no_shows(resources, resident_id, now)
    since = now - timedelta(days=settings.hall_no_show_window_days + settings.hall_suspension_days)
    until = suspended_until(settings, await repo.no_show_ends(resident_id, since))
    return until if until is not None and until > now else None


async def my_suspension(resources: Resources, principal: Principal) -> datetime | None:
    """Until when the signed-in resident's online booking is suspended; None when it is not."""
    resident_id = principal.account_id
    assert resident_id is not None
    return await suspension_of(resources, resident_id)


async def book(
    resources: Resources,
    principal: Principal,
    *,
    centre_id: UUID,
    service_code: str,
    starts_at: datetime,
) -> Appointment:
    await policy.authorize(resources, principal, policy.Action.APPOINTMENT_BOOK)
    resident_id = principal.account_id
    assert resident_id is not None
    if starts_at.tzinfo is None:
        raise HallError(Code.INVALID_INPUT, "startsAt")
    found = await bookable(resources, centre_id, service_code)
    if await suspension_of(resources, resident_id) is not None:
        raise HallError(Code.BOOKING_SUSPENDED)
    now = resources.clock()
    day = calendar.china_date(starts_at)
    if starts_at <= now or not await bookable_day(resources, day, now):
        raise HallError(Code.DAY_NOT_BOOKABLE, "startsAt")
    chosen = next(
        (cut for cut in await day_slots(resources.settings, centre_id, day) if cut[0] == starts_at),
        None,
    )
    if chosen is None:
        raise HallError(Code.SLOT_NOT_FOUND, "startsAt")
    slot: AppointmentSlot = await repo.slot(centre_id, found.group, *chosen, found.capacity)
    implementation = found.implementation
    try:
        async with atomic():
            if not await repo.take_seat(slot.id):
                raise HallError(Code.SLOT_FULL, "startsAt")
            return await repo.create_appointment(
                resident_id=resident_id,
                slot_id=slot.id,
                centre_id=centre_id,
                implementation_id=implementation.id,
                service_code=implementation.code,
                service_name=implementation.name,
                group=found.group,
                day=day,
                starts_at=chosen[0],
                ends_at=chosen[1],
                active_key=f"{resident_id}:{implementation.code}:{day.isoformat()}",
            )
    except IntegrityError:
        # The unique key of (resident, item, day): the seat taken above is rolled back.
        raise HallError(Code.ALREADY_BOOKED, "serviceCode") from None


async def _own(
    resources: Resources, principal: Principal, appointment_id: UUID, action: policy.Action
) -> Appointment:
    row = await repo.appointment(appointment_id)
    await policy.authorize_seen(
        resources,
        principal,
        action,
        policy.Subject(owner_id=row.resident_id, centre_id=row.centre_id) if row else None,
        seen_by=action,
        hidden=HallError(Code.NOT_FOUND, "appointmentId"),
        field="appointmentId",
    )
    assert row is not None
    return row


async def cancel(resources: Resources, principal: Principal, appointment_id: UUID) -> Appointment:
    """The owner cancels a booking up to the cut-off before its slot; the seat is free again."""
    await _own(resources, principal, appointment_id, policy.Action.APPOINTMENT_CANCEL)
    now = resources.clock()
    async with atomic():
        row = await repo.appointment_for_update(appointment_id)
        assert row is not None
        if row.status is not AppointmentStatus.BOOKED:
            raise HallError(Code.INVALID_STATE, "appointmentId")
        cutoff = row.starts_at - timedelta(minutes=resources.settings.hall_cancel_before_minutes)
        if now > cutoff:
            raise HallError(Code.CANCEL_TOO_LATE, "appointmentId")
        row.status = AppointmentStatus.CANCELLED
        row.active_key = None
        row.cancelled_at = now
        await repo.save_appointment(row, ["status", "active_key", "cancelled_at"])
        await repo.release_seat(row.slot_id)
    return row


async def mine(
    resources: Resources,
    principal: Principal,
    *,
    status: AppointmentStatus | None,
    first: int,
    after: list[Scalar] | None,
) -> Page[Appointment]:
    """The resident's appointments, latest slot first (no-shows recorded before reading)."""
    resident_id = principal.account_id
    assert resident_id is not None
    await record_no_shows(resources, resident_id, resources.clock())
    return await repo.appointments_of(resident_id, status, first=first, after=after)
