"""A scenario bundle's parent application follows its children (one per item): one status
for the whole bundle, and one message to the resident when every item is finished.

The parent's status, from its children's:

- some child still open (SUBMITTED, SUPPLEMENT_REQUESTED, ACCEPTED, APPROVED):
  SUPPLEMENT_REQUESTED if any child waits for 补正 (the resident has something to do);
  else APPROVED if every open child is APPROVED (only results are awaited);
  else SUBMITTED while no child has been accepted yet; else ACCEPTED (in progress);
- every child finished (COMPLETED, DENIED, NOT_ACCEPTED, WITHDRAWN):
  WITHDRAWN if all were withdrawn; COMPLETED if every child not withdrawn was completed;
  else DENIED if any was denied; else NOT_ACCEPTED.

The parent moves by BUNDLE_WORKFLOW (resolvers/applications/workflow.py) inside the
transaction that moves a child, after locking the parent row: children finishing at the same
moment are serialised on it, so exactly one of them sees the bundle finish and sends the one
message.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from resolvers.applications.errors import ApplicationError
from resolvers.applications.errors import ApplicationErrorCode as Code
from resolvers.applications.events import StatusChange
from resolvers.applications.workflow import (
    BUNDLE_ENDED,
    BUNDLE_OPEN,
    BUNDLE_WORKFLOW,
    STATUS_LABELS,
    Action,
    bundle_action,
)
from resolvers.ids import global_id
from resolvers.notifications.service import enqueue_inbox, enqueue_wechat, wechat_time
from resolvers.principal import Principal
from resolvers.resources import Resources
from resolvers.workflow import Machine
from storage.models.applications import ActorKind, Application, ApplicationStatus, EventType
from storage.repositories import applications as repo
from storage.repositories import scenarios as scenarios_repo

S = ApplicationStatus
OPEN = frozenset(BUNDLE_OPEN)
ENDED = frozenset(BUNDLE_ENDED)
_PAST_ACCEPTANCE = frozenset({S.ACCEPTED, S.APPROVED, S.COMPLETED, S.DENIED})
# What a bundle's timeline shows of each item's own: the steps the resident follows (accepted,
# each department's decision, how it ended), not notes, 补正 rounds or reminders. Each item
# has each of them at most once per task, so the bundle's timeline stays bounded.
ITEM_KEY_EVENTS = (
    EventType.ACCEPTED,
    EventType.TASK_APPROVED,
    EventType.TASK_DENIED,
    EventType.COMPLETED,
    EventType.DENIED,
    EventType.NOT_ACCEPTED,
    EventType.WITHDRAWN,
)
_OUTCOMES = (
    (S.COMPLETED, "已办结"),
    (S.DENIED, "未获批准"),
    (S.NOT_ACCEPTED, "不予受理"),
    (S.WITHDRAWN, "已撤回"),
)


def parent_status(children: Sequence[ApplicationStatus]) -> ApplicationStatus:
    """The bundle's status from its children's (see the module's docstring)."""
    open_ = [s for s in children if s in OPEN]
    if open_:
        if S.SUPPLEMENT_REQUESTED in open_:
            return S.SUPPLEMENT_REQUESTED
        if all(s is S.APPROVED for s in open_):
            return S.APPROVED
        if not any(s in _PAST_ACCEPTANCE for s in children):
            return S.SUBMITTED
        return S.ACCEPTED
    kept = [s for s in children if s is not S.WITHDRAWN]
    if not kept:
        return S.WITHDRAWN
    if all(s is S.COMPLETED for s in kept):
        return S.COMPLETED
    return S.DENIED if S.DENIED in kept else S.NOT_ACCEPTED


def outcome_summary(children: Sequence[ApplicationStatus]) -> str:
    """ "3 项已办结，1 项未获批准": what became of the items."""
    counts = Counter(children)
    return "，".join(f"{counts[s]} 项{label}" for s, label in _OUTCOMES if counts[s])


async def _record(
    parent: Application,
    type: EventType,
    status: ApplicationStatus,
    *,
    at: datetime,
    actor_id: UUID | None,
    note: str = "",
    actor_kind: ActorKind = ActorKind.SYSTEM,
) -> None:
    # The bundle's own timeline: the platform moves it, for no one department (each item
    # has its own); the province gets its items' steps, not the bundle's.
    await repo.add_event(
        application_id=parent.id,
        type=type,
        status=status,
        at=at,
        actor_id=actor_id,
        actor_kind=actor_kind,
        department_id=None,
        note=note,
    )


async def record_rated(
    parent: Application, *, at: datetime, actor_id: UUID | None, note: str
) -> None:
    """The bundle's timeline: the resident rated it (each of its finished items got the
    rating, with its own event and push)."""
    await _record(
        parent,
        EventType.RATED,
        parent.status,
        at=at,
        actor_id=actor_id,
        note=note,
        actor_kind=ActorKind.RESIDENT,
    )


async def _nobody(
    resources: Resources, principal: Principal, action: Any, parent: Application | None
) -> None:
    # Only the platform moves a parent (its children's moves do): no person is ever asked.
    raise ApplicationError(Code.BUNDLE_PARENT, "applicationId")


PARENTS: Machine[Application, ApplicationStatus, Action, EventType] = Machine(
    BUNDLE_WORKFLOW,
    lock=repo.lock,
    compare_and_set=repo.move,
    record=_record,
    authorize=_nobody,
    not_found=Code.NOT_FOUND,
    conflict=Code.CONFLICT,
)


async def follow(
    parent_id: UUID, child_id: UUID, child_status: ApplicationStatus, note: str, *, at: datetime
) -> StatusChange | None:
    """Inside a child's transition, after the child moved: moves the parent if its status
    follows, with an event on its timeline; the first time every child is finished, the
    resident's one message about the bundle. Returns the change to push after commit."""
    parent = await repo.lock(parent_id)
    if parent is None:
        return None
    statuses = [
        child_status if row_id == child_id else status
        for row_id, status in await repo.children_statuses(parent_id)
    ]
    target = parent_status(statuses)
    if target is parent.status:
        return None
    ended = target in ENDED
    changes: dict[str, object] = {}
    if ended:
        changes.update(finished_at=at, reason=outcome_summary(statuses))
    try:
        moved = await PARENTS.apply(
            parent,
            bundle_action(target),
            by=None,
            at=at,
            actor_id=None,
            note=note[:500],
            changes=changes,
        )
    except ApplicationError as error:
        if error.code is not Code.CONFLICT:
            raise
        return None  # moved meanwhile: the child that moved it told the resident
    if ended:
        name = await scenario_name(parent.id)
        summary = outcome_summary(statuses)
        stored = "办理结果已存入您的材料库。" if S.COMPLETED in statuses else ""
        await notify(
            parent,
            target,
            name,
            at=at,
            title=f"“{name}”办理完毕"[:64],
            body=f"您申请的“{name}”（{parent.number}）已全部办理完毕：{summary}。{stored}",
        )
    return StatusChange(parent.id, moved.event, target, at)


async def scenario_name(parent_id: UUID) -> str:
    submissions = await scenarios_repo.submissions_of([parent_id])
    if not submissions:
        return "一件事"
    scenarios = await scenarios_repo.scenarios_by_ids([submissions[0].scenario_id])
    return scenarios[0].name if scenarios else "一件事"


async def notify(
    parent: Application,
    status: ApplicationStatus,
    name: str,
    *,
    at: datetime,
    title: str,
    body: str,
) -> None:
    """Inside the transaction: the bundle's message, in the inbox and (when granted) WeChat."""
    await enqueue_inbox(
        key=str(parent.id),
        now=at,
        topic="APPLICATION_STATUS",
        title=title,
        body=body[:200],
        subject_id=parent.id,
        account_ids=[parent.owner_id],
    )
    await enqueue_wechat(
        key=str(parent.id),
        now=at,
        account_id=parent.owner_id,
        event="APPLICATION_RESULT" if status in ENDED else "APPLICATION_STATUS",
        values={
            "number": parent.number,
            "service": name,
            "status": STATUS_LABELS[status],
            "time": wechat_time(at),
        },
        page=f"pages/applications/detail?id={global_id('Application', parent.id)}",
    )
