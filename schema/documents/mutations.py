"""Document wallet mutations: input in, service call, typed result or typed error out."""

from __future__ import annotations

from uuid import UUID

import strawberry

from resolvers.documents import service
from resolvers.documents.errors import DocumentError, DocumentErrorCode
from resolvers.policy import Action
from schema.authorised import authorised
from schema.context import Info, client_of
from schema.documents.types import (
    ConfirmDocumentUploadInput,
    ConfirmDocumentUploadResult,
    DeletedDocument,
    DeleteDocumentInput,
    DeleteDocumentResult,
    Document,
    DocumentUploadTicket,
    RequestDocumentUploadInput,
    RequestDocumentUploadResult,
    VerifyDocumentOriginalInput,
    VerifyDocumentOriginalResult,
)
from schema.ids import uuid_of


def _document(global_id: str) -> UUID:
    """NOT_FOUND for anything but a document's id, as for a document that exists but is not
    the caller's: existence is never revealed."""
    return uuid_of(global_id, "Document", "documentId", DocumentError, DocumentErrorCode.NOT_FOUND)


@strawberry.type
class DocumentMutation:
    @strawberry.mutation(
        extensions=authorised(Action.DOCUMENT_REQUEST_UPLOAD),
        description=(
            "Starts an upload: a PENDING document and a ticket to POST the file straight to "
            "storage (valid 10 minutes). Then call confirmDocumentUpload."
        ),
    )
    async def request_document_upload(
        self, info: Info, input: RequestDocumentUploadInput
    ) -> RequestDocumentUploadResult:
        issued = await service.request_upload(
            info.context.resources,
            info.context.principal,
            kind=input.kind,
            file_name=input.file_name,
            content_type=input.content_type,
            size=input.size,
            client=client_of(info),
        )
        return DocumentUploadTicket.of(issued)

    @strawberry.mutation(
        extensions=authorised(Action.DOCUMENT_CONFIRM_UPLOAD),
        description=(
            "Checks the uploaded file (size, magic bytes against the kind's formats, malware "
            "scan) and makes it AVAILABLE; a file that fails is REJECTED and deleted. "
            "Confirming an AVAILABLE document again returns it."
        ),
    )
    async def confirm_document_upload(
        self, info: Info, input: ConfirmDocumentUploadInput
    ) -> ConfirmDocumentUploadResult:
        document = await service.confirm_upload(
            info.context.resources,
            info.context.principal,
            _document(input.document_id),
            client_of(info),
        )
        return Document.of(document)

    @strawberry.mutation(
        extensions=authorised(Action.DOCUMENT_DELETE),
        description="Deletes a document and its file; refused while an open application uses it.",
    )
    async def delete_document(self, info: Info, input: DeleteDocumentInput) -> DeleteDocumentResult:
        await service.delete_document(
            info.context.resources,
            info.context.principal,
            _document(input.document_id),
            client_of(info),
        )
        return DeletedDocument(document_id=input.document_id)

    @strawberry.mutation(
        extensions=authorised(Action.DOCUMENT_VERIFY_ORIGINAL),
        description=(
            "Staff: the resident's original was checked at a window; raises an uploaded "
            "document to trust level B. The note is kept in the access log."
        ),
    )
    async def verify_document_original(
        self, info: Info, input: VerifyDocumentOriginalInput
    ) -> VerifyDocumentOriginalResult:
        document = await service.verify_original(
            info.context.resources,
            info.context.principal,
            _document(input.document_id),
            input.note,
            client_of(info),
        )
        return Document.of(document)
