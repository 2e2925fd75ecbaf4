"""时限: acceptance and completion due dates in working days, the clock stopped during 补正,
80% warnings and overdue flags for supervision (效能监察)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from resolvers.applications.workflow import EVENT_ACTORS
from resolvers.calendar.service import (
    CALENDAR_CHANGED,
    Deadline,
    china_date,
    deadline,
    working_days_between,
)
from resolvers.notifications.service import enqueue_inbox
from resolvers.resources import Resources
from storage.models.applications import Application, ApplicationStatus, EventType
from storage.models.catalogue import HandlingType, Implementation
from storage.models.outbox import OutboxMessage
from storage.repositories import applications as repo
from storage.repositories import window as window_repo
from storage.transactions import atomic

log = logging.getLogger(__name__)


def promised_days(implementation: Implementation) -> int:
    if implementation.handling_type is HandlingType.IMMEDIATE:
        return 0  # 即办件: due the day it is accepted
    return implementation.promised_days


async def acceptance_due(submitted_on: date, days: int, stopped: int) -> Deadline:
    return await deadline(submitted_on, days + stopped)


async def completion_due(accepted_on: date, promised: int, stopped: int) -> Deadline:
    return await deadline(accepted_on, promised + stopped)


async def clock_starts(application: Application, today: date) -> date:
    """The day the handling department's working days count from: today, when its own
    window accepts; for 全域通办 (受办分离) the day the receiving centre accepted it, so
    that the originals' journey across the city is on the department's clock, not the
    resident's."""
    accepted = await window_repo.citywide_of(application.id)
    if accepted is None:
        return today
    started: date = accepted.accepted_on
    return min(started, today)


def is_overdue(application: Application, today: date) -> bool:
    """Past its deadline with the clock running (a working-day deadline: the due date itself
    is still on time). An application waiting for 补正 is never overdue."""
    if application.status is ApplicationStatus.ACCEPTED and application.due_date is not None:
        return today > application.due_date
    if (
        application.status is ApplicationStatus.SUBMITTED
        and application.acceptance_due_date is not None
    ):
        return today > application.acceptance_due_date
    return False


@dataclass(frozen=True, slots=True)
class Scan:
    warned: int = 0
    overdue: int = 0
    rescheduled: int = 0


async def scan(resources: Resources, *, batch: int = 200) -> Scan:
    """One pass over open applications: each breach is escalated exactly once (an event on the
    timeline and a message to the department's inbox), and deadlines that lay beyond the
    calendar are computed again once the calendar reaches them."""
    now = resources.clock()
    today = china_date(now)
    warned = overdue = rescheduled = 0
    after: UUID | None = None
    while True:
        rows = await repo.open_accepted(batch, after)
        if not rows:
            break
        after = rows[-1].id
        for application in rows:
            implementation = await repo.implementation(application.implementation_id)
            if implementation is None:
                continue
            if (application.due_beyond_calendar or application.due_provisional) and (
                await _reschedule(resources, application, implementation, today)
            ):
                rescheduled += 1
            if is_overdue(application, today):
                if await _escalate(application, "overdue_at", EventType.OVERDUE, now):
                    overdue += 1
                continue
            if await _past_warning_share(
                resources, application, implementation, today
            ) and await _escalate(application, "warned_at", EventType.DEADLINE_WARNING, now):
                warned += 1
    return Scan(warned=warned, overdue=overdue, rescheduled=rescheduled)


async def _reschedule(
    resources: Resources, application: Application, implementation: Implementation, today: date
) -> bool:
    """Counts the running due date again on today's calendar; True when it moved (or lost its
    provisional mark). A warning or overdue flag the new date no longer supports is lifted,
    so that the scan raises it again at the right time."""
    if application.status is ApplicationStatus.ACCEPTED and application.accepted_on:
        field = "due_date"
        found = await completion_due(
            application.accepted_on,
            promised_days(implementation),
            application.stopped_working_days,
        )
    else:
        field = "acceptance_due_date"
        found = await acceptance_due(
            china_date(application.submitted_at),
            resources.settings.application_acceptance_days,
            application.stopped_working_days,
        )
    columns = found.columns(field)
    if all(getattr(application, name) == value for name, value in columns.items()):
        return False
    for name, value in columns.items():
        setattr(application, name, value)
    if application.overdue_at is not None and not is_overdue(application, today):
        columns["overdue_at"] = application.overdue_at = None
    if application.warned_at is not None and not await _past_warning_share(
        resources, application, implementation, today
    ):
        columns["warned_at"] = application.warned_at = None
    async with atomic():
        await repo.update(application.id, **columns)
        if field == "due_date":
            for task in await repo.pending_tasks(application.id):
                await repo.set_task_due(task.id, found.due)
    return True


async def _past_warning_share(
    resources: Resources, application: Application, implementation: Implementation, today: date
) -> bool:
    """An accepted application has used its warning share of the promised working days."""
    if (
        application.status is not ApplicationStatus.ACCEPTED
        or application.due_date is None
        or application.accepted_on is None
    ):
        return False
    total = promised_days(implementation)
    if total <= 0:
        return False
    used = total - await working_days_between(today, application.due_date)
    # Compared in whole days (x100) so that 4 of 5 is 80% exactly, not 79.99..%.
    return used * 100 >= round(resources.settings.deadline_warning_share * 100) * total


async def recount(resources: Resources, since: date | None, *, batch: int = 200) -> int:
    """After the calendar changed from `since` on (None: a whole load): the running due date
    of every open application it may move, counted again; returns how many moved."""
    today = china_date(resources.clock())
    moved = 0
    after: UUID | None = None
    while True:
        rows = await repo.open_accepted(batch, after)
        if not rows:
            break
        after = rows[-1].id
        implementations = {
            i.id: i
            for i in await repo.implementations_by_ids(
                sorted({r.implementation_id for r in rows if r.implementation_id}, key=str)
            )
        }
        for application in rows:
            if application.implementation_id is None:
                continue
            implementation = implementations.get(application.implementation_id)
            if implementation is None:
                continue
            running = (
                application.due_date
                if application.status is ApplicationStatus.ACCEPTED
                else application.acceptance_due_date
            )
            if not (
                application.due_provisional
                or application.due_beyond_calendar
                or since is None
                or (running is not None and running >= since)
            ):
                continue
            if await _reschedule(resources, application, implementation, today):
                moved += 1
    return moved


async def _calendar_changed(resources: Resources, message: OutboxMessage) -> None:
    """The outbox handler: an ADMIN edited a day; deadlines from that day on are counted again."""
    since = message.payload.get("since")
    moved = await recount(resources, date.fromisoformat(since) if since else None)
    log.info("calendar changed from %s: %d due dates counted again", since or "-", moved)


HANDLERS = {CALENDAR_CHANGED: _calendar_changed}


_LABELS = {EventType.OVERDUE: "已超期", EventType.DEADLINE_WARNING: "即将到期"}


async def _escalate(application: Application, field: str, event: EventType, now: datetime) -> bool:
    async with atomic():
        if not await repo.mark_once(application.id, field, now):
            return False
        await repo.add_event(
            application_id=application.id,
            type=event,
            at=now,
            status=application.status,
            actor_kind=EVENT_ACTORS[event],  # the platform's
            note="",
        )
        await enqueue_inbox(
            key=str(application.id),
            now=now,
            topic="DEADLINE",
            title=f"办件{_LABELS[event]}",
            body=f"办件 {application.number} {_LABELS[event]}，请及时办理。",
            subject_id=application.id,
            department_id=application.department_id,
        )
    return True
