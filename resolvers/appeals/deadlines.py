"""时限 of appeals in working days: sign for it, reply, 退单 window, approved extensions, and
the pass that raises one 督办 per missed deadline and closes replied appeals nobody disputed."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from uuid import UUID

from resolvers.calendar.service import china_date, deadlines
from resolvers.notifications.service import enqueue_inbox
from resolvers.resources import Resources
from resolvers.settings import Settings
from storage.models.appeals import (
    HANDLING_STATUSES,
    Appeal,
    AppealCategory,
    AppealEventType,
    AppealStatus,
    SupervisionKind,
)
from storage.repositories import appeals as repo
from storage.transactions import IntegrityError, atomic

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Limits:
    """Working days of one category: its own overrides, else its group's, else the settings."""

    sign_days: int
    reply_days: int
    max_extension_days: int


def limits(settings: Settings, category: AppealCategory, parent: AppealCategory | None) -> Limits:
    def pick(name: str, default: int) -> int:
        for node in (category, parent):
            value = getattr(node, name) if node is not None else None
            if value is not None:
                return int(value)
        return default

    return Limits(
        sign_days=pick("sign_days", settings.appeal_sign_days),
        reply_days=pick("reply_days", settings.appeal_reply_days),
        max_extension_days=pick("max_extension_days", settings.appeal_max_extension_days),
    )


async def limits_of(resources: Resources, category_id: UUID) -> Limits:
    """The limits of an appeal's category, from the dispatch catalogue held in memory."""
    (category,) = await resources.reference.appeal_categories([category_id])
    parent = None
    if category.parent_id is not None:
        (parent,) = await resources.reference.appeal_categories([category.parent_id])
    return limits(resources.settings, category, parent)


@dataclass(frozen=True, slots=True)
class Round:
    """The deadlines of one dispatch: all counted from the day the department received it."""

    received_on: date
    sign_due: date | None
    reply_due: date | None
    return_until: date | None
    beyond_calendar: bool

    def columns(self) -> dict[str, object]:
        return {
            "received_on": self.received_on,
            "sign_due": self.sign_due,
            "reply_due": self.reply_due,
            "return_until": self.return_until,
            "due_beyond_calendar": self.beyond_calendar,
        }


async def round_from(
    settings: Settings, found: Limits, received_on: date, extension: int = 0
) -> Round:
    sign, reply, back = await deadlines(
        received_on,
        [found.sign_days, found.reply_days + extension, settings.appeal_return_days],
    )
    return Round(
        received_on=received_on,
        sign_due=sign.due,
        reply_due=reply.due,
        return_until=back.due,
        beyond_calendar=sign.beyond_calendar or reply.beyond_calendar or back.beyond_calendar,
    )


def is_overdue(appeal: Appeal, today: date) -> bool:
    """Past its reply deadline (or, unsigned, its sign-for deadline) while a department has
    it. A working-day deadline: the due date itself is still on time."""
    if appeal.status not in HANDLING_STATUSES:
        return False
    if appeal.reply_due is not None and today > appeal.reply_due:
        return True
    return (
        appeal.status is AppealStatus.DISPATCHED
        and appeal.sign_due is not None
        and today > appeal.sign_due
    )


@dataclass(frozen=True, slots=True)
class Scan:
    supervised: int = 0
    rescheduled: int = 0


async def scan(resources: Resources, *, batch: int = 200) -> Scan:
    """One pass over appeals with departments: each missed deadline of a round raises one
    督办 (the unique key makes a second pass, or a second worker, add nothing), shown in the
    supervisors' inbox and sent to the department; deadlines that lay beyond the calendar are
    computed again once it reaches them."""
    now = resources.clock()
    today = china_date(now)
    supervised = rescheduled = 0
    after: UUID | None = None
    while True:
        rows = await repo.open_handling(batch, after)
        if not rows:
            break
        after = rows[-1].id
        for appeal in rows:
            if appeal.due_beyond_calendar and appeal.received_on is not None:
                found = await round_from(
                    resources.settings,
                    await limits_of(resources, appeal.category_id),
                    appeal.received_on,
                    appeal.extension_days,
                )
                if not found.beyond_calendar:
                    await repo.update(appeal.id, **found.columns())
                    appeal.sign_due, appeal.reply_due = found.sign_due, found.reply_due
                    appeal.due_beyond_calendar = False
                    rescheduled += 1
            for kind, due in _breaches(appeal, today):
                if await _supervise(resources, appeal, kind, due, now):
                    supervised += 1
    return Scan(supervised=supervised, rescheduled=rescheduled)


def _breaches(appeal: Appeal, today: date) -> list[tuple[SupervisionKind, date]]:
    found: list[tuple[SupervisionKind, date]] = []
    if appeal.status is AppealStatus.DISPATCHED and appeal.sign_due and today > appeal.sign_due:
        found.append((SupervisionKind.SIGN_OVERDUE, appeal.sign_due))
    if appeal.reply_due and today > appeal.reply_due:
        found.append((SupervisionKind.REPLY_OVERDUE, appeal.reply_due))
    return found


_LABELS = {
    SupervisionKind.SIGN_OVERDUE: "超时未签收",
    SupervisionKind.REPLY_OVERDUE: "超时未答复",
}


async def _supervise(
    resources: Resources, appeal: Appeal, kind: SupervisionKind, due: date, now: datetime
) -> bool:
    assert appeal.department_id is not None
    centre = await repo.department_by_code(resources.settings.appeal_centre_department_code)
    label = _LABELS[kind]
    body = f"诉求 {appeal.number} {label}（期限 {due.isoformat()}），请立即办理。"
    try:
        async with atomic():
            if await repo.supervision_exists(appeal.id, kind, appeal.round):
                return False
            await repo.add_supervision(
                appeal_id=appeal.id,
                kind=kind,
                round=appeal.round,
                department_id=appeal.department_id,
                due_date=due,
                raised_at=now,
            )
            await repo.add_event(
                appeal_id=appeal.id,
                type=AppealEventType.SUPERVISED,
                at=now,
                actor_id=None,
                department_id=appeal.department_id,
                status=appeal.status,
                note=f"督办：{label}（期限 {due.isoformat()}）",
            )
            targets = [appeal.department_id]
            if centre is not None and centre.id != appeal.department_id:
                targets.append(centre.id)
            for department_id in targets:
                await enqueue_inbox(
                    key=str(appeal.id),
                    now=now,
                    topic="APPEAL_SUPERVISION",
                    title=f"督办：诉求{label}",
                    body=body,
                    subject_id=appeal.id,
                    department_id=department_id,
                )
    except IntegrityError:  # another worker raised the same 督办 first
        return False
    return True


def window_end(settings: Settings, replied_at: datetime) -> datetime:
    """Rating and reopening stay open this long after a reply (calendar days)."""
    return replied_at + timedelta(days=settings.appeal_reopen_days)
