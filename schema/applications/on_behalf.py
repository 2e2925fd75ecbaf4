"""一窗受理 in GraphQL: window staff submit for a present resident, the resident consents."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Self

import strawberry
from strawberry.scalars import JSON

from resolvers.applications import citywide, on_behalf
from resolvers.applications.on_behalf_errors import WindowError, WindowErrorCode
from resolvers.errors import MAX_ERROR_FIELDS
from resolvers.ids import global_id
from resolvers.policy import Action
from schema.applications.types import Application
from schema.authorised import authorised
from schema.context import Info, client_of
from schema.cost import bounded
from schema.devices.types import SignedPayloadInput
from schema.errors import UserError
from schema.ids import uuid_of
from storage.models import window as models

strawberry.enum(
    models.ConsentMethod,
    description="How the resident consents: a code sent to their phone, or signing on the device.",
)
strawberry.enum(models.OnBehalfStatus)
strawberry.enum(models.TransferStatus, description="全域通办 paper originals on their way.")
strawberry.enum(WindowErrorCode)


@strawberry.type(
    description=(
        "An application window staff prepared for a present resident, waiting for the "
        "resident's consent (confirmApplicationOnBehalf)."
    )
)
class OnBehalfSubmission:
    id: strawberry.ID
    status: models.OnBehalfStatus
    consent: models.ConsentMethod = strawberry.field(description="How consent is awaited.")
    expires_at: datetime
    challenge: str = strawberry.field(
        description=(
            "DEVICE_SIGNATURE: what the device's consent payload must carry (with the "
            "submission's id as submissionId) once the resident signs."
        )
    )
    resident_name_masked: str | None
    resident_id_number_masked: str | None
    resident_phone_masked: str | None = strawberry.field(
        description="SMS_CODE: where the code went (138****0000)."
    )

    @classmethod
    def of(cls, pending: on_behalf.Pending, consent: models.ConsentMethod) -> Self:
        row, resident = pending.submission, pending.resident
        return cls(
            id=strawberry.ID(global_id("OnBehalfSubmission", row.id)),
            status=row.status,
            consent=consent,
            expires_at=row.expires_at,
            challenge=row.challenge,
            resident_name_masked=resident.name_masked,
            resident_id_number_masked=resident.id_number_masked,
            resident_phone_masked=resident.phone_masked,
        )


@strawberry.type(
    description=(
        "全域通办: paper originals of an application accepted at a centre of another "
        "district, on their way to the handling department."
    )
)
class MaterialTransfer:
    id: strawberry.ID
    status: models.TransferStatus
    description: str
    tracking: str = strawberry.field(description="Courier or bag number; may be empty.")
    handed_over_at: datetime
    received_at: datetime | None

    @classmethod
    def of(cls, row: models.MaterialTransfer) -> Self:
        return cls(
            id=strawberry.ID(global_id("MaterialTransfer", row.id)),
            status=row.status,
            description=row.description,
            tracking=row.tracking,
            handed_over_at=row.handed_over_at,
            received_at=row.received_at,
        )


@strawberry.input
class HandOverMaterialsInput:
    application_id: strawberry.ID
    description: str = strawberry.field(description="What is sent (at most 200 characters).")
    tracking: str | None = strawberry.field(default=None, description="At most 64 characters.")


@strawberry.input
class ReceiveMaterialsInput:
    transfer_id: strawberry.ID


@strawberry.input
class SubmitApplicationOnBehalfInput:
    card_read: SignedPayloadInput = strawberry.field(
        description="The resident's ID card as the window's registered reader read and signed it."
    )
    service_code: str
    region_code: str | None = None
    form: JSON | None = strawberry.field(
        default=None, description="As submitApplication's: at most 64 KB, 8 levels."
    )
    scan_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list,
        description=(
            "The paper materials as the officer's own uploaded scans (Document ids), at most "
            "the submission's document limit; they reach the resident's wallet as trust level "
            "B on consent."
        ),
    )
    consent: models.ConsentMethod = models.ConsentMethod.SMS_CODE


@strawberry.input
class ConfirmApplicationOnBehalfInput:
    submission_id: strawberry.ID
    code: str | None = strawberry.field(
        default=None, description="SMS_CODE: the 6 digits the resident received."
    )
    signature: SignedPayloadInput | None = strawberry.field(
        default=None,
        description="DEVICE_SIGNATURE: the device's CONSENT payload (submissionId, challenge).",
    )


@strawberry.type
class SubmitApplicationOnBehalfError(UserError):
    code: WindowErrorCode
    fields: list[str] = strawberry.field(
        default_factory=list,
        directives=bounded(MAX_ERROR_FIELDS),
        description=f"Every input field at fault, e.g. form.shopName; at most {MAX_ERROR_FIELDS}.",
    )

    @classmethod
    def of(cls, error: WindowError) -> Self:  # type: ignore[override]
        return cls(
            code=error.code,  # type: ignore[arg-type]
            message=error.message,
            field=error.field,
            fields=list(getattr(error, "fields", [])),
        )


@strawberry.type
class ConfirmApplicationOnBehalfError(UserError):
    code: WindowErrorCode


@strawberry.type
class HandOverMaterialsError(UserError):
    code: WindowErrorCode


@strawberry.type
class ReceiveMaterialsError(UserError):
    code: WindowErrorCode


HandOverMaterialsResult = Annotated[
    MaterialTransfer | HandOverMaterialsError, strawberry.union("HandOverMaterialsResult")
]
ReceiveMaterialsResult = Annotated[
    MaterialTransfer | ReceiveMaterialsError, strawberry.union("ReceiveMaterialsResult")
]
SubmitApplicationOnBehalfResult = Annotated[
    OnBehalfSubmission | SubmitApplicationOnBehalfError,
    strawberry.union("SubmitApplicationOnBehalfResult"),
]
ConfirmApplicationOnBehalfResult = Annotated[
    Application | ConfirmApplicationOnBehalfError,
    strawberry.union("ConfirmApplicationOnBehalfResult"),
]


@strawberry.type
class OnBehalfMutation:
    @strawberry.mutation(
        extensions=authorised(Action.APPLICATION_SUBMIT_ON_BEHALF),
        description=(
            "一窗受理: staff of the centre the card reader stands in prepare an application for "
            "the resident on the card, under the rules of submitApplication (channel "
            "SERVICE_HALL). Nothing is submitted until the resident consents."
        ),
    )
    async def submit_application_on_behalf(
        self, info: Info, input: SubmitApplicationOnBehalfInput
    ) -> SubmitApplicationOnBehalfResult:
        pending = await on_behalf.submit_on_behalf(
            info.context.resources,
            info.context.principal,
            card_payload=input.card_read.payload,
            card_signature=input.card_read.signature,
            service_code=input.service_code,
            region_code=input.region_code,
            form=input.form,
            scan_ids=[str(i) for i in input.scan_ids],
            consent=input.consent,
            client=client_of(info),
        )
        return OnBehalfSubmission.of(pending, input.consent)

    @strawberry.mutation(
        extensions=authorised(Action.APPLICATION_CONFIRM_ON_BEHALF),
        description=(
            "The resident's consent (the code, or the device's signed consent): the scans move "
            "into their wallet and the application is submitted as theirs."
        ),
    )
    async def confirm_application_on_behalf(
        self, info: Info, input: ConfirmApplicationOnBehalfInput
    ) -> ConfirmApplicationOnBehalfResult:
        submission_id = uuid_of(
            input.submission_id,
            "OnBehalfSubmission",
            "submissionId",
            WindowError,
            WindowErrorCode.NOT_FOUND,
        )
        application = await on_behalf.confirm_on_behalf(
            info.context.resources,
            info.context.principal,
            submission_id,
            code=input.code,
            signature_payload=input.signature.payload if input.signature else None,
            signature=input.signature.signature if input.signature else None,
            client=client_of(info),
        )
        return Application.of(application)

    @strawberry.mutation(
        extensions=authorised(Action.CITYWIDE_HAND_OVER),
        description=(
            "全域通办: staff of the receiving centre send paper originals to the handling "
            "department; the step is on the application's timeline."
        ),
    )
    async def hand_over_materials(
        self, info: Info, input: HandOverMaterialsInput
    ) -> HandOverMaterialsResult:
        application_id = uuid_of(
            input.application_id,
            "Application",
            "applicationId",
            WindowError,
            WindowErrorCode.NOT_FOUND,
        )
        transfer = await citywide.hand_over(
            info.context.resources,
            info.context.principal,
            application_id,
            description=input.description,
            tracking=input.tracking,
            client=client_of(info),
        )
        return MaterialTransfer.of(transfer)

    @strawberry.mutation(
        extensions=authorised(Action.CITYWIDE_RECEIVE),
        description="全域通办: the handling department signs for paper originals (once).",
    )
    async def receive_materials(
        self, info: Info, input: ReceiveMaterialsInput
    ) -> ReceiveMaterialsResult:
        transfer_id = uuid_of(
            input.transfer_id,
            "MaterialTransfer",
            "transferId",
            WindowError,
            WindowErrorCode.NOT_FOUND,
        )
        transfer = await citywide.receive(
            info.context.resources, info.context.principal, transfer_id, client=client_of(info)
        )
        return MaterialTransfer.of(transfer)
