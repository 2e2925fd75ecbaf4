"""Document wallet mutations: input in, service call, typed result or typed error out."""

from __future__ import annotations

from resolvers.client import client_of
from resolvers.documents import service
from resolvers.documents.errors import DocumentError
from resolvers.documents.ids import document_uuid
from schema.context import Info
from schema.documents import (
    ConfirmDocumentUploadError,
    ConfirmDocumentUploadInput,
    ConfirmDocumentUploadResult,
    DeletedDocument,
    DeleteDocumentError,
    DeleteDocumentInput,
    DeleteDocumentResult,
    Document,
    DocumentUploadTicket,
    RequestDocumentUploadError,
    RequestDocumentUploadInput,
    RequestDocumentUploadResult,
    VerifyDocumentOriginalError,
    VerifyDocumentOriginalInput,
    VerifyDocumentOriginalResult,
)


async def request_document_upload(
    info: Info, input: RequestDocumentUploadInput
) -> RequestDocumentUploadResult:
    try:
        issued = await service.request_upload(
            info.context.resources,
            info.context.principal,
            kind=input.kind,
            file_name=input.file_name,
            content_type=input.content_type,
            size=input.size,
            client=client_of(info),
        )
    except DocumentError as error:
        return RequestDocumentUploadError.of(error)
    return DocumentUploadTicket.of(issued)


async def confirm_document_upload(
    info: Info, input: ConfirmDocumentUploadInput
) -> ConfirmDocumentUploadResult:
    try:
        document = await service.confirm_upload(
            info.context.resources,
            info.context.principal,
            document_uuid(input.document_id),
            client_of(info),
        )
    except DocumentError as error:
        return ConfirmDocumentUploadError.of(error)
    return Document.of(document)


async def delete_document(info: Info, input: DeleteDocumentInput) -> DeleteDocumentResult:
    try:
        await service.delete_document(
            info.context.resources,
            info.context.principal,
            document_uuid(input.document_id),
            client_of(info),
        )
    except DocumentError as error:
        return DeleteDocumentError.of(error)
    return DeletedDocument(document_id=input.document_id)


async def verify_document_original(
    info: Info, input: VerifyDocumentOriginalInput
) -> VerifyDocumentOriginalResult:
    try:
        document = await service.verify_original(
            info.context.resources,
            info.context.principal,
            document_uuid(input.document_id),
            input.note,
            client_of(info),
        )
    except DocumentError as error:
        return VerifyDocumentOriginalError.of(error)
    return Document.of(document)
