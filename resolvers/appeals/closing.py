"""Closing the loop: the resident's rating and reopening within the window, the closing of
undisputed replies, and the 回访 of every closed appeal."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from resolvers import policy
from resolvers.appeals import deadlines
from resolvers.appeals.errors import AppealError
from resolvers.appeals.errors import AppealErrorCode as Code
from resolvers.appeals.transitions import (
    APPEALS,
    MAX_COMMENT,
    Move,
    acting,
    authorize,
    changing,
    clean_text,
    due_text,
    fresh,
    notify_department,
    notify_owner,
    seal,
    write_event,
)
from resolvers.appeals.workflow import Action
from resolvers.calendar.service import china_date, deadline
from resolvers.principal import Principal
from resolvers.resources import Resources
from storage.models.appeals import (
    Appeal,
    AppealEventType,
    AppealStatus,
    RevisitMethod,
    Satisfaction,
)
from storage.repositories import appeals as repo
from storage.transactions import IntegrityError


def master_of(appeal: Appeal) -> UUID:
    return (
        appeal.merged_into_id
        if appeal.status is AppealStatus.MERGED and appeal.merged_into_id
        else appeal.id
    )


async def rate(
    resources: Resources,
    principal: Principal,
    appeal_id: UUID,
    level: Satisfaction,
    comment: str | None,
) -> Appeal:
    """满意 / 基本满意 closes the appeal (its 回访 is answered by the rating); 不满意 sends it
    back to the department for another round. Once per reply, within the window."""
    text = clean_text(comment, "comment", limit=MAX_COMMENT)
    now = resources.clock()
    preview = await repo.by_id(appeal_id)
    await authorize(resources, principal, policy.Action.APPEAL_RATE, preview)
    assert preview is not None
    owner_id = acting(principal)
    master_id = master_of(preview)
    reopen = level is Satisfaction.DISSATISFIED
    found = await next_round(resources, master_id, now) if reopen else None
    revisit_due = await deadline(china_date(now), resources.settings.appeal_revisit_days)
    try:
        async with changing(resources):
            locked = await repo.lock_many(sorted({appeal_id, master_id}))
            rows = {a.id: a for a in locked}
            appeal, master = rows[appeal_id], rows[master_id]
            if appeal.owner_id != owner_id:
                raise AppealError(Code.NOT_FOUND, "appealId")
            if (
                master.status not in (AppealStatus.REPLIED, AppealStatus.CLOSED)
                or master.replied_at is None
            ):
                raise AppealError(Code.NOT_REPLIED, "appealId")
            if now > deadlines.window_end(resources.settings, master.replied_at):
                raise AppealError(Code.WINDOW_CLOSED, "appealId")
            round_ = appeal.round if appeal.id != master.id else master.round
            if await repo.last_rating(appeal.id, round_) is not None:
                raise AppealError(Code.ALREADY_RATED, "appealId")
            await repo.add_rating(
                appeal_id=appeal.id,
                round=round_,
                level=level,
                comment_sealed=seal(resources, "comment", text) if text else None,
                department_id=master.department_id,
                created_at=now,
            )
            await write_event(
                appeal,
                AppealEventType.RATED,
                appeal.status,
                at=now,
                actor_id=owner_id,
                note=LEVELS[level],
            )
            if reopen:
                assert found is not None
                await reopen_in(
                    master,
                    found,
                    by=policy.Action.APPEAL_RATE,
                    at=now,
                    actor_id=owner_id,
                    sealed=seal(resources, "note", text) if text else None,
                )
            else:
                if master.status is AppealStatus.REPLIED and master.id == appeal.id:
                    await close_in(
                        master,
                        Action.RATE_CLOSE,
                        by=policy.Action.APPEAL_RATE,
                        at=now,
                        actor_id=owner_id,
                        revisit_due=revisit_due.due,
                    )
                await repo.open_revisit(appeal.id, round_, due=revisit_due.due, now=now)
                revisit = await repo.lock_revisit(appeal.id)
                if revisit is not None:
                    await repo.finish_revisit(
                        revisit.id, method=RevisitMethod.RATING, satisfaction=level, done_at=now
                    )
    except IntegrityError:  # a second rating raced the first
        raise AppealError(Code.ALREADY_RATED, "appealId") from None
    return await fresh(appeal_id)


LEVELS = {
    Satisfaction.SATISFIED: "满意",
    Satisfaction.BASICALLY_SATISFIED: "基本满意",
    Satisfaction.DISSATISFIED: "不满意",
}


async def reopen(
    resources: Resources, principal: Principal, appeal_id: UUID, reason: str | None
) -> Appeal:
    """The resident says it is not solved: back to the department that replied, within the
    window after the reply (a merged appeal reopens the one it was merged into)."""
    text = clean_text(reason, "reason", required=True)
    now = resources.clock()
    preview = await repo.by_id(appeal_id)
    await authorize(resources, principal, policy.Action.APPEAL_REOPEN, preview)
    assert preview is not None
    owner_id = acting(principal)
    master_id = master_of(preview)
    found = await next_round(resources, master_id, now)
    async with changing(resources):
        rows = {a.id: a for a in await repo.lock_many(sorted({appeal_id, master_id}))}
        appeal, master = rows[appeal_id], rows[master_id]
        if (
            master.status not in (AppealStatus.REPLIED, AppealStatus.CLOSED)
            or master.replied_at is None
        ):
            raise AppealError(Code.NOT_REPLIED, "appealId")
        if now > deadlines.window_end(resources.settings, master.replied_at):
            raise AppealError(Code.WINDOW_CLOSED, "appealId")
        await reopen_in(
            master,
            found,
            by=policy.Action.APPEAL_REOPEN,
            at=now,
            actor_id=owner_id,
            sealed=seal(resources, "note", text),
        )
        if appeal.id != master.id:  # the merged appeal moves with its master, not by itself
            await write_event(
                appeal,
                AppealEventType.REOPENED,
                appeal.status,
                at=now,
                actor_id=owner_id,
                note=f"经 {master.number} 重新办理",
            )
    return await fresh(appeal_id)


async def next_round(resources: Resources, appeal_id: UUID, now: datetime) -> deadlines.Round:
    appeal = await repo.by_id(appeal_id)
    if appeal is None:
        raise AppealError(Code.NOT_FOUND, "appealId")
    return await deadlines.round_from(
        resources.settings,
        await deadlines.limits_of(resources, appeal.category_id),
        china_date(now),
    )


async def reopen_in(
    master: Appeal,
    found: deadlines.Round,
    *,
    by: policy.Action,
    at: datetime,
    actor_id: UUID,
    sealed: str | None,
) -> None:
    """Inside the transaction that locked it: back to the department that replied, with a
    new round of deadlines. `by`: 不满意 in a rating, or reopenAppeal."""
    assert master.department_id is not None
    moved = await APPEALS.apply(
        master,
        Action.REOPEN,
        by=by,
        at=at,
        actor_id=actor_id,
        changes={
            "round": master.round + 1,
            "dispatched_at": at,
            "signed_at": None,
            "closed_at": None,
            "reopen_count": master.reopen_count + 1,
            "extension_days": 0,
            "extension_status": None,
            "extension_requested_days": None,
            "extension_reason": "",
            **found.columns(),
        },
        department_id=master.department_id,
        sealed_note=sealed,
    )
    await notify_owner(master, moved.target, at=at, extra="已退回承办部门重新办理。")
    await notify_department(
        master,
        master.department_id,
        at=at,
        title="诉求重新办理",
        body=(
            f"诉求 {master.number} 的诉求人对答复不满意，已退回重新办理，"
            f"请于 {due_text(found.reply_due)} 前答复。"
        ),
    )


async def close_in(
    master: Appeal,
    action: Action,
    *,
    by: policy.Action | None,
    at: datetime,
    actor_id: UUID | None,
    revisit_due: Any,
) -> None:
    """Inside the transaction that locked it: CLOSED (`by` None: the window passed), and a
    回访 waiting for each resident concerned."""
    moved = await APPEALS.apply(
        master, action, by=by, at=at, actor_id=actor_id, changes={"closed_at": at}
    )
    await closed(moved, revisit_due)


async def closed(moved: Move, revisit_due: Any) -> None:
    """Inside the transaction, once closed: the 回访 of the appeal and of those merged into
    it (answered already by a rating they gave), and the residents told."""
    master, target, at = moved.row, moved.target, moved.at
    await repo.open_revisit(master.id, master.round, due=revisit_due, now=at)
    await notify_owner(master, target, at=at, extra="感谢您的反映。")
    for child in await repo.merged_into([master.id]):
        await repo.open_revisit(child.id, child.round, due=revisit_due, now=at)
        if await repo.last_rating(child.id, child.round) is not None:
            revisit = await repo.lock_revisit(child.id)
            rating = await repo.last_rating(child.id, child.round)
            if revisit is not None and rating is not None:
                await repo.finish_revisit(
                    revisit.id, method=RevisitMethod.RATING, satisfaction=rating.level, done_at=at
                )
        await notify_owner(child, target, at=at, extra="感谢您的反映。")


async def close_expired(resources: Resources, *, batch: int = 200) -> int:
    """Replied appeals nobody rated or reopened within the window are closed; the centre
    revisits (回访) them."""
    now = resources.clock()
    cutoff = now - timedelta(days=resources.settings.appeal_reopen_days)
    revisit_due = await deadline(china_date(now), resources.settings.appeal_revisit_days)

    async def tell(moved: Move) -> None:
        await closed(moved, revisit_due.due)

    count = 0
    for appeal in await repo.replied_before(cutoff, batch):
        try:
            await APPEALS.run(
                resources,
                None,
                appeal.id,
                Action.CLOSE,
                at=now,
                changes={"closed_at": now},
                outbox=tell,
            )
        except AppealError:  # rated, reopened or closed meanwhile: nothing to close
            continue
        count += 1
    return count


async def record_revisit(
    resources: Resources,
    principal: Principal,
    appeal_id: UUID,
    method: RevisitMethod,
    satisfaction: Satisfaction | None,
    note: str | None,
) -> Appeal:
    """The 12345 centre records its 回访 call of a closed appeal."""
    text = clean_text(note, "note")
    if method is RevisitMethod.RATING:
        raise AppealError(Code.INVALID_INPUT, "method")
    if method is RevisitMethod.CALL and satisfaction is None:
        raise AppealError(Code.INVALID_INPUT, "satisfaction")
    now = resources.clock()
    async with changing(resources):
        # A 回访 is no move of the table: locked and asked of the policy here, as a move is.
        appeal = await repo.lock(appeal_id)
        await authorize(resources, principal, policy.Action.APPEAL_RECORD_REVISIT, appeal)
        assert appeal is not None
        actor_id = acting(principal)
        revisit = await repo.lock_revisit(appeal.id)
        if revisit is None:
            raise AppealError(Code.INVALID_STATE, "appealId")
        if not await repo.finish_revisit(
            revisit.id,
            method=method,
            satisfaction=satisfaction if method is RevisitMethod.CALL else None,
            note_sealed=seal(resources, "revisit", text) if text else None,
            done_by_id=actor_id,
            done_at=now,
        ):
            raise AppealError(Code.ALREADY_REVISITED, "appealId")
        await write_event(
            appeal, AppealEventType.REVISITED, appeal.status, at=now, actor_id=actor_id, note=text
        )
    return await fresh(appeal.id)
