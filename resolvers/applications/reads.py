"""Reading applications through the one scoping rule: owner and handling departments."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from resolvers import policy
from resolvers.applications.deadlines import is_overdue
from resolvers.calendar.service import china_date
from resolvers.principal import Principal
from resolvers.resources import Resources
from storage.models.appeals import Appeal
from storage.models.applications import (
    Application,
    ApplicationStatus,
    ApplicationTask,
    Rectification,
    RectificationStatus,
)
from storage.repositories import applications as repo
from storage.repositories import catalogue as catalogue_repo
from storage.repositories.pagination import Page, Scalar


async def readable(principal: Principal, ids: Sequence[UUID]) -> list[Application]:
    rows = await repo.readable(principal, ids)
    order = {i: n for n, i in enumerate(ids)}
    return sorted(rows, key=lambda r: order.get(r.id, 0))


async def children(principal: Principal, parent_id: UUID, limit: int) -> list[Application]:
    """A bundle's first `limit` applications in the order they were submitted (the plan's item
    order): numbers are issued one after another in the submitting transaction."""
    return await readable(principal, await repo.child_ids(parent_id, limit))


async def mine(
    principal: Principal,
    *,
    status: ApplicationStatus | None,
    first: int,
    after: Sequence[Scalar] | None,
) -> Page[Application]:
    assert principal.account_id is not None
    from datetime import datetime

    cursor = repo.typed_cursor(after, [datetime, UUID])
    return await repo.page_of_owner(principal.account_id, status=status, first=first, after=cursor)


@dataclass(frozen=True, slots=True)
class WorkItem:
    kind: str  # ACCEPTANCE or TASK; APPEAL_* for appeals
    due_date: date | None
    overdue: bool
    application: Application | None
    task: ApplicationTask | None
    appeal: Appeal | None = None

    @property
    def number(self) -> str:
        if self.application is not None:
            return self.application.number
        return self.appeal.number if self.appeal is not None else ""


async def work_items(
    resources: Resources,
    principal: Principal,
    *,
    first: int,
    after: Sequence[Scalar] | None,
    others: Sequence[WorkItem] = (),
) -> tuple[list[WorkItem], list[list[Scalar]], bool]:
    """The department's inbox, soonest due first: applications waiting for its acceptance,
    then its pending tasks, each list in due-date order and paged together with `others`
    (the department's appeals, at least as many as this page needs)."""
    department_id = principal.department_id
    if not principal.is_staff or department_id is None:
        return [], [], False
    today = china_date(resources.clock())
    # One list ordered by (due date, created), with the kind as a tie-breaker.
    offset = 0
    if after:
        value = after[0]
        if not isinstance(value, int) or not 0 < value <= 10_000:
            raise ValueError("cursor does not fit this list")
        offset = value
    acceptances = await repo.awaiting_acceptance(department_id, offset + first + 1)
    page = await repo.work_items(department_id, first=offset + first + 1, after=None)
    applications = {a.id: a for a in await repo.by_ids(list({t.application_id for t in page.rows}))}
    merged: list[WorkItem] = [
        WorkItem("ACCEPTANCE", a.acceptance_due_date, is_overdue(a, today), a, None)
        for a in acceptances
    ]
    merged += others
    for task in page.rows:
        application = applications.get(task.application_id)
        if application is None or application.status is not ApplicationStatus.ACCEPTED:
            continue
        overdue = task.due_date is not None and today > task.due_date
        merged.append(WorkItem("TASK", task.due_date, overdue, application, task))
    merged.sort(key=lambda w: (w.due_date is None, w.due_date or date.max, w.number))
    window = merged[offset : offset + first]
    positions: list[list[Scalar]] = [[offset + n + 1] for n in range(len(window))]
    return window, positions, len(merged) > offset + first


async def overdue(
    resources: Resources, principal: Principal, *, first: int, after: Sequence[Scalar] | None
) -> Page[Application]:
    from datetime import datetime

    regions = await policy.region_scope(resources, principal)
    cursor = repo.typed_cursor(after, [datetime, UUID])
    return await repo.overdue(
        today=china_date(resources.clock()), region_ids=regions, first=first, after=cursor
    )


def summaries(rows: list[dict[str, Any]], by: str) -> list[dict[str, Any]]:
    grouped: dict[str, dict[str, Any]] = {}
    for row in rows:
        key = str(row[by])
        entry = grouped.setdefault(key, {"key": key, "total": 0, "sum": 0.0, "levels": {}})
        entry["total"] += int(row["n"])
        entry["sum"] += float(row["average"] or 0) * int(row["n"])
        entry["levels"][row["level"]] = int(row["n"])
    return sorted(grouped.values(), key=lambda e: e["key"])


async def rating_summaries(
    principal: Principal, *, by_department: bool, limit: int
) -> list[dict[str, Any]]:
    """好差评 counts per item (its basic code) or per department (its code), by key, at most
    `limit`. Officers see their own department's figures, ADMIN everyone's, others nothing."""
    department_id = None if principal.is_admin else principal.department_id
    if not principal.is_admin and department_id is None:
        return []
    column = "department_id" if by_department else "base_code"
    found = summaries(await repo.rating_stats(by=column, department_id=department_id), column)
    found = found[:limit]
    if by_department:
        departments = await catalogue_repo.departments_by_ids([UUID(s["key"]) for s in found])
        codes = {str(d.id): d.code for d in departments}
        for summary in found:
            summary["key"] = codes.get(summary["key"], summary["key"])
    return found


async def rectifications(
    principal: Principal, *, status: RectificationStatus | None, limit: int
) -> list[Rectification]:
    """The principal's department's 差评 rectifications, soonest due first; none without one."""
    department_id = principal.department_id
    if department_id is None:
        return []
    return await repo.rectifications(department_id, status=status, limit=limit)
