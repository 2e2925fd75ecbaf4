"""Global ids of documents, as clients pass them back in inputs."""

from __future__ import annotations

from uuid import UUID

from resolvers.documents.errors import DocumentError, DocumentErrorCode
from schema.ids import node_uuid


def document_uuid(global_id: str) -> UUID:
    """The document's UUID from its global id; NOT_FOUND for anything else (as for a
    document that exists but is not the caller's: existence is never revealed)."""
    found = node_uuid(global_id, "Document")
    if found is None:
        raise DocumentError(DocumentErrorCode.NOT_FOUND, "documentId")
    return found
