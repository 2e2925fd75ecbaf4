"""The application's state machine as an explicit table: which action moves which status
where, and who may take it. Services move an application only through it (resolvers/workflow.py);
who holds each policy action is the policy's to say (resolvers/policy.py).

    SUBMITTED ──accept──▶ ACCEPTED ──all tasks approved──▶ APPROVED ──issueResult──▶ COMPLETED
        │  └─reject──▶ NOT_ACCEPTED          └─a task denied──▶ DENIED
        ├─requestSupplement──▶ SUPPLEMENT_REQUESTED ──supplement──▶ (back where it was)
        └─withdraw──▶ WITHDRAWN                       (ACCEPTED may ask for 补正 too)

    ACCEPTED and APPROVED also take PROGRESS (a department's note, status unchanged);
    SUBMITTED and ACCEPTED take SUPPLEMENT too: 容缺后补, owed materials handed in while
    the application is handled (status unchanged).

A scenario bundle's parent application follows its children instead (BUNDLE_WORKFLOW).
"""

from __future__ import annotations

from enum import StrEnum

from resolvers.applications.errors import ApplicationError
from resolvers.applications.errors import ApplicationErrorCode as Code
from resolvers.policy import Action as Do
from resolvers.workflow import Rule, Table
from storage.models.applications import ActorKind
from storage.models.applications import ApplicationStatus as S
from storage.models.applications import EventType as E


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


_ACCEPT = (Do.APPLICATION_ACCEPT,)
_REJECT = (Do.APPLICATION_REJECT,)
_ASK = (Do.APPLICATION_REQUEST_SUPPLEMENT,)
_SUPPLY = (Do.APPLICATION_SUPPLEMENT,)
_WITHDRAW = (Do.APPLICATION_WITHDRAW,)
# APPROVE and DENY follow from the tasks' outcomes: the department deciding its task takes them.
_TASK = (Do.APPLICATION_COMPLETE_TASK,)
_ISSUE = (Do.APPLICATION_ISSUE_RESULT,)
_PROGRESS = (Do.APPLICATION_RECORD_PROGRESS,)

APPLICATION_WORKFLOW: Table[S, Action, E] = Table(
    "application",
    [
        Rule(S.SUBMITTED, Action.ACCEPT, S.ACCEPTED, E.ACCEPTED, _ACCEPT),
        Rule(S.SUBMITTED, Action.REJECT, S.NOT_ACCEPTED, E.NOT_ACCEPTED, _REJECT),
        Rule(
            S.SUBMITTED,
            Action.REQUEST_SUPPLEMENT,
            S.SUPPLEMENT_REQUESTED,
            E.SUPPLEMENT_REQUESTED,
            _ASK,
        ),
        Rule(S.SUBMITTED, Action.WITHDRAW, S.WITHDRAWN, E.WITHDRAWN, _WITHDRAW),
        # 容缺后补: owed materials handed in while it is handled; the status stays.
        Rule(S.SUBMITTED, Action.SUPPLEMENT, S.SUBMITTED, E.SUPPLEMENTED, _SUPPLY),
        # After 补正 the application goes back to where it was when it was asked.
        Rule(
            S.SUPPLEMENT_REQUESTED,
            Action.SUPPLEMENT,
            None,
            E.SUPPLEMENTED,
            _SUPPLY,
            resume=(S.SUBMITTED, S.ACCEPTED),
        ),
        # Withdrawing during 补正 is allowed only before acceptance.
        Rule(
            S.SUPPLEMENT_REQUESTED,
            Action.WITHDRAW,
            S.WITHDRAWN,
            E.WITHDRAWN,
            _WITHDRAW,
            resume=(S.SUBMITTED,),
        ),
        Rule(
            S.ACCEPTED,
            Action.REQUEST_SUPPLEMENT,
            S.SUPPLEMENT_REQUESTED,
            E.SUPPLEMENT_REQUESTED,
            _ASK,
        ),
        Rule(S.ACCEPTED, Action.SUPPLEMENT, S.ACCEPTED, E.SUPPLEMENTED, _SUPPLY),
        Rule(S.ACCEPTED, Action.APPROVE, S.APPROVED, E.APPROVED, _TASK),
        Rule(S.ACCEPTED, Action.DENY, S.DENIED, E.DENIED, _TASK),
        Rule(S.ACCEPTED, Action.PROGRESS, S.ACCEPTED, E.PROGRESS, _PROGRESS),
        Rule(S.APPROVED, Action.PROGRESS, S.APPROVED, E.PROGRESS, _PROGRESS),
        Rule(S.APPROVED, Action.ISSUE_RESULT, S.COMPLETED, E.COMPLETED, _ISSUE),
    ],
    error=ApplicationError,
    invalid_state=Code.INVALID_STATE,
    field="applicationId",
    initial=[S.SUBMITTED],
)


# Who takes each step of an item's timeline (a bundle's parent writes its own: the platform
# moves it, the resident submits and rates it). The window's steps are acted for the
# application's department, a department's for its own; the resident's and the platform's
# for none. APPROVED and DENIED follow from the tasks: the platform concludes them, right
# after the department's TASK_* event that names who decided.
EVENT_ACTORS: dict[E, ActorKind] = {
    E.SUBMITTED: ActorKind.RESIDENT,
    E.SUPPLEMENTED: ActorKind.RESIDENT,
    E.WITHDRAWN: ActorKind.RESIDENT,
    E.RATED: ActorKind.RESIDENT,
    E.ACCEPTED: ActorKind.WINDOW,
    E.NOT_ACCEPTED: ActorKind.WINDOW,
    E.SUPPLEMENT_REQUESTED: ActorKind.WINDOW,
    E.COMPLETED: ActorKind.WINDOW,
    E.TASK_APPROVED: ActorKind.DEPARTMENT,
    E.TASK_DENIED: ActorKind.DEPARTMENT,
    E.PROGRESS: ActorKind.DEPARTMENT,
    E.MATERIALS_HANDED_OVER: ActorKind.WINDOW,
    E.MATERIALS_RECEIVED: ActorKind.DEPARTMENT,
    E.INSPECTION_PROPOSED: ActorKind.DEPARTMENT,
    E.INSPECTION_CONFIRMED: ActorKind.DEPARTMENT,
    E.INSPECTION_DECLINED: ActorKind.DEPARTMENT,
    E.INSPECTION_SCHEDULED: ActorKind.SYSTEM,
    E.INSPECTION_FINDING: ActorKind.DEPARTMENT,
    E.APPROVED: ActorKind.SYSTEM,
    E.DENIED: ActorKind.SYSTEM,
    E.DEADLINE_WARNING: ActorKind.SYSTEM,
    E.OVERDUE: ActorKind.SYSTEM,
}
if set(EVENT_ACTORS) != set(E):
    raise ValueError(f"no actor for {sorted(set(E) - set(EVENT_ACTORS))}")


def step(status: S, action: Action, resume: S | None = None) -> S:
    """The status after `action`, or INVALID_STATE."""
    return APPLICATION_WORKFLOW.target(status, action, resume=resume)


def event_of(status: S, action: Action) -> E:
    return APPLICATION_WORKFLOW.rules[(status, action)].event


# -- a scenario bundle's parent

# The parent is moved by the platform when its children's statuses add up to another one
# (resolvers/applications/bundles.py says how); each move is named by the child's action
# that makes the parent go there.
BUNDLE_OPEN = (S.SUBMITTED, S.SUPPLEMENT_REQUESTED, S.ACCEPTED, S.APPROVED)
BUNDLE_ENDED = (S.COMPLETED, S.DENIED, S.NOT_ACCEPTED, S.WITHDRAWN)
_BUNDLE_MOVES: dict[S, tuple[Action, E]] = {
    S.SUBMITTED: (Action.SUPPLEMENT, E.SUPPLEMENTED),  # only reached again after 补正
    S.SUPPLEMENT_REQUESTED: (Action.REQUEST_SUPPLEMENT, E.SUPPLEMENT_REQUESTED),
    S.ACCEPTED: (Action.ACCEPT, E.ACCEPTED),
    S.APPROVED: (Action.APPROVE, E.APPROVED),
    S.COMPLETED: (Action.ISSUE_RESULT, E.COMPLETED),
    S.DENIED: (Action.DENY, E.DENIED),
    S.NOT_ACCEPTED: (Action.REJECT, E.NOT_ACCEPTED),
    S.WITHDRAWN: (Action.WITHDRAW, E.WITHDRAWN),
}


def _bundle_event(source: S, target: S) -> E:
    # Back from 补正 to an open status is the bundle's SUPPLEMENTED, wherever it lands.
    if source is S.SUPPLEMENT_REQUESTED and target in BUNDLE_OPEN:
        return E.SUPPLEMENTED
    return _BUNDLE_MOVES[target][1]


BUNDLE_WORKFLOW: Table[S, Action, E] = Table(
    "bundle",
    [
        Rule(source, action, target, _bundle_event(source, target), system=True)
        for source in BUNDLE_OPEN
        for target, (action, _) in _BUNDLE_MOVES.items()
        if target is not source
    ],
    error=ApplicationError,
    invalid_state=Code.INVALID_STATE,
    field="applicationId",
    initial=[S.SUBMITTED],
)


def bundle_action(target: S) -> Action:
    """The action that moves a bundle's parent to `target`."""
    return _BUNDLE_MOVES[target][0]


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
