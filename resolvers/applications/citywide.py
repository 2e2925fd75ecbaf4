"""全域通办 (受办分离): the paper originals of an application accepted at a centre of another
district travel to the handling department. The receiving centre's staff hand them over, the
handling department receives them; both steps are on the application's timeline."""

from __future__ import annotations

from uuid import UUID

from resolvers import inputs, policy
from resolvers.applications.on_behalf_errors import WindowError
from resolvers.applications.on_behalf_errors import WindowErrorCode as Code
from resolvers.applications.transitions import acting, record, subject_of
from resolvers.devices import service as devices
from resolvers.principal import ClientInfo, Principal
from resolvers.resources import Resources
from storage.models.applications import EventType
from storage.models.window import MaterialTransfer
from storage.repositories import accounts as account_repo
from storage.repositories import applications as application_repo
from storage.repositories import window as repo
from storage.transactions import atomic

MAX_DESCRIPTION = 200
MAX_TRACKING = 64


def _text(value: str | None, field: str, longest: int, *, required: bool) -> str:
    return inputs.clean_text(
        value,
        field,
        error=WindowError,
        invalid=Code.INVALID_INPUT,
        longest=longest,
        required=Code.INVALID_INPUT if required else None,
    )


async def hand_over(
    resources: Resources,
    principal: Principal,
    application_id: UUID,
    *,
    description: str,
    tracking: str | None,
    client: ClientInfo,
) -> MaterialTransfer:
    """The receiving centre sends (part of) the originals off to the handling department."""
    accepted = await repo.citywide_of(application_id)
    application = await application_repo.by_id(application_id)
    subject = None
    if accepted is not None and application is not None:
        subject = await devices.centre_subject(accepted.receiving_centre_id)
    await policy.authorize_seen(
        resources,
        principal,
        policy.Action.CITYWIDE_HAND_OVER,
        subject,
        seen_by=policy.Action.CITYWIDE_HAND_OVER,
        hidden=WindowError(Code.NOT_FOUND, "applicationId"),
        field="applicationId",
    )
    assert application is not None
    text = _text(description, "description", MAX_DESCRIPTION, required=True)
    number = _text(tracking, "tracking", MAX_TRACKING, required=False)
    officer_id = acting(principal)
    now = resources.clock()
    async with atomic():
        transfer = await repo.hand_over(
            application_id=application.id,
            description=text,
            tracking=number,
            handed_over_by_id=officer_id,
            handed_over_at=now,
        )
        await record(
            application,
            EventType.MATERIALS_HANDED_OVER,
            application.status,
            at=now,
            actor_id=officer_id,
            note=f"纸质材料已移交：{text}",
        )
        await account_repo.audit(
            "CITYWIDE_HANDED_OVER",
            success=True,
            actor_id=officer_id,
            detail=f"application={application.id.hex} transfer={transfer.id.hex}",
            request_id=client.request_id,
        )
    return transfer


async def receive(
    resources: Resources, principal: Principal, transfer_id: UUID, *, client: ClientInfo
) -> MaterialTransfer:
    """The handling department signs for the originals (once)."""
    transfer = await repo.transfer(transfer_id)
    application = await application_repo.by_id(transfer.application_id) if transfer else None
    subject = await subject_of(principal, application) if application is not None else None
    await policy.authorize_seen(
        resources,
        principal,
        policy.Action.CITYWIDE_RECEIVE,
        subject,
        seen_by=policy.Action.APPLICATION_READ,
        hidden=WindowError(Code.NOT_FOUND, "transferId"),
        field="transferId",
    )
    assert transfer is not None
    assert application is not None
    officer_id = acting(principal)
    now = resources.clock()
    async with atomic():
        if not await repo.receive(transfer.id, by=officer_id, at=now):
            raise WindowError(Code.ALREADY_RECEIVED, "transferId")
        await record(
            application,
            EventType.MATERIALS_RECEIVED,
            application.status,
            at=now,
            actor_id=officer_id,
            note=f"纸质材料已签收：{transfer.description}",
            department_id=application.department_id,
        )
        await account_repo.audit(
            "CITYWIDE_RECEIVED",
            success=True,
            actor_id=officer_id,
            detail=f"application={application.id.hex} transfer={transfer.id.hex}",
            request_id=client.request_id,
        )
    received = await repo.transfer(transfer.id)
    assert received is not None
    return received
