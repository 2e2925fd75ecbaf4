"""Types, inputs, errors and result unions of 帮办代办."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Self
from uuid import UUID

import strawberry
from strawberry.scalars import JSON

from resolvers.calendar.workdays import china_date
from resolvers.delegation import service
from resolvers.delegation.errors import (
    AgentSubmissionError,
    AgentSubmissionErrorCode,
    DelegationErrorCode,
)
from resolvers.errors import MAX_ERROR_FIELDS, DomainError
from resolvers.ids import global_id
from schema.applications.types import EVENTS, Application, ApplicationEvent
from schema.context import Info
from schema.cost import bounded
from schema.errors import UserError
from schema.pagination import Connection
from storage.models import delegation as models
from storage.models.applications import Application as ApplicationRow
from storage.models.applications import ApplicationStatus
from storage.models.catalogue import Channel
from storage.models.delegation import AgentKind, DelegationEventType, DelegationStatus

strawberry.enum(
    DelegationStatus,
    description=(
        "PENDING: granted to a resident, waiting for them to accept; ACTIVE: in force until "
        "validUntil (see `inForce`); REVOKED by the principal, at once."
    ),
)
strawberry.enum(
    AgentKind,
    description="RESIDENT: another resident; COMMUNITY_HELPER: a 社区代办员 of the community.",
)
strawberry.enum(DelegationEventType, description="A step on a delegation.")
strawberry.enum(service.Direction, name="DelegationDirection")
strawberry.enum(DelegationErrorCode)
strawberry.enum(AgentSubmissionErrorCode)


@strawberry.type(description="One side of a delegation, as the other side may see it: masked.")
class DelegationParty:
    name_masked: str | None = strawberry.field(description="张*: the verified name, masked.")
    phone_masked: str | None = strawberry.field(description="138****0000")


async def _party(info: Info, account_id: UUID) -> DelegationParty:
    account = await info.context.loaders.account.load(account_id)
    if account is None:
        return DelegationParty(name_masked=None, phone_masked=None)
    return DelegationParty(name_masked=account.name_masked, phone_masked=account.phone_masked)


@strawberry.type(description="A step on a delegation; it names both sides and who acted.")
class DelegationStep:
    type: DelegationEventType
    at: datetime
    by_agent: bool = strawberry.field(description="The agent acted (otherwise the principal).")
    application_id: strawberry.ID | None = strawberry.field(
        description="SUBMITTED: the application the agent submitted."
    )
    _row: strawberry.Private[models.DelegationEvent]

    @classmethod
    def of(cls, row: models.DelegationEvent) -> Self:
        return cls(
            type=row.type,
            at=row.at,
            by_agent=row.actor_id == row.agent_id,
            application_id=(
                strawberry.ID(global_id("Application", row.application_id))
                if row.application_id
                else None
            ),
            _row=row,
        )

    @strawberry.field(description="The principal (who gave the delegation).")
    async def principal(self, info: Info) -> DelegationParty:
        return await _party(info, self._row.principal_id)

    @strawberry.field(description="The agent (who acts for the principal).")
    async def agent(self, info: Info) -> DelegationParty:
        return await _party(info, self._row.agent_id)


@strawberry.type(
    description=(
        "帮办代办: the principal lets the agent submit and follow applications of the listed "
        "items until validUntil (China date, inclusive)."
    )
)
class Delegation:
    id: strawberry.ID
    status: DelegationStatus
    agent_kind: AgentKind
    service_codes: list[str] = strawberry.field(
        directives=bounded(service.MAX_SERVICES),
        description=(
            f"Basic codes (the item in every region) or implementation codes; at most "
            f"{service.MAX_SERVICES}."
        ),
    )
    valid_until: date
    granted_at: datetime
    accepted_at: datetime | None
    revoked_at: datetime | None
    _model: strawberry.Private[models.Delegation]

    @classmethod
    def of(cls, row: models.Delegation) -> Self:
        return cls(
            id=strawberry.ID(global_id("Delegation", row.id)),
            status=row.status,
            agent_kind=row.agent_kind,
            service_codes=list(row.service_codes),
            valid_until=row.valid_until,
            granted_at=row.granted_at,
            accepted_at=row.accepted_at,
            revoked_at=row.revoked_at,
            _model=row,
        )

    @strawberry.field(description="ACTIVE and validUntil not passed: the agent may act now.")
    def in_force(self, info: Info) -> bool:
        return service.in_force(self._model, china_date(info.context.resources.clock()))

    @strawberry.field(description="Who gave it.")
    async def principal(self, info: Info) -> DelegationParty:
        return await _party(info, self._model.principal_id)

    @strawberry.field(description="Who acts under it.")
    async def agent(self, info: Info) -> DelegationParty:
        return await _party(info, self._model.agent_id)

    @strawberry.field(
        directives=bounded(service.MAX_EVENTS),
        description=f"The trail, oldest first; at most {service.MAX_EVENTS}.",
    )
    async def events(self, info: Info) -> list[DelegationStep]:
        rows = await info.context.loaders.delegation_events.load(self._model.id)
        return [DelegationStep.of(row) for row in rows[: service.MAX_EVENTS]]


DelegationConnection = Connection[Delegation]


@strawberry.type(
    description=(
        "An application an agent submitted under a delegation, as the principal and (while "
        "the delegation is in force) the agent follow it."
    )
)
class DelegatedApplication:
    application_id: strawberry.ID
    number: str
    status: ApplicationStatus
    channel: Channel
    submitted_at: datetime
    acceptance_due_date: date | None
    due_date: date | None
    reason: str
    finished_at: datetime | None
    _id: strawberry.Private[UUID]
    _owner_id: strawberry.Private[UUID]
    _implementation_id: strawberry.Private[UUID | None]

    @classmethod
    def of(cls, row: ApplicationRow) -> Self:
        return cls(
            application_id=strawberry.ID(global_id("Application", row.id)),
            number=row.number,
            status=row.status,
            channel=row.channel,
            submitted_at=row.submitted_at,
            acceptance_due_date=row.acceptance_due_date,
            due_date=row.due_date,
            reason=row.reason,
            finished_at=row.finished_at,
            _id=row.id,
            _owner_id=row.owner_id,
            _implementation_id=row.implementation_id,
        )

    @strawberry.field(description="The item's name.")
    async def service_name(self, info: Info) -> str:
        if self._implementation_id is None:
            return ""
        row = await info.context.loaders.implementation.load(self._implementation_id)
        return row.name if row else ""

    @strawberry.field(
        directives=EVENTS.directives, description=EVENTS.describe("Its timeline, oldest first.")
    )
    async def events(
        self, info: Info, first: int | None = EVENTS.default
    ) -> list[ApplicationEvent]:
        size = EVENTS.size(first)
        rows = await info.context.loaders.application_events.load(self._id)
        return [ApplicationEvent.of(row, self._owner_id) for row in rows[:size]]


DelegatedApplicationConnection = Connection[DelegatedApplication]


@strawberry.type(description="A 社区代办员: an officer helping the residents on their register.")
class CommunityHelper:
    id: strawberry.ID
    registered_at: datetime
    _model: strawberry.Private[models.CommunityHelper]

    @classmethod
    def of(cls, row: models.CommunityHelper) -> Self:
        return cls(
            id=strawberry.ID(global_id("CommunityHelper", row.id)),
            registered_at=row.created_at,
            _model=row,
        )

    @strawberry.field(description="The helper's display name.")
    async def name(self, info: Info) -> str:
        account = await info.context.loaders.account.load(self._model.account_id)
        return (account.display_name or "") if account else ""

    @strawberry.field(description="The community (a COMMUNITY region) the helper serves.")
    async def community_name(self, info: Info) -> str:
        region = await info.context.loaders.region.load(self._model.community_id)
        return region.name if region else ""


@strawberry.type(description="A resident on a helper's register.")
class HelperClient:
    id: strawberry.ID
    helper_id: strawberry.ID
    added_at: datetime
    removed_at: datetime | None = strawberry.field(description="Taken off the register then.")
    _model: strawberry.Private[models.HelperClient]

    @classmethod
    def of(cls, row: models.HelperClient) -> Self:
        return cls(
            id=strawberry.ID(global_id("HelperClient", row.id)),
            helper_id=strawberry.ID(global_id("CommunityHelper", row.helper_id)),
            added_at=row.added_at,
            removed_at=row.removed_at,
            _model=row,
        )

    @strawberry.field(description="The resident, masked.")
    async def resident(self, info: Info) -> DelegationParty:
        return await _party(info, self._model.resident_id)


# -- inputs


@strawberry.input
class GrantDelegationInput:
    agent_phone: str | None = strawberry.field(
        default=None,
        description="The agent's bound mobile (another resident). Exactly one of agentPhone "
        "and helperId.",
    )
    helper_id: strawberry.ID | None = strawberry.field(
        default=None, description="A community helper whose register holds you (myHelpers)."
    )
    service_codes: list[str] = strawberry.field(
        description=f"Basic or implementation codes, each once; 1 to {service.MAX_SERVICES}."
    )
    valid_until: date = strawberry.field(
        description=f"Last day in force (China date): today to {service.MAX_DAYS} days ahead."
    )


@strawberry.input
class AcceptDelegationInput:
    delegation_id: strawberry.ID


@strawberry.input
class RevokeDelegationInput:
    delegation_id: strawberry.ID


@strawberry.input
class SubmitApplicationAsAgentInput:
    delegation_id: strawberry.ID = strawberry.field(
        description="A delegation you received that is in force and names the item."
    )
    service_code: str = strawberry.field(
        description="Implementation code, or basic code with regionCode."
    )
    region_code: str | None = None
    form: JSON | None = strawberry.field(
        default=None, description="As submitApplication: the service's form, at most 64 KB."
    )
    document_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list,
        description=(
            "Documents you uploaded for the principal (AVAILABLE, in your wallet), matched by "
            "kind; at most 30. Government-issued materials come from the principal's wallet."
        ),
    )
    channel: Channel = strawberry.field(
        description="WEB_HALL, MOBILE_APP, MINI_PROGRAM or TV_HALL: the device you use."
    )
    idempotency_key: str | None = strawberry.field(
        default=None, description="At most 128 characters: a retry returns the same application."
    )


@strawberry.input
class RegisterCommunityHelperInput:
    community_code: str = strawberry.field(description="12-digit code of a COMMUNITY region.")
    username: str = strawberry.field(description="The officer's staff username.")


@strawberry.input
class AddHelperClientInput:
    helper_id: strawberry.ID
    phone: str = strawberry.field(description="The resident's bound mobile.")


@strawberry.input
class RemoveHelperClientInput:
    helper_id: strawberry.ID
    client_id: strawberry.ID


# -- errors and results


@strawberry.type
class GrantDelegationError(UserError):
    code: DelegationErrorCode


@strawberry.type
class AcceptDelegationError(UserError):
    code: DelegationErrorCode


@strawberry.type
class RevokeDelegationError(UserError):
    code: DelegationErrorCode


@strawberry.type
class SubmitApplicationAsAgentError(UserError):
    code: AgentSubmissionErrorCode
    fields: list[str] = strawberry.field(
        default_factory=list,
        directives=bounded(MAX_ERROR_FIELDS),
        description=f"Every input field at fault, e.g. form.shopName; at most {MAX_ERROR_FIELDS}.",
    )

    @classmethod
    def of(cls, error: DomainError) -> Self:
        return cls(
            code=AgentSubmissionErrorCode(error.code.value),
            message=error.message,
            field=error.field,
            fields=list(error.fields) if isinstance(error, AgentSubmissionError) else [],
        )


@strawberry.type
class RegisterCommunityHelperError(UserError):
    code: DelegationErrorCode


@strawberry.type
class AddHelperClientError(UserError):
    code: DelegationErrorCode


@strawberry.type
class RemoveHelperClientError(UserError):
    code: DelegationErrorCode


GrantDelegationResult = Annotated[
    Delegation | GrantDelegationError, strawberry.union("GrantDelegationResult")
]
AcceptDelegationResult = Annotated[
    Delegation | AcceptDelegationError, strawberry.union("AcceptDelegationResult")
]
RevokeDelegationResult = Annotated[
    Delegation | RevokeDelegationError, strawberry.union("RevokeDelegationResult")
]
SubmitApplicationAsAgentResult = Annotated[
    Application | SubmitApplicationAsAgentError,
    strawberry.union("SubmitApplicationAsAgentResult"),
]
RegisterCommunityHelperResult = Annotated[
    CommunityHelper | RegisterCommunityHelperError,
    strawberry.union("RegisterCommunityHelperResult"),
]
AddHelperClientResult = Annotated[
    HelperClient | AddHelperClientError, strawberry.union("AddHelperClientResult")
]
RemoveHelperClientResult = Annotated[
    HelperClient | RemoveHelperClientError, strawberry.union("RemoveHelperClientResult")
]
