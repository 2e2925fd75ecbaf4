"""The appeal's state machine as an explicit table: which action moves which status where.
Services look transitions up here; nothing else moves a status. Who may take each action is
the policy's to say (resolvers/policy.py); HOLD and CLOSE, and the first RELEASE, REJECT and
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

from dataclasses import dataclass
from enum import StrEnum

from resolvers.appeals.errors import AppealError
from resolvers.appeals.errors import AppealErrorCode as Code
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


@dataclass(frozen=True, slots=True)
class Transition:
    target: S
    event: E


_t = Transition


_OPEN_FOR_MERGE = (S.SUBMITTED, S.DISPATCHED, S.SIGNED, S.RETURNED)

TABLE: dict[tuple[S, Action], Transition] = {
    (S.HELD, Action.HOLD): _t(S.HELD, E.HELD),
    (S.HELD, Action.RELEASE): _t(S.SUBMITTED, E.RELEASED),
    (S.HELD, Action.REJECT): _t(S.REJECTED, E.REJECTED),
    (S.SUBMITTED, Action.DISPATCH): _t(S.DISPATCHED, E.DISPATCHED),
    (S.RETURNED, Action.DISPATCH): _t(S.DISPATCHED, E.REDISPATCHED),
    # 改派 of work a department has not finished: the centre moves it without a 退单.
    (S.DISPATCHED, Action.DISPATCH): _t(S.DISPATCHED, E.REDISPATCHED),
    (S.SIGNED, Action.DISPATCH): _t(S.DISPATCHED, E.REDISPATCHED),
    (S.DISPATCHED, Action.SIGN): _t(S.SIGNED, E.SIGNED),
    (S.DISPATCHED, Action.RETURN): _t(S.RETURNED, E.RETURNED),
    (S.SIGNED, Action.RETURN): _t(S.RETURNED, E.RETURNED),
    (S.SIGNED, Action.REQUEST_EXTENSION): _t(S.SIGNED, E.EXTENSION_REQUESTED),
    (S.SIGNED, Action.DECIDE_EXTENSION): _t(S.SIGNED, E.EXTENSION_APPROVED),
    # A consultation is often answered at once: replying signs for it on the way.
    (S.DISPATCHED, Action.REPLY): _t(S.REPLIED, E.REPLIED),
    (S.SIGNED, Action.REPLY): _t(S.REPLIED, E.REPLIED),
    (S.REPLIED, Action.RATE_CLOSE): _t(S.CLOSED, E.CLOSED),
    (S.REPLIED, Action.REOPEN): _t(S.DISPATCHED, E.REOPENED),
    (S.CLOSED, Action.REOPEN): _t(S.DISPATCHED, E.REOPENED),
    (S.REPLIED, Action.CLOSE): _t(S.CLOSED, E.CLOSED),
    **{(s, Action.MERGE): _t(S.MERGED, E.MERGED) for s in _OPEN_FOR_MERGE},
}


def step(status: S, action: Action, field: str = "appealId") -> S:
    """The status after `action`, or INVALID_STATE."""
    transition = TABLE.get((status, action))
    if transition is None:
        raise AppealError(Code.INVALID_STATE, field)
    return transition.target


def event_of(status: S, action: Action) -> E:
    return TABLE[(status, action)].event


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
