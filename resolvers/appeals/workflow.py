"""The appeal's state machine as an explicit table: which action moves which status where,
and who may take it. Services look transitions up here; nothing else moves a status.

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


class Actor(StrEnum):
    OWNER = "OWNER"  # the resident who filed it
    HANDLER = "HANDLER"  # staff of the department it is dispatched to
    CENTRE = "CENTRE"  # the 12345 centre's staff and ADMIN: dispatch, moderate, supervise
    SYSTEM = "SYSTEM"  # content checks, automatic dispatch, the deadline pass


@dataclass(frozen=True, slots=True)
class Transition:
    target: S
    actors: frozenset[Actor]
    event: E


def _t(target: S, event: E, *actors: Actor) -> Transition:
    return Transition(target, frozenset(actors), event)


_OPEN_FOR_MERGE = (S.SUBMITTED, S.DISPATCHED, S.SIGNED, S.RETURNED)

TABLE: dict[tuple[S, Action], Transition] = {
    (S.HELD, Action.HOLD): _t(S.HELD, E.HELD, Actor.SYSTEM),
    (S.HELD, Action.RELEASE): _t(S.SUBMITTED, E.RELEASED, Actor.SYSTEM, Actor.CENTRE),
    (S.HELD, Action.REJECT): _t(S.REJECTED, E.REJECTED, Actor.SYSTEM, Actor.CENTRE),
    (S.SUBMITTED, Action.DISPATCH): _t(S.DISPATCHED, E.DISPATCHED, Actor.SYSTEM, Actor.CENTRE),
    (S.RETURNED, Action.DISPATCH): _t(S.DISPATCHED, E.REDISPATCHED, Actor.CENTRE),
    # 改派 of work a department has not finished: the centre moves it without a 退单.
    (S.DISPATCHED, Action.DISPATCH): _t(S.DISPATCHED, E.REDISPATCHED, Actor.CENTRE),
    (S.SIGNED, Action.DISPATCH): _t(S.DISPATCHED, E.REDISPATCHED, Actor.CENTRE),
    (S.DISPATCHED, Action.SIGN): _t(S.SIGNED, E.SIGNED, Actor.HANDLER),
    (S.DISPATCHED, Action.RETURN): _t(S.RETURNED, E.RETURNED, Actor.HANDLER),
    (S.SIGNED, Action.RETURN): _t(S.RETURNED, E.RETURNED, Actor.HANDLER),
    (S.SIGNED, Action.REQUEST_EXTENSION): _t(S.SIGNED, E.EXTENSION_REQUESTED, Actor.HANDLER),
    (S.SIGNED, Action.DECIDE_EXTENSION): _t(S.SIGNED, E.EXTENSION_APPROVED, Actor.CENTRE),
    # A consultation is often answered at once: replying signs for it on the way.
    (S.DISPATCHED, Action.REPLY): _t(S.REPLIED, E.REPLIED, Actor.HANDLER),
    (S.SIGNED, Action.REPLY): _t(S.REPLIED, E.REPLIED, Actor.HANDLER),
    (S.REPLIED, Action.RATE_CLOSE): _t(S.CLOSED, E.CLOSED, Actor.OWNER),
    (S.REPLIED, Action.REOPEN): _t(S.DISPATCHED, E.REOPENED, Actor.OWNER),
    (S.CLOSED, Action.REOPEN): _t(S.DISPATCHED, E.REOPENED, Actor.OWNER),
    (S.REPLIED, Action.CLOSE): _t(S.CLOSED, E.CLOSED, Actor.SYSTEM),
    **{
        (s, Action.MERGE): _t(S.MERGED, E.MERGED, Actor.CENTRE, Actor.HANDLER)
        for s in _OPEN_FOR_MERGE
    },
}


def step(status: S, action: Action, actors: set[Actor], field: str = "appealId") -> S:
    """The status after `action`, or INVALID_STATE / FORBIDDEN."""
    transition = TABLE.get((status, action))
    if transition is None:
        raise AppealError(Code.INVALID_STATE, field)
    if transition.actors.isdisjoint(actors):
        raise AppealError(Code.FORBIDDEN, field)
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
