"""The application's state machine as an explicit table: which action moves which status
where. Services look transitions up here; nothing else moves a status. Who may take each
action is the policy's to say (resolvers/policy.py).

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


@dataclass(frozen=True, slots=True)
class Transition:
    target: S | None  # None: back to the status the application had before 补正
    event: EventType


# APPROVE and DENY follow from the tasks' outcomes; nobody takes them directly.
TABLE: dict[tuple[S, Action], Transition] = {
    (S.SUBMITTED, Action.ACCEPT): Transition(S.ACCEPTED, EventType.ACCEPTED),
    (S.SUBMITTED, Action.REJECT): Transition(S.NOT_ACCEPTED, EventType.NOT_ACCEPTED),
    (S.SUBMITTED, Action.REQUEST_SUPPLEMENT): Transition(
        S.SUPPLEMENT_REQUESTED, EventType.SUPPLEMENT_REQUESTED
    ),
    (S.SUBMITTED, Action.WITHDRAW): Transition(S.WITHDRAWN, EventType.WITHDRAWN),
    (S.SUPPLEMENT_REQUESTED, Action.SUPPLEMENT): Transition(None, EventType.SUPPLEMENTED),
    # Withdrawing during 补正 is allowed only before acceptance: checked by `step`.
    (S.SUPPLEMENT_REQUESTED, Action.WITHDRAW): Transition(S.WITHDRAWN, EventType.WITHDRAWN),
    (S.ACCEPTED, Action.REQUEST_SUPPLEMENT): Transition(
        S.SUPPLEMENT_REQUESTED, EventType.SUPPLEMENT_REQUESTED
    ),
    (S.ACCEPTED, Action.APPROVE): Transition(S.APPROVED, EventType.APPROVED),
    (S.ACCEPTED, Action.DENY): Transition(S.DENIED, EventType.DENIED),
    (S.APPROVED, Action.ISSUE_RESULT): Transition(S.COMPLETED, EventType.COMPLETED),
    (S.ACCEPTED, Action.PROGRESS): Transition(S.ACCEPTED, EventType.PROGRESS),
    (S.APPROVED, Action.PROGRESS): Transition(S.APPROVED, EventType.PROGRESS),
}


def step(status: S, action: Action, resume: S | None = None) -> S:
    """The status after `action`, or INVALID_STATE."""
    transition = TABLE.get((status, action))
    if transition is None:
        raise ApplicationError(Code.INVALID_STATE, "applicationId")
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
