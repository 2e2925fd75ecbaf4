"""The application's state machine as an explicit table: which action moves which status
where, and who may take it. Services look transitions up here; nothing else moves a status.

    SUBMITTED ──accept──▶ ACCEPTED ──all tasks approved──▶ APPROVED ──issueResult──▶ COMPLETED
        │  └─reject──▶ NOT_ACCEPTED          └─a task denied──▶ DENIED
        ├─requestSupplement──▶ SUPPLEMENT_REQUESTED ──supplement──▶ (back where it was)
        └─withdraw──▶ WITHDRAWN                       (ACCEPTED may ask for 补正 too)

    ACCEPTED and APPROVED also take PROGRESS (a department's note, status unchanged).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from resolvers.applications.errors import ApplicationError
from resolvers.applications.errors import ApplicationErrorCode as Code
from storage.models.applications import ApplicationStatus as S
from storage.models.applications import EventType


class Action(StrEnum):
    ACCEPT = "ACCEPT"
    REJECT = "REJECT"
    REQUEST_SUPPLEMENT = "REQUEST_SUPPLEMENT"
    SUPPLEMENT = "SUPPLEMENT"
    WITHDRAW = "WITHDRAW"
    APPROVE = "APPROVE"  # the last pending task was approved
    DENY = "DENY"  # a task was denied
    ISSUE_RESULT = "ISSUE_RESULT"
    PROGRESS = "PROGRESS"  # a handling department reports progress (from its own system)


class Actor(StrEnum):
    OWNER = "OWNER"  # the resident who applied
    LEAD = "LEAD"  # staff of the implementation's own department (the single window)
    TASK = "TASK"  # staff of a department with a task on the application
    SYSTEM = "SYSTEM"  # the transition follows from task outcomes


@dataclass(frozen=True, slots=True)
class Transition:
    target: S | None  # None: back to the status the application had before 补正
    actors: frozenset[Actor]
    event: EventType


def _t(target: S | None, event: EventType, *actors: Actor) -> Transition:
    return Transition(target, frozenset(actors), event)


TABLE: dict[tuple[S, Action], Transition] = {
    (S.SUBMITTED, Action.ACCEPT): _t(S.ACCEPTED, EventType.ACCEPTED, Actor.LEAD),
    (S.SUBMITTED, Action.REJECT): _t(S.NOT_ACCEPTED, EventType.NOT_ACCEPTED, Actor.LEAD),
    (S.SUBMITTED, Action.REQUEST_SUPPLEMENT): _t(
        S.SUPPLEMENT_REQUESTED, EventType.SUPPLEMENT_REQUESTED, Actor.LEAD
    ),
    (S.SUBMITTED, Action.WITHDRAW): _t(S.WITHDRAWN, EventType.WITHDRAWN, Actor.OWNER),
    (S.SUPPLEMENT_REQUESTED, Action.SUPPLEMENT): _t(None, EventType.SUPPLEMENTED, Actor.OWNER),
    # Withdrawing during 补正 is allowed only before acceptance: checked by `withdrawable`.
    (S.SUPPLEMENT_REQUESTED, Action.WITHDRAW): _t(S.WITHDRAWN, EventType.WITHDRAWN, Actor.OWNER),
    (S.ACCEPTED, Action.REQUEST_SUPPLEMENT): _t(
        S.SUPPLEMENT_REQUESTED, EventType.SUPPLEMENT_REQUESTED, Actor.LEAD, Actor.TASK
    ),
    (S.ACCEPTED, Action.APPROVE): _t(S.APPROVED, EventType.APPROVED, Actor.SYSTEM),
    (S.ACCEPTED, Action.DENY): _t(S.DENIED, EventType.DENIED, Actor.SYSTEM),
    (S.APPROVED, Action.ISSUE_RESULT): _t(S.COMPLETED, EventType.COMPLETED, Actor.LEAD),
    (S.ACCEPTED, Action.PROGRESS): _t(S.ACCEPTED, EventType.PROGRESS, Actor.LEAD, Actor.TASK),
    (S.APPROVED, Action.PROGRESS): _t(S.APPROVED, EventType.PROGRESS, Actor.LEAD, Actor.TASK),
}


def step(status: S, action: Action, actors: set[Actor], resume: S | None = None) -> S:
    """The status after `action`, or INVALID_STATE / FORBIDDEN. `actors` are the roles the
    caller holds on this application (an officer of the lead department may also hold a task)."""
    transition = TABLE.get((status, action))
    if transition is None:
        raise ApplicationError(Code.INVALID_STATE, "applicationId")
    if transition.actors.isdisjoint(actors):
        raise ApplicationError(Code.FORBIDDEN, "applicationId")
    if action is Action.WITHDRAW and status is S.SUPPLEMENT_REQUESTED and resume is not S.SUBMITTED:
        raise ApplicationError(Code.INVALID_STATE, "applicationId")  # already accepted
    if transition.target is None:
        if resume is None:
            raise ApplicationError(Code.INVALID_STATE, "applicationId")
        return resume
    return transition.target


def event_of(status: S, action: Action) -> EventType:
    return TABLE[(status, action)].event


# What residents read about each status (inbox, WeChat `phrase` keyword: at most 5 characters).
STATUS_LABELS: dict[S, str] = {
    S.SUBMITTED: "已提交",
    S.SUPPLEMENT_REQUESTED: "待补正",
    S.ACCEPTED: "已受理",
    S.NOT_ACCEPTED: "不予受理",
    S.APPROVED: "审批通过",
    S.DENIED: "未获批准",
    S.COMPLETED: "已办结",
    S.WITHDRAWN: "已撤回",
}
