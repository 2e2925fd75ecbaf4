"""Global ids of documents, as clients pass them back in inputs."""

from __future__ import annotations

from uuid import UUID

from strawberry import relay

from resolvers.documents.errors import DocumentError, DocumentErrorCode


def document_uuid(global_id: str) -> UUID:
    """The document's UUID from its global id; NOT_FOUND for anything else (as for a
    document that exists but is not the caller's: existence is never revealed)."""
    try:
        parsed = relay.GlobalID.from_id(global_id)
        if parsed.type_name != "Document":
            raise ValueError("not a document")
        return UUID(parsed.node_id)
    except (ValueError, TypeError):
        raise DocumentError(DocumentErrorCode.NOT_FOUND, "documentId") from None
