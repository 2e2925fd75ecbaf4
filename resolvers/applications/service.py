"""Online applications: submission (form, materials, idempotency), the single window's
acceptance, parallel department tasks, results, 补正, withdrawal and 好差评.

Every transition runs in one transaction that locks the application row, checks the caller's
role and department against the workflow table, writes the timeline event and the outbox rows
of its notifications; pushes to the app happen after commit.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

import orjson
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from resolvers import policy
from resolvers.applications import deadlines, forms
from resolvers.applications.errors import ApplicationError
from resolvers.applications.errors import ApplicationErrorCode as Code
from resolvers.applications.events import StatusChange, publish
from resolvers.applications.workflow import STATUS_LABELS, Action, event_of, step
from resolvers.calendar.workdays import Deadline, china_date, deadline, working_days_between
from resolvers.catalogue.drafts import MAX_COOPERATING_DEPARTMENTS
from resolvers.catalogue.service import get_service
from resolvers.documents.errors import DocumentError
from resolvers.documents.service import issue_document
from resolvers.exchange import outbound as exchange_outbound
from resolvers.ids import global_id, node_uuid
from resolvers.notifications.handlers import enqueue_inbox, enqueue_wechat
from resolvers.notifications.wechat_values import wechat_time
from resolvers.principal import Principal
from resolvers.resources import Resources
from resolvers.scenarios import bundles
from storage.models.accounts import Account
from storage.models.applications import (
    FINISHED_STATUSES,
    RATING_SCORES,
    Application,
    ApplicationEvent,
    ApplicationMaterial,
    ApplicationStatus,
    ApplicationTask,
    EventType,
    IdempotencyRecord,
    MaterialState,
    Rating,
    RatingLevel,
    Rectification,
    RectificationStatus,
    TaskStatus,
)
from storage.models.catalogue import (
    BaseItem,
    Channel,
    Department,
    Implementation,
    Material,
    MaterialSource,
    Necessity,
)
from storage.models.documents import Document, DocumentKind, DocumentStatus
from storage.repositories import applications as repo

log = logging.getLogger(__name__)

SUBMIT_SCOPE = "submitApplication"
MAX_NOTE = 500
MAX_KEY = 128
MAX_COMMENT = 200
# Acceptance makes one task for the lead department and one per cooperating department.
MAX_TASKS = 1 + MAX_COOPERATING_DEPARTMENTS
# Channels a resident uses by themself; TERMINAL and SERVICE_HALL are recorded from the
# device or clerk that submits, never claimed.
SELF_SERVICE_CHANNELS = frozenset(
    {Channel.WEB_HALL, Channel.MOBILE_APP, Channel.MINI_PROGRAM, Channel.TV_HALL}
)


# -- helpers


def _acting(principal: Principal) -> UUID:
    """The account taking an action the policy allowed (never anonymous)."""
    assert principal.account_id is not None
    return principal.account_id


def clean_note(note: str | None, field: str = "note", *, required: bool = False) -> str:
    text = " ".join((note or "").split())
    if required and not text:
        raise ApplicationError(Code.REASON_REQUIRED, field)
    if len(text) > MAX_NOTE:
        raise ApplicationError(Code.INVALID_INPUT, field)
    return text


async def subject_of(principal: Principal, application: Application) -> policy.Subject:
    """The application as the policy sees it. The departments with a task on it are read
    only when they can matter: for an officer of another department than the single window."""
    departments: set[UUID] = set()
    if principal.is_staff and principal.department_id not in (None, application.department_id):
        departments = {t.department_id for t in await repo.tasks_of([application.id])}
    return subject(application, departments)


async def _authorize(
    resources: Resources,
    principal: Principal,
    action: policy.Action,
    application: Application | None,
) -> None:
    """The policy's answer for `action` on the application; NOT_FOUND for a caller who may
    not even read it (another department never learns that it exists)."""
    subject = await subject_of(principal, application) if application is not None else None
    await policy.authorize_seen(
        resources,
        principal,
        action,
        subject,
        seen_by=policy.Action.APPLICATION_READ,
        hidden=ApplicationError(Code.NOT_FOUND, "applicationId"),
        field="applicationId",
    )


async def _locked(
    resources: Resources, principal: Principal, application_id: UUID, action: policy.Action
) -> Application:
    """The application, locked until commit, once the policy allows `action` on it."""
    application = await repo.lock(application_id)
    await _authorize(resources, principal, action, application)
    assert application is not None
    if application.implementation_id is None:
        # A scenario bundle's parent follows its children; one acts on those.
        raise ApplicationError(Code.BUNDLE_PARENT, "applicationId")
    return application


async def _event(
    application: Application,
    type: EventType,
    status: ApplicationStatus,
    *,
    at: datetime,
    actor_id: UUID | None,
    note: str = "",
    task_id: UUID | None = None,
) -> None:
    event = await ApplicationEvent.create(
        application_id=application.id,
        type=type,
        status=status,
        at=at,
        actor_id=actor_id,
        note=note,
        task_id=task_id,
    )
    # The province gets every step, written with it (a no-op for events it does not get).
    await exchange_outbound.enqueue_for(event)


async def _notify_owner(
    application: Application, status: ApplicationStatus, *, at: datetime, extra: str = ""
) -> str:
    """Inside the transaction: the owner's inbox always, WeChat when they granted it. An item
    of a scenario bundle messages WeChat only when the resident must act (补正): the bundle
    sends one message for all of its items when they are finished. Returns the item's name."""
    implementation = (
        await repo.implementation(application.implementation_id)
        if application.implementation_id
        else None
    )
    name = implementation.name if implementation else "政务服务事项"
    label = STATUS_LABELS[status]
    body = f"您申请的“{name}”（{application.number}）{label}。{extra}".strip()
    await enqueue_inbox(
        key=str(application.id),
        now=at,
        topic="APPLICATION_STATUS",
        title=f"办件{label}",
        body=body[:200],
        subject_id=application.id,
        account_ids=[application.owner_id],
    )
    if application.parent_id is not None and status is not ApplicationStatus.SUPPLEMENT_REQUESTED:
        return name
    final = status in FINISHED_STATUSES
    await enqueue_wechat(
        key=str(application.id),
        now=at,
        account_id=application.owner_id,
        event="APPLICATION_RESULT" if final else "APPLICATION_STATUS",
        values={
            "number": application.number,
            "service": name,
            "status": label,
            "time": wechat_time(at),
        },
        page=f"pages/applications/detail?id={global_id('Application', application.id)}",
    )
    return name


async def _announce(
    application: Application, status: ApplicationStatus, *, at: datetime, extra: str = ""
) -> StatusChange | None:
    """Inside a transition's transaction, once the application moved to `status`: tells the
    owner, and moves the bundle's parent when it is an item of a scenario bundle."""
    name = await _notify_owner(application, status, at=at, extra=extra)
    if application.parent_id is None:
        return None
    return await bundles.follow(
        application.parent_id,
        application.id,
        status,
        f"“{name}”{STATUS_LABELS[status]}",
        at=at,
    )


# -- submitting

# The building blocks below are shared with scenario bundles, which submit one
# application per item inside their own transaction: checks first (they store nothing),
# then `create_submitted` inside the caller's transaction.


@dataclass(frozen=True, slots=True)
class Plan:
    """How each material of the guide is satisfied."""

    rows: list[tuple[Material, Document | None, MaterialState]]

    @property
    def document_ids(self) -> set[UUID]:
        return {document.id for _, document, _ in self.rows if document is not None}


def request_hash(
    service_code: str,
    region_code: str | None,
    form: Any,
    document_ids: Sequence[str],
    channel: Channel,
) -> str:
    canonical = orjson.dumps(
        {
            "service": service_code,
            "region": region_code,
            "form": form,
            "documents": sorted(document_ids),
            "channel": channel.value,
        },
        option=orjson.OPT_SORT_KEYS,
    )
    return hashlib.sha256(canonical).hexdigest()


def clean_key(idempotency_key: str | None) -> str | None:
    if idempotency_key is None:
        return None
    key = idempotency_key.strip()
    if not 0 < len(key) <= MAX_KEY or not key.isprintable():
        raise ApplicationError(Code.INVALID_INPUT, "idempotencyKey")
    return key


async def require_real_name(owner_id: UUID) -> None:
    account = await Account.get_or_none(id=owner_id)
    if account is None or account.identity_verified_at is None:
        raise ApplicationError(Code.IDENTITY_NOT_VERIFIED)


def require_self_service(channel: Channel) -> None:
    if channel not in SELF_SERVICE_CHANNELS:
        raise ApplicationError(Code.CHANNEL_NOT_ALLOWED, "channel")


async def chosen_documents(
    owner_id: UUID, document_ids: Sequence[str], max_documents: int
) -> list[Document]:
    """The wallet documents the resident named, in order: each theirs, AVAILABLE and named
    once; errors name the offending `documentIds[i]`."""
    if len(document_ids) > max_documents:
        raise ApplicationError(Code.TOO_MANY_DOCUMENTS, "documentIds")
    ids: list[UUID] = []
    for index, named in enumerate(document_ids):
        field = f"documentIds[{index}]"
        document_id = node_uuid(named, "Document")
        if document_id is None:
            raise ApplicationError(Code.DOCUMENT_NOT_FOUND, field)
        if document_id in ids:
            raise ApplicationError(Code.DUPLICATE_DOCUMENT, field)
        ids.append(document_id)
    found = {d.id: d for d in await repo.documents_by_ids(ids)}
    documents: list[Document] = []
    for index, document_id in enumerate(ids):
        field = f"documentIds[{index}]"
        document = found.get(document_id)
        if document is None or document.owner_id != owner_id:
            raise ApplicationError(Code.DOCUMENT_NOT_FOUND, field)
        if document.status is not DocumentStatus.AVAILABLE:
            raise ApplicationError(Code.DOCUMENT_NOT_AVAILABLE, field)
        documents.append(document)
    return documents


async def plan_materials(
    owner_id: UUID,
    materials: list[Material],
    documents: Sequence[Document],
    *,
    assigned: Mapping[int, Document] | None = None,
) -> Plan:
    """Matches the guide's materials to the resident's documents by kind (required ones
    first, then 容缺, then optional), attaches government-issued ones from the wallet (or
    leaves them to the issuing department) and owes 容缺 ones; every document must be used.
    A scenario bundle instead says which document goes to which material (`assigned`, by
    index in `materials`): it matched them against its merged material list."""
    asked = {m.document_kind for m in materials if m.document_kind}
    pools: dict[str, list[Document]] = {}
    for index, document in enumerate(documents if assigned is None else []):
        if document.kind.value not in asked:
            raise ApplicationError(Code.DOCUMENT_NOT_REQUESTED, f"documentIds[{index}]")
        pools.setdefault(document.kind.value, []).append(document)

    named = {d.id for d in documents} | {d.id for d in (assigned or {}).values()}
    government_kinds = sorted(
        {
            m.document_kind
            for m in materials
            if m.source is MaterialSource.GOVERNMENT and m.document_kind
        }
    )
    wallet: dict[str, list[Document]] = {}
    for document in await repo.wallet_documents(owner_id, government_kinds):
        if document.id not in named:
            wallet.setdefault(document.kind.value, []).append(document)

    rows: list[tuple[Material, Document | None, MaterialState]] = []
    # Required materials take documents first, then 容缺 ones, then optional ones.
    rank = {Necessity.REQUIRED: 0, Necessity.DEFERRABLE: 1, Necessity.OPTIONAL: 2}
    chosen: dict[int, tuple[Document | None, MaterialState]] = {}
    for index, material in sorted(enumerate(materials), key=lambda p: rank[p[1].necessity]):
        kind = material.document_kind or ""
        if assigned is not None and index in assigned:
            chosen[index] = (assigned[index], MaterialState.PROVIDED)
        elif pools.get(kind):
            chosen[index] = (pools[kind].pop(0), MaterialState.PROVIDED)
        elif material.source is MaterialSource.GOVERNMENT:
            if wallet.get(kind):
                chosen[index] = (wallet[kind].pop(0), MaterialState.FROM_WALLET)
            else:
                # Never asked again: the department obtains it from the issuing system.
                chosen[index] = (None, MaterialState.FROM_ISSUER)
        elif material.necessity is Necessity.REQUIRED:
            raise ApplicationError(Code.MATERIAL_MISSING, f"materials[{index}]")
        elif material.necessity is Necessity.DEFERRABLE:
            chosen[index] = (None, MaterialState.OWED)
        else:
            chosen[index] = (None, MaterialState.MISSING)
    leftover = [d for pool in pools.values() for d in pool]
    if leftover:
        position = [d.id for d in documents].index(leftover[0].id)
        raise ApplicationError(Code.DOCUMENT_NOT_REQUESTED, f"documentIds[{position}]")
    for index, material in enumerate(materials):
        used, state = chosen[index]
        rows.append((material, used, state))
    return Plan(rows=rows)


async def _plan_materials(
    owner_id: UUID, materials: list[Material], document_ids: Sequence[str], max_documents: int
) -> Plan:
    documents = await chosen_documents(owner_id, document_ids, max_documents)
    return await plan_materials(owner_id, materials, documents)


def check_form(resources: Resources, form: Any, schema: Any, *, prefix: str = "form") -> str:
    settings = resources.settings
    return forms.check(
        form,
        schema,
        max_bytes=settings.application_form_max_bytes,
        max_depth=settings.application_form_max_depth,
        prefix=prefix,
    )


async def create_submitted(
    resources: Resources,
    *,
    owner_id: UUID,
    implementation: Implementation,
    channel: Channel,
    form_text: str,
    plan: Plan,
    now: datetime,
    acceptance_due: Deadline,
    parent_id: UUID | None = None,
) -> Application:
    """Inside the caller's transaction: a SUBMITTED application with its materials and its
    timeline's first event. A single application also tells its owner; a bundle's items are
    announced once, by the bundle."""
    today = china_date(now)
    number = await repo.next_number(today)
    application = await Application.create(
        number=f"CD{today:%Y%m%d}{number:06d}",
        owner_id=owner_id,
        implementation_id=implementation.id,
        department_id=implementation.department_id,
        region_id=implementation.region_id,
        parent_id=parent_id,
        status=ApplicationStatus.SUBMITTED,
        channel=channel,
        form_sealed=resources.keyring.seal(form_text, context="application.form"),
        submitted_at=now,
        acceptance_due_date=acceptance_due.due,
        due_beyond_calendar=acceptance_due.beyond_calendar,
    )
    for material, document, state in plan.rows:
        await ApplicationMaterial.create(
            application_id=application.id,
            position=material.position,
            name=material.name,
            necessity=material.necessity,
            source=material.source,
            document_kind=material.document_kind,
            document_id=document.id if document else None,
            state=state,
        )
    await _event(application, EventType.SUBMITTED, application.status, at=now, actor_id=owner_id)
    if parent_id is None:
        await _notify_owner(application, application.status, at=now)
    return application


async def submit(
    resources: Resources,
    principal: Principal,
    *,
    service_code: str,
    region_code: str | None,
    form: Any,
    document_ids: Sequence[str],
    channel: Channel,
    idempotency_key: str | None,
) -> Application:
    """A new application under the service's published version. With an idempotency key, the
    same key and input return the first application; the same key with other input is
    IDEMPOTENCY_CONFLICT. Rejections store nothing."""
    await policy.authorize(resources, principal, policy.Action.APPLICATION_SUBMIT)
    owner_id = _acting(principal)
    settings = resources.settings
    key = clean_key(idempotency_key)
    digest = request_hash(service_code, region_code, form, document_ids, channel)
    if key is not None:
        replay = await replayed(owner_id, SUBMIT_SCOPE, key, digest)
        if replay is not None:
            return replay

    await require_real_name(owner_id)
    require_self_service(channel)
    implementation = await get_service(service_code, region_code)
    if implementation is None:
        raise ApplicationError(Code.SERVICE_NOT_FOUND, "serviceCode")
    if channel.value not in implementation.channels:
        raise ApplicationError(Code.CHANNEL_NOT_ALLOWED, "channel")
    form_text = check_form(resources, form, implementation.form_schema)
    materials = await repo.implementation_materials(implementation.id)
    plan = await _plan_materials(
        owner_id, materials, document_ids, settings.application_max_documents
    )
    now = resources.clock()
    due = await deadlines.acceptance_due(china_date(now), settings.application_acceptance_days, 0)
    try:
        async with in_transaction():
            if key is not None and await repo.idempotency(owner_id, SUBMIT_SCOPE, key):
                raise Replayed()
            application = await create_submitted(
                resources,
                owner_id=owner_id,
                implementation=implementation,
                channel=channel,
                form_text=form_text,
                plan=plan,
                now=now,
                acceptance_due=due,
            )
            if key is not None:
                await remember_key(owner_id, SUBMIT_SCOPE, key, digest, application.id)
    except (IntegrityError, Replayed):
        # Another request with the same key committed first: answer as it did.
        if key is None:
            raise
        replay = await replayed(owner_id, SUBMIT_SCOPE, key, digest)
        if replay is None:
            raise
        return replay
    await publish(
        resources, StatusChange(application.id, EventType.SUBMITTED, application.status, now)
    )
    return application


class Replayed(Exception):
    """Inside a submission's transaction: the key was used meanwhile; answer as it did."""


async def remember_key(
    owner_id: UUID, scope: str, key: str, digest: str, application_id: UUID
) -> None:
    await IdempotencyRecord.create(
        principal_id=owner_id,
        scope=scope,
        key=key,
        request_hash=digest,
        application_id=application_id,
    )


async def replayed(owner_id: UUID, scope: str, key: str, digest: str) -> Application | None:
    """The application a key already made, or None; IDEMPOTENCY_CONFLICT for other input."""
    record = await repo.idempotency(owner_id, scope, key)
    if record is None:
        return None
    if record.request_hash != digest:
        raise ApplicationError(Code.IDEMPOTENCY_CONFLICT, "idempotencyKey")
    return await repo.by_id(record.application_id)


# -- the resident's other actions


async def withdraw(
    resources: Resources, principal: Principal, application_id: UUID, note: str | None
) -> Application:
    text = clean_note(note)
    now = resources.clock()
    async with in_transaction():
        application = await _locked(
            resources, principal, application_id, policy.Action.APPLICATION_WITHDRAW
        )
        actor_id = _acting(principal)
        target = step(application.status, Action.WITHDRAW, application.resume_status)
        await _move(application, target, finished_at=now, resume_status=None, stopped_on=None)
        await _event(application, EventType.WITHDRAWN, target, at=now, actor_id=actor_id, note=text)
        parent = await _announce(application, target, at=now)
    return await _after(resources, application.id, EventType.WITHDRAWN, target, now, parent)


async def supplement(
    resources: Resources,
    principal: Principal,
    application_id: UUID,
    document_ids: Sequence[str],
    note: str | None,
) -> Application:
    """The resident supplies what 补正 asked for (and 容缺 materials owed): the clock restarts
    and every open due date moves by the working days it stood still."""
    text = clean_note(note)
    now = resources.clock()
    today = china_date(now)
    preview = await repo.readable_one(principal, application_id)
    await _authorize(resources, principal, policy.Action.APPLICATION_SUPPLEMENT, preview)
    assert preview is not None
    actor_id = _acting(principal)
    owed = await repo.owed_materials(application_id)
    materials = [
        Material(
            position=m.position,
            name=m.name,
            # 补正 asked again for a required material; 容缺 ones may stay owed.
            necessity=m.necessity,
            source=m.source,
            document_kind=m.document_kind,
        )
        for m in owed
    ]
    if document_ids and not owed:
        raise ApplicationError(Code.NOTHING_OWED, "documentIds")
    plan = (
        await _plan_materials(
            actor_id, materials, document_ids, resources.settings.application_max_documents
        )
        if document_ids or preview.status is ApplicationStatus.SUPPLEMENT_REQUESTED
        else Plan([])
    )
    parent: StatusChange | None = None
    async with in_transaction():
        application = await _locked(
            resources, principal, application_id, policy.Action.APPLICATION_SUPPLEMENT
        )
        supplied = 0
        # No documents sent (plan.rows empty): nothing to attach, whatever is owed.
        for (_, document, _state), row in zip(plan.rows, owed if plan.rows else [], strict=True):
            if document is not None:
                await repo.attach_document(row.id, document.id, MaterialState.PROVIDED)
                supplied += 1
        if application.status is not ApplicationStatus.SUPPLEMENT_REQUESTED:
            # 容缺后补 while being handled: no transition, only the record of it.
            if application.status not in (ApplicationStatus.SUBMITTED, ApplicationStatus.ACCEPTED):
                raise ApplicationError(Code.INVALID_STATE, "applicationId")
            if not supplied:
                raise ApplicationError(Code.NOTHING_OWED, "documentIds")
            await _event(
                application,
                EventType.SUPPLEMENTED,
                application.status,
                at=now,
                actor_id=actor_id,
                note=text,
            )
            target: ApplicationStatus = application.status
        else:
            target = step(application.status, Action.SUPPLEMENT, application.resume_status)
            assert application.stopped_on is not None
            stopped = application.stopped_working_days + await working_days_between(
                application.stopped_on, today
            )
            changes: dict[str, Any] = {
                "stopped_working_days": stopped,
                "stopped_on": None,
                "resume_status": None,
            }
            changes.update(await _due_dates(resources, application, target, stopped))
            await _move(application, target, **changes)
            await _event(
                application, EventType.SUPPLEMENTED, target, at=now, actor_id=actor_id, note=text
            )
            parent = await _announce(application, target, at=now)
    return await _after(resources, application.id, EventType.SUPPLEMENTED, target, now, parent)


async def _due_dates(
    resources: Resources, application: Application, status: ApplicationStatus, stopped: int
) -> dict[str, Any]:
    """Due dates after the clock stood still for `stopped` working days in all; open tasks
    move with the application."""
    if status is ApplicationStatus.SUBMITTED:
        found = await deadlines.acceptance_due(
            china_date(application.submitted_at),
            resources.settings.application_acceptance_days,
            stopped,
        )
        return {"acceptance_due_date": found.due, "due_beyond_calendar": found.beyond_calendar}
    implementation = await repo.implementation(application.implementation_id)
    assert implementation is not None
    assert application.accepted_on is not None
    found = await deadlines.completion_due(
        application.accepted_on, deadlines.promised_days(implementation), stopped
    )
    for task in await repo.pending_tasks(application.id):
        await repo.set_task_due(task.id, found.due)
    return {"due_date": found.due, "due_beyond_calendar": found.beyond_calendar}


async def _move(application: Application, target: ApplicationStatus, **changes: Any) -> None:
    if not await repo.move(application.id, expected=application.status, status=target, **changes):
        raise ApplicationError(Code.CONFLICT, "applicationId")


async def _after(
    resources: Resources,
    application_id: UUID,
    event: EventType,
    status: ApplicationStatus,
    at: datetime,
    parent: StatusChange | None = None,
) -> Application:
    """After commit: the pushes to the owner's app (the bundle's too), and the fresh row."""
    await publish(resources, StatusChange(application_id, event, status, at))
    if parent is not None:
        await publish(resources, parent)
    application = await repo.by_id(application_id)
    assert application is not None
    return application


# -- the single window


async def accept(
    resources: Resources, principal: Principal, application_id: UUID, note: str | None
) -> Application:
    """受理: one task for the implementation's department and one for each cooperating
    department, handled in parallel, each due `promisedDays` working days from today."""
    text = clean_note(note)
    now = resources.clock()
    today = china_date(now)
    async with in_transaction():
        application = await _locked(
            resources, principal, application_id, policy.Action.APPLICATION_ACCEPT
        )
        actor_id = _acting(principal)
        target = step(application.status, Action.ACCEPT)
        implementation = await repo.implementation(application.implementation_id)
        assert implementation is not None
        due = await deadlines.completion_due(today, deadlines.promised_days(implementation), 0)
        await _move(
            application,
            target,
            accepted_on=today,
            due_date=due.due,
            due_beyond_calendar=due.beyond_calendar,
            stopped_working_days=0,
        )
        cooperating = await Department.filter(
            code__in=list(implementation.cooperating_departments)
        ).exclude(id=application.department_id)
        for department_id, lead in [
            (application.department_id, True),
            *[(d.id, False) for d in sorted(cooperating, key=lambda d: d.code)],
        ]:
            await ApplicationTask.create(
                application_id=application.id,
                department_id=department_id,
                lead=lead,
                due_date=due.due,
            )
        await _event(application, EventType.ACCEPTED, target, at=now, actor_id=actor_id, note=text)
        parent = await _announce(application, target, at=now)
    return await _after(resources, application.id, EventType.ACCEPTED, target, now, parent)


async def reject(
    resources: Resources, principal: Principal, application_id: UUID, reason: str | None
) -> Application:
    text = clean_note(reason, "reason", required=True)
    now = resources.clock()
    async with in_transaction():
        application = await _locked(
            resources, principal, application_id, policy.Action.APPLICATION_REJECT
        )
        actor_id = _acting(principal)
        target = step(application.status, Action.REJECT)
        await _move(application, target, reason=text, finished_at=now)
        await _event(
            application, EventType.NOT_ACCEPTED, target, at=now, actor_id=actor_id, note=text
        )
        parent = await _announce(application, target, at=now, extra=f"原因：{text}")
    return await _after(resources, application.id, EventType.NOT_ACCEPTED, target, now, parent)


async def request_supplement(
    resources: Resources,
    principal: Principal,
    application_id: UUID,
    positions: Sequence[int],
    note: str | None,
) -> Application:
    """补正: the materials at `positions` (of the guide) are asked again, with a note saying
    what is wrong. The clock stops until the resident supplements."""
    text = clean_note(note, required=True)
    if len(positions) > 50 or len(set(positions)) != len(positions):
        raise ApplicationError(Code.INVALID_INPUT, "materials")
    now = resources.clock()
    async with in_transaction():
        application = await _locked(
            resources, principal, application_id, policy.Action.APPLICATION_REQUEST_SUPPLEMENT
        )
        actor_id = _acting(principal)
        target = step(application.status, Action.REQUEST_SUPPLEMENT)
        rows = {m.position: m for m in await repo.materials_of([application.id])}
        for index, position in enumerate(positions):
            material = rows.get(position)
            if material is None or material.source is MaterialSource.GOVERNMENT:
                raise ApplicationError(Code.INVALID_INPUT, f"materials[{index}]")
            await ApplicationMaterial.filter(id=material.id).update(
                state=MaterialState.OWED, document_id=None
            )
        await _move(
            application,
            target,
            resume_status=application.status,
            stopped_on=china_date(now),
        )
        await _event(
            application,
            EventType.SUPPLEMENT_REQUESTED,
            target,
            at=now,
            actor_id=actor_id,
            note=text,
        )
        parent = await _announce(application, target, at=now, extra=f"补正要求：{text}")
    return await _after(
        resources, application.id, EventType.SUPPLEMENT_REQUESTED, target, now, parent
    )


# -- department tasks


async def complete_task(
    resources: Resources,
    principal: Principal,
    task_id: UUID,
    outcome: TaskStatus,
    note: str | None,
) -> ApplicationTask:
    """A department decides its part. All approved: APPROVED; any denied: DENIED (the other
    tasks are cancelled). Two officers at once: one wins, the other gets TASK_ALREADY_DONE."""
    if outcome not in (TaskStatus.APPROVED, TaskStatus.DENIED):
        raise ApplicationError(Code.INVALID_INPUT, "outcome")
    text = clean_note(note, required=outcome is TaskStatus.DENIED)
    now = resources.clock()
    preview = await repo.task(task_id)
    # A task is seen only by its own department: anyone else is told it does not exist.
    await policy.authorize_seen(
        resources,
        principal,
        policy.Action.APPLICATION_COMPLETE_TASK,
        policy.Subject(department_id=preview.department_id) if preview else None,
        seen_by=policy.Action.APPLICATION_COMPLETE_TASK,
        hidden=ApplicationError(Code.NOT_FOUND, "taskId"),
        field="taskId",
    )
    assert preview is not None
    actor_id = _acting(principal)
    event: EventType | None = None
    target: ApplicationStatus | None = None
    parent: StatusChange | None = None
    async with in_transaction():
        # The application first: parallel tasks of one application finish one at a time,
        # so exactly one of them sees that it was the last.
        application = await repo.lock(preview.application_id)
        task = await repo.lock_task(task_id)
        assert application is not None
        assert task is not None
        if task.status is not TaskStatus.PENDING:
            raise ApplicationError(Code.TASK_ALREADY_DONE, "taskId")
        if application.status is not ApplicationStatus.ACCEPTED:
            raise ApplicationError(Code.INVALID_STATE, "taskId")
        if not await repo.finish_task(
            task.id, status=outcome, acted_by_id=actor_id, acted_at=now, note=text
        ):
            raise ApplicationError(Code.TASK_ALREADY_DONE, "taskId")
        await _event(
            application,
            EventType.TASK_APPROVED if outcome is TaskStatus.APPROVED else EventType.TASK_DENIED,
            application.status,
            at=now,
            actor_id=actor_id,
            note=text,
            task_id=task.id,
        )
        if outcome is TaskStatus.DENIED:
            target = step(application.status, Action.DENY)
            await repo.cancel_pending_tasks(application.id)
            await _move(application, target, reason=text, finished_at=now)
            event = event_of(ApplicationStatus.ACCEPTED, Action.DENY)
        elif not await repo.pending_tasks(application.id):
            target = step(application.status, Action.APPROVE)
            await _move(application, target)
            event = event_of(ApplicationStatus.ACCEPTED, Action.APPROVE)
        if event is not None and target is not None:
            await _event(application, event, target, at=now, actor_id=None)
            extra = f"原因：{text}" if target is ApplicationStatus.DENIED else ""
            parent = await _announce(application, target, at=now, extra=extra)
    if event is not None and target is not None:
        await publish(resources, StatusChange(application.id, event, target, now))
    if parent is not None:
        await publish(resources, parent)
    done = await repo.task(task_id)
    assert done is not None
    return done


def _result_pdf(number: str, name: str, issued: date) -> bytes:
    """A minimal PDF standing in for the department's signed result (证照/批文)."""
    text = f"Rongban result {number} {issued.isoformat()}".encode()
    body = (
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n% " + text + b"\ntrailer<</Root 1 0 R>>\n"
    )
    return body + b"%%EOF\n"


@dataclass(frozen=True, slots=True)
class ResultFile:
    """The result as the department's own system made it (a signed 证照/批文)."""

    file_name: str
    content_type: str
    data: bytes


async def issue_result(
    resources: Resources,
    principal: Principal,
    application_id: UUID,
    note: str | None,
    result_file: ResultFile | None = None,
) -> Application:
    """办结: the result goes into the resident's wallet at trust level A, then COMPLETED.
    Without `result_file` the platform issues a minimal PDF standing in for it."""
    text = clean_note(note)
    preview = await repo.readable_one(principal, application_id)
    await _authorize(resources, principal, policy.Action.APPLICATION_ISSUE_RESULT, preview)
    assert preview is not None
    actor_id = _acting(principal)
    step(preview.status, Action.ISSUE_RESULT)
    implementation = await repo.implementation(preview.implementation_id)
    assert implementation is not None
    assert preview.department_id is not None  # an item's application, not a bundle's parent
    now = resources.clock()
    # The file is stored before the transaction (no object-store I/O while rows are locked);
    # if the transition then fails, it is removed again.
    try:
        document = await issue_document(
            resources,
            owner_id=preview.owner_id,
            issuer_id=preview.department_id,
            file_name=(
                result_file.file_name
                if result_file
                else f"{implementation.result_name or implementation.name}-{preview.number}.pdf"
            ),
            content_type=result_file.content_type if result_file else "application/pdf",
            data=(
                result_file.data
                if result_file
                else _result_pdf(preview.number, implementation.name, china_date(now))
            ),
            kind=DocumentKind.CERTIFICATE,
        )
    except DocumentError as exc:  # the cause says why (a department system is told)
        raise ApplicationError(Code.RESULT_UNAVAILABLE) from exc
    try:
        async with in_transaction():
            application = await _locked(
                resources, principal, application_id, policy.Action.APPLICATION_ISSUE_RESULT
            )
            target = step(application.status, Action.ISSUE_RESULT)
            await _move(application, target, result_document_id=document.id, finished_at=now)
            await _event(
                application, EventType.COMPLETED, target, at=now, actor_id=actor_id, note=text
            )
            parent = await _announce(application, target, at=now, extra="结果已存入您的材料库。")
    except BaseException:
        await _discard(resources, document)
        raise
    return await _after(resources, application.id, EventType.COMPLETED, target, now, parent)


async def record_progress(
    resources: Resources, principal: Principal, application_id: UUID, note: str | None
) -> Application:
    """A handling department's progress note (sent by its own business system): an event on
    the timeline, pushed to the province like every step; the status does not change and
    the resident is not messaged."""
    text = clean_note(note, required=True)
    now = resources.clock()
    async with in_transaction():
        application = await _locked(
            resources, principal, application_id, policy.Action.APPLICATION_RECORD_PROGRESS
        )
        actor_id, department_id = _acting(principal), principal.department_id
        target = step(application.status, Action.PROGRESS)
        tasks = await repo.tasks_of([application.id])
        own = next((t for t in tasks if t.department_id == department_id), None)
        await _event(
            application,
            EventType.PROGRESS,
            target,
            at=now,
            actor_id=actor_id,
            note=text,
            task_id=own.id if own else None,
        )
    found = await repo.by_id(application.id)
    assert found is not None
    return found


async def _discard(resources: Resources, document: Document) -> None:
    try:
        await resources.objects.remove(document.object_key)
        await Document.filter(id=document.id).delete()
    except Exception:  # the sweep of orphans is a later concern; log and go on
        log.exception("could not discard an unused result document")


# -- 好差评


async def rate(
    resources: Resources,
    principal: Principal,
    application_id: UUID,
    level: RatingLevel,
    comment: str | None,
) -> Rating:
    """One rating per finished application; 不满意 or worse opens a rectification for the
    department, due in `rectification_days` working days, with a revisit to record."""
    text = clean_note(comment, "comment")
    if len(text) > MAX_COMMENT:
        raise ApplicationError(Code.INVALID_INPUT, "comment")
    now = resources.clock()
    due = await deadline(china_date(now), resources.settings.rectification_days)
    try:
        async with in_transaction():
            application = await repo.lock(application_id)
            await _authorize(resources, principal, policy.Action.APPLICATION_RATE, application)
            assert application is not None
            owner_id = _acting(principal)
            if application.implementation_id is None:
                raise ApplicationError(Code.BUNDLE_PARENT, "applicationId")
            if application.status not in FINISHED_STATUSES:
                raise ApplicationError(Code.NOT_FINISHED, "applicationId")
            if await Rating.exists(application_id=application.id):
                raise ApplicationError(Code.ALREADY_RATED, "applicationId")
            implementation = await repo.implementation(application.implementation_id)
            assert implementation is not None
            base = await BaseItem.get(id=implementation.base_id)
            rating = await Rating.create(
                application_id=application.id,
                level=level,
                score=RATING_SCORES[level],
                comment=text,
                base_code=base.basic_code,
                department_id=application.department_id,
            )
            if RATING_SCORES[level] <= RATING_SCORES[RatingLevel.DISSATISFIED]:
                await Rectification.create(
                    rating_id=rating.id,
                    application_id=application.id,
                    department_id=application.department_id,
                    status=RectificationStatus.OPEN,
                    due_date=due.due,
                    due_beyond_calendar=due.beyond_calendar,
                )
                await enqueue_inbox(
                    key=str(application.id),
                    now=now,
                    topic="RECTIFICATION",
                    title="差评整改",
                    body=f"办件 {application.number} 收到差评，请整改并回访。",
                    subject_id=application.id,
                    department_id=application.department_id,
                )
            await _event(
                application, EventType.RATED, application.status, at=now, actor_id=owner_id
            )
    except IntegrityError:  # a second rating raced the first
        raise ApplicationError(Code.ALREADY_RATED, "applicationId") from None
    return rating


async def record_revisit(
    resources: Resources, principal: Principal, rectification_id: UUID, note: str | None
) -> Rectification:
    text = clean_note(note, required=True)
    now = resources.clock()
    async with in_transaction():
        row = await repo.lock_rectification(rectification_id)
        # A rectification is seen only by its department: anyone else is told it does not exist.
        await policy.authorize_seen(
            resources,
            principal,
            policy.Action.RECTIFICATION_REVISIT,
            policy.Subject(department_id=row.department_id) if row else None,
            seen_by=policy.Action.RECTIFICATION_REVISIT,
            hidden=ApplicationError(Code.NOT_FOUND, "rectificationId"),
            field="rectificationId",
        )
        assert row is not None
        actor_id = _acting(principal)
        if row.status is not RectificationStatus.OPEN or not await repo.revisit(
            row.id, revisit_note=text, revisited_by_id=actor_id, revisited_at=now
        ):
            raise ApplicationError(Code.ALREADY_REVISITED, "rectificationId")
    found = await Rectification.get(id=rectification_id)
    return found


# -- reading


def read_form(resources: Resources, application: Application) -> Any:
    sealed: str | None = application.form_sealed
    if not sealed:
        return None
    return orjson.loads(resources.keyring.open(sealed, context="application.form"))


def subject(application: Application, task_departments: set[UUID]) -> policy.Subject:
    """The application as the policy sees it, with the departments that hold a task on it."""
    return policy.Subject(
        owner_id=application.owner_id,
        department_id=application.department_id,
        departments=frozenset(task_departments),
        region_id=application.region_id,
    )
