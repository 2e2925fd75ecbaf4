"""一次(集中)踏勘: when several departments must see an application's site, they go once.

The lead department (the application's single window) proposes one slot; every department
with a task on the application confirms or declines it with a reason. A decline sends the
slot back to the lead, who proposes again (every department answers the new slot). When all
have confirmed, the resident gets one appointment (inbox and a WeChat subscribe message), and
each department records its finding from that visit. Every step is on the inspection's
timeline, with who took it and for which department; each step locks the inspection row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

from resolvers import inputs, policy
from resolvers.applications.errors import ApplicationError
from resolvers.applications.errors import ApplicationErrorCode as Code
from resolvers.applications.transitions import authorize as authorize_on
from resolvers.applications.transitions import clean_note, record
from resolvers.ids import global_id
from resolvers.notifications.service import enqueue_inbox, enqueue_wechat, wechat_time
from resolvers.principal import Principal
from resolvers.resources import Resources
from storage.models.applications import Application, ApplicationStatus, EventType
from storage.models.inspections import (
    FindingOutcome,
    Inspection,
    InspectionEventType,
    InspectionParticipant,
    InspectionResponse,
    InspectionStatus,
)
from storage.repositories import applications as application_repo
from storage.repositories import inspections as repo
from storage.transactions import atomic

MAX_ADDRESS = 200
MAX_SLOT_HOURS = 8  # one visit: at most a working day long
MAX_DAYS_AHEAD = 60
# An inspection happens while the departments handle the application.
OPEN_FOR_INSPECTION = (ApplicationStatus.ACCEPTED,)


_OUTCOME_LABELS = {FindingOutcome.PASSED: "符合", FindingOutcome.FAILED: "不符合"}


class Decision(StrEnum):
    CONFIRM = "CONFIRM"
    DECLINE = "DECLINE"


@dataclass(frozen=True, slots=True)
class Found:
    inspection: Inspection
    application: Application


def _department(principal: Principal) -> UUID:
    assert principal.department_id is not None
    return principal.department_id


def _account(principal: Principal) -> UUID:
    assert principal.account_id is not None
    return principal.account_id


def clean_slot(starts_at: datetime, ends_at: datetime, now: datetime) -> None:
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise ApplicationError(Code.INVALID_INPUT, "startsAt")
    if starts_at <= now or starts_at > now + timedelta(days=MAX_DAYS_AHEAD):
        raise ApplicationError(Code.INVALID_INPUT, "startsAt")
    if not starts_at < ends_at <= starts_at + timedelta(hours=MAX_SLOT_HOURS):
        raise ApplicationError(Code.INVALID_INPUT, "endsAt")


def clean_address(address: str) -> str:
    return inputs.clean_text(
        address,
        "address",
        error=ApplicationError,
        invalid=Code.INVALID_INPUT,
        longest=MAX_ADDRESS,
        required=Code.INVALID_INPUT,
    )


# The inspection's steps the resident sees on the application's timeline (its completion
# needs no event of its own there: the last finding says it).
_ON_TIMELINE = {
    InspectionEventType.PROPOSED: EventType.INSPECTION_PROPOSED,
    InspectionEventType.CONFIRMED: EventType.INSPECTION_CONFIRMED,
    InspectionEventType.DECLINED: EventType.INSPECTION_DECLINED,
    InspectionEventType.SCHEDULED: EventType.INSPECTION_SCHEDULED,
    InspectionEventType.FINDING_RECORDED: EventType.INSPECTION_FINDING,
}


async def _event(
    inspection: Inspection,
    type: InspectionEventType,
    *,
    at: datetime,
    actor_id: UUID | None,
    department_id: UUID | None,
    note: str = "",
    application: Application | None = None,
    timeline_note: str = "",
) -> None:
    """Inside the transaction: the step on the inspection's own trail and, for the steps the
    resident follows, on the application's timeline (`timeline_note` is what they read)."""
    await repo.add_event(
        inspection_id=inspection.id,
        type=type,
        at=at,
        actor_id=actor_id,
        department_id=department_id,
        round=inspection.round,
        note=note,
    )
    timeline = _ON_TIMELINE.get(type)
    if application is not None and timeline is not None:
        await record(
            application,
            timeline,
            application.status,
            at=at,
            actor_id=actor_id,
            note=timeline_note[:500],
            department_id=department_id,
        )


async def propose(
    resources: Resources,
    principal: Principal,
    application_id: UUID,
    *,
    starts_at: datetime,
    ends_at: datetime,
    address: str,
) -> Inspection:
    """The lead department proposes a slot (again, after a decline, or to move a slot not yet
    confirmed by all). Needs an accepted application with tasks of two departments or more."""
    application = await application_repo.by_id(application_id)
    await authorize_on(resources, principal, policy.Action.INSPECTION_PROPOSE, application)
    assert application is not None
    now = resources.clock()
    clean_slot(starts_at, ends_at, now)
    place = clean_address(address)
    if application.status not in OPEN_FOR_INSPECTION:
        raise ApplicationError(Code.INVALID_STATE, "applicationId")
    departments = [t.department_id for t in await application_repo.tasks_of([application.id])]
    if len(set(departments)) < 2:
        # One department inspects on its own schedule: nothing to coordinate.
        raise ApplicationError(Code.INVALID_STATE, "applicationId")
    lead = _department(principal)
    actor = _account(principal)
    async with atomic():
        await application_repo.lock(application.id)
        inspection = await repo.lock_of_application(application.id)
        if inspection is None:
            inspection = await repo.create(
                application_id=application.id,
                lead_department_id=lead,
                status=InspectionStatus.PROPOSED,
                starts_at=starts_at,
                ends_at=ends_at,
                address=place,
                proposed_by_id=actor,
                created_at=now,
            )
            for department_id in dict.fromkeys(departments):
                await repo.add_participant(
                    inspection_id=inspection.id,
                    department_id=department_id,
                    response=InspectionResponse.PENDING,
                )
        else:
            if inspection.status in (InspectionStatus.SCHEDULED, InspectionStatus.COMPLETED):
                raise ApplicationError(Code.INVALID_STATE, "applicationId")
            inspection.round += 1
            inspection.status = InspectionStatus.PROPOSED
            inspection.starts_at, inspection.ends_at, inspection.address = (
                starts_at,
                ends_at,
                place,
            )
            await repo.update(
                inspection.id,
                round=inspection.round,
                status=inspection.status,
                starts_at=starts_at,
                ends_at=ends_at,
                address=place,
                proposed_by_id=actor,
            )
            await repo.reset_responses(inspection.id)
        await _event(
            inspection,
            InspectionEventType.PROPOSED,
            at=now,
            actor_id=actor,
            department_id=lead,
            application=application,
            timeline_note=f"拟定联合踏勘：{wechat_time(starts_at)}，{place}",
        )
        # The lead proposed the slot: it has confirmed it.
        await _answer(inspection, lead, actor, Decision.CONFIRM, "", now, application)
        for department_id in dict.fromkeys(departments):
            if department_id != lead:
                await enqueue_inbox(
                    key=f"inspection:{inspection.id}",
                    now=now,
                    topic="INSPECTION_PROPOSED",
                    title="联合踏勘时间待确认",
                    body=(
                        f"办件 {application.number} 的联合踏勘拟定于 {wechat_time(starts_at)}，"
                        "请确认或说明原因后拒绝。"
                    ),
                    subject_id=application.id,
                    department_id=department_id,
                )
    found = await repo.by_id(inspection.id)
    assert found is not None
    return found


async def _answer(
    inspection: Inspection,
    department_id: UUID,
    actor: UUID,
    decision: Decision,
    reason: str,
    now: datetime,
    application: Application,
) -> list[InspectionParticipant]:
    """Inside the transaction: one department's answer; schedules the visit when it was the
    last confirmation. Returns every participant as it now stands."""
    parts = await repo.participants(inspection.id)
    mine = next((p for p in parts if p.department_id == department_id), None)
    if mine is None:
        raise ApplicationError(Code.NOT_FOUND, "inspectionId")
    if mine.response is not InspectionResponse.PENDING:
        raise ApplicationError(Code.INVALID_STATE, "inspectionId")
    response = (
        InspectionResponse.CONFIRMED
        if decision is Decision.CONFIRM
        else InspectionResponse.DECLINED
    )
    await repo.update_participant(
        mine.id, response=response, reason=reason, responded_by_id=actor, responded_at=now
    )
    mine.response, mine.reason = response, reason
    await _event(
        inspection,
        InspectionEventType.CONFIRMED
        if decision is Decision.CONFIRM
        else (InspectionEventType.DECLINED),
        at=now,
        actor_id=actor,
        department_id=department_id,
        note=reason,
        application=application,
        timeline_note=(
            "确认参加联合踏勘"
            if decision is Decision.CONFIRM
            else f"无法按拟定时间参加联合踏勘，将重新拟定时间：{reason}"
        ),
    )
    return parts


async def respond(
    resources: Resources,
    principal: Principal,
    inspection_id: UUID,
    decision: Decision,
    reason: str | None,
) -> Inspection:
    """A department confirms the proposed slot, or declines it with a reason (the lead then
    proposes again). The last confirmation schedules the visit and tells the resident."""
    found = await _readable(principal, inspection_id)
    await authorize_on(resources, principal, policy.Action.INSPECTION_RESPOND, found.application)
    text = clean_note(reason, "reason", required=decision is Decision.DECLINE)
    now = resources.clock()
    department = _department(principal)
    async with atomic():
        inspection = await repo.lock(inspection_id)
        assert inspection is not None
        if inspection.status is not InspectionStatus.PROPOSED:
            raise ApplicationError(Code.INVALID_STATE, "inspectionId")
        parts = await _answer(
            inspection, department, _account(principal), decision, text, now, found.application
        )
        if decision is Decision.DECLINE:
            await repo.update(inspection.id, status=InspectionStatus.DECLINED)
            await enqueue_inbox(
                key=f"inspection:{inspection.id}",
                now=now,
                topic="INSPECTION_DECLINED",
                title="联合踏勘时间需重新拟定",
                body=f"有部门无法按拟定时间参加踏勘：{text}"[:200],
                subject_id=inspection.application_id,
                department_id=inspection.lead_department_id,
            )
        elif all(p.response is InspectionResponse.CONFIRMED for p in parts):
            await repo.update(inspection.id, status=InspectionStatus.SCHEDULED, scheduled_at=now)
            await _event(
                inspection,
                InspectionEventType.SCHEDULED,
                at=now,
                actor_id=None,
                department_id=None,
                application=found.application,
                timeline_note=(
                    f"联合踏勘已预约：{wechat_time(inspection.starts_at)}，{inspection.address}"
                ),
            )
            await _tell_resident(found.application, inspection, now)
    updated = await repo.by_id(inspection_id)
    assert updated is not None
    return updated


async def _tell_resident(application: Application, inspection: Inspection, now: datetime) -> None:
    """One appointment for the resident, whatever the number of departments."""
    when = wechat_time(inspection.starts_at)
    await enqueue_inbox(
        key=f"inspection:{inspection.id}",
        now=now,
        topic="INSPECTION_SCHEDULED",
        title="联合踏勘已预约",
        body=(
            f"您的办件 {application.number} 将于 {when} 在 {inspection.address} 进行一次联合踏勘，"
            "各部门同时到场，请届时在场。"
        )[:200],
        subject_id=application.id,
        account_ids=[application.owner_id],
    )
    await enqueue_wechat(
        key=str(application.id),
        now=now,
        account_id=application.owner_id,
        event="APPLICATION_STATUS",
        values={
            "number": application.number,
            "service": "联合踏勘",
            "status": f"踏勘已预约 {when}",
            "time": wechat_time(now),
        },
        page=f"pages/applications/detail?id={global_id('Application', application.id)}",
    )


async def record_finding(
    resources: Resources,
    principal: Principal,
    inspection_id: UUID,
    outcome: FindingOutcome,
    finding: str | None,
) -> Inspection:
    """A department's finding from the scheduled visit, once; the last one completes it."""
    found = await _readable(principal, inspection_id)
    await authorize_on(
        resources, principal, policy.Action.INSPECTION_RECORD_FINDING, found.application
    )
    text = clean_note(finding, "finding", required=True)
    now = resources.clock()
    department = _department(principal)
    async with atomic():
        inspection = await repo.lock(inspection_id)
        assert inspection is not None
        if inspection.status is not InspectionStatus.SCHEDULED or now < inspection.starts_at:
            raise ApplicationError(Code.INVALID_STATE, "inspectionId")
        parts = await repo.participants(inspection.id)
        mine = next((p for p in parts if p.department_id == department), None)
        if mine is None:
            raise ApplicationError(Code.NOT_FOUND, "inspectionId")
        recorded: FindingOutcome | None = mine.outcome
        if recorded is not None:
            raise ApplicationError(Code.TASK_ALREADY_DONE, "inspectionId")
        await repo.update_participant(
            mine.id,
            outcome=outcome,
            finding=text,
            recorded_by_id=_account(principal),
            recorded_at=now,
        )
        mine.outcome = outcome
        await _event(
            inspection,
            InspectionEventType.FINDING_RECORDED,
            at=now,
            actor_id=_account(principal),
            department_id=department,
            note=f"{outcome.value}: {text}"[:500],
            application=found.application,
            timeline_note=f"踏勘意见（{_OUTCOME_LABELS[outcome]}）：{text}",
        )
        if all(_recorded(p) for p in parts):
            await repo.update(inspection.id, status=InspectionStatus.COMPLETED, completed_at=now)
            await _event(
                inspection, InspectionEventType.COMPLETED, at=now, actor_id=None, department_id=None
            )
    updated = await repo.by_id(inspection_id)
    assert updated is not None
    return updated


def _recorded(part: InspectionParticipant) -> bool:
    outcome: FindingOutcome | None = part.outcome
    return outcome is not None


async def _readable(principal: Principal, inspection_id: UUID) -> Found:
    """The inspection and its application, if the caller may read the application."""
    inspection = await repo.by_id(inspection_id)
    rows = (
        await application_repo.readable(principal, [inspection.application_id])
        if inspection is not None
        else []
    )
    if inspection is None or not rows:
        raise ApplicationError(Code.NOT_FOUND, "inspectionId")
    return Found(inspection=inspection, application=rows[0])


async def of_application(principal: Principal, application_id: UUID) -> Inspection | None:
    """The application's joint inspection, for whoever may read the application."""
    rows = await application_repo.readable(principal, [application_id])
    if not rows:
        return None
    return await repo.of_application(application_id)
