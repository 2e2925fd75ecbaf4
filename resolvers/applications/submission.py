"""Submitting an application: the form, the materials matched to the resident's documents,
idempotency; `create_submitted` is shared with scenario bundles, which submit one application
per item inside their own transaction (checks first, they store nothing; then
`create_submitted` inside the caller's transaction)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import orjson

from resolvers import inputs, policy
from resolvers.applications import deadlines, forms
from resolvers.applications.errors import ApplicationError
from resolvers.applications.errors import ApplicationErrorCode as Code
from resolvers.applications.events import StatusChange, publish
from resolvers.applications.transitions import acting, notify_owner, record
from resolvers.calendar.service import Deadline, china_date
from resolvers.catalogue.service import published_service
from resolvers.payments import service as payments
from resolvers.principal import Principal
from resolvers.resources import Resources
from storage.models.applications import (
    Application,
    ApplicationStatus,
    EventType,
    MaterialState,
)
from storage.models.catalogue import (
    Channel,
    Implementation,
    Material,
    MaterialSource,
    Necessity,
)
from storage.models.documents import Document, DocumentStatus
from storage.repositories import applications as repo
from storage.transactions import IntegrityError, atomic

SUBMIT_SCOPE = "submitApplication"
MAX_KEY = 128
# Channels a resident uses by themself; TERMINAL and SERVICE_HALL are recorded from the
# device or clerk that submits, never claimed.
SELF_SERVICE_CHANNELS = frozenset(
    {Channel.WEB_HALL, Channel.MOBILE_APP, Channel.MINI_PROGRAM, Channel.TV_HALL}
)
DOCUMENT_CODES = inputs.DocumentCodes(
    too_many=Code.TOO_MANY_DOCUMENTS,
    not_found=Code.DOCUMENT_NOT_FOUND,
    duplicate=Code.DUPLICATE_DOCUMENT,
    not_available=Code.DOCUMENT_NOT_AVAILABLE,
)


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
    account = await repo.account(owner_id)
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
    return await inputs.owned_documents(
        owner_id,
        document_ids,
        limit=max_documents,
        load=repo.documents_by_ids,
        available=DocumentStatus.AVAILABLE,
        error=ApplicationError,
        codes=DOCUMENT_CODES,
    )


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
    missing: list[int] = []  # every required material nothing was given for, named at once
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
            missing.append(index)
        elif material.necessity is Necessity.DEFERRABLE:
            chosen[index] = (None, MaterialState.OWED)
        else:
            chosen[index] = (None, MaterialState.MISSING)
    if missing:
        fields = [f"materials[{index}]" for index in sorted(missing)]
        raise ApplicationError(Code.MATERIAL_MISSING, fields[0], fields=fields)
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


async def reserve_numbers(now: datetime, count: int = 1) -> list[str]:
    """`count` application numbers (CD + China date + the day's sequence), taken before the
    transaction that uses them: the day's counter is held for one statement, not for the
    whole submission, so residents submitting at once never wait for each other's commits.
    A submission that then fails leaves a gap in the day's numbers."""
    today = china_date(now)
    first = await repo.reserve_numbers(today, count)
    return [f"CD{today:%Y%m%d}{n:06d}" for n in range(first, first + count)]


def _form_values(form_text: str) -> dict[str, Any]:
    """The checked form as a mapping (a fee item may depend on an answer)."""
    values = orjson.loads(form_text) if form_text else {}
    return values if isinstance(values, dict) else {}


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
    number: str,
    parent_id: UUID | None = None,
    actor_id: UUID | None = None,
    terminal_id: UUID | None = None,
) -> Application:
    """Inside the caller's transaction: a SUBMITTED application with its materials and its
    timeline's first event, under a `number` reserved before the transaction (`reserve_numbers`). A
    single application also tells its owner; a bundle's items are announced once, by the
    bundle. `actor_id`: who submitted it when not the owner (an agent acting for them)."""
    application = await repo.create(
        number=number,
        owner_id=owner_id,
        implementation_id=implementation.id,
        department_id=implementation.department_id,
        region_id=implementation.region_id,
        parent_id=parent_id,
        status=ApplicationStatus.SUBMITTED,
        channel=channel,
        terminal_id=terminal_id,
        form_sealed=resources.keyring.seal(form_text, context="application.form"),
        submitted_at=now,
        **acceptance_due.columns("acceptance_due_date"),
    )
    await repo.add_materials(
        [
            {
                "application_id": application.id,
                "position": material.position,
                "name": material.name,
                "necessity": material.necessity,
                "source": material.source,
                "document_kind": material.document_kind,
                "document_id": document.id if document else None,
                "state": state,
            }
            for material, document, state in plan.rows
        ]
    )
    await record(
        application, EventType.SUBMITTED, application.status, at=now, actor_id=actor_id or owner_id
    )
    await payments.open_for(
        application_id=application.id,
        owner_id=owner_id,
        service_name=implementation.name,
        fee_items=implementation.fee_items,
        form=_form_values(form_text),
        department_id=implementation.department_id,
        acceptance_due=application.acceptance_due_date,
    )
    if parent_id is None:
        await notify_owner(
            application, application.status, at=now, service_name=implementation.name
        )
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
    owner_id = acting(principal)
    settings = resources.settings
    key = clean_key(idempotency_key)
    # At a terminal the session, not the client, names the channel: the resident stands there.
    at_terminal = principal.terminal_id is not None
    if at_terminal:
        channel = Channel.TERMINAL
    digest = request_hash(service_code, region_code, form, document_ids, channel)
    if key is not None:
        replay = await replayed(owner_id, SUBMIT_SCOPE, key, digest)
        if replay is not None:
            return replay

    await require_real_name(owner_id)
    if not at_terminal:
        require_self_service(channel)
    service = await published_service(resources, service_code, region_code)
    if service is None:
        raise ApplicationError(Code.SERVICE_NOT_FOUND, "serviceCode")
    implementation, materials = service
    if channel.value not in implementation.channels:
        # At a terminal the item is what is not offered there: the channel was not chosen.
        raise ApplicationError(
            Code.CHANNEL_NOT_ALLOWED, "serviceCode" if at_terminal else "channel"
        )
    form_text = check_form(resources, form, implementation.form_schema)
    plan = await _plan_materials(
        owner_id, materials, document_ids, settings.application_max_documents
    )
    now = resources.clock()
    due = await deadlines.acceptance_due(china_date(now), settings.application_acceptance_days, 0)
    (number,) = await reserve_numbers(now)
    try:
        async with atomic():
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
                number=number,
                terminal_id=principal.terminal_id,
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
    await repo.remember_key(
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


def read_form(resources: Resources, application: Application) -> Any:
    """The form as submitted, unsealed."""
    sealed: str | None = application.form_sealed
    if not sealed:
        return None
    return orjson.loads(resources.keyring.open(sealed, context="application.form"))
