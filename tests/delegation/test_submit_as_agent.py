"""submitApplicationAsAgent and the agent's reads: the principal is the applicant, the agent is
recorded; the delegation's items, expiry and revocation bound what the agent may do."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from uuid import UUID

import httpx
from strawberry import relay

from resolvers.ids import node_uuid
from storage.models.applications import Application, ApplicationEvent, EventType
from storage.models.delegation import DelegatedApplication, DelegationEvent
from tests.applications.conftest import FOOD, HYGIENE, frozen, hygiene_documents
from tests.conftest import RunningApp
from tests.delegation.conftest import (
    DELEGATED,
    REVOKE,
    call,
    grant,
    granted_and_accepted,
    person,
    submit_as_agent,
)
from tests.documents.conftest import count_rows

MY_APPLICATIONS = "{ myApplications { nodes { id number status } } }"


def _uuid(global_id: str) -> UUID:
    return UUID(relay.GlobalID.from_id(global_id).node_id)


async def test_the_agent_submits_for_the_principal_and_both_follow_it(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    principal = await person(seeded, wechat, "mother")
    agent = await person(seeded, wechat, "son")
    delegation_id = await granted_and_accepted(seeded, principal, agent)

    result = await submit_as_agent(seeded, agent.program, delegation_id)

    assert result["__typename"] == "Application", result
    stored = await Application.get(id=_uuid(result["id"]))
    principal_id = node_uuid(delegation_id, "Delegation")
    link = await DelegatedApplication.get(application_id=stored.id)
    assert link.delegation_id == principal_id
    submitted = await ApplicationEvent.get(application_id=stored.id, type=EventType.SUBMITTED)
    assert submitted.actor_id == link.agent_id  # the agent acted ...
    assert stored.owner_id != link.agent_id  # ... for the principal, the applicant
    trail = await DelegationEvent.filter(delegation_id=principal_id).order_by("seq")
    assert [e.type for e in trail] == ["GRANTED", "ACCEPTED", "SUBMITTED"]
    assert trail[-1].application_id == stored.id
    assert {(e.principal_id, e.agent_id) for e in trail} == {(stored.owner_id, link.agent_id)}

    owned = await seeded.gql(MY_APPLICATIONS, token=principal.token)
    assert [a["number"] for a in owned.data["myApplications"]["nodes"]] == [result["number"]]
    not_the_agents = await seeded.gql(MY_APPLICATIONS, token=agent.token)
    assert not_the_agents.data["myApplications"]["nodes"] == []
    for reader in (principal, agent):
        followed = await seeded.gql(DELEGATED, {"id": delegation_id}, token=reader.token)
        [row] = followed.data["delegatedApplications"]["nodes"]
        assert row["number"] == result["number"]
        assert row["status"] == "SUBMITTED"
        assert row["serviceName"]
        assert [e["type"] for e in row["events"]] == ["SUBMITTED"]


async def test_an_item_outside_the_delegation_is_refused(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    principal = await person(seeded, wechat, "mother")
    agent = await person(seeded, wechat, "son")
    delegation_id = await granted_and_accepted(seeded, principal, agent, FOOD[0])

    result = await submit_as_agent(seeded, agent.program, delegation_id)

    assert (result["code"], result["field"]) == ("SERVICE_NOT_DELEGATED", "serviceCode")
    assert await count_rows("application") == 0


async def test_a_pending_delegation_lets_nothing_be_submitted(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    principal = await person(seeded, wechat, "mother")
    agent = await person(seeded, wechat, "son")
    given = await grant(seeded, principal, agent)

    result = await submit_as_agent(seeded, agent.program, given["id"])

    assert (result["code"], result["field"]) == ("DELEGATION_NOT_IN_FORCE", "delegationId")
    assert await count_rows("application") == 0


async def test_after_its_last_day_the_agent_can_neither_submit_nor_read(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    principal = await person(seeded, wechat, "mother")
    agent = await person(seeded, wechat, "son")
    delegation_id = await granted_and_accepted(seeded, principal, agent)
    assert (await submit_as_agent(seeded, agent.program, delegation_id))["__typename"] == (
        "Application"
    )
    documents = await hygiene_documents(agent.program)
    clock = seeded.resources.clock
    frozen(seeded, clock() + timedelta(days=31))

    late = await submit_as_agent(seeded, agent.program, delegation_id, documentIds=documents)
    agents_view = await seeded.gql(DELEGATED, {"id": delegation_id}, token=agent.token)
    principals_view = await seeded.gql(DELEGATED, {"id": delegation_id}, token=principal.token)

    assert late["code"] == "DELEGATION_NOT_IN_FORCE"
    assert agents_view.data["delegatedApplications"]["nodes"] == []
    assert len(principals_view.data["delegatedApplications"]["nodes"]) == 1
    assert await count_rows("application") == 1


async def test_revocation_stops_submissions_and_reads_at_once(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    principal = await person(seeded, wechat, "mother")
    agent = await person(seeded, wechat, "son")
    delegation_id = await granted_and_accepted(seeded, principal, agent)
    assert (await submit_as_agent(seeded, agent.program, delegation_id))["__typename"] == (
        "Application"
    )
    documents = await hygiene_documents(agent.program)

    revoked = await call(seeded, REVOKE, {"delegationId": delegation_id}, principal.token)
    refused = await submit_as_agent(seeded, agent.program, delegation_id, documentIds=documents)
    agents_view = await seeded.gql(DELEGATED, {"id": delegation_id}, token=agent.token)

    assert revoked["status"] == "REVOKED"
    assert refused["code"] == "DELEGATION_NOT_IN_FORCE"
    assert agents_view.data["delegatedApplications"]["nodes"] == []
    assert await count_rows("application") == 1


async def test_a_revocation_racing_submissions_is_never_overtaken(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    principal = await person(seeded, wechat, "mother")
    agent = await person(seeded, wechat, "son")
    delegation_id = await granted_and_accepted(seeded, principal, agent)
    batches = [await hygiene_documents(agent.program) for _ in range(4)]

    results = await asyncio.gather(
        *[
            submit_as_agent(seeded, agent.program, delegation_id, documentIds=documents)
            for documents in batches
        ],
        call(seeded, REVOKE, {"delegationId": delegation_id}, principal.token),
    )

    submissions = results[:-1]
    assert results[-1]["status"] == "REVOKED"
    accepted = [r for r in submissions if r["__typename"] == "Application"]
    assert all(r["code"] == "DELEGATION_NOT_IN_FORCE" for r in submissions if r not in accepted), (
        submissions
    )
    delegation = node_uuid(delegation_id, "Delegation")
    trail = await DelegationEvent.filter(delegation_id=delegation).order_by("seq")
    types = [e.type.value for e in trail]
    # Every submission that went through is in the trail before the revocation, none after.
    assert types[-1] == "REVOKED"
    assert types.count("SUBMITTED") == len(accepted)
    assert await count_rows("application") == len(accepted)


async def test_bad_input_is_named_and_stores_nothing(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    principal = await person(seeded, wechat, "mother")
    agent = await person(seeded, wechat, "son")
    stranger = await person(seeded, wechat, "stranger")
    delegation_id = await granted_and_accepted(seeded, principal, agent, HYGIENE[0], FOOD[0])

    missing = await submit_as_agent(seeded, agent.program, delegation_id, documentIds=[])
    channel = await submit_as_agent(seeded, agent.program, delegation_id, channel="TERMINAL")
    unknown = await submit_as_agent(
        seeded, agent.program, delegation_id, serviceCode="99999999999999"
    )
    bad_form = await submit_as_agent(
        seeded,
        agent.program,
        delegation_id,
        serviceCode=FOOD[0],
        regionCode=FOOD[1],
        form={"seats": -1},
        documentIds=[],
    )
    not_an_id = await submit_as_agent(seeded, agent.program, "nonsense", documentIds=[])
    key = await submit_as_agent(
        seeded, agent.program, delegation_id, documentIds=[], idempotencyKey=" " * 3
    )
    by_stranger = await submit_as_agent(seeded, stranger.program, delegation_id)
    by_principal = await submit_as_agent(seeded, principal.program, delegation_id)

    assert missing["code"] == "MATERIAL_MISSING"
    assert missing["field"] == missing["fields"][0]
    assert all(f.startswith("materials[") for f in missing["fields"])
    assert (channel["code"], channel["field"]) == ("CHANNEL_NOT_ALLOWED", "channel")
    assert (unknown["code"], unknown["field"]) == ("SERVICE_NOT_FOUND", "serviceCode")
    assert bad_form["code"] == "INVALID_FORM"
    assert "form.seats" in bad_form["fields"]
    assert (not_an_id["code"], not_an_id["field"]) == ("NOT_FOUND", "delegationId")
    assert (key["code"], key["field"]) == ("INVALID_INPUT", "idempotencyKey")
    assert (by_stranger["code"], by_stranger["field"]) == ("NOT_FOUND", "delegationId")
    assert by_principal["code"] == "FORBIDDEN"
    assert await count_rows("application") == 0
    assert await count_rows("delegated_application") == 0


async def test_a_retry_with_the_same_key_returns_the_same_application(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    principal = await person(seeded, wechat, "mother")
    agent = await person(seeded, wechat, "son")
    delegation_id = await granted_and_accepted(seeded, principal, agent)
    documents = await hygiene_documents(agent.program)

    first, second = await asyncio.gather(
        *[
            submit_as_agent(
                seeded, agent.program, delegation_id, documentIds=documents, idempotencyKey="k1"
            )
            for _ in range(2)
        ]
    )

    assert first["__typename"] == second["__typename"] == "Application", (first, second)
    assert first["id"] == second["id"]
    assert await count_rows("application") == 1
