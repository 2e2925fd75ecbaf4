"""Reading the provincial exchange (ADMIN): pushed messages and applied callbacks."""

from __future__ import annotations

import strawberry

from resolvers.exchange import service as exchange
from resolvers.policy import Action
from schema.authorised import authorised
from schema.context import Info
from schema.error_codes import PublicError
from schema.exchange.types import (
    ExchangeCallback,
    ExchangeCallbackConnection,
    ExchangeMessage,
    ExchangeMessageConnection,
    ExchangeMessageFilter,
)
from schema.ids import node_uuid
from schema.pagination import connection_of, page_request


def _bad_cursor() -> PublicError:
    return PublicError("分页游标无效。", "BAD_USER_INPUT", field="after")


@strawberry.type
class ExchangeQuery:
    @strawberry.field(
        extensions=authorised(Action.EXCHANGE_MESSAGES),
        description=(
            "ADMIN: messages pushed to the provincial platform, newest first, with delivery "
            "status, attempts and the province's receipt. `first` at most 50."
        ),
    )
    async def exchange_messages(
        self,
        info: Info,
        filter: ExchangeMessageFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> ExchangeMessageConnection:
        request = page_request(first, after, cap=info.context.resources.settings.max_page_size)
        application_id = None
        if filter is not None and filter.application_id is not None:
            application_id = node_uuid(filter.application_id, "Application")
            if application_id is None:
                raise PublicError(
                    "applicationId 不是办件的 ID。", "BAD_USER_INPUT", field="filter.applicationId"
                )
        try:
            page = await exchange.messages(
                application_id=application_id,
                status=filter.status if filter else None,
                first=request.first,
                after=request.after,
            )
        except ValueError:
            raise _bad_cursor() from None
        edges, page_info = connection_of(page, ExchangeMessage.of, request.kind)
        return ExchangeMessageConnection(edges=edges, page_info=page_info)

    @strawberry.field(
        extensions=authorised(Action.EXCHANGE_CALLBACKS),
        description=(
            "ADMIN: callbacks applied from department business systems, newest first. "
            "Refused ones are in the log only. `first` at most 50."
        ),
    )
    async def exchange_callbacks(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> ExchangeCallbackConnection:
        request = page_request(first, after, cap=info.context.resources.settings.max_page_size)
        try:
            page = await exchange.callbacks(first=request.first, after=request.after)
        except ValueError:
            raise _bad_cursor() from None
        edges, page_info = connection_of(page, ExchangeCallback.of, request.kind)
        return ExchangeCallbackConnection(edges=edges, page_info=page_info)
