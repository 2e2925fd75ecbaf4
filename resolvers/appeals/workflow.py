"""The appeal's state machine as an explicit table (resolvers/workflow.py): which action
moves which status where, and who may take it. Services move an appeal only through it (the
APPEALS machine of resolvers/appeals/transitions.py). Who holds each policy action is the
policy's to say (resolvers/policy.py); HOLD and CLOSE, and the first RELEASE, REJECT and
DISPATCH, are taken by the system (content checks, the dispatch table, the deadline pass).

    (filed) ─▶ HELD ──release──▶ SUBMITTED ──dispatch──▶ DISPATCHED ──sign──▶ SIGNED
                 └──reject──▶ REJECTED            ▲    │ └──return (退单)──▶ RETURNED ─┐
                                                  │    └─────────────reply─────┐        │
    SIGNED ──reply──▶ REPLIED ──rate ≥ 基本满意 / window over──▶ CLOSED        │        │
       REPLIED/CLOSED ──不满意 / reopen (within the window)──▶ DISPATCHED      ▼        │
    RETURNED ──dispatch (改派)──▶ DISPATCHED ◀──────────────────────────────────────────┘
    any open status ──merge (并单)──▶ MERGED
"""

from __future__ import annotations

from enum import StrEnum

from resolvers.appeals.errors import AppealError
from resolvers.appeals.errors import AppealErrorCode as Code
from resolvers.policy import Action as Do
from resolvers.workflow import Rule, Table
from storage.models.appeals import AppealEventType as E
from storage.models.appeals import AppealStatus as S


class Action(StrEnum):
    HOLD = "HOLD"  # the content check held it (again)
    RELEASE = "RELEASE"  # the content check passed, or a moderator cleared it
    REJECT = "REJECT"  # risky content, or a moderator refused it
    DISPATCH = "DISPATCH"  # 派单 / 改派
    SIGN = "SIGN"  # 签收
    RETURN = "RETURN"  # 退单
    REQUEST_EXTENSION = "REQUEST_EXTENSION"
    DECIDE_EXTENSION = "DECIDE_EXTENSION"
    REPLY = "REPLY"
    RATE_CLOSE = "RATE_CLOSE"  # 满意 / 基本满意 closes it
    REOPEN = "REOPEN"  # 不满意 or reopenAppeal: back to the department
    CLOSE = "CLOSE"  # the window passed without a complaint
    MERGE = "MERGE"  # 并单: this appeal is answered through another


_MODERATE = (Do.APPEAL_MODERATE,)
_DISPATCH = (Do.APPEAL_DISPATCH,)
_SIGN = (Do.APPEAL_SIGN,)
_RETURN = (Do.APPEAL_RETURN,)
_EXTEND = (Do.APPEAL_REQUEST_EXTENSION,)
_DECIDE = (Do.APPEAL_DECIDE_EXTENSION,)
_REPLY = (Do.APPEAL_REPLY,)
_RATE = (Do.APPEAL_RATE,)
# 不满意 in a rating reopens it as reopenAppeal does.
_REOPEN = (Do.APPEAL_RATE, Do.APPEAL_REOPEN)
_MERGE = (Do.APPEAL_MERGE,)
_OPEN_FOR_MERGE = (S.SUBMITTED, S.DISPATCHED, S.SIGNED, S.RETURNED)

APPEAL_WORKFLOW: Table[S, Action, E] = Table(
    "appeal",
    [
        # The content check holds, releases and refuses; a moderator decides what it held.
        Rule(S.HELD, Action.HOLD, S.HELD, E.HELD, _MODERATE, system=True),
        Rule(S.HELD, Action.RELEASE, S.SUBMITTED, E.RELEASED, _MODERATE, system=True),
        Rule(S.HELD, Action.REJECT, S.REJECTED, E.REJECTED, _MODERATE, system=True),
        # The dispatch table dispatches at filing and release; the centre by hand.
        Rule(S.SUBMITTED, Action.DISPATCH, S.DISPATCHED, E.DISPATCHED, _DISPATCH, system=True),
        Rule(S.RETURNED, Action.DISPATCH, S.DISPATCHED, E.REDISPATCHED, _DISPATCH, system=True),
        # 改派 of work a department has not finished: the centre moves it without a 退单.
        Rule(S.DISPATCHED, Action.DISPATCH, S.DISPATCHED, E.REDISPATCHED, _DISPATCH, system=True),
        Rule(S.SIGNED, Action.DISPATCH, S.DISPATCHED, E.REDISPATCHED, _DISPATCH, system=True),
        Rule(S.DISPATCHED, Action.SIGN, S.SIGNED, E.SIGNED, _SIGN),
        Rule(S.DISPATCHED, Action.RETURN, S.RETURNED, E.RETURNED, _RETURN),
        Rule(S.SIGNED, Action.RETURN, S.RETURNED, E.RETURNED, _RETURN),
        Rule(S.SIGNED, Action.REQUEST_EXTENSION, S.SIGNED, E.EXTENSION_REQUESTED, _EXTEND),
        Rule(S.SIGNED, Action.DECIDE_EXTENSION, S.SIGNED, E.EXTENSION_APPROVED, _DECIDE),
        # A consultation is often answered at once: replying signs for it on the way.
        Rule(S.DISPATCHED, Action.REPLY, S.REPLIED, E.REPLIED, _REPLY),
        Rule(S.SIGNED, Action.REPLY, S.REPLIED, E.REPLIED, _REPLY),
        Rule(S.REPLIED, Action.RATE_CLOSE, S.CLOSED, E.CLOSED, _RATE),
        Rule(S.REPLIED, Action.REOPEN, S.DISPATCHED, E.REOPENED, _REOPEN),
        Rule(S.CLOSED, Action.REOPEN, S.DISPATCHED, E.REOPENED, _REOPEN),
        # Nobody complained within the window: the deadline pass closes it.
        Rule(S.REPLIED, Action.CLOSE, S.CLOSED, E.CLOSED, system=True),
        *(Rule(s, Action.MERGE, S.MERGED, E.MERGED, _MERGE) for s in _OPEN_FOR_MERGE),
    ],
    error=AppealError,
    invalid_state=Code.INVALID_STATE,
    field="appealId",
    initial=[S.HELD, S.SUBMITTED],
)


def step(status: S, action: Action, field: str = "appealId") -> S:
    """The status after `action`, or INVALID_STATE."""
    return APPEAL_WORKFLOW.target(status, action, field=field)


# What residents read about each status (inbox, WeChat `phrase` keyword: at most 5 characters).
STATUS_LABELS: dict[S, str] = {
    S.SUBMITTED: "已受理",
    S.HELD: "审核中",
    S.DISPATCHED: "办理中",
    S.SIGNED: "办理中",
    S.REPLIED: "已答复",
    S.CLOSED: "已办结",
    S.RETURNED: "重新派单",
    S.MERGED: "已并单",
    S.REJECTED: "不予受理",
}

KIND_LABELS = {
    "CONSULTATION": "咨询",
    "HELP": "求助",
    "COMPLAINT": "投诉",
    "REPORT": "举报",
    "SUGGESTION": "建议",
    "PRAISE": "表扬",
}
