"""The work on an appeal: the 12345 centre's dispatch (派单, 改派), moderation and extension
decisions, the departments' sign-for, 退单 and reply, and 并单."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from resolvers import policy
from resolvers.appeals import deadlines, dispatch, moderation
from resolvers.appeals.errors import AppealError
from resolvers.appeals.errors import AppealErrorCode as Code
from resolvers.appeals.transitions import (
    APPEALS,
    HOLD_NOTES,
    MAX_MERGE,
    Move,
    acting,
    authorize,
    category_of,
    changing,
    clean_text,
    dispatch_changes,
    dispatch_in,
    dispatched,
    fresh,
    notify_department,
    notify_owner,
    seal,
    unseal,
    write_event,
)
from resolvers.appeals.workflow import APPEAL_WORKFLOW, Action
from resolvers.calendar.service import china_date, working_days_between
from resolvers.principal import Principal
from resolvers.resources import Resources
from storage.models.appeals import (
    Appeal,
    AppealEventType,
    AppealStatus,
    ExtensionStatus,
    HoldReason,
    SupervisionKind,
)
from storage.repositories import appeals as repo


async def dispatch_appeal(
    resources: Resources,
    principal: Principal,
    appeal_id: UUID,
    department_code: str,
    note: str | None,
    *,
    reassign: bool = False,
) -> Appeal:
    """派单 from the queue, and 改派 after a 退单. Moving work a department has not finished
    takes `reassign`: a dispatcher who saw it in the queue never moves it by accident after
    a colleague dispatched it a moment earlier."""
    text = clean_text(note, "note")
    department = (
        await repo.department_by_code(department_code.strip().upper())
        if department_code and len(department_code) <= 18
        else None
    )
    if department is None:
        raise AppealError(Code.DEPARTMENT_NOT_FOUND, "departmentCode")
    department_id = department.id
    preview = await repo.by_id(appeal_id)
    await authorize(resources, principal, policy.Action.APPEAL_DISPATCH, preview)
    assert preview is not None
    now = resources.clock()
    found = await deadlines.round_from(
        resources.settings,
        await deadlines.limits_of(resources, preview.category_id),
        china_date(now),
    )

    async def redispatch(appeal: Appeal) -> dict[str, Any]:
        handled = appeal.status in (AppealStatus.DISPATCHED, AppealStatus.SIGNED)
        if handled and not reassign:
            raise AppealError(Code.INVALID_STATE, "appealId")
        if handled and appeal.department_id == department_id:
            raise AppealError(Code.SAME_DEPARTMENT, "departmentCode")
        return dispatch_changes(appeal, department_id, found, at=now)

    async def tell(moved: Move) -> None:
        await dispatched(moved, department_id, found)

    await APPEALS.run(
        resources,
        principal,
        appeal_id,
        Action.DISPATCH,
        at=now,
        note=text or "人工派单",
        prepare=redispatch,
        outbox=tell,
        department_id=department_id,
    )
    return await fresh(appeal_id)


async def moderate(
    resources: Resources, principal: Principal, appeal_id: UUID, release: bool, reason: str | None
) -> Appeal:
    """A moderator of the 12345 centre releases held content (it is then dispatched as any
    filing would be) or refuses it with a reason the resident reads."""
    text = clean_text(reason, "reason", required=not release)
    return await decide_hold(
        resources, appeal_id, release, text, principal=principal, actor_id=principal.account_id
    )


async def decide_hold(
    resources: Resources,
    appeal_id: UUID,
    release: bool,
    note: str,
    *,
    principal: Principal | None,
    actor_id: UUID | None,
    hold_again: HoldReason | None = None,
) -> Appeal:
    preview = await repo.by_id(appeal_id)
    if principal is not None:  # a moderator; else the content check decides
        await authorize(resources, principal, policy.Action.APPEAL_MODERATE, preview)
    if preview is None:
        raise AppealError(Code.NOT_FOUND, "appealId")
    now = resources.clock()
    if hold_again is not None:
        async with changing(resources):
            appeal = await APPEALS.lock(resources, principal, appeal_id, Action.HOLD)
            # Still held (INVALID_STATE once a moderator decided it meanwhile).
            APPEAL_WORKFLOW.rule(appeal.status, Action.HOLD)
            if appeal.hold_reason is not hold_again:  # held for the same reason: nothing new
                await APPEALS.apply(
                    appeal,
                    Action.HOLD,
                    by=None if principal is None else policy.Action.APPEAL_MODERATE,
                    at=now,
                    actor_id=None,
                    note=HOLD_NOTES[hold_again],
                    changes={"hold_reason": hold_again},
                )
        return await fresh(appeal_id)

    department_id = None
    found = None
    if release:
        category = await category_of(preview)
        region = await repo.region(preview.region_id)
        department_id = await dispatch.route(
            resources, category, await dispatch.place_of(resources, region)
        )
        if department_id is not None:
            found = await deadlines.round_from(
                resources.settings,
                await deadlines.limits_of(resources, preview.category_id),
                china_date(now),
            )

    async def tell(moved: Move) -> None:
        appeal, target = moved.row, moved.target
        if not release:
            await notify_owner(appeal, target, at=now, extra=f"原因：{note}" if note else "")
        elif department_id is not None and found is not None:
            await dispatch_in(
                appeal,
                department_id,
                found,
                at=now,
                by=None,
                actor_id=None,
                note="按派单目录自动派单",
            )
        else:
            await notify_owner(appeal, target, at=now, extra="将由12345热线派至承办部门。")

    await APPEALS.run(
        resources,
        principal,
        appeal_id,
        Action.RELEASE if release else Action.REJECT,
        at=now,
        actor_id=actor_id,
        note=note,
        changes={"hold_reason": None, "closed_at": None if release else now},
        outbox=tell,
    )
    return await fresh(appeal_id)


async def recheck_held(resources: Resources, *, batch: int = 50) -> int:
    """The worker asks WeChat again about appeals held while it could not answer: pass
    releases (and dispatches), review holds for a moderator, risky refuses. After the
    configured attempts a person decides instead (still never published unchecked)."""
    done = 0
    for appeal in await repo.held_for_check(batch):
        owner = await repo.account(appeal.owner_id) if appeal.owner_id else None
        content = unseal(resources, "content", appeal.content_sealed) or ""
        attempts = appeal.check_attempts + 1
        verdict = (
            await moderation.check(resources, content, owner.wechat_openid)
            if owner is not None and owner.wechat_openid
            else moderation.Verdict(hold=HoldReason.REVIEW)
        )
        if verdict.hold is HoldReason.CHECK_PENDING:
            if attempts < resources.settings.appeal_check_max_attempts:
                await repo.update(appeal.id, check_attempts=attempts)
                continue
            verdict = moderation.Verdict(hold=HoldReason.REVIEW)
        await repo.update(appeal.id, check_attempts=attempts, check_trace_id=verdict.trace_id)
        try:
            if verdict.risky:
                await decide_hold(
                    resources, appeal.id, False, "内容安全检测未通过", principal=None, actor_id=None
                )
            elif verdict.hold is HoldReason.REVIEW:
                await decide_hold(
                    resources,
                    appeal.id,
                    False,
                    "",
                    principal=None,
                    actor_id=None,
                    hold_again=HoldReason.REVIEW,
                )
            else:
                await decide_hold(
                    resources, appeal.id, True, "内容安全检测通过", principal=None, actor_id=None
                )
        except AppealError:  # someone decided meanwhile (a moderator): nothing to do
            continue
        done += 1
    return done


async def decide_extension(
    resources: Resources, principal: Principal, appeal_id: UUID, approve: bool, note: str | None
) -> Appeal:
    """The centre approves (the reply deadline moves by the days asked) or denies."""
    text = clean_text(note, "note", required=not approve)
    preview = await repo.by_id(appeal_id)
    await authorize(resources, principal, policy.Action.APPEAL_DECIDE_EXTENSION, preview)
    assert preview is not None
    actor_id = acting(principal)
    limits = await deadlines.limits_of(resources, preview.category_id)
    now = resources.clock()
    async with changing(resources):
        # Lock and apply rather than run: the table names the move by its approval, a
        # denial writes its own event.
        appeal = await APPEALS.lock(resources, principal, appeal_id, Action.DECIDE_EXTENSION)
        APPEAL_WORKFLOW.rule(appeal.status, Action.DECIDE_EXTENSION)
        if appeal.extension_status is not ExtensionStatus.PENDING or appeal.received_on is None:
            raise AppealError(Code.NO_EXTENSION_PENDING, "appealId")
        changes: dict[str, Any] = {
            "extension_status": ExtensionStatus.APPROVED if approve else ExtensionStatus.DENIED
        }
        if approve:
            days = min(
                appeal.extension_days + (appeal.extension_requested_days or 0),
                limits.max_extension_days,
            )
            found = await deadlines.round_from(resources.settings, limits, appeal.received_on, days)
            changes.update(
                extension_days=days,
                reply_due=found.reply_due,
                due_beyond_calendar=found.beyond_calendar,
            )
        if not await repo.set_extension(appeal.id, expected=ExtensionStatus.PENDING, **changes):
            raise AppealError(Code.CONFLICT, "appealId")
        if approve:
            await repo.resolve_supervisions(
                appeal.id, appeal.round, [SupervisionKind.REPLY_OVERDUE], now
            )
        # The extension's own compare-and-set above; the status stays, so the move writes
        # only its event.
        await APPEALS.apply(
            appeal,
            Action.DECIDE_EXTENSION,
            by=policy.Action.APPEAL_DECIDE_EXTENSION,
            at=now,
            actor_id=actor_id,
            note=text,
            event=(
                AppealEventType.EXTENSION_APPROVED if approve else AppealEventType.EXTENSION_DENIED
            ),
        )
        assert appeal.department_id is not None
        verdict = "已批准" if approve else "未批准"
        await notify_department(
            appeal,
            appeal.department_id,
            at=now,
            title=f"延期申请{verdict}",
            body=f"诉求 {appeal.number} 的延期申请{verdict}。{text}",
        )
    return await fresh(appeal.id)


# -- the department


async def sign(resources: Resources, principal: Principal, appeal_id: UUID) -> Appeal:
    now = resources.clock()

    async def settle(appeal: Appeal) -> dict[str, Any]:
        await repo.resolve_supervisions(
            appeal.id, appeal.round, [SupervisionKind.SIGN_OVERDUE], now
        )
        return {"signed_at": now}

    await APPEALS.run(
        resources, principal, appeal_id, Action.SIGN, at=now, prepare=settle, by_department=True
    )
    return await fresh(appeal_id)


async def return_appeal(
    resources: Resources, principal: Principal, appeal_id: UUID, reason: str | None
) -> Appeal:
    """退单: not this department's matter. Only within `appeal_return_days` working days of
    receipt; the 12345 centre then dispatches it again (改派)."""
    text = clean_text(reason, "reason", required=True)
    now = resources.clock()
    today = china_date(now)

    async def within_window(appeal: Appeal) -> None:
        if appeal.return_until is None or today > appeal.return_until:
            raise AppealError(Code.RETURN_WINDOW_CLOSED, "appealId")
        await repo.resolve_all_supervisions(appeal.id, now)

    async def tell(moved: Move) -> None:
        centre = await dispatch.centre(resources)
        if centre is not None:
            await notify_department(
                moved.row,
                centre.id,
                at=now,
                title="退单待改派",
                body=f"诉求 {moved.row.number} 被退回：{text}",
            )

    await APPEALS.run(
        resources,
        principal,
        appeal_id,
        Action.RETURN,
        at=now,
        note=text,
        changes={"department_id": None, "extension_status": None},
        prepare=within_window,
        outbox=tell,
        by_department=True,  # the department returning it, which it leaves
    )
    return await fresh(appeal_id)


async def request_extension(
    resources: Resources, principal: Principal, appeal_id: UUID, days: int, reason: str | None
) -> Appeal:
    text = clean_text(reason, "reason", required=True)
    preview = await repo.by_id(appeal_id)
    await authorize(resources, principal, policy.Action.APPEAL_REQUEST_EXTENSION, preview)
    assert preview is not None
    limits = await deadlines.limits_of(resources, preview.category_id)
    now = resources.clock()

    async def ask(appeal: Appeal) -> None:
        if appeal.extension_status is ExtensionStatus.PENDING:
            raise AppealError(Code.EXTENSION_PENDING, "appealId")
        if days < 1 or appeal.extension_days + days > limits.max_extension_days:
            raise AppealError(Code.EXTENSION_TOO_LONG, "days")
        # The extension has its own compare-and-set; the status stays.
        if not await repo.set_extension(
            appeal.id,
            expected=appeal.extension_status,
            extension_status=ExtensionStatus.PENDING,
            extension_requested_days=days,
            extension_reason=text,
        ):
            raise AppealError(Code.CONFLICT, "appealId")

    async def tell(moved: Move) -> None:
        centre = await dispatch.centre(resources)
        if centre is not None:
            await notify_department(
                moved.row,
                centre.id,
                at=now,
                title="延期申请待审批",
                body=f"诉求 {moved.row.number} 申请延期 {days} 个工作日：{text}",
            )

    await APPEALS.run(
        resources,
        principal,
        appeal_id,
        Action.REQUEST_EXTENSION,
        at=now,
        note=f"申请延期 {days} 个工作日：{text}",
        prepare=ask,
        outbox=tell,
    )
    return await fresh(appeal_id)


async def reply(
    resources: Resources, principal: Principal, appeal_id: UUID, content: str | None
) -> Appeal:
    """答复: the resident (and each resident whose appeal was merged into this one) is told;
    a reply counts as on time when given by the reply deadline of its round."""
    body = (content or "").strip()
    if not body:
        raise AppealError(Code.REPLY_REQUIRED, "content")
    if len(body) > resources.settings.appeal_content_max_chars:
        raise AppealError(Code.CONTENT_TOO_LONG, "content")
    now = resources.clock()
    today = china_date(now)
    preview = await repo.by_id(appeal_id)
    await authorize(resources, principal, policy.Action.APPEAL_REPLY, preview)
    assert preview is not None
    actor_id = acting(principal)
    spent = await working_days_between(preview.received_on, today) if preview.received_on else 0

    async def answer(appeal: Appeal) -> dict[str, Any]:
        assert appeal.department_id is not None
        await repo.add_reply(
            appeal_id=appeal.id,
            round=appeal.round,
            department_id=appeal.department_id,
            author_id=actor_id,
            body_sealed=seal(resources, "reply", body),
            on_time=appeal.reply_due is None or today <= appeal.reply_due,
            working_days=spent,
            created_at=now,
        )
        await repo.resolve_all_supervisions(appeal.id, now)
        changes: dict[str, Any] = {"replied_at": now, "extension_status": None}
        if appeal.signed_at is None:  # replying at once signs for it on the way
            changes["signed_at"] = now
        return changes

    async def tell(moved: Move) -> None:
        appeal, target = moved.row, moved.target
        await notify_owner(appeal, target, at=now, extra="请查看答复并评价。", wechat=True)
        for child in await repo.merged_into([appeal.id]):
            await notify_owner(
                child, target, at=now, extra="（与同一事项合并答复）请查看答复并评价。", wechat=True
            )

    await APPEALS.run(
        resources,
        principal,
        appeal_id,
        Action.REPLY,
        at=now,
        actor_id=actor_id,
        prepare=answer,
        outbox=tell,
        by_department=True,
    )
    return await fresh(appeal_id)


# -- 并单


async def merge(
    resources: Resources, principal: Principal, target_id: UUID, appeal_ids: Sequence[UUID]
) -> Appeal:
    """并单: the appeals become MERGED into the target; the target's reply answers them all.
    The 12345 centre merges anything; a department merges appeals that are all its own."""
    if not appeal_ids:
        raise AppealError(Code.NOTHING_TO_MERGE, "appealIds")
    if len(appeal_ids) > MAX_MERGE:
        raise AppealError(Code.TOO_MANY_APPEALS, "appealIds")
    if len(set(appeal_ids)) != len(appeal_ids):
        raise AppealError(Code.INVALID_INPUT, "appealIds")
    if target_id in appeal_ids:
        raise AppealError(Code.CANNOT_MERGE_INTO_ITSELF, "appealIds")
    now = resources.clock()
    async with changing(resources):
        rows = {a.id: a for a in await repo.lock_many([target_id, *appeal_ids])}
        target = rows.get(target_id)
        await authorize(resources, principal, policy.Action.APPEAL_MERGE, target, "targetId")
        assert target is not None
        actor_id = acting(principal)
        if target.status not in (
            AppealStatus.SUBMITTED,
            AppealStatus.DISPATCHED,
            AppealStatus.SIGNED,
            AppealStatus.RETURNED,
        ):
            raise AppealError(Code.INVALID_STATE, "targetId")
        children = []
        for index, child_id in enumerate(appeal_ids):
            field = f"appealIds[{index}]"
            child = rows.get(child_id)
            # The centre merges anything; a department, only appeals that are all its own.
            await authorize(resources, principal, policy.Action.APPEAL_MERGE, child, field)
            assert child is not None
            APPEAL_WORKFLOW.rule(child.status, Action.MERGE, field=field)
            if child.category_id != target.category_id:
                raise AppealError(Code.CATEGORY_MISMATCH, field)
            children.append(child)
        for child in children:
            await APPEALS.apply(
                child,
                Action.MERGE,
                by=policy.Action.APPEAL_MERGE,
                at=now,
                actor_id=actor_id,
                note=f"并入 {target.number}",
                changes={
                    "merged_into_id": target.id,
                    "department_id": target.department_id,
                    "extension_status": None,
                },
            )
            # Appeals merged into this child earlier now follow the target too.
            for grandchild in await repo.merged_into([child.id]):
                await repo.update(
                    grandchild.id, merged_into_id=target.id, department_id=target.department_id
                )
            await repo.resolve_all_supervisions(child.id, now)
            await write_event(
                target,
                AppealEventType.ABSORBED,
                target.status,
                at=now,
                actor_id=actor_id,
                note=f"并入 {child.number}",
            )
            await notify_owner(
                child,
                AppealStatus.MERGED,
                at=now,
                extra="与反映同一事项的诉求合并办理，答复将一并送达。",
            )
    return await fresh(target_id)
