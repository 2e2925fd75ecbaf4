"""The document wallet's types: documents, upload tickets, inputs, errors and results."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Annotated, Self
from uuid import UUID

import strawberry
from strawberry import relay

from resolvers.documents import service
from resolvers.documents.errors import DocumentError, DocumentErrorCode
from schema.catalogue.types import Department
from schema.context import Info, client_of
from schema.cost import bounded
from schema.error_codes import PublicError
from schema.errors import UserError
from schema.pagination import Connection
from storage.models import documents as models
from storage.models.documents import DocumentKind, DocumentStatus, RejectionReason, TrustLevel
from storage.objects import MAX_TICKET_FIELDS

strawberry.enum(
    DocumentKind,
    description="What a document is. CERTIFICATE: a result issued by the government.",
)
strawberry.enum(DocumentStatus, description="PENDING until confirmed; then AVAILABLE or REJECTED.")
strawberry.enum(
    TrustLevel,
    description=(
        "A: issued by the authority (use directly); B: checked against the original at a "
        "window; C: uploaded by the resident; D: made by the resident (own commitment)."
    ),
)
strawberry.enum(RejectionReason, description="Why a confirmation rejected the file.")
strawberry.enum(DocumentErrorCode)


@strawberry.type(
    description=(
        "A file in a resident's wallet, reusable by every later application. Visible to its "
        "owner and to staff handling an application that uses it."
    )
)
class Document(relay.Node):
    id: relay.NodeID[str]
    kind: DocumentKind
    file_name: str = strawberry.field(description="The sanitised name the file was uploaded as.")
    content_type: str = strawberry.field(
        description="The type its bytes were found to be once checked; the declared one before."
    )
    size: int = strawberry.field(
        description="Bytes: the stored size once checked, the declared one while pending."
    )
    status: DocumentStatus
    trust_level: TrustLevel
    rejection_reason: RejectionReason | None
    sha256: str | None = strawberry.field(description="Hex SHA-256 of the stored bytes.")
    original_sha256: str | None = strawberry.field(
        description=(
            "Hex SHA-256 of the file as it was uploaded. Photos and scans are stored "
            "re-encoded without their metadata (location, device), so `sha256` and `size` "
            "then describe the stored copy, not the upload."
        )
    )
    valid_from: date | None = strawberry.field(description="Issued documents: valid from.")
    valid_until: date | None = strawberry.field(description="Issued documents: valid until.")
    created_at: datetime
    _model: strawberry.Private[models.Document]

    @classmethod
    def of(cls, model: models.Document) -> Self:
        return cls(
            id=str(model.id),
            kind=model.kind,
            file_name=model.file_name,
            content_type=model.detected_content_type or model.declared_content_type,
            size=model.size,
            status=model.status,
            trust_level=model.trust_level,
            rejection_reason=model.rejection_reason,
            sha256=model.sha256,
            original_sha256=model.original_sha256,
            valid_from=model.valid_from,
            valid_until=model.valid_until,
            created_at=model.created_at,
            _model=model,
        )

    @strawberry.field(description="The department that issued it (trust level A).")
    async def issuer(self, info: Info) -> Department | None:
        if self._model.issuer_id is None:
            return None
        department = await info.context.loaders.department.load(self._model.issuer_id)
        return Department.of(department) if department else None

    @strawberry.field(
        description=(
            "A URL to fetch the file (answers as an attachment), valid at most 5 minutes; "
            "null unless AVAILABLE and the caller may read it. Staff reads are logged."
        )
    )
    async def download_url(self, info: Info) -> str | None:
        try:
            return await service.download_url(
                info.context.resources, info.context.principal, self._model, client_of(info)
            )
        except DocumentError as error:
            raise PublicError(error.message, error.code.value) from None

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        # Through the same scoping as every other read: not-yours looks like not-found.
        node_ids = list(node_ids)
        rows = await service.readable(info.context.principal, [_uuid(n) for n in node_ids])
        found = {str(row.id): row for row in rows}
        return [cls.of(found[n]) if n in found else None for n in node_ids]


def _uuid(value: str) -> UUID | None:
    try:
        return UUID(value)
    except ValueError:
        return None


@strawberry.type
class UploadField:
    name: str
    value: str


@strawberry.type(
    description=(
        "How to upload one file: POST multipart/form-data to `url` with `fields` as form "
        "fields, then the file as the `file` field (what wx.uploadFile does with formData), "
        "then call confirmDocumentUpload."
    )
)
class DocumentUploadTicket:
    document_id: strawberry.ID = strawberry.field(description="The pending Document's id.")
    url: str
    fields: list[UploadField] = strawberry.field(
        directives=bounded(MAX_TICKET_FIELDS),
        description=f"Form fields, in order; at most {MAX_TICKET_FIELDS}.",
    )
    expires_at: datetime = strawberry.field(description="The ticket is good until then (≤ 10 min).")
    max_size: int = strawberry.field(description="Bytes the upload may have at most.")

    @classmethod
    def of(cls, issued: service.IssuedTicket) -> Self:
        return cls(
            document_id=strawberry.ID(str(relay.to_base64("Document", issued.document.id))),
            url=issued.ticket.url,
            fields=[UploadField(name=k, value=v) for k, v in issued.ticket.fields.items()],
            expires_at=issued.ticket.expires_at,
            max_size=issued.max_size,
        )


@strawberry.type
class DeletedDocument:
    document_id: strawberry.ID


DocumentConnection = Connection[Document]


# -- inputs


@strawberry.input
class DocumentFilter:
    kind: DocumentKind | None = None
    status: DocumentStatus | None = None


@strawberry.input
class RequestDocumentUploadInput:
    kind: DocumentKind
    file_name: str = strawberry.field(
        description="Shown on download only; paths and control characters are dropped."
    )
    content_type: str = strawberry.field(
        description=(
            "image/jpeg or image/png (ID cards, photos); also application/pdf (household "
            "register, licences, other) and application/ofd (licences, certificates, other). "
            "The file's bytes must match it."
        )
    )
    size: int = strawberry.field(
        description=(
            "Bytes. At most 2 MiB for PHOTO, 5 MiB for ID cards, 10 MiB otherwise (configurable);"
            " 30 uploads an hour, 200 MiB per wallet by default."
        )
    )


@strawberry.input
class ConfirmDocumentUploadInput:
    document_id: strawberry.ID


@strawberry.input
class DeleteDocumentInput:
    document_id: strawberry.ID


@strawberry.input
class VerifyDocumentOriginalInput:
    document_id: strawberry.ID
    note: str = strawberry.field(
        description="Why and how the original was checked (at most 200 characters); logged."
    )


# -- errors and results


@strawberry.type
class RequestDocumentUploadError(UserError):
    code: DocumentErrorCode


@strawberry.type
class ConfirmDocumentUploadError(UserError):
    code: DocumentErrorCode


@strawberry.type
class DeleteDocumentError(UserError):
    code: DocumentErrorCode


@strawberry.type
class VerifyDocumentOriginalError(UserError):
    code: DocumentErrorCode


RequestDocumentUploadResult = Annotated[
    DocumentUploadTicket | RequestDocumentUploadError,
    strawberry.union("RequestDocumentUploadResult"),
]
ConfirmDocumentUploadResult = Annotated[
    Document | ConfirmDocumentUploadError, strawberry.union("ConfirmDocumentUploadResult")
]
DeleteDocumentResult = Annotated[
    DeletedDocument | DeleteDocumentError, strawberry.union("DeleteDocumentResult")
]
VerifyDocumentOriginalResult = Annotated[
    Document | VerifyDocumentOriginalError, strawberry.union("VerifyDocumentOriginalResult")
]
