"""The provincial exchange's types for admins: pushed messages with their delivery state and
the province's receipt, and the callbacks department systems sent."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Self
from uuid import UUID

import strawberry
from strawberry import relay

from resolvers.exchange import service as exchange
from schema.context import Info
from schema.pagination import Connection
from storage.models.exchange import CallbackKind, ExchangeStep
from storage.models.exchange import ExchangeAcknowledgement as AckModel
from storage.models.exchange import ExchangeCallback as CallbackModel
from storage.models.outbox import OutboxMessage, OutboxStatus

strawberry.enum(
    ExchangeStep,
    description=(
        "What a message to the province reports: SUBMIT 申报, ACCEPT 受理, REJECT 不予受理, "
        "SUPPLEMENT_NOTICE 补正告知, SUPPLEMENT 补正提交, HANDLE 部门办理 (one department's "
        "task), PROGRESS 办理过程, DECIDE 审批决定, FINISH 办结 (result issued or denied), "
        "WITHDRAW 撤回, RATE 好差评."
    ),
)
strawberry.enum(
    OutboxStatus,
    name="DeliveryStatus",
    description=(
        "PENDING: not tried yet (or waiting for the message before it); FAILED: tried, tried "
        "again at nextAttemptAt; DELIVERED: acknowledged by the receiver; DEAD: given up "
        "after the configured attempts, re-sent only by `rongban exchange retry`."
    ),
)
strawberry.enum(
    CallbackKind,
    description="PROGRESS note, TASK_OUTCOME (a department's decision), RESULT_DOCUMENT.",
)


@strawberry.type(description="The province's signed receipt of a message.")
class ExchangeReceipt:
    ack_id: str = strawberry.field(description="The province's own receipt id.")
    acknowledged_at: datetime = strawberry.field(description="When we received the receipt.")
    province_received_at: datetime | None = strawberry.field(
        description="When the province says it received the message."
    )
    duplicate: bool = strawberry.field(
        description="The province had the message already (a resend after a crash or a lost "
        "receipt): it was applied once there."
    )

    @classmethod
    def of(cls, model: AckModel) -> Self:
        return cls(
            ack_id=model.ack_id,
            acknowledged_at=model.acknowledged_at,
            province_received_at=model.province_received_at,
            duplicate=model.duplicate,
        )


@strawberry.type(
    description=(
        "One step of an application pushed to the provincial platform (ADMIN). Messages of "
        "one application go strictly in `sequence` order: one is sent only after the one "
        "before it is DELIVERED."
    )
)
class ExchangeMessage(relay.Node):
    id: relay.NodeID[str]
    message_id: str = strawberry.field(
        description="The id the province dedupes on (the same on every resend)."
    )
    kind: ExchangeStep
    status: OutboxStatus
    attempts: int = strawberry.field(description="Sends tried so far (reset by a retry).")
    last_error: str | None = strawberry.field(
        description="Why the last send failed, e.g. `province: HTTP 503`; never personal data."
    )
    sequence: int = strawberry.field(description="Position within its application, from 1.")
    application_id: strawberry.ID = strawberry.field(description="The Application's global id.")
    application_number: str
    event_at: datetime = strawberry.field(description="When the step happened.")
    created_at: datetime
    next_attempt_at: datetime | None = strawberry.field(
        description="When it is tried next (PENDING or FAILED); null otherwise."
    )
    delivered_at: datetime | None
    _model: strawberry.Private[OutboxMessage]

    @classmethod
    def of(cls, model: OutboxMessage) -> Self:
        payload = model.payload
        waiting = model.status in (OutboxStatus.PENDING, OutboxStatus.FAILED)
        return cls(
            id=str(model.id),
            message_id=str(model.id),
            kind=ExchangeStep(payload["step"]),
            status=model.status,
            attempts=model.attempts,
            last_error=model.last_error or None,
            sequence=int(payload["sequence"]),
            application_id=strawberry.ID(relay.to_base64("Application", payload["application_id"])),
            application_number=str(payload["number"]),
            event_at=datetime.fromisoformat(payload["event_at"]),
            created_at=model.created_at,
            next_attempt_at=model.next_attempt_at if waiting else None,
            delivered_at=model.delivered_at,
            _model=model,
        )

    @strawberry.field(description="The province's receipt, once DELIVERED.")
    async def receipt(self, info: Info) -> ExchangeReceipt | None:
        row = await info.context.loaders.exchange_acknowledgement.load(self._model.id)
        return ExchangeReceipt.of(row) if row else None

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        ids = [_uuid(n) for n in node_ids]
        found = await exchange.readable_messages(
            info.context.resources, info.context.principal, [i for i in ids if i]
        )
        rows = {m.id: cls.of(m) for m in found}
        return [rows.get(i) if i else None for i in ids]


def _uuid(value: str) -> UUID | None:
    try:
        return UUID(value)
    except ValueError:
        return None


ExchangeMessageConnection = Connection[ExchangeMessage]


@strawberry.type(description="A callback a department's business system sent and we applied.")
class ExchangeCallback:
    id: strawberry.ID
    message_id: str = strawberry.field(description="The system's own id of the callback.")
    kind: CallbackKind
    application_id: strawberry.ID = strawberry.field(description="The Application's global id.")
    received_at: datetime
    _model: strawberry.Private[CallbackModel]

    @classmethod
    def of(cls, model: CallbackModel) -> Self:
        return cls(
            id=strawberry.ID(relay.to_base64("ExchangeCallback", model.id)),
            message_id=model.message_id,
            kind=model.kind,
            application_id=strawberry.ID(relay.to_base64("Application", model.application_id)),
            received_at=model.received_at,
            _model=model,
        )

    @strawberry.field(description="The sending system's key id.")
    async def system_key_id(self, info: Info) -> str:
        system = await info.context.loaders.exchange_system.load(self._model.system_id)
        return system.key_id if system else ""

    @strawberry.field(description="The credit code of the department the system belongs to.")
    async def department_code(self, info: Info) -> str:
        system = await info.context.loaders.exchange_system.load(self._model.system_id)
        return system.department.code if system else ""


ExchangeCallbackConnection = Connection[ExchangeCallback]


@strawberry.input
class ExchangeMessageFilter:
    application_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only this application's messages (its global id)."
    )
    status: OutboxStatus | None = None
