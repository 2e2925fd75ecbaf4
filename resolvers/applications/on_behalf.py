"""一窗受理: window staff act for a resident who is present. A registered card reader's signed
read names the resident; the application follows the rules of an online submission
(resolvers/applications/submission.py); the paper materials are scanned by the officer and
reach the resident's wallet as checked originals (trust level B) only once the resident
consents, by a one-time code sent to their phone or a signature captured on the device.
Each step is audited with the centre, the window, the device and the officer.

A citywide item accepted at a centre of another district than the handling department's is
recorded as such (全域通办, 受办分离), with the paper originals tracked on their way."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from integrations.sms import SmsError
from resolvers import policy
from resolvers.accounts import service as accounts
from resolvers.accounts.errors import AccountError
from resolvers.applications import deadlines, submission
from resolvers.applications.errors import ApplicationError, ApplicationErrorCode
from resolvers.applications.events import StatusChange, publish
from resolvers.applications.on_behalf_errors import WindowError, translated
from resolvers.applications.on_behalf_errors import WindowErrorCode as Code
from resolvers.calendar.service import china_date
from resolvers.catalogue.service import published_service
from resolvers.devices import service as devices
from resolvers.devices.errors import DeviceError
from resolvers.principal import ClientInfo, Principal
from resolvers.resources import Resources
from storage.models.accounts import Account
from storage.models.applications import Application, EventType
from storage.models.catalogue import Channel, Implementation, Scope, ServiceCentre
from storage.models.devices import Device, DeviceKind
from storage.models.documents import Document
from storage.models.window import ConsentMethod, OnBehalfStatus, OnBehalfSubmission
from storage.repositories import accounts as account_repo
from storage.repositories import applications as application_repo
from storage.repositories import window as repo
from storage.transactions import atomic

CARD_FIELD = "cardRead"
WIDE_SCOPES = (Scope.CITYWIDE, Scope.PROVINCE, Scope.CROSS_PROVINCE)


@dataclass(frozen=True, slots=True)
class Pending:
    submission: OnBehalfSubmission
    resident: Account


def _audit_detail(**parts: UUID | str | None) -> str:
    # Ids only (compact, to fit the column): never the resident's name, number or phone.
    return " ".join(
        f"{k}={v.hex if isinstance(v, UUID) else v}" for k, v in parts.items() if v is not None
    )[:128]


async def _card_device(payload: str, signature: str) -> tuple[devices.Signed, Device]:
    try:
        return await devices.signed_by(payload, signature, CARD_FIELD)
    except DeviceError as error:
        raise translated(error) from None


async def _trusted_holder(
    resources: Resources, signed: devices.Signed, device: Device, client: ClientInfo
) -> Account:
    """The card's holder, once the read is trusted (which spends its nonce)."""
    try:
        holder = await devices.read_card(resources, signed, device, field=CARD_FIELD)
        return await accounts.resident_by_card(
            resources,
            holder.name,
            holder.id_number,
            now=resources.clock(),
            request_id=client.request_id,
        )
    except DeviceError as error:
        raise translated(error) from None
    except AccountError as error:
        # A signed read whose name or number is not one (a faulty reader): the card's fault.
        failure = translated(error)
        if failure.code is Code.INVALID_INPUT:
            failure = WindowError(Code.INVALID_CARD, CARD_FIELD)
        failure.field = CARD_FIELD
        raise failure from None


async def _handled_at(centre: ServiceCentre, implementation: Implementation) -> bool:
    """Whether the centre takes the item: listed for it, its own region's item at a city or
    county centre, or a citywide item at a centre that accepts them (全域通办)."""
    if await repo.centre_lists(centre.id, implementation.code):
        return True
    if centre.region_id == implementation.region_id and centre.level.value in ("CITY", "COUNTY"):
        return True
    return implementation.scope in WIDE_SCOPES and centre.accepts_citywide


def is_citywide_acceptance(centre: ServiceCentre, implementation: Implementation) -> bool:
    """受办分离: accepted here, handled by a department of another district."""
    return implementation.scope in WIDE_SCOPES and centre.region_id != implementation.region_id


async def submit_on_behalf(
    resources: Resources,
    principal: Principal,
    *,
    card_payload: str,
    card_signature: str,
    service_code: str,
    region_code: str | None,
    form: Any,
    scan_ids: Sequence[str],
    consent: ConsentMethod,
    client: ClientInfo,
) -> Pending:
    """Prepares the resident's application and asks for their consent. Nothing is in the
    resident's applications or wallet until `confirm_on_behalf`."""
    signed, device = await _card_device(card_payload, card_signature)
    if device.kind is not DeviceKind.CARD_READER or device.centre_id is None:
        raise WindowError(Code.NOT_A_WINDOW_READER, CARD_FIELD)
    subject = await devices.centre_subject(device.centre_id)
    await policy.authorize(
        resources, principal, policy.Action.APPLICATION_SUBMIT_ON_BEHALF, subject, field=CARD_FIELD
    )
    officer_id = principal.account_id
    assert officer_id is not None
    centre = await repo.centre(device.centre_id)
    assert centre is not None
    # Input the officer typed is checked before the read is spent: a typo costs no re-read.
    try:
        published = await published_service(resources, service_code, region_code)
        if published is None:
            raise ApplicationError(ApplicationErrorCode.SERVICE_NOT_FOUND, "serviceCode")
        implementation, materials = published
        if Channel.SERVICE_HALL.value not in implementation.channels:
            raise ApplicationError(ApplicationErrorCode.CHANNEL_NOT_ALLOWED, "serviceCode")
        form_text = submission.check_form(resources, form, implementation.form_schema)
        scans = await submission.chosen_documents(
            officer_id, scan_ids, resources.settings.application_max_documents
        )
    except ApplicationError as error:
        raise _scan_field(translated(error)) from None
    if not await _handled_at(centre, implementation):
        raise WindowError(Code.NOT_HANDLED_HERE, "serviceCode")

    resident = await _trusted_holder(resources, signed, device, client)
    try:
        await submission.require_real_name(resident.id)
        await submission.plan_materials(resident.id, materials, scans)
    except ApplicationError as error:
        raise _scan_field(translated(error)) from None

    now = resources.clock()
    code = f"{secrets.randbelow(1_000_000):06d}" if consent is ConsentMethod.SMS_CODE else None
    phone = _phone_of(resources, resident) if code is not None else None
    pending = await repo.create_pending(
        resident_id=resident.id,
        officer_id=officer_id,
        centre_id=centre.id,
        window_id=device.window_id,
        device_id=device.id,
        implementation_id=implementation.id,
        form_sealed=resources.keyring.seal(form_text, context="application.form"),
        document_ids=[str(d.id) for d in scans],
        code_hash=resources.keyring.token_hash(f"onbehalf:{code}") if code else None,
        challenge=secrets.token_urlsafe(24),
        expires_at=now + timedelta(seconds=resources.settings.on_behalf_consent_seconds),
    )
    if code is not None and phone is not None:
        minutes = str(resources.settings.on_behalf_consent_seconds // 60)
        try:
            await resources.sms.send(phone, "ON_BEHALF_CONSENT", {"code": code, "minutes": minutes})
        except SmsError:
            await repo.expire(pending.id)
            raise WindowError(Code.SMS_UNAVAILABLE) from None
    await account_repo.audit(
        "ON_BEHALF_PREPARED",
        success=True,
        actor_id=officer_id,
        detail=_audit_detail(submission=pending.id, window=device.window_id, device=device.id),
        request_id=client.request_id,
    )
    return Pending(pending, resident)


def _scan_field(error: WindowError) -> WindowError:
    """The submission names wallet documents `documentIds[i]`; here they are `scanIds[i]`."""
    if error.field and error.field.startswith("documentIds"):
        error.field = "scanIds" + error.field[len("documentIds") :]
        error.fields = [f.replace("documentIds", "scanIds", 1) for f in error.fields]
    return error


def _phone_of(resources: Resources, resident: Account) -> str:
    if not resident.phone_sealed:
        raise WindowError(Code.NO_PHONE_ON_FILE, "consent")
    return resources.keyring.open(resident.phone_sealed, context="account.phone")


async def _pending_for(
    resources: Resources, principal: Principal, action: policy.Action, submission_id: UUID
) -> OnBehalfSubmission:
    found = await repo.pending(submission_id)
    subject = await devices.centre_subject(found.centre_id) if found is not None else None
    await policy.authorize_seen(
        resources,
        principal,
        action,
        subject,
        seen_by=action,
        hidden=WindowError(Code.NOT_FOUND, "submissionId"),
        field="submissionId",
    )
    assert found is not None
    return found


async def confirm_on_behalf(
    resources: Resources,
    principal: Principal,
    submission_id: UUID,
    *,
    code: str | None,
    signature_payload: str | None,
    signature: str | None,
    client: ClientInfo,
) -> Application:
    """The resident's consent: the code sent to their phone, or the consent they signed on
    the device (its payload names the submission and the challenge it was shown). Then the
    scans move into the resident's wallet as trust level B and the application is submitted,
    in one transaction."""
    pending = await _pending_for(
        resources, principal, policy.Action.APPLICATION_CONFIRM_ON_BEHALF, submission_id
    )
    if (code is None) == (signature_payload is None or signature is None):
        raise WindowError(Code.INVALID_INPUT, "code")
    now = resources.clock()
    _still_open(pending, now)
    if code is not None:
        method = ConsentMethod.SMS_CODE
        await _check_code(resources, pending, code)
    else:
        assert signature_payload is not None
        assert signature is not None
        method = ConsentMethod.DEVICE_SIGNATURE
        await _check_signature(resources, pending, signature_payload, signature)

    implementation = await application_repo.implementation(pending.implementation_id)
    centre = await repo.centre(pending.centre_id)
    assert implementation is not None
    assert centre is not None
    officer_id = principal.account_id
    assert officer_id is not None
    materials = await application_repo.implementation_materials(implementation.id)
    settings = resources.settings
    due = await deadlines.acceptance_due(china_date(now), settings.application_acceptance_days, 0)
    (number,) = await submission.reserve_numbers(now)
    async with atomic():
        if not await repo.claim(pending.id, now):
            raise WindowError(Code.ALREADY_CONFIRMED, "submissionId")
        scans = await repo.move_scans(
            [UUID(i) for i in pending.document_ids],
            from_owner=pending.officer_id,
            to_owner=pending.resident_id,
            verified_by=officer_id,
            at=now,
        )
        if len(scans) != len(pending.document_ids):
            # A scan was deleted meanwhile: nothing is submitted.
            raise WindowError(Code.DOCUMENT_NOT_FOUND, "submissionId")
        try:
            plan = await submission.plan_materials(
                pending.resident_id, materials, _ordered(scans, pending.document_ids)
            )
        except ApplicationError as error:
            # The guide changed since the officer prepared it: nothing is submitted.
            raise translated(error) from None
        application = await submission.create_submitted(
            resources,
            owner_id=pending.resident_id,
            implementation=implementation,
            channel=Channel.SERVICE_HALL,
            form_text=resources.keyring.open(pending.form_sealed, context="application.form"),
            plan=plan,
            now=now,
            acceptance_due=due,
            number=number,
        )
        await application_repo.update(application.id, window_staff_id=officer_id)
        await repo.confirmed(pending.id, application_id=application.id, consent=method, at=now)
        if is_citywide_acceptance(centre, implementation):
            assert implementation.department_id is not None
            await repo.record_citywide(
                application_id=application.id,
                receiving_centre_id=centre.id,
                handling_department_id=implementation.department_id,
                accepted_on=china_date(now),
            )
        await account_repo.audit(
            "ON_BEHALF_CONFIRMED",
            success=True,
            actor_id=officer_id,
            detail=_audit_detail(
                application=application.id, consent=method.value, window=pending.window_id
            ),
            request_id=client.request_id,
        )
    await publish(
        resources, StatusChange(application.id, EventType.SUBMITTED, application.status, now)
    )
    found = await application_repo.by_id(application.id)
    assert found is not None
    return found


def _ordered(scans: list[Document], ids: Sequence[str]) -> list[Document]:
    by_id = {str(d.id): d for d in scans}
    return [by_id[i] for i in ids]


def _still_open(pending: OnBehalfSubmission, now: datetime) -> None:
    if pending.status is OnBehalfStatus.CONFIRMED:
        raise WindowError(Code.ALREADY_CONFIRMED, "submissionId")
    if pending.status is OnBehalfStatus.EXPIRED or pending.expires_at <= now:
        raise WindowError(Code.CONSENT_EXPIRED, "submissionId")


async def _check_code(resources: Resources, pending: OnBehalfSubmission, code: str) -> None:
    text = code.strip()
    if pending.code_hash is None:
        # The resident was asked to sign on the device, not sent a code.
        raise WindowError(Code.INVALID_INPUT, "code")
    if len(text) != 6 or not (text.isascii() and text.isdigit()):
        raise WindowError(Code.INVALID_INPUT, "code")
    presented = resources.keyring.token_hash(f"onbehalf:{text}")
    if secrets.compare_digest(presented, pending.code_hash):
        return
    # Every wrong code counts, also from racing requests; the last allowed one ends it.
    attempts = await repo.count_attempt(pending.id)
    if attempts >= resources.settings.sms_code_max_attempts:
        await repo.expire(pending.id)
        raise WindowError(Code.CONSENT_EXPIRED, "code")
    raise WindowError(Code.WRONG_CODE, "code")


async def _check_signature(
    resources: Resources, pending: OnBehalfSubmission, payload: str, signature: str
) -> None:
    field = "signature"
    try:
        signed, device = await devices.signed_by(payload, signature, field)
        if device.centre_id != pending.centre_id:
            raise WindowError(Code.BAD_SIGNATURE, field)
        await devices.spend(resources, signed, device, kind=devices.CONSENT, field=field)
    except DeviceError as error:
        raise translated(error) from None
    body = signed.body
    if body.get("submissionId") != str(pending.id) or not secrets.compare_digest(
        str(body.get("challenge", "")), pending.challenge
    ):
        raise WindowError(Code.BAD_SIGNATURE, field)
