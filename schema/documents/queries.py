"""`myDocuments`: the signed-in resident's wallet, newest first, a page at a time."""

from __future__ import annotations

import strawberry

from resolvers.documents import service
from resolvers.policy import Action
from schema.authorised import authorised
from schema.context import Info
from schema.documents.types import Document, DocumentConnection, DocumentFilter
from schema.error_codes import PublicError
from schema.pagination import connection_of, page_request


@strawberry.type
class DocumentQuery:
    @strawberry.field(
        extensions=authorised(Action.READ_OWN),
        description=(
            "The signed-in resident's document wallet, newest first. `first` at most 50 "
            "(default 20)."
        ),
    )
    async def my_documents(
        self,
        info: Info,
        filter: DocumentFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> DocumentConnection:
        request = page_request(first, after, cap=info.context.resources.settings.max_page_size)
        try:
            page = await service.wallet(
                info.context.principal,
                kind=filter.kind if filter else None,
                status=filter.status if filter else None,
                first=request.first,
                after=request.after,
            )
        except ValueError:  # a cursor of another list
            raise PublicError("分页游标无效。", "BAD_USER_INPUT", field="after") from None
        edges, page_info = connection_of(page, Document.of, request.kind)
        return DocumentConnection(edges=edges, page_info=page_info)
