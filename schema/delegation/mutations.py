"""帮办代办 mutations: input in, service call, typed result or typed error out."""

from __future__ import annotations

from uuid import UUID

import strawberry

from resolvers.delegation import service
from resolvers.delegation.errors import AgentSubmissionError, DelegationError
from resolvers.delegation.errors import DelegationErrorCode as Code
from resolvers.policy import Action
from schema.applications.types import Application
from schema.authorised import authorised
from schema.context import Info
from schema.delegation.types import (
    AcceptDelegationInput,
    AcceptDelegationResult,
    AddHelperClientInput,
    AddHelperClientResult,
    CommunityHelper,
    Delegation,
    GrantDelegationInput,
    GrantDelegationResult,
    HelperClient,
    RegisterCommunityHelperInput,
    RegisterCommunityHelperResult,
    RemoveHelperClientInput,
    RemoveHelperClientResult,
    RevokeDelegationInput,
    RevokeDelegationResult,
    SubmitApplicationAsAgentInput,
    SubmitApplicationAsAgentResult,
)
from schema.ids import node_uuid, uuid_of


def _uuid(global_id: str, type_name: str, field: str) -> UUID:
    return uuid_of(global_id, type_name, field, DelegationError, Code.NOT_FOUND)


@strawberry.type
class DelegationMutation:
    @strawberry.mutation(
        extensions=authorised(Action.DELEGATION_GRANT),
        description=(
            "Lets an agent submit and follow applications of the listed items for you until "
            "validUntil: another resident by their bound phone (they accept first), or a "
            "community helper whose register holds you (in force at once). Real-name residents."
        ),
    )
    async def grant_delegation(
        self, info: Info, input: GrantDelegationInput
    ) -> GrantDelegationResult:
        helper_id = (
            _uuid(input.helper_id, "CommunityHelper", "helperId")
            if input.helper_id is not None
            else None
        )
        granted = await service.grant(
            info.context.resources,
            info.context.principal,
            agent_phone=input.agent_phone,
            helper_id=helper_id,
            service_codes=input.service_codes,
            valid_until=input.valid_until,
        )
        return Delegation.of(granted)

    @strawberry.mutation(
        extensions=authorised(Action.DELEGATION_ACCEPT),
        description="The agent accepts a PENDING delegation; it is in force from now on.",
    )
    async def accept_delegation(
        self, info: Info, input: AcceptDelegationInput
    ) -> AcceptDelegationResult:
        accepted = await service.accept(
            info.context.resources,
            info.context.principal,
            _uuid(input.delegation_id, "Delegation", "delegationId"),
        )
        return Delegation.of(accepted)

    @strawberry.mutation(
        extensions=authorised(Action.DELEGATION_REVOKE),
        description=(
            "The principal ends a delegation at once: the agent can no longer submit under it "
            "or read what was submitted. Revoking again changes nothing."
        ),
    )
    async def revoke_delegation(
        self, info: Info, input: RevokeDelegationInput
    ) -> RevokeDelegationResult:
        revoked = await service.revoke(
            info.context.resources,
            info.context.principal,
            _uuid(input.delegation_id, "Delegation", "delegationId"),
        )
        return Delegation.of(revoked)

    @strawberry.mutation(
        extensions=authorised(Action.DELEGATION_SUBMIT),
        description=(
            "The agent applies for the principal under a delegation in force that names the "
            "item, with the rules of submitApplication; the principal is the applicant, the "
            "agent is recorded as the one who submitted."
        ),
    )
    async def submit_application_as_agent(
        self, info: Info, input: SubmitApplicationAsAgentInput
    ) -> SubmitApplicationAsAgentResult:
        delegation_id = node_uuid(input.delegation_id, "Delegation")
        if delegation_id is None:
            raise AgentSubmissionError.of(DelegationError(Code.NOT_FOUND, "delegationId"))
        application = await service.submit_as_agent(
            info.context.resources,
            info.context.principal,
            delegation_id=delegation_id,
            service_code=input.service_code,
            region_code=input.region_code,
            form=input.form,
            document_ids=[str(i) for i in input.document_ids],
            channel=input.channel,
            idempotency_key=input.idempotency_key,
        )
        return Application.of(application)

    @strawberry.mutation(
        extensions=authorised(Action.COMMUNITY_HELPER_REGISTER),
        description=(
            "Makes an officer a 社区代办员 of a community; by staff whose region holds it."
        ),
    )
    async def register_community_helper(
        self, info: Info, input: RegisterCommunityHelperInput
    ) -> RegisterCommunityHelperResult:
        helper = await service.register_helper(
            info.context.resources,
            info.context.principal,
            community_code=input.community_code,
            username=input.username,
        )
        return CommunityHelper.of(helper)

    @strawberry.mutation(
        extensions=authorised(Action.COMMUNITY_HELPER_MANAGE),
        description=(
            f"Puts a resident (by bound phone) on a helper's register; at most "
            f"{service.MAX_CLIENTS} residents per helper."
        ),
    )
    async def add_helper_client(
        self, info: Info, input: AddHelperClientInput
    ) -> AddHelperClientResult:
        client = await service.add_client(
            info.context.resources,
            info.context.principal,
            helper_id=_uuid(input.helper_id, "CommunityHelper", "helperId"),
            phone=input.phone,
        )
        return HelperClient.of(client)

    @strawberry.mutation(
        extensions=authorised(Action.COMMUNITY_HELPER_MANAGE),
        description=(
            "Takes a resident off a helper's register: the helper can no longer act for them, "
            "even under a delegation still in force."
        ),
    )
    async def remove_helper_client(
        self, info: Info, input: RemoveHelperClientInput
    ) -> RemoveHelperClientResult:
        client = await service.remove_client(
            info.context.resources,
            info.context.principal,
            helper_id=_uuid(input.helper_id, "CommunityHelper", "helperId"),
            client_id=_uuid(input.client_id, "HelperClient", "clientId"),
        )
        return HelperClient.of(client)
