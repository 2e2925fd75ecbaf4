"""The queue (排队叫号): check-in gives a ticket numbered per queue group and day (A001 …);
window staff call, recall and skip; residents follow their position.

The order, as halls run it: tickets are called by `queued_at`. A walk-in ticket queues from
the moment it is issued. An appointment ticket queues from its slot's start, whether the
resident checked in early (up to `hall_check_in_early_minutes` before) or during the slot: an
appointment holder is ahead of every walk-in who came after their slot began, and behind those
who came before it; at the same moment an appointment goes first. Within the group, a window
limited to some items calls the first ticket for one of its items.

A called ticket that is not answered is recalled (at most `hall_max_recalls` times), then
skipped (过号). A skipped ticket does not come back: the resident checks in again (with the
same appointment, on the same day, or with a new slip from the terminal) and queues at the
back, from that moment. Calling the next ticket at a window closes the one it called before
(SERVED).

When a waiting ticket first has `hall_remind_when_ahead` (3) or fewer people ahead, its
resident gets one WeChat subscribe message (if granted): the flag on the ticket flips once,
in the transaction that queues the message, so it is sent exactly once per ticket.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from uuid import UUID

from resolvers import policy
from resolvers.calendar import service as calendar
from resolvers.hall.booking import bookable
from resolvers.hall.errors import HallError
from resolvers.hall.errors import HallErrorCode as Code
from resolvers.notifications import service as notifications
from resolvers.principal import Principal
from resolvers.resources import Resources
from storage.cache import RedisError
from storage.models.hall import (
    AppointmentStatus,
    HallWindow,
    QueueTicket,
    TicketKind,
    TicketStatus,
)
from storage.repositories import hall as repo
from storage.transactions import atomic

log = logging.getLogger(__name__)

REMINDER_EVENT = "QUEUE_REMINDER"


@dataclass(frozen=True, slots=True)
class TicketState:
    ticket: QueueTicket
    ahead: int | None  # people waiting before it; None once it is no longer waiting


def channel(centre_id: UUID, group: str, day: date) -> str:
    return f"events:queue:{centre_id}:{group}:{day.isoformat()}"


async def _publish(resources: Resources, ticket: QueueTicket) -> None:
    """After commit, best effort: every follower of the group reads its position again."""
    try:
        await resources.redis.publish(
            channel(ticket.centre_id, ticket.group, ticket.day), str(ticket.id)
        )
    except RedisError:
        log.warning("queue event not published: Redis unavailable")


async def _remind(resources: Resources, centre_id: UUID, group: str, day: date) -> None:
    """Inside the caller's transaction: the one reminder of each waiting ticket that now has
    few enough people ahead."""
    now = resources.clock()
    threshold = resources.settings.hall_remind_when_ahead
    waiting = await repo.first_waiting(centre_id, group, day, threshold + 1)
    for ahead, ticket in enumerate(waiting):
        if ticket.owner_id is None or ticket.reminded:
            continue
        if not await repo.mark_reminded(ticket.id):
            continue
        await notifications.enqueue_wechat(
            key=f"queue:{ticket.id}",
            now=now,
            account_id=ticket.owner_id,
            event=REMINDER_EVENT,
            values={
                "number": ticket.code,
                "service": ticket.service_name,
                "status": "即将叫号",
                "time": notifications.wechat_time(now),
            },
            page=f"pages/hall/ticket?id={ticket.id}&ahead={ahead}",
        )


async def _open_now(resources: Resources, centre_id: UUID, now: datetime) -> bool:
    local = now.astimezone(calendar.CHINA)
    known = await calendar.days(local.date(), local.date())
    if not known or not known[0].is_workday:
        return False
    for row in await repo.hours(centre_id):
        if row.weekday == local.weekday():
            # Hours are wall-clock times of the centre (China time), however the driver
            # returns them.
            opens, closes = row.opens_at.replace(tzinfo=None), row.closes_at.replace(tzinfo=None)
            return opens <= local.time().replace(tzinfo=None) < closes
    return False


async def check_in_appointment(
    resources: Resources, principal: Principal, appointment_id: UUID
) -> QueueTicket:
    """The resident (or a terminal of that centre) checks in a booking on its day, from
    `hall_check_in_early_minutes` before its slot to the slot's end."""
    row = await repo.appointment(appointment_id)
    await policy.authorize_seen(
        resources,
        principal,
        policy.Action.QUEUE_CHECK_IN,
        policy.Subject(owner_id=row.resident_id, centre_id=row.centre_id) if row else None,
        seen_by=policy.Action.QUEUE_CHECK_IN,
        hidden=HallError(Code.NOT_FOUND, "appointmentId"),
        field="appointmentId",
    )
    now = resources.clock()
    early = timedelta(minutes=resources.settings.hall_check_in_early_minutes)
    terminal = await _terminal_id(principal)
    async with atomic():
        appointment = await repo.appointment_for_update(appointment_id)
        assert appointment is not None
        if appointment.status is AppointmentStatus.BOOKED:
            if not appointment.starts_at - early <= now < appointment.ends_at:
                raise HallError(Code.NOT_CHECK_IN_TIME, "appointmentId")
            queued_at = appointment.starts_at
            appointment.status = AppointmentStatus.CHECKED_IN
            appointment.checked_in_at = now
            await repo.save_appointment(appointment, ["status", "checked_in_at"])
        elif appointment.status is AppointmentStatus.CHECKED_IN:
            if await repo.live_ticket_of_appointment(appointment.id) is not None:
                raise HallError(Code.ALREADY_CHECKED_IN, "appointmentId")
            if calendar.china_date(now) != appointment.day:
                raise HallError(Code.NOT_CHECK_IN_TIME, "appointmentId")
            queued_at = now  # skipped before: back of the queue
        else:
            raise HallError(Code.INVALID_STATE, "appointmentId")
        ticket = await _issue(
            resources,
            centre_id=appointment.centre_id,
            group=appointment.group,
            day=appointment.day,
            kind=TicketKind.APPOINTMENT,
            implementation_id=appointment.implementation_id,
            service_code=appointment.service_code,
            service_name=appointment.service_name,
            appointment_id=appointment.id,
            owner_id=appointment.resident_id,
            terminal_id=terminal,
            queued_at=queued_at,
            now=now,
        )
    await _publish(resources, ticket)
    return ticket


async def _terminal_id(principal: Principal) -> UUID | None:
    if principal.account_id is None:
        return None
    terminal = await repo.terminal_of_account(principal.account_id)
    return terminal.id if terminal is not None else None


async def check_in_walk_in(
    resources: Resources, principal: Principal, centre_id: UUID, service_code: str
) -> QueueTicket:
    """A terminal in the centre's hall issues a walk-in slip while the centre is open."""
    # Centres are public: an unknown one is named as such (the role check already ran).
    if await repo.centre(centre_id) is None:
        raise HallError(Code.CENTRE_NOT_FOUND, "centreId")
    await policy.authorize(
        resources,
        principal,
        policy.Action.QUEUE_CHECK_IN,
        policy.Subject(centre_id=centre_id),
        field="centreId",
    )
    found = await bookable(resources, centre_id, service_code)
    now = resources.clock()
    if not await _open_now(resources, centre_id, now):
        raise HallError(Code.CENTRE_CLOSED, "centreId")
    terminal = await _terminal_id(principal)
    async with atomic():
        ticket = await _issue(
            resources,
            centre_id=centre_id,
            group=found.group,
            day=calendar.china_date(now),
            kind=TicketKind.WALK_IN,
            implementation_id=found.implementation.id,
            service_code=found.implementation.code,
            service_name=found.implementation.name,
            appointment_id=None,
            owner_id=None,
            terminal_id=terminal,
            queued_at=now,
            now=now,
        )
    await _publish(resources, ticket)
    return ticket


async def _issue(
    resources: Resources,
    *,
    centre_id: UUID,
    group: str,
    day: date,
    now: datetime,
    **values: object,
) -> QueueTicket:
    number = await repo.next_number(centre_id, group, day)
    ticket = await repo.create_ticket(
        centre_id=centre_id, group=group, day=day, number=number, issued_at=now, **values
    )
    await _remind(resources, centre_id, group, day)
    return ticket


async def _window(resources: Resources, principal: Principal, window_id: UUID) -> HallWindow:
    # Windows are public (centreHall): staff of another centre are told FORBIDDEN, and only
    # a window that does not exist is NOT_FOUND (the role check already ran).
    window = await repo.window(window_id)
    if window is None:
        raise HallError(Code.NOT_FOUND, "windowId")
    await policy.authorize(
        resources,
        principal,
        policy.Action.QUEUE_CALL_NEXT,
        policy.Subject(centre_id=window.centre_id),
        field="windowId",
    )
    return window


async def call_next(resources: Resources, principal: Principal, window_id: UUID) -> QueueTicket:
    """The window's previous ticket is served; the next one it may serve is called to it."""
    window = await _window(resources, principal, window_id)
    if not window.is_open:
        raise HallError(Code.WINDOW_CLOSED, "windowId")
    limits = (await repo.window_service_codes([window.id]))[window.id]
    now = resources.clock()
    day = calendar.china_date(now)
    assert principal.account_id is not None
    async with atomic():
        await repo.finish_called(window.id, now)
        ticket = await repo.next_for_window(window.centre_id, window.group, day, limits)
        if ticket is not None:
            ticket.status = TicketStatus.CALLED
            ticket.window_id = window.id
            ticket.called_at = now
            await repo.save_ticket(ticket, ["status", "window_id", "called_at"])
            await repo.audit(
                window.centre_id,
                principal.account_id,
                "TICKET_CALLED",
                at=now,
                subject_id=ticket.id,
                detail=f"{ticket.code} -> {window.number}",
            )
            await _remind(resources, window.centre_id, window.group, day)
    if ticket is None:
        raise HallError(Code.QUEUE_EMPTY, "windowId")
    await _publish(resources, ticket)
    return ticket


async def _called(
    resources: Resources, principal: Principal, ticket_id: UUID, action: policy.Action
) -> QueueTicket:
    ticket = await repo.ticket(ticket_id)
    await policy.authorize_seen(
        resources,
        principal,
        action,
        policy.Subject(centre_id=ticket.centre_id) if ticket else None,
        seen_by=action,
        hidden=HallError(Code.NOT_FOUND, "ticketId"),
        field="ticketId",
    )
    assert ticket is not None
    return ticket


async def recall(resources: Resources, principal: Principal, ticket_id: UUID) -> QueueTicket:
    """Calls a called ticket again (screen and voice), up to `hall_max_recalls` times."""
    await _called(resources, principal, ticket_id, policy.Action.QUEUE_RECALL)
    now = resources.clock()
    assert principal.account_id is not None
    async with atomic():
        ticket = await repo.ticket_for_update(ticket_id)
        assert ticket is not None
        if ticket.status is not TicketStatus.CALLED:
            raise HallError(Code.NOT_CALLED, "ticketId")
        if ticket.recalls >= resources.settings.hall_max_recalls:
            raise HallError(Code.RECALL_LIMIT, "ticketId")
        ticket.recalls += 1
        ticket.called_at = now
        await repo.save_ticket(ticket, ["recalls", "called_at"])
        await repo.audit(
            ticket.centre_id, principal.account_id, "TICKET_RECALLED", at=now, subject_id=ticket.id
        )
    await _publish(resources, ticket)
    return ticket


async def skip(resources: Resources, principal: Principal, ticket_id: UUID) -> QueueTicket:
    """A called ticket nobody answered is skipped (过号); its resident checks in again."""
    await _called(resources, principal, ticket_id, policy.Action.QUEUE_SKIP)
    now = resources.clock()
    assert principal.account_id is not None
    async with atomic():
        ticket = await repo.ticket_for_update(ticket_id)
        assert ticket is not None
        if ticket.status is not TicketStatus.CALLED:
            raise HallError(Code.NOT_CALLED, "ticketId")
        ticket.status = TicketStatus.SKIPPED
        ticket.finished_at = now
        await repo.save_ticket(ticket, ["status", "finished_at"])
        await repo.audit(
            ticket.centre_id, principal.account_id, "TICKET_SKIPPED", at=now, subject_id=ticket.id
        )
    await _publish(resources, ticket)
    return ticket


async def readable(
    resources: Resources, principal: Principal, ticket_id: UUID
) -> QueueTicket | None:
    """A ticket its resident follows, staff of its centre see, or, for a walk-in slip (no
    name on it, its id in the slip's QR code), whoever holds the slip."""
    ticket = await repo.ticket(ticket_id)
    if ticket is None:
        return None
    if ticket.owner_id is None or ticket.owner_id == principal.account_id:
        return ticket
    subject = policy.Subject(centre_id=ticket.centre_id)
    if await policy.allows(resources, principal, policy.Action.QUEUE_CALL_NEXT, subject):
        return ticket
    return None


async def state(ticket: QueueTicket) -> TicketState:
    if ticket.status is not TicketStatus.WAITING:
        return TicketState(ticket, None)
    return TicketState(ticket, await repo.waiting_ahead(ticket))


async def follow(resources: Resources, ticket: QueueTicket) -> AsyncIterator[TicketState]:
    """The ticket's state now, then after every change in its queue that moves it; ends
    when it is served or skipped. Listening starts before the first read, so that a call
    made meanwhile is not missed."""
    last: tuple[object, ...] | None = None
    events = resources.events.listen(channel(ticket.centre_id, ticket.group, ticket.day))
    waiter: asyncio.Future[str] = asyncio.ensure_future(anext(events))
    await asyncio.sleep(0)
    try:
        current: QueueTicket | None = ticket
        while current is not None:
            now = await state(current)
            key = (now.ticket.status, now.ahead, now.ticket.window_id, now.ticket.recalls)
            if key != last:
                last = key
                yield now
            if now.ticket.status in (TicketStatus.SERVED, TicketStatus.SKIPPED):
                return
            await waiter
            waiter = asyncio.ensure_future(anext(events))
            current = await repo.ticket(ticket.id)
    finally:
        waiter.cancel()
        with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
            await waiter
        await events.aclose()  # type: ignore[attr-defined]


async def window_of(ticket: QueueTicket) -> HallWindow | None:
    """The window a called ticket went to (one look-up: tickets are shown one at a time)."""
    return await repo.window(ticket.window_id) if ticket.window_id else None
