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

The parent moves inside the transaction that moves a child, after locking the parent row:
children finishing at the same moment are serialised on it, so exactly one of them sees
the bundle finish and sends the one message.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from resolvers.applications.events import StatusChange
from resolvers.applications.workflow import STATUS_LABELS
from resolvers.ids import global_id
from resolvers.notifications.handlers import enqueue_inbox, enqueue_wechat
from resolvers.notifications.wechat_values import wechat_time
from storage.models.applications import (
    Application,
    ApplicationEvent,
    ApplicationStatus,
    EventType,
)
from storage.repositories import scenarios as repo

S = ApplicationStatus
OPEN = frozenset({S.SUBMITTED, S.SUPPLEMENT_REQUESTED, S.ACCEPTED, S.APPROVED})
ENDED = frozenset({S.COMPLETED, S.DENIED, S.NOT_ACCEPTED, S.WITHDRAWN})
_PAST_ACCEPTANCE = frozenset({S.ACCEPTED, S.APPROVED, S.COMPLETED, S.DENIED})
# How the bundle's own timeline names each of its moves.
_EVENTS = {
    S.SUBMITTED: EventType.SUPPLEMENTED,  # only reached again after 补正 before acceptance
    S.SUPPLEMENT_REQUESTED: EventType.SUPPLEMENT_REQUESTED,
    S.ACCEPTED: EventType.ACCEPTED,
    S.APPROVED: EventType.APPROVED,
    S.COMPLETED: EventType.COMPLETED,
    S.DENIED: EventType.DENIED,
    S.NOT_ACCEPTED: EventType.NOT_ACCEPTED,
    S.WITHDRAWN: EventType.WITHDRAWN,
}
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


async def follow(
    parent_id: UUID, child_id: UUID, child_status: ApplicationStatus, note: str, *, at: datetime
) -> StatusChange | None:
    """Inside a child's transition, after the child moved: moves the parent if its status
    follows, with an event on its timeline; the first time every child is finished, the
    resident's one message about the bundle. Returns the change to push after commit."""
    parent = await repo.lock_application(parent_id)
    if parent is None:
        return None
    statuses = [
        child_status if UUID(str(row["id"])) == child_id else ApplicationStatus(row["status"])
        for row in await repo.children_statuses(parent_id)
    ]
    target = parent_status(statuses)
    if target is parent.status:
        return None
    ended = target in ENDED
    changes: dict[str, object] = {"status": target}
    if ended:
        changes.update(finished_at=at, reason=outcome_summary(statuses))
    if not await repo.move_parent(parent.id, expected=parent.status, **changes):
        return None
    event = _EVENTS[target]
    if parent.status is S.SUPPLEMENT_REQUESTED and target in OPEN:
        event = EventType.SUPPLEMENTED
    await ApplicationEvent.create(
        application_id=parent.id, type=event, status=target, at=at, actor_id=None, note=note[:500]
    )
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
    return StatusChange(parent.id, event, target, at)


async def scenario_name(parent_id: UUID) -> str:
    submissions = await repo.submissions_of([parent_id])
    if not submissions:
        return "一件事"
    scenarios = await repo.scenarios_by_ids([submissions[0].scenario_id])
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
