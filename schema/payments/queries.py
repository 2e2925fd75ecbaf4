"""Reading payments for finance (ADMIN): what WeChat Pay reported that did not match ours."""

from __future__ import annotations

import strawberry

from resolvers.payments import service as payments
from resolvers.policy import Action
from schema.authorised import authorised
from schema.context import Info
from schema.error_codes import PublicError
from schema.pagination import connection_of, page_request
from schema.payments.types import PaymentAnomaly, PaymentAnomalyConnection


@strawberry.type
class PaymentQuery:
    @strawberry.field(
        extensions=authorised(Action.PAYMENT_ANOMALIES),
        description=(
            "ADMIN: notifications and query answers that did not match our records (unknown "
            "order, amount, merchant, paid after close), newest first; never applied. "
            "`first` at most 50."
        ),
    )
    async def payment_anomalies(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> PaymentAnomalyConnection:
        request = page_request(first, after, cap=info.context.resources.settings.max_page_size)
        try:
            page = await payments.anomalies(first=request.first, after=request.after)
        except ValueError:
            raise PublicError("分页游标无效。", "BAD_USER_INPUT", field="after") from None
        edges, page_info = connection_of(page, PaymentAnomaly.of, request.kind)
        return PaymentAnomalyConnection(edges=edges, page_info=page_info)
