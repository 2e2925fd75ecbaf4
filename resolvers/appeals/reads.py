"""Reading appeals through the one scoping rule (owner, the department it is with, and the
12345 centre's supervisors), the staff work list, the supervisors' 督办 inbox, the dispatch
catalogue, and the audit row a reporter's identity read in the clear leaves."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol
from uuid import UUID

import orjson

from resolvers import policy
from resolvers.appeals.deadlines import is_overdue
from resolvers.appeals.transitions import subject_of, unseal
from resolvers.calendar.service import china_date
from resolvers.principal import Principal
from resolvers.resources import Resources
from storage.models.appeals import (
    Appeal,
    AppealCategory,
    AppealStatus,
    AppealSupervision,
    ExtensionStatus,
    HoldReason,
)
from storage.repositories import appeals as repo
from storage.repositories.pagination import Page, Scalar


class Context(Protocol):
    """Who asks and with what: the GraphQL request's Context is one."""

    @property
    def principal(self) -> Principal: ...

    @property
    def resources(self) -> Resources: ...


async def is_supervisor(context: Context) -> bool:
    """ADMIN and staff of the 12345 centre (see resolvers/policy.py)."""
    return await policy.is_supervisor(context.resources, context.principal)


async def readable(context: Context, ids: Sequence[UUID]) -> list[Appeal]:
    rows = await repo.readable(context.principal, ids, supervisor=await is_supervisor(context))
    order = {i: n for n, i in enumerate(ids)}
    return sorted(rows, key=lambda r: order.get(r.id, 0))


async def handles(context: Context, appeal: Appeal) -> bool:
    """Staff who may work on it: its department, and the centre's supervisors."""
    return await policy.allows(
        context.resources,
        context.principal,
        policy.Action.APPEAL_HANDLING_DETAILS,
        subject_of(appeal),
    )


async def mine(
    context: Context, *, status: AppealStatus | None, first: int, after: Sequence[Scalar] | None
) -> Page[Appeal]:
    assert context.principal.account_id is not None
    cursor = repo.typed_cursor(after, [datetime, UUID])
    return await repo.page_of_owner(
        context.principal.account_id, status=status, first=first, after=cursor
    )


@dataclass(frozen=True, slots=True)
class WorkItem:
    kind: str
    due_date: date | None
    overdue: bool
    appeal: Appeal


def kind_of(appeal: Appeal, own_department: bool) -> str:
    """What the staff member is asked to do with it."""
    if appeal.status is AppealStatus.HELD and appeal.hold_reason is HoldReason.REVIEW:
        return "APPEAL_MODERATION"
    if appeal.status in (AppealStatus.SUBMITTED, AppealStatus.RETURNED):
        return "APPEAL_DISPATCH"
    if appeal.extension_status is ExtensionStatus.PENDING and not own_department:
        return "APPEAL_EXTENSION"
    if appeal.status is AppealStatus.DISPATCHED:
        return "APPEAL_SIGN"
    return "APPEAL_REPLY"


async def work_items(context: Context, *, limit: int) -> list[WorkItem]:
    """The appeals waiting for the staff member's department (and, for the 12345 centre,
    its queue), soonest due first: at most `limit`."""
    principal = context.principal
    if not principal.is_staff or principal.department_id is None:
        return []
    centre = await is_supervisor(context) and not principal.is_admin
    today = china_date(context.resources.clock())
    rows = await repo.work_items(principal.department_id, centre=centre, limit=limit)
    items = []
    for appeal in rows:
        own = appeal.department_id == principal.department_id
        kind = kind_of(appeal, own)
        due = appeal.sign_due if kind == "APPEAL_SIGN" else appeal.reply_due
        if kind in ("APPEAL_MODERATION", "APPEAL_DISPATCH"):
            due = None
        items.append(WorkItem(kind, due, is_overdue(appeal, today) and own, appeal))
    return items


async def supervisions(
    context: Context, *, unresolved: bool | None, first: int, after: Sequence[Scalar] | None
) -> Page[AppealSupervision]:
    cursor = repo.typed_cursor(after, [datetime, UUID])
    return await repo.supervision_page(unresolved=unresolved, first=first, after=cursor)


# -- sealed fields, opened for those who may read the appeal


def content_of(resources: Resources, appeal: Appeal) -> str:
    return unseal(resources, "content", appeal.content_sealed) or ""


def address_of(resources: Resources, appeal: Appeal) -> str | None:
    return unseal(resources, "address", appeal.address_sealed)


def contact_of(resources: Resources, appeal: Appeal) -> dict[str, str]:
    raw = unseal(resources, "contact", appeal.contact_sealed)
    return dict(orjson.loads(raw)) if raw else {}


# -- the dispatch catalogue, and who read a reporter's identity


async def categories(*, include_retired: bool = False) -> list[AppealCategory]:
    """The dispatch catalogue (派单目录) as it stands: groups and leaf categories, by
    position and code; retired ones only when asked for."""
    rows = await repo.categories()
    return rows if include_retired else [row for row in rows if row.active]


async def log_reporter_read(context: Context, appeal: Appeal, request_id: str) -> None:
    """Staff read a reporter's name, phone or email in the clear: one audit row for each read,
    written before the value is given out."""
    actor = context.principal.account_id
    assert actor is not None
    await repo.log_reporter_read(actor, appeal.number, request_id)
