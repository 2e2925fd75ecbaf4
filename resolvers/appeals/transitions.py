"""The shared steps of every appeal transition: who the caller is, the appeal as the policy
sees it, the workflow machine (lock, table, compare-and-set, timeline event), the
notifications, and dispatch with a new round."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any
from uuid import UUID

from resolvers import inputs, policy
from resolvers.appeals import deadlines
from resolvers.appeals.errors import AppealError
from resolvers.appeals.errors import AppealErrorCode as Code
from resolvers.appeals.workflow import APPEAL_WORKFLOW, STATUS_LABELS, Action
from resolvers.ids import global_id
from resolvers.notifications.service import enqueue_inbox, enqueue_wechat, wechat_time
from resolvers.principal import Principal
from resolvers.resources import Resources
from resolvers.workflow import Machine, Moved
from storage.cache import RedisError, bump_appeals_version
from storage.models.appeals import (
    Appeal,
    AppealCategory,
    AppealEventType,
    AppealStatus,
    HoldReason,
)
from storage.models.catalogue import Channel
from storage.repositories import appeals as repo
from storage.transactions import atomic

log = logging.getLogger(__name__)

MAX_NOTE = 500
MAX_COMMENT = 200
MAX_ADDRESS = 200
MAX_MERGE = 20
# Channels a resident files from by themself; hall windows and terminals file on behalf
# of someone and are recorded from the clerk or device, never claimed.
SELF_SERVICE_CHANNELS = frozenset(
    {Channel.WEB_HALL, Channel.MOBILE_APP, Channel.MINI_PROGRAM, Channel.TV_HALL}
)
SEALS = {
    "content": "appeal.content",
    "keywords": "appeal.keywords",
    "address": "appeal.address",
    "contact": "appeal.contact",
    "note": "appeal.note",
    "reply": "appeal.reply",
    "comment": "appeal.comment",
    "revisit": "appeal.revisit",
    "term": "appeal.term",
}


def acting(principal: Principal) -> UUID:
    """The account taking an action the policy allowed (never anonymous)."""
    assert principal.account_id is not None
    return principal.account_id


def clean_text(
    text: str | None, field: str, *, limit: int = MAX_NOTE, required: bool = False
) -> str:
    """A note, reason or address: whitespace folded within each line, line breaks kept."""
    return inputs.clean_text(
        text,
        field,
        error=AppealError,
        invalid=Code.INVALID_INPUT,
        longest=limit,
        required=Code.REASON_REQUIRED if required else None,
        keep_lines=True,
    )


def global_uuid(global_id: str, type_name: str, field: str) -> UUID:
    """The UUID inside a global id of `type_name`; NOT_FOUND for anything else."""
    return inputs.global_uuid(global_id, type_name, field, error=AppealError(Code.NOT_FOUND, field))


def seal(resources: Resources, what: str, value: str) -> str:
    return resources.keyring.seal(value, context=SEALS[what])


def unseal(resources: Resources, what: str, value: str | None) -> str | None:
    if value is None:
        return None
    return resources.keyring.open(value, context=SEALS[what])


def subject_of(appeal: Appeal) -> policy.Subject:
    """The appeal as the policy sees it: who filed it, the department it is with, where."""
    return policy.Subject(
        owner_id=appeal.owner_id, department_id=appeal.department_id, region_id=appeal.region_id
    )


async def authorize(
    resources: Resources,
    principal: Principal,
    action: policy.Action,
    appeal: Appeal | None,
    field: str = "appealId",
) -> None:
    """The policy's answer for `action` on the appeal; NOT_FOUND for a caller who may not
    even read it (another department never learns that it exists)."""
    await policy.authorize_seen(
        resources,
        principal,
        action,
        subject_of(appeal) if appeal is not None else None,
        seen_by=policy.Action.APPEAL_READ,
        hidden=AppealError(Code.NOT_FOUND, field),
        field=field,
    )


async def write_event(
    appeal: Appeal,
    type: AppealEventType,
    status: AppealStatus,
    *,
    at: datetime,
    actor_id: UUID | None,
    note: str = "",
    department_id: UUID | None = None,
    by_department: bool = False,
    sealed_note: str | None = None,
) -> None:
    """A timeline event: every move writes one (through APPEALS), and so do the steps that
    move nothing (filed, rated, absorbed, revisited, a photo removed). `by_department`: the
    handling department's own act (签收, 退单, 答复), named by the department the appeal was
    with when it was locked (a move sets only the row's status, never its other columns)."""
    await repo.add_event(
        appeal_id=appeal.id,
        type=type,
        at=at,
        actor_id=actor_id,
        department_id=appeal.department_id if by_department else department_id,
        status=status,
        note=note,
        note_sealed=sealed_note,
    )


async def changed(resources: Resources) -> None:
    """After a change to appeals committed (a filing, a move, a rating): cached insights
    computed before it stop being served. Without Redis there is no cache to correct."""
    try:
        await bump_appeals_version(resources.redis)
    except RedisError:
        log.warning("appeals version not bumped: insights may be stale until their TTL")


@asynccontextmanager
async def changing(resources: Resources) -> AsyncIterator[None]:
    """A transaction that changes appeals: once it commits, `changed`. Nested in another
    transaction it bumps early too, and the outer one bumps again after its commit."""
    async with atomic():
        yield
    await changed(resources)


class AppealMachine(Machine[Appeal, AppealStatus, Action, AppealEventType]):
    """The machine of appeals: every whole move (`run`) is followed, once committed, by
    `changed`; moves applied inside a service's own transaction are covered by `changing`."""

    async def run(self, resources: Resources, *args: Any, **kwargs: Any) -> Any:
        done = await super().run(resources, *args, **kwargs)
        await changed(resources)
        return done


# Every status change of an appeal goes through it: the row locked through the repository,
# the policy and the table asked, the status compare-and-set, the timeline event written.
APPEALS = AppealMachine(
    APPEAL_WORKFLOW,
    lock=repo.lock,
    compare_and_set=repo.move,
    record=write_event,
    authorize=authorize,
    not_found=Code.NOT_FOUND,
    conflict=Code.CONFLICT,
)

# A move of an appeal that happened, as the machine reports it.
Move = Moved[Appeal, AppealStatus, AppealEventType]


async def category_of(appeal: Appeal) -> AppealCategory:
    rows = await repo.categories_by_ids([appeal.category_id])
    return rows[0]


async def notify_owner(
    appeal: Appeal,
    status: AppealStatus,
    *,
    at: datetime,
    extra: str = "",
    wechat: bool = False,
    category: AppealCategory | None = None,
) -> None:
    """Inside the transaction: the resident's inbox; WeChat too for a reply, if granted.
    Open311 filings have no account to tell: their client polls the request instead.
    `category`: the appeal's, when the caller holds it (else it is read)."""
    if appeal.owner_id is None:
        return
    category = category or await category_of(appeal)
    label = STATUS_LABELS[status]
    body = f"您反映的“{category.name}”诉求（{appeal.number}）{label}。{extra}".strip()
    await enqueue_inbox(
        key=str(appeal.id),
        now=at,
        topic="APPEAL_STATUS",
        title=f"诉求{label}",
        body=body[:200],
        subject_id=appeal.id,
        account_ids=[appeal.owner_id],
    )
    if wechat:
        await enqueue_wechat(
            key=str(appeal.id),
            now=at,
            account_id=appeal.owner_id,
            event="APPEAL_REPLY",
            values={
                "number": appeal.number,
                "service": category.name,
                "status": label,
                "time": wechat_time(at),
            },
            page=f"pages/appeals/detail?id={global_id('Appeal', appeal.id)}",
        )


async def notify_department(
    appeal: Appeal, department_id: UUID, *, at: datetime, title: str, body: str
) -> None:
    await enqueue_inbox(
        key=str(appeal.id),
        now=at,
        topic="APPEAL_WORK",
        title=title,
        body=body[:200],
        subject_id=appeal.id,
        department_id=department_id,
    )


HOLD_NOTES = {
    HoldReason.CHECK_PENDING: "内容安全检测暂不可用，待复检",
    HoldReason.REVIEW: "内容待人工审核",
}


def dispatch_changes(
    appeal: Appeal, department_id: UUID, found: deadlines.Round, *, at: datetime
) -> dict[str, Any]:
    """The columns a dispatch sets with the status: the department, a new round, its
    deadlines (the department's clock starts today), no extension yet."""
    return {
        "department_id": department_id,
        "round": appeal.round + 1,
        "dispatched_at": at,
        "signed_at": None,
        "extension_days": 0,
        "extension_status": None,
        "extension_requested_days": None,
        "extension_reason": "",
        **found.columns(),
    }


async def dispatched(
    moved: Move,
    department_id: UUID,
    found: deadlines.Round,
    category: AppealCategory | None = None,
) -> None:
    """Inside the transaction, once dispatched: the last round's 督办 are settled, the
    department is told, and so is the resident the first time."""
    appeal = moved.row
    if moved.event is not AppealEventType.DISPATCHED:
        # 督办 are raised on a department's round: the first dispatch follows none.
        await repo.resolve_all_supervisions(appeal.id, moved.at)
    await notify_department(
        appeal,
        department_id,
        at=moved.at,
        title="新的诉求工单",
        body=f"诉求 {appeal.number} 已派至本部门，请于 {due_text(found.sign_due)} 前签收、"
        f"{due_text(found.reply_due)} 前答复。",
    )
    if moved.event is AppealEventType.DISPATCHED:
        await notify_owner(
            appeal, moved.target, at=moved.at, extra="已转交承办部门办理。", category=category
        )


async def dispatch_in(
    appeal: Appeal,
    department_id: UUID,
    found: deadlines.Round,
    *,
    at: datetime,
    by: policy.Action | None,
    actor_id: UUID | None,
    note: str,
    category: AppealCategory | None = None,
) -> None:
    """Inside a transaction that holds the appeal's lock: it goes to `department_id` with a
    new round of deadlines. `by`: the policy action of the person dispatching it (None: the
    dispatch table, at filing or release). `category`: the appeal's, when the caller holds
    it."""
    moved = await APPEALS.apply(
        appeal,
        Action.DISPATCH,
        by=by,
        at=at,
        actor_id=actor_id,
        note=note,
        changes=dispatch_changes(appeal, department_id, found, at=at),
        department_id=department_id,
    )
    await dispatched(moved, department_id, found, category)


def due_text(day: Any) -> str:
    return day.isoformat() if day is not None else "（日历未发布）"


async def fresh(appeal_id: UUID) -> Appeal:
    appeal = await repo.by_id(appeal_id)
    assert appeal is not None
    return appeal
